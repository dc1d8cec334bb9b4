import JT808Link
import Testing
import TianyanModel

func hex(_ s: String) -> [UInt8] {
    let d = Array(s.utf8)
    func n(_ c: UInt8) -> UInt8 { c >= 97 ? c - 87 : c >= 65 ? c - 55 : c - 48 }
    return stride(from: 0, to: d.count, by: 2).map { n(d[$0]) << 4 | n(d[$0 + 1]) }
}

func frames(_ bytes: [UInt8]) -> [JT808Message] {
    var f = JT808Framer()
    return f.push(bytes).compactMap { if case .message(let m) = $0 { m } else { nil } }
}

/// The shared vectors (radio-ip.md §8.7), field by field, and the frames encoded back byte for byte.
@Suite struct JT808VectorTests {
    @Test func locationReport2013() throws {
        let v = hex("7E0200002611223344556622B8000000010000000200BA7F0E07E4F11C0028003C000018071510101001040000006402020037577E")
        let m = try #require(frames(v).first)
        #expect(m.id == 0x0200 && m.version == .v2013 && m.phone == "112233445566" && m.serial == 8888 && m.package == nil)
        #expect(m.encoded() == v)
        let l = try JT808Location(body: m.body)
        #expect(l.alarm == 1 && l.alarms == ["emergency"] && l.status == 2 && l.positioned && !l.accOn)
        #expect(l.latitude == 12.222222 && l.longitude == 132.444444 && l.altitude == 40 && l.speedTenthsKmh == 60 && l.direction == 0)
        #expect(l.time == Timestamp(parsing: "2018-07-15T02:10:10Z"), "the BCD time is GMT+8")
        #expect(l.mileageKm == 10 && l.fuelLitres == 5.5)
        #expect(l.body == m.body)
        let p = try #require(l.position(unit: m.terminal, received: Timestamp(milliseconds: 0)))
        #expect(p.unit == "112233445566" && p.source == .jt808 && abs(p.speed! - 6.0 / 3.6) < 1e-9 && p.altitude == 40)
    }

    @Test func platformMessages2019() throws {
        let v5 = hex("7e8001400501000000000139123443290000006f020000dc7e")
        let r = try #require(frames(v5).first)
        #expect(r.id == 0x8001 && r.version == .v2019(protocolVersion: 1) && r.phone == "00000000013912344329" && r.terminal == "13912344329")
        #expect(try JT808Response(body: r.body) == JT808Response(serial: 111, id: 0x0200, result: 0))
        #expect(r.encoded() == v5)
        let v6 = hex("7e8201400001000000000139123443290000b67e")
        let q = try #require(frames(v6).first)
        #expect(q.id == 0x8201 && q.body.isEmpty && q.encoded() == v6)
    }

    @Test func escapesAcrossReadsAndBadFrames() throws {
        // A body holding 0x7E and 0x7D is escaped; cut the stream at every byte, with noise and a bad checksum around.
        let m = JT808Message(id: 0x0200, phone: "013912344329", serial: 0x7E7D,
                             body: JT808Location(latitude: 22.8, longitude: 113.7, time: Timestamp(milliseconds: 1_796_700_000_000),
                                                 extras: [.init(id: 0x30, value: [0x7E]), .init(id: 0x31, value: [0x7D])]).body)
        let good = m.encoded()
        #expect(good.dropFirst().dropLast().allSatisfy { $0 != 0x7E })
        var bad = good
        bad[bad.count - 2] ^= 0x01
        let stream = [0x01, 0x02] + bad + good + [0x7E, 0x7D, 0x05, 0x7E] + good
        for cut in 1..<stream.count {
            var f = JT808Framer()
            let out = f.push(Array(stream[..<cut])) + f.push(Array(stream[cut...]))
            let got = out.compactMap { if case .message(let x) = $0 { x } else { nil } }
            #expect(got == [m, m], "cut at \(cut)")
        }
    }

    @Test func multiPackageHeadersAndLengthLies() throws {
        let part = JT808Message(id: 0x0704, version: .v2019(protocolVersion: 1), phone: "13912344329", serial: 5, package: (3, 2), body: [1, 2, 3])
        let back = try #require(frames(part.encoded()).first)
        #expect(back.package?.total == 3 && back.package?.index == 2 && back.body == [1, 2, 3])
        // A header that claims more body than the frame has is refused.
        var e = part.encoded()
        e[4] = 0x60  // length bits say 0x?? more
        var f = JT808Framer()
        #expect(f.push(e).contains { if case .garbage = $0 { true } else { false } })
    }

    @Test func gbkBothWays() {
        let bytes = GBK.encode("请到北门集合")!
        #expect(bytes == hex("c7ebb5bdb1b1c3c5bcafbacf"))
        #expect(GBK.decode(bytes) == ("请到北门集合", true))
        let broken = GBK.decode([0xC7, 0xEB, 0xFF, 0x41])
        #expect(!broken.valid && broken.text.hasPrefix("请") && broken.text.hasSuffix("A"))
    }
}

/// One terminal's connection, pure.
@Suite struct JT808ConnectionTests {
    let t0 = Timestamp(milliseconds: 1_796_700_000_000)
    typealias C = JT808Connection
    func sent(_ a: [C.Action]) -> [JT808Message] { a.compactMap { if case .send(let b) = $0 { frames(b).first } else { nil } } }
    func events(_ a: [C.Action]) -> [JT808Event] { a.compactMap { if case .event(let e) = $0 { e } else { nil } } }

    func register(_ c: inout C, phone: String = "13912344329", version: JT808Message.Version = .v2013) throws -> String {
        let reg = JT808Registration(province: 44, city: 1900, manufacturer: "ZX", model: "PoC-1", terminalID: "T0001", plateColor: 0, plate: "粤S12345")
        let a = c.receive(JT808Message(id: 0x0100, version: version, phone: phone, serial: 1, body: reg.body(version: version)).encoded(), at: t0)
        let answer = try #require(sent(a).first)
        #expect(answer.id == 0x8100 && answer.version == version)
        #expect(events(a).contains { if case .registered(_, let r, _) = $0 { r == reg } else { false } })
        #expect(Array(answer.body.prefix(3)) == [0, 1, 0], "answers serial 1 with result 0")
        return GBK.decode(answer.body.dropFirst(3)).text
    }

    @Test func registrationAuthenticationAndReports() throws {
        var c = C(configuration: .init(gateway: "poc", secret: "s3cret"), at: t0)
        // A report before authentication is refused and stored nowhere.
        let early = c.receive(JT808Message(id: 0x0200, phone: "13912344329", serial: 1, body: JT808Location(latitude: 22.8, longitude: 113.7, time: t0).body).encoded(), at: t0)
        #expect(sent(early).first.map { try! JT808Response(body: $0.body).result } == 1)
        #expect(events(early).contains { if case .refused = $0 { true } else { false } })
        let code = try register(&c)
        #expect(code == C.code(phone: "13912344329", secret: "s3cret") && code.count == 12)
        // A wrong code is refused; the right one is accepted.
        let wrong = c.receive(JT808Message(id: 0x0102, phone: "13912344329", serial: 2, body: JT808Authentication(code: "nope").body(version: .v2013)).encoded(), at: t0)
        #expect(events(wrong).contains { if case .refused(_, let why, _) = $0 { why.contains("code") } else { false } } && !c.authenticated)
        let ok = c.receive(JT808Message(id: 0x0102, phone: "13912344329", serial: 3, body: JT808Authentication(code: code).body(version: .v2013)).encoded(), at: t0)
        #expect(c.authenticated && sent(ok).first.map { try! JT808Response(body: $0.body) } == JT808Response(serial: 3, id: 0x0102, result: 0))
        // A report with the emergency bit: a position and an alarm (once, on the rising edge).
        let sos = JT808Location(alarm: 1, latitude: 22.81, longitude: 113.71, speedTenthsKmh: 360, direction: 90, time: t0)
        let r1 = c.receive(JT808Message(id: 0x0200, phone: "13912344329", serial: 4, body: sos.body).encoded(), at: t0)
        #expect(events(r1).contains { if case .position(let p, let alarms) = $0 { p.unit == "13912344329" && p.time == t0 && alarms == ["emergency"] && abs(p.speed! - 10) < 1e-9 } else { false } }, "\(events(r1))")
        #expect(events(r1).contains { if case .alarm(_, let names, _, _) = $0 { names == ["emergency"] } else { false } })
        let r2 = c.receive(JT808Message(id: 0x0200, phone: "13912344329", serial: 5, body: sos.body).encoded(), at: t0)
        #expect(!events(r2).contains { if case .alarm = $0 { true } else { false } }, "the same alarm word again is not a new alarm")
        // No fix: never a position.
        let noFix = JT808Location(status: 0, latitude: 0, longitude: 0, time: t0)
        #expect(events(c.receive(JT808Message(id: 0x0200, phone: "13912344329", serial: 6, body: noFix.body).encoded(), at: t0))
            .contains { if case .noFix = $0 { true } else { false } })
        // A batch of two, one of them broken, and a heartbeat.
        var batch = JT808Batch.body([JT808Location(latitude: 22.82, longitude: 113.72, time: t0), JT808Location(latitude: 22.83, longitude: 113.73, time: t0)], backlog: true)
        batch += [0x00, 0x03, 1, 2, 3]
        batch[1] = 3
        let b = c.receive(JT808Message(id: 0x0704, phone: "13912344329", serial: 7, body: batch).encoded(), at: t0)
        #expect(events(b).filter { if case .position = $0 { true } else { false } }.count == 2)
        #expect(events(b).contains { if case .malformed = $0 { true } else { false } })
        let hb = c.receive(JT808Message(id: 0x0002, phone: "13912344329", serial: 8).encoded(), at: t0)
        #expect(sent(hb).first.map { try! JT808Response(body: $0.body) } == JT808Response(serial: 8, id: 2, result: 0))
    }

    @Test func multiPackageReassembledAndTextsFollowed() throws {
        var c = C(configuration: .init(gateway: "poc", secret: "x", requireAuthentication: false, pageAnswerSeconds: 10), at: t0)
        let body = JT808Batch.body((0..<3).map { JT808Location(latitude: 22.8 + Double($0) / 100, longitude: 113.7, time: t0) }, backlog: false)
        let chunks = stride(from: 0, to: body.count, by: 40).map { Array(body[$0..<min($0 + 40, body.count)]) }
        var all: [C.Action] = []
        for (i, chunk) in chunks.enumerated().reversed() {
            all += c.receive(JT808Message(id: 0x0704, version: .v2019(protocolVersion: 1), phone: "13912344329", serial: UInt16(10 + i),
                                          package: (UInt16(chunks.count), UInt16(i + 1)), body: chunk).encoded(), at: t0)
        }
        #expect(events(all).filter { if case .position = $0 { true } else { false } }.count == 3, "reassembled in index order")
        // A text in Chinese: GBK on the wire, received on the terminal's general response.
        let made = c.text("请到北门集合", id: 1, at: t0)
        let (page, actions) = try #require(made)
        let m = try #require(sent(actions).first)
        #expect(m.id == 0x8300 && m.version == .v2019(protocolVersion: 1) && Array(m.body.prefix(2)) == [0x0C, 1])
        #expect(GBK.decode(m.body.dropFirst(2)).text == "请到北门集合" && page.state == .sent)
        let ack = c.receive(JT808Message(id: 0x0001, version: .v2019(protocolVersion: 1), phone: "13912344329", serial: 20,
                                         body: JT808Response(serial: m.serial, id: 0x8300, result: 0).body).encoded(), at: t0.adding(seconds: 1))
        #expect(events(ack).contains { if case .page(let p) = $0 { p.state == .received && p.history.last?.final == true } else { false } })
        // A second text that is never answered fails; a silent connection is closed.
        _ = c.text("收到请回复", id: 2, at: t0)
        #expect(events(c.tick(t0.adding(seconds: 11))).contains { if case .page(let p) = $0 { p.id == 2 && p.state == .failed } else { false } })
        #expect(c.tick(t0.adding(seconds: 301)).contains { if case .close = $0 { true } else { false } })
    }
}
