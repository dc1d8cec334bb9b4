import TianyanModel

/// One flight placed in time: a drone from its dock, flown by a pilot for a formation, over one
/// sortie of a cell's survey plan.
public struct ScheduledSortie: Hashable, Sendable, Codable {
    public var drone: String
    public var dock: String
    public var pilot: String
    public var formation: String
    /// Cells photographed (one per sortie with today's SurveyPlanner).
    public var cells: [String]
    public var start: Timestamp
    public var end: Timestamp
    /// Which sortie of the cell's plan from this dock (`SurveyPlan.sorties[planSortie]`), of how many.
    public var planSortie: Int
    public var planSortieCount: Int
    /// The route: waypoints, duration, distance, energy.
    public var route: Sortie
    /// A lead's urgent order, not placed by the scheduler: it flies when the lead asked, at any
    /// hour (the service promise runs around the clock), so the plan's own rules (flying hours,
    /// forecast, formation, duty and rest) do not bind it; what binds any flight still does.
    /// Re-plans carry it (failed or under way) as history. Absent in JSON: false.
    public var urgent: Bool

    public init(drone: String, dock: String, pilot: String, formation: String, cells: [String], start: Timestamp, end: Timestamp, planSortie: Int, planSortieCount: Int, route: Sortie, urgent: Bool = false) {
        self.drone = drone
        self.dock = dock
        self.pilot = pilot
        self.formation = formation
        self.cells = cells
        self.start = start
        self.end = end
        self.planSortie = planSortie
        self.planSortieCount = planSortieCount
        self.route = route
        self.urgent = urgent
    }

    private enum CodingKeys: String, CodingKey {
        case drone, dock, pilot, formation, cells, start, end, planSortie, planSortieCount, route, urgent
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(drone: c.decode(String.self, forKey: .drone), dock: c.decode(String.self, forKey: .dock),
                      pilot: c.decode(String.self, forKey: .pilot), formation: c.decode(String.self, forKey: .formation),
                      cells: c.decode([String].self, forKey: .cells), start: c.decode(Timestamp.self, forKey: .start),
                      end: c.decode(Timestamp.self, forKey: .end), planSortie: c.decode(Int.self, forKey: .planSortie),
                      planSortieCount: c.decode(Int.self, forKey: .planSortieCount), route: c.decode(Sortie.self, forKey: .route),
                      urgent: c.decodeIfPresent(Bool.self, forKey: .urgent) ?? false)
    }

    public var durationSeconds: Double { Double(end.milliseconds - start.milliseconds) / 1_000 }
}

/// Why a cell could not be flown (at all, or before it fell due).
public enum InfeasibilityReason: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    /// The cell could not be planned (bad polygon); see `planningErrors`.
    case invalidCell
    /// No dock (of its formations, or any when borrowing) reaches the cell within range and endurance.
    case noDockInRange
    /// Every drone that could fly it is grounded or due for maintenance.
    case droneUnavailable
    /// No pilot of the flying formation (or any, when borrowing) holds a valid BVLOS/instructor licence.
    case noLicensedPilot
    /// The forecast closes (or does not cover) the hours it could be flown in.
    case weatherClosed
    /// Drones, pilots' duty and rest, and flying hours left no slot before it fell due.
    case noCapacity

    public static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}

public struct CellReport: Hashable, Sendable, Codable {
    public var cell: String
    public var revisitDays: Int
    /// When it fell or falls due in the horizon (first due date), and how many visits were needed.
    public var firstDue: Timestamp
    public var visitsNeeded: Int
    public var visitsScheduled: Int
    /// Longest time past a due date during the horizon, seconds (0 when never overdue).
    public var overdueSeconds: Double
    /// Longest time since the last coverage at any moment of the horizon, seconds (nil: never covered
    /// and never flown).
    public var worstStalenessSeconds: Double?
    public var reasons: [InfeasibilityReason]
    public var notes: [String]

    public init(cell: String, revisitDays: Int, firstDue: Timestamp, visitsNeeded: Int, visitsScheduled: Int, overdueSeconds: Double, worstStalenessSeconds: Double?, reasons: [InfeasibilityReason], notes: [String]) {
        self.cell = cell
        self.revisitDays = revisitDays
        self.firstDue = firstDue
        self.visitsNeeded = visitsNeeded
        self.visitsScheduled = visitsScheduled
        self.overdueSeconds = overdueSeconds
        self.worstStalenessSeconds = worstStalenessSeconds
        self.reasons = reasons
        self.notes = notes
    }
}

public struct ScheduleReport: Hashable, Sendable, Codable {
    /// Cells with a due date inside the horizon.
    public var cellsDue: Int
    public var visitsNeeded: Int
    public var visitsScheduled: Int
    /// Local date (yyyy-mm-dd) → sorties starting that day.
    public var sortiesPerDay: [String: Int]
    /// Flight seconds per pilot id and per drone serial (only those that fly).
    public var secondsPerPilot: [String: Double]
    public var secondsPerDrone: [String: Double]
    /// Cells overdue at some moment of the horizon, worst first, with by how much and why.
    public var overdue: [CellReport]
    /// Every cell with a problem (overdue, unplanned, or a planning note), by cell id.
    public var problems: [CellReport]
    /// Sum of sortie durations (climb, transit, lanes, turns, return), seconds.
    public var totalFlightSeconds: Double
    /// Largest `worstStalenessSeconds` over all cells (nil if some cell stays never covered).
    public var worstStalenessSeconds: Double?
    /// Hours (their start times) inside the horizon's flying windows with no forecast.
    public var unknownWeatherHours: [Timestamp]
    /// Hours inside the flying windows that the forecast closes for every dock model.
    public var closedWeatherHours: [Timestamp]
    /// Cells SurveyPlanner refused, with its message.
    public var planningErrors: [String: String]

    public init(cellsDue: Int, visitsNeeded: Int, visitsScheduled: Int, sortiesPerDay: [String: Int], secondsPerPilot: [String: Double], secondsPerDrone: [String: Double], overdue: [CellReport], problems: [CellReport], totalFlightSeconds: Double, worstStalenessSeconds: Double?, unknownWeatherHours: [Timestamp], closedWeatherHours: [Timestamp], planningErrors: [String: String]) {
        self.cellsDue = cellsDue
        self.visitsNeeded = visitsNeeded
        self.visitsScheduled = visitsScheduled
        self.sortiesPerDay = sortiesPerDay
        self.secondsPerPilot = secondsPerPilot
        self.secondsPerDrone = secondsPerDrone
        self.overdue = overdue
        self.problems = problems
        self.totalFlightSeconds = totalFlightSeconds
        self.worstStalenessSeconds = worstStalenessSeconds
        self.unknownWeatherHours = unknownWeatherHours
        self.closedWeatherHours = closedWeatherHours
        self.planningErrors = planningErrors
    }
}

public struct Schedule: Hashable, Sendable, Codable {
    /// Sorted by start, then drone.
    public var sorties: [ScheduledSortie]
    public var report: ScheduleReport

    public init(sorties: [ScheduledSortie], report: ScheduleReport) {
        self.sorties = sorties
        self.report = report
    }
}

/// A hard constraint a schedule breaks.
public struct ScheduleViolation: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        case unknownUnit, droneOverlap, chargeTime, droneUnavailable, outOfRange, beyondEndurance,
             licence, dutyHours, rest, pilotOverlap, formation, flyingHours, weather, outsideHorizon, badTimes
    }

    public var kind: Kind
    public var message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}

extension Schedule {
    /// Every hard constraint this schedule breaks against `input`, checked from the input alone
    /// (not from the scheduler's own bookkeeping). Empty for a valid schedule.
    ///
    /// An urgent sortie (a lead's order, `ScheduledSortie.urgent`) is held to what binds any
    /// flight: known units, times, the drone's availability, range, endurance, the pilot's
    /// licence, one flight at a time per drone and pilot, the charge after it. The plan's rules
    /// (flying hours, forecast, formation, a pilot's planned duty and rest) are the scheduler's,
    /// which the lead's order does not go through: they do not apply to it.
    public func violations(for input: ScheduleInput) -> [ScheduleViolation] {
        var out: [ScheduleViolation] = []
        func add(_ kind: ScheduleViolation.Kind, _ message: String) { out.append(ScheduleViolation(kind: kind, message: message)) }
        let reg = input.registry
        let drones = Dictionary(reg.drones.map { ($0.serial, $0) }, uniquingKeysWith: { a, _ in a })
        let docks = Dictionary(reg.docks.map { ($0.serial, $0) }, uniquingKeysWith: { a, _ in a })
        let pilots = Dictionary(reg.pilots.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let formations = Dictionary(reg.formations.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let cells = Dictionary(reg.cells.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let hours = input.flyingHours
        func secs(_ t: Timestamp) -> Int64 { t.milliseconds / 1_000 }

        for s in sorties {
            let name = "sortie \(s.drone) \(s.start)"
            guard s.start < s.end else { add(.badTimes, "\(name) ends at \(s.end), not after its start"); continue }
            if s.start < input.horizonStart || s.end > input.horizonEnd { add(.outsideHorizon, "\(name) lies outside the horizon") }
            guard let drone = drones[s.drone], let dock = docks[s.dock], let pilot = pilots[s.pilot],
                  let formation = formations[s.formation], drone.dock == dock.serial,
                  let caps = input.capabilitiesByDockModel[dock.model] else {
                add(.unknownUnit, "\(name): drone, dock, pilot, formation or dock profile unknown, or the drone does not live in that dock")
                continue
            }
            if abs(s.durationSeconds - s.route.durationSeconds) > 1 {
                add(.badTimes, "\(name) lasts \(s.durationSeconds) s but its route takes \(s.route.durationSeconds) s")
            }
            // Availability.
            for u in input.unavailability where u.drone == s.drone && u.overlaps(s.start, s.end) {
                add(.droneUnavailable, "\(name): \(s.drone) is unavailable (\(u.reason))")
            }
            // Range and endurance.
            let rangeMetres = caps.rangeKilometres * 1_000
            for id in s.cells {
                guard let cell = cells[id] else { add(.unknownUnit, "\(name): cell \(id) unknown"); continue }
                let far = cell.polygon.map { Geodesy.distance(dock.location, $0) }.max() ?? .infinity
                if far > rangeMetres * 1.001 { add(.outOfRange, "\(name): cell \(id) reaches \(Int(far)) m from dock \(dock.serial), range \(Int(rangeMetres)) m") }
                if !input.options.allowBorrowing && !s.urgent && cell.community != formation.community {
                    add(.formation, "\(name): cell \(id) is in \(cell.community), formation \(formation.id) serves \(formation.community)")
                }
            }
            let budget = caps.enduranceMinutes * 60 * (1 - caps.reservePercent / 100)
            if s.route.durationSeconds > budget + 1e-6 || s.route.energyFraction > 1 - caps.reservePercent / 100 + 1e-9 {
                add(.beyondEndurance, "\(name): \(Int(s.route.durationSeconds)) s exceeds the \(Int(budget)) s battery budget")
            }
            // Formation.
            if !input.options.allowBorrowing && !s.urgent && (drone.formation != s.formation || dock.formation != s.formation || pilot.formation != s.formation) {
                add(.formation, "\(name): drone \(drone.formation), dock \(dock.formation), pilot \(pilot.formation) and sortie \(s.formation) differ")
            }
            // Licence.
            let day = hours.localDay(secs(s.start))
            if !pilot.mayFlyDock(onLocalDay: day) {
                add(.licence, "\(name): pilot \(pilot.id) (\(pilot.licenceClass.rawValue), expires \(pilot.licenceExpiry)) may not fly a dock sortie that day")
            }
            // The plan's rules stop here for a lead's urgent order.
            if s.urgent { continue }
            // Flying hours.
            if !hours.contains(secs(s.start), secs(s.end)) { add(.flyingHours, "\(name) is outside the flying hours") }
            // Weather: every hour the sortie touches.
            var t = s.start.milliseconds - ((s.start.milliseconds - input.forecast.start.milliseconds) % 3_600_000 + 3_600_000) % 3_600_000
            while t < s.end.milliseconds {
                if let h = input.forecast.hour(at: Timestamp(milliseconds: max(t, s.start.milliseconds))) {
                    if h.windMetresPerSecond > caps.maxWindMetresPerSecond || h.rainfall > caps.maxRainfall {
                        add(.weather, "\(name): wind \(h.windMetresPerSecond) m/s, rain \(h.rainfall) beyond \(dock.model)'s limits")
                    }
                } else {
                    add(.weather, "\(name): no forecast for the hour of \(Timestamp(milliseconds: max(t, s.start.milliseconds)))")
                }
                t += 3_600_000
            }
        }

        // Drones: one at a time, and the charge after each sortie.
        for (drone, list) in Dictionary(grouping: sorties, by: \.drone) {
            let sorted = list.sorted { $0.start < $1.start }
            let charge = docks[drones[drone]?.dock ?? ""].flatMap { input.capabilitiesByDockModel[$0.model] }?.chargeMinutes ?? 0
            for (a, b) in zip(sorted, sorted.dropFirst()) {
                if b.start < a.end { add(.droneOverlap, "drone \(drone) flies sorties at \(a.start) and \(b.start) at once") }
                else if Double(b.start.milliseconds - a.end.milliseconds) / 1_000 < charge * 60 - 1e-6 {
                    add(.chargeTime, "drone \(drone) leaves at \(b.start), less than \(charge) min after landing at \(a.end)")
                }
            }
        }
        // Pilots: one at a time, duty per day, rest between shifts.
        for (pilotID, list) in Dictionary(grouping: sorties, by: \.pilot) {
            guard let pilot = pilots[pilotID] else { continue }
            let sorted = list.sorted { $0.start < $1.start }
            for (a, b) in zip(sorted, sorted.dropFirst()) where b.start < a.end {
                add(.pilotOverlap, "pilot \(pilotID) flies sorties at \(a.start) and \(b.start) at once")
            }
            // Duty and rest are the plan's; a lead's urgent order is flown on call, outside them.
            let shifts = Dictionary(grouping: sorted.filter { !$0.urgent }) { hours.localDay(secs($0.start)) }
                .map { (day: $0.key, start: $0.value.map(\.start).min()!, end: $0.value.map(\.end).max()!) }
                .sorted { $0.day < $1.day }
            for s in shifts where Double(s.end.milliseconds - s.start.milliseconds) / 3_600_000 > pilot.maxDutyHoursPerDay + 1e-9 {
                add(.dutyHours, "pilot \(pilotID) is on duty from \(s.start) to \(s.end), more than \(pilot.maxDutyHoursPerDay) h")
            }
            for (a, b) in zip(shifts, shifts.dropFirst()) where Double(b.start.milliseconds - a.end.milliseconds) / 3_600_000 < pilot.minRestHours - 1e-9 {
                add(.rest, "pilot \(pilotID) rests from \(a.end) to \(b.start), less than \(pilot.minRestHours) h")
            }
        }
        return out
    }
}
