// Store benchmark: position inserts through the writer, last position of every unit, and one
// unit's 24-hour track out of a large table. Release build; run by tools/bench (SQLite) and
// tools/bench-postgres (`--backend postgres`: the same on a durable PostgreSQL cluster of its
// own, with psql's COPY of the same rows and a queued drain into both stores as references).
import RecordWriter
import ServiceLifecycle
import Foundation
import Logging
import TianyanModel
import TianyanPostgres
import TianyanSQLite
import TianyanTesting

struct Options {
    var rows = 2_000_000
    var units = 5_000
    var bigRows = 20_000_000
    var directory = FileManager.default.temporaryDirectory.appendingPathComponent("tianyan-bench").path
    var chunk = 1_000
    var backend = "sqlite"
    var drain = 200_000

    init(_ args: [String]) {
        var i = 0
        while i < args.count {
            let value = i + 1 < args.count ? args[i + 1] : ""
            switch args[i] {
            case "--rows": rows = Int(value) ?? rows
            case "--units": units = Int(value) ?? units
            case "--big-rows": bigRows = Int(value) ?? bigRows
            case "--dir": directory = value
            case "--chunk": chunk = Int(value) ?? chunk
            case "--backend": backend = value
            case "--drain": drain = Int(value) ?? drain
            default:
                FileHandle.standardError.write(Data("unknown option \(args[i]); options: --rows N --units N --big-rows N --dir DIR --chunk N --backend sqlite|postgres --drain N\n".utf8))
                exit(2)
            }
            i += 2
        }
    }
}

func positions(count: Int, units: Int, start: Int64, stepMs: Int64, offset: Int = 0) -> [StoreRecord] {
    var out: [StoreRecord] = []
    out.reserveCapacity(count)
    for i in offset..<(offset + count) {
        let u = i % units
        let t = start + Int64(i / units) * stepMs
        out.append(.position(Position(
            unit: "R\(2_100_001 + u)", time: Timestamp(milliseconds: t),
            latitude: 22.80 + Double(u % 100) * 0.001 + Double(i % 7) * 1e-5,
            longitude: 113.80 + Double(u / 100) * 0.001, altitude: 12, speed: 1.4, heading: 90, accuracy: 5,
            source: .lip)))
    }
    return out
}

let writerConfiguration = RecordWriter.Configuration(batchSize: Int(ProcessInfo.processInfo.environment["BATCH"] ?? "") ?? 100_000,
                                                     maxDelay: .milliseconds(20))

/// Pushes `total` rows through a writer in chunks, as links do, and waits for the last commit.
func insertThroughWriter(_ db: TianyanDatabase, total: Int, units: Int, chunk: Int, start: Int64, stepMs: Int64) async throws -> Double {
    try await insertThroughWriter(StoreWriter(database: db, configuration: writerConfiguration, logger: Logger(label: "bench")),
                                  total: total, units: units, chunk: chunk, start: start, stepMs: stepMs)
}

func insertThroughWriter(_ writer: any RecordWriting, total: Int, units: Int, chunk: Int, start: Int64, stepMs: Int64) async throws -> Double {
    let runner = Task { try await writer.run() }
    // Build the records before the clock starts: decoding is measured elsewhere.
    let generationChunk = 200_000
    var elapsed = 0.0
    var done = 0
    while done < total {
        let n = min(generationChunk, total - done)
        let records = positions(count: n, units: units, start: start, stepMs: stepMs, offset: done)
        let t0 = ContinuousClock.now
        var ticket: UInt64 = 0
        var k = 0
        while k < records.count {
            ticket = writer.submit(Array(records[k..<min(k + chunk, records.count)]))
            k += chunk
        }
        try await writer.waitUntilCommitted(ticket)
        elapsed += (ContinuousClock.now - t0).seconds
        done += n
    }
    runner.cancel()
    try await runner.value
    return Double(total) / elapsed
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

/// Hands `count` records to a writer that is not running yet (a queue left by an outage), then
/// times its run loop until everything is committed.
func drain(_ writer: any RecordWriting, count: Int, units: Int) async throws -> Double {
    let records = positions(count: count, units: units, start: 1_795_000_000_000, stepMs: 2_000)
    var ticket: UInt64 = 0
    var k = 0
    while k < records.count {
        ticket = writer.submit(Array(records[k..<min(k + 1_000, records.count)]))
        k += 1_000
    }
    let t0 = ContinuousClock.now
    let runner = Task { try await writer.run() }
    try await writer.waitUntilCommitted(ticket)
    let elapsed = (ContinuousClock.now - t0).seconds
    runner.cancel()
    try await runner.value
    return Double(count) / elapsed
}

/// Median of 21 reads of every unit's last position: milliseconds and how many units.
func timeLastPositions(_ store: any FleetStorage) async throws -> (ms: Double, units: Int) {
    var times: [Double] = []
    var count = 0
    for _ in 0..<21 {
        let t0 = ContinuousClock.now
        count = try await store.lastPositions().count
        times.append((ContinuousClock.now - t0).seconds * 1000)
    }
    return (median(times), count)
}

/// Median of 21 reads of one unit's 24-hour track from the middle of a table of `rows` reports
/// (one every 10 s per unit from `start`): milliseconds and points per track.
func timeTracks(_ store: any FleetStorage, rows: Int, units: Int, start: Int64) async throws -> (ms: Double, points: Int) {
    var times: [Double] = []
    var points = 0
    let span = Int64(rows / units) * 10_000
    for k in 0..<21 {
        let unit = "R\(2_100_001 + (k * 37) % units)"
        let from = start + span / 2 - 43_200_000
        let t0 = ContinuousClock.now
        points = try await store.track(unit: unit, from: Timestamp(milliseconds: from), to: Timestamp(milliseconds: from + 86_400_000)).count
        times.append((ContinuousClock.now - t0).seconds * 1000)
    }
    return (median(times), points)
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
func fresh(_ name: String) -> String {
    let path = (options.directory as NSString).appendingPathComponent(name)
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    return path
}

if options.backend == "postgres" {
    try await postgresBench(options)
    exit(0)
}

// 1. Sustained inserts through the writer into a fresh database.
let insertDB = try TianyanDatabase(location: fresh("bench-insert.sqlite"))
let rate = try await insertThroughWriter(insertDB, total: options.rows, units: options.units, chunk: options.chunk,
                                         start: 1_790_000_000_000, stepMs: 10_000)
print(String(format: "writer_insert_rows_per_s %.0f rows=%d units=%d", rate, options.rows, options.units))

// 2. Last position of every unit.
let last = try await timeLastPositions(FleetStore(database: insertDB))
print(String(format: "last_position_ms %.2f units=%d", last.ms, last.units))

// 3. One unit's 24-hour track out of a big table (one report every 10 s per unit, big-rows in all).
if options.bigRows > 0 {
    let bigDB = try TianyanDatabase(location: fresh("bench-track.sqlite"))
    let start: Int64 = 1_790_000_000_000
    let bigRate = try await insertThroughWriter(bigDB, total: options.bigRows, units: options.units, chunk: options.chunk,
                                                start: start, stepMs: 10_000)
    try await bigDB.checkpoint()
    let track = try await timeTracks(FleetStore(database: bigDB), rows: options.bigRows, units: options.units, start: start)
    print(String(format: "big_table_insert_rows_per_s %.0f rows=%d", bigRate, options.bigRows))
    print(String(format: "track_24h_ms %.2f points=%d table_rows=%d", track.ms, track.points, options.bigRows))
}

// MARK: PostgreSQL

func postgresBench(_ options: Options) async throws {
    let cluster = try PostgresCluster.makePrivate(durable: true)
    defer { try? cluster.stop() }
    let logger = Logger(label: "bench")
    func open(_ name: String) async throws -> PostgresStoreDatabase {
        try await PostgresStoreDatabase(url: try cluster.database(name), logger: logger)
    }
    func writer(_ db: PostgresStoreDatabase) -> RecordWriter {
        RecordWriter(committer: PostgresCommitter(database: db), configuration: writerConfiguration, logger: logger)
    }
    print("# PostgreSQL \(try cluster.psql("postgres", "SHOW server_version").trimmingCharacters(in: .whitespacesAndNewlines)), fsync on, synchronous_commit on")

    // 1. The reference: psql's COPY of the same rows into the same (partitioned) table.
    let csv = (options.directory as NSString).appendingPathComponent("positions.csv")
    var text = ""
    text.reserveCapacity(options.rows * 80)
    for case .position(let p) in positions(count: options.rows, units: options.units, start: 1_790_000_000_000, stepMs: 10_000) {
        text += "\(p.unit),\(Timestamp(milliseconds: p.time.milliseconds).iso8601),\(p.latitude),\(p.longitude),\(p.altitude!),\(p.speed!),\(p.heading!),\(p.accuracy!),\(p.source.rawValue)\n"
    }
    try text.write(toFile: csv, atomically: false, encoding: .utf8)
    text = ""
    let copyDB = try await open("copyref")
    let copyName = String(copyDB.location.database)
    let days = options.rows / options.units * 10 / 86_400 + 1
    for d in 0...days {
        try cluster.psql(copyName, "SELECT tianyan_position_partition(to_timestamp(1790000000 + \(d) * 86400))")
    }
    let c0 = ContinuousClock.now
    try cluster.psql(copyName, "\\copy positions(unit, time, lat, lon, alt, speed, heading, accuracy, source) FROM '\(csv)' WITH (FORMAT csv)")
    let copyRate = Double(options.rows) / (ContinuousClock.now - c0).seconds
    copyDB.close()
    print(String(format: "copy_reference_rows_per_s %.0f rows=%d (psql \\copy, CSV, same table)", copyRate, options.rows))

    // 2. The writer, the same rows into a fresh database.
    let insertDB = try await open("insert")
    let rate = try await insertThroughWriter(writer(insertDB), total: options.rows, units: options.units, chunk: options.chunk,
                                             start: 1_790_000_000_000, stepMs: 10_000)
    print(String(format: "writer_insert_rows_per_s %.0f rows=%d units=%d", rate, options.rows, options.units))
    print(String(format: "ratio_writer_vs_copy %.2f", rate / copyRate))

    // 3. Last position of every unit.
    let store = PostgresStore(database: insertDB)
    let last = try await timeLastPositions(store)
    print(String(format: "last_position_ms %.2f units=%d", last.ms, last.units))
    var pingTimes: [Double] = []
    for _ in 0..<21 {
        let t0 = ContinuousClock.now
        _ = try await store.user(named: "nobody")
        pingTimes.append((ContinuousClock.now - t0).seconds * 1000)
    }
    print(String(format: "round_trip_ms %.2f (one indexed lookup, for scale)", median(pingTimes)))

    // 4. A queue of OSD positions drained into each store.
    let sqliteDrain = try await drain(StoreWriter(database: try TianyanDatabase(location: fresh("bench-drain.sqlite")),
                                                  configuration: writerConfiguration, logger: logger), count: options.drain, units: 126)
    let postgresDrain = try await drain(writer(try await open("drain")), count: options.drain, units: 126)
    print(String(format: "drain_sqlite_rows_per_s %.0f drain_postgres_rows_per_s %.0f rows=%d", sqliteDrain, postgresDrain, options.drain))
    print(String(format: "ratio_drain_postgres_vs_sqlite %.2f", postgresDrain / sqliteDrain))

    // 5. One unit's 24-hour track out of a big table.
    if options.bigRows > 0 {
        let bigDB = try await open("track")
        let start: Int64 = 1_790_000_000_000
        let bigRate = try await insertThroughWriter(writer(bigDB), total: options.bigRows, units: options.units, chunk: options.chunk,
                                                    start: start, stepMs: 10_000)
        _ = try cluster.psql(bigDB.location.database, "VACUUM ANALYZE positions")
        let track = try await timeTracks(PostgresStore(database: bigDB), rows: options.bigRows, units: options.units, start: start)
        print(String(format: "big_table_insert_rows_per_s %.0f rows=%d", bigRate, options.bigRows))
        print(String(format: "track_24h_ms %.2f points=%d table_rows=%d", track.ms, track.points, options.bigRows))
    }
}
