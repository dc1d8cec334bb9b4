import CoveragePlanner
import Foundation
import Logging
import Synchronization
import TianyanModel

/// Planning, and what a lead does with sorties: pause, resume, cancel, an urgent sortie.
extension SortieService {
    public struct PlanOutcome: Sendable, Codable {
        public var added: Int
        public var replaced: Int
        public var kept: Int
        public var overdueCells: Int
        public var seconds: Double
        public var summary: String
    }

    /// Plans the sorties from now over the configured days. Sorties already with a dock, held by
    /// a lead or urgent stay as they are (their drones are busy then); planned ones are replaced.
    @discardableResult
    public func plan(reason: String, by: String) async throws -> PlanOutcome {
        let t = now()
        let slot: Int64 = 300_000
        // Room to prepare and launch before the first take-off.
        let start = Timestamp(milliseconds: ((t.milliseconds + Int64(settings.timing.executeLeadSeconds * 1_000) + 60_000) / slot + 1) * slot)
        let weather = forecast(from: start, days: settings.planDays)
        var input = try await PlanReport.input(store: store, capabilities: docks.capabilities(forModel:), rules: rules, start: start, days: settings.planDays,
                                               forecast: weather, borrowing: settings.borrowing, flyingHours: settings.flyingHours)
        let existing = try await store.sorties(from: t, states: Set(SortieState.allCases.filter { !$0.isFinal }))
        let kept = existing.filter { $0.state != .planned || $0.urgent }
        let resting = tally.withLock { c -> [String: (until: Timestamp, reason: String)] in
            c.resting = c.resting.filter { $0.value.until > t }
            return c.resting
        }
        for (drone, r) in resting {
            input.unavailability.append(DroneUnavailability(drone: drone, from: t, until: r.until, reason: r.reason))
        }
        let replaced = existing.filter { $0.state == .planned && !$0.urgent }
        Self.keepBusy(kept, in: &input)
        let clock = ContinuousClock.now
        let planInput = input
        let (schedule, violations) = await runBlocking {
            let schedule = CoverageScheduler.schedule(planInput)
            return (schedule, schedule.violations(for: planInput))
        }
        let seconds = (ContinuousClock.now - clock).seconds
        guard violations.isEmpty else {
            throw Failure(.invalid, "the plan breaks \(violations.count) hard constraints (a bug; please report): \(violations.prefix(3).map(\.description).joined(separator: "; "))")
        }
        var records: [StoreRecord] = []
        for var s in replaced {
            s.move(to: .canceled, at: t, "replaced by a new plan (\(reason))")
            records.append(.sortie(s))
        }
        let planners = Self.planners(input)
        let added = schedule.sorties.map { o in
            SortieRecord(id: UUID().uuidString.lowercased(), drone: o.drone, dock: o.dock, pilot: o.pilot, formation: o.formation,
                         cells: o.cells, start: o.start, end: o.end, state: .planned, urgent: false, part: o.planSortie,
                         parts: o.planSortieCount,
                         route: Self.route(o.route, speeds: planners[o.dock] ?? (10, 15)),
                         history: [SortieStep(state: .planned, time: t, detail: "planned (\(reason))")])
        }
        records += added.map { .sortie($0) }
        let summary = PlanReport.summary(schedule, input: input, seconds: seconds, assumedWeather: settings.forecastFile == nil)
        records.append(.audit(AuditEntry(time: t, actor: by, action: "plan", target: "sorties", outcome: "ok",
                                         detail: "\(reason); \(added.count) sorties added, \(replaced.count) replaced, \(kept.count) kept; \(schedule.report.overdue.count) cells overdue")))
        await save(records)
        tally.withLock {
            $0.lastForecast = weather
            $0.plans += 1
            $0.lastPlan = t.iso8601
            $0.lastPlanAt = t
        }
        logger.info("coverage plan made", metadata: ["plan.reason": "\(reason)", "plan.added": "\(added.count)",
                                                     "plan.replaced": "\(replaced.count)", "plan.kept": "\(kept.count)",
                                                     "plan.seconds": "\(String(format: "%.2f", seconds))"])
        wake.yield()
        return PlanOutcome(added: added.count, replaced: replaced.count, kept: kept.count, overdueCells: schedule.report.overdue.count,
                           seconds: seconds, summary: summary)
    }

    /// A sortie that ended without flying everything: its cells go back into the plan at the
    /// next re-plan (at most one a minute, taking in everything that happened since).
    func replanAfter(_ s: SortieRecord) {
        guard settings.autoPlan else { return }
        tally.withLock { $0.ended.append(s) }
        wake.yield()
    }

    /// Keeps a drone out of plans for a while after its dock refused or did not answer, so that a
    /// dead dock does not get the next sortie and the next.
    func rest(_ drone: String, reason: String, minutes: Double = 30) {
        let until = now().adding(seconds: minutes * 60)
        tally.withLock {
            $0.resting[drone] = (until, reason)
            if settings.autoPlan { $0.groundings.append((drone, until, reason)) }
        }
    }

    /// Drones grounded or due for maintenance (by `tianyan maintenance ground` or the rules) that
    /// still have planned sorties: looked for once a minute; a hit asks for a re-plan.
    func checkMaintenance() async {
        guard settings.autoPlan else { return }
        let checkedAt = now()
        let due = tally.withLock { c -> Bool in
            if let last = c.lastMaintenanceCheck, checkedAt.milliseconds - last.milliseconds < Self.replanSpacingMilliseconds { return false }
            c.lastMaintenanceCheck = checkedAt
            return true
        }
        guard due else { return }
        if forecastChanged() { tally.withLock { $0.forecastUpdated = true } }
        let t = now()
        guard let statuses = try? await MaintenanceReport.statuses(store: store, rules: rules, now: t),
              let planned = try? await store.sorties(from: t, states: [.planned]) else { return }
        let unavailable = DroneUnavailability.from(statuses)
        let hits = unavailable.filter { u in planned.contains { $0.drone == u.drone && !$0.urgent } }
        guard !hits.isEmpty else { return }
        tally.withLock { c in
            for u in hits { c.groundings.append((u.drone, Timestamp(milliseconds: Int64.max / 2), u.reason)) }
        }
    }

    func replanIfWanted() async {
        await checkMaintenance()
        let lookedAt = now()
        let (ended, groundings, weather) = tally.withLock { c -> ([SortieRecord], [(drone: String, until: Timestamp, reason: String)], Bool) in
            guard !c.ended.isEmpty || !c.groundings.isEmpty || c.forecastUpdated else { return ([], [], false) }
            if let last = c.lastPlanAt, lookedAt.milliseconds - last.milliseconds < Self.replanSpacingMilliseconds { return ([], [], false) }
            defer {
                c.ended.removeAll()
                c.groundings.removeAll()
                c.forecastUpdated = false
            }
            return (c.ended, c.groundings, c.forecastUpdated)
        }
        guard !ended.isEmpty || !groundings.isEmpty || weather else { return }
        var changes: [PlanChange] = []
        var reasons: [String] = []
        if weather { reasons.append("forecast \(settings.forecastFile ?? "") changed") }
        let coverage = (try? await store.coverage()) ?? []
        for s in ended {
            let covered = coverage.filter { $0.lastSortie == s.id && $0.lastCovered != nil }.map(\.cell)
            if let c = change(after: s, coveredCells: covered) {
                changes.append(c)
                reasons.append("sortie \(s.id) on \(s.drone) ended \(s.state.rawValue)")
            }
        }
        let t = now()
        for g in groundings {
            let open = g.until.milliseconds >= Int64.max / 2
            changes.append(.droneGrounded(drone: g.drone, from: t, until: open ? nil : g.until, note: g.reason))
            reasons.append(open ? "drone \(g.drone) \(g.reason)" : "drone \(g.drone) rested until \(g.until.iso8601): \(g.reason)")
        }
        guard !changes.isEmpty || weather else { return }
        let reason = reasons.count <= 3 ? reasons.joined(separator: "; ") : reasons.prefix(3).joined(separator: "; ") + "; and \(reasons.count - 3) more"
        do {
            try await replan(changes: changes, ended: ended, reason: reason, by: "scheduler")
        } catch {
            logger.error("re-plan failed", metadata: ["plan.reason": "\(reason)", "plan.error": "\(error)"])
        }
    }

    /// Sorties the plan does not change (with a dock, held, urgent) keep their drones busy until
    /// they have landed and recharged, and their cells count as flown when they land.
    static func keepBusy(_ sorties: [SortieRecord], in input: inout ScheduleInput) {
        for s in sorties {
            let charge = input.registry.docks.first { $0.serial == s.dock }
                .flatMap { input.capabilitiesByDockModel[$0.model]?.chargeMinutes } ?? 60
            input.unavailability.append(DroneUnavailability(drone: s.drone, from: s.start, until: s.end.adding(seconds: charge * 60),
                                                            reason: "sortie \(s.id) (\(s.state.rawValue))"))
            for c in s.cells where (input.lastCovered[c] ?? .init(milliseconds: 0)) < s.end { input.lastCovered[c] = s.end }
        }
    }

    /// Survey and transit speed per dock, from its profile.
    static func planners(_ input: ScheduleInput) -> [String: (survey: Double, transit: Double)] {
        var out: [String: (survey: Double, transit: Double)] = [:]
        for d in input.registry.docks {
            guard let c = input.capabilitiesByDockModel[d.model],
                  let p = try? SurveyPlanner(capabilities: c, configuration: input.options.survey) else { continue }
            out[d.serial] = (p.surveySpeedMetresPerSecond, c.cruiseSpeedMetresPerSecond)
        }
        return out
    }

    static func route(_ r: Sortie, speeds: (survey: Double, transit: Double)) -> SortieRoute {
        SortieRoute(points: r.waypoints.map { w in
            RoutePoint(latitude: w.coordinate.latitude, longitude: w.coordinate.longitude, altitudeMetres: w.altitudeMetres,
                       kind: RoutePoint.Kind(rawValue: w.kind.rawValue) ?? .transit)
        }, surveySpeedMetresPerSecond: speeds.survey, transitSpeedMetresPerSecond: speeds.transit,
           photoTriggerDistanceMetres: r.photoTriggerDistanceMetres,
           distanceMetres: r.distanceMetres, durationSeconds: r.durationSeconds)
    }

    // MARK: Lead actions

    /// Pauses a sortie: in the air, the dock pauses the wayline; not yet launched, it is held
    /// (a prepared task is withdrawn from the dock) until resumed.
    public func pause(_ id: String, by: String) async throws -> SortieRecord {
        try await act(id, by: by, action: "pause") { (s: inout SortieRecord) async throws in
            switch s.state {
            case .executing:
                let r = await self.command(s, .pauseFlight, by: by)
                guard r.succeeded else { throw Failure(.conflict, "the dock refused to pause: " + Self.describe(r)) }
                s.move(to: .paused, at: self.now(), "paused by \(by)")
            case .prepared:
                let r = await self.command(s, .withdraw, by: by)
                guard r.succeeded else { throw Failure(.conflict, "the dock refused to withdraw the task: " + Self.describe(r)) }
                s.move(to: .held, at: self.now(), "held by \(by); task withdrawn from the dock")
            case .planned:
                s.move(to: .held, at: self.now(), "held by \(by)")
            default:
                throw Failure(.conflict, "sortie \(s.id) is \(s.state.rawValue); only a planned, prepared or flying sortie can be paused")
            }
        }
    }

    /// Resumes a paused flight, or puts a held sortie back in the plan.
    public func resume(_ id: String, by: String) async throws -> SortieRecord {
        try await act(id, by: by, action: "resume") { (s: inout SortieRecord) async throws in
            switch s.state {
            case .paused:
                let r = await self.command(s, .resumeFlight, by: by)
                guard r.succeeded else { throw Failure(.conflict, "the dock refused to resume: " + Self.describe(r)) }
                s.move(to: .executing, at: self.now(), "resumed by \(by)")
            case .held:
                s.move(to: .planned, at: self.now(), "released by \(by)")
            default:
                throw Failure(.conflict, "sortie \(s.id) is \(s.state.rawValue); only a paused or held sortie can be resumed")
            }
        }
    }

    /// Cancels a sortie. One in the air is recalled (`return_home`); it ends with what the dock
    /// reports (partial or canceled) and its cells go back into the plan.
    public func cancel(_ id: String, by: String, note: String?) async throws -> SortieRecord {
        let why = "canceled by \(by)" + (note.map { ": \($0)" } ?? "")
        return try await act(id, by: by, action: "cancel") { (s: inout SortieRecord) async throws in
            switch s.state {
            case .planned, .held:
                s.move(to: .canceled, at: self.now(), why)
            case .prepared:
                let r = await self.command(s, .withdraw, by: by)
                guard r.succeeded else { throw Failure(.conflict, "the dock refused to withdraw the task: " + Self.describe(r)) }
                s.move(to: .canceled, at: self.now(), why + "; task withdrawn from the dock")
            case .executing, .paused:
                let r = await self.command(s, .returnHome, by: by)
                guard r.succeeded else { throw Failure(.conflict, "the dock refused to return home: " + Self.describe(r)) }
                s.move(to: s.state, at: self.now(), why + "; recalled, returning to the dock")
            default:
                throw Failure(.conflict, "sortie \(s.id) is already \(s.state.rawValue)")
            }
        }
    }

    /// Claims the sortie, applies `change`, saves and audits it.
    private func act(_ id: String, by: String, action: String,
                     _ change: (inout SortieRecord) async throws -> Void) async throws -> SortieRecord {
        guard claim(id) else { throw Failure(.conflict, "sortie \(id) has a command in flight; try again in a few seconds") }
        defer { release(id) }
        let found: SortieRecord?
        do { found = try await store.sortie(id: id) } catch { throw Failure(.invalid, "the store cannot be read: \(error)") }
        guard var s = found else { throw Failure(.notFound, "no sortie \(id)") }
        do {
            try await change(&s)
        } catch {
            await save([.audit(AuditEntry(time: now(), actor: by, action: "sortie.\(action)", target: id, outcome: "refused", detail: "\(error)"))])
            throw error
        }
        await save([.sortie(s), .audit(AuditEntry(time: now(), actor: by, action: "sortie.\(action)", target: id, outcome: "ok",
                                                    detail: s.history.last?.detail))])
        // A task withdrawn before take-off: its route file is not fetched any more.
        if s.state.isFinal { docks.forgetFlight(s.id) }
        wake.yield()
        if s.state == .canceled, !s.urgent { replanAfter(s) }
        return s
    }

    /// An urgent sortie over `cells`, taking off as soon as the dock can: on `drone` if given,
    /// else from the nearest dock of the cells' formations whose drone is free. Planned sorties
    /// in its way are moved by a re-plan.
    public func addUrgent(cells cellIDs: [String], drone wanted: String?, by: String) async throws -> [SortieRecord] {
        let registry = try await store.registry()
        guard !cellIDs.isEmpty else { throw Failure(.invalid, "name at least one cell", field: "cells") }
        var cells: [GridCell] = []
        for id in cellIDs {
            guard let c = registry.cells.first(where: { $0.id == id }) else { throw Failure(.invalid, "no cell \(id) in the registry", field: "cells") }
            cells.append(c)
        }
        let t = now()
        // Launched as soon as the dock accepts the task; the start allows for that.
        let start = t.adding(seconds: 30)
        let open = try await store.sorties(from: t, states: Set(SortieState.allCases.filter { !$0.isFinal }))
        let communities = Set(cells.map(\.community))
        var candidates: [(drone: Drone, dock: Dock)] = []
        for d in registry.drones {
            guard let dockID = d.dock, let dock = registry.docks.first(where: { $0.serial == dockID }) else { continue }
            if let wanted {
                if d.serial == wanted { candidates.append((d, dock)) }
            } else if settings.borrowing || communities.contains(where: { c in registry.formations.contains { $0.id == d.formation && $0.community == c } }) {
                candidates.append((d, dock))
            }
        }
        if let wanted, candidates.isEmpty { throw Failure(.invalid, "no docked drone \(wanted) in the registry", field: "drone") }
        // A grounded drone, or one due for maintenance, does not fly, urgently or not.
        let statuses = try await MaintenanceReport.statuses(store: store, rules: rules, now: t)
        let unavailable = Dictionary(DroneUnavailability.from(statuses).map { ($0.drone, $0.reason) }) { a, _ in a }
        let centre = cells[0].polygon.first!
        let today = (t.milliseconds / 1_000 + Int64(settings.flyingHours.utcOffsetSeconds)) / 86_400
        var best: (drone: Drone, dock: Dock, pilot: Pilot, plans: [SurveyPlan], busy: Bool, distance: Double)?
        var refusals: [String] = []
        for (drone, dock) in candidates {
            if let reason = unavailable[drone.serial] {
                refusals.append("\(drone.serial): \(reason)")
                continue
            }
            guard let capabilities = docks.capabilities(forModel: dock.model),
                  let planner = try? SurveyPlanner(capabilities: capabilities) else { continue }
            let plans = cells.compactMap { try? planner.plan(cell: $0, dock: dock) }
            guard plans.count == cells.count, plans.allSatisfy({ !$0.sorties.isEmpty }) else {
                refusals.append("\(drone.serial): out of range or endurance")
                continue
            }
            // The formation's pilot licensed for dock flights with the fewest sorties ahead.
            let pilots = registry.pilots.filter { $0.formation == drone.formation && $0.mayFlyDock(onLocalDay: today) }
            guard let pilot = pilots.min(by: { a, b in
                (open.filter { $0.pilot == a.id }.count, a.id) < (open.filter { $0.pilot == b.id }.count, b.id)
            }) else {
                refusals.append("\(drone.serial): formation \(drone.formation) has no pilot licensed for dock flights")
                continue
            }
            let busy = open.contains { $0.drone == drone.serial && $0.state != .planned && $0.end > t }
            let distance = Geodesy.distance(centre, dock.location)
            if best == nil || (!busy && best!.busy) || (busy == best!.busy && distance < best!.distance) {
                best = (drone, dock, pilot, plans, busy, distance)
            }
        }
        guard let choice = best else {
            throw Failure(.invalid, "no drone can fly \(cellIDs.joined(separator: ", ")): " + (refusals.isEmpty ? "no docked drone of the cells' formations" : refusals.prefix(5).joined(separator: "; ")))
        }
        guard !choice.busy else {
            throw Failure(.conflict, "drone \(choice.drone.serial) is flying or has a task on its dock; try again when it has landed, or name another drone")
        }
        let formation = choice.drone.formation
        let pilot = choice.pilot
        let capabilities = docks.capabilities(forModel: choice.dock.model)!
        let speeds = ((try? SurveyPlanner(capabilities: capabilities).surveySpeedMetresPerSecond) ?? 10, capabilities.cruiseSpeedMetresPerSecond)
        var records: [SortieRecord] = []
        var at = start
        for plan in choice.plans {
            for (k, sortie) in plan.sorties.enumerated() {
                let end = at.adding(seconds: sortie.durationSeconds)
                records.append(SortieRecord(
                    id: UUID().uuidString.lowercased(), drone: choice.drone.serial, dock: choice.dock.serial, pilot: pilot.id,
                    formation: formation, cells: [plan.cellID], start: at, end: end, state: .planned, urgent: true,
                    part: k, parts: plan.sorties.count,
                    route: Self.route(sortie, speeds: speeds),
                    history: [SortieStep(state: .planned, time: t, detail: "urgent, added by \(by)")]))
                at = end.adding(seconds: capabilities.chargeMinutes * 60)
            }
        }
        await save(records.map { .sortie($0) } + [.audit(AuditEntry(
            time: t, actor: by, action: "sortie.urgent", target: cellIDs.joined(separator: ","), outcome: "ok",
            detail: "\(records.count) sorties on \(choice.drone.serial) from \(choice.dock.serial), pilot \(pilot.id), first take-off \(start.iso8601)"))])
        // Planned sorties of that drone in the way move; the rest of the plan stays as it is.
        if open.contains(where: { $0.drone == choice.drone.serial && $0.state == .planned && !$0.urgent && $0.start < at && $0.end > start }) {
            try await replan(changes: [.droneGrounded(drone: choice.drone.serial, from: start, until: at, note: "urgent sortie by \(by)")],
                             ended: [], reason: "urgent sorties on \(choice.drone.serial)", by: by)
        }
        wake.yield()
        return records
    }
}
