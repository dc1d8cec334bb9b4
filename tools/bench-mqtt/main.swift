// MQTT ingest benchmark (issue 3). In one run, on one private mosquitto:
//  1. live stream: a publisher pushes aircraft OSD at QoS 1 as fast as it can for S seconds,
//     first to a do-nothing subscriber (`mosquitto_sub -q 1`, output counted, nothing kept),
//     then to `tianyan serve` (into SQLite); the rate at which the last message was delivered /
//     committed, the ratio, the broker's dropped count, every message stored;
//  2. backlog: N messages queued for an offline persistent session, drained by mosquitto_sub
//     and by tianyan (the broker's drain ceiling is far above any live publisher here);
//  3. latency: 1,000 messages/s for a while, one in ten an event with need_reply; the
//     events_reply is sent only after commit, so publish -> reply bounds publish -> commit;
//  4. decode: DockIngest on one OSD message, per message, against JSONSerialization.
// Usage: bench-mqtt --tianyan PATH [--live-seconds S] [--messages N] [--latency-seconds S] [--dir DIR]
import DockLink
import Foundation
import MosquittoClient
import Synchronization
import TianyanModel

func argument(_ name: String, _ fallback: String) -> String {
    let args = CommandLine.arguments
    if let i = args.firstIndex(of: name), i + 1 < args.count { return args[i + 1] }
    return fallback
}

let tianyan = argument("--tianyan", ".build/release/tianyan")
let count = Int(argument("--messages", "600000"))!
let latencySeconds = Int(argument("--latency-seconds", "60"))!
let liveSeconds = Double(argument("--live-seconds", "60"))!
/// With `--subscriber-cpu N` (and the benchmark itself started under `taskset -c M`), the
/// subscribers (mosquitto_sub, tianyan) run on core N while the publisher and the broker share
/// the other: the broker's delivery is then not slowed by the subscriber's own work.
let subscriberCPU = argument("--subscriber-cpu", "")
let dir = argument("--dir", NSTemporaryDirectory() + "tianyan-bench-mqtt")
let profilesDir = argument("--profiles", "firmware-profiles")
try? FileManager.default.removeItem(atPath: dir)
try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)

func line(_ s: String) {
    FileHandle.standardOutput.write(Data((s + "\n").utf8))
}

func run(_ path: String, _ args: [String], output: String? = nil) throws -> SpawnedProcess {
    try SpawnedProcess(path, args, logFile: output)
}

/// A subscriber process, on its own core when `--subscriber-cpu` is given.
func subscriber(_ path: String, _ args: [String], output: String? = nil) throws -> SpawnedProcess {
    if subscriberCPU.isEmpty { return try run(path, args, output: output) }
    return try run("/usr/bin/taskset", ["-c", subscriberCPU, path] + args, output: output)
}

func wait(_ p: SpawnedProcess, timeout: Double) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning { if Date() > deadline { return false }; usleep(2000) }
    return true
}

let registry = FleetSample.make()
let drones = registry.drones.filter { $0.dock != nil }

/// An aircraft OSD message in the shape of the DJI documentation (sample S4), with a position.
func osd(_ i: Int, time: Int64) -> (String, [UInt8]) {
    let d = drones[i % drones.count]
    let lat = 22.80 + Double(i % 1000) * 1e-5, lon = 113.80 + Double(i % 997) * 1e-5
    let body = #"{"bid":"b\#(i)","tid":"t\#(i)","timestamp":\#(time),"gateway":"\#(d.dock!)","data":{"52-0-0":{"measure_target_altitude":0,"measure_target_distance":591.70001220703125,"measure_target_error_state":1,"measure_target_latitude":0,"measure_target_longitude":0,"payload_index":"52-0-0","version":1},"activation_time":1667935211,"attitude_head":41.7,"attitude_pitch":2.7,"attitude_roll":0,"battery":{"batteries":[{"capacity_percent":95,"firmware_version":"02.00.20.44","high_voltage_storage_days":16,"index":0,"loop_times":137,"sn":"4BUPJ99DAD009W","sub_type":0,"temperature":33.3,"type":0,"voltage":24303},{"capacity_percent":85,"firmware_version":"02.00.20.44","high_voltage_storage_days":5,"index":1,"loop_times":82,"sn":"4BUPJ9EDAD01CE","sub_type":0,"temperature":32,"type":0,"voltage":24311}],"capacity_percent":90,"landing_power":0,"remain_flight_time":1320,"return_home_power":0},"distance_limit_status":{"distance_limit":5000,"state":0},"elevation":85.2,"firmware_version":"05.01.0214","gear":1,"height":120.417465209960938,"height_limit":120,"home_distance":812.5,"horizontal_speed":11.8,"latitude":\#(lat),"longitude":\#(lon),"maintain_status":{"maintain_status_array":[{"last_maintain_flight_time":0,"last_maintain_time":0,"last_maintain_type":1,"state":0},{"last_maintain_flight_time":0,"last_maintain_time":0,"last_maintain_type":2,"state":0},{"last_maintain_flight_time":0,"last_maintain_time":0,"last_maintain_type":3,"state":0}]},"mode_code":5,"night_lights_state":0,"obstacle_avoidance":{"downside":1,"horizon":1,"upside":1},"position_state":{"gps_number":21,"is_fixed":2,"quality":5,"rtk_number":30},"storage":{"total":59968,"used":1204},"total_flight_distance":1293012,"total_flight_sorties":412,"total_flight_time":301123,"track_id":"track-\#(i % 126)","vertical_speed":0,"wind_direction":3,"wind_speed":4.2}}"#
    return ("thing/product/\(d.serial)/osd", Array(body.utf8))
}

/// Publishes `n` messages at QoS 1 with up to `window` awaiting their PUBACK.
func publish(_ client: MosquittoClient, _ n: Int, base: Int64, window: Int = 2000) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var inflight = 0
        for i in 0..<n {
            if inflight >= window {
                try await group.next()
                inflight -= 1
            }
            let (topic, payload) = osd(i, time: base + Int64(i))
            group.addTask { try await client.publish(topic, payload: payload, qos: .atLeastOnce, timeout: .seconds(120)) }
            inflight += 1
        }
        try await group.waitForAll()
    }
}

/// Publishes as fast as PUBACKs allow for `seconds`; returns how many were sent.
func publishFor(_ client: MosquittoClient, seconds: Double, base: Int64, window: Int = 2000) async throws -> Int {
    let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    return try await withThrowingTaskGroup(of: Void.self) { group in
        var inflight = 0, i = 0
        while ContinuousClock.now < end {
            if inflight >= window {
                try await group.next()
                inflight -= 1
            }
            let (topic, payload) = osd(i, time: base + Int64(i))
            group.addTask { try await client.publish(topic, payload: payload, qos: .atLeastOnce, timeout: .seconds(120)) }
            inflight += 1
            i += 1
        }
        try await group.waitForAll()
        return i
    }
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}

func connect(_ broker: LocalBroker, id: String, subscribe: [String] = []) async throws -> (MosquittoClient, Task<Void, any Error>) {
    let c = try MosquittoClient(configuration: .init(broker: try BrokerURL(parsing: broker.url), clientID: id, cleanSession: true,
                                                     subscriptions: subscribe.map { .init($0) }))
    let t = Task { try await c.run() }
    while !c.status.connected { try await Task.sleep(for: .milliseconds(10)) }
    try await Task.sleep(for: .milliseconds(100))
    return (c, t)
}

/// `$SYS/broker/publish/messages/dropped`, followed for the whole run by a client of ours.
let droppedByBroker = Mutex<String>("never reported")
func brokerDropped(_ broker: LocalBroker) -> String { droppedByBroker.withLock { $0 } }

/// How many received messages the controller has stored: the journal's release mark, read from
/// its 8-byte file (polling COUNT(*) would itself load the machine being measured).
func released(_ db: String) -> Int {
    guard let data = FileManager.default.contents(atPath: db + ".journal/released"), data.count == 8 else { return 0 }
    return Int(data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
}

func sqliteCount(_ db: String, _ sql: String) -> Int {
    let out = dir + "/count.txt"
    try? FileManager.default.removeItem(atPath: out)
    guard let p = try? run("/usr/bin/sqlite3", [db, sql], output: out) else { return -1 }
    _ = wait(p, timeout: 30)
    return Int((try? String(contentsOfFile: out, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1
}

let broker = try LocalBroker(options: .init(maxQueuedMessages: count * 2 + 10_000, persistence: false,
                                            extraConfiguration: "max_queued_bytes 0\nmax_inflight_messages 0\nmessage_size_limit 0"))
line("# \(ISO8601DateFormatter().string(from: Date())) \(ProcessInfo.processInfo.activeProcessorCount) cores; mosquitto on \(broker.url); \(count) messages of \(osd(0, time: 0).1.count) bytes (aircraft OSD, sample S4 shape); subscribers on \(subscriberCPU.isEmpty ? "any core" : "core " + subscriberCPU)")
let topicFilter = "thing/product/+/osd"
let (sysClient, sysTask) = try await connect(broker, id: "bench-sys", subscribe: ["$SYS/broker/publish/messages/dropped"])
let sysReader = Task {
    for await m in sysClient.messages { droppedByBroker.withLock { $0 = String(decoding: m.payload, as: UTF8.self) } }
}
let referenceRate = Mutex<Double>(0)
let liveReference = Mutex<Double>(0)
let liveReferenceV5 = Mutex<Double>(0)

// 1a. Live stream to a do-nothing subscriber: it prints one byte per message, counted, kept nowhere.
// Twice: as the issue names it (MQTT 3.1.1, clean session), and with the controller's own
// protocol and session (MQTT 5, persistent session, a stable client id).
func liveReference(_ label: String, _ extra: [String]) async throws -> Double {
    let counter = dir + "/ref-live-\(label).count"
    let sub = try subscriber("/usr/bin/mosquitto_sub", ["-p", "\(broker.port)", "-q", "1", "-t", topicFilter, "-F", ".", "-N"] + extra, output: counter)
    try await Task.sleep(for: .milliseconds(500))
    let (pub, task) = try await connect(broker, id: "bench-pub-live-ref-\(label)")
    let start = ContinuousClock.now
    let sent = try await publishFor(pub, seconds: liveSeconds, base: 1_690_000_000_000)
    let published = ContinuousClock.now - start
    while fileSize(counter) < sent, ContinuousClock.now - start < .seconds(liveSeconds + 60) { try await Task.sleep(for: .milliseconds(20)) }
    let seconds = (ContinuousClock.now - start).seconds
    task.cancel()
    sub.stop()
    let rate = Double(fileSize(counter)) / seconds
    line(String(format: "live_reference_mosquitto_sub_q1_%@_msgs_per_s %.0f delivered=%d of %d seconds=%.1f (publishing took %.1f s)", label, rate, fileSize(counter), sent, seconds, published.seconds))
    return rate
}
let liveV311 = try await liveReference("v311_clean", [])
let liveV5 = try await liveReference("v5_persistent", ["-V", "mqttv5", "-c", "-i", "bench-live-ref", "-x", "86400"])
liveReference.withLock { $0 = liveV311 }
liveReferenceV5.withLock { $0 = liveV5 }
// End that persistent session so it queues nothing more.
_ = wait(try run("/usr/bin/mosquitto_sub", ["-p", "\(broker.port)", "-V", "mqttv5", "-i", "bench-live-ref", "-t", topicFilter, "-W", "1"], output: "/dev/null"), timeout: 5)

// 1. Reference: create the persistent session, go away, queue N, drain with mosquitto_sub.
do {
    let sub = try run("/usr/bin/mosquitto_sub", ["-p", "\(broker.port)", "-i", "bench-ref", "-c", "-q", "1", "-t", topicFilter, "-W", "1"], output: "/dev/null")
    _ = wait(sub, timeout: 5)
    let (pub, task) = try await connect(broker, id: "bench-pub-ref")
    let t0 = Date()
    try await publish(pub, count, base: 1_700_000_000_000)
    line(String(format: "publish_rate_msgs_per_s %.0f (queued for the reference subscriber)", Double(count) / Date().timeIntervalSince(t0)))
    task.cancel()
    let start = Date()
    let drain = try subscriber("/usr/bin/mosquitto_sub", ["-p", "\(broker.port)", "-i", "bench-ref", "-c", "-q", "1", "-t", topicFilter, "-C", "\(count)"], output: "/dev/null")
    guard wait(drain, timeout: 1800) else { fatalError("reference drain did not finish") }
    let seconds = Date().timeIntervalSince(start)
    line(String(format: "backlog_reference_mosquitto_sub_q1_msgs_per_s %.0f seconds=%.1f", Double(count) / seconds, seconds))
    // End the reference's persistent session, or it would queue (and past its limit drop) the
    // rest of the run.
    let clean = try run("/usr/bin/mosquitto_sub", ["-p", "\(broker.port)", "-i", "bench-ref", "-t", topicFilter, "-W", "1"], output: "/dev/null")
    _ = wait(clean, timeout: 5)
    referenceRate.withLock { $0 = Double(count) / seconds }
}
// 2. Tianyan: the controller's persistent session, queue N, drain into SQLite.
do {
    let db = dir + "/bench.sqlite"
    let fleet = dir + "/fleet"
    for args in [["fleet", "sample", fleet], ["fleet", "import", fleet, "--database", db]] {
        let p = try run(tianyan, args, output: dir + "/setup.log")
        _ = wait(p, timeout: 120)
    }
    let serveArgs = ["serve", "--database", db, "--mqtt", broker.url, "--set", "profiles_dir=\(profilesDir)", "--set", "log_level=warning"]
    // The live stream first, into an empty table (as the reference started with an empty queue).
    var serve = try subscriber(tianyan, serveArgs, output: dir + "/serve1.log")
    try await Task.sleep(for: .seconds(2))
    // 1b. Live stream into the running controller.
    do {
        let before = sqliteCount(db, "SELECT COUNT(*) FROM positions")
        let releasedBefore = released(db)
        let (pub, task) = try await connect(broker, id: "bench-pub-live-ctl")
        let start = ContinuousClock.now
        let sent = try await publishFor(pub, seconds: liveSeconds, base: 1_720_000_000_000)
        let published = ContinuousClock.now - start
        let lagAtEnd = sent - (released(db) - releasedBefore)
        task.cancel()
        while released(db) - releasedBefore < sent, ContinuousClock.now - start < .seconds(liveSeconds + 600) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let seconds = (ContinuousClock.now - start).seconds
        let stored = sqliteCount(db, "SELECT COUNT(*) FROM positions") - before
        let rate = Double(stored) / seconds
        line(String(format: "live_tianyan_q1_msgs_per_s %.0f stored=%d of %d seconds=%.1f (publishing took %.1f s; %d not yet committed when it ended)", rate, stored, sent, seconds, published.seconds, lagAtEnd))
        line(String(format: "ratio_live_tianyan_vs_mosquitto_sub %.2f (MQTT 3.1.1 clean session)", rate / liveReference.withLock { $0 }))
        line(String(format: "ratio_live_tianyan_vs_mosquitto_sub_same_protocol %.2f (MQTT 5 persistent session, as the controller)", rate / liveReferenceV5.withLock { $0 }))
        try await Task.sleep(for: .seconds(2))
        line("broker_dropped_messages \(brokerDropped(broker))")
    }
    // Then the backlog: the controller goes away, N messages queue for its session, it comes back.
    serve.stop()
    let backlogBefore = sqliteCount(db, "SELECT COUNT(*) FROM positions")
    let (pub, task) = try await connect(broker, id: "bench-pub-ctl")
    try await publish(pub, count, base: 1_710_000_000_000)
    task.cancel()
    let start = Date()
    serve = try subscriber(tianyan, serveArgs, output: dir + "/serve2.log")
    var stored = 0
    var peakRSS = 0.0
    let releasedBefore = released(db)
    while stored < count {
        try await Task.sleep(for: .milliseconds(100))
        stored = released(db) - releasedBefore
        if let status = try? String(contentsOfFile: "/proc/\(serve.pid)/status", encoding: .utf8),
           let rss = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS") })?.split(separator: " ").dropFirst().first(where: { !$0.isEmpty }).flatMap({ Double($0) }) {
            peakRSS = max(peakRSS, rss / 1024)
        }
        if Date().timeIntervalSince(start) > 1800 { break }
        guard serve.isRunning else { line("tianyan serve exited early; see \(dir)/serve2.log"); break }
    }
    let seconds = Date().timeIntervalSince(start)
    stored = sqliteCount(db, "SELECT COUNT(*) FROM positions") - backlogBefore
    let rate = Double(stored) / seconds
    line(String(format: "backlog_tianyan_q1_msgs_per_s %.0f seconds=%.1f stored=%d of %d peak_rss_mib=%.0f", rate, seconds, stored, count, peakRSS))
    line(String(format: "ratio_backlog_tianyan_vs_mosquitto_sub %.2f", rate / referenceRate.withLock { $0 }))
    try await Task.sleep(for: .seconds(2))  // $SYS is published every second
    line("broker_dropped_messages_after_backlog \(brokerDropped(broker))")

    serve.stop()

    // 3. Latency at 1,000 messages/s: publish -> events_reply (sent after commit).
    serve = try subscriber(tianyan, serveArgs, output: dir + "/serve3.log")
    try await Task.sleep(for: .seconds(2))
    let dockSerial = drones[0].dock!
    let (dev, devTask) = try await connect(broker, id: "bench-latency", subscribe: ["thing/product/\(dockSerial)/events_reply"])
    let sentAt = Mutex<[String: ContinuousClock.Instant]>([:])
    let latencies = Mutex<[Double]>([])
    let collector = Task {
        for await m in dev.messages {
            guard let object = try? JSONSerialization.jsonObject(with: Data(m.payload)) as? [String: Any], let tid = object["tid"] as? String,
                  let sent = sentAt.withLock({ $0.removeValue(forKey: tid) }) else { continue }
            let ms = Double((ContinuousClock.now - sent).components.attoseconds) / 1e15 + Double((ContinuousClock.now - sent).components.seconds) * 1000
            latencies.withLock { $0.append(ms) }
        }
    }
    let total = latencySeconds * 1000
    let begin = ContinuousClock.now
    let base: Int64 = Int64(Date().timeIntervalSince1970 * 1000) - Int64(total) - 10_000
    for i in 0..<total {
        let due = begin + .microseconds(Int64(i) * 1000)
        if due > .now { try await Task.sleep(until: due, clock: .continuous) }
        if i % 10 == 9 {
            let tid = "lat-\(i)"
            let body = #"{"tid":"\#(tid)","bid":"flight-bench","timestamp":\#(base + Int64(i)),"method":"flighttask_progress","need_reply":1,"data":{"result":0,"output":{"status":"in_progress","progress":{"current_step":19,"percent":\#(i % 100)},"ext":{"flight_id":"flight-bench","current_waypoint_index":\#(i % 50)}}}}"#
            sentAt.withLock { $0[tid] = .now }
            try await dev.publish("thing/product/\(dockSerial)/events", payload: Array(body.utf8), qos: .atLeastOnce, timeout: .seconds(10))
        } else {
            let (topic, payload) = osd(i, time: base + Int64(i))
            try await dev.publish(topic, payload: payload, qos: .atLeastOnce, timeout: .seconds(10))
        }
    }
    let achieved = Double(total) / (ContinuousClock.now - begin).seconds
    try await Task.sleep(for: .seconds(2))
    collector.cancel()
    devTask.cancel()
    let l = latencies.withLock { $0 }.sorted()
    func pct(_ p: Double) -> Double { l.isEmpty ? .nan : l[min(l.count - 1, Int(Double(l.count) * p))] }
    line(String(format: "latency_publish_to_committed_reply_ms p50=%.1f p99=%.1f max=%.1f replies=%d of %d rate=%.0f msgs_per_s", pct(0.5), pct(0.99), l.last ?? .nan, l.count, total / 10, achieved))
    serve.stop()
}

// 4. Decode cost of one OSD message, against JSONSerialization building the whole tree.
do {
    let profiles = try DockProfiles.load(directory: profilesDir)
    var ingest = DockIngest(profiles: profiles, registry: registry)
    let n = 200_000
    let messages = (0..<1000).map { osd($0, time: 1_700_000_000_000 + Int64($0)) }
    var t0 = Date()
    var positions = 0
    for i in 0..<n {
        let (topic, payload) = messages[i % 1000]
        positions += ingest.ingest(topic: topic, payload: payload, receivedAt: Timestamp(milliseconds: 1_700_000_000_000 + Int64(i))).records.count
    }
    let ours = Date().timeIntervalSince(t0) / Double(n) * 1e6
    t0 = Date()
    var keys = 0
    for i in 0..<n {
        let object = try JSONSerialization.jsonObject(with: Data(messages[i % 1000].1)) as? [String: Any]
        keys += object?.count ?? 0
    }
    let reference = Date().timeIntervalSince(t0) / Double(n) * 1e6
    line(String(format: "decode_osd_us_per_msg %.2f (DockIngest: topic, envelope, mapped fields, merge, records; %d records)", ours, positions))
    line(String(format: "reference_jsonserialization_us_per_msg %.2f (whole tree, nothing else; %d keys)", reference, keys))
    line(String(format: "ratio_decode_speed_vs_jsonserialization %.2f", reference / ours))
}
sysTask.cancel()
sysReader.cancel()
broker.shutdown()

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
