import GRDB
import TianyanModel

/// Dispatch tasks as the writer stored them.
extension FleetStore {
    /// Tasks by creation, newest first: in `states` and of `team` when given, created within
    /// `since...until`, skipping the first `offset`.
    public func tasks(states: Set<TaskState>? = nil, team: String? = nil, since: Timestamp? = nil, until: Timestamp? = nil,
                      limit: Int = 100, offset: Int = 0) async throws -> [DispatchTask] {
        try await database.read { db in
            var sql = "SELECT data FROM dispatch_tasks WHERE 1"
            var args: [(any DatabaseValueConvertible)?] = []
            if let states {
                sql += " AND state IN (\(Array(repeating: "?", count: states.count).joined(separator: ", ")))"
                args += states.map(\.rawValue).sorted()
            }
            if let team { sql += " AND team = ?"; args.append(team) }
            if let since { sql += " AND created_at >= ?"; args.append(since.milliseconds) }
            if let until { sql += " AND created_at <= ?"; args.append(until.milliseconds) }
            sql += " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
            args.append(limit)
            args.append(offset)
            return try String.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { try JSONCoding.decode(DispatchTask.self, $0) }
        }
    }

    public func task(id: String) async throws -> DispatchTask? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT data FROM dispatch_tasks WHERE id = ?", arguments: [id])
                .map { try JSONCoding.decode(DispatchTask.self, $0) }
        }
    }

    /// Tasks not done or canceled (what the SLA watch and the busy units need).
    public func unfinishedTasks() async throws -> [DispatchTask] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT data FROM dispatch_tasks WHERE state NOT IN ('done', 'canceled') ORDER BY created_at")
                .map { try JSONCoding.decode(DispatchTask.self, $0) }
        }
    }

    /// Tasks created or closed within `from...to` (the statistics' input).
    public func tasksTouching(from: Timestamp, to: Timestamp) async throws -> [DispatchTask] {
        try await database.read { db in
            try String.fetchAll(db, sql: """
                SELECT data FROM dispatch_tasks WHERE (created_at BETWEEN ? AND ?) OR (closed_at BETWEEN ? AND ?)
                """, arguments: [from.milliseconds, to.milliseconds, from.milliseconds, to.milliseconds])
                .map { try JSONCoding.decode(DispatchTask.self, $0) }
        }
    }

    /// One alarm by id (a task made from an alarm names it).
    public func alarm(id: String) async throws -> Alarm? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM alarms WHERE id = ?", arguments: [id]).map { row in
                Alarm(id: row["id"], unit: row["unit"], time: Timestamp(milliseconds: row["time"]), kind: row["kind"],
                      severity: AlarmSeverity(rawValue: row["severity"]) ?? .warning, code: row["code"], text: row["text"],
                      clearedAt: (row["cleared_at"] as Int64?).map { Timestamp(milliseconds: $0) })
            }
        }
    }
}
