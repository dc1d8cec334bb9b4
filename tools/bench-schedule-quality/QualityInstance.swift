import CoveragePlanner
import TianyanModel

/// The scheduling problem of one `ScheduleInput`, written out so that a solver that knows nothing
/// of geometry (the CP-SAT model in tools/ortools-schedule.py, the staleness-greedy baseline) sees
/// exactly what CoverageScheduler sees: the cells that fall due, each candidate dock's sortie
/// durations and flight time as SurveyPlanner computes them, when each drone may fly (flying
/// hours × weather × unavailability), the charge after each sortie, and the pilots with their
/// licence days and duty limits.
///
/// Times are whole seconds from the horizon start. The candidate docks per cell are the ones
/// CoverageScheduler considers (its `docksPerCell` nearest docks of the cell's own community, the
/// formations with a licensed pilot first); borrowing is not modelled.
struct QualityInstance: Codable {
    struct Day: Codable {
        /// Local day index from the horizon start, and its flying window.
        var index: Int
        var windowStart: Int64
        var windowEnd: Int64
    }

    struct DockEntry: Codable {
        var serial: String
        var drone: String
        var formation: String
        var chargeSeconds: Int64
        /// Disjoint, sorted `[start, end]` intervals in which a sortie may lie entirely.
        var open: [[Int64]]
    }

    struct PilotEntry: Codable {
        var id: String
        var formation: String
        var maxDutySeconds: Int64
        var minRestSeconds: Int64
        /// Day indices on which the pilot may fly a dock sortie (licence class and expiry).
        var mayFlyDays: [Int]
    }

    struct Option: Codable {
        /// Index into `docks`.
        var dock: Int
        /// Sortie durations, whole seconds rounded up; sorties follow each other with the dock's
        /// charge in between.
        var sortieSeconds: [Int64]
        /// Flight-and-transit time of the plan (sum of the routes' durations), seconds.
        var flightSeconds: Double
    }

    struct CellEntry: Codable {
        var id: String
        var periodSeconds: Int64
        /// First due date; each later visit is due a period after the previous visit ended.
        var firstDue: Int64
        /// Candidate docks, nearest first.
        var options: [Option]
    }

    var name: String
    var horizonSeconds: Int64
    var slotSeconds: Int64
    /// A visit is not flown earlier than this share of the period before its due date.
    var earliestShare: Double
    var days: [Day]
    var docks: [DockEntry]
    var pilots: [PilotEntry]
    var cells: [CellEntry]
    /// Cells that fall due but that no candidate dock can fly (overdue in every plan).
    var unflyableCells: [String]
    /// A plan the solver may start from (the staleness-greedy baseline's), or nil.
    var hint: [PlannedVisit]?
}

/// The instance plus what is needed to turn a plan back into sorties.
struct PreparedInstance {
    var input: ScheduleInput
    var problem: QualityInstance
    /// Survey plan per (cell index, option index).
    var plans: [[SurveyPlan]]
    var h0: Int64
}

enum InstanceBuilder {
    static func localDay(_ epoch: Int64, offset: Int) -> Int64 {
        let local = epoch + Int64(offset)
        return local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
    }

    static func mayFlyDock(_ p: Pilot, day: Int64) -> Bool {
        (p.licenceClass == .bvlos || p.licenceClass == .instructor) && p.licenceExpiry.daysSinceEpoch >= day
    }

    static func prepare(name: String, _ input: ScheduleInput) -> PreparedInstance {
        precondition(!input.options.allowBorrowing, "the quality benchmark models formations without borrowing")
        let reg = input.registry
        let h0 = input.horizonStart.milliseconds / 1_000
        let h1 = h0 + Int64(input.horizonDays) * 86_400
        let fh = input.flyingHours
        let offset = fh.utcOffsetSeconds
        let firstDay = localDay(h0, offset: offset)
        let lastDay = localDay(h1 - 1, offset: offset)

        var days: [QualityInstance.Day] = []
        for d in firstDay...lastDay {
            let dayStart = d * 86_400 - Int64(offset)
            let s = max(h0, dayStart + Int64(fh.startSecondOfDay)), e = min(h1, dayStart + Int64(fh.endSecondOfDay))
            if s < e { days.append(.init(index: Int(d - firstDay), windowStart: s - h0, windowEnd: e - h0)) }
        }

        let community = Dictionary(reg.formations.map { ($0.id, $0.community) }, uniquingKeysWith: { a, _ in a })
        let droneOfDock = Dictionary(reg.drones.filter { $0.dock != nil }.sorted { $0.serial < $1.serial }.map { ($0.dock!, $0) },
                                     uniquingKeysWith: { a, _ in a })
        var docks: [QualityInstance.DockEntry] = []
        var dockModels: [Dock] = []
        var planners: [String: SurveyPlanner] = [:]
        var capsOf: [DockProfile.Capabilities] = []
        let forecastStart = input.forecast.start.milliseconds / 1_000
        for dock in reg.docks.sorted(by: { $0.serial < $1.serial }) {
            guard let drone = droneOfDock[dock.serial], let caps = input.capabilitiesByDockModel[dock.model] else { continue }
            if planners[dock.model] == nil { planners[dock.model] = try? SurveyPlanner(capabilities: caps, configuration: input.options.survey) }
            guard planners[dock.model] != nil else { continue }
            // Open time: each day's window cut at hours the forecast closes (or does not know) and
            // at the drone's unavailability.
            var open: [[Int64]] = []
            for day in days {
                var runStart: Int64?
                var t = day.windowStart + h0
                let end = day.windowEnd + h0
                while t < end {
                    let hourIndex = (t - forecastStart) >= 0 ? Int((t - forecastStart) / 3_600) : -1
                    let hourEnd = min(end, forecastStart + Int64(hourIndex + 1) * 3_600)
                    let ok = hourIndex >= 0 && hourIndex < input.forecast.hours.count
                        && input.forecast.hours[hourIndex].map { $0.windMetresPerSecond <= caps.maxWindMetresPerSecond && $0.rainfall <= caps.maxRainfall } == true
                    if ok { if runStart == nil { runStart = t } } else if let r = runStart { open.append([r - h0, t - h0]); runStart = nil }
                    t = hourIndex >= 0 ? hourEnd : forecastStart
                }
                if let r = runStart { open.append([r - h0, end - h0]) }
            }
            for u in input.unavailability where u.drone == drone.serial {
                let a = u.from.map { $0.milliseconds / 1_000 - h0 } ?? Int64.min, b = u.until.map { ($0.milliseconds + 999) / 1_000 - h0 } ?? Int64.max
                open = open.flatMap { iv -> [[Int64]] in
                    guard a < iv[1] && iv[0] < b else { return [iv] }
                    return [[iv[0], min(iv[1], a)], [max(iv[0], b), iv[1]]].filter { $0[0] < $0[1] }
                }
            }
            docks.append(.init(serial: dock.serial, drone: drone.serial, formation: dock.formation,
                               chargeSeconds: Int64((caps.chargeMinutes * 60).rounded(.up)), open: open))
            dockModels.append(dock)
            capsOf.append(caps)
        }

        let sortedPilots = reg.pilots.sorted { $0.id < $1.id }
        let pilots = sortedPilots.map { p in
            QualityInstance.PilotEntry(id: p.id, formation: p.formation, maxDutySeconds: Int64((p.maxDutyHoursPerDay * 3_600).rounded(.down)),
                                       minRestSeconds: Int64((p.minRestHours * 3_600).rounded(.up)),
                                       mayFlyDays: days.map(\.index).filter { mayFlyDock(p, day: firstDay + Int64($0)) })
        }
        let crewed = Set(sortedPilots.filter { mayFlyDock($0, day: firstDay) }.map(\.formation))

        var cells: [QualityInstance.CellEntry] = []
        var plans: [[SurveyPlan]] = []
        var unflyable: [String] = []
        for cell in reg.cells {
            let period = Int64(max(1, cell.revisitDays)) * 86_400
            let due = input.lastCovered[cell.id].map { $0.milliseconds / 1_000 + period } ?? h0
            guard due < h1 else { continue }
            // CoverageScheduler's candidate docks: nearest of the cell's community, crewed formations first.
            let centre = Geodesy.centroid(of: cell.polygon)
            let byDistance = docks.indices.map { ($0, Geodesy.distance(dockModels[$0].location, centre)) }
                .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : docks[$0.0].serial < docks[$1.0].serial }
            let own = byDistance.filter { community[docks[$0.0].formation] == cell.community }.map(\.0)
            let crewedOwn = own.filter { crewed.contains(docks[$0].formation) }
            let chosen = Array((crewedOwn.isEmpty ? own : crewedOwn).prefix(input.options.docksPerCell))
            var options: [QualityInstance.Option] = []
            var cellPlans: [SurveyPlan] = []
            for d in chosen {
                let caps = capsOf[d]
                guard let plan = try? planners[dockModels[d].model]!.plan(cell: cell, dock: dockModels[d]) else { continue }
                let bad = plan.problems.contains { $0.kind == .outOfRange || $0.kind == .beyondEndurance }
                let far = cell.polygon.map { Geodesy.distance(dockModels[d].location, $0) }.max() ?? .infinity
                let budget = caps.enduranceMinutes * 60 * (1 - caps.reservePercent / 100)
                if bad || plan.sorties.isEmpty || far > caps.rangeKilometres * 1_000 || plan.sorties.contains(where: { $0.durationSeconds > budget }) { continue }
                options.append(.init(dock: d, sortieSeconds: plan.sorties.map { Int64($0.durationSeconds.rounded(.up)) },
                                     flightSeconds: plan.sorties.map(\.durationSeconds).reduce(0, +)))
                cellPlans.append(plan)
            }
            if options.isEmpty { unflyable.append(cell.id); continue }
            cells.append(.init(id: cell.id, periodSeconds: period, firstDue: due - h0, options: options))
            plans.append(cellPlans)
        }
        let problem = QualityInstance(name: name, horizonSeconds: h1 - h0, slotSeconds: Int64(input.options.slotSeconds),
                                      earliestShare: input.options.earliestShare, days: days, docks: docks, pilots: pilots,
                                      cells: cells, unflyableCells: unflyable, hint: nil)
        return PreparedInstance(input: input, problem: problem, plans: plans, h0: h0)
    }
}
