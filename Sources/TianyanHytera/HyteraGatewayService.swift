import Foundation
import HyteraLink
import Logging
import SerialPorts
import ServiceLifecycle
import Synchronization
import TianyanModel

/// A Hytera network as a radio gateway: a mobile or control-station radio over HRNP (a serial
/// cable or TCP), or a repeater's "Forward to PC" feed over HSTRP (UDP, one port per service and
/// slot), each driven by its session in HyteraLink. What the radios say becomes records:
/// presence, LP positions (fix time from the report), texts, emergencies, repeater voice calls,
/// page states. Pages go out as TMP texts in UTF-16LE.
///
/// Every input (bytes, datagrams, link events, ticks, requests) goes through the session under
/// one lock and what it sends is queued in that order to a single writer task.
public final class HyteraGatewayService: Service, RadioGateway, Sendable {
    public struct Settings: Sendable {
        public var name: String
        public var url: GatewayURL
        public var profileName: String
        public var session: HRNPSession.Configuration
        /// Set for a repeater feed (`hytera-hstrp`): its session and the channel on each UDP port
        /// (the URL's port plus the profile's offsets). Nil: an HRNP radio on `url`.
        public var repeater: (session: HSTRPSession<UDPListener.Peer>.Configuration, channels: [UInt16: HSTRPSession<UDPListener.Peer>.Channel])?
        public var groupPaging: Bool
        public var emergencyRepeatSeconds: Double
        public var backoff: ReconnectingLink.Backoff
        /// Finished pages are kept in memory this long (they stay in the store).
        public var finishedPageMemorySeconds: Double

        public init(name: String, url: GatewayURL, profileName: String = "hytera-hrnp", session: HRNPSession.Configuration? = nil,
                    groupPaging: Bool = true, emergencyRepeatSeconds: Double = 60, backoff: ReconnectingLink.Backoff = .init(),
                    finishedPageMemorySeconds: Double = 3600,
                    repeater: (session: HSTRPSession<UDPListener.Peer>.Configuration, channels: [UInt16: HSTRPSession<UDPListener.Peer>.Channel])? = nil) {
            self.repeater = repeater
            self.name = name
            self.url = url
            self.profileName = profileName
            self.session = session ?? HRNPSession.Configuration(application: .init(gateway: name))
            self.groupPaging = groupPaging
            self.emergencyRepeatSeconds = emergencyRepeatSeconds
            self.backoff = backoff
            self.finishedPageMemorySeconds = finishedPageMemorySeconds
        }
    }

    /// Counters since start.
    public struct Counters: Sendable, Hashable {
        public var bytesIn: UInt64 = 0
        public var connects: UInt64 = 0
        public var disconnects: UInt64 = 0
        public var registrations: UInt64 = 0
        public var deregistrations: UInt64 = 0
        public var positions: UInt64 = 0
        public var noFix: UInt64 = 0
        public var texts: UInt64 = 0
        public var emergencies: UInt64 = 0
        public var emergencyRepeats: UInt64 = 0
        public var callsStarted: UInt64 = 0
        public var pagesRequested: UInt64 = 0
        public var pagesFailed: UInt64 = 0
        public var controls: UInt64 = 0
        public var locationAnswers: UInt64 = 0
        /// Bytes or PDUs that were not valid (bad checksum, truncated, noise).
        public var malformed: UInt64 = 0
        /// Valid PDUs not acted on (unknown layout, replies to configuration).
        public var unhandled: UInt64 = 0
        public var writeFailures: UInt64 = 0

        var json: [String: JSONValue] {
            ["bytes_in": .int(bytesIn), "connects": .int(connects), "disconnects": .int(disconnects), "registrations": .int(registrations),
             "deregistrations": .int(deregistrations), "positions": .int(positions), "no_fix": .int(noFix), "texts": .int(texts),
             "emergencies": .int(emergencies), "emergency_repeats": .int(emergencyRepeats), "calls_started": .int(callsStarted),
             "pages_requested": .int(pagesRequested), "pages_failed": .int(pagesFailed), "controls": .int(controls),
             "location_answers": .int(locationAnswers), "malformed": .int(malformed), "unhandled": .int(unhandled),
             "write_failures": .int(writeFailures)]
        }
    }

    private struct State: Sendable {
        var session: HyteraEngine
        var connected = false
        var since: Timestamp?
        var lastError: String?
        var rssi: UInt16?
        /// "ready" was logged for the current session.
        var announced = false
        var counters = Counters()
        /// Session page id → controller page.
        var pages: [Int: Page] = [:]
        var controls: [Int: RadioControl] = [:]
        var lastEmergency: [UInt32: Timestamp] = [:]
        var logThrottle = LogThrottle()
        /// When each unit was last heard through this gateway.
        var heard: [String: Timestamp] = [:]
    }

    public let settings: Settings
    public var name: String { settings.name }
    private let link: ReconnectingLink?
    private let listener = Mutex<UDPListener?>(nil)
    private let state: Mutex<State>
    private let sink: any RecordSink
    private let directory: RadioDirectory?
    private let logger: Logger
    private let writes: AsyncStream<HyteraEngine.Out>
    private let writesContinuation: AsyncStream<HyteraEngine.Out>.Continuation
    private let runID: Int64
    private let observer: (@Sendable ([StoreRecord]) -> Void)?

    public init(settings: Settings, sink: any RecordSink, directory: RadioDirectory? = nil, logger: Logger,
                factory: SerialLinkFactory? = nil, observer: (@Sendable ([StoreRecord]) -> Void)? = nil) {
        self.settings = settings
        self.sink = sink
        self.directory = directory
        var logger = logger
        logger[metadataKey: "gateway"] = "\(settings.name)"
        self.logger = logger
        self.observer = observer
        if let repeater = settings.repeater {
            link = nil
            state = Mutex(State(session: .hstrp(HSTRPSession(configuration: repeater.session), channels: repeater.channels)))
        } else {
            link = ReconnectingLink(url: settings.url, backoff: settings.backoff, factory: factory ?? SerialLinkFactory(logger: logger))
            state = Mutex(State(session: .hrnp(HRNPSession(configuration: settings.session))))
        }
        (writes, writesContinuation) = AsyncStream.makeStream(of: HyteraEngine.Out.self, bufferingPolicy: .unbounded)
        runID = PageRun.next()
    }

    // MARK: Running

    public func run() async throws {
        logger.info("Hytera gateway starting", metadata: ["gateway.url": "\(settings.url)", "gateway.profile": "\(settings.profileName)"])
        guard let link else { return try await runRepeaterFeed() }
        await withDiscardingTaskGroup { group in
            group.addTask { await link.run() }
            group.addTask { await self.followLinkEvents() }
            group.addTask { await self.writeLoop() }
            group.addTask { await self.tickLoop() }
            group.addTask {
                try? await gracefulShutdown()
                link.close()
                self.writesContinuation.finish()
            }
            for await chunk in link.bytes {
                let now = Timestamp.now()
                process(at: now) { $0.receive(chunk, at: now) } update: { $0.counters.bytesIn += UInt64(chunk.count) }
            }
            self.writesContinuation.finish()
            group.cancelAll()
        }
        let now = Timestamp.now()
        process(at: now) { $0.linkLost(at: now, reason: "controller stopped") }
        logger.info("Hytera gateway stopped", metadata: ["gateway.bytes_in": "\(counters.bytesIn)"])
    }

    private func followLinkEvents() async {
        guard let link else { return }
        for await event in link.events {
            let now = Timestamp.now()
            switch event {
            case .connected(let device):
                process(at: now) { $0.start(at: now) } update: { s in
                    s.connected = true
                    s.since = now
                    s.counters.connects += 1
                }
                logger.info("Hytera gateway line open; connecting HRNP", metadata: ["serial.port": "\(device)"])
            case .lost(let reason):
                let was = state.withLock { $0.connected }
                process(at: now) { $0.linkLost(at: now, reason: "link lost: \(reason)") } update: { s in
                    if s.connected {
                        s.counters.disconnects += 1
                        s.since = now
                    }
                    s.connected = false
                    s.lastError = reason
                }
                if was { logger.warning("Hytera gateway link lost", metadata: ["reason": "\(reason)"]) }
            case .reconnecting:
                break
            }
        }
    }

    private func writeLoop() async {
        for await out in writes {
            do {
                switch out {
                case .bytes(let bytes): try await link?.write(bytes)
                case .datagram(let bytes, let port, let peer): try listener.withLock { $0 }?.send(bytes, to: peer, from: port)
                case .event: break
                }
            } catch {
                // The packet is sent again, or its page fails, when the radio does not acknowledge it.
                state.withLock {
                    $0.counters.writeFailures += 1
                    $0.lastError = error.message
                }
                logRateLimited("write", "Hytera gateway write failed", ["error": "\(error.message)"])
            }
        }
    }

    private func tickLoop() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .milliseconds(200)) } catch { return }
            let now = Timestamp.now()
            process(at: now) { $0.tick(now) } update: { s in
                guard s.pages.count > 1000 else { return }
                let horizon = now.adding(seconds: -self.settings.finishedPageMemorySeconds)
                s.pages = s.pages.filter { !$0.value.isFinal || $0.value.updated >= horizon }
                s.session.forgetFinished()
            }
        }
    }

    /// The repeater feed: binds the UDP ports (trying again while they cannot be bound), hands
    /// each datagram to the HSTRP session, until the controller stops.
    private func runRepeaterFeed() async throws {
        guard let repeater = settings.repeater, case .udp(let host, _, _) = settings.url.endpoint else { return }
        let ports = repeater.channels.keys.sorted()
        await withDiscardingTaskGroup { group in
            group.addTask { await self.writeLoop() }
            group.addTask { await self.tickLoop() }
            group.addTask {
                try? await gracefulShutdown()
                self.listener.withLock { $0?.close() }
                self.writesContinuation.finish()
            }
            var failures = 0
            while !Task.isCancelled, !Task.isShuttingDownGracefully {
                let opened: UDPListener
                do throws(SerialPortError) {
                    opened = try UDPListener.open(host: host, ports: ports, logger: logger)
                } catch {
                    state.withLock { $0.lastError = error.message }
                    logRateLimited("bind", "Hytera repeater feed: cannot listen; trying again", ["error": "\(error.message)"])
                    failures += 1
                    try? await Task.sleep(for: settings.backoff.delay(afterFailures: failures))
                    continue
                }
                listener.withLock { $0 = opened }
                let now = Timestamp.now()
                state.withLock { s in
                    s.connected = true
                    s.since = now
                    s.counters.connects += 1
                }
                logger.info("Hytera repeater feed listening", metadata: ["udp.host": "\(host)", "udp.ports": "\(ports.map(String.init).joined(separator: ","))"])
                for await d in opened.datagrams {
                    let at = Timestamp.now()
                    process(at: at) { $0.receive(datagram: d.bytes, port: d.port, from: d.from, at: at) } update: {
                        $0.counters.bytesIn += UInt64(d.bytes.count)
                    }
                }
                state.withLock { $0.connected = false }
                break
            }
            self.writesContinuation.finish()
            group.cancelAll()
        }
        let now = Timestamp.now()
        process(at: now) { $0.linkLost(at: now, reason: "controller stopped") }
        logger.info("Hytera repeater feed stopped", metadata: ["gateway.bytes_in": "\(counters.bytesIn)"])
    }

    // MARK: Requests

    public func isValidAddress(_ text: String) -> Bool { Self.radioID(text) != nil }

    /// HDAP has no status messages.
    public var sendsStatusCallouts: Bool { false }

    /// A Hytera radio or group ID: 1 to 16,776,415 (24 bits, the top ones reserved for all-calls).
    static func radioID(_ text: String) -> UInt32? {
        guard RadioDirectory.isDigits(text), text.utf8.count <= 8, let v = UInt32(text), (1...0xFF_FCDF).contains(v) else { return nil }
        return v
    }

    public func page(_ text: String, to destination: String, target: Page.Target, requestedBy: String) throws(DispatchError) -> Page {
        guard let id = Self.radioID(destination) else {
            throw .invalid("\"\(destination)\" is not a Hytera radio or group ID (1 to 16776415)", field: "to")
        }
        if target == .talkgroup, !settings.groupPaging {
            throw .invalid("gateway \(name) (profile \(settings.profileName)) does not allow group paging", field: "text")
        }
        // TMP length is 16 bits; a radio shows at most a few hundred characters.
        guard text.utf16.count <= 256 else {
            throw .invalid("the text is \(text.utf16.count) UTF-16 units; a Hytera text message takes at most 256", field: "text")
        }
        let now = Timestamp.now()
        var made: Page?
        process(at: now) { session in
            let (record, actions) = session.page(text, to: id, group: target == .talkgroup, at: now)
            if let record {
                made = Page(id: "PG-\(self.runID)-\(record.id)", gateway: self.name, destination: destination, target: target, text: text,
                            requestedBy: requestedBy, requestedAt: now, state: record.state, history: record.history)
            }
            return actions
        } update: { s in
            guard let made, let n = Int(made.id.split(separator: "-").last ?? "") else { return }
            s.counters.pagesRequested += 1
            s.pages[n] = made
        }
        guard let made else { throw .invalid("not queued", field: "text") }
        sink.submit([.page(made)])
        return made
    }

    public func sendStatus(_ status: String, to destination: String, target: Page.Target, requestedBy: String) throws(DispatchError) -> Page {
        throw .invalid("gateway \(name) speaks Hytera HDAP, which has no status messages; send a text page instead", field: "status")
    }

    /// A radio check, remote monitor, stun or revive of `radio` (RCP supplementary services).
    public func control(_ action: RadioControlAction, radio: String, requestedBy: String) throws(DispatchError) -> RadioControl {
        guard let id = Self.radioID(radio) else { throw .invalid("\"\(radio)\" is not a Hytera radio ID (1 to 16776415)", field: "to") }
        let hytera: HyteraControl.Action = switch action {
        case .radioCheck: .radioCheck
        case .remoteMonitor: .remoteMonitor
        case .stun: .stun
        case .revive: .revive
        }
        let now = Timestamp.now()
        var made: RadioControl?
        process(at: now) { session in
            let (c, actions) = session.control(hytera, target: id, at: now)
            if let c {
                made = RadioControl(id: "RC-\(self.runID)-\(c.id)", gateway: self.name, radio: radio, action: action, requestedBy: requestedBy,
                                    requestedAt: now)
            }
            return actions
        } update: { s in
            if let made, let n = Int(made.id.split(separator: "-").last ?? "") { s.controls[n] = made }
        }
        guard let made else { throw .invalid("not queued", field: "action") }
        logger.notice("radio control requested", metadata: ["control.action": "\(action.rawValue)", "radio.id": "\(radio)", "by": "\(requestedBy)"])
        return made
    }

    public func control(id: String) -> RadioControl? { state.withLock { s in s.controls.values.first { $0.id == id } } }

    public func page(id: String) -> Page? { state.withLock { s in s.pages.values.first { $0.id == id } } }

    public func lastHeard(_ unit: String) -> Timestamp? { state.withLock { $0.heard[unit] } }

    public var recentPages: [Page] { state.withLock { Array($0.pages.values) }.sorted { $0.requestedAt > $1.requestedAt } }

    public var openCalls: [VoiceCall] { state.withLock { $0.session.application.openCalls } }

    public var counters: Counters { state.withLock { $0.counters } }

    // MARK: Status

    public var status: RadioGatewayStatus {
        let now = Timestamp.now()
        return state.withLock { s in
            var details = s.session.details
            details["own_radio_id"] = s.session.application.ownRadio.map { .int(UInt64($0)) } ?? .null
            details["rssi_level"] = s.rssi.map { .int(UInt64($0)) } ?? .null
            details["counters"] = .object(s.counters.json)
            return RadioGatewayStatus(
                name: name, url: settings.url.description, profile: settings.profileName, protocolName: s.session.protocolName,
                connected: s.connected, ready: s.connected && s.session.isReady(at: now), since: s.since, lastError: s.lastError,
                openCalls: s.session.application.openCalls.count, details: details)
        }
    }

    public var metrics: [Metric] {
        let now = Timestamp.now()
        let (c, ready, connected, calls) = state.withLock { ($0.counters, $0.session.isReady(at: now), $0.connected, $0.session.application.openCalls.count) }
        let l = ["gateway": name]
        func gauge(_ n: String, _ h: String, _ v: Double) -> Metric { .gauge(n, h, labels: l, v) }
        func count(_ n: String, _ h: String, _ v: UInt64) -> Metric { .counter(n, h, labels: l, v) }
        return [
            gauge("tianyan_gateway_connected", "1 while the gateway's line is open", connected ? 1 : 0),
            gauge("tianyan_gateway_ready", "1 while the gateway's radio is initialised and answering", connected && ready ? 1 : 0),
            gauge("tianyan_gateway_open_calls", "voice calls in progress", Double(calls)),
            count("tianyan_gateway_bytes_received_total", "bytes read from the gateway", c.bytesIn),
            count("tianyan_gateway_disconnects_total", "times the gateway's line was lost", c.disconnects),
            count("tianyan_gateway_calls_total", "voice calls started", c.callsStarted),
            count("tianyan_gateway_positions_total", "location reports with a fix", c.positions),
            count("tianyan_gateway_no_fix_total", "location reports without a fix", c.noFix),
            count("tianyan_gateway_emergencies_total", "emergency alarms raised", c.emergencies),
            count("tianyan_gateway_pages_total", "pages and status callouts requested", c.pagesRequested),
            count("tianyan_gateway_pages_failed_total", "pages that failed", c.pagesFailed),
            count("tianyan_gateway_unhandled_lines_total", "frames or PDUs from the radio that were not valid (decode errors)", c.malformed),
            count("tianyan_gateway_unhandled_sds_total", "valid PDUs from the radio the controller does not act on", c.unhandled),
        ]
    }

    // MARK: The session's actions

    private func process(at now: Timestamp, _ body: (inout HyteraEngine) -> [HyteraEngine.Out], update: (inout State) -> Void = { _ in }) {
        let records: [StoreRecord] = state.withLock { s in
            let actions = body(&s.session)
            update(&s)
            var records: [StoreRecord] = []
            for a in actions {
                switch a {
                case .bytes, .datagram: writesContinuation.yield(a)
                case .event(let e): records += translate(e, state: &s, now: now)
                }
            }
            for case .sighting(let seen) in records where (s.heard[seen.unit] ?? seen.time) <= seen.time { s.heard[seen.unit] = seen.time }
            return records
        }
        if !records.isEmpty {
            sink.submit(records)
            observer?(records)
        }
    }

    private func translate(_ event: HyteraEvent, state s: inout State, now: Timestamp) -> [StoreRecord] {
        switch event {
        case .sessionOpen:
            s.lastError = nil
            logger.info(s.session.protocolName == "hytera-hstrp" ? "Hytera repeater heard" : "Hytera radio accepted the HRNP session")
            return []
        case .sessionDown(let reason, _):
            s.lastError = reason
            s.announced = false
            logger.warning("Hytera session down", metadata: ["reason": "\(reason)"])
            return []
        case .ownRadio(let id):
            // Also the answer to each keep-alive query: said once per session.
            if !s.announced { logger.info("Hytera gateway ready", metadata: ["gateway.radio_id": "\(id)"]) }
            s.announced = true
            return []
        case .presence(let radio, let online, let reason, let time):
            if online { s.counters.registrations += 1 } else { s.counters.deregistrations += 1 }
            let unit = String(radio)
            return [.radioMessage(RadioMessage(gateway: name, unit: unit, time: time, kind: .presence, meaning: online ? "online" : "offline",
                                               text: "\(online ? "online" : "offline"): \(reason)"))]
                + sighting(unit, at: time)
        case .position(let p, _):
            s.counters.positions += 1
            return [.position(p)] + sighting(p.unit, at: p.time)
        case .noFix(let radio, let reason, let time):
            s.counters.noFix += 1
            if shouldLog("nofix", &s) { logger.info("location report without a fix", metadata: ["radio.id": "\(radio)", "reason": "\(reason)"]) }
            return sighting(String(radio), at: time)
        case .emergency(let radio, let source, let time):
            if let last = s.lastEmergency[radio], time.milliseconds - last.milliseconds < Int64(settings.emergencyRepeatSeconds * 1000) {
                s.counters.emergencyRepeats += 1
                return []
            }
            s.lastEmergency[radio] = time
            s.counters.emergencies += 1
            let unit = String(radio)
            let who = directory?.name(ofRadio: unit).map { "\($0) (\(unit))" } ?? "radio \(unit)"
            logger.critical("EMERGENCY", metadata: ["radio.id": "\(unit)", "emergency.source": "\(source)"])
            return [.alarm(Alarm(id: "emergency-\(unit)-\(time.milliseconds)", unit: unit, time: time, kind: "emergency", severity: .emergency,
                                 code: "hytera-emergency", text: "Emergency from \(who): \(source) via gateway \(name)"))]
                + sighting(unit, at: time)
        case .text(let from, let to, let group, let text, let time):
            s.counters.texts += 1
            return [.radioMessage(RadioMessage(gateway: name, unit: String(from), time: time, kind: .text, text: text,
                                               called: group ? String(to) : String(to)))]
                + sighting(String(from), at: time)
        case .shortData(let from, _, _, let bytes, let time):
            s.counters.unhandled += 1
            if shouldLog("shortdata", &s) {
                logger.notice("short data from a radio (counted)", metadata: ["radio.id": "\(from)", "data": "\(hexString(bytes.prefix(64)))"])
            }
            return sighting(String(from), at: time)
        case .page(let record):
            guard var page = s.pages[record.id] else { return [] }
            page.state = record.state
            page.history = record.history
            s.pages[record.id] = page
            if record.state == .failed { s.counters.pagesFailed += 1 }
            logger.info("page \(page.state)", metadata: ["page.id": "\(page.id)", "page.to": "\(page.destination)",
                                                          "page.detail": "\(record.history.last?.detail ?? "")"])
            return [.page(page)]
        case .configured(let what, let ok):
            if ok { logger.info("radio configured", metadata: ["what": "\(what)"]) } else {
                s.lastError = "the radio refused \(what)"
                logger.warning("the radio refused a bring-up request", metadata: ["what": "\(what)"])
            }
            return []
        case .radioStatus(let target, let value, _):
            if target == RCPMessage.StatusTarget.rssi.rawValue { s.rssi = value }
            return []
        case .call(let call):
            if call.transmissions.count == 1, call.end == nil, call.transmissions[0].end == nil { s.counters.callsStarted += 1 }
            let talker = call.transmissions.last?.talker ?? call.caller
            return [.voiceCall(call)] + sighting(talker, at: call.transmissions.last?.start ?? call.start)
        case .controlResult(let c):
            s.counters.controls += 1
            s.controls[c.id]?.outcome = c.outcome
            s.controls[c.id]?.answeredAt = c.answered
            logger.notice("radio control answered", metadata: ["control.action": "\(c.action.rawValue)", "radio.id": "\(c.target)",
                                                                "control.outcome": "\(c.outcome ?? "")"])
            return [.audit(AuditEntry(time: now, actor: "radio \(c.target)", action: c.action.rawValue, target: String(c.target),
                                      outcome: c.outcome == "ok" ? "done" : "failed", detail: "answered via gateway \(name)"))]
        case .locationAnswer(let radio, let what, let result, _):
            s.counters.locationAnswers += 1
            if shouldLog("lpanswer", &s) {
                logger.info("location answer", metadata: ["radio.id": "\(radio)", "what": "\(what)", "result": "\(result)"])
            }
            return []
        case .unhandled(let service, let opcode, let raw, let reason):
            s.counters.unhandled += 1
            if shouldLog("unhandled-\(service)-\(opcode)", &s) {
                logger.notice("Hytera PDU not acted on (counted)", metadata: [
                    "hdap.service": "\(service)", "hdap.opcode": "0x\(String(opcode, radix: 16))", "reason": "\(reason)",
                    "hdap.raw": "\(hexString(raw.prefix(128)))"])
            }
            return []
        case .malformed(let bytes, let reason):
            s.counters.malformed += 1
            if shouldLog("malformed", &s) {
                logger.warning("bytes from the radio not understood (counted)", metadata: ["bytes": "\(bytes)", "reason": "\(reason)"])
            }
            return []
        }
    }

    private func sighting(_ unit: String, at time: Timestamp) -> [StoreRecord] {
        guard Self.radioID(unit) != nil else { return [] }
        return [.sighting(UnitSighting(unit: unit, kind: .radio, time: time))]
    }

    private func shouldLog(_ key: String, _ s: inout State) -> Bool { s.logThrottle.allows(key) }

    private func logRateLimited(_ key: String, _ message: Logger.Message, _ metadata: Logger.Metadata) {
        let log = state.withLock { shouldLog(key, &$0) }
        if log { logger.warning(message, metadata: metadata) }
    }
}
