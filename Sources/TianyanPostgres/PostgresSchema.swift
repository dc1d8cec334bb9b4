import Foundation
import Logging
import PostgresNIO
import TianyanModel

/// Append-only migrations of the PostgreSQL store. Never edit one that has shipped: add the next.
/// The tables mean what SQLite's mean, with native types: `timestamptz` for times, `double
/// precision`, `boolean`, `jsonb` where a column holds JSON; positions are partitioned by day.
enum PostgresSchema {
    static let migrations: [(name: String, sql: String)] = [
        ("v1 the whole store (SQLite schema v1–v8)", """
            CREATE TABLE formations (
                id text PRIMARY KEY, name text NOT NULL, community text NOT NULL, lead text, ord integer NOT NULL);
            CREATE TABLE pilots (
                id text PRIMARY KEY, name text NOT NULL, formation text NOT NULL, licence_class text NOT NULL,
                licence_expiry text NOT NULL, max_duty_hours_per_day double precision NOT NULL,
                min_rest_hours double precision NOT NULL, ord integer NOT NULL);
            CREATE TABLE docks (
                serial text PRIMARY KEY, name text NOT NULL, model text NOT NULL, formation text NOT NULL,
                lat double precision NOT NULL, lon double precision NOT NULL, altitude_m double precision NOT NULL,
                firmware text NOT NULL, ord integer NOT NULL);
            CREATE TABLE drones (
                serial text PRIMARY KEY, name text NOT NULL, model text NOT NULL, formation text NOT NULL, dock text,
                firmware text NOT NULL, ord integer NOT NULL);
            CREATE TABLE talkgroups (gssi text PRIMARY KEY, name text NOT NULL, ord integer NOT NULL);
            CREATE TABLE radios (
                issi text PRIMARY KEY, alias text NOT NULL, person text NOT NULL, pilot text, talkgroups text NOT NULL,
                ord integer NOT NULL);
            CREATE TABLE cells (
                id text PRIMARY KEY, community text NOT NULL, revisit_days integer NOT NULL, polygon jsonb NOT NULL,
                ord integer NOT NULL);

            -- Positions, by day: natural key (unit, time) so a redelivered report is stored once;
            -- retention drops or downsamples whole days.
            CREATE TABLE positions (
                unit text NOT NULL, time timestamptz NOT NULL, lat double precision NOT NULL, lon double precision NOT NULL,
                alt double precision, speed double precision, heading double precision, accuracy double precision,
                source text NOT NULL, PRIMARY KEY (unit, time)) PARTITION BY RANGE (time);
            -- Creates the day's partition of positions when missing (two controllers may race: the
            -- loser finds it made).
            CREATE FUNCTION tianyan_position_partition(day timestamptz) RETURNS text LANGUAGE plpgsql AS $$
            DECLARE
                d date := (day AT TIME ZONE 'UTC')::date;
                name text := 'positions_' || to_char(d, 'YYYYMMDD');
            BEGIN
                IF to_regclass(name) IS NULL THEN
                    BEGIN
                        EXECUTE format('CREATE TABLE %I PARTITION OF positions FOR VALUES FROM (%L) TO (%L)', name,
                                       (d::timestamp AT TIME ZONE 'UTC'), ((d + 1)::timestamp AT TIME ZONE 'UTC'));
                    EXCEPTION WHEN duplicate_table OR unique_violation THEN
                        NULL;
                    END;
                END IF;
                RETURN name;
            END $$;

            CREATE TABLE unit_state (
                unit text PRIMARY KEY, kind text NOT NULL, last_seen timestamptz NOT NULL, pos_time timestamptz,
                lat double precision, lon double precision, alt double precision, speed double precision,
                heading double precision, accuracy double precision, source text);

            CREATE TABLE voice_calls (
                id text PRIMARY KEY, gateway text NOT NULL, kind text NOT NULL, called text NOT NULL, caller text NOT NULL,
                priority integer NOT NULL, emergency boolean NOT NULL, start timestamptz NOT NULL, "end" timestamptz, cause text);
            CREATE INDEX voice_calls_called_start ON voice_calls(called, start);
            CREATE INDEX voice_calls_start ON voice_calls(start);
            CREATE TABLE voice_transmissions (
                call_id text NOT NULL REFERENCES voice_calls(id) ON DELETE CASCADE, talker text NOT NULL,
                start timestamptz NOT NULL, "end" timestamptz, PRIMARY KEY (call_id, talker, start));

            CREATE TABLE alarms (
                id text PRIMARY KEY, unit text NOT NULL, time timestamptz NOT NULL, kind text NOT NULL, severity text NOT NULL,
                code text, text text NOT NULL, cleared_at timestamptz, acknowledged_at timestamptz, acknowledged_by text,
                cleared_by text, note text);
            CREATE INDEX alarms_time ON alarms(time);
            CREATE INDEX alarms_unit_time ON alarms(unit, time);

            CREATE TABLE commands (
                id text PRIMARY KEY, unit text NOT NULL, method text NOT NULL, data text, requested_by text NOT NULL,
                requested_at timestamptz NOT NULL, outcome text NOT NULL, result_code integer, result_text text,
                completed_at timestamptz);
            CREATE INDEX commands_unit ON commands(unit, requested_at);

            CREATE TABLE audit (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, time timestamptz NOT NULL, actor text NOT NULL,
                action text NOT NULL, target text NOT NULL, outcome text NOT NULL, detail text);

            CREATE TABLE store_state (key text PRIMARY KEY, value text NOT NULL);

            CREATE TABLE device_health (unit text PRIMARY KEY, kind text NOT NULL, time timestamptz NOT NULL, data jsonb NOT NULL);
            CREATE TABLE flight_tasks (
                flight_id text PRIMARY KEY, dock text NOT NULL, first_seen timestamptz NOT NULL, updated timestamptz NOT NULL,
                status text NOT NULL, percent double precision, step integer, waypoint_index integer, media_count integer,
                track_id text, result_code integer, result_text text);
            CREATE INDEX flight_tasks_dock ON flight_tasks(dock, updated);
            CREATE TABLE maintenance_log (
                unit text NOT NULL, time timestamptz NOT NULL, kind text NOT NULL, by text NOT NULL, note text,
                flight_seconds double precision, PRIMARY KEY (unit, time, kind));

            CREATE TABLE pages (
                id text PRIMARY KEY, gateway text NOT NULL, destination text NOT NULL, target text NOT NULL, text text NOT NULL,
                status integer, requested_by text NOT NULL, requested_at timestamptz NOT NULL, state text NOT NULL,
                updated timestamptz NOT NULL, history jsonb NOT NULL);
            CREATE INDEX pages_requested ON pages(requested_at);
            CREATE INDEX pages_destination ON pages(destination, requested_at);
            CREATE TABLE radio_messages (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, unit text NOT NULL, time timestamptz NOT NULL,
                kind text NOT NULL, gateway text NOT NULL, status integer, meaning text, text text, called text);
            CREATE INDEX radio_messages_time ON radio_messages(time);
            CREATE INDEX radio_messages_unit ON radio_messages(unit, time);

            CREATE TABLE users (
                name text PRIMARY KEY, role text NOT NULL, password_hash text NOT NULL, created timestamptz NOT NULL,
                disabled boolean NOT NULL DEFAULT false);

            CREATE TABLE sorties (
                id text PRIMARY KEY, drone text NOT NULL, dock text NOT NULL, pilot text NOT NULL, formation text NOT NULL,
                cells jsonb NOT NULL, start timestamptz NOT NULL, "end" timestamptz NOT NULL, state text NOT NULL,
                urgent boolean NOT NULL, part integer NOT NULL, parts integer NOT NULL, route jsonb NOT NULL,
                percent double precision, updated timestamptz NOT NULL, history jsonb NOT NULL);
            CREATE INDEX sorties_start ON sorties(start);
            CREATE INDEX sorties_state ON sorties(state, start);
            CREATE TABLE cell_coverage (
                cell text PRIMARY KEY, last_covered timestamptz, last_fraction double precision NOT NULL, last_sortie text,
                last_flown timestamptz NOT NULL);

            CREATE TABLE health_history (
                unit text NOT NULL, time timestamptz NOT NULL, flight_seconds double precision, flight_count integer,
                battery_cycles integer, battery_percent double precision, temperature_c double precision, PRIMARY KEY (unit, time));

            CREATE TABLE dispatch_tasks (
                id text PRIMARY KEY, team text, state text NOT NULL, priority text NOT NULL, created_at timestamptz NOT NULL,
                closed_at timestamptz, updated timestamptz NOT NULL, steps integer NOT NULL, data jsonb NOT NULL);
            CREATE INDEX dispatch_tasks_created ON dispatch_tasks(created_at);
            CREATE INDEX dispatch_tasks_closed ON dispatch_tasks(closed_at);
            CREATE INDEX dispatch_tasks_state ON dispatch_tasks(state, created_at);
            """),
    ]

    /// A migration's statements one by one (the extended protocol takes one per query): split at
    /// `;` ending a line, except inside a `$$` function body.
    static func statements(_ sql: String) -> [String] {
        var out: [String] = []
        var current = ""
        var inBody = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("--") { continue }
            current += line + "\n"
            if line.components(separatedBy: "$$").count % 2 == 0 { inBody.toggle() }
            if !inBody, trimmed.hasSuffix(";") {
                out.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { out.append(rest) }
        return out
    }

    /// The applied migrations' names, oldest first.
    static func applied(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var names: [String] = []
        for try await name in try await connection.query(
            "SELECT name FROM tianyan_migrations ORDER BY version", logger: logger).decode(String.self) { names.append(name) }
        return names
    }

    /// Applies what is missing, one migration per transaction, under an advisory lock (two
    /// controllers starting together migrate once). Refuses a database with migrations this
    /// build does not know (a newer controller migrated it).
    static func migrate(client: PostgresClient, logger: Logger) async throws {
        try await client.withConnection { c in
            try await c.query("CREATE TABLE IF NOT EXISTS tianyan_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", logger: logger)
            try await c.query("SELECT pg_advisory_lock(72636961)", logger: logger)
            do {
                let done = try await applied(c, logger: logger)
                let known = migrations.map(\.name)
                guard done.count <= known.count, Array(known.prefix(done.count)) == done else {
                    throw DispatchError.unavailable(
                        "the PostgreSQL schema is newer than this controller (applied: \(done.last ?? "none"); this build knows up to \(known.last ?? "none")); run the newer controller or restore a backup")
                }
                for (i, m) in migrations.enumerated() where i >= done.count {
                    try await c.query("BEGIN", logger: logger)
                    do {
                        for statement in statements(m.sql) { try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                        try await c.query("INSERT INTO tianyan_migrations(version, name) VALUES (\(i + 1), \(m.name))", logger: logger)
                        try await c.query("COMMIT", logger: logger)
                    } catch {
                        _ = try? await c.query("ROLLBACK", logger: logger)
                        throw error
                    }
                    logger.info("PostgreSQL schema migrated", metadata: ["migration": "\(m.name)"])
                }
            } catch {
                _ = try? await c.query("SELECT pg_advisory_unlock(72636961)", logger: logger)
                throw error
            }
            try await c.query("SELECT pg_advisory_unlock(72636961)", logger: logger)
        }
    }
}
