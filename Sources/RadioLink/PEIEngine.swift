import TianyanModel

/// The command side of a PEI link as a pure state machine.
///
/// The I/O shell feeds it `Input`s (bytes or lines read, clock ticks, commands) and carries out the
/// `Action`s it returns (write bytes, publish events). Exactly one command is in flight; the next is
/// written only after the final result (`OK`, `ERROR`, `+CME ERROR`, `+CMS ERROR`) or the timeout.
/// `start(at:)` runs the init sequence; after `keepAliveInterval` seconds without traffic an `AT`
/// goes out, and if that times out the engine reports `linkUnresponsive`.
///
/// Pages move queued → accepted → sent → received → read (or failed). A page is written once:
/// the engine never resends it; a caller who wants another try pages again once it has failed.
public struct PEIEngine: Sendable {
    public struct Configuration: Sendable {
        public var gateway: String
        /// Sent after an `AT` probe, in order, on every `start`.
        public var initCommands: [String]
        /// Seconds to wait for a final result when the command sets no timeout of its own.
        public var commandTimeout: Double
        /// Seconds without traffic before an `AT` keep-alive.
        public var keepAliveInterval: Double
        /// `AT` probes at start while the radio answers `+CME ERROR: 35` or `ERROR` (line noise).
        public var syncAttempts: Int
        /// Selects the SDS service before each `AT+CMGS`; nil sends `AT+CMGS` alone.
        public var sdsServiceCommand: String?
        /// Selects the status service before an `AT+CMGS` carrying a status (EN 300 392-5: AI service 13).
        public var statusServiceCommand: String? = "AT+CTSDS=13,0"
        public var pageDeliveryReport: DeliveryReportRequest
        public var maximumPageBits: Int
        /// Answer incoming SDS-TL texts that ask for it with a "received" report, and SDS-REPORTs
        /// that ask for it with an SDS-ACK.
        public var acknowledgeIncomingTexts: Bool
        /// Bounds for reassembling concatenated texts (PI 0x8A).
        public var concatenation: TextReassembler.Configuration = TextReassembler.Configuration()
        public var callOrphanTimeout: Double
        public var emergencyPriority: Int
        public var maximumLineLength: Int
        /// Decode an SDS whatever bit length its header declares (radios announce 84 bits and
        /// send 22 digits): the fewer of the declared and the sent bits count, so a LIP report
        /// declared one bit short of its layout is still refused as truncated. When false, a
        /// payload shorter than the declared length, or longer by a whole octet or more, is
        /// reported as undecoded.
        public var toleratesSDSLengthMismatch: Bool

        public init(gateway: String,
                    initCommands: [String] = ["ATZ", "ATE0", "AT+CSCS=8859-1", "AT+CTSP=2,0,0", "AT+CTSP=1,1,11",
                                              "AT+CTSP=1,2,20", "AT+CTSP=1,3,10", "AT+CTSP=1,3,130", "AT+CTSP=1,3,137", "AT+CTSP=1,3,138", "AT+CNUMF?"],
                    commandTimeout: Double = 5, keepAliveInterval: Double = 10, syncAttempts: Int = 3,
                    sdsServiceCommand: String? = "AT+CTSDS=12,0,0,0,1",
                    pageDeliveryReport: DeliveryReportRequest = .receivedAndConsumed,
                    maximumPageBits: Int = SDSCodec.defaultMaximumBits, acknowledgeIncomingTexts: Bool = true,
                    callOrphanTimeout: Double = 180, emergencyPriority: Int = 15, maximumLineLength: Int = 4096,
                    toleratesSDSLengthMismatch: Bool = true) {
            self.gateway = gateway
            self.initCommands = initCommands
            self.commandTimeout = commandTimeout
            self.keepAliveInterval = keepAliveInterval
            self.syncAttempts = syncAttempts
            self.sdsServiceCommand = sdsServiceCommand
            self.pageDeliveryReport = pageDeliveryReport
            self.maximumPageBits = maximumPageBits
            self.acknowledgeIncomingTexts = acknowledgeIncomingTexts
            self.callOrphanTimeout = callOrphanTimeout
            self.emergencyPriority = emergencyPriority
            self.maximumLineLength = maximumLineLength
            self.toleratesSDSLengthMismatch = toleratesSDSLengthMismatch
        }
    }

    public enum Input: Sendable {
        case bytesReceived([UInt8], at: Timestamp)
        case lineReceived(String, at: Timestamp)
        case tick(Timestamp)
        case enqueue(PEICommand, at: Timestamp)
    }

    public enum Action: Hashable, Sendable {
        case write([UInt8])
        case emit(RadioEvent)
        case commandFinished(CommandCompletion)
        case timedOut(CommandCompletion)
    }

    /// Why a command is on the queue.
    public enum Purpose: Hashable, Sendable {
        case sync
        case initialisation
        case keepAlive
        case user
        case pageService(pageID: Int)
        case page(pageID: Int)
        case acknowledgement
    }

    public enum CommandResult: Hashable, Sendable {
        case ok
        case error
        case cmeError(CMEError)
        case cmsError(Int)
        case timedOut
        case linkLost

        public var succeeded: Bool { self == .ok }
    }

    public struct CommandCompletion: Hashable, Sendable {
        public var command: PEICommand
        public var purpose: Purpose
        public var result: CommandResult
        /// Lines between the command and its final result that were not URCs.
        public var response: [String]
        public var sentAt: Timestamp
        public var finishedAt: Timestamp
    }

    private struct Queued: Sendable {
        var command: PEICommand
        var purpose: Purpose
    }

    private struct InFlight: Sendable {
        var queued: Queued
        var sentAt: Timestamp
        var deadline: Timestamp
        var response: [String] = []
    }

    public let configuration: Configuration
    private var framer: PEILineFramer
    private var parser = PEIParser()
    private var calls: CallTracker
    private var queue: [Queued] = []
    private var inFlight: InFlight?
    private var lastTraffic: Timestamp?
    private var started = false
    private var syncAttemptsMade = 0
    private var initFailures: [String] = []
    private var pageList: [PageRecord] = []
    private var nextPageID = 1
    private var nextReference: UInt8 = 1
    private var reassembler: TextReassembler

    public private(set) var isReady = false
    public private(set) var ownIdentity: TetraIdentity?
    /// Final results that arrived with no command in flight.
    public private(set) var strayResults = 0
    public private(set) var timeouts = 0

    public init(configuration: Configuration) {
        self.configuration = configuration
        framer = PEILineFramer(maximumLineLength: configuration.maximumLineLength)
        reassembler = TextReassembler(configuration: configuration.concatenation)
        calls = CallTracker(configuration: .init(gateway: configuration.gateway, orphanTimeout: configuration.callOrphanTimeout,
                                                 emergencyPriority: configuration.emergencyPriority))
    }

    /// Every page so far, oldest first.
    public var pages: [PageRecord] { pageList }
    public func page(_ id: Int) -> PageRecord? { pageList.first { $0.id == id } }
    public var openCalls: [VoiceCall] { calls.openCalls }
    /// Drops read or failed pages from `pages` (a long-running link must not keep every page it
    /// ever sent); the caller has stored them.
    public mutating func forgetFinishedPages() { pageList.removeAll { $0.isFinished } }

    /// Pages the radio accepted (`+CMGS: n`) but never reported sent or failed within `seconds`
    /// (the report was lost with the line, or the radio forgot it) end as failed: their outcome is
    /// unknown and they are not resent.
    public mutating func expireUnconfirmedPages(olderThan seconds: Double, now: Timestamp) -> [Action] {
        let limit = now.adding(seconds: -seconds)
        var actions: [Action] = []
        for id in pageList.filter({ $0.state == .accepted && ($0.time(of: .accepted) ?? now) <= limit }).map(\.id) {
            actions += updatePage(id) {
                $0.advance(to: .failed, at: now,
                           detail: "no sent/failed report from the radio within \(Int(seconds)) s; the outcome is unknown, it is not resent")
            }
        }
        return actions
    }
    public var orphanedSDSHeaders: Int { parser.orphanedSDSHeaders }
    /// Concatenated texts waiting for parts.
    public var pendingConcatenatedTexts: Int { reassembler.pendingMessages }
    public var overlongLines: Int { framer.overlongLines }
    /// The command waiting for its final result.
    public var commandInFlight: PEICommand? { inFlight?.queued.command }
    public var queuedCommands: [PEICommand] { queue.map(\.command) }

    // MARK: Inputs

    public mutating func handle(_ input: Input) -> [Action] {
        switch input {
        case .bytesReceived(let bytes, let time):
            let lines = framer.append(bytes)
            var actions: [Action] = []
            actions.reserveCapacity(lines.count)
            for line in lines { actions += receive(line, at: time) }
            actions += pump(at: time)
            return actions
        case .lineReceived(let line, let time):
            var actions = receive(line, at: time)
            actions += pump(at: time)
            return actions
        case .tick(let now):
            return tick(now)
        case .enqueue(let command, let time):
            queue.append(Queued(command: command, purpose: .user))
            return pump(at: time)
        }
    }

    /// The port is open: probe with `AT`, then run the init sequence. Queued user commands and
    /// pages wait behind it.
    public mutating func start(at time: Timestamp) -> [Action] {
        started = true
        isReady = false
        syncAttemptsMade = 0
        initFailures = []
        framer.reset()
        parser.reset()
        queue.removeAll { $0.purpose == .keepAlive || $0.purpose == .initialisation || $0.purpose == .sync }
        queue.insert(contentsOf: initialisationQueue(), at: 0)
        lastTraffic = time
        return pump(at: time)
    }

    /// The port closed or failed: the command in flight ends with `linkLost`, open calls close.
    /// Queued commands and pages stay queued for the next `start`.
    public mutating func linkLost(at time: Timestamp, reason: String = "link lost") -> [Action] {
        var actions: [Action] = []
        if let flight = inFlight {
            inFlight = nil
            actions += finish(flight, result: .linkLost, at: time)
        }
        actions += calls.linkLost(at: time).map { .emit(.call($0)) }
        framer.reset()
        parser.reset()
        started = false
        isReady = false
        actions.append(.emit(.linkDown(reason: reason, at: time)))
        return actions
    }

    /// Queues a text page to `destination` (ISSI or GSSI digits). Throws for a bad destination or
    /// a text too long for one SDS; nothing is queued then.
    public mutating func page(_ text: String, to destination: String, at time: Timestamp) throws(RadioLinkError) -> (PageRecord, [Action]) {
        let reference = allocateReference()
        let submission = try SDSCodec.textSubmission(text, to: destination, reference: reference,
                                                     deliveryReport: configuration.pageDeliveryReport,
                                                     maximumBits: configuration.maximumPageBits)
        let record = PageRecord(id: nextPageID, destination: destination, text: text, reference: reference,
                                history: [PageTransition(state: .queued, time: time)])
        nextPageID += 1
        pageList.append(record)
        if let service = configuration.sdsServiceCommand, let command = try? PEICommand(service) {
            queue.append(Queued(command: command, purpose: .pageService(pageID: record.id)))
        }
        queue.append(Queued(command: PEICommand(sending: submission), purpose: .page(pageID: record.id)))
        return (record, [.emit(.page(record))] + pump(at: time))
    }

    /// Queues a status callout (a 16-bit status SDS) to `destination`: written once, done once the
    /// radio reports it sent (statuses carry no delivery reports).
    public mutating func sendStatus(_ value: UInt16, to destination: String, at time: Timestamp) throws(RadioLinkError) -> (PageRecord, [Action]) {
        let submission = try SDSCodec.statusSubmission(value, to: destination)
        var record = PageRecord(id: nextPageID, destination: destination, text: Self.statusText(value), reference: 0,
                                history: [PageTransition(state: .queued, time: time)])
        record.status = value
        nextPageID += 1
        pageList.append(record)
        if let service = configuration.statusServiceCommand, let command = try? PEICommand(service) {
            queue.append(Queued(command: command, purpose: .pageService(pageID: record.id)))
        }
        queue.append(Queued(command: PEICommand(sending: submission), purpose: .page(pageID: record.id)))
        return (record, [.emit(.page(record))] + pump(at: time))
    }

    /// `status 0x8004`.
    public static func statusText(_ value: UInt16) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return "status 0x" + String(repeating: "0", count: 4 - hex.count) + hex
    }

    // MARK: Lines

    private mutating func receive(_ line: String, at time: Timestamp) -> [Action] {
        lastTraffic = time
        guard let message = parser.parseOne(line) else { return [] }
        return handle(message, line: line, at: time)
    }

    private mutating func handle(_ message: PEIMessage, line: String, at time: Timestamp) -> [Action] {
        switch message {
        case .ok: return finishInFlight(.ok, at: time)
        case .error: return finishInFlight(.error, at: time)
        case .cmeError(let e): return finishInFlight(.cmeError(e), at: time)
        case .cmsError(let code): return finishInFlight(.cmsError(code), at: time)
        case .prompt, .echo:
            return []
        case .callSetup, .callConnected, .transmissionGranted, .transmissionCeased, .callReleased:
            var actions: [Action] = []
            for event in calls.handle(message, at: time) {
                actions.append(.emit(.call(event)))
                if case .callStarted(let call) = event, call.emergency {
                    actions.append(.emit(.emergency(unit: call.caller, source: .call(priority: call.priority), at: time)))
                }
            }
            return actions
        case .sdsHeader:
            return []
        case .sdsReceived(let indication):
            return received(indication, at: time)
        case .sdsAccepted(let instance):
            respond(line)
            guard let flight = inFlight, case .page(let id) = flight.queued.purpose else { return [] }
            return updatePage(id) { page in
                page.sdsInstance = instance
                return page.advance(to: .accepted, at: time)
            }
        case .sdsTransferStatus(let status):
            return transferStatus(status, at: time)
        case .ownNumber(let number):
            respond(line)
            ownIdentity = number.identity
            calls.configuration.ownIdentity = number.identity.issi
            return [.emit(.ownIdentity(number.identity))]
        case .groupSelection(let group):
            respond(line)
            return [.emit(.groupSelected(group, at: time))]
        case .signalQuality(let quality):
            respond(line)
            return [.emit(.signalQuality(quality, at: time))]
        case .battery(let charge):
            respond(line)
            return [.emit(.battery(charge, at: time))]
        case .unknown(let text):
            if inFlight != nil {
                respond(text)
                return []
            }
            return [.emit(.unhandledLine(text, at: time))]
        }
    }

    private mutating func respond(_ line: String) {
        inFlight?.response.append(line)
    }

    private mutating func received(_ sds: SDSIndication, at time: Timestamp) -> [Action] {
        let from = sds.header.calling?.issi
        let unit = from ?? ""
        if !configuration.toleratesSDSLengthMismatch, let mismatch = sds.lengthMismatch {
            let content = SDSContent.undecoded(protocolIdentifier: nil, bytes: [], reason: mismatch)
            return [.emit(.sds(from: from, content: content, raw: sds, at: time))]
        }
        let content = sds.content
        switch content {
        case .status(let value):
            var actions: [Action] = [.emit(.status(unit: unit, value: value, at: time))]
            if value.isEmergency { actions.append(.emit(.emergency(unit: unit, source: .status, at: time))) }
            if case .shortReport(let report) = value.kind, report.type >= 2 {
                actions += deliveryOutcome(from: from, reference: report.reference, state: report.type == 2 ? .received : .read,
                                           detail: report.typeText, at: time)
            }
            return actions
        case .location(.response(let response)):
            return [.emit(.locationResponse(unit: unit, response: response, at: time))]
        case .location(let report):
            var actions: [Action] = []
            if let position = report.position(unit: unit, receivedAt: time) {
                actions.append(.emit(.position(position, report: report)))
            } else {
                actions.append(.emit(.locationWithoutFix(unit: unit, report: report, at: time)))
            }
            if report.reason?.isEmergency == true { actions.append(.emit(.emergency(unit: unit, source: .location, at: time))) }
            return actions
        case .text(let message):
            if configuration.acknowledgeIncomingTexts, let transfer = message.transfer, transfer.deliveryReport.wantsReceived,
               let sender = sds.header.calling {
                queueAcknowledgement(try? SDSCodec.reportSubmission(to: sender.raw, status: .received, reference: transfer.reference,
                                                                    protocolIdentifier: message.protocolIdentifier))
            }
            if let part = message.concatenation {
                return reassembled(reassembler.add(message, part: part, from: unit, to: sds.header.called?.issi, raw: sds, at: time), at: time)
            }
            return [.emit(.text(from: unit, to: sds.header.called?.issi, message: message, at: time))]
        case .acknowledgement(let report):
            return [.emit(.acknowledgement(from: from, report: report, at: time))]
        case .report(let report):
            var actions: [Action] = [.emit(.deliveryReport(from: from, report: report, at: time))]
            if configuration.acknowledgeIncomingTexts, report.acknowledgementRequired, let sender = sds.header.calling {
                let status: DeliveryStatus = report.status.isConsumed ? .consumedReportAcknowledged : .receivedReportAcknowledged
                queueAcknowledgement(try? SDSCodec.acknowledgementSubmission(to: sender.raw, status: status, reference: report.reference,
                                                                             protocolIdentifier: report.protocolIdentifier))
            }
            let status = report.status
            if status.isReceived {
                actions += deliveryOutcome(from: from, reference: report.reference, state: .received, detail: status.text, at: time)
            } else if status.isConsumed {
                actions += deliveryOutcome(from: from, reference: report.reference, state: .read, detail: status.text, at: time)
            } else if status.category == .failed {
                actions += deliveryOutcome(from: from, reference: report.reference, state: .failed, detail: status.text, at: time)
            }
            return actions
        case .transfer, .undecoded:
            return [.emit(.sds(from: from, content: content, raw: sds, at: time))]
        }
    }

    /// Queues an SDS-REPORT or SDS-ACK we owe (behind the SDS service selection when configured).
    private mutating func queueAcknowledgement(_ submission: SDSSubmission?) {
        guard let submission else { return }
        if let service = configuration.sdsServiceCommand, let command = try? PEICommand(service) {
            queue.append(Queued(command: command, purpose: .acknowledgement))
        }
        queue.append(Queued(command: PEICommand(sending: submission), purpose: .acknowledgement))
    }

    /// A finished concatenated text is one `.text`; a set given up is one undecodable `.sds`
    /// carrying the text bytes that arrived and the reason.
    private func reassembled(_ outcomes: [TextReassembler.Outcome], at time: Timestamp) -> [Action] {
        outcomes.map { outcome in
            switch outcome {
            case .complete(let from, let to, let message):
                return .emit(.text(from: from, to: to, message: message, at: time))
            case .dropped(let from, let parts, let raw, let reason):
                let content = SDSContent.undecoded(protocolIdentifier: parts.first?.protocolIdentifier ?? 0x8A,
                                                   bytes: parts.flatMap(\.textBytes), reason: reason)
                return .emit(.sds(from: from.isEmpty ? nil : from, content: content, raw: raw, at: time))
            }
        }
    }

    /// A delivery report for message `reference` from `from`: the newest unfinished page with that
    /// reference (and that destination, when the sender is known) moves to `state`.
    private mutating func deliveryOutcome(from: String?, reference: UInt8, state: PageState, detail: String, at time: Timestamp) -> [Action] {
        guard let index = pageList.lastIndex(where: { page in
            page.status == nil && page.reference == reference && page.state >= .accepted && !page.state.isFinal
                && (from == nil || TetraIdentity(page.destination)?.issi == from)
        }) else { return [] }
        let id = pageList[index].id
        return updatePage(id) { $0.advance(to: state, at: time, detail: detail) }
    }

    /// `+CMGS: n,status,ref`: the oldest accepted page on instance `n` (preferring one whose
    /// reference matches) is now sent or failed.
    private mutating func transferStatus(_ status: SDSTransferStatus, at time: Timestamp) -> [Action] {
        let candidates = pageList.indices.filter { pageList[$0].state == .accepted && pageList[$0].sdsInstance == status.instance }
        guard let index = candidates.first(where: { Int(pageList[$0].reference) == status.reference }) ?? candidates.first,
              status.wasSent || status.hasFailed
        else { return [.emit(.sdsTransferStatus(status, at: time))] }
        let id = pageList[index].id
        return updatePage(id) { $0.advance(to: status.wasSent ? .sent : .failed, at: time, detail: status.statusText) }
    }

    private mutating func updatePage(_ id: Int, _ change: (inout PageRecord) -> Bool) -> [Action] {
        guard let index = pageList.firstIndex(where: { $0.id == id }) else { return [] }
        guard change(&pageList[index]) else { return [] }
        return [.emit(.page(pageList[index]))]
    }

    // MARK: Commands

    private mutating func finishInFlight(_ result: CommandResult, at time: Timestamp) -> [Action] {
        guard let flight = inFlight else {
            strayResults += 1
            return []
        }
        inFlight = nil
        return finish(flight, result: result, at: time)
    }

    private mutating func finish(_ flight: InFlight, result: CommandResult, at time: Timestamp) -> [Action] {
        let completion = CommandCompletion(command: flight.queued.command, purpose: flight.queued.purpose, result: result,
                                           response: flight.response, sentAt: flight.sentAt, finishedAt: time)
        var actions: [Action] = [result == .timedOut ? .timedOut(completion) : .commandFinished(completion)]
        if result == .timedOut { timeouts += 1 }
        switch flight.queued.purpose {
        case .sync:
            let noisy: Bool = switch result {
            case .error, .cmeError(CMEError(code: 35)): true
            default: false
            }
            if noisy, syncAttemptsMade < configuration.syncAttempts {
                queue.insert(Queued(command: Self.at, purpose: .sync), at: 0)
            } else {
                actions += readyIfInitialised()
            }
        case .initialisation:
            if !result.succeeded { initFailures.append(flight.queued.command.text) }
            actions += readyIfInitialised()
        case .keepAlive:
            if result == .timedOut { actions.append(.emit(.linkUnresponsive(at: time))) }
        case .pageService(let id):
            if !result.succeeded {
                queue.removeAll { $0.purpose == .page(pageID: id) }
                actions += updatePage(id) { $0.advance(to: .failed, at: time, detail: "\(flight.queued.command.text): \(Self.text(result))") }
            }
        case .page(let id):
            if !result.succeeded {
                let detail = result == .timedOut || result == .linkLost
                    ? "no final result for AT+CMGS (\(Self.text(result))); the page may or may not have gone out, it is not resent"
                    : "the radio refused the page: \(Self.text(result))"
                if page(id)?.state == .queued {
                    actions += updatePage(id) { $0.advance(to: .failed, at: time, detail: detail) }
                }
            }
        case .user, .acknowledgement:
            break
        }
        return actions
    }

    private mutating func readyIfInitialised() -> [Action] {
        guard !isReady, !queue.contains(where: { $0.purpose == .initialisation || $0.purpose == .sync }) else { return [] }
        isReady = true
        return [.emit(.linkReady(ownIdentity: ownIdentity, failedCommands: initFailures))]
    }

    private static func text(_ result: CommandResult) -> String {
        switch result {
        case .ok: "OK"
        case .error: "ERROR"
        case .cmeError(let e): e.description
        case .cmsError(let code): "+CMS ERROR: \(code)"
        case .timedOut: "timed out"
        case .linkLost: "link lost"
        }
    }

    private mutating func tick(_ now: Timestamp) -> [Action] {
        var actions: [Action] = []
        if let flight = inFlight, now >= flight.deadline {
            inFlight = nil
            actions += finish(flight, result: .timedOut, at: now)
        }
        actions += calls.expire(now: now).map { .emit(.call($0)) }
        actions += reassembled(reassembler.expire(now: now), at: now)
        if started, inFlight == nil, queue.isEmpty, let last = lastTraffic,
           Double(now.milliseconds - last.milliseconds) >= configuration.keepAliveInterval * 1000 {
            queue.append(Queued(command: Self.at, purpose: .keepAlive))
        }
        return actions + pump(at: now)
    }

    /// Writes the next command when none is in flight.
    private mutating func pump(at time: Timestamp) -> [Action] {
        guard started, inFlight == nil, !queue.isEmpty else { return [] }
        let next = queue.removeFirst()
        if next.purpose == .sync { syncAttemptsMade += 1 }
        let timeout = next.command.timeout ?? configuration.commandTimeout
        inFlight = InFlight(queued: next, sentAt: time, deadline: time.adding(seconds: timeout))
        lastTraffic = time
        return [.write(next.command.wireBytes)]
    }

    private func initialisationQueue() -> [Queued] {
        var items = [Queued(command: Self.at, purpose: .sync)]
        for text in configuration.initCommands {
            if let command = try? PEICommand(text) { items.append(Queued(command: command, purpose: .initialisation)) }
        }
        return items
    }

    /// A message reference not held by an unfinished page, cycling 1…255; when all are held,
    /// the one of the oldest unfinished page is reused.
    private mutating func allocateReference() -> UInt8 {
        let held = Set(pageList.filter { !$0.isFinished && $0.status == nil }.map(\.reference))
        for _ in 0..<255 {
            let candidate = nextReference
            nextReference = nextReference == 255 ? 1 : nextReference + 1
            if !held.contains(candidate) { return candidate }
        }
        let oldest = pageList.first { !$0.isFinished && $0.status == nil }?.reference ?? nextReference
        return oldest
    }

    private static let at = PEICommand.attention
}
