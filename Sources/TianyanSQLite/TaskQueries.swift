import GRDB
import TianyanModel

/// Dispatch tasks as the writer stored them.
extension FleetStore {
    /// Tasks by creation, newest first: in `states` and of `team` when given, created within
    /// `since...until`, skipping the first `offset`.
    public func tasks(_ q: TaskQuery) async throws -> [DispatchTask] {
        let (states, team, since, until, limit, offset) = (q.states, q.team, q.since, q.until, q.limit, q.offset)
        return try await database.read { db in
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
            return try String.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { try StoreJSON.decode(DispatchTask.self, $0) }
        }
    }

    public func task(id: String) async throws -> DispatchTask? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT data FROM dispatch_tasks WHERE id = ?", arguments: [id])
                .map { try StoreJSON.decode(DispatchTask.self, $0) }
        }
    }

    /// Tasks not done or canceled (what the SLA watch and the busy units need).
    public func unfinishedTasks() async throws -> [DispatchTask] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT data FROM dispatch_tasks WHERE state NOT IN ('done', 'canceled') ORDER BY created_at")
                .map { try StoreJSON.decode(DispatchTask.self, $0) }
        }
    }

    /// Tasks created or closed within `from...to` (the statistics' input).
    public func tasksTouching(from: Timestamp, to: Timestamp) async throws -> [DispatchTask] {
        try await database.read { db in
            try String.fetchAll(db, sql: """
                SELECT data FROM dispatch_tasks WHERE (created_at BETWEEN ? AND ?) OR (closed_at BETWEEN ? AND ?)
                """, arguments: [from.milliseconds, to.milliseconds, from.milliseconds, to.milliseconds])
                .map { try StoreJSON.decode(DispatchTask.self, $0) }
        }
    }

    /// One alarm by id with its handling (a task made from an alarm names it).
    public func handledAlarm(id: String) async throws -> HandledAlarm? {
        try await AlarmHandling(database: database).handled(id)
    }
}
