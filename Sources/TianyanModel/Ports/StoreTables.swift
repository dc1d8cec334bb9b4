/// The store's tables as both adapters hold them: names, columns with their logical types, and
/// the natural key each is copied and compared in. What `tianyan db copy` moves from one store
/// to another and checks (counts and a checksum per table); each adapter maps the logical types
/// to its own (SQLite: INTEGER milliseconds, 0/1, JSON text; PostgreSQL: timestamptz, boolean,
/// jsonb). Parents come before the tables that refer to them.
public enum StoreTables {
    public enum Kind: String, Sendable {
        case text, int, real, bool, time, json
    }

    public struct Table: Sendable {
        public var name: String
        public var columns: [(name: String, kind: Kind)]
        /// Columns of the primary key, in order.
        public var key: [String]
        /// The key is a number the database assigns (the adapter keeps its counter past it).
        public var generatedKey: Bool = false

        public var columnNames: [String] { columns.map(\.name) }
    }

    /// A value as the copy carries it: times as milliseconds, booleans as 0/1, JSON as text.
    public enum Cell: Hashable, Sendable, Codable {
        case null
        case int(Int64)
        case real(Double)
        case text(String)
    }

    public static let all: [Table] = [
        Table(name: "formations", columns: [("id", .text), ("name", .text), ("community", .text), ("lead", .text), ("ord", .int)], key: ["id"]),
        Table(name: "pilots", columns: [("id", .text), ("name", .text), ("formation", .text), ("licence_class", .text), ("licence_expiry", .text),
                                        ("max_duty_hours_per_day", .real), ("min_rest_hours", .real), ("ord", .int)], key: ["id"]),
        Table(name: "docks", columns: [("serial", .text), ("name", .text), ("model", .text), ("formation", .text), ("lat", .real), ("lon", .real),
                                       ("altitude_m", .real), ("firmware", .text), ("ord", .int)], key: ["serial"]),
        Table(name: "drones", columns: [("serial", .text), ("name", .text), ("model", .text), ("formation", .text), ("dock", .text),
                                        ("firmware", .text), ("ord", .int)], key: ["serial"]),
        Table(name: "talkgroups", columns: [("gssi", .text), ("name", .text), ("ord", .int)], key: ["gssi"]),
        Table(name: "radios", columns: [("issi", .text), ("alias", .text), ("person", .text), ("pilot", .text), ("talkgroups", .text), ("ord", .int)],
              key: ["issi"]),
        Table(name: "cells", columns: [("id", .text), ("community", .text), ("revisit_days", .int), ("polygon", .json), ("ord", .int)], key: ["id"]),
        Table(name: "positions", columns: [("unit", .text), ("time", .time), ("lat", .real), ("lon", .real), ("alt", .real), ("speed", .real),
                                           ("heading", .real), ("accuracy", .real), ("source", .text)], key: ["unit", "time"]),
        Table(name: "unit_state", columns: [("unit", .text), ("kind", .text), ("last_seen", .time), ("pos_time", .time), ("lat", .real),
                                            ("lon", .real), ("alt", .real), ("speed", .real), ("heading", .real), ("accuracy", .real),
                                            ("source", .text)], key: ["unit"]),
        Table(name: "voice_calls", columns: [("id", .text), ("gateway", .text), ("kind", .text), ("called", .text), ("caller", .text),
                                             ("priority", .int), ("emergency", .bool), ("start", .time), ("end", .time), ("cause", .text)],
              key: ["id"]),
        Table(name: "voice_transmissions", columns: [("call_id", .text), ("talker", .text), ("start", .time), ("end", .time)],
              key: ["call_id", "talker", "start"]),
        Table(name: "alarms", columns: [("id", .text), ("unit", .text), ("time", .time), ("kind", .text), ("severity", .text), ("code", .text),
                                        ("text", .text), ("cleared_at", .time), ("acknowledged_at", .time), ("acknowledged_by", .text),
                                        ("cleared_by", .text), ("note", .text)], key: ["id"]),
        Table(name: "commands", columns: [("id", .text), ("unit", .text), ("method", .text), ("data", .text), ("requested_by", .text),
                                          ("requested_at", .time), ("outcome", .text), ("result_code", .int), ("result_text", .text),
                                          ("completed_at", .time)], key: ["id"]),
        Table(name: "audit", columns: [("id", .int), ("time", .time), ("actor", .text), ("action", .text), ("target", .text), ("outcome", .text),
                                       ("detail", .text)], key: ["id"], generatedKey: true),
        Table(name: "device_health", columns: [("unit", .text), ("kind", .text), ("time", .time), ("data", .json)], key: ["unit"]),
        Table(name: "flight_tasks", columns: [("flight_id", .text), ("dock", .text), ("first_seen", .time), ("updated", .time), ("status", .text),
                                              ("percent", .real), ("step", .int), ("waypoint_index", .int), ("media_count", .int),
                                              ("track_id", .text), ("result_code", .int), ("result_text", .text)], key: ["flight_id"]),
        Table(name: "maintenance_log", columns: [("unit", .text), ("time", .time), ("kind", .text), ("by", .text), ("note", .text),
                                                 ("flight_seconds", .real)], key: ["unit", "time", "kind"]),
        Table(name: "pages", columns: [("id", .text), ("gateway", .text), ("destination", .text), ("target", .text), ("text", .text),
                                       ("status", .int), ("requested_by", .text), ("requested_at", .time), ("state", .text), ("updated", .time),
                                       ("history", .json)], key: ["id"]),
        Table(name: "radio_messages", columns: [("id", .int), ("unit", .text), ("time", .time), ("kind", .text), ("gateway", .text),
                                                ("status", .int), ("meaning", .text), ("text", .text), ("called", .text)],
              key: ["id"], generatedKey: true),
        Table(name: "users", columns: [("name", .text), ("role", .text), ("password_hash", .text), ("created", .time), ("disabled", .bool)],
              key: ["name"]),
        Table(name: "sorties", columns: [("id", .text), ("drone", .text), ("dock", .text), ("pilot", .text), ("formation", .text), ("cells", .json),
                                         ("start", .time), ("end", .time), ("state", .text), ("urgent", .bool), ("part", .int), ("parts", .int),
                                         ("route", .json), ("percent", .real), ("updated", .time), ("history", .json)], key: ["id"]),
        Table(name: "cell_coverage", columns: [("cell", .text), ("last_covered", .time), ("last_fraction", .real), ("last_sortie", .text),
                                               ("last_flown", .time)], key: ["cell"]),
        Table(name: "health_history", columns: [("unit", .text), ("time", .time), ("flight_seconds", .real), ("flight_count", .int),
                                                ("battery_cycles", .int), ("battery_percent", .real), ("temperature_c", .real)],
              key: ["unit", "time"]),
        Table(name: "dispatch_tasks", columns: [("id", .text), ("team", .text), ("state", .text), ("priority", .text), ("created_at", .time),
                                                ("closed_at", .time), ("updated", .time), ("steps", .int), ("data", .json)], key: ["id"]),
    ]

    /// One row's contribution to a table checksum: FNV-1a over its cells with JSON in canonical
    /// form. Summed over rows (wrapping), so the checksum does not depend on row order (the two
    /// databases may collate keys differently).
    public static func rowHash(_ row: [Cell], kinds: [Kind], canonicalJSON: (String) -> String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
            for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        }
        for (cell, kind) in zip(row, kinds) {
            switch cell {
            case .null: mix([0])
            case .int(let v): mix([1]); mix(String(v).utf8)
            case .real(let v): mix([2]); mix(String(v.bitPattern).utf8)
            case .text(let v): mix([3]); mix((kind == .json ? canonicalJSON(v) : v).utf8)
            }
            mix([0xff])
        }
        return h
    }
}
