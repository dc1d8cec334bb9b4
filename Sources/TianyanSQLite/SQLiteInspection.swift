import Foundation
import GRDB
import GRDBSQLite

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
