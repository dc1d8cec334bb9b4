import GRDB
import TianyanModel

/// A dispatcher's handling of an alarm: acknowledge ("I have seen it"), clear ("it is over", with
/// a note). Written in one transaction with its audit line, behind everything submitted to the
/// writer before (an alarm raised a moment ago is found, not 404).
public struct AlarmHandling: Sendable {
    /// An alarm with its handling (now in the model).
    public typealias Handled = HandledAlarm

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case unknown(String)
        case alreadyCleared(String)
        public var description: String {
            switch self {
            case .unknown(let id): "no alarm \(id)"
            case .alreadyCleared(let id): "alarm \(id) is already cleared"
            }
        }
    }

    public let database: TianyanDatabase
    public init(database: TianyanDatabase) { self.database = database }

    public func acknowledge(_ id: String, by user: String, note: String?, at time: Timestamp = .now()) async throws -> Handled {
        try await change(id, by: user, action: "alarm ack", note: note) { db in
            try db.execute(sql: """
                UPDATE alarms SET acknowledged_at = COALESCE(acknowledged_at, ?), acknowledged_by = COALESCE(acknowledged_by, ?),
                    note = COALESCE(?, note) WHERE id = ?
                """, arguments: [time.milliseconds, user, note, id])
        }
    }

    public func clear(_ id: String, by user: String, note: String, at time: Timestamp = .now()) async throws -> Handled {
        try await change(id, by: user, action: "alarm clear", note: note) { db in
            try db.execute(sql: """
                UPDATE alarms SET cleared_at = ?, cleared_by = ?, note = ?,
                    acknowledged_at = COALESCE(acknowledged_at, ?), acknowledged_by = COALESCE(acknowledged_by, ?) WHERE id = ?
                """, arguments: [time.milliseconds, user, note, time.milliseconds, user, id])
        }
    }

    /// Alarms, newest first; `open` keeps those not cleared.
    public func list(kind: String? = nil, unit: String? = nil, open: Bool = false, limit: Int = 100) async throws -> [Handled] {
        try await database.read { db in
            var sql = "SELECT id FROM alarms WHERE 1"
            var args: [(any DatabaseValueConvertible)?] = []
            if let kind { sql += " AND kind = ?"; args.append(kind) }
            if let unit { sql += " AND unit = ?"; args.append(unit) }
            if open { sql += " AND cleared_at IS NULL" }
            sql += " ORDER BY time DESC LIMIT ?"
            args.append(limit)
            return try String.fetchAll(db, sql: sql, arguments: StatementArguments(args)).compactMap { try Self.fetch(db, $0) }
        }
    }

    public func handled(_ id: String) async throws -> Handled? {
        try await database.read { db in try Self.fetch(db, id) }
    }

    private func change(_ id: String, by user: String, action: String, note: String?,
                        _ update: @Sendable @escaping (Database) throws -> Void) async throws -> Handled {
        let body: @Sendable (Database) throws -> Handled = { db in
            guard let before = try Self.fetch(db, id) else { throw Failure.unknown(id) }
            guard before.alarm.clearedAt == nil else { throw Failure.alreadyCleared(id) }
            try update(db)
            try db.execute(sql: "INSERT INTO audit(time, actor, action, target, outcome, detail) VALUES (?, ?, ?, ?, 'ok', ?)",
                           arguments: [Timestamp.now().milliseconds, user, action, id, note])
            return try Self.fetch(db, id)!
        }
        return try await database.transact(body)
    }

    static func fetch(_ db: Database, _ id: String) throws -> Handled? {
        try Row.fetchOne(db, sql: "SELECT * FROM alarms WHERE id = ?", arguments: [id]).map(handled)
    }

    static func handled(_ row: Row) -> Handled {
        Handled(alarm: Alarm(id: row["id"], unit: row["unit"], time: Timestamp(milliseconds: row["time"]), kind: row["kind"],
                             severity: AlarmSeverity(rawValue: row["severity"]) ?? .warning, code: row["code"], text: row["text"],
                             clearedAt: (row["cleared_at"] as Int64?).map { Timestamp(milliseconds: $0) }),
                acknowledgedAt: (row["acknowledged_at"] as Int64?).map { Timestamp(milliseconds: $0) },
                acknowledgedBy: row["acknowledged_by"], clearedBy: row["cleared_by"], note: row["note"])
    }
}
