import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import HummingbirdWSClient
import Logging
import ServiceLifecycle
import Synchronization
import TianyanApp
import TianyanModel
import TianyanServer
import TianyanStore

/// Live feed under load, in one process: the real HTTP server and live feed on a loopback port,
/// N WebSocket clients (HummingbirdWSClient) subscribed to positions, and a publisher handing
/// position batches to the tee the producers use (the store's writer replaced by a sink that
/// drops records: SQLite is measured by bench-store). Each position carries its publish time in
/// `alt_m` (ms since the start); a client's latency is its receive time minus that.
///
/// Usage: bench-live [CLIENTS=500] [UPDATES_PER_SECOND=1000] [SECONDS=30] [--no-batch]
/// (clients subscribe with `"batch": true` unless `--no-batch`: one message per event)
@main
struct BenchLive {
    static func main() async throws { try await run() }

    struct NullSink: RecordSink {
        func submit(_ records: [StoreRecord]) -> UInt64 { 0 }
        func waitUntilCommitted(_ ticket: UInt64) async throws {}
    }

    /// Latency counts in 0.1 ms buckets up to 5 s (the last bucket holds everything slower).
    final class Histogram: Sendable {
        static let buckets = 50_000
        let counts = Mutex([Int](repeating: 0, count: Histogram.buckets))
        func merge(_ local: [Int]) { counts.withLock { c in for i in local.indices where local[i] != 0 { c[i] += local[i] } } }
        func percentile(_ p: Double) -> Double {
            counts.withLock { c in
                let total = c.reduce(0, +)
                guard total > 0 else { return .nan }
                var seen = 0
                for (i, n) in c.enumerated() {
                    seen += n
                    if Double(seen) >= p * Double(total) { return Double(i) / 10 }
                }
                return Double(c.count) / 10
            }
        }
        var total: Int { counts.withLock { $0.reduce(0, +) } }
    }

    nonisolated static func run() async throws {
        let args = CommandLine.arguments.dropFirst().map { Int($0) }
        let clients = args.first.flatMap { $0 } ?? 500
        let rate = args.dropFirst().first.flatMap { $0 } ?? 1000
        let seconds = args.dropFirst(2).first.flatMap { $0 } ?? 30
        let batch = !CommandLine.arguments.contains("--no-batch")
        let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-live-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = TianyanConfiguration()
        config.database = dir + "/db.sqlite"
        config.mqtt = "mqtt://127.0.0.1:1"
        let controller = Controller(configuration: config, logger: logger)
        let database = try controller.openDatabase()
        let store = FleetStore(database: database)
        let registry = FleetSample.make()
        try await store.replaceRegistry(registry)
        try await UserDirectory(database: database).add(name: "bench", role: .viewer, password: "bench-live-password")
        let docks = try DockService(configuration: config, profiles: try controller.loadDockProfiles(), registry: registry,
                                    openAlarms: [], sink: NullSink(), logger: logger)
        let radios = try controller.makeRadioNetwork(registry: registry, sink: NullSink())
        let feed = LiveFeed(logger: logger)
        let tee = RecordTee(writer: NullSink(), feed: feed)
        let parts = Controller.Parts(database: database, store: store, docks: docks, radios: radios, live: feed)
        let (ports, portSignal) = AsyncStream.makeStream(of: Int.self)
        let app = APIServer.application(parts: parts, host: "127.0.0.1", port: 0, logger: logger) { portSignal.yield($0) }
        let group = ServiceGroup(services: [feed, app], logger: logger)
        let serving = Task { try await group.run() }
        var portIterator = ports.makeAsyncIterator()
        guard let port = await portIterator.next() else { throw ControllerError(message: "the server did not start") }

        var login = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/session")!)
        login.httpMethod = "POST"
        login.httpBody = Data(#"{"name": "bench", "password": "bench-live-password"}"#.utf8)
        let (body, _) = try await URLSession.shared.data(for: login)
        guard let token = (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["token"] as? String else {
            throw ControllerError(message: "login failed: \(String(decoding: body, as: UTF8.self))")
        }

        let start = ContinuousClock.now
        let histogram = Histogram()
        let counters = Counters()
        var connections: [Task<Void, Never>] = []
        for _ in 0..<clients {
            connections.append(Task {
                await client(url: "ws://127.0.0.1:\(port)/api/v1/live?token=\(token)", batch: batch, start: start, histogram: histogram, counters: counters,
                             logger: logger)
            })
        }
        let connectDeadline = ContinuousClock.now + .seconds(60)
        while counters.subscribed.load(ordering: .relaxed) < clients, ContinuousClock.now < connectDeadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let connected = counters.subscribed.load(ordering: .relaxed)
        print("clients subscribed: \(connected) of \(clients)")

        // The publisher: a batch every 10 ms, positions spread over the sample city.
        let perBatch = max(1, rate / 100)
        var rng = SystemRandomNumberGenerator()
        var published = 0
        var slowestSubmit: Duration = .zero
        let publishStart = ContinuousClock.now
        var next = publishStart
        while ContinuousClock.now < publishStart + .seconds(seconds) {
            next = next + .milliseconds(10)
            let sentAt = milliseconds(since: start)
            let batch: [StoreRecord] = (0..<perBatch).map { i in
                .position(Position(unit: "U-\((published + i) % 2000)", time: .now(), latitude: 34.2 + Double.random(in: 0..<0.2, using: &rng),
                                   longitude: 108.8 + Double.random(in: 0..<0.3, using: &rng), altitude: sentAt, source: .simulated))
            }
            let took = ContinuousClock().measure { tee.submit(batch) }
            slowestSubmit = max(slowestSubmit, took)
            published += batch.count
            if published % rate == 0, CommandLine.arguments.contains("--progress") {
                let s = feed.statistics
                print("t=\(published / rate) s published \(published) made \(s.eventsPublished) sent \(s.eventsSent)")
            }
            try await Task.sleep(until: next)
        }
        // Let the last events arrive (bounded).
        let drainDeadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < drainDeadline {
            let stats = feed.statistics
            if stats.eventsSent >= stats.eventsPublished * UInt64(stats.clients) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let stats = feed.statistics
        let ended = counters.ended.load(ordering: .relaxed)
        let peakKiB = peakRSSKiB()
        await group.triggerGracefulShutdown()
        _ = try? await serving.value
        // The server closed every connection on its way down; each client adds what it timed.
        for c in connections { await c.value }

        print("""
        clients \(clients) (subscribed \(connected), batch \(batch)), \(rate) updates/s for \(seconds) s: published \(published) positions
        positions made into events \(stats.eventsPublished) (the rest still waiting in the feed's inbox at the end), sent by the server \(stats.eventsSent), received and timed by the clients \(histogram.total)
        positions not delivered to a client by the end: \(published * connected - histogram.total)
        connections that ended early \(ended), clients dropped as too slow \(stats.clientsDroppedSlow), records skipped by the feed \(stats.recordsSkipped)
        publish → client latency: p50 \(String(format: "%.1f", histogram.percentile(0.5))) ms, p99 \(String(format: "%.1f", histogram.percentile(0.99))) ms, max bucket \(String(format: "%.1f", histogram.percentile(1.0))) ms
        slowest tee.submit \(slowestSubmit)
        peak RSS \(peakKiB / 1024) MiB
        """)
    }

    final class Counters: Sendable {
        let subscribed = Atomic<Int>(0)
        /// Connections that ended before the bench did.
        let ended = Atomic<Int>(0)
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    /// One WebSocket client: subscribes to positions and times each one (see `alt_m`).
    static func client(url: String, batch: Bool, start: ContinuousClock.Instant, histogram: Histogram, counters: Counters, logger: Logger) async {
        let marker = Array(#""alt_m":"#.utf8)
        _ = try? await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
            try await outbound.write(.text(#"{"subscribe": ["positions"], "batch": \#(batch)}"#))
            var local = [Int](repeating: 0, count: Histogram.buckets)
            var count = 0
            defer { histogram.merge(local) }
            for try await frame in inbound {
                let now = milliseconds(since: start)
                let times = frame.data.withUnsafeReadableBytes { Self.sentTimes(in: $0, marker: marker) }
                for sent in times { local[min(Histogram.buckets - 1, max(0, Int((now - sent) * 10)))] += 1 }
                let timed = times.count
                if timed == 0 {
                    counters.subscribed.add(1, ordering: .relaxed)
                    continue
                }
                let before = count
                count += timed
                if count / 1000 != before / 1000 {
                    histogram.merge(local)
                    local = [Int](repeating: 0, count: Histogram.buckets)
                }
            }
        }
        counters.ended.add(1, ordering: .relaxed)
    }

    /// The numbers after each `"alt_m":` in a message, without copying it.
    static func sentTimes(in bytes: UnsafeRawBufferPointer, marker: [UInt8]) -> [Double] {
        var out: [Double] = []
        let n = bytes.count, m = marker.count
        var i = 0
        outer: while i + m <= n {
            for k in 0..<m where bytes[i + k] != marker[k] {
                i += 1
                continue outer
            }
            var end = i + m
            var value = 0.0, scale = 0.0
            while end < n, bytes[end] != UInt8(ascii: ","), bytes[end] != UInt8(ascii: "}") {
                let c = bytes[end]
                if c == UInt8(ascii: ".") { scale = 1 } else if c >= 48, c <= 57 {
                    if scale == 0 { value = value * 10 + Double(c - 48) } else { scale /= 10; value += Double(c - 48) * scale }
                }
                end += 1
            }
            out.append(value)
            i = end
        }
        return out
    }

    /// VmHWM from /proc/self/status: the process's peak resident set.
    static func peakRSSKiB() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}
