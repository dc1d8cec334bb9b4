import GRDB
import GRDBSQLite
import RecordWriter
import TianyanModel

/// Writes one batch of records inside an open transaction. Positions go through a reused
/// prepared statement bound with SQLite's C API (the hot path); the rest through GRDB.
struct BatchWriter: Sendable {
    /// Latest state per unit, folded into `unit_state` when `flushUnitState` is called.
    var pendingUnitState = UnitStateFold()

    /// The health history keeps one sample per unit per this many milliseconds.
    static let healthSampleMilliseconds: Int64 = 600_000

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    mutating func write(_ records: ArraySlice<StoreRecord>, into db: Database) throws {
        let insertPosition = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO positions(unit, time, lat, lon, alt, speed, heading, accuracy, source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let h = insertPosition.sqliteStatement
        // Positions go in (unit, time) order: consecutive inserts land on the same leaf pages of
        // the clustered table, which keeps the B-tree walk in cache.
        var positions: [Position] = []
        positions.reserveCapacity(records.count)
        for record in records {
            if case .position(let p) = record { positions.append(p) }
        }
        positions.sort { $0.unit == $1.unit ? $0.time < $1.time : $0.unit.utf8.lexicographicallyPrecedes($1.unit.utf8) }
        for p in positions {
                sqlite3_reset(h)
                sqlite3_reset(h)
                p.unit.withCString { _ = sqlite3_bind_text(h, 1, $0, -1, BatchWriter.transient) }
                sqlite3_bind_int64(h, 2, p.time.milliseconds)
                sqlite3_bind_double(h, 3, p.latitude)
                sqlite3_bind_double(h, 4, p.longitude)
                BatchWriter.bind(h, 5, p.altitude)
                BatchWriter.bind(h, 6, p.speed)
                BatchWriter.bind(h, 7, p.heading)
                BatchWriter.bind(h, 8, p.accuracy)
                p.source.rawValue.withCString { _ = sqlite3_bind_text(h, 9, $0, -1, BatchWriter.transient) }
                let rc = sqlite3_step(h)
                guard rc == SQLITE_DONE else {
                    let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
                    sqlite3_reset(h)
                    throw StoreError(code: .sqlite, message: "SQLite: inserting a position of \(p.unit): \(message)", sqliteCode: rc)
                }
                pendingUnitState.note(position: p)
        }
        for record in records {
            switch record {
            case .position:
                break
            case .sighting(let s):
                pendingUnitState.note(sighting: s)
            case .voiceCall(let c):
                try db.execute(sql: """
                    INSERT INTO voice_calls(id, gateway, kind, called, caller, priority, emergency, start, "end", cause)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET "end" = excluded."end", cause = excluded.cause,
                        emergency = excluded.emergency, priority = excluded.priority
                    """, arguments: [c.id, c.gateway, c.kind.rawValue, c.called, c.caller, c.priority, c.emergency,
                                     c.start.milliseconds, c.end?.milliseconds, c.cause])
                for t in c.transmissions {
                    try db.execute(sql: """
                        INSERT INTO voice_transmissions(call_id, talker, start, "end") VALUES (?, ?, ?, ?)
                        ON CONFLICT(call_id, talker, start) DO UPDATE SET "end" = excluded."end"
                        """, arguments: [c.id, t.talker, t.start.milliseconds, t.end?.milliseconds])
                }
            case .alarm(let a):
                try db.execute(sql: """
                    INSERT INTO alarms(id, unit, time, kind, severity, code, text, cleared_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET cleared_at = COALESCE(excluded.cleared_at, alarms.cleared_at)
                    """, arguments: [a.id, a.unit, a.time.milliseconds, a.kind, a.severity.rawValue, a.code, a.text,
                                     a.clearedAt?.milliseconds])
            case .command(let c):
                try db.execute(sql: """
                    INSERT INTO commands(id, unit, method, data, requested_by, requested_at, outcome, result_code, result_text, completed_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET outcome = excluded.outcome, result_code = excluded.result_code,
                        result_text = excluded.result_text, completed_at = excluded.completed_at
                    """, arguments: [c.id, c.unit, c.method, c.data, c.requestedBy, c.requestedAt.milliseconds,
                                     c.outcome.rawValue, c.resultCode, c.resultText, c.completedAt?.milliseconds])
            case .audit(let e):
                try db.execute(sql: "INSERT INTO audit(time, actor, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [e.time.milliseconds, e.actor, e.action, e.target, e.outcome, e.detail])
            case .health(let h):
                try db.execute(sql: """
                    INSERT INTO device_health(unit, kind, time, data) VALUES (?, ?, ?, ?)
                    ON CONFLICT(unit) DO UPDATE SET kind = excluded.kind, time = excluded.time, data = excluded.data
                    WHERE excluded.time >= device_health.time
                    """, arguments: [h.unit, h.kind.rawValue, h.time.milliseconds, try StoreJSON.encode(h)])
                try db.execute(sql: """
                    INSERT OR IGNORE INTO health_history(unit, time, flight_seconds, flight_count, battery_cycles, battery_percent, temperature_c)
                    SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (
                        SELECT 1 FROM health_history WHERE unit = ? AND time > ? AND time < ?)
                    """, arguments: [h.unit, h.time.milliseconds, h.flightSeconds, h.flightCount, h.maxBatteryCycles, h.batteryPercent,
                                     h.temperatureCelsius, h.unit, h.time.milliseconds - Self.healthSampleMilliseconds,
                                     h.time.milliseconds + Self.healthSampleMilliseconds])
            case .flightTask(let t):
                try db.execute(sql: """
                    INSERT INTO flight_tasks(flight_id, dock, first_seen, updated, status, percent, step, waypoint_index,
                        media_count, track_id, result_code, result_text)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(flight_id) DO UPDATE SET updated = excluded.updated, status = excluded.status,
                        percent = COALESCE(excluded.percent, flight_tasks.percent), step = COALESCE(excluded.step, flight_tasks.step),
                        waypoint_index = COALESCE(excluded.waypoint_index, flight_tasks.waypoint_index),
                        media_count = COALESCE(excluded.media_count, flight_tasks.media_count),
                        track_id = COALESCE(excluded.track_id, flight_tasks.track_id),
                        result_code = COALESCE(excluded.result_code, flight_tasks.result_code),
                        result_text = COALESCE(excluded.result_text, flight_tasks.result_text), dock = excluded.dock
                    WHERE excluded.updated >= flight_tasks.updated
                    """, arguments: [t.flightID, t.dock, t.time.milliseconds, t.time.milliseconds, t.status.rawValue, t.percent, t.step,
                                     t.waypointIndex, t.mediaCount, t.trackID, t.resultCode, t.resultText])
            case .maintenance(let m):
                try db.execute(sql: """
                    INSERT OR IGNORE INTO maintenance_log(unit, time, kind, by, note, flight_seconds) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [m.unit, m.time.milliseconds, m.kind.rawValue, m.by, m.note, m.flightSeconds])
            case .page(let p):
                // Pages only move forward; a late copy of an older state never overwrites a newer one.
                try db.execute(sql: """
                    INSERT INTO pages(id, gateway, destination, target, text, status, requested_by, requested_at, state, updated, history)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET state = excluded.state, updated = excluded.updated, history = excluded.history
                    WHERE json_array_length(excluded.history) >= json_array_length(pages.history)
                    """, arguments: [p.id, p.gateway, p.destination, p.target.rawValue, p.text, p.status, p.requestedBy,
                                     p.requestedAt.milliseconds, p.state.rawValue, p.updated.milliseconds, try StoreJSON.encode(p.history)])
            case .radioMessage(let m):
                try db.execute(sql: """
                    INSERT INTO radio_messages(unit, time, kind, gateway, status, meaning, text, called)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [m.unit, m.time.milliseconds, m.kind.rawValue, m.gateway, m.status, m.meaning, m.text, m.called])
            case .sortie(let o):
                // Like pages: a sortie's history only grows, and a final state is never left.
                try db.execute(sql: """
                    INSERT INTO sorties(id, drone, dock, pilot, formation, cells, start, "end", state, urgent, part, parts, route, percent, updated, history)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET drone = excluded.drone, dock = excluded.dock, pilot = excluded.pilot,
                        start = excluded.start, "end" = excluded."end", state = excluded.state, route = excluded.route,
                        percent = COALESCE(excluded.percent, sorties.percent), updated = excluded.updated, history = excluded.history
                    WHERE json_array_length(excluded.history) >= json_array_length(sorties.history)
                        AND sorties.state NOT IN ('done', 'partial', 'failed', 'canceled')
                    """, arguments: [o.id, o.drone, o.dock, o.pilot, o.formation, try StoreJSON.encode(o.cells), o.start.milliseconds,
                                     o.end.milliseconds, o.state.rawValue, o.urgent, o.part, o.parts, try StoreJSON.encode(o.route), o.percent,
                                     o.updated.milliseconds, try StoreJSON.encode(o.history)])
            case .task(let t):
                // A task's history only grows: a late copy of an older version never replaces a newer one.
                try db.execute(sql: """
                    INSERT INTO dispatch_tasks(id, team, state, priority, created_at, closed_at, updated, steps, data)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET team = excluded.team, state = excluded.state, priority = excluded.priority,
                        closed_at = excluded.closed_at, updated = excluded.updated, steps = excluded.steps, data = excluded.data
                    WHERE excluded.steps >= dispatch_tasks.steps
                    """, arguments: [t.id, t.team, t.state.rawValue, t.priority.rawValue, t.createdAt.milliseconds, t.closedAt?.milliseconds,
                                     t.updated.milliseconds, t.history.count, try StoreJSON.encode(t)])
            case .cellCoverage(let c):
                try db.execute(sql: """
                    INSERT INTO cell_coverage(cell, last_covered, last_fraction, last_sortie, last_flown) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(cell) DO UPDATE SET
                        last_covered = CASE WHEN cell_coverage.last_covered IS NULL OR excluded.last_covered > cell_coverage.last_covered
                                            THEN COALESCE(excluded.last_covered, cell_coverage.last_covered) ELSE cell_coverage.last_covered END,
                        last_fraction = CASE WHEN excluded.last_flown >= cell_coverage.last_flown THEN excluded.last_fraction ELSE cell_coverage.last_fraction END,
                        last_sortie = CASE WHEN excluded.last_flown >= cell_coverage.last_flown THEN excluded.last_sortie ELSE cell_coverage.last_sortie END,
                        last_flown = MAX(excluded.last_flown, cell_coverage.last_flown)
                    """, arguments: [c.cell, c.lastCovered?.milliseconds, c.lastFraction, c.lastSortie, c.lastFlown.milliseconds])
            }
        }
    }

    @inline(__always)
    static func bind(_ h: OpaquePointer?, _ index: Int32, _ value: Double?) {
        if let value { sqlite3_bind_double(h, index, value) } else { sqlite3_bind_null(h, index) }
    }

    /// Folds the latest state per unit into `unit_state`, never moving a unit back in time.
    mutating func flushUnitState(into db: Database) throws {
        guard !pendingUnitState.isEmpty else { return }
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO unit_state(unit, kind, last_seen, pos_time, lat, lon, alt, speed, heading, accuracy, source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(unit) DO UPDATE SET
                kind = CASE WHEN ? THEN excluded.kind ELSE unit_state.kind END,
                last_seen = MAX(unit_state.last_seen, excluded.last_seen),
                pos_time = CASE WHEN excluded.pos_time IS NOT NULL AND (unit_state.pos_time IS NULL OR excluded.pos_time >= unit_state.pos_time) THEN excluded.pos_time ELSE unit_state.pos_time END,
                lat = CASE WHEN excluded.pos_time IS NOT NULL AND (unit_state.pos_time IS NULL OR excluded.pos_time >= unit_state.pos_time) THEN excluded.lat ELSE unit_state.lat END,
                lon = CASE WHEN excluded.pos_time IS NOT NULL AND (unit_state.pos_time IS NULL OR excluded.pos_time >= unit_state.pos_time) THEN excluded.lon ELSE unit_state.lon END,
                alt = CASE WHEN excluded.pos_time IS NOT NULL AND (unit_state.pos_time IS NULL OR excluded.pos_time >= unit_state.pos_time) THEN excluded.alt ELSE unit_state.alt END,
                speed = CASE WHEN excluded.pos_time IS NOT NULL AND (unit_state.pos_time IS NULL OR excluded.pos_time >= unit_state.pos_time) THEN excluded.speed ELSE unit_state.speed END,
                heading = CASE WHEN excluded.pos_time IS NOT NULL AND (unit_state.pos_time IS NULL OR excluded.pos_time >= unit_state.pos_time) THEN excluded.heading ELSE unit_state.heading END,
                accuracy = CASE WHEN excluded.pos_time IS NOT NULL AND (unit_state.pos_time IS NULL OR excluded.pos_time >= unit_state.pos_time) THEN excluded.accuracy ELSE unit_state.accuracy END,
                source = CASE WHEN excluded.pos_time IS NOT NULL AND (unit_state.pos_time IS NULL OR excluded.pos_time >= unit_state.pos_time) THEN excluded.source ELSE unit_state.source END
            """)
        for (unit, row) in pendingUnitState.rows {
            let p = row.position
            try upsert.execute(arguments: [unit, row.kind.rawValue, row.lastSeen.milliseconds, p?.time.milliseconds,
                                           p?.latitude, p?.longitude, p?.altitude, p?.speed, p?.heading, p?.accuracy,
                                           p?.source.rawValue, row.kindKnown])
        }
        pendingUnitState.removeAll()
    }
}
