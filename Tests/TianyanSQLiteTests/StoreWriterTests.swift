import RecordWriter
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing
import TianyanModel
import TianyanTesting
@testable import TianyanSQLite

/// Opens a fresh SQLite file (a real file, WAL) and runs `body` with a started writer.
func withWriter<T>(_ configuration: StoreWriter.Configuration = .init(batchSize: 1_000, maxDelay: .milliseconds(5)),
                   _ body: (TianyanDatabase, StoreWriter) async throws -> T) async throws -> T {
    let dir = try TemporaryDirectory("store")
    defer { dir.remove() }
    let db = try TianyanDatabase(location: dir.file("t.sqlite"))
    let writer = StoreWriter(database: db, configuration: configuration)
    let task = Task { try await writer.run() }
    defer { task.cancel() }
    let result = try await body(db, writer)
    task.cancel()
    try await task.value
    return result
}

func position(_ unit: String, _ ms: Int64, lat: Double = 22.8, source: PositionSource = .lip) -> StoreRecord {
    .position(Position(unit: unit, time: Timestamp(milliseconds: ms), latitude: lat, longitude: 113.8,
                       altitude: 10, speed: 2, heading: 45, accuracy: 5, source: source))
}

@Suite struct StoreWriterTests {
    @Test func commitsPositionsAndStoresARedeliveryOnce() async throws {
        try await withWriter { db, writer in
            let records = (0..<2_500).map { position("R\($0 % 50)", 1_000_000 + Int64($0 / 50) * 1000) }
            writer.submit(records)
            let ticket = writer.submit(Array(records[0..<700]))  // redelivered
            try await writer.waitUntilCommitted(ticket)
            let count = try await db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM positions") }
            #expect(count == 2_500)
            #expect(writer.statistics.committed == 3_200)
            #expect(writer.statistics.transactions >= 4)  // batches of at most 1,000
        }
    }

    @Test func lastPositionAndTrack() async throws {
        try await withWriter { db, writer in
            // Out of order: the older report arrives last and must not win.
            writer.submit([position("2100001", 5_000, lat: 22.85), position("2100001", 9_000, lat: 22.90)])
            try await writer.flush()
            writer.submit([position("2100001", 1_000, lat: 22.70), .sighting(UnitSighting(unit: "2100001", kind: .radio, time: Timestamp(milliseconds: 12_000)))])
            try await writer.flush()
            let store = FleetStore(database: db)
            try await waitUntil("unit_state to fold in the last batch") {
                try await store.lastPositions().first?.time.milliseconds == 9_000
            }
            let last = try #require(try await store.lastPositions().first)
            #expect(last.latitude == 22.90)
            let units = try await store.units()
            #expect(units.count == 1)
            #expect(units[0].registered == false)
            #expect(units[0].kind == .radio)
            #expect(units[0].lastSeen?.milliseconds == 12_000)
            let track = try await store.track(unit: "2100001", from: Timestamp(milliseconds: 0), to: Timestamp(milliseconds: 6_000))
            #expect(track.map(\.time.milliseconds) == [1_000, 5_000])
            #expect(track[1].heading == 45 && track[1].accuracy == 5 && track[1].source == .lip)
        }
    }

    @Test func voiceCallUpdatesInPlaceWithItsTalkers() async throws {
        try await withWriter { db, writer in
            let start = Timestamp(milliseconds: 1_000_000)
            var call = VoiceCall(id: "gw1:7:1000000", gateway: "gw1", kind: .group, called: "9001", caller: "2100001", priority: 0,
                                 emergency: false, start: start, end: nil, cause: nil,
                                 transmissions: [Transmission(talker: "2100001", start: start, end: nil)])
            writer.submit([.voiceCall(call)])
            call.transmissions[0].end = start.adding(seconds: 3.5)
            call.transmissions.append(Transmission(talker: "2100002", start: start.adding(seconds: 4), end: start.adding(seconds: 6)))
            call.end = start.adding(seconds: 7)
            call.cause = "user requested disconnect"
            try await writer.waitUntilCommitted(writer.submit([.voiceCall(call)]))
            let log = try await FleetStore(database: db).voiceLog(talkgroup: "9001", since: nil, limit: 10)
            #expect(log == [call])
            #expect(try await FleetStore(database: db).voiceLog(talkgroup: "9002", since: nil, limit: 10).isEmpty)
        }
    }

    @Test func gracefulShutdownCommitsEverythingSubmitted() async throws {
        let dir = try TemporaryDirectory("store")
        defer { dir.remove() }
        let db = try TianyanDatabase(location: dir.file("t.sqlite"))
        // A long delay: without the shutdown drain these records would still be waiting.
        let writer = StoreWriter(database: db, configuration: .init(batchSize: 1_000_000, maxDelay: .seconds(60)))
        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await writer.run() }
                writer.submit((0..<10_000).map { position("D\($0 % 10)", Int64($0)) })
                writer.submit([.audit(AuditEntry(time: .now(), actor: "test", action: "shutdown", target: "-", outcome: "ok"))])
                trigger.triggerGracefulShutdown()
                try await group.waitForAll()
            }
        }
        let (positions, audit) = try await db.read {
            (try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM positions"), try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM audit"))
        }
        #expect(positions == 10_000)
        #expect(audit == 1)
        #expect(writer.statistics.pending == 0)
    }

    @Test func withoutItsRunLoopAWaiterCommitsInBatches() async throws {
        let dir = try TemporaryDirectory("store")
        defer { dir.remove() }
        let db = try TianyanDatabase(location: dir.file("t.sqlite"))
        let writer = StoreWriter(database: db, configuration: .init(batchSize: 1_000, maxDelay: .milliseconds(5)))
        #expect(db.storeWritersCreated == 1)
        writer.submit((0..<2_500).map { position("I\($0 % 5)", Int64($0)) })
        let ticket = writer.submit([.audit(AuditEntry(time: .now(), actor: "cli", action: "inline", target: "-", outcome: "ok"))])
        try await writer.waitUntilCommitted(ticket)
        let (positions, audit) = try await db.read {
            (try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM positions"), try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM audit"))
        }
        #expect(positions == 2_500)
        #expect(audit == 1)
        let s = writer.statistics
        #expect(s.committed == 2_501 && s.pending == 0)
        #expect(s.transactions == 3, "batches of at most batchSize, as the run loop commits")
        // Once the loop runs, it commits what comes next.
        let running = Task { try await writer.run() }
        defer { running.cancel() }
        try await waitUntil("the run loop to start") { writer.hasStarted }
        try await writer.waitUntilCommitted(writer.submit([position("I9", 99_000)]))
        #expect(writer.statistics.committed == 2_502)
        #expect(db.storeWritersCreated == 1)
    }

    @Test func transactRunsAfterEverythingSubmittedBefore() async throws {
        // A delay long enough that the alarm is still queued when the change arrives.
        try await withWriter(.init(batchSize: 1_000, maxDelay: .milliseconds(300))) { db, writer in
            try await waitUntil("the run loop to start") { writer.hasStarted }
            let alarm = Alarm(id: "emergency-1", unit: "2100003", time: Timestamp(milliseconds: 1_800_000_000_000), kind: "emergency",
                              severity: .emergency, code: "status-0", text: "Emergency")
            writer.submit([.alarm(alarm)])
            let handled = try await AlarmHandling(database: db).acknowledge("emergency-1", by: "disp", note: nil)
            #expect(handled.acknowledgedBy == "disp" && handled.alarm.id == "emergency-1")
            let audit = try await db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM audit WHERE action = 'alarm ack'") }
            #expect(audit == 1, "the audit line in the same transaction")
            await #expect(throws: AlarmHandling.Failure.unknown("nope")) {
                try await AlarmHandling(database: db).acknowledge("nope", by: "disp", note: nil)
            }
            // A user change, too, lands behind what was submitted before it, in order.
            writer.submit([.audit(AuditEntry(time: .now(), actor: "disp", action: "login", target: "api", outcome: "ok"))])
            try await UserStore(database: db).add(name: "ops", role: "viewer", passwordHash: "x", by: "root")
            let order = try await db.read { try String.fetchAll($0, sql: "SELECT action FROM audit ORDER BY id") }
            #expect(order == ["alarm ack", "login", "user add"])
            #expect(writer.statistics.committed == 2)
        }
    }

    @Test func registryReplaceRoundTripsAndNamesRegisteredUnits() async throws {
        try await withWriter { db, writer in
            let store = FleetStore(database: db)
            let sample = FleetSample.make()
            try await store.replaceRegistry(sample)
            #expect(try await store.registry() == sample)
            let drone = sample.drones[0].serial
            try await writer.waitUntilCommitted(writer.submit([position(drone, 42_000, source: .osd), position("UNKNOWN-SN", 43_000, source: .osd)]))
            try await waitUntil("unit_state to contain both units") { try await store.lastPositions().count == 2 }
            let units = try await store.units()
            #expect(units.filter { $0.kind == .drone && $0.registered }.count == 126)
            #expect(units.first { $0.id == drone }?.position?.time.milliseconds == 42_000)
            let stranger = try #require(units.first { $0.id == "UNKNOWN-SN" })
            #expect(stranger.registered == false)
        }
    }

    @Test func postgresURLIsRefusedClearly() {
        #expect(throws: StoreError.self) { try TianyanDatabase(location: "postgres://db.example/tianyan") }
        do { _ = try TianyanDatabase(location: "/nonexistent-dir/x.sqlite") } catch let e as StoreError {
            #expect(e.message.contains("/nonexistent-dir does not exist"))
        } catch { Issue.record("unexpected \(error)") }
    }
}

@Suite struct RetentionTests {
    @Test func downsamplesOldPointsToOnePerMinuteAndKeepsRecentOnes() async throws {
        try await withWriter { db, writer in
            let day: Int64 = 86_400_000
            let now = Timestamp(milliseconds: 100 * day)
            // 10 minutes of 5-second points 40 days ago, and 10 minutes of them 1 day ago.
            var records: [StoreRecord] = []
            for k in 0..<120 {
                records.append(position("R1", 60 * day + Int64(k) * 5_000))
                records.append(position("R1", 99 * day + Int64(k) * 5_000))
            }
            try await writer.waitUntilCommitted(writer.submit(records))
            try await writer.flush()
            try await waitUntil("unit_state") { try await FleetStore(database: db).lastPositions().count == 1 }
            let retention = PositionRetention(database: db, policy: RetentionPolicy(rawDays: 30, downsampleSeconds: 60, deleteAfterDays: 0))
            let report = try await retention.apply(now: now)
            #expect(report.downsampledAway == 110)
            let store = FleetStore(database: db)
            let old = try await store.track(unit: "R1", from: Timestamp(milliseconds: 59 * day), to: Timestamp(milliseconds: 61 * day))
            #expect(old.count == 10)
            #expect(old.allSatisfy { $0.time.milliseconds % 60_000 == 0 })
            let recent = try await store.track(unit: "R1", from: Timestamp(milliseconds: 98 * day), to: now)
            #expect(recent.count == 120)
            // Applying again changes nothing; expiry then removes the old minute points.
            #expect(try await retention.apply(now: now).downsampledAway == 0)
            let expiring = PositionRetention(database: db, policy: RetentionPolicy(rawDays: 30, downsampleSeconds: 60, deleteAfterDays: 35))
            #expect(try await expiring.apply(now: now).expired == 10)
        }
    }
}
