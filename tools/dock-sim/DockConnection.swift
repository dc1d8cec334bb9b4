import Foundation
import Logging
import MosquittoClient
import Synchronization

/// Counters shared by all docks, for the status line and the summary.
final class SimulationCounters: Sendable {
    let published = Atomic<Int>(0)
    let publishFailures = Atomic<Int>(0)
    let discardedWhileDropped = Atomic<Int>(0)
    let received = Atomic<Int>(0)
    let drops = Atomic<Int>(0)
}

/// The shell around one `SimulatedDock`: its own MQTT client (`dock-sim-<serial>`, clean
/// session, a will), ticks the simulation and publishes what it returns, hands it what arrives,
/// drops the link when the simulation says so, and downloads the route files it asks for.
final class DockConnection: Sendable {
    let serial: String
    private let core: Mutex<SimulatedDock>
    private let broker: BrokerURL
    private let counters: SimulationCounters
    private let logger: Logger
    private let mqttLogger: Logger
    private let flyOnStart: Bool
    private let linkUp = Atomic<Bool>(false)
    private let fetchRequests: AsyncStream<WaylineFetch>
    private let fetchQueue: AsyncStream<WaylineFetch>.Continuation
    private let fetchTimeout: Double

    static let tickInterval = Duration.milliseconds(250)

    init(dock: SimulatedDock, broker: BrokerURL, counters: SimulationCounters, flyOnStart: Bool, logger: Logger,
         fetchTimeout: Double = 15) {
        serial = dock.dockSerial
        (fetchRequests, fetchQueue) = AsyncStream.makeStream(of: WaylineFetch.self)
        self.fetchTimeout = fetchTimeout
        core = Mutex(dock)
        self.broker = broker
        self.counters = counters
        self.flyOnStart = flyOnStart
        var logger = logger
        logger[metadataKey: "dock.serial"] = "\(dock.dockSerial)"
        self.logger = logger
        var mqtt = logger
        mqtt.logLevel = .warning
        mqttLogger = mqtt
    }

    var isConnected: Bool { linkUp.load(ordering: .relaxed) }

    /// A consistent look at the simulation, for status lines.
    func inspect<T: Sendable>(_ body: (SimulatedDock) -> T) -> T {
        core.withLock { body($0) }
    }

    static func now() -> Double { Date().timeIntervalSince1970 }

    /// Runs until cancelled, reconnecting after every simulated network drop, downloading route
    /// files alongside.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.downloadRouteFiles() }
            await runLink()
            group.cancelAll()
        }
    }

    /// Downloads every route file the simulation asks for, concurrently, and hands each result
    /// back to it; the simulation replies to the prepare on its next tick.
    private func downloadRouteFiles() async {
        await withDiscardingTaskGroup { group in
            for await fetch in fetchRequests {
                group.addTask { [self] in
                    let result = await WaylineDownload.fetch(fetch.url, timeout: fetchTimeout)
                    if case .failed(let why) = result { logger.info("route file for \(fetch.flightID): \(why)") }
                    core.withLock { $0.waylineFetched(fetch, result: result, now: Self.now()) }
                }
            }
        }
    }

    private func runLink() async {
        var firstConnection = true
        while !Task.isCancelled {
            let client: MosquittoClient
            do {
                client = try makeClient()
            } catch {
                logger.error("cannot create the MQTT client: \(error)")
                return
            }
            let drop = await connectedSession(client, first: firstConnection)
            linkUp.store(false, ordering: .relaxed)
            firstConnection = false
            guard let drop, !Task.isCancelled else { return }
            counters.drops.add(1, ordering: .relaxed)
            logger.info("network drop: offline for \(Int(drop)) s")
            // The dock lives on while its link is down: the flight goes on, messages are lost.
            let until = Self.now() + drop
            while !Task.isCancelled, Self.now() < until {
                try? await Task.sleep(for: Self.tickInterval)
                let out = core.withLock { $0.tick(now: Self.now()) }
                counters.discardedWhileDropped.add(out.messages.count, ordering: .relaxed)
                log(out)
                // No network, no download.
                for fetch in out.fetches {
                    core.withLock { $0.waylineFetched(fetch, result: .failed("network down"), now: Self.now()) }
                }
            }
        }
    }

    private func makeClient() throws(MQTTError) -> MosquittoClient {
        let (subscriptions, will) = core.withLock { dock in
            (dock.subscriptions, dock.willMessage(now: Self.now()))
        }
        return try MosquittoClient(configuration: .init(
            broker: broker, clientID: "dock-sim-\(serial)", cleanSession: true, keepAliveSeconds: 20,
            subscriptions: subscriptions.map { .init($0, qos: .atLeastOnce) },
            will: .init(topic: will.topic, payload: will.payload.bytes, qos: .atLeastOnce, retain: false),
            reconnectDelayMinSeconds: 1, reconnectDelayMaxSeconds: 5), logger: mqttLogger)
    }

    /// One connection's life: returns the length of the network drop that ended it, or nil when
    /// cancelled.
    private func connectedSession(_ client: MosquittoClient, first: Bool) async -> Double? {
        await withTaskGroup(of: Void.self, returning: Double?.self) { group in
            group.addTask { try? await client.run() }
            group.addTask { [self] in
                for await message in client.messages {
                    counters.received.add(1, ordering: .relaxed)
                    let out = core.withLock { $0.handle(topic: message.topic, payload: message.payload, now: Self.now()) }
                    await send(out, with: client)
                }
            }
            defer { group.cancelAll() }
            var announcedConnects = 0
            while !Task.isCancelled {
                let status = client.status
                linkUp.store(status.connected, ordering: .relaxed)
                if status.connected, status.connects != announcedConnects {
                    // A new connection (the first, or libmosquitto's reconnect after the broker
                    // went away): announce the topology and firmware again.
                    announcedConnects = status.connects
                    var out = core.withLock { $0.connected(now: Self.now()) }
                    if first, flyOnStart, announcedConnects == 1 {
                        out.append(core.withLock { $0.startPatrol(now: Self.now()) })
                    }
                    await send(out, with: client)
                }
                if announcedConnects > 0 {
                    let out = core.withLock { $0.tick(now: Self.now()) }
                    await send(out, with: client)
                    if let drop = out.dropSeconds { return drop }
                }
                try? await Task.sleep(for: Self.tickInterval)
            }
            return nil
        }
    }

    private func send(_ out: SimulationOutput, with client: MosquittoClient) async {
        log(out)
        for fetch in out.fetches { fetchQueue.yield(fetch) }
        for message in out.messages {
            do {
                try await client.publish(message.topic, payload: message.payload.bytes,
                                         qos: message.qos == 0 ? .atMostOnce : .atLeastOnce, timeout: .seconds(5))
                counters.published.add(1, ordering: .relaxed)
            } catch {
                counters.publishFailures.add(1, ordering: .relaxed)
                logger.debug("publish to \(message.topic) failed: \(error)")
            }
        }
    }

    private func log(_ out: SimulationOutput) {
        for note in out.notes {
            switch note.level {
            case .info: logger.info("\(note.text)")
            case .notice: logger.notice("\(note.text)")
            case .warning: logger.warning("\(note.text)")
            }
        }
    }
}
