import RecordWriter
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanServer
import TianyanSQLite
import TianyanTesting

/// Scenario 4 of issue 7, short version: the database refuses writes (a full disk, a file made
/// read-only) or a reader holds the WAL. The live feed keeps running, the writer holds what it
/// was given within its bound, /healthz and /metrics say so, and everything is written once the
/// fault ends; what was committed before is intact (integrity_check and counts).
@Suite("Storage faults", .serialized, .timeLimit(.minutes(3)))
struct StorageFaultTests {
    /// The controller's store, writer, live feed and HTTP router on a SQLite file in a temp dir.
    final class Rig: @unchecked Sendable {
        // Invariant: set up once in init; `task` is cancelled once by close().
        let dir: TemporaryDirectory
        let database: TianyanDatabase
        let store: FleetStore
        let writer: StoreWriter
        let live: LiveFeed
        let client: LiveFeed.Client
        let parts: Controller.Parts
        let group: ServiceGroup
        private var task: Task<Void, any Error>?
        private var nextTime: Int64 = 1_764_000_000_000

        init(maxPending: Int = 1_000_000, shutdownGrace: Duration = .seconds(30)) async throws {
            dir = try TemporaryDirectory("tianyan-storage-fault")
            var config = TianyanConfiguration()
            config.database = dir.file("db.sqlite")
            config.profilesDirectory = packageRoot() + "/firmware-profiles"
            config.mqtt = "mqtt://127.0.0.1:1"
            var logger = Logger(label: "test.storage-fault")
            logger.logLevel = .error
            let controller = Controller(configuration: config, logger: logger)
            database = try controller.openDatabase()
            store = FleetStore(database: database)
            let registry = FleetSample.make()
            try await store.replaceRegistry(registry)
            writer = StoreWriter(database: database, configuration: .init(batchSize: 2_000, maxDelay: .milliseconds(5), maxPending: maxPending,
                                                                                     shutdownGrace: shutdownGrace),
                                 logger: logger)
            live = LiveFeed(logger: logger)
            client = live.connect()
            let sink = RecordTee(writer: writer, feed: live)
            let docks = try DockService(configuration: config, profiles: try controller.loadDockProfiles(), registry: registry,
                                        openAlarms: [], sink: sink, logger: logger)
            let radios = try controller.makeRadioNetwork(registry: registry, sink: sink)
            parts = .init(database: database, store: store, docks: docks, radios: radios, writer: writer, live: live)
            group = ServiceGroup(services: [writer, live], logger: logger)
            let g = group
            task = Task { try await g.run() }
        }

        /// `n` positions of new (unit, time) keys, through the tee as the links send them.
        func positions(_ n: Int) -> [StoreRecord] {
            (0..<n).map { i in
                nextTime += 1
                return .position(Position(unit: "F-\(i % 50)", time: Timestamp(milliseconds: nextTime), latitude: 22.5 + Double(i % 1000) * 1e-5,
                                          longitude: 114.0, altitude: 100, source: .lip))
            }
        }

        func send(_ records: [StoreRecord]) { RecordTee(writer: writer, feed: live).submit(records) }

        /// Rows in `positions` and a checksum of them, read on a connection of its own.
        func positionRows() async throws -> Int { try await store.counts()["positions"] ?? -1 }

        func health() async throws -> (status: Int, body: [String: Any]) {
            let app = Application(router: APIServer.router(parts: parts.services))
            return try await app.test(.router) { client in
                try await client.execute(uri: "/healthz", method: .get) { r in
                    (Int(r.status.code), (try? JSONSerialization.jsonObject(with: Data(r.body.readableBytesView))) as? [String: Any] ?? [:])
                }
            }
        }

        func metrics() async throws -> String {
            let app = Application(router: APIServer.router(parts: parts.services))
            return try await app.test(.router) { client in
                try await client.execute(uri: "/metrics", method: .get) { r in String(buffer: r.body) }
            }
        }

        func close() async {
            await group.triggerGracefulShutdown()
            _ = try? await task?.value
            dir.remove()
        }
    }

    /// Commits before the fault, then sends through it, checks the controller says so and the
    /// live feed runs, ends it and scores the result.
    func scoreThroughFault(_ rig: Rig, name: String, start: () async throws -> Void, end: () async throws -> Void) async throws -> FaultScore {
        let before = FaultScale.count(2_000)
        rig.send(rig.positions(before))
        try await rig.writer.flush()
        let committedBefore = try await rig.positionRows()
        #expect(committedBefore == before)

        try await start()
        let during = FaultScale.count(20_000)
        let published = rig.live.statistics.eventsPublished
        for _ in 0..<20 { rig.send(rig.positions(during / 20)) }
        rig.send([.voiceCall(VoiceCall(id: "fault-call", gateway: "g1", kind: .group, called: "9001", caller: "2100001", priority: 0,
                                       emergency: false, start: .now(), end: .now(), cause: "released", transmissions: []))])
        try await waitUntil("the writer to report failing commits", timeout: .seconds(20)) { rig.writer.statistics.failingSince != nil }
        let health = try await rig.health()
        #expect(health.status == 503, "healthz: \(health.body)")
        #expect((health.body["problems"] as? [String])?.contains("database writes") == true, "healthz: \(health.body)")
        #expect((health.body["database"] as? String)?.contains("writes failing") == true, "healthz: \(health.body)")
        let metrics = try await rig.metrics()
        #expect(metrics.contains("tianyan_store_failing 1"), "metrics:\n\(metrics)")
        #expect(rig.writer.statistics.pending > 0 && rig.writer.statistics.pending <= 1_000_000)
        try await waitUntil("the live feed to go on publishing while the store fails", timeout: .seconds(10)) {
            rig.live.statistics.eventsPublished > published
        }
        #expect(try await rig.positionRows() == committedBefore, "nothing half-written while failing")

        let ended = ContinuousClock.now
        try await end()
        try await waitUntil("everything to be committed once the fault ends", timeout: .seconds(60)) {
            let s = rig.writer.statistics
            return s.pending == 0 && s.committed == s.submitted && s.failingSince == nil
        }
        let recovered = ContinuousClock.now - ended
        let after = try await rig.health()
        // No broker in this rig: /healthz stays 503 for it, but no longer for the store.
        #expect((after.body["problems"] as? [String]) == ["broker"], "healthz after recovery: \(after.body)")
        #expect((after.body["database"] as? String) == "ok", "healthz after recovery: \(after.body)")
        #expect(try await rig.database.integrityCheck() == "ok")
        let stored = try await rig.positionRows()
        let calls = try await rig.store.counts()["voice_calls"] ?? 0
        #expect(calls == 1, "the call sent during the fault is stored once")
        #expect(rig.writer.statistics.dropped == 0)
        let sent = before + during
        return FaultScore(scenario: name, sent: sent, stored: stored, duplicated: max(0, stored - sent),
                          recoveredSeconds: Double(recovered.components.seconds) + Double(recovered.components.attoseconds) / 1e18)
    }

    @Test("disk full (the file capped at its size): kept in memory, reported, all written once space returns")
    func diskFull() async throws {
        let rig = try await Rig()
        do {
            let score = try await scoreThroughFault(rig, name: "storage/disk-full") {
                try await rig.database.setMaximumPageCount(try await rig.database.pageCount())
            } end: {
                try await rig.database.setMaximumPageCount(nil)
            }.report()
            #expect(score.lost == 0 && score.duplicated == 0, "\(score)")
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }

    /// An operator stops the controller while the disk is full: the writer retries for its
    /// shutdown grace, then stops (it must not hang for good), and whoever waits for a commit
    /// is told it will not come instead of waiting forever.
    @Test("a stop while writes fail ends after the shutdown grace; commit waiters get an error")
    func stopWhileWritesFail() async throws {
        let rig = try await Rig(shutdownGrace: .seconds(1))
        rig.send(rig.positions(100))
        try await rig.writer.flush()
        try await rig.database.setMaximumPageCount(try await rig.database.pageCount())
        rig.send(rig.positions(5_000))
        try await waitUntil("the writer to report failing commits", timeout: .seconds(20)) { rig.writer.statistics.failingSince != nil }
        let waiter = Task { try await rig.writer.flush() }
        let started = ContinuousClock.now
        await rig.close()
        let took = ContinuousClock.now - started
        #expect(took < .seconds(20), "the stop took \(took) with a 1 s grace")
        await #expect(throws: StoreError.self, "a flush waiting at the stop is told") { try await waiter.value }
        await #expect(throws: StoreError.self, "a flush after the stop is told at once") { try await rig.writer.flush() }
    }

    /// `chattr +i` refuses writes even through descriptors already open (as a read-only remount
    /// does); it needs CAP_LINUX_IMMUTABLE and an ext2/3/4, XFS or Btrfs temp directory.
    static let canMakeImmutable: Bool = {
        guard getuid() == 0, let dir = try? TemporaryDirectory("tianyan-chattr") else { return false }
        defer { dir.remove() }
        let f = dir.file("probe")
        FileManager.default.createFile(atPath: f, contents: Data())
        guard chattr("+i", f) else { return false }
        _ = chattr("-i", f)
        return true
    }()

    @discardableResult
    static func chattr(_ flag: String, _ paths: String...) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/chattr")
        p.arguments = [flag] + paths
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }

    @Test("database file and WAL made read-only while open: kept, reported, all written once writable again",
          .enabled(if: StorageFaultTests.canMakeImmutable, "needs root and chattr (the long run in tools/faults/storage also does this)"))
    func fileMadeReadOnly() async throws {
        let rig = try await Rig()
        let files = [rig.dir.file("db.sqlite"), rig.dir.file("db.sqlite-wal")]
        do {
            let score = try await scoreThroughFault(rig, name: "storage/read-only") {
                #expect(Self.chattr("+i", files[0], files[1]), "chattr +i")
            } end: {
                #expect(Self.chattr("-i", files[0], files[1]), "chattr -i")
            }.report()
            #expect(score.lost == 0 && score.duplicated == 0, "\(score)")
        } catch {
            Self.chattr("-i", files[0], files[1])
            await rig.close()
            throw error
        }
        await rig.close()
    }

    @Test("past its bound the writer refuses new positions and counts them; calls and pages are still kept")
    func boundedWhileFailing() async throws {
        let rig = try await Rig(maxPending: 5_000)
        do {
            rig.send(rig.positions(100))
            try await rig.writer.flush()
            try await rig.database.setMaximumPageCount(try await rig.database.pageCount())
            rig.send(rig.positions(1_000))
            try await waitUntil("the writer to report failing commits", timeout: .seconds(20)) { rig.writer.statistics.failingSince != nil }
            for _ in 0..<10 { rig.send(rig.positions(1_000)) }
            rig.send([.alarm(Alarm(id: "fault-alarm", unit: "D-1", time: .now(), kind: "store", severity: .warning, code: nil, text: "kept"))])
            let s = rig.writer.statistics
            #expect(s.pending == 5_001, "the bound holds, the alarm past it is kept: \(s)")
            #expect(s.dropped == 6_000, "\(s)")
            let health = try await rig.health()
            #expect((health.body["problems"] as? [String])?.contains("positions dropped") == true, "healthz: \(health.body)")
            #expect(try await rig.metrics().contains("tianyan_store_dropped_total 6000"))
            try await rig.database.setMaximumPageCount(nil)
            try await waitUntil("the queue to drain", timeout: .seconds(30)) { rig.writer.statistics.pending == 0 }
            #expect(try await rig.positionRows() == 5_100)
            #expect(try await rig.store.counts()["alarms"] == 1)
            #expect(try await rig.database.integrityCheck() == "ok")
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }

    @Test("a reader holding the WAL for the whole run: writes go on, the reader keeps its snapshot, the WAL is checkpointed after")
    func readerHoldsTheWAL() async throws {
        let rig = try await Rig()
        do {
            rig.send(rig.positions(1_000))
            try await rig.writer.flush()
            // A second process's reader: a raw connection with a read transaction left open.
            let reader = try HeldSnapshot(path: rig.dir.file("db.sqlite"))
            defer { reader.end() }
            #expect(reader.count("positions") == 1_000)
            func readerCount() -> Int { reader.count("positions") }
            let during = FaultScale.count(30_000)
            let started = ContinuousClock.now
            for _ in 0..<30 { rig.send(rig.positions(during / 30)) }
            try await rig.writer.flush()
            let writeSeconds = (ContinuousClock.now - started).components.seconds
            #expect(writeSeconds < 20, "the writer is not held up by the reader")
            #expect(readerCount() == 1_000, "the long reader keeps its snapshot")
            #expect(try await rig.positionRows() == 1_000 + during)
            let wal = rig.dir.file("db.sqlite-wal")
            let walSize = { ((try? FileManager.default.attributesOfItem(atPath: wal))?[.size] as? Int) ?? 0 }
            let grown = walSize()
            #expect(grown > 0)
            let released = ContinuousClock.now
            #expect(reader.end())
            // With the reader gone the next commits start the WAL again from its beginning.
            try await waitUntil("the WAL to be checkpointed and restarted", timeout: .seconds(20)) {
                try await rig.database.checkpoint()
                return walSize() == 0
            }
            let recovered = ContinuousClock.now - released
            #expect(try await rig.database.integrityCheck() == "ok")
            let stored = try await rig.positionRows()
            let score = FaultScore(scenario: "storage/wal-reader", sent: 1_000 + during, stored: stored, duplicated: max(0, stored - 1_000 - during),
                                   recoveredSeconds: Double(recovered.components.seconds) + Double(recovered.components.attoseconds) / 1e18).report()
            #expect(score.lost == 0 && score.duplicated == 0, "\(score)")
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }
}
