import Foundation
import Logging
import PostgresNIO
import TianyanModel

/// Every store port over PostgreSQL: the reads, and the few writes that are not records (the
/// registry import, alarm handling, user accounts), each one transaction with its audit line.
/// Records are written by `PostgresCommitter` through the shared `RecordWriter`.
public struct PostgresStore: FleetStorage {
    public let database: PostgresStoreDatabase

    public init(database: PostgresStoreDatabase) { self.database = database }

    // MARK: Registry

    public func replaceRegistry(_ r: FleetRegistry) async throws {
        let logger = database.logger
        try await database.transaction { c in
            try await c.query("TRUNCATE radios, talkgroups, drones, docks, pilots, formations, cells", logger: logger)
            for (i, f) in r.formations.enumerated() {
                try await c.query("INSERT INTO formations(id, name, community, lead, ord) VALUES (\(f.id), \(f.name), \(f.community), \(f.lead), \(i))",
                                  logger: logger)
            }
            for (i, p) in r.pilots.enumerated() {
                try await c.query("""
                    INSERT INTO pilots(id, name, formation, licence_class, licence_expiry, max_duty_hours_per_day, min_rest_hours, ord)
                    VALUES (\(p.id), \(p.name), \(p.formation), \(p.licenceClass.rawValue), \(p.licenceExpiry.description),
                            \(p.maxDutyHoursPerDay), \(p.minRestHours), \(i))
                    """, logger: logger)
            }
            for (i, d) in r.docks.enumerated() {
                try await c.query("""
                    INSERT INTO docks(serial, name, model, formation, lat, lon, altitude_m, firmware, ord)
                    VALUES (\(d.serial), \(d.name), \(d.model), \(d.formation), \(d.location.latitude), \(d.location.longitude),
                            \(d.altitudeMetres), \(d.firmware), \(i))
                    """, logger: logger)
            }
            for (i, d) in r.drones.enumerated() {
                try await c.query("""
                    INSERT INTO drones(serial, name, model, formation, dock, firmware, ord)
                    VALUES (\(d.serial), \(d.name), \(d.model), \(d.formation), \(d.dock), \(d.firmware), \(i))
                    """, logger: logger)
            }
            for (i, t) in r.talkgroups.enumerated() {
                try await c.query("INSERT INTO talkgroups(gssi, name, ord) VALUES (\(t.gssi), \(t.name), \(i))", logger: logger)
            }
            for (i, radio) in r.radios.enumerated() {
                try await c.query("""
                    INSERT INTO radios(issi, alias, person, pilot, talkgroups, ord)
                    VALUES (\(radio.issi), \(radio.alias), \(radio.person), \(radio.pilot), \(radio.talkgroups.joined(separator: " ")), \(i))
                    """, logger: logger)
            }
            for (i, cell) in r.cells.enumerated() {
                let ring = try StoreJSON.encode(cell.polygon.map { [$0.longitude, $0.latitude] })
                try await c.query("""
                    INSERT INTO cells(id, community, revisit_days, polygon, ord)
                    VALUES (\(cell.id), \(cell.community), \(cell.revisitDays), \(ring)::jsonb, \(i))
                    """, logger: logger)
            }
        }
    }

    public func registry() async throws -> FleetRegistry {
        var r = FleetRegistry()
        r.formations = try await database.rows("SELECT id, name, community, lead FROM formations ORDER BY ord") {
            Formation(id: try $0.get("id"), name: try $0.get("name"), community: try $0.get("community"), lead: try $0.get("lead"))
        }
        r.pilots = try await database.rows("SELECT * FROM pilots ORDER BY ord") { row in
            let id: String = try row.get("id"), licence: String = try row.get("licence_class"), expiry: String = try row.get("licence_expiry")
            guard let lc = LicenceClass(rawValue: licence), let date = CivilDate(parsing: expiry) else {
                throw DispatchError.unavailable("pilot \(id) has a corrupt licence in the database")
            }
            return Pilot(id: id, name: try row.get("name"), formation: try row.get("formation"), licenceClass: lc, licenceExpiry: date,
                         maxDutyHoursPerDay: try row.get("max_duty_hours_per_day"), minRestHours: try row.get("min_rest_hours"))
        }
        r.docks = try await database.rows("SELECT * FROM docks ORDER BY ord") {
            Dock(serial: try $0.get("serial"), name: try $0.get("name"), model: try $0.get("model"), formation: try $0.get("formation"),
                 location: Coordinate(latitude: try $0.get("lat"), longitude: try $0.get("lon")), altitudeMetres: try $0.get("altitude_m"),
                 firmware: try $0.get("firmware"))
        }
        r.drones = try await database.rows("SELECT * FROM drones ORDER BY ord") {
            Drone(serial: try $0.get("serial"), name: try $0.get("name"), model: try $0.get("model"), formation: try $0.get("formation"),
                  dock: try $0.get("dock"), firmware: try $0.get("firmware"))
        }
        r.talkgroups = try await database.rows("SELECT gssi, name FROM talkgroups ORDER BY ord") {
            Talkgroup(gssi: try $0.get("gssi"), name: try $0.get("name"))
        }
        r.radios = try await database.rows("SELECT * FROM radios ORDER BY ord") {
            let groups: String = try $0.get("talkgroups")
            return Radio(issi: try $0.get("issi"), alias: try $0.get("alias"), person: try $0.get("person"), pilot: try $0.get("pilot"),
                         talkgroups: groups.split(separator: " ").map(String.init))
        }
        r.cells = try await database.rows("SELECT id, community, revisit_days, polygon::text AS polygon FROM cells ORDER BY ord") { row in
            let pairs = try StoreJSON.decode([[Double]].self, try row.get("polygon"))
            return GridCell(id: try row.get("id"), community: try row.get("community"),
                            polygon: pairs.map { Coordinate(latitude: $0[1], longitude: $0[0]) }, revisitDays: try row.get("revisit_days"))
        }
        return r
    }

    // MARK: Units and positions

    static let positionColumns = "time, lat, lon, alt, speed, heading, accuracy, source"

    /// Decodes the columns of `positionColumns`.
    static func position(unit: String, _ r: PostgresRandomAccessRow, timeColumn: String = "time") throws -> Position {
        let source: String = try r.get("source")
        return Position(unit: unit, time: try r.get(timeColumn), latitude: try r.get("lat"), longitude: try r.get("lon"),
                        altitude: try r.get("alt"), speed: try r.get("speed"), heading: try r.get("heading"),
                        accuracy: try r.get("accuracy"), source: PositionSource(rawValue: source) ?? .manual)
    }

    public func units() async throws -> [UnitSummary] {
        var state: [String: (kind: UnitKind, lastSeen: Timestamp, position: Position?)] = [:]
        let rows = try await database.rows("SELECT * FROM unit_state") { r -> (String, UnitKind, Timestamp, Position?) in
            let unit: String = try r.get("unit")
            let kind = UnitKind(rawValue: try r.get("kind")) ?? .radio
            let at: Timestamp? = try r.get("pos_time")
            return (unit, kind, try r.get("last_seen"), try at.map { _ in try Self.position(unit: unit, r, timeColumn: "pos_time") })
        }
        for (unit, kind, seen, position) in rows { state[unit] = (kind, seen, position) }
        var out: [UnitSummary] = []
        func add(_ id: String, _ kind: UnitKind, _ name: String, _ formation: String?) {
            let s = state.removeValue(forKey: id)
            out.append(UnitSummary(id: id, kind: kind, name: name, registered: true, formation: formation,
                                   lastSeen: s?.lastSeen, position: s?.position))
        }
        for (serial, name, formation) in try await database.rows("SELECT serial, name, formation FROM docks ORDER BY ord", {
            (try $0.get("serial") as String, try $0.get("name") as String, try $0.get("formation") as String)
        }) { add(serial, .dock, name, formation) }
        for (serial, name, formation) in try await database.rows("SELECT serial, name, formation FROM drones ORDER BY ord", {
            (try $0.get("serial") as String, try $0.get("name") as String, try $0.get("formation") as String)
        }) { add(serial, .drone, name, formation) }
        for (issi, name, formation) in try await database.rows("""
            SELECT r.issi, r.alias, r.person, p.formation FROM radios r LEFT JOIN pilots p ON p.id = r.pilot ORDER BY r.ord
            """, {
            (try $0.get("issi") as String, "\(try $0.get("alias") as String) (\(try $0.get("person") as String))", try $0.get("formation") as String?)
        }) { add(issi, .radio, name, formation) }
        for (id, s) in state.sorted(by: { $0.key < $1.key }) {
            out.append(UnitSummary(id: id, kind: s.kind, name: id, registered: false, formation: nil, lastSeen: s.lastSeen, position: s.position))
        }
        return out
    }

    /// One row of arrays (column-wise, decoded in bulk: 5,000 rows decoded one by one cost
    /// several times the query); NaN stands for no value.
    public func lastPositions() async throws -> [Position] {
        let rows = try await database.rawRows("""
            SELECT array_agg(unit), array_agg(pos_time), array_agg(lat), array_agg(lon), array_agg(COALESCE(alt, 'NaN')),
                   array_agg(COALESCE(speed, 'NaN')), array_agg(COALESCE(heading, 'NaN')), array_agg(COALESCE(accuracy, 'NaN')),
                   array_agg(COALESCE(source, ''))
            FROM unit_state WHERE pos_time IS NOT NULL
            """) { row in
            try row.decode(([String]?, [Timestamp]?, [Double]?, [Double]?, [Double]?, [Double]?, [Double]?, [Double]?, [String]?).self)
        }
        guard let r = rows.first, let units = r.0, let times = r.1, let lats = r.2, let lons = r.3, let alts = r.4, let speeds = r.5,
              let headings = r.6, let accuracies = r.7, let sources = r.8 else { return [] }
        func value(_ v: Double) -> Double? { v.isNaN ? nil : v }
        return units.indices.map { i in
            Position(unit: units[i], time: times[i], latitude: lats[i], longitude: lons[i], altitude: value(alts[i]), speed: value(speeds[i]),
                     heading: value(headings[i]), accuracy: value(accuracies[i]), source: PositionSource(rawValue: sources[i]) ?? .manual)
        }
    }

    /// A row of (unit, time, lat, lon, alt, speed, heading, accuracy, source), decoded by position.
    @inline(__always)
    static func position(_ row: PostgresRow) throws -> Position {
        let (unit, time, lat, lon, alt, speed, heading, accuracy, source) = try row.decode(
            (String, Timestamp, Double, Double, Double?, Double?, Double?, Double?, String).self)
        return Position(unit: unit, time: time, latitude: lat, longitude: lon, altitude: alt, speed: speed, heading: heading,
                        accuracy: accuracy, source: PositionSource(rawValue: source) ?? .manual)
    }

    public func track(_ q: TrackQuery) async throws -> [Position] {
        var sql = SQL("SELECT unit, \(Self.positionColumns) FROM positions WHERE true")
        sql.append(" AND unit = ", q.unit)
        sql.append(" AND time >= ", q.from)
        sql.append(" AND time <= ", q.to)
        sql.append(" ORDER BY time")
        if let limit = q.limit { sql.append(" LIMIT ", limit) }
        return try await database.rawRows(sql.query) { try Self.position($0) }
    }

    // MARK: Voice log and radio messages

    public func voiceLog(_ q: VoiceLogQuery) async throws -> [VoiceCall] {
        var sql = SQL("SELECT * FROM voice_calls WHERE true")
        if let v = q.talkgroup { sql.append(" AND called = ", v) }
        if let v = q.since { sql.append(" AND start >= ", v) }
        if let v = q.until { sql.append(" AND start <= ", v) }
        sql.append(" ORDER BY start DESC, id DESC LIMIT ", q.limit); sql.append(" OFFSET ", q.offset)
        var calls = try await database.rows(sql.query) { row in
            VoiceCall(id: try row.get("id"), gateway: try row.get("gateway"), kind: CallKind(rawValue: try row.get("kind")) ?? .group,
                      called: try row.get("called"), caller: try row.get("caller"), priority: try row.get("priority"),
                      emergency: try row.get("emergency"), start: try row.get("start"), end: try row.get("end"), cause: try row.get("cause"),
                      transmissions: [])
        }
        guard !calls.isEmpty else { return calls }
        let ids = calls.map(\.id)
        let transmissions = try await database.rows("""
            SELECT call_id, talker, start, "end" FROM voice_transmissions WHERE call_id = ANY(\(ids)) ORDER BY start
            """) { (try $0.get("call_id") as String, Transmission(talker: try $0.get("talker"), start: try $0.get("start"), end: try $0.get("end"))) }
        let byCall = Dictionary(grouping: transmissions, by: \.0)
        for i in calls.indices { calls[i].transmissions = byCall[calls[i].id]?.map(\.1) ?? [] }
        return calls
    }

    public func radioMessages(_ q: RadioMessageQuery) async throws -> [RadioMessage] {
        var sql = SQL("SELECT * FROM radio_messages WHERE true")
        if let v = q.unit { sql.append(" AND unit = ", v) }
        if let v = q.since { sql.append(" AND time >= ", v) }
        if let v = q.until { sql.append(" AND time <= ", v) }
        sql.append(" ORDER BY time DESC, id DESC LIMIT ", q.limit); sql.append(" OFFSET ", q.offset)
        return try await database.rows(sql.query) { row in
            RadioMessage(gateway: try row.get("gateway"), unit: try row.get("unit"), time: try row.get("time"),
                         kind: RadioMessage.Kind(rawValue: try row.get("kind")) ?? .text, status: try row.get("status"),
                         meaning: try row.get("meaning"), text: try row.get("text"), called: try row.get("called"))
        }
    }

    // MARK: Pages

    static let pageColumns = "id, gateway, destination, target, text, status, requested_by, requested_at, state, history::text AS history"

    public func pages(_ q: PageQuery) async throws -> [Page] {
        var sql = SQL("SELECT \(Self.pageColumns) FROM pages WHERE true")
        if let v = q.destination { sql.append(" AND destination = ", v) }
        if let v = q.since { sql.append(" AND requested_at >= ", v) }
        sql.append(" ORDER BY requested_at DESC, id DESC LIMIT ", q.limit)
        return try await database.rows(sql.query, Self.page)
    }

    public func page(id: String) async throws -> Page? {
        try await database.rows("SELECT \(unescaped: Self.pageColumns) FROM pages WHERE id = \(id)", Self.page).first
    }

    static func page(_ row: PostgresRandomAccessRow) throws -> Page {
        let stateText: String = try row.get("state")
        guard let state = PageState(rawValue: stateText) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown page state \(stateText.prefix(40))"))
        }
        return Page(id: try row.get("id"), gateway: try row.get("gateway"), destination: try row.get("destination"),
                    target: Page.Target(rawValue: try row.get("target")) ?? .radio, text: try row.get("text"), status: try row.get("status"),
                    requestedBy: try row.get("requested_by"), requestedAt: try row.get("requested_at"), state: state,
                    history: try StoreJSON.decode([PageStep].self, try row.get("history")))
    }

    // MARK: Alarms

    public func alarms(_ q: AlarmQuery) async throws -> [HandledAlarm] {
        var sql = SQL("SELECT * FROM alarms WHERE true")
        if let v = q.kind { sql.append(" AND kind = ", v) }
        if let v = q.unit { sql.append(" AND unit = ", v) }
        if q.open { sql.append(" AND cleared_at IS NULL") }
        sql.append(" ORDER BY time DESC LIMIT ", q.limit)
        return try await database.rows(sql.query, Self.handledAlarm)
    }

    public func handledAlarm(id: String) async throws -> HandledAlarm? {
        try await database.rows("SELECT * FROM alarms WHERE id = \(id)", Self.handledAlarm).first
    }

    static func handledAlarm(_ row: PostgresRandomAccessRow) throws -> HandledAlarm {
        HandledAlarm(alarm: Alarm(id: try row.get("id"), unit: try row.get("unit"), time: try row.get("time"), kind: try row.get("kind"),
                                  severity: AlarmSeverity(rawValue: try row.get("severity")) ?? .warning, code: try row.get("code"),
                                  text: try row.get("text"), clearedAt: try row.get("cleared_at")),
                     acknowledgedAt: try row.get("acknowledged_at"), acknowledgedBy: try row.get("acknowledged_by"),
                     clearedBy: try row.get("cleared_by"), note: try row.get("note"))
    }

    public func acknowledgeAlarm(_ id: String, by user: String, note: String?, at time: Timestamp) async throws -> HandledAlarm {
        try await changeAlarm(id, by: user, action: "alarm ack", note: note) { c, logger in
            try await c.query("""
                UPDATE alarms SET acknowledged_at = COALESCE(acknowledged_at, \(time)), acknowledged_by = COALESCE(acknowledged_by, \(user)),
                    note = COALESCE(\(note), note) WHERE id = \(id)
                """, logger: logger)
        }
    }

    public func clearAlarm(_ id: String, by user: String, note: String, at time: Timestamp) async throws -> HandledAlarm {
        try await changeAlarm(id, by: user, action: "alarm clear", note: note) { c, logger in
            try await c.query("""
                UPDATE alarms SET cleared_at = \(time), cleared_by = \(user), note = \(note),
                    acknowledged_at = COALESCE(acknowledged_at, \(time)), acknowledged_by = COALESCE(acknowledged_by, \(user)) WHERE id = \(id)
                """, logger: logger)
        }
    }

    private func changeAlarm(_ id: String, by user: String, action: String, note: String?,
                             _ update: @escaping @Sendable (PostgresConnection, Logger) async throws -> Void) async throws -> HandledAlarm {
        let logger = database.logger
        return try await database.transaction { c in
            guard let before = try await Self.rows(c, "SELECT * FROM alarms WHERE id = \(id) FOR UPDATE", logger, Self.handledAlarm).first else {
                throw DispatchError.notFound("no alarm \(id)")
            }
            guard before.alarm.clearedAt == nil else { throw DispatchError.conflict("alarm \(id) is already cleared") }
            try await update(c, logger)
            try await Self.audit(c, logger, actor: user, action: action, target: id, detail: note)
            return try await Self.rows(c, "SELECT * FROM alarms WHERE id = \(id)", logger, Self.handledAlarm)[0]
        }
    }

    // MARK: Audit

    public func audit(_ q: AuditQuery) async throws -> [AuditEntry] {
        var sql = SQL("SELECT * FROM audit WHERE true")
        if let v = q.actor { sql.append(" AND actor = ", v) }
        if let v = q.action { sql.append(" AND action = ", v) }
        if let v = q.since { sql.append(" AND time >= ", v) }
        if let v = q.until { sql.append(" AND time <= ", v) }
        sql.append(" ORDER BY id DESC LIMIT ", q.limit); sql.append(" OFFSET ", q.offset)
        return try await database.rows(sql.query) { row in
            AuditEntry(time: try row.get("time"), actor: try row.get("actor"), action: try row.get("action"), target: try row.get("target"),
                       outcome: try row.get("outcome"), detail: try row.get("detail"))
        }
    }

    static func audit(_ c: PostgresConnection, _ logger: Logger, actor: String, action: String, target: String, detail: String?) async throws {
        try await c.query("""
            INSERT INTO audit(time, actor, action, target, outcome, detail) VALUES (\(Timestamp.now()), \(actor), \(action), \(target), 'ok', \(detail))
            """, logger: logger)
    }

    // MARK: Users

    public func addUser(name: String, role: String, passwordHash: String, by actor: String) async throws {
        let logger = database.logger
        try await database.transaction { c in
            let inserted = try await Self.rows(c, """
                INSERT INTO users(name, role, password_hash, created, disabled) VALUES (\(name), \(role), \(passwordHash), \(Timestamp.now()), false)
                ON CONFLICT (name) DO NOTHING RETURNING name
                """, logger) { try $0.get("name") as String }
            guard !inserted.isEmpty else {
                throw DispatchError.conflict("user \(name) exists; use `tianyan users passwd \(name)` to change the password")
            }
            try await Self.audit(c, logger, actor: actor, action: "user add", target: name, detail: "role \(role)")
        }
    }

    public func setPasswordHash(name: String, passwordHash: String, by actor: String) async throws {
        let logger = database.logger
        try await database.transaction { c in
            let changed = try await Self.rows(c, "UPDATE users SET password_hash = \(passwordHash) WHERE name = \(name) RETURNING name", logger) {
                try $0.get("name") as String
            }
            guard !changed.isEmpty else { throw Self.unknownUser(name) }
            try await Self.audit(c, logger, actor: actor, action: "user passwd", target: name, detail: nil)
        }
    }

    @discardableResult
    public func setDisabled(name: String, _ disabled: Bool, by actor: String) async throws -> Bool {
        let logger = database.logger
        return try await database.transaction { c in
            guard let current = try await Self.rows(c, "SELECT disabled FROM users WHERE name = \(name) FOR UPDATE", logger, {
                try $0.get("disabled") as Bool
            }).first else { throw Self.unknownUser(name) }
            if current != disabled { try await c.query("UPDATE users SET disabled = \(disabled) WHERE name = \(name)", logger: logger) }
            try await Self.audit(c, logger, actor: actor, action: disabled ? "user disable" : "user enable", target: name,
                                 detail: current == disabled ? (disabled ? "already disabled" : "already enabled") : nil)
            return current != disabled
        }
    }

    static func unknownUser(_ name: String) -> DispatchError { .notFound("no user \(name); `tianyan users list` shows them") }

    public func users() async throws -> [UserAccount] {
        try await database.rows("SELECT * FROM users ORDER BY name", Self.user)
    }

    public func user(named name: String) async throws -> UserAccount? {
        try await database.rows("SELECT * FROM users WHERE name = \(name)", Self.user).first
    }

    static func user(_ r: PostgresRandomAccessRow) throws -> UserAccount {
        UserAccount(name: try r.get("name"), role: try r.get("role"), created: try r.get("created"), disabled: try r.get("disabled"),
                    passwordHash: try r.get("password_hash"))
    }

    // MARK: Tasks

    public func tasks(_ q: TaskQuery) async throws -> [DispatchTask] {
        var sql = SQL("SELECT data::text AS data FROM dispatch_tasks WHERE true")
        if let states = q.states { sql.append(" AND state = ANY(", states.map(\.rawValue).sorted()); sql.append(")") }
        if let v = q.team { sql.append(" AND team = ", v) }
        if let v = q.since { sql.append(" AND created_at >= ", v) }
        if let v = q.until { sql.append(" AND created_at <= ", v) }
        sql.append(" ORDER BY created_at DESC, id DESC LIMIT ", q.limit); sql.append(" OFFSET ", q.offset)
        return try await database.rows(sql.query, Self.task)
    }

    public func task(id: String) async throws -> DispatchTask? {
        try await database.rows("SELECT data::text AS data FROM dispatch_tasks WHERE id = \(id)", Self.task).first
    }

    public func unfinishedTasks() async throws -> [DispatchTask] {
        try await database.rows("SELECT data::text AS data FROM dispatch_tasks WHERE state NOT IN ('done', 'canceled') ORDER BY created_at", Self.task)
    }

    public func tasksTouching(from: Timestamp, to: Timestamp) async throws -> [DispatchTask] {
        try await database.rows("""
            SELECT data::text AS data FROM dispatch_tasks WHERE (created_at BETWEEN \(from) AND \(to)) OR (closed_at BETWEEN \(from) AND \(to))
            """, Self.task)
    }

    static func task(_ r: PostgresRandomAccessRow) throws -> DispatchTask { try StoreJSON.decode(DispatchTask.self, try r.get("data")) }

    // MARK: Sorties and coverage

    static let sortieColumns = """
        id, drone, dock, pilot, formation, cells::text AS cells, start, "end", state, urgent, part, parts, route::text AS route, percent,
        history::text AS history
        """

    public func sorties(_ q: SortieQuery) async throws -> [SortieRecord] {
        var sql = SQL("SELECT \(Self.sortieColumns) FROM sorties WHERE true")
        if let v = q.from { sql.append(" AND \"end\" > ", v) }
        if let v = q.to { sql.append(" AND start < ", v) }
        if let states = q.states { sql.append(" AND state = ANY(", states.map(\.rawValue).sorted()); sql.append(")") }
        if let v = q.drone { sql.append(" AND drone = ", v) }
        sql.append(" ORDER BY start, id LIMIT ", q.limit)
        return try await database.rows(sql.query, Self.sortie)
    }

    public func sortie(id: String) async throws -> SortieRecord? {
        try await database.rows("SELECT \(unescaped: Self.sortieColumns) FROM sorties WHERE id = \(id)", Self.sortie).first
    }

    static func sortie(_ row: PostgresRandomAccessRow) throws -> SortieRecord {
        SortieRecord(id: try row.get("id"), drone: try row.get("drone"), dock: try row.get("dock"), pilot: try row.get("pilot"),
                     formation: try row.get("formation"), cells: try StoreJSON.decode([String].self, try row.get("cells")),
                     start: try row.get("start"), end: try row.get("end"), state: SortieState(rawValue: try row.get("state")) ?? .failed,
                     urgent: try row.get("urgent"), part: try row.get("part"), parts: try row.get("parts"),
                     route: try StoreJSON.decode(SortieRoute.self, try row.get("route")), percent: try row.get("percent"),
                     history: try StoreJSON.decode([SortieStep].self, try row.get("history")))
    }

    public func coverage() async throws -> [CellCoverageRecord] {
        try await database.rows("SELECT * FROM cell_coverage ORDER BY cell") { row in
            CellCoverageRecord(cell: try row.get("cell"), lastCovered: try row.get("last_covered"), lastFraction: try row.get("last_fraction"),
                               lastSortie: try row.get("last_sortie"), lastFlown: try row.get("last_flown"))
        }
    }

    // MARK: Flight tasks and commands

    public func flightTasks(_ q: FlightTaskQuery) async throws -> [FlightTaskUpdate] {
        var sql = SQL("SELECT * FROM flight_tasks WHERE true")
        if let v = q.dock { sql.append(" AND dock = ", v) }
        if let v = q.since { sql.append(" AND updated >= ", v) }
        if let v = q.until { sql.append(" AND updated <= ", v) }
        sql.append(" ORDER BY updated DESC, flight_id DESC LIMIT ", q.limit); sql.append(" OFFSET ", q.offset)
        return try await database.rows(sql.query, Self.flightTask)
    }

    public func flightTasks(ids: [String]) async throws -> [String: FlightTaskUpdate] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await database.rows("SELECT * FROM flight_tasks WHERE flight_id = ANY(\(ids))", Self.flightTask)
        return Dictionary(rows.map { ($0.flightID, $0) }, uniquingKeysWith: { a, _ in a })
    }

    static func flightTask(_ row: PostgresRandomAccessRow) throws -> FlightTaskUpdate {
        FlightTaskUpdate(flightID: try row.get("flight_id"), dock: try row.get("dock"), time: try row.get("updated"),
                         status: FlightTaskStatus(rawValue: try row.get("status")), percent: try row.get("percent"), step: try row.get("step"),
                         waypointIndex: try row.get("waypoint_index"), mediaCount: try row.get("media_count"), trackID: try row.get("track_id"),
                         resultCode: try row.get("result_code"), resultText: try row.get("result_text"))
    }

    public func commands(_ q: CommandQuery) async throws -> [CommandRecord] {
        var sql = SQL("SELECT * FROM commands")
        if let v = q.unit { sql.append(" WHERE unit = ", v) }
        sql.append(" ORDER BY requested_at DESC LIMIT ", q.limit)
        return try await database.rows(sql.query) { row in
            CommandRecord(id: try row.get("id"), unit: try row.get("unit"), method: try row.get("method"), data: try row.get("data"),
                          requestedBy: try row.get("requested_by"), requestedAt: try row.get("requested_at"),
                          outcome: CommandOutcome(rawValue: try row.get("outcome")) ?? .pending, resultCode: try row.get("result_code"),
                          resultText: try row.get("result_text"), completedAt: try row.get("completed_at"))
        }
    }

    // MARK: Maintenance

    public func deviceHealth() async throws -> [DeviceHealth] {
        try await database.rows("SELECT data::text AS data FROM device_health ORDER BY unit") {
            try StoreJSON.decode(DeviceHealth.self, try $0.get("data"))
        }
    }

    public func healthHistory(_ q: HealthHistoryQuery) async throws -> [HealthSample] {
        try await database.rows("""
            SELECT * FROM health_history WHERE unit = \(q.unit) AND time >= \(q.from) AND time <= \(q.to) ORDER BY time LIMIT \(q.limit)
            """) { r in
            HealthSample(time: try r.get("time"), flightSeconds: try r.get("flight_seconds"), flightCount: try r.get("flight_count"),
                         batteryCycles: try r.get("battery_cycles"), batteryPercent: try r.get("battery_percent"),
                         temperatureCelsius: try r.get("temperature_c"))
        }
    }

    public func maintenanceLog(unit: String?) async throws -> [MaintenanceAction] {
        var sql = SQL("SELECT * FROM maintenance_log")
        if let unit { sql.append(" WHERE unit = ", unit) }
        sql.append(" ORDER BY time")
        return try await database.rows(sql.query) { row in
            MaintenanceAction(unit: try row.get("unit"), time: try row.get("time"),
                              kind: MaintenanceAction.Kind(rawValue: try row.get("kind")) ?? .serviced, by: try row.get("by"),
                              note: try row.get("note"), flightSeconds: try row.get("flight_seconds"))
        }
    }

    // MARK: Status

    static let countedTables = ["formations", "pilots", "docks", "drones", "talkgroups", "radios", "cells", "positions", "voice_calls", "alarms",
                                "commands", "audit", "device_health", "flight_tasks", "pages", "radio_messages"]

    public func counts() async throws -> [String: Int] {
        let select = Self.countedTables.map { "(SELECT count(*) FROM \($0)) AS \($0)" }.joined(separator: ", ")
        let rows = try await database.rows(PostgresQuery(unsafeSQL: "SELECT \(select)")) { r in
            try Self.countedTables.map { ($0, Int(try r.get($0) as Int64)) }
        }
        return Dictionary(uniqueKeysWithValues: rows.first ?? [])
    }

    /// `database` when the server does not answer; the URL (without its password) as a field.
    public var health: ComponentHealth {
        get async {
            let url = database.location.description
            do {
                _ = try await PostgresStoreDatabase.within(.seconds(5), what: "asking \(url)") {
                    try await database.rows("SELECT 1 AS one") { try $0.get("one") as Int }
                }
                return ComponentHealth(fields: ["database": .string("ok"), "path": .string(url), "backend": .string("postgresql")])
            } catch {
                return ComponentHealth(problems: ["database"], fields: ["database": .string("failed: \(error)"), "path": .string(url),
                                                                        "backend": .string("postgresql")])
            }
        }
    }

    /// Rows of a query on a connection already held (inside a transaction).
    static func rows<T>(_ c: PostgresConnection, _ query: PostgresQuery, _ logger: Logger,
                        _ row: (PostgresRandomAccessRow) throws -> T) async throws -> [T] {
        var out: [T] = []
        for try await r in try await c.query(query, logger: logger) { out.append(try row(PostgresRandomAccessRow(r))) }
        return out
    }
}

/// A query built a clause at a time: values become `$n` binds, never SQL text.
struct SQL {
    var text: String
    var binds = PostgresBindings()

    init(_ text: String) { self.text = text }

    mutating func append(_ more: String) { text += more }

    /// Appends `clause` followed by a placeholder bound to `value`.
    mutating func append<T: PostgresDynamicTypeEncodable>(_ clause: String, _ value: T) {
        binds.append(value)
        text += clause + "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: text, binds: binds) }
}

extension PostgresRandomAccessRow {
    func get<T: PostgresDecodable>(_ column: String, as: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }
}
