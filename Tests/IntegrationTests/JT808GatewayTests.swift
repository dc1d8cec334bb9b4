import Foundation
import JT808Link
import Logging
import RecordWriter
import ServiceLifecycle
import Synchronization
import Testing
import TianyanJT808
import TianyanModel
import TianyanSQLite
import TianyanTesting

/// A PoC handset scripted on a real TCP socket to the JT/T 808 gateway, writing into SQLite.
final class ScriptedTerminal: @unchecked Sendable {
    // Invariant: the socket is made in init and closed once in close().
    let fd: Int32
    private var framer = JT808Framer()
    private var inbox: [JT808Message] = []
    var serial: UInt16 = 0
    let phone: String
    let version: JT808Message.Version

    init(port: Int, phone: String, version: JT808Message.Version = .v2013) throws {
        self.phone = phone
        self.version = version
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = UInt16(port).bigEndian
        a.sin_addr = in_addr(s_addr: inet_addr("127.0.0.1"))
        let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw TestFailure("connect to 127.0.0.1:\(port): errno \(errno)") }
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    func sendRaw(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }

    @discardableResult
    func send(_ id: UInt16, _ body: [UInt8] = []) -> UInt16 {
        serial &+= 1
        sendRaw(JT808Message(id: id, version: version, phone: phone, serial: serial, body: body).encoded())
        return serial
    }

    /// The next message from the platform that matches, within `timeout`. It never blocks a
    /// thread: Swift's few cooperative threads also run the controller's side.
    func receive(_ what: String, timeout: Duration = .seconds(30), _ match: (JT808Message) -> Bool) async throws -> JT808Message {
        let end = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < end {
            if let i = inbox.firstIndex(where: match) { return inbox.remove(at: i) }
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n > 0 {
                inbox += framer.push(Array(buffer[0..<n])).compactMap { if case .message(let m) = $0 { m } else { nil } }
            } else {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        throw TestFailure("no \(what) from the platform within \(timeout)")
    }

    func close() { Glibc.close(fd) }
}

@Suite("JT/T 808 gateway on real TCP")
struct JT808GatewayTests {
    @Test("a PoC handset registers, authenticates, reports, raises SOS, is paged in Chinese to received; bad input is refused", .timeLimit(.minutes(2)))
    func terminalThroughTCP() async throws {
        let dir = try TemporaryDirectory("tianyan-jt808")
        defer { dir.remove() }
        let database = try TianyanDatabase(location: dir.file("db.sqlite"))
        let store = FleetStore(database: database)
        try await store.replaceRegistry(FleetSample.make())
        var logger = Logger(label: "test.jt808")
        logger.logLevel = .warning
        let writer = StoreWriter(database: database, configuration: .init(batchSize: 1000, maxDelay: .milliseconds(5)), logger: logger)
        let gateway = JT808GatewayService(settings: .init(name: "poc", host: "127.0.0.1", port: 0,
                                                          connection: .init(gateway: "poc", secret: "test", pageAnswerSeconds: 20)),
                                          sink: writer, logger: logger)
        let group = ServiceGroup(services: [writer, gateway], logger: logger)
        let task = Task { try await group.run() }
        defer { Task { await group.triggerGracefulShutdown(); _ = try? await task.value } }
        try await waitUntil("the server to listen", timeout: .seconds(30)) { gateway.boundPort.withLock { $0 } != nil }
        let port = gateway.boundPort.withLock { $0 }!

        let t = try ScriptedTerminal(port: port, phone: "013912344329")
        defer { t.close() }
        // Noise and a report before authentication: refused, the connection carries on.
        t.sendRaw([0x01, 0x02, 0x7E, 0x55, 0x7E])
        let early = t.send(0x0200, JT808Location(latitude: 22.8, longitude: 113.7, time: .now()).body)
        let refused = try await t.receive("the refusal") { $0.id == 0x8001 }
        #expect(try JT808Response(body: refused.body) == JT808Response(serial: early, id: 0x0200, result: 1))
        // Registration with a Chinese plate, then authentication with the code it gave.
        let reg = JT808Registration(province: 44, city: 1900, manufacturer: "ZX", model: "PoC-A508", terminalID: "A0001", plateColor: 0, plate: "粤S·城管01")
        let rs = t.send(0x0100, reg.body(version: .v2013))
        let answer = try await t.receive("the registration answer") { $0.id == 0x8100 }
        #expect(Array(answer.body.prefix(3)) == [UInt8(rs >> 8), UInt8(rs & 0xFF), 0])
        let code = GBK.decode(answer.body.dropFirst(3)).text
        let auth = t.send(0x0102, JT808Authentication(code: code).body(version: .v2013))
        let ok = try await t.receive("the authentication answer") { $0.id == 0x8001 && (try? JT808Response(body: $0.body))?.serial == auth }
        #expect(try JT808Response(body: ok.body).result == 0)

        // V-J2's report (emergency bit, fuel, mileage) from this terminal: stored with the report's time, an emergency alarm.
        let v2 = try JT808Location(body: try #require(JT808Framer.decode("7E0200002611223344556622B8000000010000000200BA7F0E07E4F11C0028003C000018071510101001040000006402020037577E")).body)
        t.send(0x0200, v2.body)
        let fix = Timestamp(parsing: "2018-07-15T02:10:10Z")!
        try await waitUntil("the position and the emergency stored", timeout: .seconds(30)) {
            try await writer.flush()
            let moved = try await !store.track(unit: "13912344329", from: fix, to: fix.adding(seconds: 1)).isEmpty
            let sos = try await store.alarms(kind: "emergency").contains { $0.unit == "13912344329" }
            return moved && sos
        }
        let p = try #require(try await store.track(unit: "13912344329", from: fix, to: fix.adding(seconds: 1)).first)
        #expect(p.latitude == 12.222222 && p.longitude == 132.444444 && p.altitude == 40 && abs(p.speed! - 6 / 3.6) < 1e-9 && p.source == .jt808)
        #expect(try await store.radioMessages(limit: 20).contains { $0.unit == "13912344329" && $0.kind == .presence && $0.meaning == "online" })

        // A page in Chinese: 0x8300 in GBK on the socket; the terminal's general response makes it received.
        let page = try gateway.page("请到北门集合", to: "13912344329", target: .radio, requestedBy: "disp")
        let text = try await t.receive("the text") { $0.id == 0x8300 }
        #expect(text.body.first == 0x0C && GBK.decode(text.body.dropFirst()).text == "请到北门集合")
        t.send(0x0001, JT808Response(serial: text.serial, id: 0x8300, result: 0).body)
        try await waitUntil("the page received", timeout: .seconds(30)) {
            try await writer.flush()
            return try await store.page(id: page.id)?.state == .received
        }
        // A page to a terminal that is not connected waits for it; when it connects and speaks, it goes out.
        let later = try gateway.page("收到请回复", to: "13800000001", target: .radio, requestedBy: "disp")
        #expect(later.state == .queued)
        let t2 = try ScriptedTerminal(port: port, phone: "013800000001", version: .v2019(protocolVersion: 1))
        defer { t2.close() }
        t2.send(0x0002)
        let text2 = try await t2.receive("the waiting text") { $0.id == 0x8300 }
        #expect(text2.version == .v2019(protocolVersion: 1) && GBK.decode(text2.body.dropFirst(2)).text == "收到请回复")
        #expect(gateway.status.details["terminals"]?.number == 2)
    }
}
