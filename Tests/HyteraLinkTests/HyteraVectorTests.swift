import HyteraLink
import Testing
import TianyanModel

/// The shared vectors (radio-ip.md §8.1–8.3), decoded field by field and encoded back byte for byte.
@Suite struct HyteraVectorTests {
    func hex(_ s: String) -> [UInt8] { bytes(fromHex: s)! }

    func hdap(_ s: String) throws -> HyteraPDU {
        let pdu = try HyteraPDU(decoding: hex(s))
        #expect(pdu.encoded() == hex(s), "re-encoding \(s)")
        return pdu
    }

    @Test func hrnpControlPackets() throws {
        let connect = try HRNPPacket(decoding: hex("7e0400fe20100000000c60e1"))
        #expect(connect.version == 4 && connect.opcode == .connect && connect.source == 0x20 && connect.destination == 0x10)
        #expect(connect.packetNumber == 0 && connect.payload.isEmpty)
        #expect(connect.encoded() == hex("7e0400fe20100000000c60e1"))
        #expect(try HRNPPacket(decoding: hex("7e0300fe20100000000c60e2")).version == 3)
        let accept = try HRNPPacket(decoding: hex("7e0400fd10200000000c70d2"))
        #expect(accept.opcode == .accept && accept.source == 0x10 && accept.destination == 0x20)
        let ack = try HRNPPacket(decoding: hex("7E04001010200001000C71BE"))
        #expect(ack.opcode == .dataAck && ack.packetNumber == 1)
        #expect(ack.encoded() == hex("7E04001010200001000C71BE"))
        #expect(throws: HyteraDecodeError.self) { try HRNPPacket(decoding: hex("7e0400fe20100000000c60e2")) }
    }

    @Test func hrnpDataWithRCP() throws {
        let p = try HRNPPacket(decoding: hex("7e04000020100000001873890241080500006f0000007503"))
        #expect(p.opcode == .data && p.encoded() == hex("7e04000020100000001873890241080500006f0000007503"))
        guard case .rcp(let rcp) = try HyteraPDU(decoding: p.payload) else { Issue.record("not RCP"); return }
        #expect(rcp.kind == .callRequest && rcp.callType == 0 && rcp.target == 111)

        let config = try HRNPPacket(decoding: hex("7e04000020100001001b43b502471808000700000000000000c403"))
        guard case .rcp(let bm) = try HyteraPDU(decoding: config.payload) else { Issue.record("not RCP"); return }
        #expect(bm.kind == .broadcastMessageConfig && bm.broadcastType == 7)
        #expect(bm.message.encoded() == config.payload)

        let reply = try HRNPPacket(decoding: hex("7E040000102000010014857A0247880100006203"))
        guard case .rcp(let r) = try HyteraPDU(decoding: reply.payload) else { Issue.record("not RCP"); return }
        #expect(r.kind == .broadcastMessageConfigReply && r.result == 0)
    }

    @Test func radioIDReplies() throws {
        let ip = try HRNPPacket(decoding: hex("7E040000102000030019FDF9025284060000010A0003E95F03"))
        guard case .rcp(let a) = try hdap(hexString(ip.payload)) else { Issue.record("not RCP"); return }
        #expect(a.kind == .radioIDReply && a.result == 0 && a.idTarget == 1 && a.radioIP == RadioIP(subnet: 10, id: 1001))
        #expect(a.radioIP?.description == "10.0.3.233")
        let id = try HRNPPacket(decoding: hex("7E040000102000020019E41402528406000000E90300006A03"))
        guard case .rcp(let b) = try hdap(hexString(id.payload)) else { Issue.record("not RCP"); return }
        #expect(b.idTarget == 0 && b.target == 1001)
    }

    @Test func statusConfigurationAndReports() throws {
        let v10 = try HRNPPacket(decoding: hex("7e030000201000000018fefe02c910050002000101014f03"))
        guard case .rcp(let c) = try hdap(hexString(v10.payload)) else { Issue.record("not RCP"); return }
        #expect(c.kind == .broadcastStatusConfig && c.entries == [.init(target: 0, on: true), .init(target: 1, on: true)])
        let v10b = try HRNPPacket(decoding: hex("7e04000020100000001c03f502c7100900040b010601050012012303"))
        guard case .rcp(let s) = try hdap(hexString(v10b.payload)) else { Issue.record("not RCP"); return }
        #expect(s.kind == .statusChangeConfig)
        #expect(s.entries == [.init(target: 0x0B, on: true), .init(target: 0x06, on: true), .init(target: 0x05, on: false), .init(target: 0x12, on: true)])
        let v10c = try HRNPPacket(decoding: hex("7e04000020100000001602fb02c8b003000b0400a803"))
        guard case .rcp(let r) = try hdap(hexString(v10c.payload)) else { Issue.record("not RCP"); return }
        #expect(r.kind == .statusReport && r.statusTarget == 0x0B && r.statusValue == 4)
        // Non-standard radio identification: only the checksums are known.
        _ = try HRNPPacket(decoding: hex("7e0400002010000100189b6002040005006400000001c403"))
        let unknown = try HRNPPacket(decoding: hex("7e040000102000010019d6240204800600000f690600012903"))
        guard case .rcp(let u) = try hdap(hexString(unknown.payload)) else { Issue.record("not RCP"); return }
        #expect(u.kind == nil && u.opcode == 0x8004 && u.extra.count == 6)
    }

    @Test func repeaterTransmitStatus() throws {
        guard case .rcp(let m) = try hdap("0245b810000100040004000000fd080000fa372300c303") else { Issue.record("not RCP"); return }
        #expect(m.kind == .repeaterTransmitStatus && m.repeaterMode == 1 && m.repeaterStatus == 4 && m.repeaterService == 4)
        #expect(m.callType == 0 && m.target == 2301 && m.sender == 2_308_090)
    }

    @Test func locationReports() throws {
        guard case .lp(let a) = try hdap("08a0020032000000010a2110dd0000413138333634383236313031354e343731382e383035314530313835342e34333837302e313132310b03")
        else { Issue.record("not LP"); return }
        #expect(a.kind == .immediateReport && a.requestID == 1 && a.radio == RadioIP(subnet: 10, id: 2_167_005) && a.result == 0)
        let gps = try #require(a.gps)
        #expect(gps.valid)
        #expect(abs(gps.latitude! - 47.31341833) < 1e-7 && abs(gps.longitude! - 18.90731167) < 1e-7)
        #expect(gps.speedKnots == 0.1 && gps.direction == 121)
        #expect(gps.time == Timestamp(parsing: "2015-10-26T18:36:48Z"))
        let p = try #require(gps.position(unit: "2167005", received: Timestamp(milliseconds: 0)))
        #expect(p.time == Timestamp(parsing: "2015-10-26T18:36:48Z") && abs(p.speed! - 0.1 * 1852 / 3600) < 1e-9 && p.heading == 121)

        guard case .lp(let c) = try hdap("08a0020032200000010a03640e0000413136323232333331313031384e343733362e363937374530303733392e32363830302e303030358903")
        else { Issue.record("not LP"); return }
        #expect(c.requestID == 0x2000_0001 && c.radio?.id == 222_222)
        #expect(abs(c.gps!.latitude! - 47.61162833) < 1e-7 && abs(c.gps!.longitude! - 7.65446667) < 1e-7)
        #expect(c.gps!.speedKnots == 0 && c.gps!.direction == 5 && c.gps!.time == Timestamp(parsing: "2018-10-31T16:22:23Z"))
    }

    @Test func locationRequests() throws {
        guard case .lp(let e) = try hdap("08A0010009200000030A03640E01E503") else { Issue.record("not LP"); return }
        #expect(e.kind == .immediateRequest && e.requestID == 0x2000_0003 && e.radio?.id == 222_222 && e.extra == [1])
        let f = "08d0010039200000020a03640e04000003e830303030303030303030303030303030303030303030303030303030303030303031303030303030303832304d03"
        guard case .lp(let d) = try hdap(f) else { Issue.record("not LP"); return }
        #expect(d.kind == .conditionRequest && d.trigger == 4 && d.distance == 1000)
        #expect(d.start == "00000000000000" && d.stop == "00000000000000" && d.interval == "00000100" && d.maxInterval == "00000820")
        #expect(LPMessage.seconds(ofInterval: d.interval!) == 60 && LPMessage.interval(seconds: 60) == "00000100")
    }

    @Test func textMessages() throws {
        guard case .tmp(let t) = try hdap("0980a10022000000010a01b2070a03640e4f004c004900560045005200200054004500530054007a03")
        else { Issue.record("not TMP"); return }
        #expect(t.kind == .privateText && t.ackFlag && t.requestID == 1 && t.destination.id == 111_111 && t.source?.id == 222_222)
        #expect(t.text == "OLIVER TEST")
        guard case .tmp(let a) = try hdap("0980a2000D000000010a01b2070a030000003103") else { Issue.record("not TMP"); return }
        #expect(a.kind == .privateTextAck && a.destination.id == 111_111 && a.source?.id == 196_608 && a.result == 0)
        let chinese = TMPMessage.text("请到北门集合", group: false, requestID: 7, to: RadioIP(id: 1001), from: RadioIP(id: 2))
        guard case .tmp(let back) = try HyteraPDU(decoding: HyteraPDU.tmp(chinese).encoded()) else { Issue.record("not TMP"); return }
        #expect(back.text == "请到北门集合" && back.requestID == 7)
        // A lone surrogate is not text.
        let lone = TMPMessage(.privateText, requestID: 1, destination: RadioIP(id: 1), source: RadioIP(id: 2), data: [0x00, 0xD8, 0x41, 0x00])
        #expect(lone.text == nil)
    }

    @Test func registration() throws {
        guard case .rrs(let r) = try hdap("11000300040a2338636303") else { Issue.record("not RRS"); return }
        #expect(r.kind == .registration && r.radio == RadioIP(subnet: 10, id: 2_308_195) && !r.reliable)
        guard case .rrs(let a) = try hdap("11008000090a2338630000000708d203") else { Issue.record("not RRS"); return }
        #expect(a.kind == .registrationAnswer && a.result == 0 && a.renewSeconds == 1800)
        guard case .rrs(let b) = try hdap("9100800009 0a000050 00 00000e10 31 03") else { Issue.record("not RRS"); return }
        #expect(b.reliable && b.radio.description == "10.0.0.80" && b.renewSeconds == 3600)
        guard case .rrs(let c) = try hdap("9100020004 0a000014 0e03") else { Issue.record("not RRS"); return }
        #expect(c.reliable && c.kind == .onlineCheck && c.radio.id == 20)
        guard case .rrs(let d) = try hdap("1100820005 0a000021 00 80 03") else { Issue.record("not RRS"); return }
        #expect(d.kind == .onlineCheckAnswer && d.radio.id == 33 && d.state == 0)
    }

    @Test func hstrpDatagrams() throws {
        let s1 = try HSTRPDatagram(decoding: hex("32420020000183040001869f04010211000300040a000064bd03"))
        #expect(s1.flags == .options && s1.sequence == 1 && s1.deviceID == 99999 && s1.slot == 2)
        guard case .rrs(let r) = try HyteraPDU(decoding: s1.payload) else { Issue.record("not RRS"); return }
        #expect(r.kind == .registration && r.radio.id == 100)
        #expect(s1.encoded() == hex("32420020000183040001869f04010211000300040a000064bd03"))
        #expect(s1.acknowledgement().encoded() == hex("32420021000183040001869f04010211000300040a000064bd03"))
        let s2 = try HSTRPDatagram(decoding: hex("324200000001024108050000d20400000e03"))
        #expect(s2.options.isEmpty && s2.sequence == 1)
        guard case .rcp(let c) = try HyteraPDU(decoding: s2.payload) else { Issue.record("not RCP"); return }
        #expect(c.kind == .callRequest && c.target == 1234)
        let s3 = try HSTRPDatagram(decoding: hex("32420020001383040001869f0401010241880100006803"))
        #expect(s3.sequence == 19 && s3.deviceID == 99999 && s3.slot == 1)
        guard case .rcp(let reply) = try HyteraPDU(decoding: s3.payload) else { Issue.record("not RCP"); return }
        #expect(reply.kind == .callReply && reply.result == 0)
    }

    @Test func framerResynchronisesAcrossGarbageAndSplitReads() {
        let a = hex("7e0400fd10200000000c70d2")
        let b = hex("7E040000102000030019FDF9025284060000010A0003E95F03")
        var bad = b
        bad[11] ^= 0xFF
        let stream = [0x00, 0x7E, 0x13] + a + bad + a + b
        for split in 1..<stream.count {
            var framer = HRNPFramer()
            let out = framer.push(Array(stream[..<split])) + framer.push(Array(stream[split...]))
            let packets = out.compactMap { if case .packet(let p) = $0 { p } else { nil } }
            #expect(packets.map(\.opcode) == [.accept, .accept, .data], "split at \(split)")
            #expect(framer.buffered == 0)
        }
    }

    @Test func aLyingLengthDoesNotHoldBackTheNextPacket() {
        let good = hex("7E040000102000030019FDF9025284060000010A0003E95F03")
        // A header that claims 0x0E73 bytes, then a whole valid packet.
        let liar = hex("7E04000010200478 0E73 0E73 02C8B003000B0300A903")
        var framer = HRNPFramer()
        let out = framer.push(liar + good)
        #expect(out.contains { if case .packet(let p) = $0 { p.encoded() == good } else { false } }, "\(out)")
        // Half a packet then silence: dropped when the session's clock says so, what follows is framed.
        var f2 = HRNPFramer()
        #expect(f2.push(Array(good.prefix(10))).isEmpty)
        #expect(f2.buffered == 10)
        let dropped = f2.dropIncomplete()
        #expect(dropped.contains { if case .garbage = $0 { true } else { false } } && f2.buffered == 0)
        var s = HRNPSession(configuration: .init(application: .init(gateway: "t")))
        let t0 = Timestamp(milliseconds: 1_000_000)
        _ = s.start(at: t0)
        _ = s.receive(hex("7e0400fd10200000000c70d2"), at: t0)
        _ = s.receive(Array(good.prefix(14)), at: t0)
        let later = s.tick(t0.adding(seconds: 1.5))
        #expect(later.contains { if case .event(.malformed) = $0 { true } else { false } }, "\(later)")
        let next = s.receive(good, at: t0.adding(seconds: 2))
        #expect(next.contains { if case .event(.ownRadio(1001)) = $0 { true } else { false } }, "\(next)")
    }

    @Test func gpsFieldsReadByteByByte() {
        func gps(_ text: String) -> HyteraGPS {
            var b = Array(text.utf8)
            b += [UInt8](repeating: 0, count: max(0, 40 - b.count))
            return HyteraGPS(raw: Array(b.prefix(40)))
        }
        let g = gps("A123456010226N2248.1234E11342.5678 12045")
        #expect(g.valid && g.time == Timestamp(parsing: "2026-02-01T12:34:56Z"))
        #expect(abs(g.latitude! - (22 + 48.1234 / 60)) < 1e-9 && abs(g.longitude! - (113 + 42.5678 / 60)) < 1e-9)
        #expect(g.speedKnots == 12 && g.direction == 45)
        // Empty fields (NUL), a V report, letters where digits belong, minutes of 60 or more.
        let empty = HyteraGPS(raw: [UInt8(ascii: "V")] + [UInt8](repeating: 0, count: 39))
        #expect(!empty.valid && empty.time == nil && empty.latitude == nil && empty.speedKnots == nil && empty.direction == nil)
        #expect(gps("A123456010226N22x8.1234E11342.5678 12045").latitude == nil)
        #expect(gps("A123456010226N2260.0000E11342.5678 12045").latitude == nil)
        #expect(gps("A123456013226N2248.1234E11342.5678 12045").time == nil, "13th month")
        #expect(gps("A123456010226N2248.1234E11342.56781.5360").direction == nil, "360 is not a direction")
        #expect(gps("A123456010226N2248.1234E11342.56781.5359").speedKnots == 1.5)
        #expect(gps("A123456010226S2248.1234W11342.5678 12045").position(unit: "1", received: Timestamp(milliseconds: 0))
            .map { $0.latitude < 0 && $0.longitude < 0 } == true)
        // The builder writes what the reader reads.
        let t = Timestamp(parsing: "2026-12-08T01:02:03Z")!
        let built = HyteraGPS(valid: true, time: t, latitude: 22.81234, longitude: 113.70001, speedKnots: 3.5, direction: 270)
        #expect(built.time == t && abs(built.latitude! - 22.81234) < 1e-5 && abs(built.longitude! - 113.70001) < 1e-5)
        #expect(built.speedKnots == 3.5 && built.direction == 270)
    }
}
