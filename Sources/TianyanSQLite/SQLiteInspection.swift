import Foundation
import GRDB
import GRDBSQLite
import TianyanModel

/// Read-only looks into a controller's database file from outside the controller (the fault
/// scenarios read what was stored as a skeptic would). Never writes; opens the file read-only.
public struct SQLiteInspection: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    private func reader() throws -> DatabaseQueue {
        var c = Configuration()
        c.readonly = true
        return try DatabaseQueue(path: path, configuration: c)
    }

    /// The first column of the first row of `sql` as a whole number (a `COUNT(*)`); -1 when the
    /// file cannot be read.
    public func count(_ sql: String) -> Int {
        (try? reader().read { db in try Int.fetchOne(db, sql: sql) ?? 0 }) ?? -1
    }

    /// Positions stored from `source` with `from <= time < to` (milliseconds), as (unit, time).
    public func positions(from: Int64, to: Int64, source: String) throws -> [(unit: String, time: Int64)] {
        try reader().read { db in
            var out: [(unit: String, time: Int64)] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT unit, time FROM positions WHERE time >= ? AND time < ? AND source = ?",
                                           arguments: [from, to, source])
            while let row = try rows.next() { out.append((unit: row[0], time: row[1])) }
            return out
        }
    }
}

/// A second process's reader holding one read transaction open (and so the WAL) until `end()`:
/// a raw read-only SQLite connection, for the storage fault tests.
public final class HeldSnapshot: @unchecked Sendable {
    // Invariant: used from one task at a time by the test that made it; `end()` once.
    private var connection: OpaquePointer?

    /// Opens `path` read-only and begins a read transaction (its snapshot is fixed by a first read).
    public init(path: String) throws {
        guard sqlite3_open_v2(path, &connection, SQLITE_OPEN_READONLY, nil) == SQLITE_OK else {
            sqlite3_close(connection)
            throw StoreError(code: .openFailed, message: "cannot open \(path) read-only")
        }
        guard sqlite3_exec(connection, "BEGIN; SELECT COUNT(*) FROM sqlite_master;", nil, nil, nil) == SQLITE_OK else {
            sqlite3_close(connection)
            throw StoreError(code: .sqlite, message: "cannot begin a read transaction on \(path)")
        }
    }

    /// Rows of `table` in the snapshot; -1 on error.
    public func count(_ table: String) -> Int {
        var st: OpaquePointer?
        guard sqlite3_prepare_v2(connection, "SELECT COUNT(*) FROM \(table)", -1, &st, nil) == SQLITE_OK else { return -1 }
        defer { sqlite3_finalize(st) }
        return sqlite3_step(st) == SQLITE_ROW ? Int(sqlite3_column_int64(st, 0)) : -1
    }

    /// Ends the transaction and closes the connection; true when the commit went through.
    @discardableResult
    public func end() -> Bool {
        guard let c = connection else { return false }
        let ok = sqlite3_exec(c, "COMMIT", nil, nil, nil) == SQLITE_OK
        sqlite3_close(c)
        connection = nil
        return ok
    }

    deinit { if let c = connection { sqlite3_close(c) } }
}

// MARK: Whole tables, for `tianyan db copy` and `db status`

extension SQLiteInspection {
    /// Rows of `table` in key order after `key` (from the start when nil), at most `limit`.
    public func rows(_ table: StoreTables.Table, after key: [StoreTables.Cell]?, limit: Int) throws -> [[StoreTables.Cell]] {
        let columns = table.columnNames.map { "\"\($0)\"" }.joined(separator: ", ")
        let keys = table.key.map { "\"\($0)\"" }.joined(separator: ", ")
        var sql = "SELECT \(columns) FROM \(table.name)"
        var arguments: [DatabaseValue] = []
        if let key {
            sql += " WHERE (\(keys)) > (\(Array(repeating: "?", count: key.count).joined(separator: ", ")))"
            arguments = key.map(Self.databaseValue)
        }
        sql += " ORDER BY \(keys) LIMIT \(limit)"
        return try reader().read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                zip(0..<table.columns.count, table.columns).map { i, column in Self.cell(row[i] as DatabaseValue, column.kind) }
            }
        }
    }

    /// How many rows of `table` come up to and including `key` in key order.
    public func countThrough(_ table: StoreTables.Table, key: [StoreTables.Cell]) throws -> Int {
        let keys = table.key.map { "\"\($0)\"" }.joined(separator: ", ")
        return try reader().read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.name) WHERE (\(keys)) <= (\(Array(repeating: "?", count: key.count).joined(separator: ", ")))",
                             arguments: StatementArguments(key.map(Self.databaseValue))) ?? 0
        }
    }

    /// Every row of `table`, handed to `body` one at a time (any order).
    public func forEachRow(_ table: StoreTables.Table, _ body: ([StoreTables.Cell]) throws -> Void) throws {
        let columns = table.columnNames.map { "\"\($0)\"" }.joined(separator: ", ")
        try reader().read { db in
            let cursor = try Row.fetchCursor(db, sql: "SELECT \(columns) FROM \(table.name)")
            while let row = try cursor.next() {
                try body(zip(0..<table.columns.count, table.columns).map { i, column in Self.cell(row[i] as DatabaseValue, column.kind) })
            }
        }
    }

    /// The schema migrations applied to the file, oldest first, and those this build knows.
    public func migrations() throws -> (applied: [String], known: [String]) {
        let applied = try reader().read { db in try Schema.migrator.appliedIdentifiers(db) }
        return (Array(applied), Schema.migrator.migrations)
    }

    static func cell(_ value: DatabaseValue, _ kind: StoreTables.Kind) -> StoreTables.Cell {
        switch value.storage {
        case .null: return .null
        case .int64(let v): return kind == .real ? .real(Double(v)) : .int(v)
        case .double(let v): return kind == .real ? .real(v) : .int(Int64(v))
        case .string(let s): return .text(s)
        case .blob(let d): return .text(String(decoding: d, as: UTF8.self))
        }
    }

    static func databaseValue(_ cell: StoreTables.Cell) -> DatabaseValue {
        switch cell {
        case .null: .null
        case .int(let v): v.databaseValue
        case .real(let v): v.databaseValue
        case .text(let v): v.databaseValue
        }
    }
}
