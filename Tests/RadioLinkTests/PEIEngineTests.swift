import RadioLink
import TianyanModel
import Testing

/// Drives a `PEIEngine` the way the serial shell will, with a hand-moved clock.
private struct Harness {
    var engine: PEIEngine
    var now = Timestamp(milliseconds: 1_700_000_000_000)
    var actions: [PEIEngine.Action] = []

    init(_ configuration: PEIEngine.Configuration = .init(gateway: "gw", initCommands: [])) {
        engine = PEIEngine(configuration: configuration)
    }

    mutating func at(_ seconds: Double) { now = Timestamp(milliseconds: 1_700_000_000_000).adding(seconds: seconds) }

    @discardableResult
    mutating func start() -> [PEIEngine.Action] { record(engine.start(at: now)) }

    @discardableResult
    mutating func lines(_ lines: String...) -> [PEIEngine.Action] {
        record(lines.flatMap { engine.handle(.lineReceived($0, at: now)) })
    }

    @discardableResult
    mutating func bytes(_ text: String) -> [PEIEngine.Action] { record(engine.handle(.bytesReceived(Array(text.utf8), at: now))) }

    @discardableResult
    mutating func tick(_ seconds: Double) -> [PEIEngine.Action] {
        at(seconds)
        return record(engine.handle(.tick(now)))
    }

    @discardableResult
    mutating func enqueue(_ text: String) throws -> [PEIEngine.Action] { record(engine.handle(.enqueue(try PEICommand(text), at: now))) }

    mutating func page(_ text: String, to destination: String) throws -> PageRecord {
        let (record, actions) = try engine.page(text, to: destination, at: now)
        self.actions += actions
        return record
    }

    private mutating func record(_ new: [PEIEngine.Action]) -> [PEIEngine.Action] {
        actions += new
        return new
    }

    /// Every write so far, as text (Ctrl-Z shown as `^Z`).
    var writes: [String] {
        actions.compactMap {
            guard case .write(let bytes) = $0 else { return nil }
            return String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\u{1A}", with: "^Z")
        }
    }

    var events: [RadioEvent] { actions.compactMap { if case .emit(let e) = $0 { e } else { nil } } }

    var completions: [PEIEngine.CommandCompletion] {
        actions.compactMap { if case .commandFinished(let c) = $0 { c } else { nil } }
    }

    var timeouts: [PEIEngine.CommandCompletion] {
        actions.compactMap { if case .timedOut(let c) = $0 { c } else { nil } }
    }

    func time(_ seconds: Double) -> Timestamp { Timestamp(milliseconds: 1_700_000_000_000).adding(seconds: seconds) }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

@Suite struct PEIEngineTests {
    static let initCommands = ["ATZ", "ATE0", "AT+CSCS=8859-1", "AT+CTSP=1,3,10", "AT+CNUMF?"]

    @Test func initSequenceRunsOneCommandAtATime() {
        var h = Harness(.init(gateway: "gw", initCommands: Self.initCommands))
        h.start()
        #expect(h.writes == ["AT\r\n"])
        h.lines("OK")
        #expect(h.writes.last == "ATZ\r\n")
        h.lines("ATZ")                    // echo before ATE0 is not a result
        #expect(h.writes.count == 2)
        h.lines("OK")
        #expect(h.writes.last == "ATE0\r\n")
        h.bytes("ATE0\r\r\nOK\r\n")
        #expect(h.writes.last == "AT+CSCS=8859-1\r\n")
        h.lines("OK")
        h.lines("+CME ERROR: 4")
        #expect(h.writes.last == "AT+CNUMF?\r\n")
        #expect(!h.engine.isReady)
        h.bytes("\r\n+CNUMF: 6,09011638300023401\r\n\r\nOK\r\n")
        #expect(h.writes == ["AT\r\n", "ATZ\r\n", "ATE0\r\n", "AT+CSCS=8859-1\r\n", "AT+CTSP=1,3,10\r\n", "AT+CNUMF?\r\n"])
        #expect(h.engine.isReady)
        let identity = TetraIdentity("09011638300023401")!
        #expect(h.events.suffix(2) == [.ownIdentity(identity), .linkReady(ownIdentity: identity, failedCommands: ["AT+CTSP=1,3,10"])])
        #expect(h.completions.last?.response == ["+CNUMF: 6,09011638300023401"])
        #expect(h.completions.last?.purpose == .initialisation)
        #expect(h.engine.commandInFlight == nil)
    }

    @Test func syncProbeRepeatsWhileTheRadioReportsSyntaxErrors() {
        var h = Harness(.init(gateway: "gw", initCommands: ["ATE0"], syncAttempts: 3))
        h.start()
        h.lines("+CME ERROR: 35")
        h.lines("ERROR")
        h.lines("OK")
        #expect(h.writes == ["AT\r\n", "AT\r\n", "AT\r\n", "ATE0\r\n"])
        h.lines("OK")
        #expect(h.engine.isReady)
    }

    @Test func exactlyOneCommandInFlight() throws {
        var h = Harness()
        h.start()
        h.lines("OK")
        try h.enqueue("AT+CSQ?")
        try h.enqueue("AT+CBC?")
        #expect(h.writes.suffix(1) == ["AT+CSQ?\r\n"])
        #expect(h.engine.queuedCommands.map(\.text) == ["AT+CBC?"])
        // A URC in the middle neither ends the command nor joins its response.
        h.lines("+CTICN: 1,0,0,0,6101629,1,1,0,1,1,0,4037009,0", "+CSQ: 20,99")
        #expect(h.engine.commandInFlight?.text == "AT+CSQ?")
        h.lines("OK")
        let done = try #require(h.completions.last)
        #expect(done.command.text == "AT+CSQ?" && done.result == .ok && done.response == ["+CSQ: 20,99"])
        #expect(h.events.contains(.signalQuality(SignalQuality(value: 20), at: h.now)))
        #expect(h.writes.last == "AT+CBC?\r\n")
        h.lines("+CBC: 0,75", "OK")
        #expect(h.events.contains(.battery(BatteryCharge(status: 0, chargePercent: 75), at: h.now)))
        #expect(h.engine.openCalls.count == 1)
    }

    @Test func commandTimesOutAndTheNextOneGoes() throws {
        var h = Harness(.init(gateway: "gw", initCommands: [], commandTimeout: 2))
        h.start()
        h.lines("OK")
        try h.enqueue("AT+CTGS?")
        try h.enqueue("AT+CSQ?")
        h.tick(1.999)
        #expect(h.timeouts.isEmpty)
        h.tick(2)
        #expect(h.timeouts.map(\.command.text) == ["AT+CTGS?"])
        #expect(h.timeouts.first?.result == .timedOut)
        #expect(h.writes.last == "AT+CSQ?\r\n")
        #expect(h.engine.timeouts == 1)
        h.lines("OK")
        h.lines("OK")                     // a late result with nothing in flight
        #expect(h.engine.strayResults == 1)
    }

    @Test func keepAliveAfterIdleAndUnresponsiveRadio() {
        var h = Harness(.init(gateway: "gw", initCommands: [], commandTimeout: 2, keepAliveInterval: 10))
        h.start()
        h.lines("OK")                     // at 0 s
        h.tick(9.9)
        #expect(h.writes == ["AT\r\n"])
        h.tick(10)
        #expect(h.writes == ["AT\r\n", "AT\r\n"])
        h.lines("OK")
        #expect(h.completions.last?.purpose == .keepAlive)
        h.tick(19.9)
        #expect(h.writes.count == 2)
        h.tick(20)
        #expect(h.writes.count == 3)
        h.tick(22)
        #expect(h.timeouts.last?.purpose == .keepAlive)
        #expect(h.events.last == .linkUnresponsive(at: h.time(22)))
    }

    // MARK: Paging

    /// A status callout: the status service, then a 16-bit status SDS; done once sent, and
    /// delivery reports (which statuses never get) cannot move it.
    @Test func statusCalloutIsSentOnceAndDoneWhenSent() throws {
        var h = Harness(.init(gateway: "gw", initCommands: []))
        h.start()
        h.lines("OK")
        let (record, actions) = try h.engine.sendStatus(0x8009, to: "2100001", at: h.now)
        h.actions += actions
        #expect(record.status == 0x8009 && record.text == "status 0x8009")
        #expect(h.writes.last == "AT+CTSDS=13,0\r\n")
        h.lines("OK")
        #expect(h.writes.last == "AT+CMGS=2100001,16\r\n8009^Z")
        h.lines("+CMGS: 3", "OK")
        h.lines("+CTSDSR: 12,2100001,0,23401,0,32", "82100000")
        #expect(h.engine.page(record.id)?.state == .accepted, "a delivery report with reference 0 is not for a status")
        h.lines("+CMGS: 3,4,0")
        let done = try #require(h.engine.page(record.id))
        #expect(done.state == .sent && done.isFinished)
        #expect(throws: RadioLinkError.self) { _ = try h.engine.sendStatus(0, to: "2100001", at: h.now) }
        #expect(throws: RadioLinkError.self) { _ = try h.engine.sendStatus(0x8004, to: "21;ATH", at: h.now) }
        h.engine.forgetFinishedPages()
        #expect(h.engine.page(record.id) == nil)
    }

    /// A page the radio accepted but never reported sent or failed (the report was lost with the
    /// line) ends failed after the limit, once, and is not written again.
    @Test func anAcceptedPageWithoutATransferReportExpires() throws {
        var h = Harness(.init(gateway: "gw", initCommands: [], pageDeliveryReport: .receivedAndConsumed))
        h.start()
        h.lines("OK")
        let p = try h.page("x", to: "2269001")
        h.lines("OK")
        h.at(1)
        h.lines("+CMGS: 0", "OK")
        let writes = h.writes.count
        #expect(h.engine.expireUnconfirmedPages(olderThan: 300, now: h.time(200)).isEmpty)
        let expired = h.engine.expireUnconfirmedPages(olderThan: 300, now: h.time(302))
        #expect(expired.count == 1)
        let page = try #require(h.engine.page(p.id))
        #expect(page.state == .failed && page.history.last?.detail?.contains("not resent") == true)
        #expect(h.engine.expireUnconfirmedPages(olderThan: 300, now: h.time(900)).isEmpty)
        h.tick(901)
        #expect(!h.writes.dropFirst(writes).contains { $0.hasPrefix("AT+CMGS") }, "\(h.writes)")
    }

    /// Transcript §1a with our page: accepted by `+CMGS: 0`, sent by `+CMGS: 0,4,7`, then the
    /// destination's SDS-TL reports: received (821000ref) and consumed (821002ref).
    @Test func pageGoesThroughEveryStateOnce() throws {
        var h = Harness(.init(gateway: "gw", initCommands: [], pageDeliveryReport: .receivedAndConsumed))
        h.start()
        h.lines("OK")
        h.at(1)
        let queued = try h.page("Hi;\r\nATH\u{1A}", to: "2269001")
        #expect(queued.state == .queued && queued.reference == 1)
        #expect(h.writes.last == "AT+CTSDS=12,0,0,0,1\r\n")
        h.lines("OK")
        #expect(h.writes.last == "AT+CMGS=2269001,104\r\n820C010148693B0D0A4154481A^Z")
        h.at(2)
        h.lines("+CMGS: 0", "OK")
        h.at(4)
        h.lines("+CMGS: 0,4,7")
        h.at(9)
        h.lines("+CTSDSR: 12,2269001,0,23401,0,32", "82100001")
        h.at(30)
        h.lines("+CTSDSR: 12,2269001,0,23401,0,32", "82100201")
        let page = try #require(h.engine.page(queued.id))
        #expect(page.history.map(\.state) == [.queued, .accepted, .sent, .received, .read])
        #expect(page.history.map(\.time) == [h.time(1), h.time(2), h.time(4), h.time(9), h.time(30)])
        #expect(page.sdsInstance == 0)
        #expect(page.history[2].detail == "outgoing message successfully sent")
        #expect(h.writes.filter { $0.hasPrefix("AT+CMGS") }.count == 1)
        let pageEvents = h.events.compactMap { if case .page(let p) = $0 { p.state } else { nil } }
        #expect(pageEvents == [.queued, .accepted, .sent, .received, .read])
        // Reports are also published as such.
        #expect(h.events.contains(.deliveryReport(from: "2269001", report: DeliveryReport(protocolIdentifier: 0x82, acknowledgementRequired: false, status: .consumed, reference: 1), at: h.time(30))))
    }

    @Test func reportFromAnotherUnitOrReferenceDoesNotMoveThePage() throws {
        var h = Harness()
        h.start()
        h.lines("OK")
        let p = try h.page("x", to: "2269001")
        h.lines("OK", "+CMGS: 0", "OK")
        h.lines("+CTSDSR: 12,2269002,0,23401,0,32", "82100001")
        h.lines("+CTSDSR: 12,2269001,0,23401,0,32", "82100002")
        #expect(h.engine.page(p.id)?.state == .accepted)
        // A short report (status 0x7E01: type 2 received, ref 1) from the destination counts.
        h.lines("+CTSDSR: 13,2269001,0,23401,0,16", "7E01")
        #expect(h.engine.page(p.id)?.state == .received)
    }

    @Test func refusedPageFailsAndIsNotResent() throws {
        var h = Harness()
        h.start()
        h.lines("OK")
        let p = try h.page("hello", to: "1234")
        h.lines("OK", "+CME ERROR: 42")
        let page = try #require(h.engine.page(p.id))
        #expect(page.state == .failed)
        #expect(page.history.last?.detail == "the radio refused the page: +CME ERROR: 42 (MT busy in signalling, retry later)")
        for s in stride(from: 1.0, through: 60, by: 1) { h.tick(s); h.lines("OK") }
        #expect(h.writes.filter { $0.hasPrefix("AT+CMGS") }.count == 1)
    }

    @Test func failedServiceSelectionDropsThePage() throws {
        var h = Harness()
        h.start()
        h.lines("OK")
        let p = try h.page("hello", to: "1234")
        h.lines("ERROR")
        #expect(h.engine.page(p.id)?.state == .failed)
        #expect(h.engine.page(p.id)?.history.last?.detail == "AT+CTSDS=12,0,0,0,1: ERROR")
        #expect(h.engine.commandInFlight == nil && h.engine.queuedCommands.isEmpty)
        #expect(!h.writes.contains { $0.hasPrefix("AT+CMGS") })
    }

    @Test func pageWithoutAnswerFailsAsUnknownAndIsNotResent() throws {
        var h = Harness(.init(gateway: "gw", initCommands: [], commandTimeout: 5))
        h.start()
        h.lines("OK")
        let p = try h.page("hello", to: "1234")
        h.lines("OK")
        h.tick(5)
        let page = try #require(h.engine.page(p.id))
        #expect(page.state == .failed)
        #expect(page.history.last?.detail?.contains("may or may not have gone out") == true)
        for s in stride(from: 6.0, through: 100, by: 3) { h.tick(s); h.lines("OK") }
        #expect(h.writes.filter { $0.hasPrefix("AT+CMGS") }.count == 1)
    }

    @Test func transmissionFailureAndUndeliverableReports() throws {
        var h = Harness()
        h.start()
        h.lines("OK")
        let a = try h.page("a", to: "1001")
        h.lines("OK", "+CMGS: 3", "OK")
        let b = try h.page("b", to: "1002")
        h.lines("OK", "+CMGS: 4", "OK")
        h.lines("+CMGS: 3,5,0")
        #expect(h.engine.page(a.id)?.state == .failed)
        #expect(h.engine.page(a.id)?.history.last?.detail == "transmission failed")
        h.lines("+CMGS: 4,4,0", "+CTSDSR: 12,1002,0,23401,0,32", "8210" + "4B" + "02")
        #expect(h.engine.page(b.id)?.history.map(\.state) == [.queued, .accepted, .sent, .failed])
        #expect(h.engine.page(b.id)?.history.last?.detail == "destination not registered on system")
        // Unmatched transfer status is published as is.
        h.lines("+CMGS: 9,4,1")
        #expect(h.events.last == .sdsTransferStatus(SDSTransferStatus(instance: 9, status: 4, reference: 1), at: h.now))
    }

    @Test func badPagesAreRefusedBeforeAnythingIsQueued() {
        var h = Harness()
        h.start()
        #expect(throws: RadioLinkError.self) { try h.page("x", to: "1234;ATH") }
        #expect(throws: RadioLinkError.self) { try h.page(String(repeating: "x", count: 200), to: "1234") }
        #expect(h.engine.pages.isEmpty)
        #expect(h.engine.queuedCommands.isEmpty)
    }

    @Test func referencesOfUnfinishedPagesAreNotReused() throws {
        var h = Harness()
        var references: [UInt8] = []
        for _ in 0..<255 { references.append(try h.page("x", to: "1").reference) }
        #expect(Set(references).count == 255)
        #expect(!references.contains(0))
    }

    // MARK: Incoming traffic, end to end through bytes

    /// The TetraLogic lines (§1c) and the PTY status SDS, fed as bytes cut at random places.
    @Test func tetraLogicTrafficThroughTheFramer() throws {
        let stream = """
        \r\n+CTICN: 1,0,0,5,09011638300023404,1,1,0,1,1,5,09011638300000001,0\r\n\
        \r\n+CTXG: 1,3,0,0,3,09011638300023404\r\n\
        \r\n+CDTXC: 1,0\r\n\
        \r\n+CTCR: 1,13\r\n\
        \r\n+CTSDSR: 12,23404,0,23401,0,112\r\n82040801476A61746A616A676A61\r\n\
        \r\n+CTSDSR: 12,2269001,0,9999,0,84\r\n0A112853A9FF4D4FFFE810\r\n\
        \r\n+CTSDSR: 13,9876543,0,1234567,0,16\r\n8004\r\n\
        \r\n+CTSDSR: 13,9876543,0,1234567,0,16\r\n0000\r\n
        """
        let bytes = Array(stream.utf8)
        var random = SeededGenerator(seed: 2024)
        for _ in 0..<20 {
            var h = Harness()
            h.start()
            h.lines("OK")
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...17, using: &random)
                h.bytes(String(decoding: bytes[i..<min(i + n, bytes.count)], as: UTF8.self))
                i += n
            }
            let calls = h.events.compactMap { if case .call(.callEnded(let c)) = $0 { c } else { nil } }
            #expect(calls.count == 1)
            #expect(calls.first?.caller == "23404" && calls.first?.called == "1" && calls.first?.cause == "timer expiry")
            #expect(calls.first?.transmissions.map(\.talker) == ["23404"])
            let texts = h.events.compactMap { if case .text(let from, let to, let m, _) = $0 { (from, to, m.text) } else { nil } }
            #expect(texts.count == 1 && texts.first?.0 == "23404" && texts.first?.1 == "23401" && texts.first?.2 == "Gjatjajgja")
            let positions = h.events.compactMap { if case .position(let p, _) = $0 { p } else { nil } }
            #expect(positions.count == 1 && positions.first?.unit == "2269001")
            #expect(abs((positions.first?.latitude ?? 0) - 44.9386418) < 5e-8)
            #expect(h.events.contains { if case .status("9876543", StatusValue(0x8004), _) = $0 { true } else { false } })
            #expect(h.events.contains { if case .emergency("9876543", .status, _) = $0 { true } else { false } })
            // T1 asked for a received report: the engine answers 23404 with 821000 08.
            #expect(h.writes.contains("AT+CTSDS=12,0,0,0,1\r\n"))
            #expect(h.engine.queuedCommands.contains { $0.wireBytes == Array("AT+CMGS=23404,32\r\n82100008".utf8) + [0x1A] }
                || h.writes.contains("AT+CMGS=23404,32\r\n82100008^Z"))
            #expect(h.engine.orphanedSDSHeaders == 0)
        }
    }

    @Test func emergencyFromLocationAndCallPriority() {
        var h = Harness()
        h.start()
        h.lines("+CTSDSR: 12,555,0,23401,0,84", "0A067364C650CACA51402")
        h.lines("+CTICN: 2,0,0,0,777,1,1,0,1,1,0,9001,15")
        #expect(h.events.contains { if case .emergency("555", .location, _) = $0 { true } else { false } })
        #expect(h.events.contains { if case .emergency("777", .call(priority: 15), _) = $0 { true } else { false } })
        h.lines("+CTSDSR: 12,556,0,23401,0,88", "0A30000000000007FE0150")
        #expect(h.events.contains { if case .locationWithoutFix("556", _, _) = $0 { true } else { false } })
        #expect(!h.events.contains { if case .position(let p, _) = $0 { p.unit == "556" } else { false } })
    }

    @Test func linkLossEndsTheCommandAndCallsAndKeepsQueuedPages() throws {
        var h = Harness(.init(gateway: "gw", initCommands: ["ATE0"]))
        h.start()
        h.lines("OK", "OK")
        h.lines("+CTICN: 1,0,0,0,100,1,1,0,1,1,0,9001,0")
        try h.enqueue("AT+CSQ?")
        let p = try h.page("later", to: "1234")
        h.at(3)
        let actions = h.engine.linkLost(at: h.now)
        #expect(actions.contains { if case .commandFinished(let c) = $0 { c.result == .linkLost && c.command.text == "AT+CSQ?" } else { false } })
        #expect(actions.contains { if case .emit(.call(.callEnded(let c))) = $0 { c.cause == "link lost" } else { false } })
        #expect(actions.last == .emit(.linkDown(reason: "link lost", at: h.now)))
        #expect(h.engine.page(p.id)?.state == .queued)
        // Nothing is written while the link is down.
        #expect(h.engine.handle(.tick(h.time(60))).allSatisfy { if case .write = $0 { false } else { true } })
        h.at(61)
        let restart = h.engine.start(at: h.now)
        #expect(restart == [.write(Array("AT\r\n".utf8))])
        #expect(h.engine.queuedCommands.map(\.text) == ["ATE0", "AT+CTSDS=12,0,0,0,1", "AT+CMGS=1234,72"])
    }

    @Test func commandsAreValidated() throws {
        for bad in ["AT+CMGS=1;ATH", "ATD1\r", "ATH\n", "+CSQ?", "", "AT\u{1A}", "ATü"] {
            #expect(throws: RadioLinkError.self) { try PEICommand(bad) }
        }
        #expect(try PEICommand("at+csq?").wireBytes == Array("at+csq?\r\n".utf8))
        #expect(try PEICommand.selectGroup("1000").text == "AT+CTGS=1,1000")
        #expect(throws: RadioLinkError.self) { try PEICommand.selectGroup("1000;ATH") }
    }

    @Test func randomBytesNeverCrashTheEngine() {
        var random = SeededGenerator(seed: 31337)
        var h = Harness(.init(gateway: "gw", initCommands: ["ATE0"], maximumLineLength: 128))
        h.start()
        let pieces = ["\r\n", "OK", "+CTSDSR: 12,1,0,2,0,84", "+CMGS: 0", "+CMGS: 0,4,1", "+CTXG: 1,3,0,0,0,5", "0A", "82", "+CTCR: 1,1", ","]
        for step in 0..<3_000 {
            var chunk: [UInt8] = []
            if Bool.random(using: &random) {
                chunk = (0..<Int.random(in: 0...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            } else {
                chunk = Array(pieces.randomElement(using: &random)!.utf8)
            }
            h.at(Double(step) / 10)
            _ = h.engine.handle(.bytesReceived(chunk, at: h.now))
            _ = h.engine.handle(.tick(h.now))
            if step % 500 == 0 { _ = try? h.engine.page("p\(step)", to: "1234", at: h.now) }
        }
        #expect(h.engine.queuedCommands.count < 20)
    }
}

// MARK: SDS-TL acknowledgements, concatenated texts, LIP responses (issue 15)

extension PEIEngineTests {
    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }

    private static func sds(_ from: String, _ userData: [UInt8], bits: Int? = nil) -> [String] {
        ["+CTSDSR: 12,\(from),0,23401,0,\(bits ?? userData.count * 8)", hex(userData)]
    }

    @Test func sdsAckIsUnderstoodAndReportsThatAskForOneGetIt() {
        var h = Harness()
        h.start()
        h.lines("OK")
        // T10: an SDS-ACK is its own event, not an "SDS of another kind".
        h.lines("+CTSDSR: 12,1234567,0,2345678,0,32", "822001C9")
        #expect(h.events.last == .acknowledgement(from: "1234567", report: DeliveryReport(
            protocolIdentifier: 0x82, acknowledgementRequired: false, status: .receivedReportAcknowledged, reference: 0xC9), at: h.now))
        #expect(!h.events.contains { if case .sds = $0 { true } else { false } })
        // T9: a report asking for an acknowledgement gets an SDS-ACK (status 0x01, its reference).
        h.lines("+CTSDSR: 12,1234567,0,2345678,0,32", "821800CA")
        #expect(h.events.contains { if case .deliveryReport("1234567", let r, _) = $0 { r.acknowledgementRequired && r.reference == 0xCA } else { false } })
        #expect(h.writes.last == "AT+CTSDS=12,0,0,0,1\r\n")
        h.lines("OK")
        #expect(h.writes.last == "AT+CMGS=1234567,32\r\n822001CA^Z")
        h.lines("+CMGS: 1", "OK")
        // A consumed report asking for one: status 0x03.
        h.lines("+CTSDSR: 12,1234567,0,2345678,0,32", "821802CB")
        h.lines("OK")
        #expect(h.writes.last == "AT+CMGS=1234567,32\r\n822003CB^Z")
        h.lines("+CMGS: 2", "OK")
        // Without the bit, nothing goes back.
        let before = h.writes.count
        h.lines("+CTSDSR: 12,1234567,0,2345678,0,32", "821000CC")
        #expect(h.writes.count == before)
    }

    @Test func concatenatedTextIsReassembledOnceInAnyOrder() throws {
        var h = Harness()
        h.start()
        h.lines("OK")
        let message = "Großbrand Lagerhalle Nord, Zufahrt über Tor 3, Atemschutz, Drehleiter anfordern. Einsatzleiter: HBM Krüger."
        let parts = try SDSCodec.concatenatedTextSubmissions(message, to: "23401", firstReference: 40, concatenationReference: 7,
                                                             deliveryReport: .received, maximumBits: 400)
        #expect(parts.count == 3)
        for i in [2, 0, 0, 1] {
            h.lines(Self.sds("2269001", parts[i].userData)[0], Self.sds("2269001", parts[i].userData)[1])
            #expect(h.events.filter { if case .text = $0 { true } else { false } }.count == (i == 1 ? 1 : 0))
            if h.writes.last?.hasPrefix("AT+CTSDS") == true { h.lines("OK") }
            if h.writes.last?.hasPrefix("AT+CMGS") == true { h.lines("+CMGS: 0", "OK") }
        }
        let texts = h.events.compactMap { if case .text(let from, let to, let m, _) = $0 { (from, to, m) } else { nil } }
        #expect(texts.count == 1)
        #expect(texts.first?.0 == "2269001" && texts.first?.1 == "23401")
        #expect(texts.first?.2.text == message && texts.first?.2.parts == 3)
        #expect(!h.events.contains { if case .sds = $0 { true } else { false } })
        #expect(h.engine.pendingConcatenatedTexts == 0)
        // Every part asked for a received report and got one, with the parts' PI 0x8A (the
        // duplicate too: it was sent again because our first report may have been lost).
        for reference in ["28", "29", "2A"] {
            #expect(h.writes.contains("AT+CMGS=2269001,32\r\n8A1000\(reference)^Z"))
        }
        #expect(h.writes.filter { $0.hasSuffix("8A100028^Z") }.count == 2)
        var failures: [String] = []
        for action in h.actions { PEIInvariants.checkAction(action, &failures) }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func utf16CharacterSplitAcrossPartsIsJoined() {
        var h = Harness()
        h.start()
        h.lines("OK")
        // "中文" = 4E2D 6587: part 1 carries 4E 2D 65, part 2 carries 87.
        let header1: [UInt8] = [0x05, 0x00, 0x03, 0x09, 0x02, 0x01]
        let header2: [UInt8] = [0x05, 0x00, 0x03, 0x09, 0x02, 0x02]
        let p1: [UInt8] = [0x8A, 0x00, 0x01, 0x1A] + header1 + [0x4E, 0x2D, 0x65]
        let p2: [UInt8] = [0x8A, 0x00, 0x02, 0x1A] + header2 + [0x87]
        h.lines(Self.sds("555", p1)[0], Self.sds("555", p1)[1])
        h.lines(Self.sds("555", p2)[0], Self.sds("555", p2)[1])
        #expect(h.events.contains { if case .text("555", _, let m, _) = $0 { m.text == "中文" && m.coding == .utf16BigEndian } else { false } })
    }

    @Test func incompleteConcatenationsAreGivenUpWithAReason() throws {
        var configuration = PEIEngine.Configuration(gateway: "gw", initCommands: [])
        configuration.concatenation = .init(timeout: 30, maximumMessages: 2, maximumBytes: 200)
        var h = Harness(configuration)
        h.start()
        h.lines("OK")
        let parts = try SDSCodec.concatenatedTextSubmissions(String(repeating: "abcdefghij", count: 12), to: "1", firstReference: 1,
                                                             concatenationReference: 1, maximumBits: 400)
        #expect(parts.count == 3)
        h.lines(Self.sds("777", parts[0].userData)[0], Self.sds("777", parts[0].userData)[1])
        h.tick(20)
        #expect(!h.events.contains { if case .sds = $0 { true } else { false } })
        h.tick(31)
        let dropped = h.events.compactMap { if case .sds("777", .undecoded(0x8A, let bytes, let reason), _, _) = $0 { (bytes, reason) } else { nil } }
        #expect(dropped.count == 1)
        #expect(dropped.first?.0 == Array(parts[0].userData.dropFirst(10)), "the text bytes that arrived")
        #expect(dropped.first?.1.contains("parts 1 of 3 arrived, 2, 3 missing") == true)
        #expect(dropped.first?.1.contains("no further part for 30 s") == true)
        #expect(h.engine.pendingConcatenatedTexts == 0)

        // At most 2 incomplete messages: a third pushes out the oldest.
        for (sender, reference) in [("801", UInt8(11)), ("802", 12), ("803", 13)] {
            let p = try SDSCodec.concatenatedTextSubmissions(String(repeating: "x", count: 100), to: "1", firstReference: 1,
                                                             concatenationReference: reference, maximumBits: 400)
            h.lines(Self.sds(sender, p[0].userData)[0], Self.sds(sender, p[0].userData)[1])
        }
        #expect(h.events.contains { if case .sds("801", .undecoded(_, _, let reason), _, _) = $0 { reason.contains("more than 2") } else { false } })
        #expect(h.engine.pendingConcatenatedTexts == 2)
        // And at most 200 bytes held.
        let big = try SDSCodec.concatenatedTextSubmissions(String(repeating: "y", count: 300), to: "1", firstReference: 1,
                                                           concatenationReference: 99, maximumBits: 1600)
        h.lines(Self.sds("804", big[0].userData)[0], Self.sds("804", big[0].userData)[1])
        #expect(h.events.contains { if case .sds(_, .undecoded(_, _, let reason), _, _) = $0 { reason.contains("more than 200 bytes") } else { false } })
        #expect(h.engine.pendingConcatenatedTexts <= 2)
    }

    @Test func lipResponsesTruncatedReportsAndTimeOfPosition() throws {
        var h = Harness()
        h.start()
        h.lines("OK")
        h.lines("+CTSDSR: 12,555,0,23401,0,42", "0A5E30620440")
        #expect(h.events.last == .locationResponse(unit: "555", response: LIPResponse(
            kind: .removeTrigger, resultCode: LIPResultCode(code: 24), elements: [LIPElement(identifier: 6, bitLength: 8, data: [0x11])]), at: h.now))
        // Declared one bit short of the 84-bit short report: refused, never drawn.
        h.lines("+CTSDSR: 12,556,0,23401,0,83", "0A00893E12472C51026810")
        #expect(h.events.last == .locationWithoutFix(unit: "556", report: .truncated(bits: 83), at: h.now))
        #expect(!h.events.contains { if case .position = $0 { true } else { false } })
        // The clock reads 2023-11-14 22:13:20 UTC; the report was taken at 22:00:05 on the 14th.
        let report = LongLocationReport(timeType: 2, timeOfPosition: LIPTimeOfPosition(day: 14, hour: 22, minute: 0, second: 5),
                                        shape: .circleWithAltitude(LIPPoint(latitude: 31.2304, longitude: 121.4737), uncertainty: .init(code: 8),
                                                                   altitude: LIPAltitude.coding(metres: 12)),
                                        velocityData: .horizontalWithDirection(LIPVelocity(code: 18), direction: .coding(degrees: 225)),
                                        additionalData: .reason(LIPReason(code: 129)))
        let (bytes, bits) = report.encodedWithBitLength
        h.lines(Self.sds("557", bytes, bits: bits)[0], Self.sds("557", bytes, bits: bits)[1])
        guard case .position(let p, _) = h.events.last else { Issue.record("no position: \(String(describing: h.events.last))"); return }
        #expect(p.unit == "557" && p.time == Timestamp(milliseconds: 1_700_000_000_000 - 795_000))
        #expect(abs(p.latitude - 31.2304) < 1e-5 && abs(p.longitude - 121.4737) < 1e-5)
        #expect(p.altitude == 12 && p.heading == 225 && abs(p.speed! - 5) < 1e-9)
        #expect(abs(p.accuracy! - LIPHorizontalUncertainty(code: 8).metres) < 1e-9)
    }
}
