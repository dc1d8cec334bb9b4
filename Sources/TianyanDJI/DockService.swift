import DockLink
import Foundation
import Logging
import MessageJournal
import MosquittoClient
import ServiceLifecycle
import Synchronization
import TianyanModel

/// The dock link as a service: MQTT messages in through the journal, decoded by DockIngest,
/// stored through the writer; replies sent and the journal released only once what a message
/// produced is committed. Commands go out through the same client.
public final class DockService: Service, Sendable {
    /// What the DJI adapter needs of the configuration.
    public struct Settings: Sendable {
        public var broker: String
        public var clientID: String
        public var caFile: String?
        public var journalDirectory: String?
        public var journalSegmentBytes: Int
        public var onlineSeconds: Int
        public var maxPayloadBytes: Int
        public var ntpServer: String

        public init(broker: String, clientID: String = "tianyan", caFile: String? = nil, journalDirectory: String? = nil,
                    journalSegmentBytes: Int = 64 << 20, onlineSeconds: Int = 120, maxPayloadBytes: Int = 1 << 20, ntpServer: String = "") {
            self.broker = broker
            self.clientID = clientID
            self.caFile = caFile
            self.journalDirectory = journalDirectory
            self.journalSegmentBytes = journalSegmentBytes
            self.onlineSeconds = onlineSeconds
            self.maxPayloadBytes = maxPayloadBytes
            self.ntpServer = ntpServer
        }
    }

    /// How commands reach the docks: through the MQTT client, or (tests) a stand-in that answers
    /// as a dock would, so that the adapter's own work (route files, the commands' JSON) runs
    /// without a broker.
    public struct CommandPath: Sendable {
        public typealias Send = @Sendable (_ serial: String, _ method: DockCommand.Method, _ data: JSONValue, _ requestedBy: String,
                                           _ bid: String?) async throws -> DockCommandResult
        public var isUp: @Sendable () -> Bool
        public var send: Send

        public init(isUp: @escaping @Sendable () -> Bool, send: @escaping Send) {
            self.isUp = isUp
            self.send = send
        }
    }

    public let client: MosquittoClient
    public let commander: DockCommander
    public let profiles: DockProfiles
    /// The route files the docks fetch (`GET /files/routes/{name}`).
    public let routeFiles = RouteFiles()
    let commandPath: CommandPath?
    private let ingest: Mutex<DockIngest>
    private let sink: any RecordSink
    private let logger: Logger
    private let releases = Mutex<Releases>(Releases())
    private let releaseSignal: AsyncStream<Void>.Continuation
    private let releaseStream: AsyncStream<Void>

    struct Releases {
        var pending: [(ticket: UInt64, sequence: UInt64?, replies: [OutgoingMessage])] = []
        var repliesSent: UInt64 = 0
        var replyFailures: UInt64 = 0
        var released: UInt64 = 0
        var lastLogged: [String: ContinuousClock.Instant] = [:]
    }

    public struct Statistics: Sendable {
        public var ingest: DockIngest.Statistics
        public var mqtt: MosquittoClient.Status
        public var journal: MessageJournal.Statistics?
        public var repliesSent: UInt64
        public var replyFailures: UInt64
        public var pendingReleases: Int
    }

    public init(settings: Settings, profiles: DockProfiles, registry: FleetRegistry, openAlarms: [Alarm],
                sink: any RecordSink, logger: Logger, commandPath: CommandPath? = nil) throws {
        let broker = try BrokerURL(parsing: settings.broker)
        self.profiles = profiles
        self.commandPath = commandPath
        client = try MosquittoClient(configuration: .init(
            broker: broker, clientID: settings.clientID, cleanSession: false,
            subscriptions: DockTopic.subscriptions(for: profiles.profiles).map { .init($0, qos: .atLeastOnce) },
            caFile: settings.caFile,
            // Back on the broker within a few seconds of it coming back (issue 7: consuming again
            // within 5 s), however long it was away: libmosquitto's exponential backoff grows to
            // the maximum, and at the default 30 s the link could sit idle for most of 30 s after a
            // one-minute outage had ended. One connect attempt every 3 s costs the broker nothing.
            reconnectDelayMinSeconds: 1, reconnectDelayMaxSeconds: 3,
            journalDirectory: settings.journalDirectory,
            journalSegmentBytes: settings.journalSegmentBytes), logger: logger)
        var core = DockIngest(profiles: profiles, registry: registry, configuration: .init(
            onlineSeconds: Double(settings.onlineSeconds), maxPayloadBytes: settings.maxPayloadBytes,
            ntpServer: settings.ntpServer))
        core.restoreActiveHMS(openAlarms)
        ingest = Mutex(core)
        self.sink = sink
        self.logger = logger
        let client = self.client
        commander = DockCommander(publish: { message in
            try await client.publish(message.topic, payload: message.payload, qos: .atLeastOnce, timeout: .seconds(10))
        }, sink: sink)
        (releaseStream, releaseSignal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public var statistics: Statistics {
        let r = releases.withLock { ($0.repliesSent, $0.replyFailures, $0.pending.count) }
        return Statistics(ingest: ingest.withLock { $0.statistics }, mqtt: client.status, journal: client.journalStatistics,
                          repliesSent: r.0, replyFailures: r.1, pendingReleases: r.2)
    }

    /// One line for banners: broker, client id, journal.
    public var summary: String {
        let c = client.configuration
        return "docks via \(c.broker) as \(c.clientID), journal \(c.journalDirectory ?? "off")"
    }

    /// Live view of one device.
    public func device(_ serial: String) -> DockIngest.Device? { ingest.withLock { $0.devices[serial] } }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.client.run() }
            group.addTask { await self.releaseLoop() }
            group.addTask { await self.reportPeriodically() }
            await consume()
            releaseSignal.finish()
        }
        logger.info("dock link stopped", metadata: [
            "dock.messages": "\(statistics.ingest.messages)", "dock.replies": "\(statistics.repliesSent)",
        ])
    }

    /// One line a minute with the link's counters (the metrics endpoint arrives with the server).
    private func reportPeriodically() async {
        var last: UInt64 = 0
        while !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(60)) }
            } catch {
                return
            }
            let s = statistics
            let rejected = s.ingest.rejected.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            logger.info("dock link", metadata: [
                "dock.messages": "\(s.ingest.messages)", "dock.messages_per_s": "\((s.ingest.messages - last) / 60)",
                "dock.rejected": "\(rejected.isEmpty ? "0" : rejected)", "dock.field_errors": "\(s.ingest.fieldErrors)",
                "dock.no_fix": "\(s.ingest.noFix)", "dock.positions": "\(s.ingest.positions)",
                "dock.alarms_raised": "\(s.ingest.alarmsRaised)", "dock.alarms_cleared": "\(s.ingest.alarmsCleared)",
                "dock.unregistered": "\(s.ingest.unregisteredDevices)", "dock.replies": "\(s.repliesSent)",
                "dock.reply_failures": "\(s.replyFailures)", "mqtt.connected": "\(s.mqtt.connected)",
                "mqtt.reconnects": "\(max(0, s.mqtt.connects - 1))", "mqtt.replayed": "\(s.mqtt.replayed)",
            ])
            last = s.ingest.messages
        }
    }

    private func consume() async {
        var lastTicket: UInt64 = 0
        for await message in client.messages {
            let now = Timestamp.now()
            let outcome = ingest.withLock { $0.ingest(topic: message.topic, payload: message.payload, receivedAt: now) }
            if let (reason, detail) = outcome.rejection {
                logRejection(topic: message.topic, reason: reason.rawValue, detail: detail)
            }
            if !outcome.records.isEmpty { lastTicket = sink.submit(outcome.records) }
            if let reply = outcome.serviceReply, !commander.deliver(reply) {
                logger.debug("services_reply for a command this controller is not waiting for", metadata: [
                    "mqtt.topic": "\(message.topic)", "dock.tid": "\(reply.tid)"])
            }
            if message.journalSequence != nil || !outcome.replies.isEmpty {
                releases.withLock { $0.pending.append((lastTicket, message.journalSequence, outcome.replies)) }
                releaseSignal.yield()
            }
        }
    }

    /// Once records are committed: send the replies they allow and release the journal.
    private func releaseLoop() async {
        for await _ in releaseStream {
            while true {
                let batch = releases.withLock { r -> [(ticket: UInt64, sequence: UInt64?, replies: [OutgoingMessage])] in
                    defer { r.pending.removeAll(keepingCapacity: true) }
                    return r.pending
                }
                guard let last = batch.last else { break }
                do {
                    try await sink.waitUntilCommitted(batch.map(\.ticket).max() ?? last.ticket)
                } catch {
                    // Not committed: keep everything (the journal still holds the messages) and retry.
                    logger.error("store commit failed; replies and journal release wait", metadata: ["store.error": "\(error)"])
                    releases.withLock { $0.pending.insert(contentsOf: batch, at: 0) }
                    try? await Task.sleep(for: .milliseconds(500))
                    continue
                }
                for entry in batch {
                    for reply in entry.replies { await send(reply) }
                }
                if let sequence = batch.compactMap(\.sequence).max() {
                    client.acknowledge(through: sequence)
                }
            }
        }
    }

    private func send(_ reply: OutgoingMessage) async {
        do {
            try await client.publish(reply.topic, payload: reply.payload, qos: .atLeastOnce, timeout: .seconds(5))
            releases.withLock { $0.repliesSent += 1 }
        } catch {
            // The device asks again when it gets no reply.
            releases.withLock { $0.replyFailures += 1 }
            logger.warning("reply not delivered", metadata: ["mqtt.topic": "\(reply.topic)", "mqtt.error": "\(error)"])
        }
    }

    private func logRejection(topic: String, reason: String, detail: String) {
        // One line per device and reason every 10 s: a storm from one device must not drown the log.
        let key = (DockTopic(topic)?.serial ?? "?") + "|" + reason
        let now = ContinuousClock.now
        let log = releases.withLock { r -> Bool in
            if let last = r.lastLogged[key], now - last < .seconds(10) { return false }
            r.lastLogged[key] = now
            if r.lastLogged.count > 10_000 { r.lastLogged.removeAll() }
            return true
        }
        if log {
            logger.warning("dock message refused", metadata: ["mqtt.topic": "\(topic.prefix(200))", "dock.reason": "\(reason)", "dock.detail": "\(detail)"])
        }
    }

    /// Where a flight's route file is, for the dock's `flighttask_resource_get`.
    public func registerRoute(flightID: String, url: String, fingerprint: String) {
        ingest.withLock { $0.routes[flightID] = (url, fingerprint) }
    }

    /// Sends a command to a dock (or the dock of an aircraft) and waits for its outcome.
    public func command(serial: String, method: DockCommand.Method, data: JSONValue, requestedBy: String, bid: String? = nil) async throws -> DockCommandResult {
        let (gateway, profile) = ingest.withLock { ($0.gateway(for: serial), $0.profile(forSerial: serial)) }
        guard let gateway else {
            throw DockCommandError(message: "\(serial) is neither a registered dock nor an aircraft with a known dock")
        }
        return await commander.send(DockCommand(serial: serial, method: method, data: data, requestedBy: requestedBy, bid: bid),
                                    gateway: gateway, profile: profile)
    }
}

public struct DockCommandError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
