// bench-schedule: wall time of CoverageScheduler.schedule (survey plans per (cell, dock),
// greedy construction and improvement pass) over a 14-day horizon, single-threaded.
//
//   swift run -c release bench-schedule [--passes P] [--split N ...] [--docks-per-cell K]
//
// Workloads (fair weather all fortnight, daylight 07:00-19:00 at UTC+8), each without and then
// with borrowing between formations:
// - sample: FleetSample's 501 cells, 84 docked drones of 126, 205 pilots; each cell falls due at
//   18:00 on day (i mod revisit period), so every cell needs a visit (hot spots two).
// - split N: every sample cell cut into N x N smaller cells of the same community (N = 3 gives
//   4,509 cells, N = 6 gives 18,036), same fleet and due-date spread.
// Dock 2 / Dock 3 capabilities are the values of firmware-profiles/docks/*.yaml, written out here.
//
// Re-planning (CoverageScheduler.replan) on the sample, after its schedule: at 08:00 on day 8
// (mid-horizon) the five docked drones with the most sorties still to fly are grounded from 09:00
// to the end of the horizon; the time to re-plan the rest, the moves by kind, and the validator's
// verdict on the result.

import Foundation
import CoveragePlanner
import TianyanModel

var passes = 1
var docksPerCell = ScheduleOptions().docksPerCell
var splits: [Int] = [3, 6]
var args = CommandLine.arguments.dropFirst()
var splitsGiven = false
while let arg = args.popFirst() {
    switch arg {
    case "--passes": passes = max(1, Int(args.popFirst() ?? "") ?? passes)
    case "--docks-per-cell": docksPerCell = max(1, Int(args.popFirst() ?? "") ?? docksPerCell)
    case "--split":
        if !splitsGiven { splits = []; splitsGiven = true }
        if let n = Int(args.popFirst() ?? ""), n >= 1 { splits.append(n) }
    default:
        print("usage: bench-schedule [--passes P] [--split N ...] [--docks-per-cell K]")
        exit(arg == "-h" || arg == "--help" ? 0 : 2)
    }
}

let camera = DockProfile.Camera(name: "Matrice 3D/4D wide", sensorWidthMillimetres: 17.3, sensorHeightMillimetres: 13.0,
                                focalLengthMillimetres: 12.29, imageWidthPixels: 5280, imageHeightPixels: 3956,
                                minPhotoIntervalSeconds: 0.7)
func capabilities(endurance: Double, wind: Double) -> DockProfile.Capabilities {
    DockProfile.Capabilities(enduranceMinutes: endurance, reservePercent: 20, cruiseSpeedMetresPerSecond: 12,
                             climbSpeedMetresPerSecond: 6, maxAltitudeMetres: 120, rangeKilometres: 10,
                             maxWindMetresPerSecond: wind, maxRainfall: 0, minTakeoffBatteryPercent: 50, chargeMinutes: 32,
                             camera: camera)
}
let caps = ["DJI Dock 2": capabilities(endurance: 50, wind: 8), "DJI Dock 3": capabilities(endurance: 54, wind: 12)]
let start = CivilDate(year: 2026, month: 11, day: 25)!.midnightUTC.adding(seconds: -8 * 3_600)

func split(_ cells: [GridCell], _ n: Int) -> [GridCell] {
    guard n > 1 else { return cells }
    var out: [GridCell] = []
    for cell in cells {
        let lats = cell.polygon.map(\.latitude), lons = cell.polygon.map(\.longitude)
        let s = lats.min()!, w = lons.min()!, dLat = (lats.max()! - s) / Double(n), dLon = (lons.max()! - w) / Double(n)
        for r in 0..<n {
            for c in 0..<n {
                let a = Coordinate(latitude: s + Double(r) * dLat, longitude: w + Double(c) * dLon)
                let b = Coordinate(latitude: a.latitude + dLat, longitude: a.longitude + dLon)
                out.append(GridCell(id: "\(cell.id)-\(r)\(c)", community: cell.community,
                                    polygon: [a, Coordinate(latitude: a.latitude, longitude: b.longitude), b,
                                              Coordinate(latitude: b.latitude, longitude: a.longitude), a],
                                    revisitDays: cell.revisitDays))
            }
        }
    }
    return out
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

func replan(_ name: String, _ input: ScheduleInput, _ schedule: Schedule, passes: Int) {
    let now = start.adding(seconds: 7 * 86_400 + 8 * 3_600), from = now.adding(seconds: 3_600)
    let later = Dictionary(grouping: schedule.sorties.filter { $0.start >= from }, by: \.drone)
    let grounded = later.sorted { $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key }.prefix(5).map(\.key)
    let changes = grounded.map { PlanChange.droneGrounded(drone: $0, from: from) }
    var best = Duration.seconds(1_000_000)
    var result: Replan?
    for _ in 0..<passes {
        let clock = ContinuousClock()
        let t0 = clock.now
        result = CoverageScheduler.replan(schedule, input: input, now: now, changes: changes)
        best = min(best, clock.now - t0)
    }
    let r = result!
    let kinds = Dictionary(grouping: r.moves, by: \.kind).mapValues(\.count)
    print(String(format: "%@ re-plan, 5 drones grounded at mid-horizon: %.3f s (best of %d); %d sorties taken off, %d moved, %d dropped, %d untouched; %d violations",
                 name + (input.options.allowBorrowing ? " (borrowing)" : ""), seconds(best), passes,
                 r.moves.flatMap(\.before).count, kinds[.moved] ?? 0, kinds[.dropped] ?? 0, r.untouched, r.schedule.violations(for: r.input).count))
    for kind in [ReplanMove.Kind.moved, .dropped] { if let m = r.moves.first(where: { $0.kind == kind }) { print("  e.g. \(m)") } }
}

func run(_ name: String, cells: [GridCell], passes: Int, borrowing: Bool, docksPerCell: Int) {
    var registry = FleetSample.make()
    registry.cells = cells
    var last: [String: Timestamp] = [:]
    for (i, c) in cells.enumerated() {
        last[c.id] = start.adding(seconds: Double(i % c.revisitDays - c.revisitDays) * 86_400 + 18 * 3_600)
    }
    let input = ScheduleInput(registry: registry, capabilitiesByDockModel: caps, lastCovered: last, horizonStart: start,
                              forecast: .fair(from: start, days: 14), options: ScheduleOptions(allowBorrowing: borrowing, docksPerCell: docksPerCell))
    var best = Duration.seconds(1_000_000)
    var schedule: Schedule?
    for _ in 0..<passes {
        let clock = ContinuousClock()
        let t0 = clock.now
        schedule = CoverageScheduler.schedule(input)
        best = min(best, clock.now - t0)
    }
    let s = schedule!
    let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
    let v0 = ContinuousClock().now
    let violations = s.violations(for: input).count
    let vt = ContinuousClock().now - v0
    let hours = s.report.secondsPerPilot.values.map { $0 / 3_600 }
    let mean = hours.reduce(0, +) / Double(max(1, hours.count))
    let spread = (hours.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, hours.count))).squareRoot()
    print(String(format: "%@: %d cells, %.3f s (best of %d); %d sorties, %d/%d visits, %d overdue, %.0f flight h; validator %.3f s, %d violations; %d pilots fly, h/pilot mean %.2f sd %.2f max %.2f",
                 name + (borrowing ? " (borrowing)" : ""), cells.count, seconds, passes, s.sorties.count, s.report.visitsScheduled, s.report.visitsNeeded,
                 s.report.overdue.count, s.report.totalFlightSeconds / 3_600,
                 Double(vt.components.seconds) + Double(vt.components.attoseconds) / 1e18, violations,
                 hours.count, mean, spread, hours.max() ?? 0))
    if name == "sample" { replan(name, input, s, passes: passes) }
    if !s.report.overdue.isEmpty {
        var byReason: [String: Int] = [:]
        for r in s.report.overdue { byReason[r.reasons.map(\.rawValue).joined(separator: "+"), default: 0] += 1 }
        let communities = Set(s.report.overdue.filter { $0.reasons.contains(.noDockInRange) }.compactMap { r in cells.first { $0.id == r.cell }?.community })
        print("  overdue by reason: " + byReason.sorted { $0.key < $1.key }.map { "\($0.key.isEmpty ? "(due at start)" : $0.key) \($0.value)" }.joined(separator: ", ")
              + (communities.isEmpty ? "" : "; no dock in: " + communities.sorted().joined(separator: ", ")))
    }
}

let sample = FleetSample.make().cells
for borrowing in [false, true] {
    run("sample", cells: sample, passes: passes, borrowing: borrowing, docksPerCell: docksPerCell)
    for n in splits { run("split \(n)x\(n)", cells: split(sample, n), passes: passes, borrowing: borrowing, docksPerCell: docksPerCell) }
}
