import Foundation
import TianyanModel

extension CoverageScheduler {
    /// Re-plans the rest of `previous` after `changes`, keeping what they do not affect.
    ///
    /// - Sorties that started before `now` are history and stay, whatever the changes say.
    /// - A visit (the sorties of one cell's plan from one dock) that a change touches loses its
    ///   sorties not yet started: those on a drone while it is grounded, those in hours the new
    ///   forecast closes for their dock, and the rest of a visit whose sortie failed. The cell is
    ///   then placed again, in full, like the scheduler places any visit (the latest slot that
    ///   ends by its due date, else the one that ends soonest after it), from `now` on and before
    ///   the cell's next kept visit, around everything kept: drones and their charge, pilots'
    ///   duty hours, rest and one sortie at a time, flying hours and weather.
    /// - Cells a failed or partly flown sortie left unimaged get a new visit the same way.
    /// - Every other sortie stays exactly as it was (drone, dock, pilot, time, route).
    ///
    /// `Replan.moves` says what moved and why; `Replan.input` is `input` with the changes applied,
    /// which the new schedule satisfies. Pure and deterministic.
    ///
    /// A failed sortie stays in the schedule as history (its drone and pilot did fly), and a later
    /// re-plan of the result sees it as flown: report each change once.
    public static func replan(_ previous: Schedule, input: ScheduleInput, now: Timestamp, changes: [PlanChange]) -> Replan {
        var replanner = Replanner(previous: previous, input: input, now: now)
        return replanner.run(changes)
    }
}

private struct Grounding {
    var drone: String
    var from: Timestamp
    var until: Timestamp?
    var text: String

    func overlaps(_ s: ScheduledSortie) -> Bool { s.end > from && (until.map { s.start < $0 } ?? true) }
}

private struct Failure {
    var missing: [String]
    var text: String
}

/// One visit to place again: the cells, where it stood in the previous schedule, and why.
private struct Job {
    var group: Int
    var cells: [String]
    var anchor: Timestamp
    var originalDue: Int64
    var before: [ScheduledSortie]
    var tookOff: Bool
    var reason: String
}

private struct Replanner {
    let previous: Schedule
    let input: ScheduleInput
    let now: Timestamp
    /// The previous sorties by start, then drone.
    let sorties: [ScheduledSortie]
    /// Visits: indices into `sorties` of one plan's sorties from one dock, in order.
    var groups: [[Int]] = []
    var notes: [String] = []

    init(previous: Schedule, input: ScheduleInput, now: Timestamp) {
        self.previous = previous
        self.input = input
        self.now = now
        sorties = previous.sorties.sorted { $0.start != $1.start ? $0.start < $1.start : $0.drone < $1.drone }
        var open: [String: Int] = [:]
        for (i, s) in sorties.enumerated() {
            if s.planSortie > 0, let g = open[s.drone], let last = groups[g].last.map({ sorties[$0] }),
               last.planSortie == s.planSortie - 1, last.planSortieCount == s.planSortieCount, last.cells == s.cells, last.dock == s.dock {
                groups[g].append(i)
            } else {
                groups.append([i])
                open[s.drone] = groups.count - 1
            }
        }
    }

    func isHistory(_ i: Int) -> Bool { sorties[i].start < now }

    func isComplete(_ g: Int) -> Bool {
        let first = sorties[groups[g][0]]
        return first.planSortie == 0 && groups[g].count == first.planSortieCount
    }

    /// The sortie of `drone` that started at `t`, else the one under way at `t`.
    func sortie(of drone: String, at t: Timestamp) -> Int? {
        sorties.firstIndex { $0.drone == drone && $0.start == t } ?? sorties.firstIndex { $0.drone == drone && $0.start <= t && t < $0.end }
    }

    mutating func run(_ changes: [PlanChange]) -> Replan {
        let hourMs: Int64 = 3_600_000

        // The changes.
        var groundings: [Grounding] = []
        var updates: [WeatherForecast] = []
        var failures: [Int: Failure] = [:]
        for change in changes {
            switch change {
            case let .droneGrounded(drone, from, until, note):
                var text = "drone \(drone) grounded from \(local(from))"
                if let until { text += " until \(local(until))" }
                if let note, !note.isEmpty { text += " (\(note))" }
                groundings.append(Grounding(drone: drone, from: from, until: until, text: text))
            case let .sortieFailed(drone, start):
                if let i = sortie(of: drone, at: start) { failures[i] = Failure(missing: sorties[i].cells, text: "sortie failed") }
                else { notes.append("no sortie of \(drone) at \(start) in the previous schedule; its failure was ignored") }
            case let .sortiePartlyFlown(drone, start, covered):
                if let i = sortie(of: drone, at: start) {
                    let missing = sorties[i].cells.filter { !covered.contains($0) }
                    failures[i] = Failure(missing: missing, text: missing.isEmpty ? "sortie partly flown; all its cells were imaged"
                                            : "sortie only partly flown: \(missing.joined(separator: ", ")) not imaged")
                } else {
                    notes.append("no sortie of \(drone) at \(start) in the previous schedule; its partial flight was ignored")
                }
            case let .forecastUpdated(forecast): updates.append(forecast)
            }
        }

        // Forecasts on the previous forecast's hours. Placement uses the new hours, and in hours
        // a started sortie flew in the worse of old and new; the returned input keeps the old
        // there, so history is judged by the forecast it flew under.
        let old = input.forecast
        var count = old.hours.count
        for u in updates {
            let end = u.start.milliseconds + Int64(u.hours.count) * hourMs - old.start.milliseconds
            if end > 0 { count = max(count, Int((end + hourMs - 1) / hourMs)) }
        }
        var historyHours = Set<Int>()
        for i in sorties.indices where isHistory(i) {
            let a = sorties[i].start.milliseconds - old.start.milliseconds, b = sorties[i].end.milliseconds - 1 - old.start.milliseconds
            guard b >= 0 else { continue }
            let i0 = Int(max(0, a) / hourMs), i1 = Int(b / hourMs)
            if i0 <= i1 { historyHours.formUnion(i0...i1) }
        }
        var strict: [WeatherForecast.Hour?] = [], asFlown: [WeatherForecast.Hour?] = []
        for i in 0..<count {
            let t = old.start.milliseconds + Int64(i) * hourMs
            let before = i < old.hours.count ? old.hours[i] : nil
            var value = before
            if t + hourMs > now.milliseconds {
                for u in updates { if let h = u.hour(at: Timestamp(milliseconds: t)) { value = h } }
            }
            if historyHours.contains(i) {
                strict.append(before.flatMap { b in value.map { .init(windMetresPerSecond: max(b.windMetresPerSecond, $0.windMetresPerSecond), rainfall: max(b.rainfall, $0.rainfall)) } })
                asFlown.append(before)
            } else {
                strict.append(value)
                asFlown.append(value)
            }
        }
        var placing = input
        placing.forecast = WeatherForecast(start: old.start, hours: strict)
        placing.unavailability += groundings.map { DroneUnavailability(drone: $0.drone, from: $0.from, until: $0.until, reason: $0.text) }
        var checked = input
        checked.forecast = WeatherForecast(start: old.start, hours: asFlown)
        for g in groundings {
            // A sortie under way when the drone was grounded is history: the grounding starts when it lands.
            var from = g.from
            for i in sorties.indices where isHistory(i) && sorties[i].drone == g.drone && g.overlaps(sorties[i]) && sorties[i].end > from {
                from = sorties[i].end
            }
            if let until = g.until, from >= until { continue }
            checked.unavailability.append(DroneUnavailability(drone: g.drone, from: from, until: g.until,
                                                              reason: from == g.from ? g.text : g.text + "; in force once its sortie under way landed at \(local(from))"))
        }

        // What the changes touch.
        let docks = Dictionary(input.registry.docks.map { ($0.serial, $0) }, uniquingKeysWith: { a, _ in a })
        var touched: [Int: [String]] = [:]
        for (i, s) in sorties.enumerated() {
            var why = groundings.filter { $0.drone == s.drone && $0.overlaps(s) }.map(\.text)
            if let dock = docks[s.dock], let caps = input.capabilitiesByDockModel[dock.model],
               let w = weatherProblem(s, model: dock.model, caps: caps, forecast: placing.forecast) {
                why.append(w)
            }
            if !why.isEmpty { touched[i] = why }
        }

        // Visits taken off, and history that stays although touched.
        var removed = Set<Int>()
        var movesByGroup: [Int: [ReplanMove]] = [:]
        var jobs: [Job] = []
        for (g, members) in groups.enumerated() {
            let future = members.filter { !isHistory($0) }
            let failed = members.filter { failures[$0] != nil }
            for i in members where (isHistory(i) && touched[i] != nil) || failures[i].map({ $0.missing.isEmpty }) == true {
                let history = sorties[i].end <= now ? "already flown by \(local(now)): " : "already under way at \(local(now)): "
                let why = (failures[i].map { [$0.text] } ?? []) + (touched[i] ?? []).map { history + $0 }
                movesByGroup[g, default: []].append(ReplanMove(kind: .kept, cells: sorties[i].cells, before: [sorties[i]], after: [], changed: [],
                                                               reason: why.joined(separator: "; ")))
            }
            var missing: [String] = []
            for i in failed { for c in failures[i]!.missing where !missing.contains(c) { missing.append(c) } }
            let futureTouched = future.contains { touched[$0] != nil }
            guard futureTouched || !missing.isEmpty else { continue }
            removed.formUnion(future)
            var reasons: [String] = failed.compactMap { failures[$0]!.missing.isEmpty ? nil : failures[$0]!.text }
            for i in future { for r in touched[i] ?? [] where !reasons.contains(r) { reasons.append(r) } }
            if futureTouched && members.contains(where: isHistory) && missing.isEmpty {
                reasons.append("the visit was under way; the cell is flown again in full")
            }
            let first = sorties[members[0]]
            var cells = future.isEmpty ? missing : first.cells
            for c in missing where !cells.contains(c) { cells.append(c) }
            jobs.append(Job(group: g, cells: cells, anchor: first.start, originalDue: 0,
                            before: failed.filter { isHistory($0) && !failures[$0]!.missing.isEmpty }.map { sorties[$0] } + future.map { sorties[$0] },
                            tookOff: !future.isEmpty, reason: reasons.joined(separator: "; ")))
        }

        // The engine, with everything kept booked.
        var engine = Engine(placing)
        let dockIndex = Dictionary(engine.docks.indices.map { (engine.docks[$0].dock.serial, $0) }, uniquingKeysWith: { a, _ in a })
        let pilotIndex = Dictionary(engine.pilots.indices.map { (engine.pilots[$0].id, $0) }, uniquingKeysWith: { a, _ in a })
        let cellIndex = Dictionary(engine.cells.indices.map { (engine.cells[$0].id, $0) }, uniquingKeysWith: { a, _ in a })
        for members in groups {
            let kept = members.filter { !removed.contains($0) }.map { sorties[$0] }
            for (pilot, list) in Dictionary(grouping: kept, by: \.pilot) {
                engine.book(list, dock: dockIndex[list[0].dock], pilot: pilotIndex[pilot])
            }
        }

        // What the report is computed from: due dates, visits needed, the kept visits that cover
        // a cell (complete, not failed, not taken off), and what the previous report could not fly.
        let period = { (c: Int) in Int64(max(1, engine.cells[c].revisitDays)) * 86_400 }
        for (c, cell) in engine.cells.enumerated() {
            engine.firstDue[c] = input.lastCovered[cell.id].map { $0.milliseconds / 1_000 + period(c) } ?? engine.h0
        }
        for (id, message) in previous.report.planningErrors { engine.planningErrors[id] = message }
        let failedGroups = Set(groups.indices.filter { g in groups[g].contains { failures[$0].map { !$0.missing.isEmpty } == true } })
        var coverage: [Int: [(start: Int64, end: Int64, kept: Bool)]] = [:]
        var previousVisits: [Int: [(start: Int64, end: Int64)]] = [:]
        var completeCount: [Int: Int] = [:]
        for (g, members) in groups.enumerated() where isComplete(g) {
            let list = members.map { sorties[$0] }
            let span = (start: list[0].start.milliseconds / 1_000, end: list.last!.end.milliseconds / 1_000)
            for id in list[0].cells {
                guard let c = cellIndex[id] else { continue }
                completeCount[c, default: 0] += 1
                previousVisits[c, default: []].append(span)
                guard !failedGroups.contains(g), !members.contains(where: removed.contains) else { continue }
                coverage[c, default: []].append((span.start, span.end, true))
                if let d = dockIndex[list[0].dock], let p = pilotIndex[list[0].pilot] {
                    engine.visits.append(engine.standInVisit(cell: c, dock: d, pilot: p, sorties: list))
                }
            }
        }
        for report in previous.report.problems {
            guard let c = cellIndex[report.cell] else { continue }
            var flags: Engine.Flags = []
            for r in report.reasons {
                switch r {
                case .droneUnavailable: flags.insert(.unavailable)
                case .weatherClosed: flags.insert(.weather)
                case .noLicensedPilot: flags.insert(.noPilot)
                case .noCapacity: flags.insert(.capacity)
                case .noDockInRange: engine.noDock.insert(c)
                case .invalidCell: break
                }
            }
            if report.visitsScheduled < report.visitsNeeded { engine.unplaced[c] = (0, flags) }
            else if report.overdueSeconds > 0 { engine.lateFlags[c] = flags }
            engine.visitsNeeded[c] = report.visitsNeeded
        }
        for (c, n) in completeCount { engine.visitsNeeded[c] = max(engine.visitsNeeded[c], n) }

        // Place the visits again, most urgent first (their due dates in the previous schedule).
        let nowSeconds = (now.milliseconds + 999) / 1_000
        for k in jobs.indices {
            let anchor = jobs[k].anchor.milliseconds / 1_000
            let dues = jobs[k].cells.compactMap { id in cellIndex[id].map { c in
                (previousVisits[c] ?? []).filter { $0.start < anchor }.map(\.end).max().map { $0 + period(c) } ?? engine.firstDue[c]
            } }
            jobs[k].originalDue = dues.min() ?? engine.h0
        }
        jobs.sort { ($0.originalDue, $0.cells.first ?? "", $0.anchor) < ($1.originalDue, $1.cells.first ?? "", $1.anchor) }
        var newSorties: [ScheduledSortie] = []
        for job in jobs {
            let anchor = job.anchor.milliseconds / 1_000
            var after: [ScheduledSortie] = []
            var problems: [String] = []
            for id in job.cells {
                guard let c = cellIndex[id] else { problems.append("cell \(id) is not in the registry"); continue }
                let list = coverage[c] ?? []
                let prior = list.filter { !$0.kept || $0.start < anchor }.map(\.end).max()
                let next = list.filter { $0.kept && $0.start >= anchor }.map(\.start).min()
                let due = prior.map { $0 + period(c) } ?? engine.firstDue[c]
                let notBefore = max(nowSeconds, engine.h0, prior ?? engine.h0)
                let endBy = min(next ?? engine.h1, engine.h1)
                let (visit, flags) = engine.placeAgain(cell: c, due: due, notBefore: notBefore, endBy: endBy)
                if let v = visit {
                    engine.commit(v)
                    engine.visits.append(v)
                    coverage[c, default: []].append((v.starts[0], v.end, false))
                    after += engine.scheduledSorties(v)
                    if v.end > due { engine.lateFlags[c, default: []].formUnion(flags) }
                } else {
                    if next == nil { engine.unplaced[c] = (due, (engine.unplaced[c]?.flags ?? []).union(flags)) }
                    else { engine.lateFlags[c, default: []].formUnion(flags) }
                    let limit = next.map { "before its next visit at \(local(Timestamp(milliseconds: $0 * 1_000)))" } ?? "before the horizon ends"
                    problems.append("no slot for \(id) from \(local(Timestamp(milliseconds: notBefore * 1_000))) \(limit)"
                                    + (flags.isEmpty ? "" : ": " + Self.describe(flags, noDock: engine.plans(for: c).allSatisfy { $0 == nil })))
                }
            }
            newSorties += after
            let kind: ReplanMove.Kind = after.isEmpty ? .dropped : (job.tookOff ? .moved : .added)
            var changed: [ReplanMove.Aspect] = []
            if let a = job.before.first(where: { !($0.start < now) }) ?? job.before.first, let b = after.first {
                if a.start != b.start { changed.append(.time) }
                if a.drone != b.drone { changed.append(.drone) }
                if a.dock != b.dock { changed.append(.dock) }
                if a.pilot != b.pilot { changed.append(.pilot) }
            }
            if job.tookOff || !after.isEmpty || !problems.isEmpty {
                movesByGroup[job.group, default: []].append(ReplanMove(kind: kind, cells: job.cells, before: job.before, after: after, changed: changed,
                                                                       reason: ([job.reason] + problems).filter { !$0.isEmpty }.joined(separator: "; ")))
            }
        }

        // The schedule: what stays, exactly as it was, and what was placed again.
        var final = sorties.indices.filter { !removed.contains($0) }.map { sorties[$0] } + newSorties
        final.sort { $0.start != $1.start ? $0.start < $1.start : $0.drone < $1.drone }
        var schedule = engine.finish()
        schedule.sorties = final
        var perPilot: [String: Double] = [:], perDrone: [String: Double] = [:], perDay: [String: Int] = [:]
        var total = 0.0
        for s in final {
            perPilot[s.pilot, default: 0] += s.durationSeconds
            perDrone[s.drone, default: 0] += s.durationSeconds
            perDay[CivilDate(days: input.flyingHours.localDay(s.start.milliseconds / 1_000)).description, default: 0] += 1
            total += s.route.durationSeconds
        }
        schedule.report.secondsPerPilot = perPilot
        schedule.report.secondsPerDrone = perDrone
        schedule.report.sortiesPerDay = perDay
        schedule.report.totalFlightSeconds = total
        let moves = movesByGroup.keys.sorted().flatMap { movesByGroup[$0]! }
        let named = Set(moves.flatMap(\.before))
        let untouched = sorties.indices.filter { !removed.contains($0) && !named.contains(sorties[$0]) }.count
        return Replan(schedule: schedule, input: checked, moves: moves, untouched: untouched, notes: notes)
    }

    static func describe(_ flags: Engine.Flags, noDock: Bool) -> String {
        var parts: [String] = []
        if noDock { parts.append("no dock in range") }
        if flags.contains(.unavailable) { parts.append("its drones unavailable") }
        if flags.contains(.weather) { parts.append("weather closed") }
        if flags.contains(.noPilot) { parts.append("no licensed pilot") }
        if flags.contains(.capacity) { parts.append("drones and pilots busy") }
        return parts.joined(separator: ", ")
    }

    // MARK: Words

    /// `2026-12-01 09:00`, local time of the flying hours' zone.
    func local(_ t: Timestamp) -> String {
        let (day, second) = localParts(t)
        return CivilDate(days: day).description + String(format: " %02d:%02d", second / 3_600, second / 60 % 60)
    }

    func localParts(_ t: Timestamp) -> (day: Int64, second: Int64) {
        let s = floorDiv(t.milliseconds, 1_000) + Int64(input.flyingHours.utcOffsetSeconds)
        let day = floorDiv(s, 86_400)
        return (day, s - day * 86_400)
    }

    /// `2026-12-01 13:00–15:00`, or both ends in full when they fall on different days.
    func local(_ a: Timestamp, _ b: Timestamp) -> String {
        let pa = localParts(a), pb = localParts(b)
        if pa.day == pb.day || (pb.day == pa.day + 1 && pb.second == 0) {
            let end = pb.day == pa.day ? pb.second : 86_400
            return local(a) + String(format: "–%02d:%02d", end / 3_600, end / 60 % 60)
        }
        return local(a) + "–" + local(b)
    }

    /// Why the forecast no longer lets this sortie fly, naming the whole closed spell of hours
    /// ("wind 14 m/s over the DJI Dock 2 limit 8 m/s 2026-12-01 13:00–15:00"), or nil.
    func weatherProblem(_ s: ScheduledSortie, model: String, caps: DockProfile.Capabilities, forecast f: WeatherForecast) -> String? {
        let hourMs: Int64 = 3_600_000
        func ok(_ i: Int) -> Bool {
            guard i >= 0, i < f.hours.count, let h = f.hours[i] else { return false }
            return h.windMetresPerSecond <= caps.maxWindMetresPerSecond && h.rainfall <= caps.maxRainfall
        }
        let first = floorDiv(s.start.milliseconds - f.start.milliseconds, hourMs)
        let last = floorDiv(s.end.milliseconds - 1 - f.start.milliseconds, hourMs)
        guard let bad = (first...max(first, last)).first(where: { !ok(Int($0)) }).map(Int.init) else { return nil }
        var a = bad, b = bad
        while a - 1 >= 0, a - 1 < f.hours.count, !ok(a - 1) { a -= 1 }
        while b + 1 < f.hours.count, b + 1 >= 0, !ok(b + 1) { b += 1 }
        let known = (a...b).compactMap { $0 >= 0 && $0 < f.hours.count ? f.hours[$0] : nil }
        var parts: [String] = []
        if let wind = known.map(\.windMetresPerSecond).max(), wind > caps.maxWindMetresPerSecond {
            parts.append("wind \(Self.number(wind)) m/s over the \(model) limit \(Self.number(caps.maxWindMetresPerSecond)) m/s")
        }
        if let rain = known.map(\.rainfall).max(), rain > caps.maxRainfall {
            parts.append("rain \(Self.rainWords(rain)) over the \(model) limit (\(Self.rainWords(caps.maxRainfall)))")
        }
        if known.count < b - a + 1 { parts.append(parts.isEmpty ? "no forecast" : "hours without a forecast") }
        let from = Timestamp(milliseconds: f.start.milliseconds + Int64(a) * hourMs)
        let to = Timestamp(milliseconds: f.start.milliseconds + Int64(b + 1) * hourMs)
        return parts.joined(separator: " and ") + " " + local(from, to)
    }

    static func number(_ x: Double) -> String {
        x == x.rounded() ? String(format: "%.0f", x) : String(format: "%.1f", x)
    }

    static func rainWords(_ level: Int) -> String {
        switch level {
        case ..<1: "none"
        case 1: "light"
        case 2: "moderate"
        default: "heavy"
        }
    }
}

private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

extension Engine {
    /// Holds the drone (and its dock's charge after each sortie) and the pilot for sorties that
    /// stay as they are, as `commit` does for a placed visit.
    mutating func book(_ sorties: [ScheduledSortie], dock d: Int?, pilot p: Int?) {
        guard !sorties.isEmpty else { return }
        let spans = sorties.map { ($0.start.milliseconds / 1_000, ($0.end.milliseconds + 999) / 1_000) }
        if let d {
            for (s, e) in spans { droneBusy[d].insert(s, e + docks[d].chargeSeconds) }
        }
        if let p {
            let s = spans.map(\.0).min()!, e = spans.map(\.1).max()!
            pilotState[p].busy.insert(s, e)
            let day = hours.localDay(s)
            let shift = pilotState[p].shifts[day] ?? (s, e)
            pilotState[p].shifts[day] = (min(shift.0, s), max(shift.1, e))
            pilotState[p].seconds += spans.map { $0.1 - $0.0 }.reduce(0, +)
        }
    }

    /// A kept visit as `finish` reads it (cell, times, dock, pilot, routes), with a stand-in plan
    /// that carries the sorties' own routes.
    func standInVisit(cell c: Int, dock d: Int, pilot p: Int, sorties: [ScheduledSortie]) -> Visit {
        let info = docks[d]
        let plan = SurveyPlan(cellID: cells[c].id, dockSerial: info.dock.serial, sweepBearingDegrees: 0, footprint: info.planner.footprint,
                              surveySpeedMetresPerSecond: info.planner.surveySpeedMetresPerSecond, speedLimitedByCamera: info.planner.speedLimitedByCamera,
                              lanes: [], sorties: sorties.map(\.route), totalDurationSeconds: sorties.map(\.route.durationSeconds).reduce(0, +),
                              totalDistanceMetres: sorties.map(\.route.distanceMetres).reduce(0, +), cellAreaSquareMetres: 0,
                              crossTrackWidthMetres: 0, coveredFraction: 1, problems: [])
        let durations = sorties.map { ($0.end.milliseconds - $0.start.milliseconds + 999) / 1_000 }
        return Visit(cell: c, due: 0, dock: d, pilot: p, starts: sorties.map { $0.start.milliseconds / 1_000 },
                     plans: [PlanEntry(dock: d, plan: plan, durations: durations, total: plan.totalDurationSeconds)])
    }

    /// Places a visit of cell `c` starting at or after `notBefore` and ending by `endBy`: the
    /// latest slot that ends by `due` (no earlier than `earliestShare` of the revisit period
    /// before it), else the one that ends soonest after it. Cheapest plan first, as `construct`.
    mutating func placeAgain(cell c: Int, due: Int64, notBefore: Int64, endBy: Int64) -> (Visit?, Flags) {
        let entries = plans(for: c).compactMap { $0 }
            .sorted { $0.total != $1.total ? $0.total < $1.total : docks[$0.dock].dock.serial < docks[$1.dock].dock.serial }
        var flags: Flags = []
        guard !entries.isEmpty, notBefore < endBy else { return (nil, flags) }
        let period = Int64(max(1, cells[c].revisitDays)) * 86_400
        func ceilSlot(_ t: Int64) -> Int64 { t <= h0 ? 0 : (t - h0 + slot - 1) / slot }
        func length(_ e: PlanEntry) -> Int64 { e.durations.reduce(0, +) + Int64(e.durations.count - 1) * docks[e.dock].chargeSeconds }
        if due > notBefore {
            for entry in entries {
                let pools = pilotPool(entry.dock)
                let latestEnd = min(due, endBy)
                guard latestEnd - length(entry) >= h0 else { continue }
                var k = (latestEnd - length(entry) - h0) / slot
                let lowest = ceilSlot(max(notBefore, due - Int64(Double(period) * input.options.earliestShare)))
                while k >= lowest {
                    if let r = tryPlace(entry, at: h0 + k * slot, pools: pools, flags: &flags) {
                        return (Visit(cell: c, due: due, dock: entry.dock, pilot: r.pilot, starts: r.starts, plans: [entry]), flags)
                    }
                    k -= 1
                }
            }
        }
        var best: Visit?
        for entry in entries {
            let pools = pilotPool(entry.dock)
            var k = ceilSlot(max(notBefore, due - entry.durations.reduce(0, +)))
            while h0 + k * slot + length(entry) <= endBy {
                if let best, h0 + k * slot + length(entry) >= best.end { break }
                if let r = tryPlace(entry, at: h0 + k * slot, pools: pools, flags: &flags) {
                    best = Visit(cell: c, due: due, dock: entry.dock, pilot: r.pilot, starts: r.starts, plans: [entry])
                    break
                }
                k += 1
            }
        }
        return (best, flags)
    }

    /// The sorties of a placed visit, as `finish` writes them.
    func scheduledSorties(_ v: Visit) -> [ScheduledSortie] {
        let entry = v.plans[0]
        let info = docks[entry.dock]
        return zip(v.starts, entry.durations).enumerated().map { k, sd in
            ScheduledSortie(drone: info.drone.serial, dock: info.dock.serial, pilot: pilots[v.pilot].id, formation: info.dock.formation,
                            cells: [cells[v.cell].id], start: Timestamp(milliseconds: sd.0 * 1_000), end: Timestamp(milliseconds: (sd.0 + sd.1) * 1_000),
                            planSortie: k, planSortieCount: entry.plan.sorties.count, route: entry.plan.sorties[k])
        }
    }
}
