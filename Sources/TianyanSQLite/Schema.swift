import GRDB

/// Append-only migrations. Never edit a migration that has shipped: add the next one.
enum Schema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1 registry, positions, voice log, alarms, commands, audit") { db in
            try db.execute(sql: """
                CREATE TABLE formations (
                    id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, community TEXT NOT NULL, lead TEXT,
                    ord INTEGER NOT NULL);
                CREATE TABLE pilots (
                    id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, formation TEXT NOT NULL,
                    licence_class TEXT NOT NULL, licence_expiry TEXT NOT NULL,
                    max_duty_hours_per_day REAL NOT NULL, min_rest_hours REAL NOT NULL, ord INTEGER NOT NULL);
                CREATE TABLE docks (
                    serial TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, model TEXT NOT NULL, formation TEXT NOT NULL,
                    lat REAL NOT NULL, lon REAL NOT NULL, altitude_m REAL NOT NULL, firmware TEXT NOT NULL,
                    ord INTEGER NOT NULL);
                CREATE TABLE drones (
                    serial TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, model TEXT NOT NULL, formation TEXT NOT NULL,
                    dock TEXT, firmware TEXT NOT NULL, ord INTEGER NOT NULL);
                CREATE TABLE talkgroups (gssi TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, ord INTEGER NOT NULL);
                CREATE TABLE radios (
                    issi TEXT PRIMARY KEY NOT NULL, alias TEXT NOT NULL, person TEXT NOT NULL, pilot TEXT,
                    talkgroups TEXT NOT NULL, ord INTEGER NOT NULL);
                CREATE TABLE cells (
                    id TEXT PRIMARY KEY NOT NULL, community TEXT NOT NULL, revisit_days INTEGER NOT NULL,
                    polygon TEXT NOT NULL, ord INTEGER NOT NULL);

                -- Positions: natural key (unit, time) so a redelivered report is stored once. The table
                -- is clustered on that key (WITHOUT ROWID): one unit's track is one contiguous range.
                CREATE TABLE positions (
                    unit TEXT NOT NULL, time INTEGER NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,
                    alt REAL, speed REAL, heading REAL, accuracy REAL, source TEXT NOT NULL,
                    PRIMARY KEY (unit, time)) WITHOUT ROWID;

                -- Last state of every unit heard, registered or not.
                CREATE TABLE unit_state (
                    unit TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL, last_seen INTEGER NOT NULL,
                    pos_time INTEGER, lat REAL, lon REAL, alt REAL, speed REAL, heading REAL, accuracy REAL, source TEXT);

                CREATE TABLE voice_calls (
                    id TEXT PRIMARY KEY NOT NULL, gateway TEXT NOT NULL, kind TEXT NOT NULL, called TEXT NOT NULL,
                    caller TEXT NOT NULL, priority INTEGER NOT NULL, emergency INTEGER NOT NULL,
                    start INTEGER NOT NULL, "end" INTEGER, cause TEXT);
                CREATE INDEX voice_calls_called_start ON voice_calls(called, start);
                CREATE INDEX voice_calls_start ON voice_calls(start);
                CREATE TABLE voice_transmissions (
                    call_id TEXT NOT NULL REFERENCES voice_calls(id) ON DELETE CASCADE, talker TEXT NOT NULL,
                    start INTEGER NOT NULL, "end" INTEGER, PRIMARY KEY (call_id, talker, start));

                CREATE TABLE alarms (
                    id TEXT PRIMARY KEY NOT NULL, unit TEXT NOT NULL, time INTEGER NOT NULL, kind TEXT NOT NULL,
                    severity TEXT NOT NULL, code TEXT, text TEXT NOT NULL, cleared_at INTEGER);
                CREATE INDEX alarms_time ON alarms(time);

                CREATE TABLE commands (
                    id TEXT PRIMARY KEY NOT NULL, unit TEXT NOT NULL, method TEXT NOT NULL, data TEXT,
                    requested_by TEXT NOT NULL, requested_at INTEGER NOT NULL, outcome TEXT NOT NULL,
                    result_code INTEGER, result_text TEXT, completed_at INTEGER);
                CREATE INDEX commands_unit ON commands(unit, requested_at);

                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, actor TEXT NOT NULL,
                    action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT);

                -- Bookkeeping of background jobs (retention progress).
                CREATE TABLE store_state (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                """)
        }
        m.registerMigration("v2 device health, flight tasks, maintenance log") { db in
            try db.execute(sql: """
                -- Latest maintenance telemetry per dock or aircraft; the full record is JSON.
                CREATE TABLE device_health (
                    unit TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL, time INTEGER NOT NULL, data TEXT NOT NULL);
                CREATE TABLE flight_tasks (
                    flight_id TEXT PRIMARY KEY NOT NULL, dock TEXT NOT NULL, first_seen INTEGER NOT NULL,
                    updated INTEGER NOT NULL, status TEXT NOT NULL, percent REAL, step INTEGER,
                    waypoint_index INTEGER, media_count INTEGER, track_id TEXT, result_code INTEGER, result_text TEXT);
                CREATE INDEX flight_tasks_dock ON flight_tasks(dock, updated);
                CREATE TABLE maintenance_log (
                    unit TEXT NOT NULL, time INTEGER NOT NULL, kind TEXT NOT NULL, by TEXT NOT NULL, note TEXT,
                    flight_seconds REAL, PRIMARY KEY (unit, time, kind));
                CREATE INDEX alarms_unit_time ON alarms(unit, time);
                """)
        }
        m.registerMigration("v3 pages and radio messages") { db in
            try db.execute(sql: """
                -- A page's latest state; its whole history (state, time, detail per step) is JSON.
                CREATE TABLE pages (
                    id TEXT PRIMARY KEY NOT NULL, gateway TEXT NOT NULL, destination TEXT NOT NULL, target TEXT NOT NULL,
                    text TEXT NOT NULL, status INTEGER, requested_by TEXT NOT NULL, requested_at INTEGER NOT NULL, state TEXT NOT NULL,
                    updated INTEGER NOT NULL, history TEXT NOT NULL);
                CREATE INDEX pages_requested ON pages(requested_at);
                CREATE INDEX pages_destination ON pages(destination, requested_at);
                -- Status and text SDS from radios. No natural key: a PEI line is never redelivered,
                -- and two messages from one radio can arrive within the same millisecond.
                CREATE TABLE radio_messages (
                    id INTEGER PRIMARY KEY, unit TEXT NOT NULL, time INTEGER NOT NULL, kind TEXT NOT NULL,
                    gateway TEXT NOT NULL, status INTEGER, meaning TEXT, text TEXT, called TEXT);
                CREATE INDEX radio_messages_time ON radio_messages(time);
                CREATE INDEX radio_messages_unit ON radio_messages(unit, time);
                """)
        }
        m.registerMigration("v4 users") { db in
            try db.execute(sql: """
                -- API and console users; the password only as a yescrypt hash.
                CREATE TABLE users (
                    name TEXT PRIMARY KEY NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL,
                    created INTEGER NOT NULL, disabled INTEGER NOT NULL DEFAULT 0);
                """)
        }
        m.registerMigration("v5 alarm handling") { db in
            try db.execute(sql: """
                -- Who acknowledged and who cleared an alarm, with the dispatcher's note.
                ALTER TABLE alarms ADD COLUMN acknowledged_at INTEGER;
                ALTER TABLE alarms ADD COLUMN acknowledged_by TEXT;
                ALTER TABLE alarms ADD COLUMN cleared_by TEXT;
                ALTER TABLE alarms ADD COLUMN note TEXT;
                """)
        }
        m.registerMigration("v6 sorties and cell coverage") { db in
            try db.execute(sql: """
                -- Plan sorties as executed: latest state, route and history as JSON. The id is the
                -- DJI flight id.
                CREATE TABLE sorties (
                    id TEXT PRIMARY KEY NOT NULL, drone TEXT NOT NULL, dock TEXT NOT NULL, pilot TEXT NOT NULL,
                    formation TEXT NOT NULL, cells TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
                    state TEXT NOT NULL, urgent INTEGER NOT NULL, part INTEGER NOT NULL, parts INTEGER NOT NULL,
                    route TEXT NOT NULL, percent REAL,
                    updated INTEGER NOT NULL, history TEXT NOT NULL);
                CREATE INDEX sorties_start ON sorties(start);
                CREATE INDEX sorties_state ON sorties(state, start);
                -- Per cell: when it last counted as covered, and what the last flight over it imaged.
                CREATE TABLE cell_coverage (
                    cell TEXT PRIMARY KEY NOT NULL, last_covered INTEGER, last_fraction REAL NOT NULL,
                    last_sortie TEXT, last_flown INTEGER NOT NULL);
                """)
        }
        m.registerMigration("v7 device health history") { db in
            try db.execute(sql: """
                -- Maintenance figures over time: at most one sample per unit every 10 minutes
                -- (device_health keeps only the latest report).
                CREATE TABLE health_history (
                    unit TEXT NOT NULL, time INTEGER NOT NULL, flight_seconds REAL, flight_count INTEGER,
                    battery_cycles INTEGER, battery_percent REAL, temperature_c REAL, PRIMARY KEY (unit, time));
                """)
        }
        m.registerMigration("v8 dispatch tasks") { db in
            try db.execute(sql: """
                -- Dispatch tasks: the columns the lists filter and sort on, the whole task as JSON
                -- (assignments with their pages, SLA marks, history).
                CREATE TABLE dispatch_tasks (
                    id TEXT PRIMARY KEY NOT NULL, team TEXT, state TEXT NOT NULL, priority TEXT NOT NULL,
                    created_at INTEGER NOT NULL, closed_at INTEGER, updated INTEGER NOT NULL,
                    steps INTEGER NOT NULL, data TEXT NOT NULL);
                CREATE INDEX dispatch_tasks_created ON dispatch_tasks(created_at);
                CREATE INDEX dispatch_tasks_closed ON dispatch_tasks(closed_at);
                CREATE INDEX dispatch_tasks_state ON dispatch_tasks(state, created_at);
                """)
        }
        return m
    }
}
