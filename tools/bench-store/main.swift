// Store benchmark: position inserts through the writer, last position of every unit, and one
// unit's 24-hour track out of a large table. Release build; run by tools/bench.
import RecordWriter
import Foundation
import Logging
import TianyanModel
import TianyanSQLite

struct Options {
    var rows = 2_000_000
    var units = 5_000
    var bigRows = 20_000_000
    var directory = FileManager.default.temporaryDirectory.appendingPathComponent("tianyan-bench").path
    var chunk = 1_000

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
            default:
                FileHandle.standardError.write(Data("unknown option \(args[i]); options: --rows N --units N --big-rows N --dir DIR --chunk N\n".utf8))
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

/// Pushes `total` rows through a writer in chunks, as links do, and waits for the last commit.
func insertThroughWriter(_ db: TianyanDatabase, total: Int, units: Int, chunk: Int, start: Int64, stepMs: Int64) async throws -> Double {
    let writer = StoreWriter(database: db, configuration: .init(batchSize: Int(ProcessInfo.processInfo.environment["BATCH"] ?? "") ?? 100_000, maxDelay: .milliseconds(20)),
                             logger: Logger(label: "bench"))
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

let options = Options(Array(CommandLine.arguments.dropFirst()))
try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
func fresh(_ name: String) -> String {
    let path = (options.directory as NSString).appendingPathComponent(name)
    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    return path
}

// 1. Sustained inserts through the writer into a fresh database.
let insertDB = try TianyanDatabase(location: fresh("bench-insert.sqlite"))
let rate = try await insertThroughWriter(insertDB, total: options.rows, units: options.units, chunk: options.chunk,
                                         start: 1_790_000_000_000, stepMs: 10_000)
print(String(format: "writer_insert_rows_per_s %.0f rows=%d units=%d", rate, options.rows, options.units))

// 2. Last position of every unit.
let store = FleetStore(database: insertDB)
var lastTimes: [Double] = []
var lastCount = 0
for _ in 0..<21 {
    let t0 = ContinuousClock.now
    lastCount = try await store.lastPositions().count
    lastTimes.append((ContinuousClock.now - t0).seconds * 1000)
}
print(String(format: "last_position_ms %.2f units=%d", median(lastTimes), lastCount))

// 3. One unit's 24-hour track out of a big table (one report every 10 s per unit, big-rows in all).
if options.bigRows > 0 {
    let bigDB = try TianyanDatabase(location: fresh("bench-track.sqlite"))
    let start: Int64 = 1_790_000_000_000
    let bigRate = try await insertThroughWriter(bigDB, total: options.bigRows, units: options.units, chunk: options.chunk,
                                                start: start, stepMs: 10_000)
    try await bigDB.checkpoint()
    let bigStore = FleetStore(database: bigDB)
    var trackTimes: [Double] = []
    var points = 0
    let span = Int64(options.bigRows / options.units) * 10_000
    for k in 0..<21 {
        let unit = "R\(2_100_001 + (k * 37) % options.units)"
        let from = start + span / 2 - 43_200_000
        let t0 = ContinuousClock.now
        points = try await bigStore.track(unit: unit, from: Timestamp(milliseconds: from),
                                          to: Timestamp(milliseconds: from + 86_400_000)).count
        trackTimes.append((ContinuousClock.now - t0).seconds * 1000)
    }
    print(String(format: "big_table_insert_rows_per_s %.0f rows=%d", bigRate, options.bigRows))
    print(String(format: "track_24h_ms %.2f points=%d table_rows=%d", median(trackTimes), points, options.bigRows))
}
