import RadioLink
import Testing
import TianyanModel
@testable import radio_sim

@Suite struct CommandTests {
    @Test func echoesCommandsUntilATE0() {
        var h = SimHarness()
        #expect(h.send("AT") == ["AT", "OK"])
        #expect(h.send("ATZ") == ["ATZ", "OK"])
        #expect(h.send("ATE0") == ["ATE0", "OK"])
        #expect(h.send("AT") == ["OK"])
        #expect(h.send("AT+CSCS=8859-1") == ["OK"])
        #expect(h.send("AT+CTSP=1,3,130") == ["OK"])
        #expect(h.send("AT+FOO") == ["+CME ERROR: 4"])
        #expect(h.send("hello") == ["+CME ERROR: 35"])
        // ATE1 arrives while echo is off, so only what follows it is echoed.
        #expect(h.send("ATE1") == ["OK"])
        #expect(h.send("AT") == ["AT", "OK"])
    }

    @Test func cnumfGivesA17DigitTSIEndingInTheOwnISSI() throws {
        var h = SimHarness(quietConfiguration { $0.ownISSI = 2_000_001 })
        _ = h.send("ATE0")
        let answer = h.send("AT+CNUMF?")
        #expect(answer == ["+CNUMF: 6,04600000102000001", "OK"])
        guard case .ownNumber(let number) = PEIParser.parseLine(answer[0]) else {
            Issue.record("RadioLink does not parse \(answer[0]) as +CNUMF")
            return
        }
        #expect(number.numberType == 6)
        #expect(number.identity.raw.count == 17)
        #expect(number.identity.issi == "2000001")
    }

    @Test func queriesHaveAnswersRadioLinkParses() {
        var h = SimHarness()
        _ = h.send("ATE0")
        let ctgs = h.send("AT+CTGS?")
        #expect(ctgs.last == "OK")
        guard case .groupSelection(let g) = PEIParser.parseLine(ctgs[0]) else { Issue.record("\(ctgs)"); return }
        #expect(g.group.issi == "9001")
        #expect(h.send("AT+CTGS=1,9003") == ["OK"])
        #expect(h.send("AT+CTGS?").first == "+CTGS: 1,9003")
        let csq = h.send("AT+CSQ?")
        guard case .signalQuality(let q) = PEIParser.parseLine(csq[0]) else { Issue.record("\(csq)"); return }
        #expect((0...31).contains(q.value))
        let cbc = h.send("AT+CBC?")
        guard case .battery(let b) = PEIParser.parseLine(cbc[0]) else { Issue.record("\(cbc)"); return }
        #expect(b.chargePercent == 100)
        #expect(h.send("AT+CTSDS=12,0,0,0,1") == ["OK"])
        #expect(h.send("AT+CTSDS=3,0") == ["+CME ERROR: 34"])
    }

    @Test func engineInitialisesAgainstTheSimulator() {
        var loop = Loopback()
        loop.start()
        #expect(loop.isReady, "the engine did not become ready; completions: \(loop.completions.map { "\($0.command) \($0.result)" })")
        let ready = loop.events.compactMap { e -> (TetraIdentity?, [String])? in
            if case .linkReady(let id, let failed) = e { (id, failed) } else { nil }
        }
        #expect(ready.count == 1)
        #expect(ready.first?.0?.issi == "2000001")
        #expect(ready.first?.1 == [], "init commands refused: \(ready.first?.1 ?? [])")
        #expect(loop.completions.allSatisfy { $0.result == .ok })
        // Keep-alive after 10 s idle is answered.
        loop.run(for: 25)
        #expect(loop.completions.filter { $0.purpose == .keepAlive }.count >= 2)
        #expect(loop.engine.timeouts == 0)
    }

    @Test func cmgsWithWrongBitCountIsRefusedWithCME32() {
        var h = SimHarness()
        _ = h.send("ATE0")
        #expect(h.send("AT+CMGS=2100001,40\r\n820C2A014869\u{1A}") == ["+CME ERROR: 32"])
        #expect(h.send("AT+CMGS=2100001,64\r\n820C2A014869\u{1A}") == ["+CME ERROR: 32"])
        #expect(h.send("AT+CMGS=2100001,48\r\n820C2A01486Z\u{1A}") == ["+CME ERROR: 32"])
        #expect(h.send("AT+CMGS=21A0001,48\r\n820C2A014869\u{1A}") == ["+CME ERROR: 35"])
        #expect(h.sim.counters.sdsAccepted == 0)
        #expect(h.advance(by: 10) == [])
    }

    @Test func escAbortsTheSDS() {
        var h = SimHarness()
        h.initialise()
        #expect(h.send("AT+CMGS=2100001,48") == [])
        #expect(h.sim.awaitingUserData)
        #expect(h.send("820C2A\u{1B}") == ["OK"])
        #expect(!h.sim.awaitingUserData)
        #expect(h.advance(by: 60) == [])
        #expect(h.sim.counters.sdsAccepted == 0)
        #expect(h.send("AT") == ["OK"])
    }

    @Test func userDataThatNeverEndsTimesOutWithCME37() {
        var h = SimHarness()
        _ = h.send("ATE0")
        #expect(h.send("AT+CMGS=2100001,48") == [])
        #expect(h.advance(by: 29) == [])
        #expect(h.advance(by: 2) == ["+CME ERROR: 37"])
        #expect(h.send("AT") == ["OK"])
    }

    @Test func busyRadioRefusesWithCME42() {
        var h = SimHarness(quietConfiguration { $0.busyRate = 1 })
        _ = h.send("ATE0")
        #expect(h.send("AT+CMGS=2100001,48\r\n820C2A014869\u{1A}") == ["+CME ERROR: 42"])
    }
}
