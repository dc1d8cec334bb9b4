import TianyanModel

/// Places cell surveys in time over a horizon: which drone, from which dock, flown by which pilot,
/// when. Pure and deterministic (no randomness; ties go to the smaller id).
///
/// Construction: visits are taken most urgent first (earliest due date, then cell id). For each,
/// the candidate docks (nearest of the cell's own formations that have a pilot licensed for docks
/// at the horizon start; more when borrowing) are tried
/// cheapest plan first, and the visit goes to the latest slot that still ends by its due date
/// (keeping the revisit cycle as long as allowed). A visit no candidate can fly by its due date
/// waits until every visit that still can has been placed, then goes to the slot that ends
/// earliest after it (so one late visit does not make others late). The pilot is one already on
/// shift that day when one can take it, else the eligible one with the fewest hours so far. After
/// a visit its next due date (end + revisit period) is queued if it falls inside the horizon.
/// Improvement: each visit is then offered to a cheaper dock if one can fly it without ending
/// later than before (or after its due date); then each visit is handed to a pilot with fewer
/// hours where that balances the pilots' hours.
///
/// The hard constraints are those documented on `ScheduleInput`; `Schedule.violations(for:)`
/// checks them independently.
public enum CoverageScheduler {
    public static func schedule(_ input: ScheduleInput) -> Schedule {
        schedule(input, progress: nil)
    }

    /// As `schedule(_:)`, telling `progress` how far it is (0-1, rising, at most a hundred calls):
    /// for a progress bar on large instances. The result does not depend on it.
    public static func schedule(_ input: ScheduleInput, progress: (@Sendable (Double) -> Void)?) -> Schedule {
        var engine = Engine(input)
        engine.progress = progress
        engine.construct()
        if input.options.improve {
            progress?(0.9)
            engine.improve()
        }
        progress?(1)
        return engine.finish()
    }
}

/// Sorted, disjoint half-open intervals of epoch seconds.
struct IntervalSet {
    var starts: [Int64] = []
    var ends: [Int64] = []

    /// Index of the first interval whose start is ≥ `t`.
    private func lowerBound(_ t: Int64) -> Int {
        var lo = 0, hi = starts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if starts[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    func overlaps(_ s: Int64, _ e: Int64) -> Bool {
        let i = lowerBound(e)  // intervals before i start before e
        return i > 0 && ends[i - 1] > s
    }

    mutating func insert(_ s: Int64, _ e: Int64) {
        let i = lowerBound(s)
        starts.insert(s, at: i)
        ends.insert(e, at: i)
    }

    mutating func remove(_ s: Int64, _ e: Int64) {
        let i = lowerBound(s)
        if i < starts.count, starts[i] == s, ends[i] == e {
            starts.remove(at: i)
            ends.remove(at: i)
        }
    }
}

/// Internal rather than private so that re-planning (`Replanning.swift`) can place visits around
/// the sorties it keeps.
struct Engine {
    struct DockInfo {
        var dock: Dock
        var drone: Drone
        var caps: DockProfile.Capabilities
        var planner: SurveyPlanner
        var community: String?
        var chargeSeconds: Int64
        var weather: Int  // index into weatherOK
        var unavailable: [(Int64, Int64)]
    }

    struct PlanEntry {
        var dock: Int
        var plan: SurveyPlan
        var durations: [Int64]
        var total: Double
    }

    struct Visit {
        var cell: Int
        var due: Int64
        var dock: Int
        var pilot: Int
        var starts: [Int64]
        var end: Int64 { starts.last! + plans[0].durations.last! }
        /// The plan flown (one entry).
        var plans: [PlanEntry]
    }

    struct PilotState {
        var busy = IntervalSet()
        var shifts: [Int64: (Int64, Int64)] = [:]
        var seconds: Int64 = 0
    }

    struct Flags: OptionSet {
        let rawValue: Int
        static let unavailable = Flags(rawValue: 1)
        static let weather = Flags(rawValue: 2)
        static let capacity = Flags(rawValue: 4)
        static let noPilot = Flags(rawValue: 8)
    }

    let input: ScheduleInput
    let h0: Int64, h1: Int64, slot: Int64
    let hours: FlyingHours
    var docks: [DockInfo] = []
    var pilots: [Pilot]
    var pilotState: [PilotState]
    var pilotsByFormation: [String: [Int]] = [:]
    var droneBusy: [IntervalSet]
    /// Per distinct (wind, rain) limit: is forecast hour i flyable?
    var weatherOK: [[Bool]] = []
    let forecastStart: Int64
    let cells: [GridCell]
    var candidateDocks: [[Int]] = []
    var planCache: [[PlanEntry?]?] = []
    /// Told how far construction is (0-0.9), in steps of a percent.
    var progress: (@Sendable (Double) -> Void)?
    var lastProgress = -1
    var planningErrors: [String: String] = [:]
    var visits: [Visit] = []
    var visitsNeeded: [Int]
    var firstDue: [Int64]
    var unplaced: [Int: (due: Int64, flags: Flags)] = [:]
    var lateFlags: [Int: Flags] = [:]
    var noDock: Set<Int> = []
    var communityOfFormation: [String: String] = [:]

    init(_ input: ScheduleInput) {
        self.input = input
        h0 = input.horizonStart.milliseconds / 1_000
        h1 = h0 + Int64(input.horizonDays) * 86_400
        slot = Int64(input.options.slotSeconds)
        hours = input.flyingHours
        forecastStart = input.forecast.start.milliseconds
        cells = input.registry.cells
        let reg = input.registry
        for f in reg.formations { communityOfFormation[f.id] = f.community }
        pilots = reg.pilots.sorted { $0.id < $1.id }
        pilotState = Array(repeating: PilotState(), count: pilots.count)
        for (i, p) in pilots.enumerated() { pilotsByFormation[p.formation, default: []].append(i) }

        var planners: [String: SurveyPlanner] = [:]
        var limits: [String: Int] = [:]
        let droneOfDock = Dictionary(reg.drones.filter { $0.dock != nil }.sorted { $0.serial < $1.serial }.map { ($0.dock!, $0) },
                                     uniquingKeysWith: { a, _ in a })
        for dock in reg.docks.sorted(by: { $0.serial < $1.serial }) {
            guard let drone = droneOfDock[dock.serial], let caps = input.capabilitiesByDockModel[dock.model] else { continue }
            if planners[dock.model] == nil {
                guard let p = try? SurveyPlanner(capabilities: caps, configuration: input.options.survey) else { continue }
                planners[dock.model] = p
            }
            let key = "\(caps.maxWindMetresPerSecond)|\(caps.maxRainfall)"
            if limits[key] == nil {
                limits[key] = weatherOK.count
                weatherOK.append(input.forecast.hours.map { h in
                    h.map { $0.windMetresPerSecond <= caps.maxWindMetresPerSecond && $0.rainfall <= caps.maxRainfall } ?? false
                })
            }
            let unavailable = input.unavailability.filter { $0.drone == drone.serial }.map { u in
                (u.from.map { $0.milliseconds / 1_000 } ?? Int64.min, u.until.map { ($0.milliseconds + 999) / 1_000 } ?? Int64.max)
            }
            docks.append(DockInfo(dock: dock, drone: drone, caps: caps, planner: planners[dock.model]!,
                                  community: communityOfFormation[dock.formation], chargeSeconds: Int64((caps.chargeMinutes * 60).rounded(.up)),
                                  weather: limits[key]!, unavailable: unavailable))
        }
        droneBusy = Array(repeating: IntervalSet(), count: docks.count)
        visitsNeeded = Array(repeating: 0, count: cells.count)
        firstDue = Array(repeating: 0, count: cells.count)
        planCache = Array(repeating: nil, count: cells.count)

        // Candidate docks per cell: nearest of its own formations, plus nearest overall when borrowing.
        let k = input.options.docksPerCell
        let firstDay = input.flyingHours.localDay(h0)
        let crewedFormations = Set(pilots.filter { $0.mayFlyDock(onLocalDay: firstDay) }.map(\.formation))
        for cell in cells {
            let centre = cell.polygon.isEmpty ? Coordinate(latitude: 0, longitude: 0) : Geodesy.centroid(of: cell.polygon)
            let byDistance = docks.indices.map { ($0, Geodesy.distance(docks[$0].dock.location, centre)) }
                .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : docks[$0.0].dock.serial < docks[$1.0].dock.serial }
            // Docks whose formation has a pilot who may fly docks come first; the others only
            // when there are none (so that the report can say no pilot is licensed).
            let own = byDistance.filter { docks[$0.0].community == cell.community }.map(\.0)
            let crewed = own.filter { crewedFormations.contains(docks[$0].dock.formation) }
            var chosen = Array((crewed.isEmpty ? own : crewed).prefix(k))
            if input.options.allowBorrowing {
                for (d, _) in byDistance.prefix(k) where !chosen.contains(d) { chosen.append(d) }
            }
            candidateDocks.append(chosen)
        }
    }

    // MARK: Plans

    mutating func plans(for c: Int) -> [PlanEntry?] {
        if let cached = planCache[c] { return cached }
        let cell = cells[c]
        var out: [PlanEntry?] = []
        for d in candidateDocks[c] {
            let info = docks[d]
            do {
                let plan = try info.planner.plan(cell: cell, dock: info.dock)
                let bad = plan.problems.contains { $0.kind == .outOfRange || $0.kind == .beyondEndurance }
                let far = cell.polygon.map { Geodesy.distance(info.dock.location, $0) }.max() ?? .infinity
                let budget = info.caps.enduranceMinutes * 60 * (1 - info.caps.reservePercent / 100)
                if bad || plan.sorties.isEmpty || far > info.caps.rangeKilometres * 1_000
                    || plan.sorties.contains(where: { $0.durationSeconds > budget }) {
                    out.append(nil)
                } else {
                    let durations = plan.sorties.map { Int64($0.durationSeconds.rounded(.up)) }
                    out.append(PlanEntry(dock: d, plan: plan, durations: durations, total: plan.totalDurationSeconds))
                }
            } catch {
                planningErrors[cell.id] = "\(error)"
                out.append(nil)
            }
        }
        planCache[c] = out
        return out
    }

    // MARK: Feasibility

    func weatherFine(_ w: Int, _ s: Int64, _ e: Int64) -> Bool {
        let table = weatherOK[w]
        let a = s * 1_000 - forecastStart, b = e * 1_000 - 1 - forecastStart
        guard a >= 0 else { return false }
        let i0 = Int(a / 3_600_000), i1 = Int(b / 3_600_000)
        guard i1 < table.count else { return false }
        for i in i0...i1 where !table[i] { return false }
        return true
    }

    /// Can pilot `p` take the block `[s, e)` on local day `day`?
    func pilotFits(_ p: Int, _ s: Int64, _ e: Int64, day: Int64) -> Bool {
        let pilot = pilots[p], st = pilotState[p]
        guard pilot.mayFlyDock(onLocalDay: day), !st.busy.overlaps(s, e) else { return false }
        var start = s, end = e
        if let shift = st.shifts[day] { start = min(start, shift.0); end = max(end, shift.1) }
        guard Double(end - start) <= pilot.maxDutyHoursPerDay * 3_600 else { return false }
        let rest = Int64((pilot.minRestHours * 3_600).rounded(.up))
        let reach = Int64(pilot.minRestHours / 24) + 2
        for k in 1...reach {
            if let before = st.shifts[day - k], start - before.1 < rest { return false }
            if let after = st.shifts[day + k], after.0 - end < rest { return false }
        }
        return true
    }

    /// The pilots who could fly the dock's drone, own formation first.
    func pilotPool(_ d: Int) -> [[Int]] {
        let own = pilotsByFormation[docks[d].dock.formation] ?? []
        if !input.options.allowBorrowing { return [own] }
        return [own, pilots.indices.filter { pilots[$0].formation != docks[d].dock.formation }]
    }

    /// Sortie starts and pilot for a visit of plan `entry` starting at `s`, or nil with why.
    func tryPlace(_ entry: PlanEntry, at s: Int64, pools: [[Int]], flags: inout Flags) -> (starts: [Int64], pilot: Int)? {
        let info = docks[entry.dock]
        var starts: [Int64] = []
        var t = s
        let day = hours.localDay(s)
        for dur in entry.durations {
            let e = t + dur
            guard e <= h1, hours.localDay(t) == day, hours.contains(t, e) else { return nil }
            if info.unavailable.contains(where: { $0.0 < e && t < $0.1 }) { flags.insert(.unavailable); return nil }
            if !weatherFine(info.weather, t, e) { flags.insert(.weather); return nil }
            if droneBusy[entry.dock].overlaps(t, e + info.chargeSeconds) { flags.insert(.capacity); return nil }
            starts.append(t)
            t = e + info.chargeSeconds
        }
        let end = starts.last! + entry.durations.last!
        var anyLicensed = false
        for pool in pools {
            var best: Int?
            for p in pool {
                if pilots[p].mayFlyDock(onLocalDay: day) { anyLicensed = true } else { continue }
                guard pilotFits(p, s, end, day: day) else { continue }
                // A pilot already on shift that day keeps flying: starting a second pilot's shift
                // while the first still has duty left leaves both spans short of the day.
                if let b = best {
                    let bOn = pilotState[b].shifts[day] != nil, pOn = pilotState[p].shifts[day] != nil
                    if bOn && !pOn { continue }
                    if bOn == pOn && pilotState[b].seconds <= pilotState[p].seconds { continue }
                }
                best = p
            }
            if let best { return (starts, best) }
        }
        flags.insert(anyLicensed ? .capacity : .noPilot)
        return nil
    }

    func slotIndex(_ t: Int64) -> Int64 { t >= h0 ? (t - h0) / slot : -1 }

    /// Latest start on the slot grid whose visit ends by `due`, searching back to the horizon start.
    /// Never ending before `minEnd` when given.
    func latestBefore(_ entry: PlanEntry, due: Int64, period: Int64, minEnd: Int64? = nil, flags: inout Flags) -> (starts: [Int64], pilot: Int)? {
        let total = entry.durations.reduce(0, +) + Int64(entry.durations.count - 1) * docks[entry.dock].chargeSeconds
        var k = slotIndex(min(due, h1) - total)
        let pools = pilotPool(entry.dock)
        if pools.allSatisfy(\.isEmpty) { flags.insert(.noPilot); return nil }
        // Never earlier than `earliestShare` of the revisit period before the due date.
        let from = max(h0, due - Int64(Double(period) * input.options.earliestShare))
        let lowest = (from - h0 + slot - 1) / slot
        while k >= lowest {
            let s = h0 + k * slot
            if let minEnd, s + total < minEnd { break }
            if let r = tryPlace(entry, at: s, pools: pools, flags: &flags) { return r }
            k -= 1
        }
        return nil
    }

    /// Earliest start on the slot grid from `from` on.
    func earliestFrom(_ entry: PlanEntry, from: Int64, flags: inout Flags) -> (starts: [Int64], pilot: Int)? {
        var k = max(0, (max(from, h0) - h0 + slot - 1) / slot)
        let pools = pilotPool(entry.dock)
        if pools.allSatisfy(\.isEmpty) { flags.insert(.noPilot); return nil }
        while h0 + k * slot < h1 {
            if let r = tryPlace(entry, at: h0 + k * slot, pools: pools, flags: &flags) { return r }
            k += 1
        }
        return nil
    }

    mutating func commit(_ v: Visit) {
        let entry = v.plans[0]
        let info = docks[entry.dock]
        for (s, dur) in zip(v.starts, entry.durations) {
            droneBusy[entry.dock].insert(s, s + dur + info.chargeSeconds)
        }
        let s = v.starts[0], e = v.end
        pilotState[v.pilot].busy.insert(s, e)
        let day = hours.localDay(s)
        let shift = pilotState[v.pilot].shifts[day] ?? (s, e)
        pilotState[v.pilot].shifts[day] = (min(shift.0, s), max(shift.1, e))
        pilotState[v.pilot].seconds += entry.durations.reduce(0, +)
    }

    mutating func uncommit(_ v: Visit) {
        let entry = v.plans[0]
        let info = docks[entry.dock]
        for (s, dur) in zip(v.starts, entry.durations) {
            droneBusy[entry.dock].remove(s, s + dur + info.chargeSeconds)
        }
        let s = v.starts[0], e = v.end
        pilotState[v.pilot].busy.remove(s, e)
        pilotState[v.pilot].seconds -= entry.durations.reduce(0, +)
        // Rebuild the day's shift from the pilot's remaining blocks that start that day.
        let day = hours.localDay(s)
        var shift: (Int64, Int64)?
        let busy = pilotState[v.pilot].busy
        for (bs, be) in zip(busy.starts, busy.ends) where hours.localDay(bs) == day {
            shift = shift.map { (min($0.0, bs), max($0.1, be)) } ?? (bs, be)
        }
        pilotState[v.pilot].shifts[day] = shift
    }

    // MARK: Construction

    mutating func construct() {
        // Due dates: last covered + revisit period; never covered: due at the start.
        var queue: [(due: Int64, cell: Int)] = []
        for (c, cell) in cells.enumerated() {
            let period = Int64(max(1, cell.revisitDays)) * 86_400
            let due = input.lastCovered[cell.id].map { $0.milliseconds / 1_000 + period } ?? h0
            firstDue[c] = due
            if due < h1 { queue.append((due, c)) }
        }
        queue.sort { $0.due != $1.due ? $0.due < $1.due : cells[$0.cell].id < cells[$1.cell].id }
        // Visits that cannot make their due date wait until every visit that still can has been
        // placed, so that a late visit never takes the slot an on-time one needed (fewer cells go
        // overdue; a cascade of lateness otherwise follows a short spell of capacity).
        var late: [(due: Int64, cell: Int, flags: Flags)] = []
        var nextLate = 0
        var head = 0
        while head < queue.count || nextLate < late.count {
            if let progress {
                let percent = (head + nextLate) * 90 / max(1, queue.count + late.count)
                if percent > lastProgress {
                    lastProgress = percent
                    progress(Double(percent) / 100)
                }
            }
            let due: Int64, c: Int
            var flags: Flags = []
            var placed: Visit?
            let entries: [PlanEntry]
            if head < queue.count {
                (due, c) = queue[head]
                head += 1
                visitsNeeded[c] += 1
                entries = plans(for: c).compactMap { $0 }
                    .sorted { $0.total != $1.total ? $0.total < $1.total : docks[$0.dock].dock.serial < docks[$1.dock].dock.serial }
                if entries.isEmpty {
                    noDock.insert(c)
                    unplaced[c] = (due, [])
                    continue
                }
                if due > h0 {
                    for entry in entries {
                        if let r = latestBefore(entry, due: due, period: Int64(max(1, cells[c].revisitDays)) * 86_400, flags: &flags) {
                            placed = Visit(cell: c, due: due, dock: entry.dock, pilot: r.pilot, starts: r.starts, plans: [entry])
                            break
                        }
                    }
                }
                if placed == nil {
                    late.append((due, c, flags))
                    continue
                }
            } else {
                // Late visits, in due-date order (they were deferred in queue order).
                (due, c, flags) = late[nextLate]
                nextLate += 1
                entries = plans(for: c).compactMap { $0 }
                    .sorted { $0.total != $1.total ? $0.total < $1.total : docks[$0.dock].dock.serial < docks[$1.dock].dock.serial }
            }
            if placed == nil {
                var lateFlagsHere: Flags = []
                var best: Visit?
                for entry in entries {
                    if let r = earliestFrom(entry, from: due > h0 ? due - entry.durations.reduce(0, +) : h0, flags: &lateFlagsHere) {
                        let v = Visit(cell: c, due: due, dock: entry.dock, pilot: r.pilot, starts: r.starts, plans: [entry])
                        if best == nil || v.end < best!.end { best = v }
                    }
                }
                placed = best
                if best == nil { unplaced[c] = (due, flags.union(lateFlagsHere)) }
                else { lateFlags[c, default: []].formUnion(due > h0 ? flags : lateFlagsHere) }
            }
            guard let v = placed else { continue }
            commit(v)
            visits.append(v)
            let next = v.end + Int64(max(1, cells[c].revisitDays)) * 86_400
            if next < h1 {
                // Keep the queue ordered by due date (binary insertion after the head).
                var lo = head, hi = queue.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    let q = queue[mid]
                    if q.due < next || (q.due == next && cells[q.cell].id < cells[c].id) { lo = mid + 1 } else { hi = mid }
                }
                queue.insert((next, c), at: lo)
            }
        }
    }

    // MARK: Improvement

    /// Offers every visit, in order, to a cheaper candidate dock that can fly it ending no earlier
    /// than before (so the cell's next due date does not move forward) and no later than before or
    /// than its due date, whichever is later. Each move lowers total flight time and adds no
    /// lateness, so the objective's order is respected.
    mutating func improve() {
        for i in visits.indices {
            let v = visits[i]
            let current = v.plans[0]
            let cheaper = plans(for: v.cell).compactMap { $0 }
                .filter { $0.total < current.total - 1e-6 }
                .sorted { $0.total != $1.total ? $0.total < $1.total : docks[$0.dock].dock.serial < docks[$1.dock].dock.serial }
            guard !cheaper.isEmpty else { continue }
            uncommit(v)
            var moved: Visit?
            var flags: Flags = []
            for entry in cheaper {
                if let r = latestBefore(entry, due: max(v.due, v.end), period: Int64(max(1, cells[v.cell].revisitDays)) * 86_400, minEnd: v.end, flags: &flags) {
                    moved = Visit(cell: v.cell, due: v.due, dock: entry.dock, pilot: r.pilot, starts: r.starts, plans: [entry])
                    break
                }
            }
            let chosen = moved ?? v
            visits[i] = chosen
            commit(chosen)
        }
        balancePilots()
    }

    /// Hands each visit to the eligible pilot with the fewest hours when that pilot would still
    /// have fewer than its current pilot has without it: the sum of squared pilot hours falls with
    /// every move, and times, drones and routes stay as they are.
    mutating func balancePilots() {
        for i in visits.indices {
            let v = visits[i]
            let seconds = v.plans[0].durations.reduce(0, +)
            let day = hours.localDay(v.starts[0])
            uncommit(v)
            var best = v.pilot
            for pool in pilotPool(v.plans[0].dock) {
                for p in pool where p != v.pilot && pilotState[p].seconds + seconds < pilotState[best].seconds {
                    if pilotFits(p, v.starts[0], v.end, day: day) { best = p }
                }
                if best != v.pilot { break }  // own formation first
            }
            visits[i].pilot = best
            commit(visits[i])
        }
    }

    // MARK: Output

    mutating func finish() -> Schedule {
        var sorties: [ScheduledSortie] = []
        var perPilot: [String: Double] = [:], perDrone: [String: Double] = [:], perDay: [String: Int] = [:]
        var total = 0.0
        var visitEnds: [Int: [(due: Int64, end: Int64)]] = [:]
        for v in visits {
            let entry = v.plans[0]
            let info = docks[entry.dock]
            for (k, (s, dur)) in zip(v.starts, entry.durations).enumerated() {
                let route = entry.plan.sorties[k]
                sorties.append(ScheduledSortie(drone: info.drone.serial, dock: info.dock.serial, pilot: pilots[v.pilot].id,
                                               formation: info.dock.formation, cells: [cells[v.cell].id],
                                               start: Timestamp(milliseconds: s * 1_000), end: Timestamp(milliseconds: (s + dur) * 1_000),
                                               planSortie: k, planSortieCount: entry.plan.sorties.count, route: route))
                perPilot[pilots[v.pilot].id, default: 0] += Double(dur)
                perDrone[info.drone.serial, default: 0] += Double(dur)
                let date = CivilDate(days: hours.localDay(s))
                perDay[date.description, default: 0] += 1
                total += route.durationSeconds
            }
            visitEnds[v.cell, default: []].append((v.due, v.end))
        }
        sorties.sort { $0.start != $1.start ? $0.start < $1.start : $0.drone < $1.drone }

        var reports: [CellReport] = []
        var worstOverall: Double? = 0
        var cellsDue = 0
        for (c, cell) in cells.enumerated() {
            let list = (visitEnds[c] ?? []).sorted { $0.end < $1.end }
            if visitsNeeded[c] > 0 { cellsDue += 1 }
            // Due dates from the visits as finally placed: the first from the last coverage, each
            // next one a revisit period after the previous visit ended.
            let period = Int64(max(1, cell.revisitDays)) * 86_400
            var overdue: Int64 = 0
            var due = firstDue[c]
            for x in list {
                overdue = max(overdue, x.end - due)
                due = x.end + period
            }
            if unplaced[c] != nil {
                unplaced[c]!.due = due
                overdue = max(overdue, h1 - max(due, h0))
            }
            // Staleness: gaps between coverage events inside the horizon.
            var last: Int64? = input.lastCovered[cell.id].map { $0.milliseconds / 1_000 }
            var worst: Int64? = nil
            for x in list {
                if let l = last { worst = max(worst ?? 0, x.end - l) }
                last = x.end
            }
            if let l = last { worst = max(worst ?? 0, h1 - l) }
            if let w = worst { if worstOverall != nil { worstOverall = max(worstOverall!, Double(w)) } } else { worstOverall = nil }

            var reasons = Set<InfeasibilityReason>()
            var notes: [String] = []
            let flags = unplaced[c]?.flags ?? lateFlags[c] ?? []
            if let message = planningErrors[cell.id] { reasons.insert(.invalidCell); notes.append(message) }
            else if noDock.contains(c) { reasons.insert(.noDockInRange) }
            if flags.contains(.unavailable) { reasons.insert(.droneUnavailable) }
            if flags.contains(.weather) { reasons.insert(.weatherClosed) }
            if flags.contains(.noPilot) { reasons.insert(.noLicensedPilot) }
            if flags.contains(.capacity) { reasons.insert(.noCapacity) }
            // Nothing else stood in the way: only the flying hours (e.g. a visit longer than a day's window).
            if reasons.isEmpty && (unplaced[c] != nil || (overdue > 0 && firstDue[c] > h0)) { reasons.insert(.noCapacity) }
            if overdue > 0 && firstDue[c] <= h0 {
                notes.append(input.lastCovered[cell.id] == nil ? "never covered: due at the horizon start" : "already due at the horizon start")
            }
            if unplaced[c] != nil { notes.append("a visit due \(Timestamp(milliseconds: max(unplaced[c]!.due, h0) * 1_000)) could not be flown in the horizon") }
            if overdue > 0 || !reasons.isEmpty || !notes.isEmpty {
                reports.append(CellReport(cell: cell.id, revisitDays: cell.revisitDays, firstDue: Timestamp(milliseconds: firstDue[c] * 1_000),
                                          visitsNeeded: visitsNeeded[c], visitsScheduled: list.count, overdueSeconds: Double(overdue),
                                          worstStalenessSeconds: worst.map(Double.init), reasons: reasons.sorted(), notes: notes))
            }
        }
        let overdue = reports.filter { $0.overdueSeconds > 0 }
            .sorted { $0.overdueSeconds != $1.overdueSeconds ? $0.overdueSeconds > $1.overdueSeconds : $0.cell < $1.cell }

        // Weather hours inside the flying windows: unknown, or closed for every dock model.
        var unknown: [Timestamp] = [], closed: [Timestamp] = []
        var t = h0 - ((h0 * 1_000 - forecastStart) % 3_600_000 + 3_600_000) % 3_600_000 / 1_000
        while t < h1 {
            if hours.hourOverlapsWindow(t) {
                let ms = t * 1_000 - forecastStart
                let i = ms >= 0 ? Int(ms / 3_600_000) : -1
                if i < 0 || i >= input.forecast.hours.count || input.forecast.hours[i] == nil {
                    unknown.append(Timestamp(milliseconds: t * 1_000))
                } else if !weatherOK.isEmpty && weatherOK.allSatisfy({ !$0[i] }) {
                    closed.append(Timestamp(milliseconds: t * 1_000))
                }
            }
            t += 3_600
        }
        let scheduled = visits.count
        let report = ScheduleReport(cellsDue: cellsDue, visitsNeeded: visitsNeeded.reduce(0, +), visitsScheduled: scheduled,
                                    sortiesPerDay: perDay, secondsPerPilot: perPilot, secondsPerDrone: perDrone, overdue: overdue,
                                    problems: reports, totalFlightSeconds: total, worstStalenessSeconds: worstOverall,
                                    unknownWeatherHours: unknown, closedWeatherHours: closed, planningErrors: planningErrors)
        return Schedule(sorties: sorties, report: report)
    }
}
