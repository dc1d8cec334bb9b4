// bench-schedule-quality: how good CoverageScheduler's plans are, against the staleness-greedy
// baseline and against a CP-SAT model of the same instances (tools/ortools-schedule.py).
//
//   tools/bench-schedule-quality.sh [--time-limit S] [--workers W] [--only NAME ...] [--no-ortools]
//                                   [--no-hint] [--lateness-tier] [--slot-seconds N]
//
// For each instance: Tianyan's schedule (timed), the greedy baseline, and the instance written as
// JSON for OR-Tools, whose plan is read back. All three plans become sorties with the routes
// SurveyPlanner computed, are checked with `Schedule.violations(for:)` (a plan that breaks a hard
// constraint is refused, not reported), and are measured the same way: flight-and-transit hours
// and cells overdue. Cells no candidate dock can fly are listed apart (overdue in every plan).

import CoveragePlanner
import Foundation
import TianyanModel

var timeLimit = 60.0
var workers = 2
var only: [String] = []
var runORTools = true
var hintGreedy = true
var slotSeconds: Int?
var latenessTier = false
var python = "python3"
var script = "tools/ortools-schedule.py"
var workDir = ".build/bench-schedule-quality"
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    switch arg {
    case "--time-limit": timeLimit = Double(args.popFirst() ?? "") ?? timeLimit
    case "--workers": workers = Int(args.popFirst() ?? "") ?? workers
    case "--only": if let n = args.popFirst() { only.append(n) }
    case "--no-ortools": runORTools = false
    case "--no-hint": hintGreedy = false
    case "--slot-seconds": slotSeconds = Int(args.popFirst() ?? "")
    case "--lateness-tier": latenessTier = true
    case "--python": python = args.popFirst() ?? python
    case "--script": script = args.popFirst() ?? script
    case "--work-dir": workDir = args.popFirst() ?? workDir
    default:
        print("usage: bench-schedule-quality [--time-limit S] [--workers W] [--only NAME ...] [--no-ortools] [--no-hint] [--slot-seconds N] [--lateness-tier] [--python PATH] [--script PATH] [--work-dir DIR]")
        exit(arg == "-h" || arg == "--help" ? 0 : 2)
    }
}

// MARK: Instances

let camera = DockProfile.Camera(name: "Matrice 3D/4D wide", sensorWidthMillimetres: 17.3, sensorHeightMillimetres: 13.0,
                                focalLengthMillimetres: 12.29, imageWidthPixels: 5280, imageHeightPixels: 3956,
                                minPhotoIntervalSeconds: 0.7)
func capabilities(endurance: Double, wind: Double) -> DockProfile.Capabilities {
    DockProfile.Capabilities(enduranceMinutes: endurance, reservePercent: 20, cruiseSpeedMetresPerSecond: 12,
                             climbSpeedMetresPerSecond: 6, maxAltitudeMetres: 120, rangeKilometres: 10,
                             maxWindMetresPerSecond: wind, maxRainfall: 0, minTakeoffBatteryPercent: 50, chargeMinutes: 32,
                             camera: camera)
}
// Dock 2 / Dock 3 values of firmware-profiles/docks/*.yaml, as in bench-schedule.
let caps = ["DJI Dock 2": capabilities(endurance: 50, wind: 8), "DJI Dock 3": capabilities(endurance: 54, wind: 12)]
let start = CivilDate(year: 2026, month: 11, day: 25)!.midnightUTC.adding(seconds: -8 * 3_600)

/// The registry cut down to some communities: their cells, formations, docks, drones and pilots.
func subset(_ reg: FleetRegistry, communities: Set<String>) -> FleetRegistry {
    var r = reg
    r.cells = reg.cells.filter { communities.contains($0.community) }
    r.formations = reg.formations.filter { communities.contains($0.community) }
    let f = Set(r.formations.map(\.id))
    r.docks = reg.docks.filter { f.contains($0.formation) }
    r.drones = reg.drones.filter { f.contains($0.formation) }
    r.pilots = reg.pilots.filter { f.contains($0.formation) }
    return r
}

/// Each cell falls due at 18:00 local on day (i mod spread) of the horizon.
func lastCovered(_ cells: [GridCell], spread: (GridCell) -> Int) -> [String: Timestamp] {
    var last: [String: Timestamp] = [:]
    for (i, c) in cells.enumerated() {
        last[c.id] = start.adding(seconds: Double(i % spread(c) - c.revisitDays) * 86_400 + 18 * 3_600)
    }
    return last
}

/// Fair weather with some days of rain (nothing flies) and windy hours (above Dock 2's 8 m/s,
/// within Dock 3's 12 m/s).
func weather(rainDays: [Int], windyHours: [(day: Int, fromHour: Int, toHour: Int)]) -> WeatherForecast {
    var f = WeatherForecast.fair(from: start, days: 14)
    for d in rainDays { for h in 0..<24 { f.hours[d * 24 + h] = .init(windMetresPerSecond: 4, rainfall: 2) } }
    for w in windyHours { for h in w.fromHour..<w.toHour { f.hours[w.day * 24 + h] = .init(windMetresPerSecond: 10, rainfall: 0) } }
    return f
}

func instances() -> [(String, ScheduleInput)] {
    var out: [(String, ScheduleInput)] = []
    // The sample town: 501 cells, 84 docked drones, 205 pilots, fair fortnight (as bench-schedule).
    let sample = FleetSample.make()
    out.append(("sample", ScheduleInput(registry: sample, capabilitiesByDockModel: caps,
                                        lastCovered: lastCovered(sample.cells) { $0.revisitDays },
                                        horizonStart: start, forecast: .fair(from: start, days: 14))))
    // Seeded: other hot spots, licences and duty limits; three communities, fair weather.
    let a = subset(FleetSample.make(seed: 7), communities: ["Xinmin", "Jinxia", "Xiaobian"])
    out.append(("seed7-3comm", ScheduleInput(registry: a, capabilitiesByDockModel: caps,
                                             lastCovered: lastCovered(a.cells) { $0.revisitDays },
                                             horizonStart: start, forecast: .fair(from: start, days: 14))))
    // Seeded: four communities, two days of rain and windy afternoons that ground the Dock 2s.
    let b = subset(FleetSample.make(seed: 11), communities: ["Shatou", "Xin'an", "Yongtou", "Shangsha"])
    out.append(("seed11-4comm-weather", ScheduleInput(registry: b, capabilitiesByDockModel: caps,
                                                      lastCovered: lastCovered(b.cells) { $0.revisitDays },
                                                      horizonStart: start,
                                                      forecast: weather(rainDays: [3, 9], windyHours: [(5, 12, 19), (6, 7, 19), (10, 13, 17)]))))
    // Tight: a backlog (every cell due within the first three days), one dock per community (the
    // first whose formation has a pilot licensed for docks), rain on day 1; capacity is short, so
    // which cells go late matters.
    var t = subset(FleetSample.make(seed: 13), communities: ["Wusha", "Xianxi", "Chang'an"])
    let day0 = CivilDate(year: 2026, month: 11, day: 25)!.daysSinceEpoch
    let crewed = Set(t.pilots.filter { ($0.licenceClass == .bvlos || $0.licenceClass == .instructor) && $0.licenceExpiry.daysSinceEpoch >= day0 + 14 }
        .map(\.formation))
    var keep = Set<String>()
    for community in ["Wusha", "Xianxi", "Chang'an"] {
        let f = Set(t.formations.filter { $0.community == community && crewed.contains($0.id) }.map(\.id))
        if let d = t.docks.filter({ f.contains($0.formation) }).sorted(by: { $0.serial < $1.serial }).first { keep.insert(d.serial) }
    }
    t.docks = t.docks.filter { keep.contains($0.serial) }
    out.append(("tight-backlog", ScheduleInput(registry: t, capabilitiesByDockModel: caps,
                                               lastCovered: lastCovered(t.cells) { _ in 3 },
                                               horizonStart: start, forecast: weather(rainDays: [1], windyHours: []))))
    return out
}

// MARK: Running

struct ORToolsResult: Decodable {
    var status: String
    var visits: [PlannedVisit]
    var overdue: Int?
    var overdue_bound: Int?
    var flight_seconds: Double?
    var flight_bound_seconds: Double?
    var wall_seconds: Double
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
func hours(_ s: Double) -> String { String(format: "%.2f", s / 3_600) }
/// Cells overdue, and their lateness summed (each cell's worst), hours.
func overdue(_ q: PlanQuality) -> String { q.overdueCells == 0 ? "0" : String(format: "%d (%.0f h)", q.overdueCells, q.overdueSeconds / 3_600) }

try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
var rows: [[String]] = []
var failures = 0
for (name, given) in instances() where only.isEmpty || only.contains(name) {
    var input = given
    if let slotSeconds { input.options.slotSeconds = slotSeconds }
    let clock = ContinuousClock()
    let t0 = clock.now
    let tianyan = CoverageScheduler.schedule(input)
    let tianyanTime = seconds(clock.now - t0)
    let prepared = InstanceBuilder.prepare(name: name, input)
    let p = prepared.problem
    let visitsDue = p.cells.count
    print("\(name): \(input.registry.cells.count) cells (\(visitsDue) due and flyable, \(p.unflyableCells.count) no dock in range), \(p.docks.count) docked drones, \(p.pilots.count) pilots; options \(p.cells.map(\.options.count).reduce(0, +)), multi-sortie plans \(p.cells.flatMap(\.options).filter { $0.sortieSeconds.count > 1 }.count)")

    func report(_ label: String, _ q: PlanQuality) -> Bool {
        if !q.problems.isEmpty {
            print("  \(label): REFUSED, \(q.problems.count) hard-constraint problems, e.g. \(q.problems.prefix(3).joined(separator: " | "))")
            failures += 1
            return false
        }
        print("  \(label): \(hours(q.flightSeconds)) flight h, \(q.visits) visits, \(q.sorties) sorties, \(q.overdueCells) cells overdue (\(hours(q.overdueSeconds)) h summed)")
        return true
    }
    let tq = PlanCheck.measure(tianyan, prepared)
    // Tianyan's plan in the instance's terms, beside the instance, for inspection.
    let cellIndex = Dictionary(uniqueKeysWithValues: p.cells.enumerated().map { ($0.element.id, $0.offset) })
    let pilotIndex = Dictionary(uniqueKeysWithValues: p.pilots.enumerated().map { ($0.element.id, $0.offset) })
    let tianyanVisits = tianyan.sorties.filter { $0.planSortie == 0 }.compactMap { s -> PlannedVisit? in
        guard let c = cellIndex[s.cells[0]], let o = p.cells[c].options.firstIndex(where: { p.docks[$0.dock].serial == s.dock }),
              let q = pilotIndex[s.pilot] else { return nil }
        return PlannedVisit(cell: c, option: o, pilot: q, start: s.start.milliseconds / 1_000 - prepared.h0)
    }
    try JSONEncoder().encode(tianyanVisits).write(to: URL(fileURLWithPath: "\(workDir)/\(name).tianyan.json"))
    // Tianyan's own report must agree with the independent measure.
    let ownOverdue = tianyan.report.overdue.filter { !p.unflyableCells.contains($0.cell) }.count
    if ownOverdue != tq.overdueCells || abs(tianyan.report.totalFlightSeconds - tq.flightSeconds) > 1 {
        print("  note: Tianyan's report says \(ownOverdue) overdue, \(hours(tianyan.report.totalFlightSeconds)) h; measured \(tq.overdueCells), \(hours(tq.flightSeconds)) h")
    }
    let tOK = report(String(format: "Tianyan (%.3f s)", tianyanTime), tq)

    let g0 = clock.now
    let greedyVisits = StalenessGreedy.plan(p)
    let greedyTime = seconds(clock.now - g0)
    let gq = PlanCheck.measure(PlanCheck.schedule(greedyVisits, prepared), prepared)
    let gOK = report(String(format: "greedy (%.3f s)", greedyTime), gq)

    var oCols = ["-", "-", "-", "-"]
    var ratio = "-"
    if runORTools {
        let instancePath = "\(workDir)/\(name).instance.json", planPath = "\(workDir)/\(name).ortools.json"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var withHint = p
        withHint.hint = greedyVisits
        try encoder.encode(withHint).write(to: URL(fileURLWithPath: instancePath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script, instancePath, planPath, "--time-limit", String(timeLimit), "--workers", String(workers)]
            + (hintGreedy ? [] : ["--no-hint"]) + (latenessTier ? ["--lateness-tier"] : [])
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 {
            print("  OR-Tools: \(script) exited with \(process.terminationStatus)")
            failures += 1
        } else {
            let result = try JSONDecoder().decode(ORToolsResult.self, from: Data(contentsOf: URL(fileURLWithPath: planPath)))
            guard result.status == "optimal" || result.status == "feasible" else {
                print("  OR-Tools: no plan (\(result.status))")
                rows.append([name, "\(input.registry.cells.count)", tOK ? hours(tq.flightSeconds) : "refused", tOK ? overdue(tq) : "-",
                             String(format: "%.3f s", tianyanTime), gOK ? hours(gq.flightSeconds) : "refused", gOK ? overdue(gq) : "-",
                             "none", "-", "-", String(format: "%.1f s", result.wall_seconds), "-", "\(p.unflyableCells.count)"])
                continue
            }
            let oq = PlanCheck.measure(PlanCheck.schedule(result.visits, prepared), prepared)
            if report(String(format: "OR-Tools %@ (%.1f s)", result.status, result.wall_seconds), oq) {
                if let claimed = result.flight_seconds, abs(claimed - oq.flightSeconds) > 1 + 0.06 * Double(oq.visits) || result.overdue != oq.overdueCells {
                    print("  note: the model claims \(result.overdue ?? -1) overdue, \(hours(claimed)) h")
                }
                let bound = result.flight_bound_seconds.map(hours) ?? "-"
                oCols = [hours(oq.flightSeconds), bound, overdue(oq) + (result.overdue_bound.map { ", ≥ \($0) cells" } ?? ""), String(format: "%.1f s", result.wall_seconds)]
                if tOK { ratio = String(format: "%.4f", tq.flightSeconds / oq.flightSeconds) }
            }
        }
    }
    rows.append([name, "\(input.registry.cells.count)", tOK ? hours(tq.flightSeconds) : "refused", tOK ? overdue(tq) : "-",
                 String(format: "%.3f s", tianyanTime), gOK ? hours(gq.flightSeconds) : "refused", gOK ? overdue(gq) : "-"]
        + oCols + [ratio, "\(p.unflyableCells.count)"])
}

print("")
let header = ["instance", "cells", "Tianyan h", "overdue cells (h late)", "time", "greedy h", "overdue", "OR-Tools h", "bound h", "overdue", "OR time",
              "Tianyan/OR-Tools", "no dock"]
print("| " + header.joined(separator: " | ") + " |")
print("|" + header.map { _ in " --- |" }.joined())
for r in rows { print("| " + r.joined(separator: " | ") + " |") }
exit(failures == 0 ? 0 : 1)
