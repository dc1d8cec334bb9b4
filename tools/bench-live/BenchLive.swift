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
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanServer
import TianyanSQLite

/// Live feed under load, with the controller side and the client side in separate processes.
///
/// This process is the controller side: the real HTTP server and live feed on a loopback port,
/// and a publisher handing position batches to the tee the producers use (the store's writer
/// replaced by a sink that drops records: SQLite is measured by bench-store). Each position
/// carries its publish time (CLOCK_MONOTONIC ms, taken just before `submit`) in `alt_m`.
/// The clients run in a child process (`bench-live --clients N --url URL`, see BenchClients)
/// that only scans for those numbers. Two phases in one run: the reference (1 client, same
/// rate) and then N clients; memory and CPU are measured per process.
///
/// Usage: bench-live [CLIENTS=500] [UPDATES_PER_SECOND=1000] [SECONDS=30] [--no-batch]
///                   [--reference-seconds S (10)] [--pause-for-profile S] [--submit-size N (rate/100)]
///                   [--round-ms MS (the feed's default)]
/// (clients subscribe with `"batch": true` unless `--no-batch`: one message per event)
@main
struct BenchLive {
    static func main() async throws {
        let args = Array(CommandLine.arguments.dropFirst())
        if let i = args.firstIndex(of: "--clients"), i + 1 < args.count, let n = Int(args[i + 1]),
           let u = args.firstIndex(of: "--url"), u + 1 < args.count {
            try await BenchClients.run(clients: n, url: args[u + 1], batch: !args.contains("--no-batch"))
            return
        }
        try await run()
    }

    struct NullSink: RecordSink {
        func submit(_ records: [StoreRecord]) -> UInt64 { 0 }
        func waitUntilCommitted(_ ticket: UInt64) async throws {}
    }

    struct Phase {
        var clients = 0
        var subscribed = 0
        var published = 0
        var received = 0
        var frames = 0
        var counts = [Int](repeating: 0, count: BenchClients.Buckets.count)
        var serverCPU = 0.0
        var clientCPU = 0.0
        var clientPeakKiB = 0
        var serverMaxRSSKiB = 0
        var droppedSlow: UInt64 = 0
        var skipped: UInt64 = 0
        var ended = 0
        var slowestSubmit: Duration = .zero
        var seconds = 0

        func p(_ q: Double) -> Double { BenchClients.Buckets.percentile(counts, q) }
    }

    nonisolated static func run() async throws {
        let all = Array(CommandLine.arguments.dropFirst())
        func option(_ name: String) -> Int? { all.firstIndex(of: name).flatMap { all.indices.contains($0 + 1) ? Int(all[$0 + 1]) : nil } }
        var positional: [Int] = []
        var skip = false
        for a in all {
            if skip { skip = false; continue }
            if ["--reference-seconds", "--pause-for-profile", "--submit-size", "--round-ms"].contains(a) { skip = true; continue }
            if let n = Int(a) { positional.append(n) }
        }
        let clients = positional.first ?? 500
        let rate = positional.dropFirst().first ?? 1000
        let seconds = positional.dropFirst(2).first ?? 30
        let referenceSeconds = option("--reference-seconds") ?? 10
        let batch = !all.contains("--no-batch")
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
        var feedConfiguration = LiveFeed.Configuration()
        if let ms = option("--round-ms") { feedConfiguration.roundInterval = .milliseconds(ms) }
        let feed = LiveFeed(configuration: feedConfiguration, logger: logger)
        let tee = RecordTee(writer: NullSink(), feed: feed)
        let parts = Controller.Parts(database: database, store: store, docks: docks, radios: radios, writer: StoreWriter(database: database),
                                     live: feed)
        let (ports, portSignal) = AsyncStream.makeStream(of: Int.self)
        let app = APIServer.application(parts: parts.services, host: "127.0.0.1", port: 0, logger: logger) { portSignal.yield($0) }
        let group = ServiceGroup(services: [feed, app], logger: logger)
        let serving = Task { try await group.run() }
        var portIterator = ports.makeAsyncIterator()
        guard let port = await portIterator.next() else { throw ControllerError(message: "the server did not start") }

        var login = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/session")!)
        login.httpMethod = "POST"
        login.setValue("application/json", forHTTPHeaderField: "Content-Type")
        login.httpBody = Data(#"{"name": "bench", "password": "bench-live-password"}"#.utf8)
        let (body, _) = try await URLSession.shared.data(for: login)
        guard let token = (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["token"] as? String else {
            throw ControllerError(message: "login failed: \(String(decoding: body, as: UTF8.self))")
        }
        let url = "ws://127.0.0.1:\(port)/api/v1/live?token=\(token)"
        emit("controller pid \(getpid()), idle RSS \(procStatus("VmRSS") / 1024) MiB; \(option("--submit-size") ?? max(1, rate / 100)) positions per submit, feed round interval \(feedConfiguration.roundInterval)")

        let reference = try await phase(clients: 1, rate: rate, seconds: referenceSeconds, url: url, batch: batch, feed: feed, tee: tee, pause: 0,
                                  submitSize: option("--submit-size"))
        let main = try await phase(clients: clients, rate: rate, seconds: seconds, url: url, batch: batch, feed: feed, tee: tee,
                                   pause: option("--pause-for-profile") ?? 0, submitSize: option("--submit-size"))
        let peakKiB = procStatus("VmHWM")
        await group.triggerGracefulShutdown()
        _ = try? await serving.value

        func line(_ name: String, _ r: Phase) -> String {
            let f = { (v: Double) in String(format: "%.1f", v) }
            return """
            \(name): \(r.clients) clients (subscribed \(r.subscribed), batch \(batch)), \(rate) updates/s for \(r.seconds) s: published \(r.published)
              delivered and timed \(r.received) of \(r.published * r.subscribed) in \(r.frames) WebSocket frames; dropped as slow \(r.droppedSlow), records skipped by the feed \(r.skipped), connections ended early \(r.ended)
              publish → client latency: p50 \(f(r.p(0.5))) ms, p90 \(f(r.p(0.9))) ms, p99 \(f(r.p(0.99))) ms, p99.9 \(f(r.p(0.999))) ms, max \(f(r.p(1)))
              controller CPU \(f(r.serverCPU)) s (\(Int((r.serverCPU / Double(r.seconds) * 100).rounded())) % of a core), max RSS sampled \(r.serverMaxRSSKiB / 1024) MiB; client process CPU \(f(r.clientCPU)) s, peak RSS \(r.clientPeakKiB / 1024) MiB; slowest tee.submit \(r.slowestSubmit)
            """
        }
        emit(line("reference", reference))
        emit(line("measured", main))
        emit(String(format: "ratio to the reference: p50 %.1f ×, p99 %.1f ×", main.p(0.5) / reference.p(0.5), main.p(0.99) / reference.p(0.99)))
        emit("controller process peak RSS (VmHWM, whole run) \(peakKiB / 1024) MiB")
    }

    /// One phase: a child process with `clients` connections, `seconds` of publishing, then the
    /// feed drains (bounded) and the child reports.
    static func phase(clients: Int, rate: Int, seconds: Int, url: String, batch: Bool, feed: LiveFeed, tee: RecordTee,
                      pause: Int, submitSize: Int?) async throws -> Phase {
        var r = Phase()
        r.clients = clients
        r.seconds = seconds
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["--clients", "\(clients)", "--url", url] + (batch ? [] : ["--no-batch"])
        let input = Pipe(), output = Pipe()
        child.standardInput = input
        child.standardOutput = output
        try child.run()
        let lines = AsyncStream<String> { c in
            Thread.detachNewThread {
                var pending = Data()
                let handle = output.fileHandleForReading
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    pending.append(chunk)
                    while let nl = pending.firstIndex(of: 10) {
                        c.yield(String(decoding: pending[pending.startIndex..<nl], as: UTF8.self))
                        pending = Data(pending[(nl + 1)...])
                    }
                }
                c.finish()
            }
        }
        var reader = lines.makeAsyncIterator()
        guard let first = await reader.next(), first.hasPrefix("subscribed ") else { throw ControllerError(message: "the client process did not start") }
        r.subscribed = Int(first.dropFirst("subscribed ".count)) ?? 0
        emit("\(r.subscribed) of \(clients) clients subscribed (pid \(child.processIdentifier))")
        if pause > 0 {
            emit("publishing in \(pause) s (attach a profiler to pid \(getpid()) now)")
            try await Task.sleep(for: .seconds(pause))
        }

        let before = feed.statistics
        let cpuBefore = cpuSeconds()
        // The publisher: `perBatch` positions per submit (10 unless --submit-size), submits evenly
        // spaced to make `rate`, positions spread over the sample city.
        let perBatch = submitSize ?? max(1, rate / 100)
        let period = Duration.nanoseconds(Int64(1e9 * Double(perBatch) / Double(rate)))
        var rng = SystemRandomNumberGenerator()
        let publishStart = ContinuousClock.now
        var next = publishStart
        var nextSample = publishStart
        while ContinuousClock.now < publishStart + .seconds(seconds) {
            next = next + period
            let published = r.published
            let batch: [StoreRecord] = (0..<perBatch).map { i in
                .position(Position(unit: "U-\((published + i) % 2000)", time: .now(), latitude: 34.2 + Double.random(in: 0..<0.2, using: &rng),
                                   longitude: 108.8 + Double.random(in: 0..<0.3, using: &rng), altitude: monotonicMilliseconds(), source: .simulated))
            }
            let took = ContinuousClock().measure { tee.submit(batch) }
            r.slowestSubmit = max(r.slowestSubmit, took)
            r.published += batch.count
            if ContinuousClock.now >= nextSample {
                r.serverMaxRSSKiB = max(r.serverMaxRSSKiB, procStatus("VmRSS"))
                nextSample = nextSample + .milliseconds(500)
            }
            try await Task.sleep(until: next)
        }
        // Let the last events arrive (bounded).
        let drainDeadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < drainDeadline {
            let s = feed.statistics
            let live = max(0, r.subscribed - Int(s.clientsDroppedSlow - before.clientsDroppedSlow))
            if Int(s.eventsSent - before.eventsSent) >= r.published * live { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        r.serverMaxRSSKiB = max(r.serverMaxRSSKiB, procStatus("VmRSS"))
        r.serverCPU = cpuSeconds() - cpuBefore
        let after = feed.statistics
        r.droppedSlow = after.clientsDroppedSlow - before.clientsDroppedSlow
        r.skipped = after.recordsSkipped - before.recordsSkipped
        try input.fileHandleForWriting.close()
        while let l = await reader.next() {
            guard l.hasPrefix("result ") else { continue }
            let json = try JSONSerialization.jsonObject(with: Data(l.dropFirst("result ".count).utf8)) as? [String: Any] ?? [:]
            r.received = json["received"] as? Int ?? 0
            r.frames = json["frames"] as? Int ?? 0
            r.clientCPU = json["cpu_s"] as? Double ?? 0
            r.clientPeakKiB = json["peak_rss_kib"] as? Int ?? 0
            r.ended = json["ended"] as? Int ?? 0
            for pair in json["hist"] as? [[Int]] ?? [] where pair.count == 2 { r.counts[pair[0]] += pair[1] }
        }
        child.waitUntilExit()
        // The child's connections are gone: wait until the feed has forgotten them.
        let forgetDeadline = ContinuousClock.now + .seconds(10)
        while feed.statistics.clients > 0, ContinuousClock.now < forgetDeadline { try await Task.sleep(for: .milliseconds(50)) }
        return r
    }
}
