import Foundation
import TianyanModel

/// `tianyan maintenance`: what is due, what is grounded, with the figures behind it.
public enum MaintenanceReport {
    /// Why a maintenance action was not recorded: the unit is unknown, or it is in the wrong state.
    public typealias Failure = DispatchError

    /// Every registered drone and dock, plus any unregistered device that reported telemetry.
    public static func statuses(store: any FleetStorage, rules: MaintenanceRules, now: Timestamp) async throws -> [MaintenanceStatus] {
        let registry = try await store.registry()
        let health = Dictionary(try await store.deviceHealth().map { ($0.unit, $0) }) { a, _ in a }
        let log = try await store.maintenanceLog()
        let byUnit = Dictionary(grouping: log, by: \.unit)
        var out: [MaintenanceStatus] = []
        var seen: Set<String> = []
        for d in registry.drones {
            seen.insert(d.serial)
            out.append(.evaluate(unit: d.serial, kind: .drone, model: d.model, health: health[d.serial], log: byUnit[d.serial] ?? [], rules: rules, now: now))
        }
        for d in registry.docks {
            seen.insert(d.serial)
            out.append(.evaluate(unit: d.serial, kind: .dock, model: d.model, health: health[d.serial], log: byUnit[d.serial] ?? [], rules: rules, now: now))
        }
        for h in health.values.sorted(by: { $0.unit < $1.unit }) where !seen.contains(h.unit) {
            out.append(.evaluate(unit: h.unit, kind: h.kind, model: h.model, health: h, log: byUnit[h.unit] ?? [], rules: rules, now: now))
        }
        // HMS history: what is still active, and how much was raised lately.
        let alarms = Dictionary(grouping: try await store.alarms(kind: "hms", limit: 1_000_000), by: \.unit)
        let monthAgo = Timestamp(milliseconds: now.milliseconds - 30 * 86_400_000)
        for i in out.indices {
            let mine = alarms[out[i].unit] ?? []
            out[i].openAlarms = mine.filter { $0.clearedAt == nil }
            out[i].alarmsLast30Days = mine.filter { $0.time >= monthAgo }.count
        }
        return out
    }

    public static func table(_ statuses: [MaintenanceStatus], all: Bool, rules: MaintenanceRules) -> String {
        let widths = [18, 6, 12, 9, 9, 8, 14, 10]
        var lines = [UnitReport.pad(["UNIT", "KIND", "MODEL", "FLIGHT h", "SINCE h", "CYCLES", "FIRMWARE", "STATE"], widths)]
        let shown = all ? statuses : statuses.filter { !$0.due.isEmpty || $0.grounded != nil || $0.openAlarms.contains { $0.severity == .critical } }
        for s in shown {
            let state = s.grounded != nil ? "GROUNDED" : s.due.isEmpty ? "ok" : "DUE"
            lines.append(UnitReport.pad([s.unit, s.kind.rawValue, s.model ?? "-",
                                         s.flightHours.map { String(format: "%.1f", $0) } ?? "-",
                                         s.flightHoursSinceService.map { String(format: "%.1f", $0) } ?? "-",
                                         s.health?.maxBatteryCycles.map(String.init) ?? "-", s.health?.firmware ?? "-", state], widths))
            if let g = s.grounded {
                lines.append("    grounded \(g.time.iso8601) by \(g.by)\(g.note.map { ": \($0)" } ?? "")")
            }
            for reason in s.due { lines.append("    due: \(reason)") }
            for a in s.openAlarms { lines.append("    HMS \(a.severity.rawValue) since \(a.time.iso8601): \(a.code ?? "-") \(a.text)") }
            if let h = s.health, s.kind == .dock, all {
                var env: [String] = []
                if let t = h.temperatureCelsius { env.append(String(format: "inside %.1f °C", t)) }
                if let t = h.environmentTemperatureCelsius { env.append(String(format: "outside %.1f °C", t)) }
                if let w = h.windSpeedMetresPerSecond { env.append(String(format: "wind %.1f m/s", w)) }
                if let r = h.rainfall { env.append("rain \((0...3).contains(r) ? ["none", "light", "moderate", "heavy"][r] : "level \(r)")") }
                if let u = h.storageUsedKilobytes, let t = h.storageTotalKilobytes, t > 0 { env.append(String(format: "storage %.0f %% used", u / t * 100)) }
                if let n = h.networkType { env.append("network \(n) quality \(h.networkQuality.map(String.init) ?? "-")/5") }
                if !env.isEmpty { lines.append("    \(env.joined(separator: ", ")) (reported \(h.time.iso8601))") }
            }
        }
        let due = statuses.filter { !$0.due.isEmpty }.count
        let grounded = statuses.filter { $0.grounded != nil }.count
        let alarmed = statuses.filter { !$0.openAlarms.isEmpty }.count
        lines.append("\(statuses.count) units: \(due) due, \(grounded) grounded, \(alarmed) with active HMS alarms (rules: every \(Int(rules.flightHours)) flight hours, \(rules.batteryCycles) battery cycles, \(rules.months) months)")
        return lines.joined(separator: "\n")
    }

    public static func json(_ statuses: [MaintenanceStatus]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return (try? encoder.encode(statuses)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }

    /// Grounds, ungrounds or records a service, with an audit line, through `sink` (the running
    /// writer in the controller); returns once both are committed.
    public static func record(_ kind: MaintenanceAction.Kind, unit: String, by: String, note: String?, store: any FleetStorage,
                              sink: any RecordSink, rules: MaintenanceRules, now: Timestamp) async throws -> MaintenanceStatus {
        let registry = try await store.registry()
        let health = try await store.deviceHealth().first { $0.unit == unit }
        let known = registry.drones.contains { $0.serial == unit } || registry.docks.contains { $0.serial == unit } || health != nil
        guard known else { throw Failure(.notFound, "\(unit) is not a registered drone or dock; `tianyan units` lists them") }
        let log = try await store.maintenanceLog(unit: unit)
        let current = MaintenanceStatus.evaluate(unit: unit, kind: .drone, model: nil, health: health, log: log, rules: rules, now: now)
        if kind == .ground, current.grounded != nil { throw Failure(.conflict, "\(unit) is already grounded since \(current.grounded!.time.iso8601)") }
        if kind == .unground, current.grounded == nil { throw Failure(.conflict, "\(unit) is not grounded") }
        let action = MaintenanceAction(unit: unit, time: now, kind: kind, by: by, note: note, flightSeconds: health?.flightSeconds)
        let ticket = sink.submit([.maintenance(action),
                                  .audit(AuditEntry(time: now, actor: by, action: "maintenance.\(kind.rawValue)", target: unit,
                                                    outcome: "done", detail: note))])
        try await sink.waitUntilCommitted(ticket)
        let kindOfUnit: UnitKind = registry.docks.contains { $0.serial == unit } ? .dock : (health?.kind ?? .drone)
        return .evaluate(unit: unit, kind: kindOfUnit, model: nil, health: health, log: log + [action], rules: rules, now: now)
    }
}
