/// The plain baseline a person would write first: take the stalest due visit (earliest due date,
/// then cell id), and give it to the first slot in time, from the opening of its window (the same
/// `earliestShare` before the due date that CoverageScheduler uses) on, where a candidate dock
/// (nearest first) has its drone free and open and a pilot of the formation (first by id) may
/// take it within licence, duty and rest. No look at flight time, no look at the due date beyond
/// the order. The visit's next due date is its end plus the revisit period.
enum StalenessGreedy {
    static func plan(_ p: QualityInstance) -> [PlannedVisit] {
        var droneBusy: [[(Int64, Int64)]] = Array(repeating: [], count: p.docks.count)
        var pilotBusy: [[(Int64, Int64)]] = Array(repeating: [], count: p.pilots.count)
        var shifts: [[Int: (Int64, Int64)]] = Array(repeating: [:], count: p.pilots.count)
        var pilotsOf: [String: [Int]] = [:]
        for (i, pilot) in p.pilots.enumerated() { pilotsOf[pilot.formation, default: []].append(i) }
        let mayFly = p.pilots.map { Set($0.mayFlyDays) }

        func day(of t: Int64) -> Int? { p.days.first { $0.windowStart <= t && t < $0.windowEnd }?.index }
        func inOpen(_ d: Int, _ s: Int64, _ e: Int64) -> Bool { p.docks[d].open.contains { $0[0] <= s && e <= $0[1] } }
        func free(_ list: [(Int64, Int64)], _ s: Int64, _ e: Int64) -> Bool { !list.contains { $0.0 < e && s < $0.1 } }

        func pilotFits(_ i: Int, _ s: Int64, _ e: Int64, _ day: Int) -> Bool {
            let pilot = p.pilots[i]
            guard mayFly[i].contains(day), free(pilotBusy[i], s, e) else { return false }
            var a = s, b = e
            if let sh = shifts[i][day] { a = min(a, sh.0); b = max(b, sh.1) }
            guard b - a <= pilot.maxDutySeconds else { return false }
            for k in 1...2 {
                if let before = shifts[i][day - k], a - before.1 < pilot.minRestSeconds { return false }
                if let after = shifts[i][day + k], after.0 - b < pilot.minRestSeconds { return false }
            }
            return true
        }

        var queue: [(due: Int64, cell: Int)] = p.cells.indices.map { (p.cells[$0].firstDue, $0) }
            .sorted { $0.due != $1.due ? $0.due < $1.due : p.cells[$0.cell].id < p.cells[$1.cell].id }
        var head = 0
        var out: [PlannedVisit] = []
        while head < queue.count {
            let (due, c) = queue[head]
            head += 1
            let cell = p.cells[c]
            let from = max(0, due - Int64(Double(cell.periodSeconds) * p.earliestShare))
            var s = (from + p.slotSeconds - 1) / p.slotSeconds * p.slotSeconds
            var placed: PlannedVisit?
            search: while s < p.horizonSeconds {
                defer { s += p.slotSeconds }
                guard let d = day(of: s) else { continue }
                for (o, option) in cell.options.enumerated() {
                    let dock = p.docks[option.dock]
                    var t = s, ok = true
                    var spans: [(Int64, Int64)] = []
                    for dur in option.sortieSeconds {
                        guard inOpen(option.dock, t, t + dur), free(droneBusy[option.dock], t, t + dur + dock.chargeSeconds) else { ok = false; break }
                        spans.append((t, t + dur + dock.chargeSeconds))
                        t += dur + dock.chargeSeconds
                    }
                    guard ok else { continue }
                    let end = t - dock.chargeSeconds
                    guard let pilot = (pilotsOf[dock.formation] ?? []).first(where: { pilotFits($0, s, end, d) }) else { continue }
                    droneBusy[option.dock].append(contentsOf: spans)
                    pilotBusy[pilot].append((s, end))
                    let sh = shifts[pilot][d] ?? (s, end)
                    shifts[pilot][d] = (min(sh.0, s), max(sh.1, end))
                    placed = PlannedVisit(cell: c, option: o, pilot: pilot, start: s)
                    break search
                }
            }
            guard let v = placed else { continue }
            out.append(v)
            let cellOption = cell.options[v.option]
            let end = v.start + cellOption.sortieSeconds.reduce(0, +) + Int64(cellOption.sortieSeconds.count - 1) * p.docks[cellOption.dock].chargeSeconds
            let next = end + cell.periodSeconds
            if next < p.horizonSeconds {
                let i = queue[head...].firstIndex { $0.due > next || ($0.due == next && p.cells[$0.cell].id > cell.id) } ?? queue.count
                queue.insert((next, c), at: i)
            }
        }
        return out
    }
}
