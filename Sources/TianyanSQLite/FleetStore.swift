import Foundation
import GRDB
import TianyanModel

/// Registry and read queries over the SQLite database.
public struct FleetStore: FleetStorage {
    let database: TianyanDatabase

    public init(database: TianyanDatabase) { self.database = database }

    // MARK: Registry

    public func replaceRegistry(_ r: FleetRegistry) async throws {
        try await database.transact { db in
            for table in ["radios", "talkgroups", "drones", "docks", "pilots", "formations", "cells"] {
                try db.execute(sql: "DELETE FROM \(table)")
            }
            for (i, f) in r.formations.enumerated() {
                try db.execute(sql: "INSERT INTO formations(id, name, community, lead, ord) VALUES (?, ?, ?, ?, ?)",
                               arguments: [f.id, f.name, f.community, f.lead, i])
            }
            for (i, p) in r.pilots.enumerated() {
                try db.execute(sql: """
                    INSERT INTO pilots(id, name, formation, licence_class, licence_expiry, max_duty_hours_per_day, min_rest_hours, ord)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [p.id, p.name, p.formation, p.licenceClass.rawValue, p.licenceExpiry.description,
                                     p.maxDutyHoursPerDay, p.minRestHours, i])
            }
            for (i, d) in r.docks.enumerated() {
                try db.execute(sql: """
                    INSERT INTO docks(serial, name, model, formation, lat, lon, altitude_m, firmware, ord) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [d.serial, d.name, d.model, d.formation, d.location.latitude, d.location.longitude,
                                     d.altitudeMetres, d.firmware, i])
            }
            for (i, d) in r.drones.enumerated() {
                try db.execute(sql: "INSERT INTO drones(serial, name, model, formation, dock, firmware, ord) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               arguments: [d.serial, d.name, d.model, d.formation, d.dock, d.firmware, i])
            }
            for (i, t) in r.talkgroups.enumerated() {
                try db.execute(sql: "INSERT INTO talkgroups(gssi, name, ord) VALUES (?, ?, ?)", arguments: [t.gssi, t.name, i])
            }
            for (i, radio) in r.radios.enumerated() {
                try db.execute(sql: "INSERT INTO radios(issi, alias, person, pilot, talkgroups, ord) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [radio.issi, radio.alias, radio.person, radio.pilot,
                                           radio.talkgroups.joined(separator: " "), i])
            }
            for (i, c) in r.cells.enumerated() {
                let ring = c.polygon.map { [$0.longitude, $0.latitude] }
                let json = String(decoding: try JSONSerialization.data(withJSONObject: ring), as: UTF8.self)
                try db.execute(sql: "INSERT INTO cells(id, community, revisit_days, polygon, ord) VALUES (?, ?, ?, ?, ?)",
                               arguments: [c.id, c.community, c.revisitDays, json, i])
            }
        }
    }

    public func registry() async throws -> FleetRegistry {
        try await database.read { db in try FleetStore.loadRegistry(db) }
    }

    static func loadRegistry(_ db: Database) throws -> FleetRegistry {
        var r = FleetRegistry()
        r.formations = try Row.fetchAll(db, sql: "SELECT * FROM formations ORDER BY ord").map {
            Formation(id: $0["id"], name: $0["name"], community: $0["community"], lead: $0["lead"])
        }
        r.pilots = try Row.fetchAll(db, sql: "SELECT * FROM pilots ORDER BY ord").map { row in
            let licence: String = row["licence_class"], expiry: String = row["licence_expiry"]
            guard let lc = LicenceClass(rawValue: licence), let date = CivilDate(parsing: expiry) else {
                throw StoreError(code: .sqlite, message: "pilot \(row["id"] as String) has a corrupt licence in the database")
            }
            return Pilot(id: row["id"], name: row["name"], formation: row["formation"], licenceClass: lc, licenceExpiry: date,
                         maxDutyHoursPerDay: row["max_duty_hours_per_day"], minRestHours: row["min_rest_hours"])
        }
        r.docks = try Row.fetchAll(db, sql: "SELECT * FROM docks ORDER BY ord").map {
            Dock(serial: $0["serial"], name: $0["name"], model: $0["model"], formation: $0["formation"],
                 location: Coordinate(latitude: $0["lat"], longitude: $0["lon"]), altitudeMetres: $0["altitude_m"],
                 firmware: $0["firmware"])
        }
        r.drones = try Row.fetchAll(db, sql: "SELECT * FROM drones ORDER BY ord").map {
            Drone(serial: $0["serial"], name: $0["name"], model: $0["model"], formation: $0["formation"], dock: $0["dock"],
                  firmware: $0["firmware"])
        }
        r.talkgroups = try Row.fetchAll(db, sql: "SELECT * FROM talkgroups ORDER BY ord").map {
            Talkgroup(gssi: $0["gssi"], name: $0["name"])
        }
        r.radios = try Row.fetchAll(db, sql: "SELECT * FROM radios ORDER BY ord").map {
            let groups: String = $0["talkgroups"]
            return Radio(issi: $0["issi"], alias: $0["alias"], person: $0["person"], pilot: $0["pilot"],
                         talkgroups: groups.split(separator: " ").map(String.init))
        }
        r.cells = try Row.fetchAll(db, sql: "SELECT * FROM cells ORDER BY ord").map { row in
            let text: String = row["polygon"]
            let pairs = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[Double]] ?? []
            return GridCell(id: row["id"], community: row["community"],
                            polygon: pairs.map { Coordinate(latitude: $0[1], longitude: $0[0]) }, revisitDays: row["revisit_days"])
        }
        return r
    }

    // MARK: Units and positions

    public func units() async throws -> [UnitSummary] {
        try await database.read { db in
            var state: [String: (kind: UnitKind, lastSeen: Timestamp, position: Position?)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM unit_state") {
                let unit: String = row["unit"]
                let kind = UnitKind(rawValue: row["kind"]) ?? .radio
                var position: Position?
                if let t: Int64 = row["pos_time"] {
                    position = Position(unit: unit, time: Timestamp(milliseconds: t), latitude: row["lat"], longitude: row["lon"],
                                        altitude: row["alt"], speed: row["speed"], heading: row["heading"],
                                        accuracy: row["accuracy"], source: PositionSource(rawValue: row["source"] ?? "") ?? .manual)
                }
                state[unit] = (kind, Timestamp(milliseconds: row["last_seen"]), position)
            }
            var out: [UnitSummary] = []
            func add(_ id: String, _ kind: UnitKind, _ name: String, _ formation: String?) {
                let s = state.removeValue(forKey: id)
                out.append(UnitSummary(id: id, kind: kind, name: name, registered: true, formation: formation,
                                       lastSeen: s?.lastSeen, position: s?.position))
            }
            for row in try Row.fetchAll(db, sql: "SELECT serial, name, formation FROM docks ORDER BY ord") {
                add(row["serial"], .dock, row["name"], row["formation"])
            }
            for row in try Row.fetchAll(db, sql: "SELECT serial, name, formation FROM drones ORDER BY ord") {
                add(row["serial"], .drone, row["name"], row["formation"])
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT r.issi, r.alias, r.person, p.formation FROM radios r LEFT JOIN pilots p ON p.id = r.pilot ORDER BY r.ord
                """) {
                add(row["issi"], .radio, "\(row["alias"] as String) (\(row["person"] as String))", row["formation"])
            }
            for (id, s) in state.sorted(by: { $0.key < $1.key }) {
                out.append(UnitSummary(id: id, kind: s.kind, name: id, registered: false, formation: nil,
                                       lastSeen: s.lastSeen, position: s.position))
            }
            return out
        }
    }

    /// The last known position of every unit that has one (read from `unit_state`, one row per unit).
    public func lastPositions() async throws -> [Position] {
        try await database.read { db in
            var out: [Position] = []
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT unit, pos_time, lat, lon, alt, speed, heading, accuracy, source FROM unit_state WHERE pos_time IS NOT NULL
                """)
            while let r = try cursor.next() {
                out.append(FleetStore.position(unit: r[0], from: r, offset: 1))
            }
            return out
        }
    }

    /// Decodes columns time, lat, lon, alt, speed, heading, accuracy, source starting at `offset`.
    @inline(__always)
    static func position(unit: String, from r: Row, offset i: Int) -> Position {
        let source: String = r[i + 7]
        return Position(unit: unit, time: Timestamp(milliseconds: r[i]), latitude: r[i + 1], longitude: r[i + 2],
                        altitude: r[i + 3], speed: r[i + 4], heading: r[i + 5], accuracy: r[i + 6],
                        source: PositionSource(rawValue: source) ?? .manual)
    }

    /// A unit's positions in `from...to`, oldest first; at most `limit` of them when given.
    public func track(_ q: TrackQuery) async throws -> [Position] {
        let (unit, from, to, limit) = (q.unit, q.from, q.to, q.limit)
        return try await database.read { db in
            var out: [Position] = []
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT time, lat, lon, alt, speed, heading, accuracy, source FROM positions
                WHERE unit = ? AND time >= ? AND time <= ? ORDER BY time LIMIT ?
                """, arguments: [unit, from.milliseconds, to.milliseconds, limit ?? -1])
            while let r = try cursor.next() { out.append(FleetStore.position(unit: unit, from: r, offset: 0)) }
            return out
        }
    }

    // MARK: Voice log

    /// Calls started in `since...until`, newest first, skipping the first `offset`.
    public func voiceLog(_ q: VoiceLogQuery) async throws -> [VoiceCall] {
        let (talkgroup, since, until, limit, offset) = (q.talkgroup, q.since, q.until, q.limit, q.offset)
        return try await database.read { db in
            var sql = "SELECT * FROM voice_calls WHERE 1"
            var args: [(any DatabaseValueConvertible)?] = []
            if let talkgroup { sql += " AND called = ?"; args.append(talkgroup) }
            if let since { sql += " AND start >= ?"; args.append(since.milliseconds) }
            if let until { sql += " AND start <= ?"; args.append(until.milliseconds) }
            sql += " ORDER BY start DESC, id DESC LIMIT ? OFFSET ?"
            args.append(limit)
            args.append(offset)
            let calls = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args))
            return try calls.map { row in
                let id: String = row["id"]
                let talkers = try Row.fetchAll(db, sql: """
                    SELECT talker, start, "end" FROM voice_transmissions WHERE call_id = ? ORDER BY start
                    """, arguments: [id]).map {
                    Transmission(talker: $0["talker"], start: Timestamp(milliseconds: $0["start"]),
                                 end: ($0["end"] as Int64?).map { Timestamp(milliseconds: $0) })
                }
                return VoiceCall(id: id, gateway: row["gateway"], kind: CallKind(rawValue: row["kind"]) ?? .group,
                                 called: row["called"], caller: row["caller"], priority: row["priority"],
                                 emergency: row["emergency"], start: Timestamp(milliseconds: row["start"]),
                                 end: (row["end"] as Int64?).map { Timestamp(milliseconds: $0) }, cause: row["cause"],
                                 transmissions: talkers)
            }
        }
    }

    // MARK: Maintenance, alarms, flight tasks

    /// Latest maintenance telemetry of every dock and aircraft heard.
    public func deviceHealth() async throws -> [DeviceHealth] {
        try await database.read { db in
            try String.fetchAll(db, sql: "SELECT data FROM device_health ORDER BY unit").map { try StoreJSON.decode(DeviceHealth.self, $0) }
        }
    }

    /// One sample of a unit's maintenance figures (now in the model).
    public typealias HealthSample = TianyanModel.HealthSample

    /// A unit's health history in `from...to`, oldest first, at most `limit` samples.
    public func healthHistory(_ q: HealthHistoryQuery) async throws -> [HealthSample] {
        let (unit, from, to, limit) = (q.unit, q.from, q.to, q.limit)
        return try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM health_history WHERE unit = ? AND time >= ? AND time <= ? ORDER BY time LIMIT ?
                """, arguments: [unit, from.milliseconds, to.milliseconds, limit]).map { r in
                HealthSample(time: Timestamp(milliseconds: r["time"]), flightSeconds: r["flight_seconds"], flightCount: r["flight_count"],
                             batteryCycles: r["battery_cycles"], batteryPercent: r["battery_percent"], temperatureCelsius: r["temperature_c"])
            }
        }
    }

    public func maintenanceLog(unit: String?) async throws -> [MaintenanceAction] {
        try await database.read { db in
            var sql = "SELECT * FROM maintenance_log"
            var args: StatementArguments = []
            if let unit { sql += " WHERE unit = ?"; args = [unit] }
            return try Row.fetchAll(db, sql: sql + " ORDER BY time", arguments: args).map { row in
                MaintenanceAction(unit: row["unit"], time: Timestamp(milliseconds: row["time"]),
                                  kind: MaintenanceAction.Kind(rawValue: row["kind"]) ?? .serviced, by: row["by"], note: row["note"],
                                  flightSeconds: row["flight_seconds"])
            }
        }
    }

    /// Alarms with their handling, newest first; `open` keeps only those not cleared.
    public func alarms(_ q: AlarmQuery) async throws -> [HandledAlarm] {
        let (kind, unit, open, limit) = (q.kind, q.unit, q.open, q.limit)
        return try await database.read { db in
            var sql = "SELECT * FROM alarms WHERE 1"
            var args: [(any DatabaseValueConvertible)?] = []
            if let kind { sql += " AND kind = ?"; args.append(kind) }
            if let unit { sql += " AND unit = ?"; args.append(unit) }
            if open { sql += " AND cleared_at IS NULL" }
            sql += " ORDER BY time DESC LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(AlarmHandling.handled)
        }
    }

    /// Flight tasks by last update, newest first, optionally updated within `since...until`.
    public func flightTasks(_ q: FlightTaskQuery) async throws -> [FlightTaskUpdate] {
        let (dock, since, until, limit, offset) = (q.dock, q.since, q.until, q.limit, q.offset)
        return try await database.read { db in
            var sql = "SELECT * FROM flight_tasks WHERE 1"
            var args: [(any DatabaseValueConvertible)?] = []
            if let dock { sql += " AND dock = ?"; args.append(dock) }
            if let since { sql += " AND updated >= ?"; args.append(since.milliseconds) }
            if let until { sql += " AND updated <= ?"; args.append(until.milliseconds) }
            sql += " ORDER BY updated DESC, flight_id DESC LIMIT ? OFFSET ?"
            args.append(limit)
            args.append(offset)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(Self.flightTask)
        }
    }

    static func flightTask(_ row: Row) -> FlightTaskUpdate {
        FlightTaskUpdate(flightID: row["flight_id"], dock: row["dock"], time: Timestamp(milliseconds: row["updated"]),
                         status: FlightTaskStatus(rawValue: row["status"]), percent: row["percent"], step: row["step"], waypointIndex: row["waypoint_index"],
                         mediaCount: row["media_count"], trackID: row["track_id"], resultCode: row["result_code"],
                         resultText: row["result_text"])
    }

    public func commands(_ q: CommandQuery) async throws -> [CommandRecord] {
        let (unit, limit) = (q.unit, q.limit)
        return try await database.read { db in
            var sql = "SELECT * FROM commands"
            var args: [(any DatabaseValueConvertible)?] = []
            if let unit { sql += " WHERE unit = ?"; args.append(unit) }
            sql += " ORDER BY requested_at DESC LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { row in
                CommandRecord(id: row["id"], unit: row["unit"], method: row["method"], data: row["data"], requestedBy: row["requested_by"],
                              requestedAt: Timestamp(milliseconds: row["requested_at"]),
                              outcome: CommandOutcome(rawValue: row["outcome"]) ?? .pending, resultCode: row["result_code"],
                              resultText: row["result_text"], completedAt: (row["completed_at"] as Int64?).map { Timestamp(milliseconds: $0) })
            }
        }
    }

    /// Audit entries, newest first, optionally by one actor or action and within `since...until`.
    public func audit(_ q: AuditQuery) async throws -> [AuditEntry] {
        let (actor, action, since, until, limit, offset) = (q.actor, q.action, q.since, q.until, q.limit, q.offset)
        return try await database.read { db in
            var sql = "SELECT * FROM audit WHERE 1"
            var args: [(any DatabaseValueConvertible)?] = []
            if let actor { sql += " AND actor = ?"; args.append(actor) }
            if let action { sql += " AND action = ?"; args.append(action) }
            if let since { sql += " AND time >= ?"; args.append(since.milliseconds) }
            if let until { sql += " AND time <= ?"; args.append(until.milliseconds) }
            sql += " ORDER BY id DESC LIMIT ? OFFSET ?"
            args.append(limit)
            args.append(offset)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { row in
                AuditEntry(time: Timestamp(milliseconds: row["time"]), actor: row["actor"], action: row["action"],
                           target: row["target"], outcome: row["outcome"], detail: row["detail"])
            }
        }
    }

    // MARK: Pages and radio messages

    /// Pages, newest first; `destination` keeps those to one ISSI or GSSI.
    public func pages(_ q: PageQuery) async throws -> [Page] {
        let (destination, since, limit) = (q.destination, q.since, q.limit)
        return try await database.read { db in
            var sql = "SELECT * FROM pages WHERE 1"
            var args: [(any DatabaseValueConvertible)?] = []
            if let destination { sql += " AND destination = ?"; args.append(destination) }
            if let since { sql += " AND requested_at >= ?"; args.append(since.milliseconds) }
            sql += " ORDER BY requested_at DESC, id DESC LIMIT ?"
            args.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map(Self.page)
        }
    }

    public func page(id: String) async throws -> Page? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM pages WHERE id = ?", arguments: [id]).map(Self.page)
        }
    }

    private static func page(_ row: Row) throws -> Page {
        Page(id: row["id"], gateway: row["gateway"], destination: row["destination"],
             target: Page.Target(rawValue: row["target"]) ?? .radio, text: row["text"], status: row["status"],
             requestedBy: row["requested_by"],
             requestedAt: Timestamp(milliseconds: row["requested_at"]), state: try Self.pageState(row["state"]),
             history: try StoreJSON.decode([PageStep].self, row["history"]))
    }

    private static func pageState(_ text: String) throws -> PageState {
        guard let state = PageState(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown page state \(text.prefix(40))"))
        }
        return state
    }

    /// Status and text messages from radios, newest first.
    public func radioMessages(_ q: RadioMessageQuery) async throws -> [RadioMessage] {
        let (unit, since, until, limit, offset) = (q.unit, q.since, q.until, q.limit, q.offset)
        return try await database.read { db in
            var sql = "SELECT * FROM radio_messages WHERE 1"
            var args: [(any DatabaseValueConvertible)?] = []
            if let unit { sql += " AND unit = ?"; args.append(unit) }
            if let since { sql += " AND time >= ?"; args.append(since.milliseconds) }
            if let until { sql += " AND time <= ?"; args.append(until.milliseconds) }
            sql += " ORDER BY time DESC, id DESC LIMIT ? OFFSET ?"
            args.append(limit)
            args.append(offset)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { row in
                RadioMessage(gateway: row["gateway"], unit: row["unit"], time: Timestamp(milliseconds: row["time"]),
                             kind: RadioMessage.Kind(rawValue: row["kind"]) ?? .text, status: row["status"],
                             meaning: row["meaning"], text: row["text"], called: row["called"])
            }
        }
    }

    /// Row counts per table, for `fleet list` and health.
    public func counts() async throws -> [String: Int] {
        try await database.read { db in
            var out: [String: Int] = [:]
            for t in ["formations", "pilots", "docks", "drones", "talkgroups", "radios", "cells", "positions", "voice_calls", "alarms", "commands", "audit", "device_health", "flight_tasks", "pages", "radio_messages"] {
                out[t] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(t)") ?? 0
            }
            return out
        }
    }

    /// `database` when the file cannot be read; the path as a field. (The writer's own state,
    /// pending rows and failing commits, is the writer's to report.)
    public var health: ComponentHealth {
        get async {
            do {
                _ = try await counts()
                return ComponentHealth(fields: ["database": .string("ok"), "path": .string(database.path)])
            } catch {
                return ComponentHealth(problems: ["database"], fields: ["database": .string("failed: \(error)"), "path": .string(database.path)])
            }
        }
    }
}
