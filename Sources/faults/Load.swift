import Foundation
import MosquittoClient
import Synchronization
import TianyanModel

/// Dock telemetry at QoS 1 with countable payloads: message `seq` is aircraft OSD of drone
/// `seq % drones` with the device timestamp `base + seq` ms, so each message becomes exactly one
/// row of `positions` with a key no other message has. Every publish is recorded as acknowledged
/// by the broker (PUBACK) or indeterminate (timed out: the broker may or may not have it).
final class Load: Sendable {
    enum State: UInt8 { case unsent = 0, inFlight, acknowledged, indeterminate }

    let base: Int64
    let drones: [(serial: String, dock: String)]
    let client: MosquittoClient
    private let task: Task<Void, any Error>
    private let states = Mutex<[UInt8]>([])
    private let stopped = Atomic<Bool>(false)
    let inFlight = Atomic<Int>(0)
    /// Size of each OSD message: the full documented aircraft OSD (≈ 2.3 KB) or a short one.
    let full: Bool

    init(broker: LocalBroker, id: String, base: Int64, full: Bool = true) async throws {
        self.base = base
        self.full = full
        drones = FleetSample.make().drones.compactMap { d in d.dock.map { (serial: d.serial, dock: $0) } }
        let c = try MosquittoClient(configuration: .init(broker: try BrokerURL(parsing: broker.url), clientID: id, cleanSession: true,
                                                         reconnectDelayMinSeconds: 1, reconnectDelayMaxSeconds: 1))
        client = c
        task = Task { try await c.run() }
        let deadline = ContinuousClock.now + .seconds(10)
        while !c.status.connected {
            guard ContinuousClock.now < deadline else { throw Failure("load client did not connect: \(c.status.lastError ?? "-")") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func message(_ seq: Int) -> (topic: String, payload: [UInt8]) {
        let d = drones[seq % drones.count]
        let time = base + Int64(seq)
        let lat = 22.80 + Double(seq % 1000) * 1e-5, lon = 113.80 + Double(seq % 997) * 1e-5
        let body: String
        if full {
            body = #"{"bid":"b\#(seq)","tid":"t\#(seq)","timestamp":\#(time),"gateway":"\#(d.dock)","data":{"52-0-0":{"measure_target_altitude":0,"measure_target_distance":591.70001220703125,"measure_target_error_state":1,"measure_target_latitude":0,"measure_target_longitude":0,"payload_index":"52-0-0","version":1},"activation_time":1667935211,"attitude_head":41.7,"attitude_pitch":2.7,"attitude_roll":0,"battery":{"batteries":[{"capacity_percent":95,"firmware_version":"02.00.20.44","high_voltage_storage_days":16,"index":0,"loop_times":137,"sn":"4BUPJ99DAD009W","sub_type":0,"temperature":33.3,"type":0,"voltage":24303},{"capacity_percent":85,"firmware_version":"02.00.20.44","high_voltage_storage_days":5,"index":1,"loop_times":82,"sn":"4BUPJ9EDAD01CE","sub_type":0,"temperature":32,"type":0,"voltage":24311}],"capacity_percent":90,"landing_power":0,"remain_flight_time":1320,"return_home_power":0},"distance_limit_status":{"distance_limit":5000,"state":0},"elevation":85.2,"firmware_version":"05.01.0214","gear":1,"height":120.417465209960938,"height_limit":120,"home_distance":812.5,"horizontal_speed":11.8,"latitude":\#(lat),"longitude":\#(lon),"maintain_status":{"maintain_status_array":[{"last_maintain_flight_time":0,"last_maintain_time":0,"last_maintain_type":1,"state":0}]},"mode_code":5,"night_lights_state":0,"obstacle_avoidance":{"downside":1,"horizon":1,"upside":1},"position_state":{"gps_number":21,"is_fixed":2,"quality":5,"rtk_number":30},"storage":{"total":59968,"used":1204},"total_flight_distance":1293012,"total_flight_sorties":412,"total_flight_time":301123,"track_id":"track-\#(seq % 126)","vertical_speed":0,"wind_direction":3,"wind_speed":4.2}}"#
        } else {
            body = #"{"tid":"t\#(seq)","bid":"b","timestamp":\#(time),"gateway":"\#(d.dock)","data":{"latitude":\#(lat),"longitude":\#(lon),"height":110.5,"elevation":80,"attitude_head":12.5,"horizontal_speed":11.2,"vertical_speed":0,"mode_code":5,"battery":{"capacity_percent":71,"remain_flight_time":1500}}}"#
        }
        return ("thing/product/\(d.serial)/osd", Array(body.utf8))
    }

    /// Publishes at `rate` messages/s (at most `window` awaiting PUBACK) until `stop()`.
    func run(rate: Double, window: Int = 4000) async {
        let start = ContinuousClock.now
        var seq = 0
        await withDiscardingTaskGroup { group in
            while !stopped.load(ordering: .relaxed) {
                let due = Int((ContinuousClock.now - start).seconds * rate)
                while seq < due, inFlight.load(ordering: .relaxed) < window, !stopped.load(ordering: .relaxed) {
                    let s = seq
                    seq += 1
                    states.withLock { st in
                        if st.count <= s { st.append(contentsOf: repeatElement(0, count: max(65_536, st.count))) }
                        st[s] = State.inFlight.rawValue
                    }
                    inFlight.add(1, ordering: .relaxed)
                    let (topic, payload) = message(s)
                    group.addTask {
                        // As a device does: while there is no broker connection the message is
                        // kept and tried again (it was never handed over); a publish that times
                        // out is indeterminate (the broker may have it).
                        var outcome = State.indeterminate
                        let deadline = ContinuousClock.now + .seconds(120)
                        while true {
                            do throws(MQTTError) {
                                try await self.client.publish(topic, payload: payload, qos: .atLeastOnce, timeout: .seconds(60))
                                outcome = .acknowledged
                                break
                            } catch let error where error.code == .notConnected && ContinuousClock.now < deadline {
                                try? await Task.sleep(for: .milliseconds(100))
                            } catch {
                                break
                            }
                        }
                        self.states.withLock { $0[s] = outcome.rawValue }
                        self.inFlight.subtract(1, ordering: .relaxed)
                    }
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    func stop() { stopped.store(true, ordering: .relaxed) }

    func close() { task.cancel() }

    /// Published so far (acknowledged, indeterminate, in flight).
    var published: Int { states.withLock { $0.firstIndex(of: State.unsent.rawValue) ?? $0.count } }

    var acknowledged: Int { states.withLock { $0.reduce(0) { $0 + ($1 == State.acknowledged.rawValue ? 1 : 0) } } }

    func snapshot() -> [UInt8] { states.withLock { all in Array(all.prefix { $0 != State.unsent.rawValue }) } }
}

/// The Jepsen total-queue classification of one run: what the broker acknowledged against what
/// the SQLite file holds.
struct Score: CustomStringConvertible {
    var acknowledged = 0
    var indeterminate = 0
    var stored = 0
    var lost = 0
    var duplicated = 0
    /// Rows for keys the load never published, or under the wrong unit.
    var unexpected = 0
    /// Indeterminate publishes that were stored after all.
    var recovered = 0
    var lostSample: [Int] = []
    /// Messages before this one are not counted: published before the controller's persistent
    /// session existed (its very first connect), the broker had nobody to queue them for.
    var firstCounted = 0

    init(load: Load, rig: Rig, from firstCounted: Int) throws {
        self.firstCounted = firstCounted
        let states = load.snapshot()
        var counts = [Int](repeating: 0, count: states.count)
        for row in try rig.storedPositions(from: load.base, to: load.base + Int64(states.count) + 1) {
            let seq = Int(row.time - load.base)
            guard seq >= 0, seq < counts.count, load.drones[seq % load.drones.count].serial == row.unit else {
                unexpected += 1
                continue
            }
            counts[seq] += 1
        }
        for (seq, raw) in states.enumerated() where seq >= firstCounted {
            let n = counts[seq]
            if n > 1 { duplicated += n - 1 }
            switch Load.State(rawValue: raw)! {
            case .acknowledged:
                acknowledged += 1
                if n > 0 { stored += 1 } else {
                    lost += 1
                    if lostSample.count < 10 { lostSample.append(seq) }
                }
            case .indeterminate, .inFlight:
                indeterminate += 1
                if n > 0 { recovered += 1 }
            case .unsent:
                break
            }
        }
    }

    var description: String {
        "sent \(acknowledged), stored \(stored), lost \(lost), duplicated \(duplicated)"
    }

    var detail: String {
        "counted from message \(firstCounted) (the controller's first commit); indeterminate \(indeterminate) (stored after all: \(recovered)), unexpected rows \(unexpected)"
            + (lostSample.isEmpty ? "" : ", first lost seqs \(lostSample)")
    }

    /// Waits until every acknowledged message is stored, or nothing new is stored for `quiet` (a
    /// controller reading back a large journal commits nothing for a while).
    static func drain(load: Load, rig: Rig, from firstCounted: Int, quiet: Duration = .seconds(60), limit: Duration = .seconds(600)) async throws -> Score {
        let start = ContinuousClock.now
        var lastStored = -1
        var lastChange = ContinuousClock.now
        while true {
            let s = try Score(load: load, rig: rig, from: firstCounted)
            if s.lost == 0 { return s }
            if s.stored != lastStored {
                lastStored = s.stored
                lastChange = .now
            }
            if ContinuousClock.now - lastChange > quiet || ContinuousClock.now - start > limit { return s }
            try await Task.sleep(for: .seconds(1))
        }
    }
}

/// `$SYS/broker/publish/messages/dropped`, followed for the run.
final class BrokerDrops: Sendable {
    let client: MosquittoClient
    let value = Mutex<String>("never reported")
    private let task: Task<Void, any Error>

    init(broker: LocalBroker) throws {
        let c = try MosquittoClient(configuration: .init(broker: try BrokerURL(parsing: broker.url), clientID: "faults-sys-\(getpid())",
                                                         cleanSession: true, subscriptions: [.init("$SYS/broker/publish/messages/dropped")],
                                                         reconnectDelayMinSeconds: 1, reconnectDelayMaxSeconds: 1))
        client = c
        task = Task { try await c.run() }
        Task { [self] in for await m in c.messages { value.withLock { $0 = String(decoding: m.payload, as: UTF8.self) } } }
    }

    var dropped: String { value.withLock { $0 } }

    func close() { task.cancel() }
}
