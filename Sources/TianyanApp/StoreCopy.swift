import Foundation
import Logging
import TianyanModel
import TianyanPostgres
import TianyanSQLite

/// `tianyan db copy`: moves a SQLite store into PostgreSQL table by table (parents first) in
/// key order, in batches that commit with their progress, so a copy stopped at any point resumes
/// where it stopped; then checks every table, row count and checksum, on both sides.
public struct StoreCopy: Sendable {
    public struct TableCheck: Sendable, Hashable {
        public var table: String
        public var sourceRows: Int
        public var destinationRows: Int
        public var sourceChecksum: UInt64
        public var destinationChecksum: UInt64
        public var matches: Bool { sourceRows == destinationRows && sourceChecksum == destinationChecksum }
    }

    public let source: String
    public let destination: String
    public var batch = 2_000
    let logger: Logger

    public init(from source: String, to destination: String, logger: Logger) {
        self.source = source
        self.destination = destination
        self.logger = logger
    }

    /// Copies, calling `progress(table, done, total)` as batches commit; returns the check.
    public func run(progress: @Sendable (String, Int, Int) -> Void) async throws -> [TableCheck] {
        let path = try TianyanDatabase.filePath(for: source)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ControllerError(message: "no SQLite store at \(path) to copy from")
        }
        // Opening migrates the source forward (a copy of an older file gets every column).
        _ = try TianyanDatabase(location: path)
        let from = SQLiteInspection(path: path)
        guard destination.hasPrefix("postgres://") || destination.hasPrefix("postgresql://") else {
            throw ControllerError(message: "--to must be a postgres:// URL (the copy goes from SQLite to PostgreSQL)")
        }
        let to = try await PostgresStoreDatabase(url: destination, logger: logger)
        defer { to.close() }
        for table in StoreTables.all {
            let doneKey = "copy.\(table.name)"
            let total = from.count("SELECT COUNT(*) FROM \(table.name)")
            var state = try await to.storeState(doneKey)
            if state == "done" {
                progress(table.name, total, total)
                continue
            }
            var after = try state.flatMap { try JSONDecoder().decode([StoreTables.Cell].self, from: Data($0.utf8)) }
            // Resuming: the rows up to the saved key are in (counted on the source, in its order).
            var done = try after.map { try from.countThrough(table, key: $0) } ?? 0
            progress(table.name, done, total)
            while true {
                let rows = try from.rows(table, after: after, limit: batch)
                guard let last = rows.last else { break }
                let next = key(of: last, in: table)
                state = String(decoding: try JSONEncoder().encode(next), as: UTF8.self)
                try await to.insert(table, rows: rows, progress: (doneKey, state!))
                after = next
                done += rows.count
                progress(table.name, done, total)
            }
            try await to.continueKeys(table)
            try await to.setStoreState(doneKey, "done")
        }
        return try await check(from, to)
    }

    func key(of row: [StoreTables.Cell], in table: StoreTables.Table) -> [StoreTables.Cell] {
        table.key.map { k in row[table.columnNames.firstIndex(of: k)!] }
    }

    /// Row counts and order-independent checksums of every table on both sides.
    func check(_ from: SQLiteInspection, _ to: PostgresStoreDatabase) async throws -> [TableCheck] {
        var out: [TableCheck] = []
        for table in StoreTables.all {
            let kinds = table.columns.map(\.kind)
            var sourceRows = 0, sourceSum: UInt64 = 0
            try from.forEachRow(table) { row in
                sourceRows += 1
                sourceSum &+= StoreTables.rowHash(row, kinds: kinds, canonicalJSON: Self.canonicalJSON)
            }
            var destinationRows = 0, destinationSum: UInt64 = 0
            try await to.forEachRow(table) { row in
                destinationRows += 1
                destinationSum &+= StoreTables.rowHash(row, kinds: kinds, canonicalJSON: Self.canonicalJSON)
            }
            out.append(TableCheck(table: table.name, sourceRows: sourceRows, destinationRows: destinationRows, sourceChecksum: sourceSum,
                                  destinationChecksum: destinationSum))
        }
        return out
    }

    /// JSON with sorted keys and no spaces (PostgreSQL's jsonb rewrites both).
    static func canonicalJSON(_ text: String) -> String {
        guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else { return text }
        return String(decoding: data, as: UTF8.self)
    }
}
