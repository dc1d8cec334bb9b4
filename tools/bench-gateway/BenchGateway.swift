import Foundation
import Logging
import RadioLink
import SerialPorts
import ServiceLifecycle
import Synchronization
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanTesting

/// Latency of the radio gateway, end to end over a real loopback TCP line or pty:
///   page: `RadioNetwork.page` called → first byte of the command read by the radio on the line
///         (the line idle: the previous page finished);
///   emergency: the radio writes a status-0 SDS → the alarm record handed to the writer.
/// Reference, same run, same transport: the same bytes written by a bare `write()` and read by
/// the same reader thread (the floor no controller can beat).
///
/// Usage: bench-gateway [ITERATIONS] [tcp|pty]
@main
struct BenchGateway {
    static func main() async throws { try await run() }

    nonisolated static func run() async throws {
        let args = CommandLine.arguments.dropFirst()
        let iterations = args.first.flatMap { Int($0) } ?? 500
        let transportName = args.dropFirst().first ?? "tcp"
        let dir = try TemporaryDirectory("bench-gateway")
        defer { dir.remove() }
        let transport: ScriptedRadio.Transport = transportName == "pty" ? .pty(link: dir.file("pei")) : .tcp
        let radio = try ScriptedRadio(transport)
        defer { radio.stop() }
        radio.autoDeliver = true

        // Silent: the EMERGENCY log line goes to stderr in real use; here it would be 1,000 lines.
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let sink = NullSink()
        let alarms = AlarmClock()
        let registry = FleetSample.make()
        let service = RadioGatewayService(
            settings: .init(name: "bench", url: try GatewayURL(parsing: radio.url), emergencyRepeatSeconds: 0),
            sink: sink, directory: RadioDirectory(registry: registry), logger: logger,
            observer: { records in
                let now = ContinuousClock.now
                for case .alarm(let a) in records { alarms.saw(a.unit, at: now) }
            })
        let network = RadioNetwork(gateways: [service], directory: RadioDirectory(registry: registry), sink: sink)
        let group = ServiceGroup(services: [service], logger: logger)
        let task = Task { try await group.run() }
        try await waitUntil("the gateway to be ready", timeout: .seconds(20)) { service.status.ready }

        // Page: request → first byte on the line.
        var pageLatency: [Double] = []
        for i in 0..<iterations {
            let before = radio.receivedCount
            let t0 = ContinuousClock.now
            let page = try network.page("Bench page \(i)", to: "2100001", requestedBy: "bench")
            try await waitUntil("page \(i) read", timeout: .seconds(10), poll: .microseconds(200)) {
                network.page(id: page.id)?.state == .read && service.pei.queuedCommands == 0
            }
            guard let first = radio.arrival(ofByte: before) else { fatalError("no arrival for page \(i)") }
            pageLatency.append(Self.ms(first - t0))
        }

        // Emergency: status 0 written by the radio → alarm record out.
        var emergencyLatency: [Double] = []
        for i in 0..<iterations {
            let unit = String(2_100_001 + i % 2000)
            let t0 = ContinuousClock.now
            radio.send(["+CTSDSR: 13,\(unit),0,2000999,0,16", "0000"])
            try await waitUntil("alarm \(i)", timeout: .seconds(10), poll: .microseconds(100)) { alarms.time(of: unit, after: t0) != nil }
            emergencyLatency.append(Self.ms(alarms.time(of: unit, after: t0)! - t0))
        }

        await group.triggerGracefulShutdown()
        _ = try? await task.value

        // Reference: the same bytes by a bare write on the same kind of line, read by the same reader.
        let reference = try ScriptedRadio(transportName == "pty" ? .pty(link: dir.file("pei-ref")) : .tcp)
        defer { reference.stop() }
        let fd = try Self.openRaw(reference, transport: transportName)
        defer { close(fd) }
        let pageBytes = Array("AT+CTSDS=12,0,0,0,1\r\n".utf8)
        var floor: [Double] = []
        for _ in 0..<iterations {
            let before = reference.receivedCount
            let t0 = ContinuousClock.now
            _ = pageBytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            try await waitUntil("reference bytes", timeout: .seconds(10), poll: .microseconds(100)) { reference.receivedCount > before }
            floor.append(Self.ms(reference.arrival(ofByte: before)! - t0))
            // Drain the radio's OK so the socket never fills.
            var sink = [UInt8](repeating: 0, count: 256)
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while poll(&p, 1, 1) > 0 { _ = read(fd, &sink, sink.count) }
        }

        func report(_ name: String, _ values: [Double], target: Double) {
            let s = values.sorted()
            let p50 = s[s.count / 2], p99 = s[min(s.count - 1, s.count * 99 / 100)], worst = s.last!
            let f = floor.sorted()
            let f50 = f[f.count / 2], f99 = f[min(f.count - 1, f.count * 99 / 100)]
            print(String(format: "%@ (%@, n=%d): p50 %.3f ms, p99 %.3f ms, max %.3f ms; transport floor p50 %.3f ms, p99 %.3f ms; p99 = %.1f%% of the %.0f ms target",
                         name, transportName, values.count, p50, p99, worst, f50, f99, 100 * p99 / target, target))
        }
        report("page request -> first byte on the line", pageLatency, target: 10)
        report("emergency status in -> alarm out", emergencyLatency, target: 5)
    }

    static func ms(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    static func openRaw(_ radio: ScriptedRadio, transport: String) throws -> Int32 {
        if transport == "pty", case .pty(let link) = radio.transport {
            let fd = open(link, O_RDWR | O_NOCTTY)
            var t = termios()
            tcgetattr(fd, &t)
            cfmakeraw(&t)
            tcsetattr(fd, TCSANOW, &t)
            return fd
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = radio.port.bigEndian
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw ScriptedRadio.Failure(description: "connect failed: errno \(errno)") }
        return fd
    }
}

/// Counts records and drops them: the benchmark measures the gateway, not SQLite.
final class NullSink: RecordSink {
    private let count = Atomic<UInt64>(0)
    func submit(_ records: [StoreRecord]) -> UInt64 { count.add(UInt64(records.count), ordering: .relaxed).newValue }
    func waitUntilCommitted(_ ticket: UInt64) async throws {}
}

final class AlarmClock: Sendable {
    private let seen = Mutex<[String: ContinuousClock.Instant]>([:])
    func saw(_ unit: String, at time: ContinuousClock.Instant) { seen.withLock { $0[unit] = time } }
    func time(of unit: String, after t0: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        seen.withLock { $0[unit].flatMap { $0 >= t0 ? $0 : nil } }
    }
}
