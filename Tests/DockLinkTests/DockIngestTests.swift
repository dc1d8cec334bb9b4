import DockLink
import Foundation
import Synchronization
import Testing
import TianyanModel
import TianyanTesting

enum Fixture {
    static let profiles: DockProfiles = {
        try! DockProfiles.load(directory: packageRoot() + "/firmware-profiles")
    }()
    static let registry = FleetSample.make()
    /// The first Dock 2 of the sample and the aircraft it holds.
    static let dock = registry.docks.first { $0.model == "DJI Dock 2" }!
    static let drone = registry.drones.first { $0.dock == dock.serial }!
    static let now = Timestamp(milliseconds: 1_700_000_000_000)

    static func ingest() -> DockIngest {
        DockIngest(profiles: profiles, registry: registry, configuration: .init(ntpServer: "ntp.tianyan.test"))
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    static func json(_ payload: [UInt8]) -> [String: Any] {
        try! JSONSerialization.jsonObject(with: Data(payload)) as! [String: Any]
    }
}

extension Array where Element == StoreRecord {
    var positions: [Position] { compactMap { if case .position(let p) = $0 { p } else { nil } } }
    var health: [DeviceHealth] { compactMap { if case .health(let h) = $0 { h } else { nil } } }
    var alarms: [Alarm] { compactMap { if case .alarm(let a) = $0 { a } else { nil } } }
    var tasks: [FlightTaskUpdate] { compactMap { if case .flightTask(let t) = $0 { t } else { nil } } }
    var sightings: [UnitSighting] { compactMap { if case .sighting(let s) = $0 { s } else { nil } } }
}

@Suite struct DockIngestTests {
    @Test func theThreePartsOfTheDockOSDMergeIntoOneState() throws {
        var ingest = Fixture.ingest()
        let sn = Fixture.dock.serial
        let topic = "thing/product/\(sn)/osd"
        let a = ingest.ingest(topic: topic, payload: Fixture.bytes(DJISamples.s1), receivedAt: Fixture.now)
        let b = ingest.ingest(topic: topic, payload: Fixture.bytes(DJISamples.s2), receivedAt: Fixture.now)
        let c = ingest.ingest(topic: topic, payload: Fixture.bytes(DJISamples.s3), receivedAt: Fixture.now)
        for o in [a, b, c] { #expect(o.rejection == nil) }
        let v = try #require(ingest.devices[sn]).values
        // Part 1: maintenance/power.
        #expect(v[.jobNumber] == 492)
        #expect(v[.workingSeconds] == 1_859_010)
        #expect(v[.workingVoltage] == 25_440)
        #expect(v[.supplyVoltage] == 231)
        #expect(v[.backupBatteryVoltage] == 26_631)
        // Part 2: task step.
        #expect(v[.flighttaskStepCode] == 255)
        // Part 3: position, environment, mode.
        #expect(v[.latitude] == 22.907809968 && v[.longitude] == 113.703482143)
        #expect(v[.altitude] == 34.174125671386719)
        #expect(v[.modeCode] == 1 && v[.droneInDock] == 1 && v[.droneBatteryPercent] == 100)
        #expect(v[.humidity] == 62 && v[.temperature] == 24.9 && v[.environmentTemperature] == 24)
        #expect(v[.storageTotal] == 82_045_336 && v[.storageUsed] == 51_772)
        #expect(v[.networkType] == 2 && v[.networkRate] == 5.0970001220703125)
        #expect(v.text(.subDeviceSerial) == "1581F5BKD225D00BP891")
        // Only part 3 carries a position; the device timestamp is used.
        #expect(c.records.positions == [Position(unit: sn, time: Timestamp(milliseconds: 1_667_220_916_697), latitude: 22.907809968,
                                                 longitude: 113.703482143, altitude: 34.174125671386719, source: .osd)])
        #expect(a.records.positions.isEmpty && b.records.positions.isEmpty)
        let h = try #require((a.records + b.records + c.records).health.last)
        #expect(h.kind == .dock && h.jobCount == 492 && h.mode == "on-site debugging" && h.networkType == "ethernet")
        #expect(h.coverState == "closed" && h.droneInDock == true && h.rainfall == 0 && h.humidityPercent == 62)
        #expect(a.records.sightings.map(\.kind) == [.dock])
    }

    @Test func aircraftOSDAtZeroZeroIsNoPositionButItsMaintenanceFiguresAreKept() throws {
        var ingest = Fixture.ingest()
        let sn = Fixture.drone.serial
        let o = ingest.ingest(topic: "thing/product/\(sn)/osd", payload: Fixture.bytes(DJISamples.s4), receivedAt: Fixture.now)
        #expect(o.rejection == nil)
        #expect(o.records.positions.isEmpty, "lat/lon 0,0 means no fix, never a point in the Gulf of Guinea")
        #expect(ingest.statistics.noFix == 1)
        let h = try #require(o.records.health.first)
        #expect(h.kind == .drone && h.firmware == "05.01.0214" && h.modeCode == 0 && h.mode == "standby")
        #expect(h.batteryPercent == 90)
        #expect(h.batteries.map(\.cycles) == [137, 82])
        #expect(h.batteries.map(\.serial) == ["4BUPJ99DAD009W", "4BUPJ9EDAD01CE"])
        #expect(h.batteries[0].temperature == 33.3 && h.batteries[0].voltage == 24_303 && h.batteries[0].highVoltageStorageDays == 16)
        #expect(h.maxBatteryCycles == 137)
        #expect(h.peer == "dock_sn", "the aircraft reports through its gateway")
    }

    @Test func anAirborneAircraftStoresEveryPointAndAGroundedOneOnlyWhenItMoves() throws {
        var ingest = Fixture.ingest()
        let sn = Fixture.drone.serial
        func osd(_ t: Int64, _ lat: Double, _ mode: Int) -> [UInt8] {
            Fixture.bytes(#"{"tid":"t","bid":"b","timestamp":\#(t),"gateway":"\#(Fixture.dock.serial)","data":{"latitude":\#(lat),"longitude":113.9,"height":120.5,"horizontal_speed":11.5,"attitude_head":-45,"mode_code":\#(mode)}}"#)
        }
        var stored: [Position] = []
        for i in 0..<5 {
            let o = ingest.ingest(topic: "thing/product/\(sn)/osd", payload: osd(1_700_000_000_000 + Int64(i) * 2000, 22.8, 5), receivedAt: Fixture.now)
            stored += o.records.positions
        }
        #expect(stored.count == 5, "airborne (wayline flight): every point, even when hovering")
        #expect(stored[0].speed == 11.5 && stored[0].heading == -45 && stored[0].altitude == 120.5)
        stored = []
        for i in 5..<10 {
            stored += ingest.ingest(topic: "thing/product/\(sn)/osd", payload: osd(1_700_000_000_000 + Int64(i) * 2000, 22.8, 0), receivedAt: Fixture.now).records.positions
        }
        #expect(stored.isEmpty, "standby on the same spot: nothing new")
        let moved = ingest.ingest(topic: "thing/product/\(sn)/osd", payload: osd(1_700_000_030_000, 22.801, 0), receivedAt: Fixture.now)
        #expect(moved.records.positions.count == 1)
    }

    @Test func updateTopoIsAnsweredAndAnUnknownAircraftAppearsUnregistered() throws {
        var ingest = Fixture.ingest()
        let sn = Fixture.dock.serial
        let o = ingest.ingest(topic: "sys/product/\(sn)/status", payload: Fixture.bytes(DJISamples.s5a), receivedAt: Fixture.now)
        #expect(o.rejection == nil)
        let reply = try #require(o.replies.first)
        #expect(reply.topic == "sys/product/\(sn)/status_reply")
        let body = Fixture.json(reply.payload)
        #expect(body["tid"] as? String == "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxx" && body["method"] as? String == "update_topo")
        #expect((body["data"] as? [String: Any])?["result"] as? Int == 0)
        let drone = try #require(ingest.devices["drone001"])
        #expect(drone.kind == .drone && !drone.registered && drone.peer == sn)
        #expect(o.records.sightings.map(\.unit) == [sn, "drone001"])
        let offline = ingest.ingest(topic: "sys/product/\(sn)/status", payload: Fixture.bytes(DJISamples.s5b), receivedAt: Fixture.now)
        #expect(offline.replies.count == 1 && offline.records.sightings.map(\.unit) == [sn])
    }

    @Test func flighttaskProgressIsRecordedAndAnsweredOnlyWhenAsked() throws {
        var ingest = Fixture.ingest()
        let sn = Fixture.dock.serial
        let o = ingest.ingest(topic: "thing/product/\(sn)/events", payload: Fixture.bytes(DJISamples.s7), receivedAt: Fixture.now)
        #expect(o.rejection == nil)
        let t = try #require(o.records.tasks.first)
        #expect(t == FlightTaskUpdate(flightID: "flight_id", dock: sn, time: Timestamp(milliseconds: 1_654_070_968_655), status: "ok",
                                      percent: 100, step: 19, waypointIndex: 3, mediaCount: 6, trackID: "track_id",
                                      resultCode: 0, resultText: "success"))
        #expect(o.replies.isEmpty, "S7 has no need_reply")
        let asked = DJISamples.s7.replacingOccurrences(of: #""method": "flighttask_progress""#, with: #""method": "flighttask_progress", "need_reply": 1"#)
        let r = ingest.ingest(topic: "thing/product/\(sn)/events", payload: Fixture.bytes(asked), receivedAt: Fixture.now)
        let reply = try #require(r.replies.first)
        #expect(reply.topic == "thing/product/\(sn)/events_reply")
        #expect(Fixture.json(reply.payload)["method"] as? String == "flighttask_progress")
    }

    @Test func hmsListIsTheFullCurrentStateAMissingAlarmIsCleared() throws {
        var ingest = Fixture.ingest()
        let sn = Fixture.dock.serial
        let raised = ingest.ingest(topic: "thing/product/\(sn)/events", payload: Fixture.bytes(DJISamples.s8), receivedAt: Fixture.now)
        let alarm = try #require(raised.records.alarms.first)
        #expect(alarm.unit == Fixture.drone.serial, "device_type 0-67-0 is the aircraft in this dock")
        #expect(alarm.code == "0x16100083" && alarm.severity == .critical && alarm.clearedAt == nil)
        #expect(alarm.text.hasPrefix("Battery installed incorrectly"))
        // The same list again: nothing new.
        let same = ingest.ingest(topic: "thing/product/\(sn)/events", payload: Fixture.bytes(DJISamples.s8), receivedAt: Fixture.now)
        #expect(same.records.alarms.isEmpty)
        // The EN page's variant without `method` is still an HMS list; empty now, so it clears.
        let empty = #"{"bid":"b","tid":"t","timestamp":1654070999000,"data":{"list":[]}}"#
        let cleared = ingest.ingest(topic: "thing/product/\(sn)/events", payload: Fixture.bytes(empty), receivedAt: Fixture.now)
        let c = try #require(cleared.records.alarms.first)
        #expect(c.id == alarm.id && c.clearedAt == Timestamp(milliseconds: 1_654_070_999_000))
        #expect(ingest.statistics.alarmsRaised == 1 && ingest.statistics.alarmsCleared == 1)
    }

    @Test func alarmsOpenBeforeARestartAreClearedByTheNextList() throws {
        var first = Fixture.ingest()
        let sn = Fixture.dock.serial
        let alarm = try #require(first.ingest(topic: "thing/product/\(sn)/events", payload: Fixture.bytes(DJISamples.s8), receivedAt: Fixture.now).records.alarms.first)
        var restarted = Fixture.ingest()
        restarted.restoreActiveHMS([alarm])
        let again = restarted.ingest(topic: "thing/product/\(sn)/events", payload: Fixture.bytes(DJISamples.s8), receivedAt: Fixture.now)
        #expect(again.records.alarms.isEmpty, "still active, not raised twice")
        let empty = #"{"bid":"b","tid":"t","timestamp":1654070999000,"method":"hms","data":{"list":[]}}"#
        #expect(restarted.ingest(topic: "thing/product/\(sn)/events", payload: Fixture.bytes(empty), receivedAt: Fixture.now).records.alarms.map(\.id) == [alarm.id])
    }

    @Test(arguments: [(DJISamples.s10, "flighttask_prepare"), (DJISamples.s12, "flighttask_execute"), (DJISamples.s14, "return_home")])
    func serviceRepliesAreHandedToTheirCommand(_ payload: String, _ method: String) throws {
        var ingest = Fixture.ingest()
        let o = ingest.ingest(topic: "thing/product/\(Fixture.dock.serial)/services_reply", payload: Fixture.bytes(payload), receivedAt: Fixture.now)
        let r = try #require(o.serviceReply)
        #expect(r.result == 0 && r.method == method && r.serial == Fixture.dock.serial)
        #expect(!r.tid.isEmpty && r.bid != nil)
    }

    @Test func everyRequestIsAnswered() throws {
        var ingest = Fixture.ingest()
        let sn = Fixture.dock.serial
        func ask(_ method: String, _ data: String = "{}") -> [String: Any] {
            let o = ingest.ingest(topic: "thing/product/\(sn)/requests",
                                  payload: Fixture.bytes(#"{"tid":"t-\#(method)","bid":"b","timestamp":1700000000000,"method":"\#(method)","data":\#(data)}"#),
                                  receivedAt: Fixture.now)
            #expect(o.replies.first?.topic == "thing/product/\(sn)/requests_reply")
            return Fixture.json(o.replies.first!.payload)
        }
        let config = ask("config", #"{"config_type":"json","config_scope":"product"}"#)
        #expect(config["tid"] as? String == "t-config")
        let data = config["data"] as! [String: Any]
        #expect(data["result"] as? Int == 0 && (data["output"] as? [String: Any])?["ntp_server_host"] as? String == "ntp.tianyan.test")
        let unknownTask = ask("flighttask_resource_get", #"{"flight_id":"nope"}"#)["data"] as! [String: Any]
        #expect(unknownTask["result"] as? Int != 0)
        ingest.routes["f1"] = (url: "http://127.0.0.1/routes/f1.kmz", fingerprint: "abc")
        let known = ask("flighttask_resource_get", #"{"flight_id":"f1"}"#)["data"] as! [String: Any]
        #expect(((known["output"] as? [String: Any])?["file"] as? [String: Any])?["fingerprint"] as? String == "abc")
        let other = ask("storage_config_get")["data"] as! [String: Any]
        #expect(other["result"] as? Int != 0)
        #expect(((other["output"] as? [String: Any])?["reason"] as? String)?.contains("not supported") == true)
    }

    @Test func anUnknownSerialIsKeptAsAnUnregisteredDevice() throws {
        var ingest = Fixture.ingest()
        let o = ingest.ingest(topic: "thing/product/9ZZZ0000000001/osd", payload: Fixture.bytes(DJISamples.s3), receivedAt: Fixture.now)
        #expect(o.rejection == nil)
        let d = try #require(ingest.devices["9ZZZ0000000001"])
        #expect(!d.registered && d.kind == .dock, "dock-only keys (drone_in_dock, cover_state) make it a dock")
        #expect(o.records.positions.count == 1 && o.records.sightings.first?.kind == .dock)
        let a = ingest.ingest(topic: "thing/product/9ZZZ0000000002/osd", payload: Fixture.bytes(DJISamples.s4), receivedAt: Fixture.now)
        #expect(a.rejection == nil && ingest.devices["9ZZZ0000000002"]?.kind == .drone)
    }

    @Test(arguments: [
        ("thing/product/X1/osd", "not json at all", "not_json"),
        ("thing/product/X1/osd", #"{"data": "a string"}"#, "wrong_type"),
        ("thing/product/X1/osd", #"{"tid":"t"}"#, "missing_field"),
        ("thing/product/X1/events", #"{"method":"hms","data":{"list":[{"level":2}]}}"#, "missing_field"),
        ("thing/product/X1/services_reply", #"{"tid":"t","data":{}}"#, "missing_field"),
        ("thing/product/../osd", "{}", "bad_topic"),
        ("random/topic", "{}", "bad_topic"),
        ("thing/product/X1/services", "{}", "unexpected_topic"),
        ("thing/product/X1/osd", String(repeating: " ", count: (1 << 20) + 1), "oversized"),
        ("thing/product/X1/osd", "\u{0}\u{1}\u{FF}", "not_json"),
    ])
    func badInputIsRefusedWithAReason(_ topic: String, _ payload: String, _ reason: String) {
        var ingest = Fixture.ingest()
        let o = ingest.ingest(topic: topic, payload: Fixture.bytes(payload), receivedAt: Fixture.now)
        #expect(o.rejection?.reason.rawValue == reason, "\(o.rejection.map { "\($0.reason): \($0.detail)" } ?? "accepted")")
        #expect(o.records.isEmpty && o.replies.isEmpty)
        #expect(ingest.statistics.rejected[reason] == 1)
    }

    @Test func aFieldOfTheWrongTypeIsCountedAndTheRestKept() throws {
        var ingest = Fixture.ingest()
        let payload = #"{"timestamp":1700000000000,"data":{"latitude":"north","longitude":113.9,"mode_code":5,"battery":{"capacity_percent":[1]}}}"#
        let o = ingest.ingest(topic: "thing/product/\(Fixture.drone.serial)/osd", payload: Fixture.bytes(payload), receivedAt: Fixture.now)
        #expect(o.rejection == nil)
        #expect(ingest.statistics.fieldErrors == 2)
        #expect(ingest.devices[Fixture.drone.serial]?.values[.modeCode] == 5)
        #expect(o.records.positions.isEmpty)
    }
}

@Suite struct DockProfileTests {
    @Test func everyProfileInTheFolderLoadsAndValidates() throws {
        let profiles = try DockProfiles.load(directory: packageRoot() + "/firmware-profiles")
        #expect(Set(profiles.profiles.map(\.id)) .isSuperset(of: ["dji-dock2", "dji-dock3"]))
        for p in profiles.profiles {
            #expect(DockProfiles.validate(p).isEmpty)
            #expect(p.resultText(316009).contains("30"), "\(p.id): battery-too-low text")
            #expect(p.resultText(999_999) == "unknown code 999999")
            #expect(p.methods["flighttask_prepare"]!.timeoutSeconds >= 20, "replies can take 20 s")
        }
        #expect(profiles.profile(forModel: "DJI Dock 3")?.id == "dji-dock3")
        #expect(profiles.profile(forModelKey: "0-91-1")?.id == "dji-dock2")
    }

    @Test func aBrokenProfileIsReportedWithItsFileAndEveryProblem() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var text = try String(contentsOfFile: packageRoot() + "/firmware-profiles/docks/dji-dock2.yaml", encoding: .utf8)
        text = text.replacingOccurrences(of: "  osd: \"thing/product/{sn}/osd\"", with: "  osd: \"thing/product/+/osd\"")
        text = text.replacingOccurrences(of: "  latitude: latitude\n  longitude: longitude\n  altitude: height\n  elevation", with: "  latitude: latitude\n  longitude: longitude\n  altitude: height\n  colour: paint\n  elevation")
        try text.write(toFile: dir.file("bad.yaml"), atomically: true, encoding: .utf8)
        try "id: x\nname: [".write(toFile: dir.file("broken.yaml"), atomically: true, encoding: .utf8)
        do {
            _ = try DockProfiles.load(directory: dir.path)
            Issue.record("a broken profile directory loaded")
        } catch let error as ProfileErrors {
            let lines = error.description
            #expect(lines.contains("bad.yaml: topics.osd \"thing/product/+/osd\" lacks the {sn} placeholder"))
            #expect(lines.contains("bad.yaml: aircraft_fields: unknown model field \"colour\""))
            #expect(lines.contains("broken.yaml: "))
        }
    }
}

final class CommanderBox: Sendable {
    let commander = Mutex<DockCommander?>(nil)
}

/// What the commander published.
final class Sent: Sendable {
    let messages = Mutex<[OutgoingMessage]>([])
    func withLock<R>(_ body: (inout [OutgoingMessage]) -> R) -> R { messages.withLock { body(&$0) } }
}

/// Records what the commander submits.
final class CollectingSink: RecordSink {
    let records = Mutex<[StoreRecord]>([])
    func submit(_ r: [StoreRecord]) -> UInt64 {
        records.withLock { $0 += r }
        return 1
    }
    func waitUntilCommitted(_ ticket: UInt64) async throws {}
}

@Suite struct DockCommanderTests {
    let profile = Fixture.profiles.profile(id: "dji-dock2")!

    /// A dock that answers every service after `delay` with `result`, through the ingest path.
    func commander(result: Int, delay: Duration?, sink: CollectingSink, sent: Sent) -> DockCommander {
        let box = CommanderBox()
        let c = DockCommander(publish: { message in
            sent.withLock { $0.append(message) }
            guard let delay else { return }
            let body = Fixture.json(message.payload)
            let reply = #"{"tid":"\#(body["tid"]!)","bid":"\#(body["bid"]!)","method":"\#(body["method"]!)","timestamp":1700000000000,"data":{"result":\#(result)}}"#
            Task {
                try await Task.sleep(for: delay)
                var ingest = Fixture.ingest()
                let o = ingest.ingest(topic: message.topic.replacingOccurrences(of: "/services", with: "/services_reply"),
                                      payload: Array(reply.utf8), receivedAt: Fixture.now)
                box.commander.withLock { $0 }?.deliver(o.serviceReply!)
            }
        }, sink: sink)
        box.commander.withLock { $0 = c }
        return c
    }

    @Test func aReplyIsMatchedByTidAndItsResultCodeExplained() async throws {
        let sink = CollectingSink(), sent = Sent()
        let c = commander(result: 316009, delay: .milliseconds(20), sink: sink, sent: sent)
        let r = await c.send(DockCommand(serial: Fixture.dock.serial, method: .flighttaskExecute,
                                         data: .object(["flight_id": .string("f-1")]), requestedBy: "lead.li", bid: "f-1"),
                             gateway: Fixture.dock.serial, profile: profile)
        #expect(r.record.outcome == .rejected && r.record.resultCode == 316009)
        #expect(r.record.resultText?.contains("30") == true)
        let message = try #require(sent.withLock { $0 }.first)
        #expect(message.topic == "thing/product/\(Fixture.dock.serial)/services")
        let body = Fixture.json(message.payload)
        #expect(body["bid"] as? String == "f-1" && body["method"] as? String == "flighttask_execute")
        #expect((body["data"] as? [String: Any])?["flight_id"] as? String == "f-1")
        let records = sink.records.withLock { $0 }
        let commands = records.compactMap { if case .command(let c) = $0 { c } else { nil } }
        #expect(commands.map(\.outcome) == [.pending, .rejected], "recorded when sent and when answered")
        let audit = records.compactMap { if case .audit(let a) = $0 { a } else { nil } }
        #expect(audit.count == 1 && audit[0].actor == "lead.li" && audit[0].action == "dock.flighttask_execute")
        #expect(audit[0].detail?.contains("result 316009") == true)
    }

    @Test func aMethodThatIsNotSafeToRepeatIsSentOnceAndTimesOut() async throws {
        var p = profile
        p.methods["flighttask_execute"]!.timeoutSeconds = 0.2
        p.methods["return_home"]!.timeoutSeconds = 0.2
        let sink = CollectingSink(), sent = Sent()
        let c = commander(result: 0, delay: nil, sink: sink, sent: sent)
        let r = await c.send(DockCommand(serial: "D", method: .flighttaskExecute, requestedBy: "t"), gateway: "D", profile: p)
        #expect(r.record.outcome == .timedOut && r.attempts == 1 && sent.withLock { $0.count } == 1)
        // return_home is safe to repeat: two retries with fresh tids, the same bid.
        let home = await c.send(DockCommand(serial: "D", method: .returnHome, requestedBy: "t"), gateway: "D", profile: p)
        #expect(home.record.outcome == .timedOut && home.attempts == 3)
        let homes = sent.withLock { $0 }.dropFirst().map { Fixture.json($0.payload) }
        #expect(Set(homes.map { $0["tid"] as! String }).count == 3 && Set(homes.map { $0["bid"] as! String }).count == 1)
    }

    @Test func aReplyForSomeoneElseIsNotTakenForOurs() async throws {
        let sink = CollectingSink()
        let c = DockCommander(publish: { _ in }, sink: sink)
        #expect(!c.deliver(.init(serial: "D", tid: "nobody", bid: nil, method: nil, result: 0, status: nil, time: Fixture.now)))
    }
}

/// The OSD scanner against Foundation's JSON parser on mutated documents: never a crash, never
/// a valid document refused, the same values where both read them.
@Suite struct OSDScannerPropertyTests {
    @Test func mutatedMessagesNeverCrashAndValidOnesReadLikeFoundation() throws {
        var rng = SeededGenerator(seed: 42)
        let base = Array(DJISamples.s4.utf8)
        let alphabet = Array("{}[]\":,0123456789.-eE tfnulrsa\\\u{0}\u{FF}".utf8)
        var ingest = Fixture.ingest()
        var validSeen = 0, refusedValid = 0
        for round in 0..<20_000 {
            var doc = base
            for _ in 0..<Int.random(in: 1...4, using: &rng) where !doc.isEmpty {
                let at = Int.random(in: 0..<doc.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: doc.remove(at: at)
                case 1: doc.insert(alphabet.randomElement(using: &rng)!, at: at)
                default: doc[at] = alphabet.randomElement(using: &rng)!
                }
            }
            let o = ingest.ingest(topic: "thing/product/\(Fixture.drone.serial)/osd", payload: doc,
                                  receivedAt: Timestamp(milliseconds: 1_700_000_000_000 + Int64(round)))
            let foundation = (try? JSONSerialization.jsonObject(with: Data(doc))) as? [String: Any]
            if let f = foundation, f["data"] is [String: Any] {
                validSeen += 1
                if o.rejection?.reason == .notJSON {
                    refusedValid += 1
                    if refusedValid <= 3 {
                        let diff = Int(o.rejection!.detail.split(separator: " ").last.flatMap { Int($0) } ?? 0)
                        Issue.record("refused: \(o.rejection!.detail); around byte \(diff): \(String(decoding: doc[max(0, diff - 20)..<min(doc.count, diff + 20)], as: UTF8.self).debugDescription)")
                    }
                }
            }
        }
        #expect(validSeen > 1000, "the mutations leave enough valid documents to compare")
        #expect(refusedValid == 0, "\(refusedValid) valid documents refused as not JSON")
    }

    @Test func valuesMatchFoundationOnTheSample() throws {
        var ingest = Fixture.ingest()
        _ = ingest.ingest(topic: "thing/product/\(Fixture.drone.serial)/osd", payload: Array(DJISamples.s4.utf8), receivedAt: Fixture.now)
        let v = try #require(ingest.devices[Fixture.drone.serial]).values
        let f = try #require(JSONSerialization.jsonObject(with: Data(DJISamples.s4.utf8)) as? [String: Any])
        let data = try #require(f["data"] as? [String: Any])
        #expect(v[.altitude] == (data["height"] as? NSNumber)?.doubleValue)
        #expect(v[.heading] == (data["attitude_head"] as? NSNumber)?.doubleValue)
        #expect(v[.batteryPercent] == ((data["battery"] as? [String: Any])?["capacity_percent"] as? NSNumber)?.doubleValue)
        #expect(v[.totalFlightSeconds] == 0 && v.text(.trackID) == "")
    }
}

/// Inputs found in review: each used to crash the controller or stall the store.
@Suite struct HostileInputTests {
    @Test func hugeNumbersNeitherCrashNorBecomeUnstorable() throws {
        var ingest = Fixture.ingest()
        let dock = Fixture.dock.serial
        for payload in [#"{"timestamp":1e20,"method":"x","need_reply":1,"data":{}}"#,
                        #"{"timestamp":-1e300,"method":"hms","data":{"list":[{"code":"0x16100083","level":2,"device_type":"0-91-0","args":{"component_index":9223372036854775807,"sensor_index":9223372036854775807}}]}}"#] {
            let o = ingest.ingest(topic: "thing/product/\(dock)/events", payload: Array(payload.utf8), receivedAt: Fixture.now)
            #expect(o.rejection == nil)
        }
        let osd = #"{"timestamp":1e400,"data":{"latitude":22.8,"longitude":113.8,"battery":{"capacity_percent":1e999,"batteries":[{"index":0,"capacity_percent":1e999,"loop_times":1e30,"temperature":-1e999}]}}}"#
        let o = ingest.ingest(topic: "thing/product/\(Fixture.drone.serial)/osd", payload: Array(osd.utf8), receivedAt: Fixture.now)
        let health = try #require(o.records.health.first)
        #expect(health.batteries.first?.chargePercent == nil && health.batteries.first?.cycles == nil)
        #expect(health.batteryPercent == nil, "an infinite percentage is not a value")
        #expect(o.records.positions.first?.time == Fixture.now, "an impossible timestamp falls back to the arrival time")
        // Whatever it holds, the record can be written as JSON.
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .throw
        #expect(throws: Never.self) { try encoder.encode(health) }
    }

    @Test func anUnregisteredDockIsADockEvenWhenItsFirstMessageHasNoDockOnlyKeys() throws {
        var ingest = Fixture.ingest()
        // Part 2 of the dock OSD carries no cover, jobs or network keys; the dock names itself as gateway.
        let part2 = DJISamples.s2.replacingOccurrences(of: #""gateway": "dock_sn""#, with: #""gateway": "7CTDNEW0000001""#)
        _ = ingest.ingest(topic: "thing/product/7CTDNEW0000001/osd", payload: Array(part2.utf8), receivedAt: Fixture.now)
        #expect(ingest.devices["7CTDNEW0000001"]?.kind == .dock)
        // And whatever was guessed, a status message makes it a dock.
        _ = ingest.ingest(topic: "thing/product/7CTDNEW0000002/state", payload: Array(#"{"data":{"firmware_version":"1.0"}}"#.utf8), receivedAt: Fixture.now)
        let o = ingest.ingest(topic: "sys/product/7CTDNEW0000002/status", payload: Array(DJISamples.s5b.utf8), receivedAt: Fixture.now)
        #expect(ingest.devices["7CTDNEW0000002"]?.kind == .dock && o.records.sightings.first?.kind == .dock)
    }

    @Test func anEmptySubDeviceSerialIsIgnored() {
        var ingest = Fixture.ingest()
        let status = #"{"tid":"t","bid":"b","method":"update_topo","data":{"sub_devices":[{"sn":""}]}}"#
        let o = ingest.ingest(topic: "sys/product/\(Fixture.dock.serial)/status", payload: Array(status.utf8), receivedAt: Fixture.now)
        #expect(o.rejection == nil && ingest.devices[""] == nil && o.replies.count == 1)
    }
}

@Suite struct DockCommanderCancellationTests {
    @Test func aCancelledCommandReturnsInsteadOfWaitingForever() async throws {
        let sink = CollectingSink()
        let commander = DockCommander(publish: { _ in }, sink: sink)
        var profile = Fixture.profiles.profile(id: "dji-dock2")!
        profile.methods["flighttask_prepare"]!.timeoutSeconds = 600
        let task = Task {
            await commander.send(DockCommand(serial: "D", method: .flighttaskPrepare, requestedBy: "t"), gateway: "D", profile: profile)
        }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let result = try await withThrowingTaskGroup(of: DockCommandResult?.self) { group in
            group.addTask { await task.value }
            group.addTask { try await Task.sleep(for: .seconds(10)); return nil }
            let first = try await group.next()!
            group.cancelAll()
            return first
        }
        let r = try #require(result, "send did not return within 10 s of being cancelled")
        #expect(r.record.outcome != .succeeded && r.record.completedAt != nil)
    }
}
