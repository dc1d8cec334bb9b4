import Testing
import TianyanModel
@testable import CoveragePlanner

/// When capacity is short: late visits do not take on-time visits' slots, and pilots' shifts are
/// not interleaved so that both run out of duty before the day is used.
@Suite struct SchedulerCapacityTests {
    typealias S = ScheduleFixtures

    /// One formation with one Dock 2 at the centre, the given pilots, and small cells in a row east
    /// of the dock, each due at 18:00 local on its day.
    static func input(pilots: [Pilot], dueDays: [Int], horizonDays: Int, flyingHours: FlyingHours) -> ScheduleInput {
        let formation = Formation(id: "F1", name: "one", community: "Test", lead: nil)
        let dock = Dock(serial: "D1", name: "d", model: "DJI Dock 2", formation: "F1", location: Fixtures.centre, altitudeMetres: 10, firmware: "t")
        let drone = Drone(serial: "U1", name: "u", model: "M3D", formation: "F1", dock: "D1", firmware: "t")
        var cells: [GridCell] = []
        var last: [String: Timestamp] = [:]
        for (i, day) in dueDays.enumerated() {
            let id = "C\(i)"
            let centre = Fixtures.offset(Fixtures.centre, east: 400 + 300 * Double(i), north: 0)
            cells.append(GridCell(id: id, community: "Test", polygon: Fixtures.ring([(-100, -100), (100, -100), (100, 100), (-100, 100)], around: centre),
                                  revisitDays: 14))
            last[id] = S.start.adding(seconds: Double(day - 14) * S.day + 18 * 3_600)
        }
        let registry = FleetRegistry(formations: [formation], pilots: pilots, docks: [dock], drones: [drone], cells: cells)
        return ScheduleInput(registry: registry, capabilitiesByDockModel: ["DJI Dock 2": Fixtures.dock2()], lastCovered: last,
                             horizonStart: S.start, horizonDays: horizonDays, forecast: .fair(from: S.start, days: horizonDays),
                             flyingHours: flyingHours)
    }

    static func pilot(_ id: String, duty: Double) -> Pilot {
        Pilot(id: id, name: id, formation: "F1", licenceClass: .bvlos, licenceExpiry: CivilDate(year: 2030, month: 1, day: 1)!,
              maxDutyHoursPerDay: duty, minRestHours: 10)
    }

    /// A two-hour window fits three visits a day (a few minutes' flight and 32 minutes' charge
    /// each). Four cells fall due on day 0 and three on day 1: one day-0 cell must go late, and it
    /// waits for day 2 instead of taking a day-1 slot and making a day-1 cell late as well.
    @Test func aLateVisitDoesNotTakeTheSlotOfAVisitThatCanBeOnTime() {
        let input = Self.input(pilots: [Self.pilot("P1", duty: 8)], dueDays: [0, 0, 0, 0, 1, 1, 1], horizonDays: 3,
                               flyingHours: FlyingHours(startHour: 7, endHour: 9))
        let schedule = CoverageScheduler.schedule(input)
        #expect(schedule.violations(for: input).isEmpty)
        #expect(schedule.report.visitsScheduled == 7)
        let overdue = schedule.report.overdue.map(\.cell)
        #expect(overdue.count == 1, "\(overdue)")
        #expect(overdue.allSatisfy { ["C0", "C1", "C2", "C3"].contains($0) })
        // Every day-1 cell is flown on day 1, the late day-0 cell on day 2.
        let day1 = S.start.adding(seconds: S.day), day2 = S.start.adding(seconds: 2 * S.day)
        for id in ["C4", "C5", "C6"] {
            #expect(schedule.sorties.contains { $0.cells == [id] && $0.start >= day1 && $0.end <= day2 }, "\(id)")
        }
        #expect(schedule.sorties.contains { $0.cells == overdue && $0.start >= day2 })
    }

    /// Two pilots with two hours' duty each can cover two back-to-back blocks of three visits
    /// (one every 40 minutes). Handing visits to them in turn would stretch both shifts over the
    /// same afternoon and run out of duty after four visits.
    @Test func aPilotOnShiftKeepsFlyingSoThatTwoShiftsCoverTheDay() {
        let input = Self.input(pilots: [Self.pilot("P1", duty: 2), Self.pilot("P2", duty: 2)], dueDays: Array(repeating: 0, count: 6),
                               horizonDays: 1, flyingHours: FlyingHours(startHour: 7, endHour: 19))
        let schedule = CoverageScheduler.schedule(input)
        #expect(schedule.violations(for: input).isEmpty)
        #expect(schedule.report.overdue.isEmpty, "\(schedule.report.overdue.map(\.cell))")
        #expect(schedule.sorties.count == 6)
        // Each pilot flies one unbroken block: their sorties do not alternate in time.
        let pilots = schedule.sorties.sorted { $0.start < $1.start }.map(\.pilot)
        #expect(zip(pilots, pilots.dropFirst()).filter { $0 != $1 }.count == 1, "\(pilots)")
    }
}
