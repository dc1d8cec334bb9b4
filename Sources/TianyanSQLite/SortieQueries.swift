import GRDB
import TianyanModel

/// Plan sorties and cell coverage.
extension FleetStore {
    /// Sorties overlapping `[from, to)` (either bound optional), in `states` when given, by start.
    public func sorties(_ q: SortieQuery) async throws -> [SortieRecord] {
        let (from, to, states, drone, limit) = (q.from, q.to, q.states, q.drone, q.limit)
        return try await database.read { db in
            var sql = "SELECT * FROM sorties WHERE 1"
            var args: [(any DatabaseValueConvertible)?] = []
            if let from { sql += " AND \"end\" > ?"; args.append(from.milliseconds) }
            if let to { sql += " AND start < ?"; args.append(to.milliseconds) }
            if let states {
                sql += " AND state IN (\(Array(repeating: "?", count: states.count).joined(separator: ", ")))"
                args += states.map(\.rawValue).sorted()
            }
            if let drone { sql += " AND drone = ?"; args.append(drone) }
            sql += " ORDER BY start, id LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(Self.sortie)
        }
    }

    public func sortie(id: String) async throws -> SortieRecord? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM sorties WHERE id = ?", arguments: [id]).map(Self.sortie)
        }
    }

    private static func sortie(_ row: Row) throws -> SortieRecord {
        SortieRecord(id: row["id"], drone: row["drone"], dock: row["dock"], pilot: row["pilot"], formation: row["formation"],
                     cells: try StoreJSON.decode([String].self, row["cells"]), start: Timestamp(milliseconds: row["start"]),
                     end: Timestamp(milliseconds: row["end"]), state: SortieState(rawValue: row["state"]) ?? .failed,
                     urgent: row["urgent"], part: row["part"], parts: row["parts"], route: try StoreJSON.decode(SortieRoute.self, row["route"]), percent: row["percent"],
                     history: try StoreJSON.decode([SortieStep].self, row["history"]))
    }

    /// The latest progress of the given flight tasks, by flight id.
    public func flightTasks(ids: [String]) async throws -> [String: FlightTaskUpdate] {
        guard !ids.isEmpty else { return [:] }
        return try await database.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM flight_tasks WHERE flight_id IN (\(Array(repeating: "?", count: ids.count).joined(separator: ", ")))",
                                        arguments: StatementArguments(ids))
            return Dictionary(rows.map(FleetStore.flightTask).map { ($0.flightID, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// Every cell's coverage record (cells never flown have none).
    public func coverage() async throws -> [CellCoverageRecord] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM cell_coverage ORDER BY cell").map { row in
                CellCoverageRecord(cell: row["cell"], lastCovered: (row["last_covered"] as Int64?).map { Timestamp(milliseconds: $0) },
                             lastFraction: row["last_fraction"], lastSortie: row["last_sortie"],
                             lastFlown: Timestamp(milliseconds: row["last_flown"]))
            }
        }
    }
}
