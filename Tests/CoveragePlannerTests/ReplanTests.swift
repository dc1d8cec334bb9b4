import Foundation
import Testing
import TianyanModel
@testable import CoveragePlanner

/// The sample town's fortnight, scheduled once for all re-planning tests.
enum ReplanFixtures {
    static let input = ScheduleFixtures.sampleInput()
    static let base = CoverageScheduler.schedule(input)
    static let borrowingInput = ScheduleFixtures.sampleInput(borrowing: true)
    static let borrowingBase = CoverageScheduler.schedule(borrowingInput)

    /// `day` days after the horizon start (2026-11-25 00:00 local), at `hour` local.
    static func at(day: Double, hour: Double) -> Timestamp {
        ScheduleFixtures.start.adding(seconds: day * ScheduleFixtures.day + hour * 3_600)
    }
}

@Suite struct ReplanTests {
    typealias S = ScheduleFixtures
    typealias R = ReplanFixtures

    @Test func groundingADroneMidHorizonMovesOnlyItsSorties() throws {
        let base = R.base
        let now = R.at(day: 7, hour: 8)
        let from = R.at(day: 7, hour: 9), until = R.at(day: 10, hour: 9)
        // The drone with the most sorties in the window.
        let inWindow = Dictionary(grouping: base.sorties.filter { $0.end > from && $0.start < until }, by: \.drone)
        let drone = try #require(inWindow.max { ($0.value.count, $1.key) < ($1.value.count, $0.key) }).key
        let affected = Set(base.sorties.filter { $0.drone == drone && $0.end > from && $0.start < until })
        #expect(affected.count >= 2)

        let r = CoverageScheduler.replan(base, input: R.input, now: now, changes: [.droneGrounded(drone: drone, from: from, until: until)])
        let violations = r.schedule.violations(for: r.input)
        #expect(violations.isEmpty, "\(violations.prefix(5))")
        #expect(r.input.unavailability.contains { $0.drone == drone && $0.from == from && $0.until == until })

        // Everything else is exactly as it was; the drone's sorties in the window are gone and
        // nothing else flies on it then.
        let new = Set(r.schedule.sorties)
        for s in base.sorties { #expect(new.contains(s) == !affected.contains(s), "\(s.drone) \(s.start)") }
        #expect(!r.schedule.sorties.contains { $0.drone == drone && $0.end > from && $0.start < until })
        #expect(r.untouched == base.sorties.count - affected.count)

        // One move per visit taken off, each placed again from now on, and saying why.
        #expect(Set(r.moves.flatMap(\.before)) == affected)
        #expect(Set(r.moves.flatMap(\.after)) == new.subtracting(base.sorties))
        for m in r.moves {
            #expect(m.kind == .moved, "\(m)")
            #expect(m.reason == "drone \(drone) grounded from 2026-12-02 09:00 until 2026-12-05 09:00")
            #expect(m.after.allSatisfy { $0.start >= now && $0.cells == m.cells })
            #expect(!m.changed.isEmpty)
        }
        #expect(r.schedule.report.visitsScheduled == base.report.visitsScheduled)
        #expect(r.schedule.report.sortiesPerDay.values.reduce(0, +) == r.schedule.sorties.count)
    }

    @Test func aSortieUnderWayWhenItsDroneIsGroundedStaysAsHistory() throws {
        let base = R.base
        let flying = try #require(base.sorties.first { $0.start >= R.at(day: 4, hour: 0) && $0.planSortieCount == 1 })
        let now = flying.start.adding(seconds: 60)
        let r = CoverageScheduler.replan(base, input: R.input, now: now,
                                         changes: [.droneGrounded(drone: flying.drone, from: flying.start.adding(seconds: 30), note: "motor fault")])
        #expect(r.schedule.violations(for: r.input).isEmpty)
        #expect(r.schedule.sorties.contains(flying))
        let kept = try #require(r.moves.first { $0.kind == .kept })
        #expect(kept.before == [flying])
        #expect(kept.reason.hasPrefix("already under way at"))
        #expect(kept.reason.contains("(motor fault)"))
        // The grounding in the returned input starts when that sortie lands; after it nothing flies on the drone.
        #expect(r.input.unavailability.last?.from == flying.end)
        #expect(!r.schedule.sorties.contains { $0.drone == flying.drone && $0.start > flying.start })
    }

    @Test func aFailedSortiesCellsAreFlownAgainLater() throws {
        let base = R.base
        let failed = try #require(base.sorties.first { $0.planSortieCount == 1 && $0.start >= R.at(day: 3, hour: 0) })
        let now = failed.end.adding(seconds: 3_600)
        let r = CoverageScheduler.replan(base, input: R.input, now: now, changes: [.sortieFailed(drone: failed.drone, start: failed.start)])
        #expect(r.schedule.violations(for: r.input).isEmpty)
        // Nothing was taken off; the failed sortie stays as history.
        #expect(Set(base.sorties).isSubset(of: Set(r.schedule.sorties)))
        #expect(r.moves.count == 1)
        let added = try #require(r.moves.first)
        #expect(added.kind == .added)
        #expect(added.before == [failed])
        #expect(added.cells == failed.cells)
        #expect(added.reason == "sortie failed")
        #expect(!added.after.isEmpty)
        #expect(added.after.allSatisfy { $0.start >= now && $0.cells == failed.cells })
        #expect(r.schedule.sorties.count == base.sorties.count + added.after.count)
        // The report counts the new flight, not the failed one: the cell is flown once on time.
        let cell = failed.cells[0]
        #expect(r.schedule.report.visitsScheduled == base.report.visitsScheduled)
        #expect(r.schedule.sorties.filter { $0.cells == [cell] }.count == base.sorties.filter { $0.cells == [cell] }.count + 1)

        // Partly flown with its cell imaged: nothing to fly again.
        let partly = CoverageScheduler.replan(base, input: R.input, now: now,
                                              changes: [.sortiePartlyFlown(drone: failed.drone, start: failed.start, coveredCells: failed.cells)])
        #expect(partly.schedule.sorties == base.sorties)
        #expect(partly.moves.map(\.kind) == [.kept])
        // A sortie that does not exist is named in the notes, not guessed at.
        let unknown = CoverageScheduler.replan(base, input: R.input, now: now, changes: [.sortieFailed(drone: "NOPE", start: failed.start)])
        #expect(unknown.schedule.sorties == base.sorties)
        #expect(unknown.notes.count == 1)
    }

    /// A lead's urgent sortie at 23:00 local (outside the 07:00-19:00 flying hours) that failed
    /// comes into the re-plan as history: the re-plan places its cell again in the flying hours
    /// and its validator accepts the urgent sortie, which the plan's hours, duty and rest do not
    /// bind. The same sortie as one of the plan's own is still refused.
    @Test func aFailedUrgentSortieAtNightStaysAsHistoryWithoutBreakingAHardConstraint() throws {
        let base = R.base
        let day = try #require(base.sorties.first { $0.planSortieCount == 1 && $0.start >= R.at(day: 3, hour: 0) })
        let start = R.at(day: 3, hour: 23)
        #expect(!base.sorties.contains { $0.drone == day.drone && $0.end > start.adding(seconds: -3 * 3_600) && $0.start < start.adding(seconds: 6 * 3_600) })
        var urgent = day
        urgent.start = start
        urgent.end = start.adding(seconds: day.durationSeconds)
        urgent.urgent = true
        let previous = Schedule(sorties: (base.sorties + [urgent]).sorted { ($0.start, $0.drone) < ($1.start, $1.drone) }, report: base.report)
        let now = urgent.end.adding(seconds: 600)
        let r = CoverageScheduler.replan(previous, input: R.input, now: now, changes: [.sortieFailed(drone: urgent.drone, start: urgent.start)])
        let violations = r.schedule.violations(for: r.input)
        #expect(violations.isEmpty, "\(violations.prefix(5))")
        #expect(r.schedule.sorties.contains(urgent), "the failed urgent sortie stays as history")
        let move = try #require(r.moves.first { $0.before == [urgent] })
        #expect(move.kind == .added)
        #expect(!move.after.isEmpty && move.after.allSatisfy { !$0.urgent && $0.start >= now && $0.cells == urgent.cells })
        // Placed again inside the flying hours (07:00-19:00 at UTC+8).
        for s in move.after {
            let local = (s.start.milliseconds / 1_000 + 8 * 3_600) % 86_400, localEnd = (s.end.milliseconds / 1_000 + 8 * 3_600) % 86_400
            #expect(local >= 7 * 3_600 && localEnd <= 19 * 3_600, "\(s.start)")
        }

        // The plan's own sortie at that hour breaks the flying hours.
        var planned = urgent
        planned.urgent = false
        let own = Schedule(sorties: previous.sorties.map { $0 == urgent ? planned : $0 }, report: base.report)
        #expect(own.violations(for: R.input).contains { $0.kind == .flyingHours })
        #expect(!previous.violations(for: R.input).contains { $0.kind == .flyingHours })
    }

    @Test func aWeatherClosureMovesTheSortiesInTheClosedHours() throws {
        let base = R.base
        // The busiest two hours of 2026-12-03.
        func flying(from h: Int) -> Int {
            let a = R.at(day: 8, hour: Double(h)), b = R.at(day: 8, hour: Double(h + 2))
            return base.sorties.filter { $0.end > a && $0.start < b }.count
        }
        let hour = try #require((7...17).max { flying(from: $0) < flying(from: $1) })
        let closedFrom = R.at(day: 8, hour: Double(hour)), closedTo = R.at(day: 8, hour: Double(hour + 2))
        let hit = Set(base.sorties.filter { $0.end > closedFrom && $0.start < closedTo })
        #expect(hit.count >= 3)
        let windy = WeatherForecast.Hour(windMetresPerSecond: 14, rainfall: 0)
        let now = R.at(day: 8, hour: 6)
        let r = CoverageScheduler.replan(base, input: R.input, now: now,
                                         changes: [.forecastUpdated(WeatherForecast(start: closedFrom, hours: [windy, windy]))])
        let violations = r.schedule.violations(for: r.input)
        #expect(violations.isEmpty, "\(violations.prefix(5))")
        // The update replaced those two hours only.
        #expect(r.input.forecast.hour(at: closedFrom) == windy)
        #expect(r.input.forecast.hour(at: closedTo) == R.input.forecast.hour(at: closedTo))
        #expect(!r.schedule.sorties.contains { $0.end > closedFrom && $0.start < closedTo })
        let taken = Set(r.moves.flatMap(\.before))
        #expect(taken == hit)
        for s in base.sorties where !hit.contains(s) { #expect(r.schedule.sorties.contains(s)) }
        for m in r.moves {
            #expect(m.kind == .moved, "\(m)")
            #expect(m.reason.hasPrefix("wind 14 m/s over the DJI Dock"), "\(m.reason)")
            #expect(m.reason.hasSuffix(String(format: " 2026-12-03 %02d:00–%02d:00", hour, hour + 2)), "\(m.reason)")
            #expect(m.after.allSatisfy { $0.start >= now })
        }
    }

    @Test func replanIsDeterministic() {
        let changes: [PlanChange] = [.droneGrounded(drone: R.base.sorties[40].drone, from: R.at(day: 5, hour: 0))]
        let a = CoverageScheduler.replan(R.base, input: R.input, now: R.at(day: 4, hour: 12), changes: changes)
        let b = CoverageScheduler.replan(R.base, input: R.input, now: R.at(day: 4, hour: 12), changes: changes)
        #expect(a.schedule == b.schedule)
        #expect(a.moves == b.moves)
    }

    /// A few random groundings, failures and closures on the sample: no re-plan ever breaks a hard
    /// constraint, history and untouched sorties stay, and every new sortie is accounted for.
    @Test(arguments: [1 as UInt64, 2, 3, 4, 5, 6])
    func randomChangesNeverBreakAHardConstraint(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let borrowing = seed % 2 == 0
        let input = borrowing ? R.borrowingInput : R.input
        let base = borrowing ? R.borrowingBase : R.base
        let now = R.at(day: Double(Int.random(in: 1...11, using: &rng)), hour: Double(Int.random(in: 6...20, using: &rng)))
        let docked = input.registry.drones.filter { $0.dock != nil }.map(\.serial).sorted()
        var changes: [PlanChange] = []
        var windows: [(String, Timestamp, Timestamp?)] = []
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let drone = docked.randomElement(using: &rng)!
            let from = now.adding(seconds: Double(Int.random(in: -7_200...(2 * 86_400), using: &rng)))
            let until = Bool.random(using: &rng) ? nil : from.adding(seconds: Double(Int.random(in: 3_600...(4 * 86_400), using: &rng)))
            changes.append(.droneGrounded(drone: drone, from: from, until: until))
            windows.append((drone, from, until))
        }
        let history = base.sorties.filter { $0.start < now }
        for _ in 0..<Int.random(in: 0...2, using: &rng) {
            guard let s = history.randomElement(using: &rng) else { break }
            changes.append(Bool.random(using: &rng) ? .sortieFailed(drone: s.drone, start: s.start)
                           : .sortiePartlyFlown(drone: s.drone, start: s.start, coveredCells: Bool.random(using: &rng) ? s.cells : []))
        }
        if Bool.random(using: &rng) {
            let from = now.adding(seconds: Double(Int.random(in: -1...(5 * 24), using: &rng)) * 3_600)
            let hours = (0..<Int.random(in: 1...8, using: &rng)).map { _ in
                WeatherForecast.Hour(windMetresPerSecond: Double(Int.random(in: 5...15, using: &rng)), rainfall: Int.random(in: 0...1, using: &rng))
            }
            changes.append(.forecastUpdated(WeatherForecast(start: from, hours: hours)))
        }

        let r = CoverageScheduler.replan(base, input: input, now: now, changes: changes)
        let violations = r.schedule.violations(for: r.input)
        #expect(violations.isEmpty, "seed \(seed): \(violations.prefix(5))")
        let new = Set(r.schedule.sorties), old = Set(base.sorties)
        let taken = Set(r.moves.filter { $0.kind == .moved || $0.kind == .dropped }.flatMap(\.before).filter { $0.start >= now })
        for s in base.sorties {
            if s.start < now { #expect(new.contains(s), "seed \(seed): history \(s.drone) \(s.start) lost") }
            else { #expect(new.contains(s) != taken.contains(s), "seed \(seed): \(s.drone) \(s.start)") }
        }
        let placed = r.moves.flatMap(\.after)
        #expect(Set(placed) == new.subtracting(old))
        #expect(placed.count == Set(placed).count)
        for s in placed {
            #expect(s.start >= now)
            #expect(!windows.contains { $0.0 == s.drone && s.end > $0.1 && ($0.2.map { s.start < $0 } ?? true) }, "seed \(seed): \(s.drone) flies while grounded")
        }
        let named = Set(r.moves.flatMap(\.before))
        #expect(r.untouched == base.sorties.filter { new.contains($0) && !named.contains($0) }.count)
        #expect(r.schedule.report.sortiesPerDay.values.reduce(0, +) == r.schedule.sorties.count)
    }
}
