import Foundation

/// When a unit is due for maintenance: every N flight hours, N battery cycles or N months since
/// its last service, whichever comes first.
public struct MaintenanceRules: Hashable, Sendable, Codable {
    public var flightHours: Double
    public var batteryCycles: Int
    public var months: Int

    public init(flightHours: Double = 50, batteryCycles: Int = 300, months: Int = 6) {
        self.flightHours = flightHours
        self.batteryCycles = batteryCycles
        self.months = months
    }
}

/// One unit as `tianyan maintenance` shows it.
public struct MaintenanceStatus: Hashable, Sendable, Codable {
    public var unit: String
    public var kind: UnitKind
    public var model: String?
    public var health: DeviceHealth?
    public var flightHours: Double?
    public var flightHoursSinceService: Double?
    public var lastService: MaintenanceAction?
    /// Set while the unit is grounded: the grounding action.
    public var grounded: MaintenanceAction?
    /// Why it is due, one line each; empty when not due.
    public var due: [String]
    /// Health alarms (HMS) still active, and how many were raised in the last 30 days.
    public var openAlarms: [Alarm] = []
    public var alarmsLast30Days = 0

    public init(unit: String, kind: UnitKind, model: String?, health: DeviceHealth?, flightHours: Double?, flightHoursSinceService: Double?, lastService: MaintenanceAction?, grounded: MaintenanceAction?, due: [String]) {
        self.unit = unit
        self.kind = kind
        self.model = model
        self.health = health
        self.flightHours = flightHours
        self.flightHoursSinceService = flightHoursSinceService
        self.lastService = lastService
        self.grounded = grounded
        self.due = due
    }

    /// May this unit fly? Not when grounded or due.
    public var available: Bool { grounded == nil && due.isEmpty }

    /// Evaluates one unit from its latest telemetry and its maintenance log (any order).
    public static func evaluate(unit: String, kind: UnitKind, model: String?, health: DeviceHealth?, log: [MaintenanceAction],
                                rules: MaintenanceRules, now: Timestamp) -> MaintenanceStatus {
        let ordered = log.filter { $0.unit == unit }.sorted { $0.time < $1.time }
        let lastService = ordered.last { $0.kind == .serviced }
        var grounded: MaintenanceAction?
        for action in ordered {
            switch action.kind {
            case .ground: grounded = action
            case .unground: grounded = nil
            case .serviced: break
            }
        }
        let hours = health?.flightSeconds.map { $0 / 3600 }
        let sinceService: Double? = hours.map { total in
            guard let at = lastService?.flightSeconds else { return total }
            return max(0, total - at / 3600)
        }
        var due: [String] = []
        if kind == .drone {
            if let h = sinceService, h >= rules.flightHours {
                due.append(String(format: "%.1f flight hours since %@ (rule: every %.0f h)", h,
                                  lastService == nil ? "new" : "the last service", rules.flightHours))
            }
            if let cycles = health?.maxBatteryCycles, cycles >= rules.batteryCycles {
                let packs = health!.batteries.filter { ($0.cycles ?? 0) >= rules.batteryCycles }
                    .map { $0.serial ?? "pack \($0.index + 1)" }.joined(separator: ", ")
                due.append("battery \(packs) at \(cycles) cycles (rule: replace at \(rules.batteryCycles))")
            }
        }
        if let service = lastService {
            let days = Double(now.milliseconds - service.time.milliseconds) / 86_400_000
            let limit = Double(rules.months) * 30.44
            if days >= limit {
                due.append(String(format: "%.0f days since the last service on %@ (rule: every %d months)", days,
                                  String(service.time.iso8601.prefix(10)), rules.months))
            }
        }
        return MaintenanceStatus(unit: unit, kind: kind, model: model, health: health, flightHours: hours,
                                 flightHoursSinceService: sinceService, lastService: lastService, grounded: grounded, due: due)
    }
}
