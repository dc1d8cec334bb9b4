import Foundation
import Logging
import PostgresNIO
import RecordWriter
import TianyanModel

/// One batch of records in one PostgreSQL transaction: positions as binary-bound arrays through
/// `unnest` with `ON CONFLICT DO NOTHING` on (unit, time), every other record an upsert on its
/// natural key with the same "never move back" rules as the SQLite store, and the last state of
/// each unit folded into `unit_state`. The writer acknowledges a record only after COMMIT returns.
public struct PostgresCommitter: BatchCommitter {
    let database: PostgresStoreDatabase

    public init(database: PostgresStoreDatabase) { self.database = database }
    /// Rows per positions statement (arrays of this length bound in binary).
    static let chunk = 10_000
    /// Longest one batch may take before it counts as failed and is retried (the pool waits
    /// quietly for a server that went away; the writer must say so).
    static let timeout = Duration.seconds(10)

    public var location: String { database.location.description }

    public func commit(_ batch: [StoreRecord]) async throws {
        let database = self.database
        do {
            try await write(batch)
        } catch let error as DispatchError where error.message.hasSuffix("s") && error.message.contains("no answer within") {
            throw DispatchError.unavailable(await database.reasonUnavailable() ?? error.message)
        }
    }

    private func write(_ batch: [StoreRecord]) async throws {
        let database = self.database
        try await PostgresStoreDatabase.within(Self.timeout, what: "committing \(batch.count) records to \(location)") {
            var state = UnitStateFold()
            var positions: [Position] = []
            var others: [StoreRecord] = []
            for record in batch {
                switch record {
                case .position(let p):
                    positions.append(p)
                    state.note(position: p)
                case .sighting(let s):
                    state.note(sighting: s)
                default:
                    others.append(record)
                }
            }
            let days = Set(positions.map { Self.day($0.time) })
            try await database.client.withConnection { c in
                if !days.isEmpty { try await database.ensurePartitions(days: days, on: c) }
            }
            try await database.transaction { c in
                // In (unit, time) order, ties in arrival order (the first of a key wins, as on
                // SQLite): consecutive rows land on the same leaf pages of the key's index.
                // Measured on this machine, 1M rows with fsync on: 4.2 s in key order, 6.1 s in
                // arrival order (psql's COPY: 4.9 s); an anti-join through a staging table was
                // no faster through the writer (BENCHMARKS.md).
                let ordered = positions.indices.sorted { a, b in
                    let p = positions[a], q = positions[b]
                    if p.unit != q.unit { return p.unit.utf8.lexicographicallyPrecedes(q.unit.utf8) }
                    return p.time != q.time ? p.time < q.time : a < b
                }.map { positions[$0] }
                var start = 0
                while start < ordered.count {
                    let end = min(start + Self.chunk, ordered.count)
                    try await Self.insertPositions(ordered[start..<end], on: c, logger: database.logger)
                    start = end
                }
                for record in others { try await Self.write(record, on: c, logger: database.logger) }
                try await state.flush(on: c, logger: database.logger)
            }
        }
    }

    public func stoppedError(_ message: String) -> any Error { DispatchError.unavailable(message) }

    static func day(_ t: Timestamp) -> Int64 {
        let (q, r) = t.milliseconds.quotientAndRemainder(dividingBy: 86_400_000)
        return r < 0 ? q - 1 : q
    }

    /// NaN stands for NULL in the bound arrays (postgres-nio binds no optional array elements).
    static func orNaN(_ v: Double?) -> Double { v ?? .nan }

    /// Binary-bound arrays through `unnest`; a key already stored (a redelivered message) is
    /// left as it is.
    static func insertPositions(_ ps: ArraySlice<Position>, on c: PostgresConnection, logger: Logger) async throws {
        let units = ps.map(\.unit), times = ps.map(\.time), lats = ps.map(\.latitude), lons = ps.map(\.longitude)
        let alts = ps.map { orNaN($0.altitude) }, speeds = ps.map { orNaN($0.speed) }
        let headings = ps.map { orNaN($0.heading) }, accuracies = ps.map { orNaN($0.accuracy) }
        let sources = ps.map(\.source.rawValue)
        try await c.query("""
            INSERT INTO positions(unit, time, lat, lon, alt, speed, heading, accuracy, source)
            SELECT u, t, la, lo, NULLIF(a, 'NaN'), NULLIF(s, 'NaN'), NULLIF(h, 'NaN'), NULLIF(ac, 'NaN'), src
            FROM unnest(\(units)::text[], \(times)::timestamptz[], \(lats)::float8[], \(lons)::float8[], \(alts)::float8[],
                        \(speeds)::float8[], \(headings)::float8[], \(accuracies)::float8[], \(sources)::text[])
                AS x(u, t, la, lo, a, s, h, ac, src)
            ON CONFLICT DO NOTHING
            """, logger: logger)
    }

    static func json<T: Encodable>(_ value: T) throws -> String { try StoreJSON.encode(value) }

    /// One record other than a position or a sighting.
    static func write(_ record: StoreRecord, on c: PostgresConnection, logger: Logger) async throws {
        switch record {
        case .position, .sighting:
            break
        case .voiceCall(let v):
            try await c.query("""
                INSERT INTO voice_calls(id, gateway, kind, called, caller, priority, emergency, start, "end", cause)
                VALUES (\(v.id), \(v.gateway), \(v.kind.rawValue), \(v.called), \(v.caller), \(v.priority), \(v.emergency),
                        \(v.start), \(v.end), \(v.cause))
                ON CONFLICT (id) DO UPDATE SET "end" = excluded."end", cause = excluded.cause,
                    emergency = excluded.emergency, priority = excluded.priority
                """, logger: logger)
            for t in v.transmissions {
                try await c.query("""
                    INSERT INTO voice_transmissions(call_id, talker, start, "end") VALUES (\(v.id), \(t.talker), \(t.start), \(t.end))
                    ON CONFLICT (call_id, talker, start) DO UPDATE SET "end" = excluded."end"
                    """, logger: logger)
            }
        case .alarm(let a):
            try await c.query("""
                INSERT INTO alarms(id, unit, time, kind, severity, code, text, cleared_at)
                VALUES (\(a.id), \(a.unit), \(a.time), \(a.kind), \(a.severity.rawValue), \(a.code), \(a.text), \(a.clearedAt))
                ON CONFLICT (id) DO UPDATE SET cleared_at = COALESCE(excluded.cleared_at, alarms.cleared_at)
                """, logger: logger)
        case .command(let m):
            try await c.query("""
                INSERT INTO commands(id, unit, method, data, requested_by, requested_at, outcome, result_code, result_text, completed_at)
                VALUES (\(m.id), \(m.unit), \(m.method), \(m.data), \(m.requestedBy), \(m.requestedAt), \(m.outcome.rawValue),
                        \(m.resultCode), \(m.resultText), \(m.completedAt))
                ON CONFLICT (id) DO UPDATE SET outcome = excluded.outcome, result_code = excluded.result_code,
                    result_text = excluded.result_text, completed_at = excluded.completed_at
                """, logger: logger)
        case .audit(let e):
            try await c.query("""
                INSERT INTO audit(time, actor, action, target, outcome, detail)
                VALUES (\(e.time), \(e.actor), \(e.action), \(e.target), \(e.outcome), \(e.detail))
                """, logger: logger)
        case .health(let h):
            let window = Timestamp(milliseconds: 600_000)
            let data = try json(h)
            try await c.query("""
                INSERT INTO device_health(unit, kind, time, data) VALUES (\(h.unit), \(h.kind.rawValue), \(h.time), \(data)::jsonb)
                ON CONFLICT (unit) DO UPDATE SET kind = excluded.kind, time = excluded.time, data = excluded.data
                WHERE excluded.time >= device_health.time
                """, logger: logger)
            let from = Timestamp(milliseconds: h.time.milliseconds - window.milliseconds)
            let to = Timestamp(milliseconds: h.time.milliseconds + window.milliseconds)
            try await c.query("""
                INSERT INTO health_history(unit, time, flight_seconds, flight_count, battery_cycles, battery_percent, temperature_c)
                SELECT \(h.unit), \(h.time), \(h.flightSeconds), \(h.flightCount), \(h.maxBatteryCycles), \(h.batteryPercent),
                       \(h.temperatureCelsius)
                WHERE NOT EXISTS (SELECT 1 FROM health_history WHERE unit = \(h.unit) AND time > \(from) AND time < \(to))
                ON CONFLICT DO NOTHING
                """, logger: logger)
        case .flightTask(let t):
            try await c.query("""
                INSERT INTO flight_tasks(flight_id, dock, first_seen, updated, status, percent, step, waypoint_index,
                    media_count, track_id, result_code, result_text)
                VALUES (\(t.flightID), \(t.dock), \(t.time), \(t.time), \(t.status.rawValue), \(t.percent), \(t.step),
                        \(t.waypointIndex), \(t.mediaCount), \(t.trackID), \(t.resultCode), \(t.resultText))
                ON CONFLICT (flight_id) DO UPDATE SET updated = excluded.updated, status = excluded.status,
                    percent = COALESCE(excluded.percent, flight_tasks.percent), step = COALESCE(excluded.step, flight_tasks.step),
                    waypoint_index = COALESCE(excluded.waypoint_index, flight_tasks.waypoint_index),
                    media_count = COALESCE(excluded.media_count, flight_tasks.media_count),
                    track_id = COALESCE(excluded.track_id, flight_tasks.track_id),
                    result_code = COALESCE(excluded.result_code, flight_tasks.result_code),
                    result_text = COALESCE(excluded.result_text, flight_tasks.result_text), dock = excluded.dock
                WHERE excluded.updated >= flight_tasks.updated
                """, logger: logger)
        case .maintenance(let m):
            try await c.query("""
                INSERT INTO maintenance_log(unit, time, kind, by, note, flight_seconds)
                VALUES (\(m.unit), \(m.time), \(m.kind.rawValue), \(m.by), \(m.note), \(m.flightSeconds))
                ON CONFLICT DO NOTHING
                """, logger: logger)
        case .page(let p):
            // Pages only move forward; a late copy of an older state never overwrites a newer one.
            let history = try json(p.history)
            try await c.query("""
                INSERT INTO pages(id, gateway, destination, target, text, status, requested_by, requested_at, state, updated, history)
                VALUES (\(p.id), \(p.gateway), \(p.destination), \(p.target.rawValue), \(p.text), \(p.status), \(p.requestedBy),
                        \(p.requestedAt), \(p.state.rawValue), \(p.updated), \(history)::jsonb)
                ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated = excluded.updated, history = excluded.history
                WHERE jsonb_array_length(excluded.history) >= jsonb_array_length(pages.history)
                """, logger: logger)
        case .radioMessage(let m):
            try await c.query("""
                INSERT INTO radio_messages(unit, time, kind, gateway, status, meaning, text, called)
                VALUES (\(m.unit), \(m.time), \(m.kind.rawValue), \(m.gateway), \(m.status), \(m.meaning), \(m.text), \(m.called))
                """, logger: logger)
        case .sortie(let o):
            let cells = try json(o.cells), route = try json(o.route), history = try json(o.history)
            try await c.query("""
                INSERT INTO sorties(id, drone, dock, pilot, formation, cells, start, "end", state, urgent, part, parts, route, percent,
                    updated, history)
                VALUES (\(o.id), \(o.drone), \(o.dock), \(o.pilot), \(o.formation), \(cells)::jsonb, \(o.start), \(o.end),
                        \(o.state.rawValue), \(o.urgent), \(o.part), \(o.parts), \(route)::jsonb, \(o.percent), \(o.updated),
                        \(history)::jsonb)
                ON CONFLICT (id) DO UPDATE SET drone = excluded.drone, dock = excluded.dock, pilot = excluded.pilot,
                    start = excluded.start, "end" = excluded."end", state = excluded.state, route = excluded.route,
                    percent = COALESCE(excluded.percent, sorties.percent), updated = excluded.updated, history = excluded.history
                WHERE jsonb_array_length(excluded.history) >= jsonb_array_length(sorties.history)
                    AND sorties.state NOT IN ('done', 'partial', 'failed', 'canceled')
                """, logger: logger)
        case .task(let t):
            let data = try json(t)
            try await c.query("""
                INSERT INTO dispatch_tasks(id, team, state, priority, created_at, closed_at, updated, steps, data)
                VALUES (\(t.id), \(t.team), \(t.state.rawValue), \(t.priority.rawValue), \(t.createdAt), \(t.closedAt), \(t.updated),
                        \(t.history.count), \(data)::jsonb)
                ON CONFLICT (id) DO UPDATE SET team = excluded.team, state = excluded.state, priority = excluded.priority,
                    closed_at = excluded.closed_at, updated = excluded.updated, steps = excluded.steps, data = excluded.data
                WHERE excluded.steps >= dispatch_tasks.steps
                """, logger: logger)
        case .cellCoverage(let v):
            try await c.query("""
                INSERT INTO cell_coverage(cell, last_covered, last_fraction, last_sortie, last_flown)
                VALUES (\(v.cell), \(v.lastCovered), \(v.lastFraction), \(v.lastSortie), \(v.lastFlown))
                ON CONFLICT (cell) DO UPDATE SET
                    last_covered = CASE WHEN cell_coverage.last_covered IS NULL OR excluded.last_covered > cell_coverage.last_covered
                                        THEN COALESCE(excluded.last_covered, cell_coverage.last_covered) ELSE cell_coverage.last_covered END,
                    last_fraction = CASE WHEN excluded.last_flown >= cell_coverage.last_flown THEN excluded.last_fraction ELSE cell_coverage.last_fraction END,
                    last_sortie = CASE WHEN excluded.last_flown >= cell_coverage.last_flown THEN excluded.last_sortie ELSE cell_coverage.last_sortie END,
                    last_flown = GREATEST(excluded.last_flown, cell_coverage.last_flown)
                """, logger: logger)
        }
    }
}

/// Folds a batch's latest state per unit into `unit_state`, never moving a unit back in time.
extension UnitStateFold {
    func flush(on c: PostgresConnection, logger: Logger) async throws {
        guard !rows.isEmpty else { return }
        // Sorted: two controllers folding overlapping units lock the rows in the same order.
        let sorted = rows.sorted { $0.key < $1.key }
        let units = sorted.map(\.key), kinds = sorted.map(\.value.kind.rawValue)
        let seen = sorted.map(\.value.lastSeen)
        // A unit without a position gets NULLs (its position time is a marker).
        let none = PostgresSentinel.noTime
        let pt = sorted.map { $0.value.position?.time ?? none }
        let lat = sorted.map { PostgresCommitter.orNaN($0.value.position?.latitude) }
        let lon = sorted.map { PostgresCommitter.orNaN($0.value.position?.longitude) }
        let alt = sorted.map { PostgresCommitter.orNaN($0.value.position?.altitude) }
        let speed = sorted.map { PostgresCommitter.orNaN($0.value.position?.speed) }
        let heading = sorted.map { PostgresCommitter.orNaN($0.value.position?.heading) }
        let accuracy = sorted.map { PostgresCommitter.orNaN($0.value.position?.accuracy) }
        let source = sorted.map { $0.value.position?.source.rawValue ?? "" }
        let newer = "excluded.pos_time IS NOT NULL AND (unit_state.pos_time IS NULL OR excluded.pos_time >= unit_state.pos_time)"
        var q: PostgresQuery = """
            INSERT INTO unit_state(unit, kind, last_seen, pos_time, lat, lon, alt, speed, heading, accuracy, source)
            SELECT u, k, ls, CASE WHEN pt = \(none) THEN NULL ELSE pt END, NULLIF(la, 'NaN'), NULLIF(lo, 'NaN'), NULLIF(a, 'NaN'),
                   NULLIF(s, 'NaN'), NULLIF(h, 'NaN'), NULLIF(ac, 'NaN'), NULLIF(src, '')
            FROM unnest(\(units)::text[], \(kinds)::text[], \(seen)::timestamptz[], \(pt)::timestamptz[], \(lat)::float8[],
                        \(lon)::float8[], \(alt)::float8[], \(speed)::float8[], \(heading)::float8[], \(accuracy)::float8[],
                        \(source)::text[]) AS x(u, k, ls, pt, la, lo, a, s, h, ac, src)
            ON CONFLICT (unit) DO UPDATE SET last_seen = GREATEST(unit_state.last_seen, excluded.last_seen)
            """
        for column in ["pos_time", "lat", "lon", "alt", "speed", "heading", "accuracy", "source"] {
            q.sql += ", \(column) = CASE WHEN \(newer) THEN excluded.\(column) ELSE unit_state.\(column) END"
        }
        try await c.query(q, logger: logger)
        // A sighting says what a unit is; a position only guessed it when the row was made.
        let told = sorted.filter(\.value.kindKnown)
        if !told.isEmpty {
            try await c.query("""
                UPDATE unit_state SET kind = x.k FROM unnest(\(told.map(\.key))::text[], \(told.map(\.value.kind.rawValue))::text[]) AS x(u, k)
                WHERE unit_state.unit = x.u AND unit_state.kind <> x.k
                """, logger: logger)
        }
    }
}

/// Marks "no position" in a bound array of times (0001-01-01, before any real report).
enum PostgresSentinel {
    static let noTime = Timestamp(milliseconds: -62_135_596_800_000)
}
