import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HummingbirdWSClient
import Logging
import MosquittoClient
import Synchronization
import TianyanModel

/// Publish → committed-reply latency: a dock's `flighttask_progress` event with `need_reply`;
/// the controller sends `events_reply` only after the event is committed.
final class LatencyProbe: Sendable {
    let client: MosquittoClient
    private let task: Task<Void, any Error>
    private let sent = Mutex<[String: ContinuousClock.Instant]>([:])
    private let samples = Mutex<[Double]>([])
    let dock: String

    init(broker: LocalBroker, dock: String) async throws {
        self.dock = dock
        let c = try MosquittoClient(configuration: .init(broker: try BrokerURL(parsing: broker.url), clientID: "faults-latency-\(getpid())",
                                                         cleanSession: true, subscriptions: [.init("thing/product/\(dock)/events_reply")],
                                                         reconnectDelayMinSeconds: 1, reconnectDelayMaxSeconds: 1))
        client = c
        task = Task { try await c.run() }
        let deadline = ContinuousClock.now + .seconds(10)
        while !c.status.ready {
            guard ContinuousClock.now < deadline else { throw Failure("latency client did not connect") }
            try await Task.sleep(for: .milliseconds(10))
        }
        Task { [self] in
            for await m in c.messages {
                guard let object = try? JSONSerialization.jsonObject(with: Data(m.payload)) as? [String: Any], let tid = object["tid"] as? String,
                      let at = sent.withLock({ $0.removeValue(forKey: tid) }) else { continue }
                let ms = (ContinuousClock.now - at).seconds * 1000
                samples.withLock { $0.append(ms) }
            }
        }
    }

    /// One event every `interval` until cancelled.
    func run(interval: Duration) async {
        var i = 0
        while !Task.isCancelled {
            i += 1
            let tid = "soak-\(i)"
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let body = #"{"tid":"\#(tid)","bid":"flight-soak","timestamp":\#(now),"method":"flighttask_progress","need_reply":1,"data":{"result":0,"output":{"status":"in_progress","progress":{"current_step":19,"percent":\#(i % 100)},"ext":{"flight_id":"flight-soak","current_waypoint_index":\#(i % 50)}}}}"#
            sent.withLock { $0[tid] = .now }
            try? await client.publish("thing/product/\(dock)/events", payload: Array(body.utf8), qos: .atLeastOnce, timeout: .seconds(10))
            try? await Task.sleep(for: interval)
        }
    }

    /// The samples since the last call, sorted.
    func take() -> [Double] { samples.withLock { s in defer { s = [] }; return s.sorted() } }

    func close() { task.cancel() }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? .nan : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

/// Console clients on the live feed, counting what they receive.
final class LiveClients: Sendable {
    let frames = Atomic<Int>(0)
    let connected = Atomic<Int>(0)
    let ended = Atomic<Int>(0)
    private let tasks = Mutex<[Task<Void, Never>]>([])

    func start(count: Int, url: String) {
        var logger = Logger(label: "faults.ws")
        logger.logLevel = .critical
        for _ in 0..<count {
            // As the console does: a client the server dropped (too slow) connects again.
            let t = Task { [self] in
                while !Task.isCancelled {
                    _ = try? await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                        self.connected.add(1, ordering: .relaxed)
                        try await outbound.write(.text(#"{"subscribe": ["positions", "alarms", "calls"], "batch": true}"#))
                        for try await _ in inbound { self.frames.add(1, ordering: .relaxed) }
                    }
                    self.ended.add(1, ordering: .relaxed)
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            tasks.withLock { $0.append(t) }
        }
    }

    func stop() { tasks.withLock { $0.forEach { $0.cancel() } } }
}

/// Scenario 6: city load for `--minutes`: memory, descriptors and latency sampled every
/// `--sample-seconds`; growth measured after the warm-up.
func soak(_ options: Options) async throws -> Bool {
    let minutes = try options.double("minutes", 60)
    let rate = try options.double("rate", 800)
    let radios = try options.int("radios", 5_000)
    let clients = try options.int("clients", 50)
    let sampleEvery = try options.double("sample-seconds", 10)
    let warmup = try options.double("warmup-minutes", max(1, minutes / 6))
    let rig = try Rig(options: options, label: "soak")
    var ok = false
    defer { rig.shutdown(keep: !ok || options.string("keep", "0") == "1") }
    if radios > 0 { try rig.startRadio(radioSim: radioSimPath(options, rig), radios: radios, rate: try options.double("radio-rate", 2)) }
    let password = "soak-password-\(getpid())"
    try password.write(toFile: rig.dir + "/pw", atomically: true, encoding: .utf8)
    try rig.checked(rig.tianyan, ["users", "add", "soak", "--role", "viewer", "--password-file", rig.dir + "/pw", "--database", rig.database])
    try rig.startServe()
    try await rig.waitUntilConnected()
    let load = try await Load(broker: rig.broker, id: "faults-load-\(getpid())", base: loadBase(), full: options.string("small", "0") != "1")
    defer { load.close() }
    let publisher = Task { await load.run(rate: rate) }
    _ = try await rig.waitUntilConsuming(connections: 1, beyond: 0, since: .now)
    let firstCounted = load.published
    let probe = try await LatencyProbe(broker: rig.broker, dock: FleetSample.make().docks[0].serial)
    defer { probe.close() }
    let probing = Task { await probe.run(interval: .milliseconds(100)) }

    // Log in and connect the console clients.
    var login = URLRequest(url: URL(string: "http://\(rig.http)/api/v1/session")!)
    login.httpMethod = "POST"
    login.setValue("application/json", forHTTPHeaderField: "Content-Type")
    login.httpBody = Data(#"{"name": "soak", "password": "\#(password)"}"#.utf8)
    var token: String?
    for _ in 0..<100 where token == nil {
        if let (body, _) = try? await URLSession.shared.data(for: login) {
            token = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["token"] as? String
        }
        if token == nil { try await Task.sleep(for: .milliseconds(200)) }
    }
    guard let token else { throw Failure("could not log in to the controller at \(rig.http)") }
    let live = LiveClients()
    live.start(count: clients, url: "ws://\(rig.http)/api/v1/live?token=\(token)")
    defer { live.stop() }
    note("soak: \(minutes) min at \(Int(rate)) OSD msg/s + \(radios) radios + \(clients) live clients; rig in \(rig.dir)")

    struct Sample { var minute: Double; var rssKiB: Int; var fds: Int; var p50: Double; var p99: Double; var released: UInt64 }
    var samples: [Sample] = []
    let start = ContinuousClock.now
    while (ContinuousClock.now - start).seconds < minutes * 60 {
        try await Task.sleep(for: .milliseconds(Int64(sampleEvery * 1000)))
        guard rig.serve?.isRunning == true else { throw Failure("tianyan serve exited: \(rig.serveLogText().suffix(2000))") }
        let l = probe.take()
        let s = Sample(minute: (ContinuousClock.now - start).seconds / 60, rssKiB: rig.rssKiB(), fds: rig.openFiles(),
                       p50: percentile(l, 0.5), p99: percentile(l, 0.99), released: rig.released())
        samples.append(s)
        note(String(format: "soak: %.1f min rss %.1f MiB latency p50 %.1f ms p99 %.1f ms", s.minute, Double(s.rssKiB) / 1024, s.p50, s.p99)
             + "; fds \(s.fds); committed messages \(s.released); live clients \(live.connected.load(ordering: .relaxed) - live.ended.load(ordering: .relaxed)), frames \(live.frames.load(ordering: .relaxed))")
    }
    probing.cancel()
    load.stop()
    await publisher.value
    while load.inFlight.load(ordering: .relaxed) > 0 { try await Task.sleep(for: .milliseconds(50)) }
    let score = try await Score.drain(load: load, rig: rig, from: firstCounted)
    // After the warm-up: the first and last fifth of the samples, by median, so a single GC-like
    // spike (a WAL checkpoint, a burst of calls) does not decide.
    let steady = samples.filter { $0.minute >= warmup }
    guard steady.count >= 4 else { throw Failure("too few samples after the warm-up: run longer than \(warmup) min") }
    let fifth = max(1, steady.count / 5)
    func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }
    let rssStart = median(steady.prefix(fifth).map { Double($0.rssKiB) }), rssEnd = median(steady.suffix(fifth).map { Double($0.rssKiB) })
    let fdStart = median(steady.prefix(fifth).map { Double($0.fds) }), fdEnd = median(steady.suffix(fifth).map { Double($0.fds) })
    let p99Start = median(steady.prefix(fifth).map(\.p99)), p99End = median(steady.suffix(fifth).map(\.p99))
    let p50Start = median(steady.prefix(fifth).map(\.p50)), p50End = median(steady.suffix(fifth).map(\.p50))
    let growth = (rssEnd - rssStart) / rssStart * 100
    let committedRate = Double((steady.last!.released - steady.first!.released)) / ((steady.last!.minute - steady.first!.minute) * 60)
    let alive = live.connected.load(ordering: .relaxed) - live.ended.load(ordering: .relaxed)
    let reconnects = live.connected.load(ordering: .relaxed) - clients
    let radioRows = rig.count("SELECT COUNT(*) FROM radio_messages") + rig.count("SELECT COUNT(*) FROM positions WHERE source = 'lip'")
        + rig.count("SELECT COUNT(*) FROM voice_calls")
    emit("soak: \(score), recovered in 0.00 s")
    emit(String(format: "soak: detail: %.0f min (warm-up %.0f min); rss %.1f -> %.1f MiB (%+.1f %%); fds %.0f -> %.0f; publish->committed reply p50 %.1f -> %.1f ms, p99 %.1f -> %.1f ms; MQTT messages committed %.0f/s; ",
                minutes, warmup, rssStart / 1024, rssEnd / 1024, growth, fdStart, fdEnd, p50Start, p50End, p99Start, p99End, committedRate)
         + "radio rows \(radioRows); live clients \(alive) of \(clients) connected at the end, \(reconnects) reconnects after being dropped, \(live.frames.load(ordering: .relaxed)) frames; \(score.detail)")
    ok = score.lost == 0 && score.duplicated == 0 && growth < 5 && fdEnd <= fdStart && alive == clients
        && p99End <= max(2 * p99Start, p99Start + 50)
    return ok
}
