import Foundation
import HyteraLink
import Logging
import RecordWriter
import SerialPorts
import ServiceLifecycle
import Testing
import TianyanHytera
import TianyanModel
import TianyanSQLite
import TianyanTesting

/// A Hytera radio scripted byte by byte on a real TCP socket or pty: the shared vectors
/// (radio-ip.md §8) go through HyteraGatewayService into a real SQLite file, and are checked
/// there field by field; what the controller writes back is read as HRNP.
final class HRNPPeer: @unchecked Sendable {
    // Invariant: set up once in init.
    let dir: TemporaryDirectory
    let radio: ScriptedRadio
    let store: FleetStore
    let writer: StoreWriter
    let service: HyteraGatewayService
    let group: ServiceGroup
    private var task: Task<Void, any Error>?
    private let packetLock = NSLock()
    private var nextPacket: UInt16 = 100

    init(_ transport: (TemporaryDirectory) -> ScriptedRadio.Transport) async throws {
        dir = try TemporaryDirectory("tianyan-hytera")
        radio = try ScriptedRadio(transport(dir))
        radio.bytesOnly = true
        let database = try TianyanDatabase(location: dir.file("db.sqlite"))
        store = FleetStore(database: database)
        let registry = FleetSample.make()
        try await store.replaceRegistry(registry)
        var logger = Logger(label: "test.hytera")
        logger.logLevel = .warning
        writer = StoreWriter(database: database, configuration: .init(batchSize: 1000, maxDelay: .milliseconds(5)), logger: logger)
        // The TCP radio is reached by URL; the pty one at 115200 as the profile says.
        let url = try GatewayURL(parsing: radio.url.replacingOccurrences(of: "baud=38400", with: "baud=115200"))
        let session = HRNPSession.Configuration(application: .init(gateway: "hy", pageAnswerSeconds: 30), retransmitSeconds: 1,
                                                connectRetrySeconds: 1, keepAliveSeconds: 600)
        service = HyteraGatewayService(settings: .init(name: "hy", url: url, session: session,
                                                       backoff: .init(initial: .milliseconds(100), maximum: .milliseconds(400))),
                                       sink: writer, directory: RadioDirectory(registry: registry), logger: logger)
        group = ServiceGroup(services: [writer, service], logger: logger)
        let g = group
        task = Task { try await g.run() }
    }

    /// Every HRNP packet the controller has written so far.
    var packets: [HRNPPacket] {
        var framer = HRNPFramer()
        return framer.push(radio.received).compactMap { if case .packet(let p) = $0 { p } else { nil } }
    }

    /// The HDAP PDUs of the controller's DATA packets.
    var pdus: [HyteraPDU] { packets.filter { $0.opcode == .data }.compactMap { try? HyteraPDU(decoding: $0.payload) } }

    func waitForPacket(_ what: String, _ match: @escaping (HRNPPacket) -> Bool) async throws -> HRNPPacket {
        try await waitUntil("the controller to write \(what)", timeout: .seconds(20)) { self.packets.contains(where: match) }
        return packets.last(where: match)!
    }

    func waitForPDU(_ what: String, _ match: @escaping (HyteraPDU) -> Bool) async throws -> HyteraPDU {
        try await waitUntil("the controller to write \(what)", timeout: .seconds(20)) { self.pdus.contains(where: match) }
        return pdus.last(where: match)!
    }

    /// Sends one HDAP PDU (hex, as in the vectors) in a DATA packet; returns its packet number.
    @discardableResult
    func sendData(_ hdapHex: String) -> UInt16 {
        sendData(bytes(fromHex: hdapHex)!)
    }

    @discardableResult
    func sendData(_ hdap: [UInt8]) -> UInt16 {
        let n = packetLock.withLock { nextPacket += 1; return nextPacket }
        radio.sendRaw(HRNPPacket(opcode: .data, source: 0x10, destination: 0x20, packetNumber: n, payload: hdap).encoded())
        return n
    }

    /// Acknowledges every DATA the controller sent so far, as a radio does.
    func acknowledgeAll() {
        for p in packets where p.opcode == .data {
            radio.sendRaw(HRNPPacket(opcode: .dataAck, source: 0x10, destination: 0x20, packetNumber: p.packetNumber).encoded())
        }
    }

    func close() async {
        await group.triggerGracefulShutdown()
        _ = try? await task?.value
        radio.stop()
        dir.remove()
    }
}

@Suite("Hytera HRNP gateway on real byte streams")
struct HyteraGatewayTests {
    func hex(_ s: String) -> [UInt8] { bytes(fromHex: s)! }

    /// Connect, bring-up, and the radio's ID from V-H9.
    func open(_ peer: HRNPPeer) async throws {
        let connect = try await peer.waitForPacket("CONNECT") { $0.opcode == .connect }
        #expect(connect.source == 0x20 && connect.destination == 0x10)
        peer.radio.sendRaw(hex("7e0400fd10200000000c70d2"))  // V-H3 ACCEPT
        _ = try await peer.waitForPDU("the radio ID query (RCP 0452)") {
            if case .rcp(let m) = $0 { m.kind == .radioIDQuery } else { false }
        }
        peer.acknowledgeAll()
        peer.radio.sendRaw(hex("7E040000102000020019E41402528406000000E90300006A03"))  // V-H9: radio ID 1001, packet 2
        _ = try await peer.waitForPacket("the DATA_ACK of packet 2") { $0.opcode == .dataAck && $0.packetNumber == 2 }
        try await waitUntil("own radio 1001 and the session open", timeout: .seconds(10)) {
            peer.service.status.ready && peer.service.status.details["own_radio_id"]?.number == 1001
        }
        // The rest of the bring-up: forwarding of texts (1847), status broadcasts (10C9), status changes (10C7).
        for kind in [RCPMessage.Kind.broadcastMessageConfig, .broadcastStatusConfig, .statusChangeConfig] {
            _ = try await peer.waitForPDU("RCP \(kind)") { if case .rcp(let m) = $0 { m.kind == kind } else { false } }
            peer.acknowledgeAll()
        }
    }

    @Test("the shared vectors through TCP into SQLite, field by field", .timeLimit(.minutes(2)))
    func vectorsThroughTCP() async throws {
        let peer = try await HRNPPeer { _ in .tcp }
        defer { Task { await peer.close() } }
        try await open(peer)

        // V-H15a registration: answered (result 0, renew 1800 s), presence stored.
        peer.sendData("11000300040a2338636303")
        let answer = try await peer.waitForPDU("the RRS registration answer") {
            if case .rrs(let m) = $0 { m.kind == .registrationAnswer } else { false }
        }
        guard case .rrs(let rrs) = answer else { return }
        #expect(rrs.radio == RadioIP(subnet: 10, id: 2_308_195) && rrs.result == 0 && rrs.renewSeconds == 1800)

        // Noise, a packet with a broken checksum and a packet split across writes between the vectors.
        var broken = HRNPPacket(opcode: .data, source: 0x10, destination: 0x20, packetNumber: 7, payload: hex("11000300040a2338636303")).encoded()
        broken[11] ^= 0x55
        peer.radio.sendRaw([0x00, 0x13, 0x7E, 0xFF] + broken)
        // V-H12a LP report, V-H13b TMP text, V-H12c LP report.
        let lp = HRNPPacket(opcode: .data, source: 0x10, destination: 0x20, packetNumber: 8,
                            payload: hex("08a0020032000000010a2110dd0000413138333634383236313031354e343731382e383035314530313835342e34333837302e313132310b03")).encoded()
        peer.radio.sendRaw(Array(lp[..<17]))
        try await Task.sleep(for: .milliseconds(50))
        peer.radio.sendRaw(Array(lp[17...]))
        peer.sendData("0980a10022000000010a01b2070a03640e4f004c004900560045005200200054004500530054007a03")
        peer.sendData("08a0020032200000010a03640e0000413136323232333331313031384e343733362e363937374530303733392e32363830302e303030358903")

        let fix = Timestamp(parsing: "2015-10-26T18:36:48Z")!
        try await waitUntil("the V-H12a position stored", timeout: .seconds(20)) {
            try await !peer.store.track(unit: "2167005", from: fix, to: fix.adding(seconds: 1)).isEmpty
        }
        let p = try #require(try await peer.store.track(unit: "2167005", from: fix, to: fix.adding(seconds: 1)).first)
        #expect(p.time == fix && abs(p.latitude - 47.31341833) < 1e-7 && abs(p.longitude - 18.90731167) < 1e-7)
        #expect(p.heading == 121 && abs((p.speed ?? 0) - 0.1 * 1852 / 3600) < 1e-6 && p.source == .hdap)
        let fix2 = Timestamp(parsing: "2018-10-31T16:22:23Z")!
        try await waitUntil("the V-H12c position stored", timeout: .seconds(20)) {
            try await !peer.store.track(unit: "222222", from: fix2, to: fix2.adding(seconds: 1)).isEmpty
        }
        let p2 = try #require(try await peer.store.track(unit: "222222", from: fix2, to: fix2.adding(seconds: 1)).first)
        #expect(abs(p2.latitude - 47.61162833) < 1e-7 && abs(p2.longitude - 7.65446667) < 1e-7 && p2.heading == 5 && p2.speed == 0)

        try await waitUntil("the text and the presence stored", timeout: .seconds(20)) {
            let m = try await peer.store.radioMessages(limit: 50)
            return m.contains { $0.kind == .text } && m.contains { $0.kind == .presence }
        }
        let messages = try await peer.store.radioMessages(limit: 50)
        let text = try #require(messages.first { $0.kind == .text })
        #expect(text.unit == "222222" && text.called == "111111" && text.text == "OLIVER TEST" && text.gateway == "hy")
        let presence = try #require(messages.first { $0.kind == .presence })
        #expect(presence.unit == "2308195" && presence.meaning == "online")
        // The private text is acknowledged (TMP A2, result 0) and every DATA got its DATA_ACK.
        _ = try await peer.waitForPDU("the TMP acknowledgement") {
            if case .tmp(let m) = $0 { m.kind == .privateTextAck && m.requestID == 1 && m.result == 0 } else { false }
        }
        for n in [8, 101, 102, 103] as [UInt16] {
            _ = try await peer.waitForPacket("the DATA_ACK of packet \(n)") { $0.opcode == .dataAck && $0.packetNumber == n }
        }
        // The broken packet was counted, not acknowledged, and lost nothing after it.
        #expect(!peer.packets.contains { $0.opcode == .dataAck && $0.packetNumber == 7 })
        let malformed = try #require(peer.service.status.details["counters"]?["malformed"]?.number, "\(peer.service.status.details)")
        #expect(malformed >= 1)
    }

    @Test("a page in Chinese to received, an emergency, a repeater call, a pulled pty", .timeLimit(.minutes(2)))
    func pagingEmergencyCallsAndUnplugOverAPty() async throws {
        let peer = try await HRNPPeer { dir in .pty(link: dir.file("hrnp")) }
        defer { Task { await peer.close() } }
        try await open(peer)

        let page = try peer.service.page("请到北门集合", to: "2102383", target: .radio, requestedBy: "disp")
        let sent = try await peer.waitForPDU("the TMP text") { if case .tmp(let m) = $0 { m.kind == .privateText } else { false } }
        guard case .tmp(let tmp) = sent else { return }
        #expect(tmp.text == "请到北门集合" && tmp.destination == RadioIP(subnet: 10, id: 2_102_383) && tmp.source?.id == 1001)
        peer.acknowledgeAll()
        try await waitUntil("the page accepted", timeout: .seconds(10)) { peer.service.page(id: page.id)?.state == .accepted }
        let ack = TMPMessage(ackFlag: true, .privateTextAck, requestID: tmp.requestID, destination: RadioIP(id: 1001), source: tmp.destination, result: 0)
        peer.sendData(HyteraPDU.tmp(ack).encoded())
        try await waitUntil("the page received in the store", timeout: .seconds(20)) {
            try await peer.store.page(id: page.id)?.state == .received
        }
        // A second page that the network cannot deliver: no contact.
        let lost = try peer.service.page("收到请回复", to: "2102384", target: .radio, requestedBy: "disp")
        let second = try await peer.waitForPDU("the second TMP text") {
            if case .tmp(let m) = $0 { m.kind == .privateText && m.destination.id == 2_102_384 } else { false }
        }
        guard case .tmp(let tmp2) = second else { return }
        peer.acknowledgeAll()
        peer.sendData(HyteraPDU.tmp(TMPMessage(.privateTextAck, requestID: tmp2.requestID, destination: RadioIP(id: 1001),
                                               source: tmp2.destination, result: 10)).encoded())
        try await waitUntil("the second page failed with no contact", timeout: .seconds(20)) {
            let p = try await peer.store.page(id: lost.id)
            return p?.state == .failed && p?.history.last?.detail == "no contact"
        }

        // An LP emergency report raises an alarm and stores the position.
        let gps = HyteraGPS(valid: true, time: Timestamp(parsing: "2026-12-08T01:00:00Z"), latitude: 22.8123, longitude: 113.7456,
                            speedKnots: 0, direction: 90)
        peer.sendData(HyteraPDU.lp(LPMessage(.emergencyReport, radio: RadioIP(id: 2_102_390), gps: gps, emergencyType: 0)).encoded())
        try await waitUntil("an emergency alarm", timeout: .seconds(20)) {
            try await peer.store.alarms(kind: "emergency").contains { $0.unit == "2102390" }
        }
        // A group call on the repeater: transmit, hang, a second talker, sleep.
        func status(_ s: UInt16, _ sender: UInt32) -> [UInt8] {
            HyteraPDU.rcp(RCPMessage(.repeaterTransmitStatus, callType: 1, target: 9001, sender: sender, repeaterMode: 0, repeaterStatus: s,
                                     repeaterService: 1)).encoded()
        }
        peer.sendData(status(0x00, 2_102_383))
        peer.sendData(status(0x04, 2_102_383))
        peer.sendData(status(0x00, 2_102_384))
        peer.sendData(status(0x05, 2_102_384))
        try await waitUntil("the group call in the voice log", timeout: .seconds(20)) {
            try await peer.store.voiceLog(talkgroup: "9001", since: nil, limit: 10).contains { $0.end != nil && $0.transmissions.count == 2 }
        }
        let call = try #require(try await peer.store.voiceLog(talkgroup: "9001", since: nil, limit: 10).first)
        #expect(call.kind == .group && call.transmissions.map(\.talker) == ["2102383", "2102384"] && call.cause == "channel idle")

        // A radio check and a stun: RCP requests with the target; the radio's answers are the outcomes.
        let check = try peer.service.control(.radioCheck, radio: "2102383", requestedBy: "disp")
        let stun = try peer.service.control(.stun, radio: "2102384", requestedBy: "disp")
        for (kind, target) in [(RCPMessage.Kind.radioCheck, UInt32(2_102_383)), (.radioDisable, 2_102_384)] {
            _ = try await peer.waitForPDU("RCP \(kind) to \(target)") {
                if case .rcp(let m) = $0 { m.kind == kind && m.target == target } else { false }
            }
            peer.acknowledgeAll()
        }
        peer.sendData(HyteraPDU.rcp(RCPMessage(.radioCheckAck, result: 0, target: 2_102_383)).encoded())
        peer.sendData(HyteraPDU.rcp(RCPMessage(.radioDisableAck, result: 1, target: 2_102_384)).encoded())
        try await waitUntil("both controls answered", timeout: .seconds(10)) {
            peer.service.control(id: check.id)?.outcome == "ok" && peer.service.control(id: stun.id)?.outcome?.hasPrefix("failed") == true
        }

        // Pull the cable: the session goes down, and comes back with a fresh CONNECT.
        let connectsBefore = peer.packets.filter { $0.opcode == .connect }.count
        try peer.radio.unplug()
        try await waitUntil("the gateway to see the line lost", timeout: .seconds(20)) { !peer.service.status.ready }
        try await waitUntil("a CONNECT on the new line", timeout: .seconds(20)) {
            peer.packets.filter { $0.opcode == .connect }.count > connectsBefore
        }
        peer.radio.sendRaw(hex("7e0400fd10200000000c70d2"))
        try await waitUntil("the session open again", timeout: .seconds(20)) { peer.service.status.ready }
    }
}

/// The radio port's conformance cases on the Hytera HRNP adapter: the gateway service over TCP
/// to a scripted radio that has accepted the session, writing through the real writer into SQLite.
@Suite("Hytera gateway conforms to the radio port")
struct HyteraGatewayConformanceTests {
    @Test("the radio port's conformance cases on the Hytera HRNP gateway", arguments: RadioGatewayConformance.names)
    func conformance(_ name: String) async throws {
        let peer = try await HRNPPeer { _ in .tcp }
        do {
            _ = try await peer.waitForPacket("CONNECT") { $0.opcode == .connect }
            peer.radio.sendRaw(bytes(fromHex: "7e0400fd10200000000c70d2")!)
            try await waitUntil("the session open", timeout: .seconds(10)) { peer.service.status.ready }
            try await RadioGatewayConformance.run(name, gateway: peer.service) { id in
                try await peer.writer.flush()
                return try await peer.store.page(id: id)
            }
        } catch {
            await peer.close()
            throw error
        }
        await peer.close()
    }
}

/// A Hytera repeater's "Forward to PC" scripted on real UDP sockets on loopback: it sends from
/// one socket per service and slot to the controller's ports, as a repeater does.
final class ScriptedRepeater: @unchecked Sendable {
    // Invariant: the sockets are made once in init and closed once in close().
    let base: UInt16
    private var sockets: [Int32] = []

    /// A socket bound to any loopback port, sending to the controller's `base + offset`.
    init(base: UInt16) throws {
        self.base = base
        for _ in 0..<10 {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
            var tv = timeval(tv_sec: 0, tv_usec: 100_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            sockets.append(fd)
        }
    }

    func send(_ bytes: [UInt8], offset: Int) {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = (base + UInt16(offset)).bigEndian
        a.sin_addr = in_addr(s_addr: inet_addr("127.0.0.1"))
        _ = withUnsafePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(sockets[offset], $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }

    /// Datagrams that came back to the socket of `offset` within `timeout`. It never blocks a
    /// thread: Swift's few cooperative threads also run the gateway under test.
    func receive(offset: Int, until timeout: Duration = .seconds(30), _ match: (HSTRPDatagram) -> Bool) async throws -> HSTRPDatagram {
        let end = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < end {
            let n = recv(sockets[offset], &buffer, buffer.count, Int32(MSG_DONTWAIT))
            guard n > 0 else {
                try await Task.sleep(for: .milliseconds(5))
                continue
            }
            guard let d = try? HSTRPDatagram(decoding: Array(buffer[0..<n])) else { continue }
            if match(d) { return d }
        }
        throw TestFailure("no matching datagram on offset \(offset) within \(timeout)")
    }

    func close() { for fd in sockets { Glibc.close(fd) } }
}

@Suite("Hytera repeater feed (HSTRP) on real UDP")
struct HyteraRepeaterFeedTests {
    func hex(_ s: String) -> [UInt8] { bytes(fromHex: s)! }

    @Test("vectors through UDP into SQLite: ACKs, registration answered, a position, a Chinese page to received", .timeLimit(.minutes(2)))
    func repeaterFeed() async throws {
        let dir = try TemporaryDirectory("tianyan-hstrp")
        defer { dir.remove() }
        let database = try TianyanDatabase(location: dir.file("db.sqlite"))
        let store = FleetStore(database: database)
        try await store.replaceRegistry(FleetSample.make())
        var logger = Logger(label: "test.hstrp")
        logger.logLevel = .warning
        let writer = StoreWriter(database: database, configuration: .init(batchSize: 1000, maxDelay: .milliseconds(5)), logger: logger)
        // Ten free ports below the ephemeral range (32768 up), where the other tests' free ports
        // (FreePort, the kernel's picks) never are; tried again elsewhere if any is taken.
        var service: HyteraGatewayService?
        var base: UInt16 = 0
        for _ in 0..<50 {
            base = UInt16.random(in: 20_000...29_990)
            guard (0..<10).allSatisfy({ UDPProbe.free(port: base + UInt16($0)) }) else { continue }
            let channels: [UInt16: HSTRPSession<UDPListener.Peer>.Channel] = Dictionary(uniqueKeysWithValues: (0..<10).map { i in
                let services: [HSTRPSession<UDPListener.Peer>.Service] = [.rrs, .gps, .telemetry, .tms, .callControl]
                return (base + UInt16(i), HSTRPSession<UDPListener.Peer>.Channel(services[i / 2], slot: UInt8(i % 2 + 1)))
            })
            service = HyteraGatewayService(
                settings: .init(name: "rpt", url: try GatewayURL(parsing: "udp://127.0.0.1:\(base)?profile=hytera-hstrp"), profileName: "hytera-hstrp",
                                repeater: (.init(application: .init(gateway: "rpt"), retransmitSeconds: 1, attempts: 20), channels)),
                sink: writer, logger: logger)
            break
        }
        let gateway = try #require(service, "no ten free UDP ports")
        let group = ServiceGroup(services: [writer, gateway], logger: logger)
        let task = Task { try await group.run() }
        let repeater = try ScriptedRepeater(base: base)
        defer {
            repeater.close()
            Task { await group.triggerGracefulShutdown(); _ = try? await task.value }
        }
        try await waitUntil("the feed to listen", timeout: .seconds(30)) { gateway.status.connected }

        // V-S1: a registration on slot 2's RRS port: acknowledged (echo with the ACK bit) and answered.
        let v1 = hex("32420020000183040001869f04010211000300040a000064bd03")
        var answer: HSTRPDatagram?
        try await waitUntil("the ACK and the registration answer", timeout: .seconds(30)) {
            repeater.send(v1, offset: 1)
            let ack = try? await repeater.receive(offset: 1, until: .milliseconds(500)) { $0.flags.contains(.ack) }
            answer = try? await repeater.receive(offset: 1, until: .milliseconds(500)) { d in
                if case .rrs(let m)? = try? HyteraPDU(decoding: d.payload) { m.kind == .registrationAnswer } else { false }
            }
            return ack?.encoded() == hex("32420021000183040001869f04010211000300040a000064bd03") && answer != nil
        }
        guard case .rrs(let rrs)? = try? HyteraPDU(decoding: answer!.payload) else { return }
        #expect(rrs.radio.id == 100 && rrs.result == 0 && rrs.renewSeconds == 1800)
        try await waitUntil("ready: the repeater heard", timeout: .seconds(30)) { gateway.status.ready }
        #expect(gateway.status.protocolName == "hytera-hstrp" && gateway.status.details["repeater_id"]?.number == 99999)

        // V-H12a in a datagram on slot 1's GPS port: the position with its fix time.
        let lp = HSTRPDatagram(flags: [], sequence: 2, payload: hex("08a0020032000000010a2110dd0000413138333634383236313031354e343731382e383035314530313835342e34333837302e313132310b03"))
        repeater.send(lp.encoded(), offset: 2)
        let fix = Timestamp(parsing: "2015-10-26T18:36:48Z")!
        try await waitUntil("the position stored", timeout: .seconds(30)) {
            try await !store.track(unit: "2167005", from: fix, to: fix.adding(seconds: 1)).isEmpty
        }
        let p = try #require(try await store.track(unit: "2167005", from: fix, to: fix.adding(seconds: 1)).first)
        #expect(abs(p.latitude - 47.31341833) < 1e-7 && abs(p.longitude - 18.90731167) < 1e-7 && p.heading == 121 && p.source == .hdap)
        // The same datagram again (our ACK lost): acknowledged, stored once.
        repeater.send(lp.encoded(), offset: 2)
        _ = try await repeater.receive(offset: 2) { $0.flags.contains(.ack) && $0.sequence == 2 }

        // A page to radio 100 (heard on slot 2) goes to where slot 2's text channel was heard from (its heartbeat);
        // the repeater ACKs it, the radio acknowledges.
        repeater.send(HSTRPDatagram(flags: .heartbeat, sequence: 0).encoded(), offset: 7)
        _ = try await repeater.receive(offset: 7) { $0.flags == [.heartbeat, .ack] }
        let page = try gateway.page("请到北门集合", to: "100", target: .radio, requestedBy: "disp")
        let out = try await repeater.receive(offset: 7, until: .seconds(30)) { !$0.flags.contains(.ack) && !$0.payload.isEmpty }
        guard case .tmp(let tmp) = try HyteraPDU(decoding: out.payload) else { Issue.record("not TMP"); return }
        #expect(tmp.text == "请到北门集合" && tmp.destination.id == 100)
        repeater.send(out.acknowledgement().encoded(), offset: 7)
        try await waitUntil("the page accepted", timeout: .seconds(30)) { gateway.page(id: page.id)?.state == .accepted }
        let ack = TMPMessage(ackFlag: true, .privateTextAck, requestID: tmp.requestID, destination: RadioIP(id: 0), source: RadioIP(id: 100), result: 0)
        repeater.send(HSTRPDatagram(flags: [], sequence: 3, payload: HyteraPDU.tmp(ack).encoded()).encoded(), offset: 7)
        try await waitUntil("the page received in the store", timeout: .seconds(30)) {
            try await writer.flush()
            return try await store.page(id: page.id)?.state == .received
        }
        try await writer.flush()
        #expect(try await store.track(unit: "2167005", from: fix, to: fix.adding(seconds: 1)).count == 1, "the resent datagram stored once")
    }
}

/// Whether a UDP port on loopback can be bound now.
enum UDPProbe {
    static func free(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr = in_addr(s_addr: inet_addr("127.0.0.1"))
        return withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }
}
