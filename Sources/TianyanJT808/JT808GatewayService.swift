import Foundation
import JT808Link
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import TianyanModel

/// A JT/T 808 platform as a radio gateway: a TCP server (`jt808://0.0.0.0:7611`) for PoC
/// handsets and vehicle terminals, one `JT808Connection` per connection on SwiftNIO's event
/// loops. Registrations, positions (fix time from the report), alarms from the alarm word and
/// presence become records; texts go down as `0x8300` in GBK to the terminal's connection,
/// waiting for it when it is not connected.
public final class JT808GatewayService: Service, RadioGateway, Sendable {
    public struct Settings: Sendable {
        public var name: String
        public var host: String
        public var port: Int
        public var profileName: String
        public var connection: JT808Connection.Configuration
        /// More simultaneous connections than this are refused at once (closed).
        public var maxConnections: Int
        /// A text for a terminal that is not connected waits this long for it.
        public var pendingPageSeconds: Double
        public var emergencyRepeatSeconds: Double

        public init(name: String, host: String, port: Int, profileName: String = "jt808", connection: JT808Connection.Configuration? = nil,
                    maxConnections: Int = 30_000, pendingPageSeconds: Double = 600, emergencyRepeatSeconds: Double = 60) {
            self.name = name
            self.host = host
            self.port = port
            self.profileName = profileName
            self.connection = connection ?? .init(gateway: name, secret: UUID().uuidString)
            self.maxConnections = maxConnections
            self.pendingPageSeconds = pendingPageSeconds
            self.emergencyRepeatSeconds = emergencyRepeatSeconds
        }
    }

    struct Counters: Sendable {
        var connections: UInt64 = 0
        var refusedConnections: UInt64 = 0
        var registrations: UInt64 = 0
        var authentications: UInt64 = 0
        var refused: UInt64 = 0
        var positions: UInt64 = 0
        var noFix: UInt64 = 0
        var alarms: UInt64 = 0
        var emergencies: UInt64 = 0
        var pagesRequested: UInt64 = 0
        var pagesFailed: UInt64 = 0
        var malformed: UInt64 = 0
        var unhandled: UInt64 = 0
        var bytesIn: UInt64 = 0
    }

    struct Pending: Sendable {
        var pageID: Int
        var text: String
    }

    private struct State: Sendable {
        var listening = false
        var since: Timestamp?
        var lastError: String?
        var counters = Counters()
        var open = 0
        /// Connected terminals: terminal → its connection.
        var terminals: [String: Link] = [:]
        var pending: [String: [Pending]] = [:]
        var pages: [Int: Page] = [:]
        var nextPage = 0
        var heard: [String: Timestamp] = [:]
        var lastEmergency: [String: Timestamp] = [:]
        var logThrottle = LogThrottle()
    }

    /// One connection's handler, reachable from other threads through its event loop.
    struct Link: Sendable {
        let id: ObjectIdentifier
        let loop: any EventLoop
        let handler: NIOLoopBound<ConnectionHandler>
    }

    public let settings: Settings
    public var name: String { settings.name }
    private let state = Mutex(State())
    private let sink: any RecordSink
    private let directory: RadioDirectory?
    private let logger: Logger
    private let observer: (@Sendable ([StoreRecord]) -> Void)?
    private let runID = PageRun.next()
    /// The port actually bound (the configured one, or the one the system chose for port 0).
    public let boundPort = Mutex<Int?>(nil)

    public init(settings: Settings, sink: any RecordSink, directory: RadioDirectory? = nil, logger: Logger,
                observer: (@Sendable ([StoreRecord]) -> Void)? = nil) {
        self.settings = settings
        self.sink = sink
        self.directory = directory
        var logger = logger
        logger[metadataKey: "gateway"] = "\(settings.name)"
        self.logger = logger
        self.observer = observer
    }

    // MARK: Running

    public func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, min(System.coreCount, 4)))
        await serve(on: group)
        try? await group.shutdownGracefully()
    }

    private func serve(on group: MultiThreadedEventLoopGroup) async {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(service: self))
                }
            }
        let server: any Channel
        var failures = 0
        while true {
            do {
                server = try await bootstrap.bind(host: settings.host, port: settings.port).get()
                break
            } catch {
                failures += 1
                state.withLock { $0.lastError = "cannot listen on \(settings.host):\(settings.port): \(error)" }
                logRateLimited("bind", "JT/T 808 server cannot listen; trying again", ["error": "\(error)"])
                do { try await Task.sleep(for: .seconds(min(30, failures))) } catch { return }
                if Task.isShuttingDownGracefully { return }
            }
        }
        let port = server.localAddress?.port ?? settings.port
        boundPort.withLock { $0 = port }
        state.withLock { s in
            s.listening = true
            s.since = .now()
            s.lastError = nil
        }
        logger.info("JT/T 808 server listening", metadata: ["jt808.address": "\(settings.host):\(port)"])
        await withDiscardingTaskGroup { tasks in
            tasks.addTask { await self.tickLoop() }
            try? await gracefulShutdown()
            server.close(promise: nil)
            tasks.cancelAll()
        }
        try? await server.closeFuture.get()
        state.withLock { $0.listening = false }
        logger.info("JT/T 808 server stopped")
    }

    /// Every second: pages waiting for a terminal that never came fail.
    private func tickLoop() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
            let now = Timestamp.now()
            var expired: [Page] = []
            state.withLock { s in
                for (terminal, list) in s.pending {
                    var keep: [Pending] = []
                    for p in list {
                        guard var page = s.pages[p.pageID] else { continue }
                        if Double(now.milliseconds - page.requestedAt.milliseconds) / 1000 >= settings.pendingPageSeconds {
                            page.state = .failed
                            page.history.append(PageStep(state: .failed, time: now,
                                                         detail: "terminal \(terminal) did not connect within \(Int(settings.pendingPageSeconds)) s"))
                            s.pages[p.pageID] = page
                            s.counters.pagesFailed += 1
                            expired.append(page)
                        } else {
                            keep.append(p)
                        }
                    }
                    s.pending[terminal] = keep.isEmpty ? nil : keep
                }
            }
            submit(expired.map(StoreRecord.page))
        }
    }

    // MARK: Connections (called on the connection's event loop)

    func connectionOpened() -> Bool {
        state.withLock { s in
            guard s.open < settings.maxConnections else {
                s.counters.refusedConnections += 1
                return false
            }
            s.open += 1
            s.counters.connections += 1
            return true
        }
    }

    func connectionClosed(_ link: Link, terminal: String?, reason: String) {
        let now = Timestamp.now()
        let records: [StoreRecord] = state.withLock { s in
            s.open -= 1
            guard let terminal, s.terminals[terminal]?.id == link.id else { return [] }
            s.terminals[terminal] = nil
            return [.radioMessage(RadioMessage(gateway: name, unit: terminal, time: now, kind: .presence, meaning: "offline",
                                               text: "offline: \(reason)"))]
        }
        submit(records)
    }

    /// The terminal of a connection is known (or changed): route texts to it and send what waited.
    func attach(_ link: Link, terminal: String) -> [Pending] {
        state.withLock { s in
            s.terminals[terminal] = link
            return s.pending.removeValue(forKey: terminal) ?? []
        }
    }

    func received(bytes: Int) { state.withLock { $0.counters.bytesIn += UInt64(bytes) } }

    func handle(_ events: [JT808Event]) {
        let now = Timestamp.now()
        let records: [StoreRecord] = state.withLock { s in events.flatMap { translate($0, state: &s, now: now) } }
        submit(records)
    }

    private func submit(_ records: [StoreRecord]) {
        guard !records.isEmpty else { return }
        state.withLock { s in
            for case .sighting(let seen) in records where (s.heard[seen.unit] ?? seen.time) <= seen.time { s.heard[seen.unit] = seen.time }
        }
        sink.submit(records)
        observer?(records)
    }

    private func translate(_ event: JT808Event, state s: inout State, now: Timestamp) -> [StoreRecord] {
        func presence(_ unit: String, _ online: Bool, _ why: String, _ time: Timestamp) -> [StoreRecord] {
            [.radioMessage(RadioMessage(gateway: name, unit: unit, time: time, kind: .presence, meaning: online ? "online" : "offline",
                                        text: "\(online ? "online" : "offline"): \(why)")), .sighting(UnitSighting(unit: unit, kind: .radio, time: time))]
        }
        switch event {
        case .registered(let t, let r, let time):
            s.counters.registrations += 1
            logger.info("JT/T 808 terminal registered", metadata: ["terminal": "\(t)", "model": "\(r.model)", "plate": "\(r.plate)"])
            return presence(t, true, "registered (\(r.manufacturer) \(r.model))", time)
        case .authenticated(let t, let time):
            s.counters.authentications += 1
            return presence(t, true, "authenticated", time)
        case .refused(let t, let why, _):
            s.counters.refused += 1
            if shouldLog("refused", &s) { logger.warning("JT/T 808 terminal refused (counted)", metadata: ["terminal": "\(t)", "why": "\(why)"]) }
            return []
        case .position(let p, _):
            s.counters.positions += 1
            return [.position(p), .sighting(UnitSighting(unit: p.unit, kind: .radio, time: p.time))]
        case .noFix(let t, let time):
            s.counters.noFix += 1
            return [.sighting(UnitSighting(unit: t, kind: .radio, time: time))]
        case .alarm(let t, let names, _, let time):
            s.counters.alarms += 1
            let who = directory?.name(ofRadio: t).map { "\($0) (\(t))" } ?? "terminal \(t)"
            if names.contains("emergency") {
                if let last = s.lastEmergency[t], time.milliseconds - last.milliseconds < Int64(settings.emergencyRepeatSeconds * 1000) { return [] }
                s.lastEmergency[t] = time
                s.counters.emergencies += 1
                logger.critical("EMERGENCY", metadata: ["terminal": "\(t)", "source": "JT/T 808 alarm word"])
                return [.alarm(Alarm(id: "emergency-\(t)-\(time.milliseconds)", unit: t, time: time, kind: "emergency", severity: .emergency,
                                     code: "jt808-alarm-0", text: "Emergency from \(who): SOS in the location report via gateway \(name)"))]
            }
            return [.alarm(Alarm(id: "jt808-\(t)-\(time.milliseconds)", unit: t, time: time, kind: "jt808", severity: .warning, code: "jt808-alarm",
                                 text: "\(who): \(names.joined(separator: ", ")) via gateway \(name)"))]
        case .loggedOut(let t, let time):
            return presence(t, false, "logged out", time)
        case .page(let p):
            guard var page = s.pages[p.id] else { return [] }
            page.state = p.state
            page.history = Array(page.history.prefix(1)) + p.history.dropFirst()
            s.pages[p.id] = page
            if p.state == .failed { s.counters.pagesFailed += 1 }
            return [.page(page)]
        case .unhandled(let t, let id, _):
            s.counters.unhandled += 1
            if shouldLog("unhandled-\(id)", &s) {
                logger.notice("JT/T 808 message not acted on (counted)", metadata: ["terminal": "\(t)", "jt808.id": "0x\(String(id, radix: 16))"])
            }
            return []
        case .malformed(let bytes, let reason):
            s.counters.malformed += 1
            if shouldLog("malformed", &s) { logger.warning("JT/T 808 bytes not understood (counted)", metadata: ["bytes": "\(bytes)", "reason": "\(reason)"]) }
            return []
        }
    }

    // MARK: The radio port

    public var sendsStatusCallouts: Bool { false }

    /// A terminal's phone number: 1 to 17 digits (the registry's id, leading zeros dropped).
    public func isValidAddress(_ text: String) -> Bool { RadioDirectory.isDigits(text) }

    public func lastHeard(_ unit: String) -> Timestamp? { state.withLock { $0.heard[unit] } }

    public func page(_ text: String, to destination: String, target: Page.Target, requestedBy: String) throws(DispatchError) -> Page {
        guard target == .radio else { throw .invalid("gateway \(name) speaks JT/T 808, which has no group texts; page the terminals one by one", field: "to") }
        guard isValidAddress(destination) else { throw .invalid("\"\(destination)\" is not a terminal's phone number", field: "to") }
        guard GBK.encode(text) != nil else { throw .invalid("the text cannot be written in GBK (GB18030)", field: "text") }
        guard text.utf8.count <= 900 else { throw .invalid("the text is too long for one JT/T 808 message (about 450 Chinese characters)", field: "text") }
        let now = Timestamp.now()
        let terminal = String(destination.drop { $0 == "0" })
        let (page, link): (Page, Link?) = state.withLock { s in
            s.nextPage += 1
            let p = Page(id: "PG-\(runID)-\(s.nextPage)", gateway: name, destination: destination, target: .radio, text: text,
                         requestedBy: requestedBy, requestedAt: now, state: .queued, history: [PageStep(state: .queued, time: now)])
            s.pages[s.nextPage] = p
            s.counters.pagesRequested += 1
            let link = s.terminals[terminal]
            if link == nil { s.pending[terminal, default: []].append(Pending(pageID: s.nextPage, text: text)) }
            return (p, link)
        }
        submit([.page(page)])
        if let link, let n = Int(page.id.split(separator: "-").last ?? "") {
            link.loop.execute { link.handler.value.sendText(text, pageID: n) }
        }
        return page
    }

    public func sendStatus(_ status: String, to destination: String, target: Page.Target, requestedBy: String) throws(DispatchError) -> Page {
        throw .invalid("gateway \(name) speaks JT/T 808, which has no status messages; send a text page instead", field: "status")
    }

    public func control(_ action: RadioControlAction, radio: String, requestedBy: String) throws(DispatchError) -> RadioControl {
        throw .invalid("gateway \(name) speaks JT/T 808, which has no radio control", field: "action")
    }

    public func control(id: String) -> RadioControl? { nil }

    /// Asks a connected terminal for its position now (`0x8201`), or to report every `interval`
    /// seconds for `validity` seconds (`0x8202`). False when the terminal is not connected.
    @discardableResult
    public func requestPosition(of terminal: String, interval: UInt16? = nil, validity: UInt32 = 0) -> Bool {
        guard let link = state.withLock({ $0.terminals[terminal] }) else { return false }
        link.loop.execute { link.handler.value.requestPosition(interval: interval, validity: validity) }
        return true
    }

    public func page(id: String) -> Page? { state.withLock { s in s.pages.values.first { $0.id == id } } }

    public var recentPages: [Page] { state.withLock { Array($0.pages.values) }.sorted { $0.requestedAt > $1.requestedAt } }

    public var openCalls: [VoiceCall] { [] }

    public var status: RadioGatewayStatus {
        state.withLock { s in
            let c = s.counters
            let counters: [String: JSONValue] = [
                "bytes_in": .int(c.bytesIn), "connections": .int(c.connections), "refused_connections": .int(c.refusedConnections),
                "registrations": .int(c.registrations), "authentications": .int(c.authentications), "refused": .int(c.refused),
                "positions": .int(c.positions), "no_fix": .int(c.noFix), "alarms": .int(c.alarms), "emergencies": .int(c.emergencies),
                "pages_requested": .int(c.pagesRequested), "pages_failed": .int(c.pagesFailed), "malformed": .int(c.malformed),
                "unhandled": .int(c.unhandled),
            ]
            return RadioGatewayStatus(
                name: name, url: "jt808://\(settings.host):\(boundPort.withLock { $0 } ?? settings.port)", profile: settings.profileName,
                protocolName: "jt808", connected: s.listening, ready: s.listening, since: s.since, lastError: s.lastError,
                details: ["open_connections": .int(s.open), "terminals": .int(s.terminals.count),
                          "pending_pages": .int(s.pending.values.map(\.count).reduce(0, +)), "counters": .object(counters)])
        }
    }

    public var metrics: [Metric] {
        let (c, open, listening) = state.withLock { ($0.counters, $0.open, $0.listening) }
        let l = ["gateway": name]
        func gauge(_ n: String, _ h: String, _ v: Double) -> Metric { .gauge(n, h, labels: l, v) }
        func count(_ n: String, _ h: String, _ v: UInt64) -> Metric { .counter(n, h, labels: l, v) }
        return [
            gauge("tianyan_gateway_connected", "1 while the gateway's line is open", listening ? 1 : 0),
            gauge("tianyan_gateway_ready", "1 while the gateway's radio is initialised and answering", listening ? 1 : 0),
            gauge("tianyan_gateway_open_calls", "voice calls in progress", 0),
            gauge("tianyan_gateway_connections", "terminal connections open", Double(open)),
            count("tianyan_gateway_bytes_received_total", "bytes read from the gateway", c.bytesIn),
            count("tianyan_gateway_positions_total", "location reports with a fix", c.positions),
            count("tianyan_gateway_no_fix_total", "location reports without a fix", c.noFix),
            count("tianyan_gateway_emergencies_total", "emergency alarms raised", c.emergencies),
            count("tianyan_gateway_pages_total", "pages and status callouts requested", c.pagesRequested),
            count("tianyan_gateway_pages_failed_total", "pages that failed", c.pagesFailed),
            count("tianyan_gateway_unhandled_lines_total", "frames from terminals that were not valid (decode errors)", c.malformed),
            count("tianyan_gateway_unhandled_sds_total", "valid messages from terminals the controller does not act on", c.unhandled),
        ]
    }

    private func shouldLog(_ key: String, _ s: inout State) -> Bool { s.logThrottle.allows(key) }

    private func logRateLimited(_ key: String, _ message: Logger.Message, _ metadata: Logger.Metadata) {
        let log = state.withLock { shouldLog(key, &$0) }
        if log { logger.warning(message, metadata: metadata) }
    }
}

/// One terminal's connection in the pipeline: bytes into its `JT808Connection`, answers out.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let service: JT808GatewayService
    private var connection: JT808Connection
    private var context: ChannelHandlerContext?
    private var terminal: String?
    private var timer: RepeatedTask?
    private var accepted = false
    private var closeReason = "the terminal closed the connection"

    init(service: JT808GatewayService) {
        self.service = service
        connection = JT808Connection(configuration: service.settings.connection, at: .now())
    }

    private var link: JT808GatewayService.Link? {
        guard let context else { return nil }
        return .init(id: ObjectIdentifier(self), loop: context.eventLoop, handler: NIOLoopBound(self, eventLoop: context.eventLoop))
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelActive(context: ChannelHandlerContext) {
        accepted = service.connectionOpened()
        guard accepted else {
            context.close(promise: nil)
            return
        }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            bound.value.perform(bound.value.connection.tick(.now()))
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        if accepted, let link {
            service.handle(connection.closed(at: .now(), reason: closeReason).compactMap { if case .event(let e) = $0 { e } else { nil } })
            service.connectionClosed(link, terminal: terminal, reason: closeReason)
        }
        accepted = false
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        service.received(bytes: bytes.count)
        perform(connection.receive(bytes, at: .now()))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        closeReason = "connection error: \(error)"
        context.close(promise: nil)
    }

    func sendText(_ text: String, pageID: Int) {
        guard let (_, actions) = connection.text(text, id: pageID, at: .now()) else { return }
        perform(actions)
    }

    func requestPosition(interval: UInt16?, validity: UInt32) {
        perform(interval.map { connection.track(interval: $0, validity: validity) } ?? connection.positionQuery())
    }

    private func perform(_ actions: [JT808Connection.Action]) {
        guard let context else { return }
        var events: [JT808Event] = []
        var wrote = false
        for a in actions {
            switch a {
            case .send(let bytes):
                context.write(NIOAny(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
                wrote = true
            case .event(let e): events.append(e)
            case .close(let reason):
                closeReason = reason
                context.close(promise: nil)
            }
        }
        if wrote { context.flush() }
        if let t = connection.terminal, t != terminal, let link {
            terminal = t
            for p in service.attach(link, terminal: t) { sendText(p.text, pageID: p.pageID) }
        }
        if !events.isEmpty { service.handle(events) }
    }
}
