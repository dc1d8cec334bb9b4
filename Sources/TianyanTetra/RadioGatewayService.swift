import Foundation
import Logging
import RadioLink
import SerialPorts
import ServiceLifecycle
import Synchronization
import TianyanModel

/// One radio gateway as a service: a reconnecting byte link (serial or TCP) driving the PEI
/// engine. What the engine learns becomes records for the writer: voice calls with their talkers,
/// LIP positions, status and text messages, emergency alarms, page states. Pages go out through
/// `page(_:to:target:requestedBy:)`.
///
/// Every input (bytes, link events, clock ticks, page requests) goes through the engine under one
/// lock, and the bytes it asks to write are queued in that same order to a single writer task, so
/// the line sees exactly one command at a time in the engine's order.
public final class RadioGatewayService: Service, Sendable {
    public struct Settings: Sendable {
        /// The gateway's name, as in `--gateway NAME=URL`.
        public var name: String
        public var url: GatewayURL
        public var profileName: String
        public var engine: PEIEngine.Configuration
        /// What each status value means in this gateway's profile (`accepted`, `en_route`, …) and its label.
        public var statuses: [UInt16: RadioStatusMeaning]
        public var groupPaging: Bool
        /// Whether dispatchers may send status callouts through this gateway.
        public var statusCallouts: Bool
        /// A second emergency from the same unit within this many seconds is counted, not raised again.
        public var emergencyRepeatSeconds: Double
        public var backoff: ReconnectingLink.Backoff
        /// Finished pages are kept in memory this long for followers (they stay in the store).
        public var finishedPageMemorySeconds: Double
        /// A page accepted by the radio with no sent/failed report after this long ends failed.
        public var unconfirmedPageSeconds: Double

        public init(name: String, url: GatewayURL, profileName: String = "generic-pei", engine: PEIEngine.Configuration? = nil,
                    statuses: [UInt16: RadioStatusMeaning] = [:], groupPaging: Bool = true, statusCallouts: Bool = true, emergencyRepeatSeconds: Double = 60,
                    backoff: ReconnectingLink.Backoff = .init(), finishedPageMemorySeconds: Double = 3600,
                    unconfirmedPageSeconds: Double = 300) {
            self.name = name
            self.url = url
            self.profileName = profileName
            self.engine = engine ?? PEIEngine.Configuration(gateway: name)
            self.statuses = statuses
            self.groupPaging = groupPaging
            self.statusCallouts = statusCallouts
            self.emergencyRepeatSeconds = emergencyRepeatSeconds
            self.backoff = backoff
            self.finishedPageMemorySeconds = finishedPageMemorySeconds
            self.unconfirmedPageSeconds = unconfirmedPageSeconds
        }
    }

    /// Counters since start, for the log, `/healthz` and the metrics.
    public struct Counters: Sendable, Hashable, Codable {
        public var bytesIn: UInt64 = 0
        public var connects: UInt64 = 0
        public var disconnects: UInt64 = 0
        public var callsStarted: UInt64 = 0
        public var callsEnded: UInt64 = 0
        public var transmissions: UInt64 = 0
        public var positions: UInt64 = 0
        public var noFix: UInt64 = 0
        public var statuses: UInt64 = 0
        public var emergencies: UInt64 = 0
        public var emergencyRepeats: UInt64 = 0
        public var texts: UInt64 = 0
        public var pagesRequested: UInt64 = 0
        public var pagesFailed: UInt64 = 0
        public var unhandledLines: UInt64 = 0
        /// SDS the controller does not act on (other protocols, undecodable PDUs, given-up concatenations).
        public var unhandledSDS: UInt64 = 0
        /// LIP responses (to trigger, parameter, reporting and backlog requests) and report acknowledgements.
        public var locationResponses: UInt64 = 0
        public var writeFailures: UInt64 = 0
        public var unresponsive: UInt64 = 0
    }

    /// What `/healthz` and `GET /api/v1/gateways` show.
    public struct Status: Sendable, Hashable, Codable {
        public var name: String
        public var url: String
        public var profile: String
        public var connected: Bool
        /// Initialised and answering.
        public var ready: Bool
        public var ownIdentity: String?
        public var since: Timestamp?
        public var lastError: String?
        public var openCalls: Int
        public var queuedCommands: Int
        public var signalDBm: Int?
        public var counters: Counters
        public var engineTimeouts: Int
        public var orphanedSDSHeaders: Int
        public var overlongLines: Int
    }

    struct PendingRetry: Sendable {
        var pageID: String
        var due: Timestamp
    }

    /// `+CME ERROR` codes after which the radio certainly did not send: MT busy in signalling (42),
    /// out of service (30). Such a page is tried again; any other failure is final.
    static let retryableRefusals = ["+CME ERROR: 42", "+CME ERROR: 30"]
    static let pageAttempts = 3

    private struct State: Sendable {
        var engine: PEIEngine
        var connected = false
        var since: Timestamp?
        var lastError: String?
        var signalDBm: Int?
        var counters = Counters()
        /// Engine page id → controller page id.
        var pageIDs: [Int: String] = [:]
        var pages: [String: Page] = [:]
        /// Steps of earlier attempts of a page the radio refused without sending (MT busy, out of service).
        var earlierSteps: [String: [PageStep]] = [:]
        var retries: [PendingRetry] = []
        var lastEmergency: [String: Timestamp] = [:]
        var logThrottle = LogThrottle()
        /// When each unit was last heard through this gateway.
        var heard: [String: Timestamp] = [:]
    }

    public let settings: Settings
    public var name: String { settings.name }
    private let link: ReconnectingLink
    private let state: Mutex<State>
    private let sink: any RecordSink
    private let directory: RadioDirectory?
    private let logger: Logger
    private let writes: AsyncStream<[UInt8]>
    private let writesContinuation: AsyncStream<[UInt8]>.Continuation
    private let runID: Int64
    /// Called with every record batch right after it is handed to the writer (the live feed, tests).
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
        link = ReconnectingLink(url: settings.url, backoff: settings.backoff, factory: factory ?? SerialLinkFactory(logger: logger))
        state = Mutex(State(engine: PEIEngine(configuration: settings.engine)))
        (writes, writesContinuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .unbounded)
        runID = PageRun.next()
    }

    // MARK: Running

    public func run() async throws {
        logger.info("radio gateway starting", metadata: ["gateway.url": "\(settings.url)", "gateway.profile": "\(settings.profileName)"])
        await withDiscardingTaskGroup { group in
            group.addTask { await self.link.run() }
            group.addTask { await self.followLinkEvents() }
            group.addTask { await self.writeLoop() }
            group.addTask { await self.tickLoop() }
            group.addTask { await self.reportPeriodically() }
            group.addTask {
                // Graceful shutdown closes the link; every loop above then ends.
                try? await gracefulShutdown()
                self.link.close()
                self.writesContinuation.finish()
            }
            for await chunk in link.bytes {
                let now = Timestamp.now()
                process(at: now) { engine in
                    engine.handle(.bytesReceived(chunk, at: now))
                } update: { $0.counters.bytesIn += UInt64(chunk.count) }
            }
            // The link finished (closed): stop the other loops.
            self.writesContinuation.finish()
            group.cancelAll()
        }
        // Whatever was open is closed as "link lost" so the voice log stays consistent.
        let now = Timestamp.now()
        process(at: now) { engine in
            engine.isReady || engine.commandInFlight != nil || !engine.openCalls.isEmpty
                ? engine.linkLost(at: now, reason: "controller stopped") : []
        }
        logger.info("radio gateway stopped", metadata: ["gateway.bytes_in": "\(counters.bytesIn)"])
    }

    private func followLinkEvents() async {
        for await event in link.events {
            let now = Timestamp.now()
            switch event {
            case .connected(let device):
                process(at: now) { $0.start(at: now) } update: { s in
                    s.connected = true
                    s.since = now
                    s.counters.connects += 1
                }
                logger.info("radio gateway connected; initialising", metadata: ["serial.port": "\(device)"])
            case .lost(let reason):
                let wasConnected = state.withLock { $0.connected }
                process(at: now) { engine in
                    wasConnected ? engine.linkLost(at: now, reason: "link lost: \(reason)") : []
                } update: { s in
                    if s.connected {
                        s.counters.disconnects += 1
                        s.since = now
                    }
                    s.connected = false
                    s.lastError = reason
                }
                if wasConnected { logger.warning("radio gateway link lost", metadata: ["reason": "\(reason)"]) }
            case .reconnecting:
                break
            }
        }
    }

    private func writeLoop() async {
        for await bytes in writes {
            do {
                try await link.write(bytes)
            } catch {
                // The command times out in the engine; a page in flight then ends as failed, not resent.
                state.withLock {
                    $0.counters.writeFailures += 1
                    $0.lastError = error.message
                }
                logRateLimited("write", "radio gateway write failed", ["error": "\(error.message)"])
            }
        }
    }

    private func tickLoop() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .milliseconds(200)) } catch { return }
            let now = Timestamp.now()
            retryDuePages(now: now)
            process(at: now) { engine in
                engine.handle(.tick(now)) + engine.expireUnconfirmedPages(olderThan: self.settings.unconfirmedPageSeconds, now: now)
            } update: { s in
                let horizon = now.adding(seconds: -self.settings.finishedPageMemorySeconds)
                if s.pages.count > 1000 {
                    s.pages = s.pages.filter { !$0.value.isFinal || $0.value.updated >= horizon }
                    s.engine.forgetFinishedPages()
                    let live = Set(s.engine.pages.map(\.id))
                    s.pageIDs = s.pageIDs.filter { live.contains($0.key) }
                }
            }
        }
    }

    private func reportPeriodically() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: .seconds(60)) } catch { return }
            let s = pei
            let c = s.counters
            logger.info("radio gateway", metadata: [
                "gateway.connected": "\(s.connected)", "gateway.ready": "\(s.ready)", "gateway.bytes_in": "\(c.bytesIn)",
                "gateway.calls": "\(c.callsStarted)", "gateway.positions": "\(c.positions)", "gateway.no_fix": "\(c.noFix)",
                "gateway.statuses": "\(c.statuses)", "gateway.emergencies": "\(c.emergencies)", "gateway.pages": "\(c.pagesRequested)",
                "gateway.unhandled_lines": "\(c.unhandledLines)", "gateway.timeouts": "\(s.engineTimeouts)",
                "gateway.reconnects": "\(c.disconnects)",
            ])
        }
    }

    // MARK: Pages

    /// Queues a page; returns it in state `queued` (or throws with a reason a dispatcher can read).
    /// The text goes out hex-encoded in one SDS; it is never sent twice.
    public func page(_ text: String, to destination: String, target: Page.Target, requestedBy: String) throws(DispatchError) -> Page {
        try submit(text: text, status: nil, to: destination, target: target, requestedBy: requestedBy, field: "text")
    }

    /// Queues a status callout (a status SDS, e.g. "return to base") as the profile allows.
    public func sendStatus(_ value: UInt16, to destination: String, target: Page.Target, requestedBy: String) throws(DispatchError) -> Page {
        guard settings.statusCallouts else {
            throw .invalid("gateway \(name) (profile \(settings.profileName)) does not allow status callouts", field: "status")
        }
        let label = settings.statuses[value]?.label ?? PEIEngine.statusText(value)
        return try submit(text: label, status: value, to: destination, target: target, requestedBy: requestedBy, field: "status")
    }

    /// A status callout named as a dispatcher types it: a value (`32772`, `0x8004`) or a meaning or
    /// label of the gateway's profile (`en_route`, `On scene`). The emergency status is never sent.
    public func sendStatus(_ status: String, to destination: String, target: Page.Target, requestedBy: String) throws(DispatchError) -> Page {
        try sendStatus(try Self.statusValue(status, in: settings.statuses), to: destination, target: target, requestedBy: requestedBy)
    }

    static func statusValue(_ text: String, in table: [UInt16: RadioStatusMeaning]) throws(DispatchError) -> UInt16 {
        let t = text.trimmingCharacters(in: .whitespaces)
        let value: UInt16?
        if t.lowercased().hasPrefix("0x") { value = UInt16(t.dropFirst(2), radix: 16) } else if let n = UInt16(t) { value = n } else {
            value = table.values.first { $0.meaning.rawValue == t.lowercased() || $0.label.lowercased() == t.lowercased() }?.value
        }
        let known = table.values.filter { $0.meaning != .emergency }.sorted { $0.value < $1.value }
            .map { "\(PEIEngine.statusText($0.value)) \($0.meaning.rawValue) (\($0.label))" }.joined(separator: ", ")
        guard let value else {
            throw .invalid("\"\(text)\" is not a status value or a status of the gateway's profile; known: \(known)", field: "status")
        }
        guard value != 0, table[value]?.meaning != .emergency else {
            throw .invalid("the emergency status is sent by radios, never by a dispatcher", field: "status")
        }
        return value
    }

    private func submit(text: String, status: UInt16?, to destination: String, target: Page.Target, requestedBy: String,
                        field: String) throws(DispatchError) -> Page {
        if target == .talkgroup, !settings.groupPaging {
            throw .invalid("gateway \(name) (profile \(settings.profileName)) does not allow group paging", field: field)
        }
        let now = Timestamp.now()
        var result: Result<(page: Page, engineID: Int), DispatchError> = .failure(.invalid("not queued", field: field))
        process(at: now) { engine in
            do throws(RadioLinkError) {
                let (record, actions) = try Self.enqueue(&engine, text: text, status: status, to: destination, at: now)
                let page = Page(id: "PG-\(self.runID)-\(record.id)", gateway: self.name, destination: destination, target: target,
                                text: text, status: status.map(Int.init), requestedBy: requestedBy, requestedAt: now,
                                state: record.state, history: Self.steps(of: record))
                result = .success((page, record.id))
                return actions
            } catch {
                result = .failure(.invalid(error.message, field: field))
                return []
            }
        } update: { s in
            // Before the engine's actions are translated, so that its "queued" event finds the page.
            guard case .success(let made) = result else { return }
            s.counters.pagesRequested += 1
            s.pageIDs[made.engineID] = made.page.id
            s.pages[made.page.id] = made.page
        }
        return try result.get().page
    }

    /// Queues again the pages whose retry is due (same page id; the history keeps every attempt).
    private func retryDuePages(now: Timestamp) {
        let due = state.withLock { s -> [Page] in
            let ready = s.retries.filter { $0.due <= now }
            s.retries.removeAll { $0.due <= now }
            return ready.compactMap { s.pages[$0.pageID] }
        }
        for page in due {
            var engineID: Int?
            var failure: String?
            process(at: now) { engine in
                do throws(RadioLinkError) {
                    let (record, actions) = try Self.enqueue(&engine, text: page.text, status: page.status.map(UInt16.init),
                                                             to: page.destination, at: now)
                    engineID = record.id
                    return actions
                } catch {
                    failure = error.message
                    return []
                }
            } update: { s in
                if let engineID { s.pageIDs[engineID] = page.id }
            }
            if let failure { logger.error("page retry not queued", metadata: ["page.id": "\(page.id)", "error": "\(failure)"]) }
        }
    }

    /// Queues a status callout or a text page on the engine.
    private static func enqueue(_ engine: inout PEIEngine, text: String, status: UInt16?, to destination: String,
                                at now: Timestamp) throws(RadioLinkError) -> (PageRecord, [PEIEngine.Action]) {
        if let status { return try engine.sendStatus(status, to: destination, at: now) }
        return try engine.page(text, to: destination, at: now)
    }

    /// The engine's page history as stored steps.
    private static func steps(of record: PageRecord) -> [PageStep] {
        record.history.map { PageStep(state: $0.state, time: $0.time, detail: $0.detail) }
    }

    /// A page this gateway knows about (recent ones; older ones are in the store).
    public func page(id: String) -> Page? { state.withLock { $0.pages[id] } }

    public func lastHeard(_ unit: String) -> Timestamp? { state.withLock { $0.heard[unit] } }

    public var recentPages: [Page] { state.withLock { Array($0.pages.values) }.sorted { $0.requestedAt > $1.requestedAt } }

    // MARK: Status

    public var counters: Counters { state.withLock { $0.counters } }

    /// The PEI gateway's own status (the port's `status` is this in neutral terms).
    public var pei: Status {
        state.withLock { s in
            Status(name: name, url: settings.url.description, profile: settings.profileName, connected: s.connected,
                   ready: s.connected && s.engine.isReady, ownIdentity: s.engine.ownIdentity?.issi, since: s.since,
                   lastError: s.lastError, openCalls: s.engine.openCalls.count, queuedCommands: s.engine.queuedCommands.count,
                   signalDBm: s.signalDBm, counters: s.counters, engineTimeouts: s.engine.timeouts,
                   orphanedSDSHeaders: s.engine.orphanedSDSHeaders, overlongLines: s.engine.overlongLines)
        }
    }

    public var openCalls: [VoiceCall] { state.withLock { $0.engine.openCalls } }

    // MARK: The engine's actions

    /// Runs `body` on the engine under the lock, turns what it emitted into records, queues its
    /// writes in order, then hands the records to the writer.
    private func process(at now: Timestamp, _ body: (inout PEIEngine) -> [PEIEngine.Action],
                         update: (inout State) -> Void = { _ in }) {
        var unresponsive = false
        let records: [StoreRecord] = state.withLock { s in
            let actions = body(&s.engine)
            update(&s)
            var records: [StoreRecord] = []
            for action in actions {
                switch action {
                case .write(let bytes):
                    writesContinuation.yield(bytes)
                case .emit(let event):
                    if case .linkUnresponsive = event { unresponsive = true }
                    records += translate(event, state: &s, now: now)
                case .commandFinished(let completion), .timedOut(let completion):
                    if !completion.result.succeeded, completion.purpose == .initialisation {
                        logger.notice("radio refused an init command", metadata: [
                            "pei.command": "\(completion.command.text)", "pei.result": "\(completion.result)"])
                    }
                }
            }
            for case .sighting(let seen) in records where (s.heard[seen.unit] ?? seen.time) <= seen.time { s.heard[seen.unit] = seen.time }
            return records
        }
        if !records.isEmpty {
            sink.submit(records)
            observer?(records)
        }
        if unresponsive {
            logger.warning("radio does not answer the keep-alive; reopening the line")
            state.withLock { $0.counters.unresponsive += 1 }
            link.dropConnection()
        }
    }

    private func translate(_ event: RadioEvent, state s: inout State, now: Timestamp) -> [StoreRecord] {
        switch event {
        case .linkReady(let own, let failed):
            s.lastError = failed.isEmpty ? nil : "radio refused: \(failed.joined(separator: ", "))"
            logger.info("radio gateway ready", metadata: ["gateway.own_issi": "\(own?.issi ?? "unknown")",
                                                         "gateway.refused_init": "\(failed.joined(separator: ","))"])
            return []
        case .linkDown, .linkUnresponsive, .ownIdentity, .groupSelected, .battery, .deliveryReport, .sdsTransferStatus, .acknowledgement:
            return []
        case .locationResponse(let unit, let response, _):
            // The controller sends no location requests yet: a radio's answer is counted and logged.
            s.counters.locationResponses += 1
            if shouldLog("lip-response", &s) {
                logger.notice("LIP response from a radio (counted)", metadata: ["radio.issi": "\(unit)", "lip.response": "\(response)"])
            }
            return sighting(unit, at: now)
        case .signalQuality(let quality, _):
            s.signalDBm = quality.dBm
            return []
        case .call(let callEvent):
            var records: [StoreRecord] = [.voiceCall(callEvent.call)]
            switch callEvent {
            case .callStarted(let call):
                s.counters.callsStarted += 1
                records += sighting(call.caller, at: call.start)
            case .transmissionStarted(let call):
                s.counters.transmissions += 1
                if let t = call.transmissions.last { records += sighting(t.talker, at: t.start) }
            case .transmissionEnded:
                break
            case .callEnded:
                s.counters.callsEnded += 1
            }
            return records
        case .position(let position, _):
            s.counters.positions += 1
            return [.position(position)] + sighting(position.unit, at: position.time)
        case .locationWithoutFix(let unit, _, let time):
            s.counters.noFix += 1
            return sighting(unit, at: time)
        case .status(let unit, let value, let time):
            s.counters.statuses += 1
            let known = settings.statuses[value.value]
            let meaning = value.isEmergency ? "emergency" : known?.meaning.rawValue
            let label = value.isEmergency ? (known?.label ?? "Emergency") : (known?.label ?? value.description)
            return [.radioMessage(RadioMessage(gateway: name, unit: unit, time: time, kind: .status, status: Int(value.value),
                                               meaning: meaning, text: label))]
                + sighting(unit, at: time)
        case .emergency(let unit, let source, let time):
            if let last = s.lastEmergency[unit], time.milliseconds - last.milliseconds < Int64(settings.emergencyRepeatSeconds * 1000) {
                s.counters.emergencyRepeats += 1
                return []
            }
            s.lastEmergency[unit] = time
            s.counters.emergencies += 1
            let (code, how): (String, String) = switch source {
            case .status: ("status-0", "emergency status")
            case .location: ("lip-emergency", "location report with reason 'emergency'")
            case .call(let priority): ("call-priority-\(priority)", "emergency call, priority \(priority)")
            }
            let who = directory?.name(ofRadio: unit).map { "\($0) (\(unit))" } ?? "radio \(unit)"
            logger.critical("EMERGENCY", metadata: ["radio.issi": "\(unit)", "emergency.source": "\(code)"])
            return [.alarm(Alarm(id: "emergency-\(unit)-\(time.milliseconds)", unit: unit, time: time, kind: "emergency",
                                 severity: .emergency, code: code, text: "Emergency from \(who): \(how) via gateway \(name)"))]
        case .text(let from, let to, let message, let time):
            s.counters.texts += 1
            let text = message.text ?? "(\(message.textBytes.count) bytes in \(message.coding), not decodable)"
            return [.radioMessage(RadioMessage(gateway: name, unit: from, time: time, kind: .text, text: text, called: to))]
                + sighting(from, at: time)
        case .page(let record):
            guard let id = s.pageIDs[record.id], var page = s.pages[id] else { return [] }
            let earlier = s.earlierSteps[id] ?? []
            var steps = earlier + Self.steps(of: record)
            let detail = record.history.last?.detail ?? ""
            let attempt = earlier.filter { $0.state == .retrying }.count + 1
            if record.state == .failed, record.sdsInstance == nil, attempt < Self.pageAttempts,
               Self.retryableRefusals.contains(where: { detail.contains($0) }) {
                // Refused before it went out: safe to try again, after a pause that grows.
                let delay = 2.0 * Double(attempt)
                steps[steps.count - 1] = PageStep(state: .retrying, time: record.history.last?.time ?? now,
                                                  detail: "\(detail); attempt \(attempt + 1) of \(Self.pageAttempts) in \(Int(delay)) s")
                s.earlierSteps[id] = steps
                s.retries.append(PendingRetry(pageID: id, due: now.adding(seconds: delay)))
                page.state = .retrying
            } else {
                page.state = record.state
                if record.state == .failed { s.counters.pagesFailed += 1 }
                if record.isFinished { s.earlierSteps[id] = nil }
            }
            page.history = steps
            s.pages[id] = page
            logger.info("page \(page.state)", metadata: ["page.id": "\(id)", "page.to": "\(page.destination)", "page.detail": "\(detail)"])
            return [.page(page)]
        case .sds(let from?, .undecoded(0x8A, _, let reason), _, let time):
            // A text with a user data header that could not be read whole (parts missing when the
            // reassembly gave up): the dispatcher sees that a text came and what of it arrived.
            s.counters.texts += 1
            return [.radioMessage(RadioMessage(gateway: name, unit: from, time: time, kind: .text, text: "(incomplete text) \(reason)"))]
                + sighting(from, at: time)
        case .sds(let from, let content, let raw, _):
            // Runs under the state lock: log through `shouldLog(_:_:)` on the state already held
            // (taking the lock again here stopped the whole controller).
            s.counters.unhandledSDS += 1
            if shouldLog("sds", &s) {
                logger.warning("SDS of a kind not handled (counted)", metadata: [
                    "radio.issi": "\(from ?? "?")", "sds.service": "\(raw.header.aiService)", "sds.content": "\(Self.describe(content))"])
            }
            return []
        case .unhandledLine(let line, _):
            s.counters.unhandledLines += 1
            let shown = String(line.prefix(120))
            if shouldLog("line", &s) {
                logger.notice("line from the radio not understood (counted)", metadata: ["pei.line": "\(shown.debugDescription)"])
            }
            return []
        }
    }

    /// One short line for the log about an SDS the controller does not act on.
    static func describe(_ content: SDSContent) -> String {
        switch content {
        case .undecoded(let pi, let bytes, let reason):
            "undecoded (PI \(pi.map { "0x" + String($0, radix: 16) } ?? "none"), \(bytes.count) bytes): \(reason)"
        case .transfer(let transfer): "SDS-TL transfer, PI 0x\(String(transfer.protocolIdentifier, radix: 16))"
        case .acknowledgement: "SDS-TL acknowledgement"
        case .report: "SDS-TL report"
        case .status: "status"
        case .location: "location report"
        case .text: "text"
        }
    }

    private func sighting(_ unit: String, at time: Timestamp) -> [StoreRecord] {
        guard TetraIdentity.isValidDialDigits(unit) else { return [] }
        return [.sighting(UnitSighting(unit: unit, kind: .radio, time: time))]
    }

    private func shouldLog(_ key: String, _ s: inout State) -> Bool { s.logThrottle.allows(key) }

    private func logRateLimited(_ key: String, _ message: Logger.Message, _ metadata: Logger.Metadata) {
        let log = state.withLock { shouldLog(key, &$0) }
        if log { logger.warning(message, metadata: metadata) }
    }
}
