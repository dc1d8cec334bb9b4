import CoveragePlanner
import TianyanModel

/// One visit of a plan written against a `QualityInstance`: the cell, which of its options
/// (candidate docks), the pilot, and when the first sortie starts (seconds from the horizon start).
struct PlannedVisit: Codable {
    var cell: Int
    var option: Int
    var pilot: Int
    var start: Int64
}

/// What one plan achieves, measured the same way for every planner from its sorties alone.
struct PlanQuality {
    var flightSeconds: Double
    var sorties: Int
    var visits: Int
    /// Cells of the instance overdue at some moment (a visit ended after its due date, or a visit
    /// that fell due inside the horizon was never flown); unflyable cells are not counted.
    var overdueCells: Int
    var overdueSeconds: Double
    /// Hard-constraint violations (`Schedule.violations`) plus incomplete visits; a plan with any
    /// is not reported.
    var problems: [String]
}

enum PlanCheck {
    /// The sorties of a plan, with the routes SurveyPlanner computed for its (cell, dock) options.
    static func schedule(_ visits: [PlannedVisit], _ prepared: PreparedInstance) -> Schedule {
        let p = prepared.problem
        let reg = prepared.input.registry
        let dockBySerial = Dictionary(reg.docks.map { ($0.serial, $0) }, uniquingKeysWith: { a, _ in a })
        var sorties: [ScheduledSortie] = []
        for v in visits {
            let cell = p.cells[v.cell], option = cell.options[v.option], dock = p.docks[option.dock]
            let plan = prepared.plans[v.cell][v.option]
            var t = v.start
            for (k, dur) in option.sortieSeconds.enumerated() {
                sorties.append(ScheduledSortie(drone: dock.drone, dock: dock.serial, pilot: p.pilots[v.pilot].id,
                                               formation: dockBySerial[dock.serial]!.formation, cells: [cell.id],
                                               start: Timestamp(milliseconds: (prepared.h0 + t) * 1_000),
                                               end: Timestamp(milliseconds: (prepared.h0 + t + dur) * 1_000),
                                               planSortie: k, planSortieCount: plan.sorties.count, route: plan.sorties[k]))
                t += dur + dock.chargeSeconds
            }
        }
        sorties.sort { $0.start != $1.start ? $0.start < $1.start : $0.drone < $1.drone }
        let report = ScheduleReport(cellsDue: 0, visitsNeeded: 0, visitsScheduled: visits.count, sortiesPerDay: [:], secondsPerPilot: [:],
                                    secondsPerDrone: [:], overdue: [], problems: [], totalFlightSeconds: 0, worstStalenessSeconds: nil,
                                    unknownWeatherHours: [], closedWeatherHours: [], planningErrors: [:])
        return Schedule(sorties: sorties, report: report)
    }

    /// Flight time and overdue cells from the sorties, and every hard constraint rechecked.
    static func measure(_ schedule: Schedule, _ prepared: PreparedInstance) -> PlanQuality {
        let p = prepared.problem
        var problems = schedule.violations(for: prepared.input).map(\.description)
        let h0 = prepared.h0
        // Visits: each cell's sorties in time order, grouped into complete runs 0..<count of one plan.
        var byCell: [String: [ScheduledSortie]] = [:]
        for s in schedule.sorties { for c in s.cells { byCell[c, default: []].append(s) } }
        var overdueCells = 0, visits = 0
        var overdueTotal = 0.0
        let known = Set(p.cells.map(\.id)).union(p.unflyableCells)
        for id in byCell.keys where !known.contains(id) { problems.append("cell \(id) flown but never due") }
        for cell in p.cells {
            let list = (byCell[cell.id] ?? []).sorted { $0.start < $1.start }
            var ends: [Int64] = []
            var i = 0
            while i < list.count {
                let n = list[i].planSortieCount
                let run = list[i..<min(list.count, i + n)]
                if run.count != n || run.enumerated().contains(where: { $0.offset != $0.element.planSortie || $0.element.dock != list[i].dock }) {
                    problems.append("cell \(cell.id): incomplete visit at \(list[i].start)")
                    break
                }
                ends.append(run.last!.end.milliseconds / 1_000 - h0)
                i += n
            }
            visits += ends.count
            var due = cell.firstDue, overdue: Int64 = 0
            for e in ends { overdue = max(overdue, e - due); due = e + cell.periodSeconds }
            if due < p.horizonSeconds { overdue = max(overdue, p.horizonSeconds - max(due, 0)) }
            if overdue > 0 { overdueCells += 1; overdueTotal += Double(overdue) }
        }
        return PlanQuality(flightSeconds: schedule.sorties.map(\.route.durationSeconds).reduce(0, +), sorties: schedule.sorties.count,
                           visits: visits, overdueCells: overdueCells, overdueSeconds: overdueTotal, problems: problems)
    }
}
