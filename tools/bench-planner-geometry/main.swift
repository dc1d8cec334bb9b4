// bench-planner-geometry: cells planned per second by CoveragePlanner's SurveyPlanner (lanes,
// sweep-angle search, sorties), single-threaded.
//
//   swift run -c release bench-planner-geometry [--passes P] [--synthetic N]
//
// Workloads:
// - sample: FleetSample's 501 cells (~446 m squares), each from its nearest dock, Dock 2 / Dock 3
//   capabilities (values of firmware-profiles/docks/*.yaml, written out here), default settings.
// - synthetic: N cells (default 20,000) over the same town at finer grain: 70 m squares with
//   jittered corners, every third one made concave (an L or a notch), from the nearest dock.
// - synthetic + no-fly: the same cells with 12 no-fly zones (120-300 m squares and hexagons)
//   scattered over the town.
// Each workload also runs with mapping overlaps (70/80 %: lanes 42 m apart instead of 113 m).
// The nearest-dock lookup is done before timing. Best of --passes passes.
//
// Coverage accounting (CoverageAccounting, 1 m raster, 95 %): a 30-minute track at 1 Hz (1,800
// samples) made of the patrol plans of the 5 sample cells nearest the town centre, flown one after
// another at survey speed from their docks, accounted against those 5 cells and against all 501.

import Foundation
import CoveragePlanner
import TianyanModel

func options() -> (passes: Int, synthetic: Int) {
    var o = (passes: 3, synthetic: 20_000)
    var args = CommandLine.arguments.dropFirst()
    while let arg = args.popFirst() {
        switch arg {
        case "--passes": o.passes = max(1, Int(args.popFirst() ?? "") ?? o.passes)
        case "--synthetic": o.synthetic = max(1, Int(args.popFirst() ?? "") ?? o.synthetic)
        default:
            print("usage: bench-planner-geometry [--passes P] [--synthetic N]")
            exit(arg == "-h" || arg == "--help" ? 0 : 2)
        }
    }
    return o
}
let (passes, syntheticCount) = options()

let camera = DockProfile.Camera(name: "Matrice 3D/4D wide", sensorWidthMillimetres: 17.3, sensorHeightMillimetres: 13.0,
                                focalLengthMillimetres: 12.29, imageWidthPixels: 5280, imageHeightPixels: 3956,
                                minPhotoIntervalSeconds: 0.7)
func capabilities(endurance: Double, wind: Double) -> DockProfile.Capabilities {
    DockProfile.Capabilities(enduranceMinutes: endurance, reservePercent: 20, cruiseSpeedMetresPerSecond: 12,
                             climbSpeedMetresPerSecond: 6, maxAltitudeMetres: 120, rangeKilometres: 10,
                             maxWindMetresPerSecond: wind, maxRainfall: 0, minTakeoffBatteryPercent: 50,
                             chargeMinutes: 32, camera: camera)
}
func planners(_ configuration: SurveyPlanner.Configuration) throws -> [String: SurveyPlanner] {
    [
        "DJI Dock 2": try SurveyPlanner(capabilities: capabilities(endurance: 50, wind: 8), configuration: configuration),
        "DJI Dock 3": try SurveyPlanner(capabilities: capabilities(endurance: 54, wind: 12), configuration: configuration),
    ]
}
/// Patrol overlaps 20/20 % (the default, lanes 112.6 m apart) and mapping overlaps 70/80 % (42.2 m).
let patrol = try planners(SurveyPlanner.Configuration())
let mapping = try planners(SurveyPlanner.Configuration(sideOverlap: 0.7, frontOverlap: 0.8))

let registry = FleetSample.make()
func nearestDock(_ cell: GridCell) -> Dock {
    let c = Geodesy.centroid(of: cell.polygon)
    return registry.docks.min { Geodesy.distance($0.location, c) < Geodesy.distance($1.location, c) }!
}

func syntheticCells(_ count: Int) -> [GridCell] {
    var rng = SeededGenerator(seed: 7)
    let side = Int(Double(count).squareRoot().rounded(.up))
    let step = 70.0
    var cells: [GridCell] = []
    let origin = Geodesy.destination(from: Geodesy.destination(from: FleetSample.center, bearing: 180, distance: Double(side) * step / 2),
                                     bearing: 270, distance: Double(side) * step / 2)
    let frame = LocalFrame(origin: origin)
    for i in 0..<count {
        let x0 = Double(i % side) * step, y0 = Double(i / side) * step
        func j() -> Double { Double.random(in: -8...8, using: &rng) }
        var pts: [(Double, Double)]
        switch i % 3 {
        case 1: pts = [(0, 0), (70, 0), (70, 35), (35, 35), (35, 70), (0, 70)]  // L
        case 2: pts = [(0, 0), (70, 0), (70, 70), (45, 70), (45, 30), (25, 30), (25, 70), (0, 70)]  // notch
        default: pts = [(0 + j(), 0 + j()), (70 + j(), 0 + j()), (70 + j(), 70 + j()), (0 + j(), 70 + j())]
        }
        let ring = pts.map { frame.unproject(PlanePoint(x: x0 + $0.0, y: y0 + $0.1)) }
        cells.append(GridCell(id: "S-\(i)", community: "synthetic", polygon: ring + [ring[0]], revisitDays: 14))
    }
    return cells
}

func noFlyZones() -> [NoFlyZone] {
    var rng = SeededGenerator(seed: 11)
    return (0..<12).map { k in
        let centre = Geodesy.destination(from: FleetSample.center, bearing: Double.random(in: 0..<360, using: &rng),
                                         distance: Double.random(in: 0...5_000, using: &rng))
        let r = Double.random(in: 60...150, using: &rng)
        let corners = k % 2 == 0 ? 4 : 6
        let ring = (0..<corners).map { Geodesy.destination(from: centre, bearing: Double($0) * 360 / Double(corners) + 10, distance: r) }
        return NoFlyZone(id: "NFZ-\(k)", polygon: ring + [ring[0]])
    }
}

func run(_ name: String, _ jobs: [(GridCell, Dock)], noFly: [NoFlyZone] = [], planners: [String: SurveyPlanner] = patrol) throws {
    var best = Double.infinity
    var problems = 0, sorties = 0, lanes = 0
    for _ in 0..<passes {
        problems = 0; sorties = 0; lanes = 0
        let start = ContinuousClock.now
        for (cell, dock) in jobs {
            let plan = try planners[dock.model]!.plan(cell: cell, dock: dock, noFly: noFly)
            problems += plan.problems.isEmpty ? 0 : 1
            sorties += plan.sorties.count
            lanes += plan.lanes.count
        }
        let elapsed = ContinuousClock.now - start
        best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    print(name.padding(toLength: 30, withPad: " ", startingAt: 0) + String(format: "%6d cells  %8.3f s  %9.0f cells/s  %7.1f µs/cell  (%d lanes, %d sorties, %d with problems)",
                 jobs.count, best, Double(jobs.count) / best, best / Double(jobs.count) * 1e6, lanes, sorties, problems))
}

let sample = registry.cells.map { ($0, nearestDock($0)) }
let synthetic = syntheticCells(syntheticCount).map { ($0, nearestDock($0)) }
print("CoveragePlanner SurveyPlanner, single thread, best of \(passes) passes")
try run("sample (501)", sample)
try run("sample, mapping overlaps", sample, planners: mapping)
try run("synthetic", synthetic)
try run("synthetic, mapping overlaps", synthetic, planners: mapping)
try run("synthetic + 12 no-fly", synthetic, noFly: noFlyZones())

/// Samples once a second along the sorties' waypoints (climbs at 6 m/s), one after another, until `count`.
func track(_ flights: [(Sortie, Double)], count: Int) -> [TrackSample] {
    var out: [TrackSample] = []
    var t = 0.0
    for (sortie, speed) in flights {
        let w = sortie.waypoints
        for k in 0..<(w.count - 1) {
            let a = w[k], b = w[k + 1]
            let legTime = max(Geodesy.distance(a.coordinate, b.coordinate) / speed, abs(b.altitudeMetres - a.altitudeMetres) / 6)
            var s = (t.rounded(.up) - t)
            while s < legTime {
                let f = s / legTime
                out.append(TrackSample(time: Timestamp(milliseconds: Int64(((t + s) * 1_000).rounded())),
                                       coordinate: Coordinate(latitude: a.coordinate.latitude + f * (b.coordinate.latitude - a.coordinate.latitude),
                                                              longitude: a.coordinate.longitude + f * (b.coordinate.longitude - a.coordinate.longitude)),
                                       altitudeMetres: a.altitudeMetres + f * (b.altitudeMetres - a.altitudeMetres)))
                if out.count == count { return out }
                s += 1
            }
            t += legTime
        }
    }
    return out
}

let nearest = registry.cells.sorted { Geodesy.distance(Geodesy.centroid(of: $0.polygon), FleetSample.center) < Geodesy.distance(Geodesy.centroid(of: $1.polygon), FleetSample.center) }.prefix(5)
var flights: [(Sortie, Double)] = []
for cell in nearest {
    let dock = nearestDock(cell)
    let plan = try patrol[dock.model]!.plan(cell: cell, dock: dock)
    flights += plan.sorties.map { ($0, plan.surveySpeedMetresPerSecond) }
}
while flights.count < 40 { flights += flights }
let flown = track(flights, count: 1_800)
let accounting = try CoverageAccounting(camera: camera)
for (name, cells) in [("accounting, 5 cells", Array(nearest)), ("accounting, 501 cells", registry.cells)] {
    var best = Double.infinity
    var result: [CellCoverage] = []
    for _ in 0..<passes {
        let start = ContinuousClock.now
        result = try accounting.account(cells: cells, track: flown)
        let elapsed = ContinuousClock.now - start
        best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    print(name.padding(toLength: 30, withPad: " ", startingAt: 0) + String(format: "%6d samples %7.1f ms  (%d cells imaged, %d covered)",
                 flown.count, best * 1_000, result.count, result.filter(\.covered).count))
}
