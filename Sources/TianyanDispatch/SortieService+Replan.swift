import CoveragePlanner
import Foundation
import Logging
import Synchronization
import TianyanModel

/// Re-planning after something happened (a sortie failed, flew in part or was canceled; a dock
/// refused or did not answer): the planner's `replan` keeps every planned sortie the change does
/// not touch and places the affected cells again; what moved is written into each sortie's
/// history and the audit log.
extension SortieService {
    public struct ReplanOutcome: Sendable {
        public var moved: Int
        public var added: Int
        public var dropped: Int
        public var kept: Int
        public var moves: [String]
        public var seconds: Double
    }

    /// Re-plans around `changes`. `ended`: the sorties the changes name (failed, partial,
    /// canceled), so the planner can find them.
    @discardableResult
    func replan(changes: [PlanChange], ended: [SortieRecord], reason: String, by: String) async throws -> ReplanOutcome {
        let t = now()
        let open = try await store.sorties(from: t, states: Set(SortieState.allCases.filter { !$0.isFinal }))
        // Planned sorties are the plan the planner may change; sorties with a dock, held or urgent
        // only keep their drone busy.
        let planned = open.filter { $0.state == .planned && !$0.urgent }
        let fixed = open.filter { !($0.state == .planned && !$0.urgent) }
        let previousRecords = planned + ended.filter { e in !planned.contains { $0.id == e.id } }
        let slot: Int64 = 300_000
        let earliest = min(t, previousRecords.map(\.start).min() ?? t)
        let start = Timestamp(milliseconds: earliest.milliseconds / slot * slot)
        var input = try await PlanReport.input(store: store, capabilities: docks.capabilities(forModel:), rules: rules, start: start, days: settings.planDays,
                                               forecast: tally.withLock { $0.lastForecast } ?? .fair(from: start, days: settings.planDays + 1),
                                               borrowing: settings.borrowing,
                                               flyingHours: settings.flyingHours)
        Self.keepBusy(fixed, in: &input)
        // The plan was made under the last forecast read; the forecast file as it is now comes in
        // as a change, so that sorties in hours it closes move.
        var changes = changes
        if settings.forecastFile != nil, !changes.contains(where: { if case .forecastUpdated = $0 { true } else { false } }) {
            changes.append(.forecastUpdated(forecast(from: start, days: settings.planDays + 1)))
        }
        // A drone grounded or due since the plan was made (maintenance) has its planned sorties
        // moved too: the plan must never keep one on an unavailable drone.
        for u in input.unavailability where !u.reason.hasPrefix("sortie ") {
            let hit = planned.contains { s in s.drone == u.drone && s.end > (u.from ?? t) && (u.until.map { s.start < $0 } ?? true) }
            let named = changes.contains { if case .droneGrounded(let d, _, _, _) = $0 { d == u.drone } else { false } }
            if hit && !named {
                changes.append(.droneGrounded(drone: u.drone, from: max(u.from ?? t, t), until: u.until, note: u.reason))
            }
        }
        let previous = Schedule(sorties: previousRecords.map(Self.scheduled), report: ScheduleReport(
            cellsDue: 0, visitsNeeded: 0, visitsScheduled: 0, sortiesPerDay: [:], secondsPerPilot: [:], secondsPerDrone: [:], overdue: [],
            problems: [], totalFlightSeconds: 0, worstStalenessSeconds: nil, unknownWeatherHours: [], closedWeatherHours: [], planningErrors: [:]))
        let clock = ContinuousClock.now
        let (planInput, planChanges) = (input, changes)
        let (r, violations) = await runBlocking {
            let r = CoverageScheduler.replan(previous, input: planInput, now: t, changes: planChanges)
            return (r, r.schedule.violations(for: r.input))
        }
        let seconds = (ContinuousClock.now - clock).seconds
        guard violations.isEmpty else {
            throw Failure(.invalid, "the re-plan breaks \(violations.count) hard constraints (a bug; please report): \(violations.prefix(3).map(\.description).joined(separator: "; "))")
        }
        // What stays is matched by drone, start and cells; the rest of the old plan is replaced.
        func key(_ drone: String, _ start: Timestamp, _ cells: [String]) -> String { "\(drone)|\(start.milliseconds)|\(cells.joined(separator: ","))" }
        let newKeys = Set(r.schedule.sorties.map { key($0.drone, $0.start, $0.cells) })
        // Only sorties still planned can stay; an ended one placed again at the same slot is new.
        let oldKeys = Set(planned.map { key($0.drone, $0.start, $0.cells) })
        var why: [String: String] = [:]
        for m in r.moves { for b in m.before { why[key(b.drone, b.start, b.cells)] = m.description } }
        var records: [StoreRecord] = []
        var removed = 0
        for var s in planned where !newKeys.contains(key(s.drone, s.start, s.cells)) {
            s.move(to: .canceled, at: t, "re-planned: " + (why[key(s.drone, s.start, s.cells)] ?? reason))
            records.append(.sortie(s))
            removed += 1
        }
        let speeds = Self.planners(input)
        var added = 0
        // New rows are what the re-plan placed (its moves' `after`), nothing else: an ended sortie
        // stays in the schedule as history, and written again as planned it would be flown again
        // at the same hour, fail again and be re-planned again (issue 15: 7,200 failed rows).
        let placed = r.moves.flatMap(\.after)
        for o in placed where !oldKeys.contains(key(o.drone, o.start, o.cells)) && o.end > t {
            let because = r.moves.first { m in m.after.contains { $0.drone == o.drone && $0.start == o.start } }?.description ?? reason
            records.append(.sortie(SortieRecord(
                id: UUID().uuidString.lowercased(), drone: o.drone, dock: o.dock, pilot: o.pilot, formation: o.formation, cells: o.cells,
                start: o.start, end: o.end, state: .planned, urgent: false, part: o.planSortie, parts: o.planSortieCount,
                route: Self.route(o.route, speeds: speeds[o.dock] ?? (10, 15)),
                history: [SortieStep(state: .planned, time: t, detail: "re-planned: \(because)")])))
            added += 1
        }
        let counts = Dictionary(grouping: r.moves, by: \.kind).mapValues(\.count)
        let lines = r.moves.filter { $0.kind != .kept }.map(\.description) + r.notes
        records.append(.audit(AuditEntry(time: t, actor: by, action: "replan", target: "sorties", outcome: "ok",
                                         detail: "\(reason); \(counts[.moved] ?? 0) visits moved, \(counts[.added] ?? 0) added, \(counts[.dropped] ?? 0) dropped, \(r.untouched) sorties untouched"
                                             + (lines.isEmpty ? "" : ": " + lines.prefix(5).joined(separator: "; ")))))
        await save(records)
        tally.withLock {
            $0.lastForecast = r.input.forecast
            $0.plans += 1
            $0.lastPlan = t.iso8601
            $0.lastPlanAt = t
        }
        logger.info("re-planned", metadata: ["plan.reason": "\(reason)", "plan.moved": "\(counts[.moved] ?? 0)",
                                             "plan.added": "\(counts[.added] ?? 0)", "plan.dropped": "\(counts[.dropped] ?? 0)",
                                             "plan.untouched": "\(r.untouched)", "plan.sorties_replaced": "\(removed)",
                                             "plan.sorties_new": "\(added)", "plan.seconds": "\(String(format: "%.3f", seconds))"])
        wake.yield()
        return ReplanOutcome(moved: counts[.moved] ?? 0, added: counts[.added] ?? 0, dropped: counts[.dropped] ?? 0, kept: r.untouched,
                             moves: lines, seconds: seconds)
    }

    /// A stored sortie as the planner's.
    static func scheduled(_ s: SortieRecord) -> ScheduledSortie {
        let r = s.route
        let waypoints = r.points.map { p in
            SurveyWaypoint(coordinate: p.coordinate, altitudeMetres: p.altitudeMetres, kind: SurveyWaypoint.Kind(rawValue: p.kind.rawValue) ?? .transit)
        }
        return ScheduledSortie(drone: s.drone, dock: s.dock, pilot: s.pilot, formation: s.formation, cells: s.cells, start: s.start, end: s.end,
                               planSortie: s.part, planSortieCount: s.parts,
                               route: Sortie(index: s.part, waypoints: waypoints, segments: [], photoTriggerDistanceMetres: r.photoTriggerDistanceMetres,
                                             photoCount: 0, distanceMetres: r.distanceMetres, durationSeconds: r.durationSeconds, energyFraction: 0),
                               urgent: s.urgent)
    }

    /// The change a finished sortie calls for (nil when it flew everything).
    func change(after s: SortieRecord, coveredCells: [String]) -> PlanChange? {
        switch s.state {
        case .done: nil
        case .partial: .sortiePartlyFlown(drone: s.drone, start: s.start, coveredCells: coveredCells)
        case .failed, .canceled: .sortieFailed(drone: s.drone, start: s.start)
        default: nil
        }
    }
}
