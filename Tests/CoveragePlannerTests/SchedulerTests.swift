import Foundation
import Testing
import TianyanModel
@testable import CoveragePlanner

/// Inputs for the scheduler tests: the sample town with due dates spread over the horizon, and
/// small random fleets.
enum ScheduleFixtures {
    static let capabilities = ["DJI Dock 2": Fixtures.dock2(), "DJI Dock 3": Fixtures.dock3]
    /// 2026-11-25 00:00 at UTC+8.
    static let start = CivilDate(year: 2026, month: 11, day: 25)!.midnightUTC.adding(seconds: -8 * 3_600)
    static let day = 86_400.0

    /// Each cell falls due at 18:00 local on day `i mod revisitDays` of the horizon.
    static func spreadLastCovered(_ cells: [GridCell]) -> [String: Timestamp] {
        var out: [String: Timestamp] = [:]
        for (i, c) in cells.enumerated() {
            let dueDay = Double(i % c.revisitDays)
            out[c.id] = start.adding(seconds: (dueDay - Double(c.revisitDays)) * day + 18 * 3_600)
        }
        return out
    }

    static func sampleInput(_ registry: FleetRegistry = FleetSample.make(), forecast: WeatherForecast? = nil,
                            unavailability: [DroneUnavailability] = [], borrowing: Bool = false) -> ScheduleInput {
        ScheduleInput(registry: registry, capabilitiesByDockModel: capabilities, lastCovered: spreadLastCovered(registry.cells),
                      horizonStart: start, unavailability: unavailability, forecast: forecast ?? .fair(from: start, days: 14),
                      options: ScheduleOptions(allowBorrowing: borrowing))
    }

    /// A small random fleet around the town centre: communities, formations, docks with drones,
    /// pilots with random licences and limits, square cells, forecast with gaps and closures.
    static func randomInput(seed: UInt64) -> ScheduleInput {
        var rng = SeededGenerator(seed: seed)
        let centre = Fixtures.centre
        let communities = (0..<Int.random(in: 1...3, using: &rng)).map { "C\($0)" }
        var formations: [Formation] = []
        for i in 0..<Int.random(in: 2...5, using: &rng) {
            formations.append(Formation(id: String(format: "F%02d", i), name: "team \(i)", community: communities[i % communities.count], lead: nil))
        }
        var docks: [Dock] = [], drones: [Drone] = []
        for i in 0..<Int.random(in: 2...7, using: &rng) {
            let f = formations[i % formations.count]
            let loc = Fixtures.offset(centre, east: Double.random(in: -3_000...3_000, using: &rng), north: Double.random(in: -3_000...3_000, using: &rng))
            let model = Bool.random(using: &rng) ? "DJI Dock 2" : "DJI Dock 3"
            docks.append(Dock(serial: String(format: "D%02d", i), name: "dock \(i)", model: model, formation: f.id, location: loc, altitudeMetres: 10, firmware: "t"))
            drones.append(Drone(serial: String(format: "U%02d", i), name: "drone \(i)", model: "M3D", formation: f.id, dock: docks[i].serial, firmware: "t"))
        }
        // A hand-flown drone, never scheduled.
        drones.append(Drone(serial: "HAND", name: "hand", model: "Mavic 3E", formation: formations[0].id, dock: nil, firmware: "t"))
        var pilots: [Pilot] = []
        for i in 0..<Int.random(in: 0...9, using: &rng) {
            let expiry = CivilDate(year: 2026, month: 11, day: 20)!.daysSinceEpoch + Int64.random(in: 0...20, using: &rng)
            pilots.append(Pilot(id: String(format: "P%02d", i), name: "pilot \(i)", formation: formations[i % formations.count].id,
                                licenceClass: LicenceClass.allCases.randomElement(using: &rng)!, licenceExpiry: CivilDate(days: expiry),
                                maxDutyHoursPerDay: [1, 2, 4, 8].randomElement(using: &rng)!, minRestHours: [8, 12, 16].randomElement(using: &rng)!))
        }
        var cells: [GridCell] = []
        var lastCovered: [String: Timestamp] = [:]
        let days = Int.random(in: 3...6, using: &rng)
        for i in 0..<Int.random(in: 8...30, using: &rng) {
            let c = Fixtures.offset(centre, east: Double.random(in: -4_000...4_000, using: &rng), north: Double.random(in: -4_000...4_000, using: &rng))
            let half = Double.random(in: 100...300, using: &rng)
            let id = String(format: "X%03d", i)
            cells.append(GridCell(id: id, community: communities.randomElement(using: &rng)!,
                                  polygon: Fixtures.ring([(-half, -half), (half, -half), (half, half), (-half, half)], around: c),
                                  revisitDays: Bool.random(using: &rng) ? 2 : 4))
            if Int.random(in: 0..<4, using: &rng) > 0 {
                lastCovered[id] = start.adding(seconds: -Double.random(in: 0...(5 * day), using: &rng))
            }
        }
        // Forecast: mostly fair, some windy or rainy hours, some gaps, and it may end early.
        var hours: [WeatherForecast.Hour?] = []
        for _ in 0..<(days * 24 - Int.random(in: 0...20, using: &rng)) {
            switch Int.random(in: 0..<20, using: &rng) {
            case 0: hours.append(nil)
            case 1: hours.append(.init(windMetresPerSecond: 10, rainfall: 0))  // Dock 3 only
            case 2: hours.append(.init(windMetresPerSecond: 3, rainfall: 1))
            default: hours.append(.init(windMetresPerSecond: Double.random(in: 0...7, using: &rng), rainfall: 0))
            }
        }
        var unavailability: [DroneUnavailability] = []
        if let d = drones.first, Bool.random(using: &rng) {
            unavailability.append(DroneUnavailability(drone: d.serial, reason: "grounded"))
        }
        if drones.count > 2 {
            unavailability.append(DroneUnavailability(drone: drones[1].serial, from: start.adding(seconds: day), until: start.adding(seconds: 2 * day), reason: "service"))
        }
        let registry = FleetRegistry(formations: formations, pilots: pilots, docks: docks, drones: drones, cells: cells)
        return ScheduleInput(registry: registry, capabilitiesByDockModel: capabilities, lastCovered: lastCovered, horizonStart: start,
                             horizonDays: days, unavailability: unavailability, forecast: WeatherForecast(start: start, hours: hours),
                             flyingHours: FlyingHours(startHour: Int.random(in: 5...8, using: &rng), endHour: Int.random(in: 17...22, using: &rng)),
                             options: ScheduleOptions(allowBorrowing: Bool.random(using: &rng)))
    }
}

@Suite struct SchedulerTests {
    typealias S = ScheduleFixtures

    /// Without borrowing the sample cannot cover everything: one community (Xiabian) has no
    /// formation with a dock (its formations fly hand-held drones only). Those cells, and only
    /// those, are late, and are reported as out of every dock's reach.
    @Test func sampleWithoutBorrowingReportsTheCommunitiesItCannotServe() throws {
        let input = S.sampleInput()
        let reg = input.registry
        let schedule = CoverageScheduler.schedule(input)
        let violations = schedule.violations(for: input)
        #expect(violations.isEmpty, "\(violations.prefix(5))")
        let docked = Set(reg.docks.map(\.formation))
        let communitiesWithDocks = Set(reg.formations.filter { docked.contains($0.id) }.map(\.community))
        let overdue = Dictionary(uniqueKeysWithValues: schedule.report.overdue.map { ($0.cell, $0) })
        #expect(!overdue.isEmpty)
        for cell in reg.cells where !communitiesWithDocks.contains(cell.community) {
            #expect(overdue[cell.id]?.reasons == [.noDockInRange], "\(cell.id)")
        }
        // Everywhere else every cell is flown on time.
        #expect(Set(overdue.keys) == Set(reg.cells.filter { !communitiesWithDocks.contains($0.community) }.map(\.id)))
    }

    @Test func sampleWithBorrowingSchedulesWithNoViolationAndNothingOverdue() throws {
        let input = S.sampleInput(borrowing: true)
        let schedule = CoverageScheduler.schedule(input)
        let violations = schedule.violations(for: input)
        #expect(violations.isEmpty, "\(violations.prefix(5))")
        #expect(schedule.report.overdue.isEmpty, "\(schedule.report.overdue.prefix(5))")
        #expect(schedule.report.cellsDue == 501)
        #expect(schedule.report.visitsScheduled == schedule.report.visitsNeeded)
        #expect(schedule.report.totalFlightSeconds > 0)
        #expect(schedule.report.sortiesPerDay.values.reduce(0, +) == schedule.sorties.count)
        // Hot spots (weekly) are flown twice in the fortnight, the others once.
        let flown = Dictionary(grouping: schedule.sorties.flatMap(\.cells), by: { $0 }).mapValues(\.count)
        let hot = input.registry.cells.filter { $0.revisitDays == 7 }
        #expect(!hot.isEmpty)
        for cell in input.registry.cells {
            #expect(flown[cell.id] == (cell.revisitDays == 7 ? 2 : 1), "\(cell.id) flown \(flown[cell.id] ?? 0) times")
        }
        expectReportedLatenessMatchesTheSorties(schedule, input)
        // Every visit ends by its cell's due date: the worst staleness is one revisit period.
        #expect(try #require(schedule.report.worstStalenessSeconds) <= 14 * S.day)
    }

    @Test func scheduleIsDeterministic() {
        let input = S.sampleInput()
        #expect(CoverageScheduler.schedule(input) == CoverageScheduler.schedule(input))
    }

    @Test(arguments: [1 as UInt64, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    func randomFleetsNeverBreakAHardConstraint(seed: UInt64) {
        let input = S.randomInput(seed: seed)
        let schedule = CoverageScheduler.schedule(input)
        let violations = schedule.violations(for: input)
        #expect(violations.isEmpty, "seed \(seed): \(violations.prefix(5))")
        #expect(!schedule.sorties.contains { $0.drone == "HAND" })
        // Every visit that was needed is either scheduled or reported.
        let reported = Set(schedule.report.problems.map(\.cell))
        let flown = Set(schedule.sorties.flatMap(\.cells))
        for cell in input.registry.cells {
            #expect(flown.contains(cell.id) || reported.contains(cell.id) || input.lastCovered[cell.id].map { $0.adding(seconds: Double(cell.revisitDays) * S.day) >= input.horizonEnd } == true,
                    "seed \(seed): \(cell.id) neither flown nor reported")
        }
        #expect(CoverageScheduler.schedule(input) == schedule)
        expectReportedLatenessMatchesTheSorties(schedule, input)
        // The improvement passes add no lateness and no flight time.
        var plain = input
        plain.options.improve = false
        let greedy = CoverageScheduler.schedule(plain)
        #expect(greedy.violations(for: plain).isEmpty)
        #expect(schedule.report.totalFlightSeconds <= greedy.report.totalFlightSeconds + 1e-6)
        #expect(schedule.report.overdue.map(\.overdueSeconds).reduce(0, +) <= greedy.report.overdue.map(\.overdueSeconds).reduce(0, +))
    }

    /// Recomputes each cell's lateness from the sorties alone and compares with the report.
    func expectReportedLatenessMatchesTheSorties(_ schedule: Schedule, _ input: ScheduleInput, sourceLocation: SourceLocation = #_sourceLocation) {
        let h0 = input.horizonStart.milliseconds / 1_000, h1 = input.horizonEnd.milliseconds / 1_000
        let reported = Dictionary(uniqueKeysWithValues: schedule.report.overdue.map { ($0.cell, $0.overdueSeconds) })
        var visitEnds: [String: [Int64]] = [:]
        for s in schedule.sorties where s.planSortie == s.planSortieCount - 1 {
            for c in s.cells { visitEnds[c, default: []].append(s.end.milliseconds / 1_000) }
        }
        for cell in input.registry.cells {
            let period = Int64(cell.revisitDays) * 86_400
            var due = input.lastCovered[cell.id].map { $0.milliseconds / 1_000 + period } ?? h0
            var late: Int64 = 0
            for end in (visitEnds[cell.id] ?? []).sorted() {
                late = max(late, end - due)
                due = end + period
            }
            if due < h1 { late = max(late, h1 - max(due, h0)) }
            #expect(Double(late) == reported[cell.id] ?? 0, "\(cell.id)", sourceLocation: sourceLocation)
        }
    }

    @Test func validatorCatchesBrokenSchedules() {
        let input = S.sampleInput()
        let schedule = CoverageScheduler.schedule(input)
        var broken = schedule
        // Move a sortie onto another of the same drone's, and one into the night.
        let byDrone = Dictionary(grouping: schedule.sorties.indices, by: { schedule.sorties[$0].drone })
        let pair = byDrone.values.first { $0.count >= 2 }!
        let length = schedule.sorties[pair[1]].end.milliseconds - schedule.sorties[pair[1]].start.milliseconds
        broken.sorties[pair[1]].start = schedule.sorties[pair[0]].start
        broken.sorties[pair[1]].end = Timestamp(milliseconds: schedule.sorties[pair[0]].start.milliseconds + length)
        let kinds = Set(broken.violations(for: input).map(\.kind))
        #expect(kinds.contains(.droneOverlap))
        var night = schedule
        night.sorties[0].start = S.start.adding(seconds: 2 * 3_600)
        night.sorties[0].end = night.sorties[0].start.adding(seconds: night.sorties[0].route.durationSeconds)
        #expect(night.violations(for: input).contains { $0.kind == .flyingHours })
    }

    @Test func groundedDronesNeverFly() {
        let registry = FleetSample.make()
        let docked = registry.drones.filter { $0.dock != nil }
        let grounded = docked.prefix(12).map { DroneUnavailability(drone: $0.serial, reason: "grounded") }
        let window = DroneUnavailability(drone: docked[20].serial, from: S.start.adding(seconds: 2 * S.day), until: S.start.adding(seconds: 5 * S.day), reason: "service")
        let input = S.sampleInput(registry, unavailability: grounded + [window])
        let schedule = CoverageScheduler.schedule(input)
        #expect(schedule.violations(for: input).isEmpty)
        let names = Set(grounded.map(\.drone))
        #expect(!schedule.sorties.contains { names.contains($0.drone) })
        #expect(!schedule.sorties.contains { $0.drone == window.drone && $0.end > window.from! && $0.start < window.until! })
        #expect(schedule.sorties.contains { $0.drone == window.drone })
    }

    @Test func maintenanceStatusesBecomeUnavailability() {
        let t = S.start.adding(seconds: -S.day)
        let grounded = MaintenanceStatus(unit: "A", kind: .drone, model: nil, health: nil, flightHours: 10, flightHoursSinceService: 10, lastService: nil,
                                         grounded: MaintenanceAction(unit: "A", time: t, kind: .ground, by: "lead", note: "prop"), due: [])
        let due = MaintenanceStatus(unit: "B", kind: .drone, model: nil, health: nil, flightHours: 60, flightHoursSinceService: 60, lastService: nil,
                                    grounded: nil, due: ["60.0 flight hours since new"])
        let fine = MaintenanceStatus(unit: "C", kind: .drone, model: nil, health: nil, flightHours: 1, flightHoursSinceService: 1, lastService: nil, grounded: nil, due: [])
        let dock = MaintenanceStatus(unit: "D", kind: .dock, model: nil, health: nil, flightHours: nil, flightHoursSinceService: nil, lastService: nil, grounded: nil, due: ["x"])
        let out = DroneUnavailability.from([grounded, due, fine, dock])
        #expect(out.map(\.drone) == ["A", "B"])
        #expect(out.allSatisfy { $0.from == nil && $0.until == nil })
        #expect(out[0].reason == "grounded")
        #expect(out[1].reason.contains("60.0 flight hours"))
    }

    @Test func expiredLicencesAndVLOSPilotsNeverFlyDocks() {
        var registry = FleetSample.make()
        let lapsed = CivilDate(year: 2026, month: 11, day: 1)!
        for i in registry.pilots.indices where i % 2 == 0 { registry.pilots[i].licenceExpiry = lapsed }
        let input = S.sampleInput(registry)
        let schedule = CoverageScheduler.schedule(input)
        #expect(schedule.violations(for: input).isEmpty)
        let pilots = Dictionary(uniqueKeysWithValues: registry.pilots.map { ($0.id, $0) })
        for s in schedule.sorties {
            let p = pilots[s.pilot]!
            #expect(p.licenceExpiry != lapsed, "\(p.id) flies with a lapsed licence")
            #expect(p.licenceClass != .vlos)
        }
        // A licence that lapses mid-horizon: flies before, not after.
        var one = FleetSample.make()
        let expiry = CivilDate(year: 2026, month: 11, day: 30)!
        for i in one.pilots.indices { one.pilots[i].licenceExpiry = expiry }
        let cut = expiry.midnightUTC.adding(seconds: S.day - 8 * 3_600)  // end of 30 Nov, local
        let schedule2 = CoverageScheduler.schedule(S.sampleInput(one, borrowing: true))
        #expect(!schedule2.sorties.isEmpty)
        #expect(schedule2.sorties.allSatisfy { $0.start < cut })
        #expect(!schedule2.report.overdue.isEmpty)
        #expect(schedule2.report.overdue.allSatisfy { $0.reasons.contains(.noLicensedPilot) })
    }

    @Test func weatherClosuresAndGapsHaveNoSortiesAndTheirCellsAreReported() {
        // Days 0–2 a storm (wind 15 m/s, heavy rain), day 5 no forecast at all, forecast ends after day 12.
        var hours: [WeatherForecast.Hour?] = []
        for h in 0..<(13 * 24) {
            switch h / 24 {
            case 0...2: hours.append(.init(windMetresPerSecond: 15, rainfall: 3))
            case 5: hours.append(nil)
            default: hours.append(.init(windMetresPerSecond: 4, rainfall: 0))
            }
        }
        let input = S.sampleInput(forecast: WeatherForecast(start: S.start, hours: hours), borrowing: true)
        let schedule = CoverageScheduler.schedule(input)
        #expect(schedule.violations(for: input).isEmpty)
        let closedUntil = S.start.adding(seconds: 3 * S.day)
        let gap = (S.start.adding(seconds: 5 * S.day), S.start.adding(seconds: 6 * S.day))
        let end = S.start.adding(seconds: 13 * S.day)
        #expect(!schedule.sorties.contains { $0.start < closedUntil })
        #expect(!schedule.sorties.contains { $0.end > gap.0 && $0.start < gap.1 })
        #expect(!schedule.sorties.contains { $0.end > end })
        // Cells due in the storm (days 0–2, 18:00) are late, for the weather.
        let due = input.registry.cells.enumerated().filter { i, c in i % c.revisitDays <= 2 }.map(\.element.id)
        let overdue = Dictionary(uniqueKeysWithValues: schedule.report.overdue.map { ($0.cell, $0) })
        for id in due {
            #expect(overdue[id]?.reasons.contains(.weatherClosed) == true, "\(id) not reported")
        }
        // The hours are reported: 3 closed days and 2 unknown days (day 5, day 13), 12 flying hours each.
        #expect(schedule.report.closedWeatherHours.count == 3 * 12)
        #expect(schedule.report.unknownWeatherHours.count == 2 * 12)
    }

    @Test func noPilotsGivesAClearReportNamingTheCells() {
        var registry = FleetSample.make()
        registry.pilots = []
        let input = S.sampleInput(registry, borrowing: true)
        let schedule = CoverageScheduler.schedule(input)
        #expect(schedule.sorties.isEmpty)
        #expect(schedule.report.visitsScheduled == 0)
        #expect(schedule.report.overdue.count == 501)
        #expect(schedule.report.problems.count == 501)
        #expect(schedule.report.problems.allSatisfy { $0.reasons.contains(.noLicensedPilot) && $0.overdueSeconds > 0 })
        #expect(Set(schedule.report.problems.map(\.cell)) == Set(registry.cells.map(\.id)))
    }

    @Test func cellsWithoutADockOfTheirFormationNeedBorrowing() {
        var registry = FleetSample.make()
        let community = registry.cells[0].community
        let own = Set(registry.formations.filter { $0.community == community }.map(\.id))
        registry.docks.removeAll { own.contains($0.formation) }
        let strict = S.sampleInput(registry)
        let a = CoverageScheduler.schedule(strict)
        #expect(a.violations(for: strict).isEmpty)
        let stranded = registry.cells.filter { $0.community == community }.map(\.id)
        let problems = Dictionary(uniqueKeysWithValues: a.report.problems.map { ($0.cell, $0) })
        for id in stranded { #expect(problems[id]?.reasons == [.noDockInRange]) }
        let lenient = S.sampleInput(registry, borrowing: true)
        let b = CoverageScheduler.schedule(lenient)
        #expect(b.violations(for: lenient).isEmpty)
        let flown = Set(b.sorties.flatMap(\.cells))
        #expect(stranded.allSatisfy { flown.contains($0) })
    }

    @Test func aCellTooBigForOneBatteryIsFlownAsConsecutiveSortiesWithChargesBetween() throws {
        let formation = Formation(id: "F1", name: "one", community: "Test", lead: nil)
        let dock = Dock(serial: "D1", name: "d", model: "DJI Dock 2", formation: "F1", location: Fixtures.centre, altitudeMetres: 10, firmware: "t")
        let drone = Drone(serial: "U1", name: "u", model: "M3D", formation: "F1", dock: "D1", firmware: "t")
        let pilot = Pilot(id: "P1", name: "p", formation: "F1", licenceClass: .bvlos, licenceExpiry: CivilDate(year: 2030, month: 1, day: 1)!,
                          maxDutyHoursPerDay: 8, minRestHours: 10)
        let cell = GridCell(id: "BIG", community: "Test", polygon: Fixtures.ring([(-300, -600), (900, -600), (900, 600), (-300, 600)]), revisitDays: 14)
        let registry = FleetRegistry(formations: [formation], pilots: [pilot], docks: [dock], drones: [drone], cells: [cell])
        let input = ScheduleInput(registry: registry, capabilitiesByDockModel: ["DJI Dock 2": Fixtures.dock2(endurance: 12)],
                                  lastCovered: ["BIG": S.start.adding(seconds: -10 * S.day)], horizonStart: S.start, horizonDays: 7,
                                  forecast: .fair(from: S.start, days: 7))
        let schedule = CoverageScheduler.schedule(input)
        #expect(schedule.violations(for: input).isEmpty)
        #expect(schedule.report.overdue.isEmpty)
        #expect(schedule.report.visitsScheduled == 1)
        let sorties = schedule.sorties
        #expect(sorties.count >= 2)
        #expect(sorties.allSatisfy { $0.cells == ["BIG"] && $0.pilot == "P1" && $0.planSortieCount == sorties.count })
        #expect(sorties.map(\.planSortie) == Array(0..<sorties.count))
        for (a, b) in zip(sorties, sorties.dropFirst()) {
            #expect(b.start.milliseconds - a.end.milliseconds >= 32 * 60_000)
        }
    }

    @Test func noFlyingHoursMeansNoSortiesAndEveryDueCellReported() {
        var input = S.sampleInput(borrowing: true)
        input.flyingHours = FlyingHours(startHour: 10, endHour: 10)
        input.horizonDays = 4
        let schedule = CoverageScheduler.schedule(input)
        #expect(schedule.sorties.isEmpty)
        #expect(schedule.report.overdue.count == schedule.report.cellsDue)
        #expect(schedule.report.overdue.allSatisfy { $0.reasons == [.noCapacity] })
    }

    @Test func neverCoveredCellsAreDueAtOnceAndReportedAsSuch() {
        var input = S.sampleInput()
        input.lastCovered = [:]
        input.horizonDays = 3
        let schedule = CoverageScheduler.schedule(input)
        #expect(schedule.violations(for: input).isEmpty)
        #expect(schedule.report.cellsDue == 501)
        #expect(schedule.report.overdue.count == 501)
        #expect(schedule.report.problems.allSatisfy { $0.notes.contains("never covered: due at the horizon start") })
    }
}
