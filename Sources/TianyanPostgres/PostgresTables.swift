import Foundation
import PostgresNIO
import TianyanModel

/// Whole tables in the logical form of `StoreTables`, for `tianyan db copy` (rows in, with
/// the copy's progress in the same transaction) and `db status` / the copy's check (rows out).
extension PostgresStoreDatabase {
    static func cast(_ kind: StoreTables.Kind) -> String {
        switch kind {
        case .text: "text"
        case .int: "bigint"
        case .real: "float8"
        case .bool: "boolean"
        case .time: "timestamptz"
        case .json: "jsonb"
        }
    }

    /// Inserts `rows` (skipping those whose key is already there) and records `progress` in
    /// `store_state`, in one transaction: a copy stopped at any point resumes after the last
    /// batch committed.
    public func insert(_ table: StoreTables.Table, rows: [[StoreTables.Cell]], progress: (key: String, value: String)) async throws {
        guard !rows.isEmpty else { return }
        if table.name == "positions", let i = table.columnNames.firstIndex(of: "time") {
            let days = Set(rows.compactMap { row -> Int64? in
                if case .int(let ms) = row[i] { return PostgresCommitter.day(Timestamp(milliseconds: ms)) }
                return nil
            })
            try await client.withConnection { c in try await ensurePartitions(days: days, on: c) }
        }
        var binds = PostgresBindings(capacity: rows.count * table.columns.count)
        var values: [String] = []
        values.reserveCapacity(rows.count)
        for row in rows {
            var placeholders: [String] = []
            for (cell, column) in zip(row, table.columns) {
                switch (cell, column.kind) {
                case (.null, _): binds.appendNull()
                case (.int(let v), .time): binds.append(Timestamp(milliseconds: v))
                case (.int(let v), .bool): binds.append(v != 0)
                case (.int(let v), .real): binds.append(Double(v))
                case (.int(let v), .text), (.int(let v), .json): binds.append(String(v))
                case (.int(let v), _): binds.append(v)
                case (.real(let v), .int), (.real(let v), .time): binds.append(Int64(v))
                case (.real(let v), _): binds.append(v)
                case (.text(let v), _): binds.append(v)
                }
                placeholders.append("$\(binds.count)::\(Self.cast(column.kind))")
            }
            values.append("(\(placeholders.joined(separator: ", ")))")
        }
        let columns = table.columnNames.map { "\"\($0)\"" }.joined(separator: ", ")
        let overriding = table.generatedKey ? " OVERRIDING SYSTEM VALUE" : ""
        let insert = PostgresQuery(unsafeSQL: "INSERT INTO \(table.name) (\(columns))\(overriding) VALUES \(values.joined(separator: ", ")) ON CONFLICT DO NOTHING",
                                   binds: binds)
        let logger = self.logger
        try await transaction { c in
            try await c.query(insert, logger: logger)
            try await c.query("""
                INSERT INTO store_state(key, value) VALUES (\(progress.key), \(progress.value))
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, logger: logger)
        }
    }

    /// After copying a table whose key the database assigns: its counter continues past the copy.
    public func continueKeys(_ table: StoreTables.Table) async throws {
        guard table.generatedKey, let key = table.key.first else { return }
        _ = try await rows(PostgresQuery(unsafeSQL: """
            SELECT setval(pg_get_serial_sequence('\(table.name)', '\(key)'), GREATEST((SELECT max("\(key)") FROM \(table.name)), 1)) AS v
            """)) { _ in 0 }
    }

    public func setStoreState(_ key: String, _ value: String) async throws {
        let logger = self.logger
        try await transaction { c in
            try await c.query("INSERT INTO store_state(key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                              logger: logger)
        }
    }

    /// A value of `store_state` (the copy's progress), nil when unset.
    public func storeState(_ key: String) async throws -> String? {
        try await rows("SELECT value FROM store_state WHERE key = \(key)") { try $0.get("value") as String }.first
    }

    /// Every row of `table` in the logical form, handed to `body` one at a time (any order).
    public func forEachRow(_ table: StoreTables.Table, _ body: ([StoreTables.Cell]) throws -> Void) async throws {
        let select = table.columns.map { c -> String in
            switch c.kind {
            case .json: "\"\(c.name)\"::text"
            case .bool: "\"\(c.name)\"::int::bigint"
            case .int: "\"\(c.name)\"::bigint"
            default: "\"\(c.name)\""
            }
        }.joined(separator: ", ")
        do {
            for try await raw in try await client.query(PostgresQuery(unsafeSQL: "SELECT \(select) FROM \(table.name)"), logger: logger) {
                let r = PostgresRandomAccessRow(raw)
                var row: [StoreTables.Cell] = []
                row.reserveCapacity(table.columns.count)
                for (i, c) in table.columns.enumerated() {
                    switch c.kind {
                    case .text, .json: row.append(try r[i].decode(String?.self).map { .text($0) } ?? .null)
                    case .int, .bool: row.append(try r[i].decode(Int64?.self).map { .int($0) } ?? .null)
                    case .real: row.append(try r[i].decode(Double?.self).map { .real($0) } ?? .null)
                    case .time: row.append(try r[i].decode(Timestamp?.self).map { .int($0.milliseconds) } ?? .null)
                    }
                }
                try body(row)
            }
        } catch let e as PSQLError { throw Self.describe(e, at: location) }
    }

    /// Applied migrations, oldest first, and those this build knows.
    public func migrations() async throws -> (applied: [String], known: [String]) {
        let applied = try await rows("SELECT name FROM tianyan_migrations ORDER BY version") { try $0.get("name") as String }
        return (applied, PostgresSchema.migrations.map(\.name))
    }
}
