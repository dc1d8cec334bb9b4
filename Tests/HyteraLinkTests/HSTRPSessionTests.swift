import HyteraLink
import Testing
import TianyanModel

/// The repeater feed's session, pure: acknowledgements, duplicates acted on once, answers on the
/// channel they came from, pages on the slot the radio was heard on, retransmission, silence.
@Suite struct HSTRPSessionTests {
    typealias Session = HSTRPSession<String>
    let t0 = Timestamp(milliseconds: 1_800_000_000_000)
    func hex(_ s: String) -> [UInt8] { bytes(fromHex: s)! }

    func sends(_ actions: [Session.Action]) -> [(bytes: [UInt8], channel: Session.Channel, peer: String)] {
        actions.compactMap { if case .send(let b, let c, let p) = $0 { (b, c, p) } else { nil } }
    }

    func events(_ actions: [Session.Action]) -> [HyteraEvent] {
        actions.compactMap { if case .event(let e) = $0 { e } else { nil } }
    }

    @Test func registrationIsAcknowledgedAnsweredAndActedOnOnce() throws {
        var s = Session(configuration: .init(application: .init(gateway: "rpt")))
        let rrs = Session.Channel(.rrs, slot: 2)
        let v1 = hex("32420020000183040001869f04010211000300040a000064bd03")  // V-S1
        let out = s.receive(v1, on: rrs, from: "10.0.0.9:30001", at: t0)
        let sent = sends(out)
        #expect(sent.first?.bytes == hex("32420021000183040001869f04010211000300040a000064bd03"), "the ACK echoes the datagram")
        #expect(sent.allSatisfy { $0.channel == rrs && $0.peer == "10.0.0.9:30001" })
        let answer = try #require(sent.dropFirst().first)
        let d = try HSTRPDatagram(decoding: answer.bytes)
        guard case .rrs(let m) = try HyteraPDU(decoding: d.payload) else { Issue.record("not RRS"); return }
        #expect(m.kind == .registrationAnswer && m.radio.id == 100 && m.result == 0 && m.renewSeconds == 1800)
        #expect(events(out).contains { if case .presence(100, true, _, _) = $0 { true } else { false } })
        #expect(s.repeaterID == 99999 && s.isUp(at: t0))
        // The repeater did not get our ACK and sends it again: acknowledged again, not acted on.
        let again = s.receive(v1, on: rrs, from: "10.0.0.9:30001", at: t0.adding(seconds: 1))
        #expect(sends(again).count == 1 && events(again).isEmpty && s.duplicates == 1)
    }

    @Test func heartbeatsNeedOnlyTheAckAndSilenceTakesTheRepeaterDown() {
        var s = Session(configuration: .init(application: .init(gateway: "rpt"), silenceSeconds: 10))
        let hb = HSTRPDatagram(flags: .heartbeat, sequence: 0).encoded()
        let out = s.receive(hb, on: Session.Channel(.gps, slot: 1), from: "r", at: t0)
        #expect(sends(out).map(\.bytes) == [HSTRPDatagram(flags: [.heartbeat, .ack], sequence: 0).encoded()])
        #expect(events(s.tick(t0.adding(seconds: 5)))
            .isEmpty)
        #expect(events(s.tick(t0.adding(seconds: 11))).contains { if case .sessionDown = $0 { true } else { false } })
    }

    @Test func pagesGoOnTheSlotTheRadioWasHeardOnAndAreSentAgainUntilAcknowledged() throws {
        var s = Session(configuration: .init(application: .init(gateway: "rpt"), retransmitSeconds: 1, attempts: 2))
        // Radio 100 heard on slot 2's GPS port; the text channel of slot 2 not yet heard: the repeater host is.
        let gps = HyteraGPS(valid: true, time: t0, latitude: 22.8, longitude: 113.7, speedKnots: 1, direction: 90)
        let report = HSTRPDatagram(flags: [], sequence: 5, payload: HyteraPDU.lp(LPMessage(.conditionReport, requestID: 0, radio: RadioIP(id: 100),
                                                                                             gps: gps)).encoded()).encoded()
        let heard = s.receive(report, on: Session.Channel(.gps, slot: 2), from: "r:30004", at: t0)
        #expect(events(heard).contains { if case .position(let p, _) = $0 { p.unit == "100" && p.time == t0 } else { false } })
        let (page, actions) = s.page("请到北门集合", to: 100, group: false, at: t0)
        let out = try #require(sends(actions).first)
        #expect(out.channel == Session.Channel(.tms, slot: 2) && out.peer == "r:30004")
        let d = try HSTRPDatagram(decoding: out.bytes)
        guard case .tmp(let m) = try HyteraPDU(decoding: d.payload) else { Issue.record("not TMP"); return }
        #expect(m.text == "请到北门集合" && m.destination.id == 100)
        // Not acknowledged: sent again once, then the page fails.
        #expect(sends(s.tick(t0.adding(seconds: 1.1))).map(\.bytes) == [out.bytes])
        let failed = events(s.tick(t0.adding(seconds: 2.2)))
        #expect(failed.contains { if case .page(let p) = $0 { p.id == page.id && p.state == .failed } else { false } }, "\(failed)")
        // A second page, acknowledged by the repeater: accepted; the radio's TMP ack: received.
        let (second, a2) = s.page("收到请回复", to: 100, group: false, at: t0.adding(seconds: 3))
        let o2 = try #require(sends(a2).first)
        let ack = try HSTRPDatagram(decoding: o2.bytes).acknowledgement().encoded()
        #expect(events(s.receive(ack, on: o2.channel, from: "r:30004", at: t0.adding(seconds: 3.1)))
            .contains { if case .page(let p) = $0 { p.id == second.id && p.state == .accepted } else { false } })
        guard case .tmp(let m2) = try HyteraPDU(decoding: try HSTRPDatagram(decoding: o2.bytes).payload) else { return }
        let radioAck = HSTRPDatagram(flags: [], sequence: 9, payload: HyteraPDU.tmp(TMPMessage(ackFlag: true, .privateTextAck, requestID: m2.requestID,
                                                                                                 destination: RadioIP(id: 0), source: RadioIP(id: 100),
                                                                                                 result: 0)).encoded()).encoded()
        let got = events(s.receive(radioAck, on: Session.Channel(.tms, slot: 2), from: "r:30008", at: t0.adding(seconds: 4)))
        #expect(got.contains { if case .page(let p) = $0 { p.id == second.id && p.state == .received } else { false } }, "\(got)")
    }

    @Test func garbageIsCountedNotAcknowledged() {
        var s = Session(configuration: .init(application: .init(gateway: "rpt")))
        let out = s.receive([0x32, 0x41, 0x00], on: Session.Channel(.rrs, slot: 1), from: "x", at: t0)
        #expect(sends(out).isEmpty && events(out).contains { if case .malformed = $0 { true } else { false } })
        // A good header around a broken HDAP is acknowledged (the repeater would resend it forever) and counted.
        let broken = HSTRPDatagram(flags: [], sequence: 3, payload: [0x11, 0x00, 0x03, 0x00, 0x04, 1, 2]).encoded()
        let out2 = s.receive(broken, on: Session.Channel(.rrs, slot: 1), from: "x", at: t0)
        #expect(sends(out2).count == 1 && events(out2).contains { if case .malformed = $0 { true } else { false } })
    }
}
