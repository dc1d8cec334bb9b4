import Foundation
import TianyanModel

/// The text and JSON forms of `units`, `track` and `voice-log`.
public enum UnitReport {
    /// One position as JSON: lat, lon, time, source and the optional alt_m, speed_mps, heading_deg, accuracy_m.
    static func json(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// `units --json`: an array of {id, kind, name, registered, formation, online, last_seen, age_s, position}.
    public static func unitsJSON(_ units: [UnitSummary], now: Timestamp, onlineSeconds: Int) -> String {
        json(units.map { unitObject($0, now: now, onlineSeconds: onlineSeconds) })
    }

    /// One unit as JSON: {id, kind, name, registered, formation, online, last_seen, age_s, position}.
    public static func unitObject(_ u: UnitSummary, now: Timestamp, onlineSeconds: Int) -> [String: Any] {
        let age = u.lastSeen.map { Double(now.milliseconds - $0.milliseconds) / 1000 }
        return [
            "id": u.id, "kind": u.kind.rawValue, "name": u.name, "registered": u.registered,
            "formation": u.formation ?? NSNull(),
            "last_seen": u.lastSeen?.iso8601 ?? NSNull(),
            "age_s": age ?? NSNull(),
            "online": isOnline(u, now: now, onlineSeconds: onlineSeconds),
            "position": u.position.map(RecordJSON.position) ?? NSNull(),
        ]
    }

    /// Heard within the last `onlineSeconds`.
    public static func isOnline(_ u: UnitSummary, now: Timestamp, onlineSeconds: Int) -> Bool {
        u.lastSeen.map { Double(now.milliseconds - $0.milliseconds) / 1000 <= Double(onlineSeconds) } ?? false
    }

    public static func unitsTable(_ units: [UnitSummary], now: Timestamp, onlineSeconds: Int) -> String {
        var lines = [pad(["ID", "KIND", "NAME", "REG", "STATE", "LAST POSITION (WGS-84)", "AGE"], [16, 6, 34, 4, 8, 24, 10])]
        for u in units {
            let age = u.lastSeen.map { Double(now.milliseconds - $0.milliseconds) / 1000 }
            let state = age.map { $0 <= Double(onlineSeconds) ? "online" : "offline" } ?? "never"
            let pos = u.position.map { String(format: "%.6f,%.6f", $0.latitude, $0.longitude) } ?? "-"
            lines.append(pad([u.id, u.kind.rawValue, u.name, u.registered ? "yes" : "NO", state, pos, age.map(ageText) ?? "-"],
                             [16, 6, 34, 4, 8, 24, 10]))
        }
        let counts = Dictionary(grouping: units, by: \.kind).mapValues(\.count)
        let unregistered = units.filter { !$0.registered }.count
        lines.append("\(counts[.dock] ?? 0) docks, \(counts[.drone] ?? 0) drones, \(counts[.radio] ?? 0) radios; \(unregistered) unregistered")
        return lines.joined(separator: "\n")
    }

    static func ageText(_ s: Double) -> String {
        if s < 120 { return String(format: "%.0f s", s) }
        if s < 7200 { return String(format: "%.0f min", s / 60) }
        if s < 172_800 { return String(format: "%.1f h", s / 3600) }
        return String(format: "%.0f d", s / 86_400)
    }

    static func pad(_ fields: [String], _ widths: [Int]) -> String {
        zip(fields, widths).map { f, w in
            f.count >= w ? String(f.prefix(w - 1)) + " " : f + String(repeating: " ", count: w - f.count)
        }.joined().trimmingCharacters(in: .whitespaces)
    }

    public static func trackJSON(unit: String, _ points: [Position]) -> String {
        json(["unit": unit, "points": points.map(RecordJSON.position)] as [String: Any])
    }

    public static func trackTable(unit: String, _ points: [Position]) -> String {
        var lines = [pad(["TIME (UTC)", "LAT", "LON", "ALT m", "SPEED m/s", "HEADING °", "SOURCE"], [26, 12, 13, 8, 10, 10, 8])]
        for p in points {
            lines.append(pad([p.time.iso8601, String(format: "%.6f", p.latitude), String(format: "%.6f", p.longitude),
                              p.altitude.map { String(format: "%.1f", $0) } ?? "-", p.speed.map { String(format: "%.1f", $0) } ?? "-",
                              p.heading.map { String(format: "%.0f", $0) } ?? "-", p.source.rawValue], [26, 12, 13, 8, 10, 10, 8]))
        }
        lines.append("\(points.count) points for \(unit)")
        return lines.joined(separator: "\n")
    }

    /// GPX 1.1, one track with one segment.
    public static func trackGPX(unit: String, _ points: [Position]) -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var out = """
        <?xml version="1.0" encoding="UTF-8"?>
        <gpx version="1.1" creator="tianyan" xmlns="http://www.topografix.com/GPX/1/1">
          <trk><name>\(esc(unit))</name><trkseg>

        """
        for p in points {
            out += "    <trkpt lat=\"\(p.latitude)\" lon=\"\(p.longitude)\">"
            if let a = p.altitude { out += "<ele>\(a)</ele>" }
            out += "<time>\(p.time.iso8601)</time></trkpt>\n"
        }
        out += "  </trkseg></trk>\n</gpx>\n"
        return out
    }

    public static func voiceLogJSON(_ calls: [VoiceCall]) -> String { json(calls.map(RecordJSON.call)) }

    public static func voiceLogTable(_ calls: [VoiceCall], talkgroupNames: [String: String]) -> String {
        var lines = [pad(["START (UTC)", "DURATION", "CALLED", "CALLER", "TALKERS", "CAUSE"], [26, 10, 28, 10, 40, 48])]
        for c in calls {
            let dur = c.end.map { String(format: "%.1f s", Double($0.milliseconds - c.start.milliseconds) / 1000) } ?? "active"
            let called = c.kind == .group ? "\(c.called) \(talkgroupNames[c.called] ?? "")" : "ind \(c.called)"
            let talkers = c.transmissions.map { t in t.durationSeconds.map { "\(t.talker) \(String(format: "%.1f", $0))s" } ?? "\(t.talker) …" }
            lines.append(pad([c.start.iso8601, dur, (c.emergency ? "EMERGENCY " : "") + called, c.caller,
                              talkers.joined(separator: ", "), c.cause ?? "-"], [26, 10, 28, 10, 40, 48]))
        }
        lines.append("\(calls.count) calls")
        return lines.joined(separator: "\n")
    }
}
