import Foundation
import TianyanModel
@testable import CoveragePlanner

/// Shapes, docks and profiles for the planner tests, built with TianyanModel's geodesy (not the
/// planner's own frame), so the tests measure the planner against an independent yardstick.
enum Fixtures {
    static let centre = Coordinate(latitude: 22.80, longitude: 113.80)

    /// Dock 2 capabilities as in firmware-profiles/docks/dji-dock2.yaml.
    static func dock2(endurance: Double = 50, range: Double = 10) -> DockProfile.Capabilities {
        DockProfile.Capabilities(enduranceMinutes: endurance, reservePercent: 20, cruiseSpeedMetresPerSecond: 12,
                                 climbSpeedMetresPerSecond: 6, maxAltitudeMetres: 120, rangeKilometres: range,
                                 maxWindMetresPerSecond: 8, maxRainfall: 0, minTakeoffBatteryPercent: 50, chargeMinutes: 32,
                                 camera: matrice3D)
    }

    /// Dock 3 capabilities as in firmware-profiles/docks/dji-dock3.yaml.
    static let dock3 = DockProfile.Capabilities(enduranceMinutes: 54, reservePercent: 20, cruiseSpeedMetresPerSecond: 12,
                                                climbSpeedMetresPerSecond: 6, maxAltitudeMetres: 120, rangeKilometres: 10,
                                                maxWindMetresPerSecond: 12, maxRainfall: 0, minTakeoffBatteryPercent: 50,
                                                chargeMinutes: 32, camera: matrice3D)

    static let matrice3D = DockProfile.Camera(name: "Matrice 3D wide", sensorWidthMillimetres: 17.3, sensorHeightMillimetres: 13.0,
                                              focalLengthMillimetres: 12.29, imageWidthPixels: 5280, imageHeightPixels: 3956,
                                              minPhotoIntervalSeconds: 0.7)

    /// A round-number camera: the footprint is h × 0.75 h, so at 100 m and 40 % side overlap the
    /// lanes are exactly 60 m apart and photos 60 m apart at 20 % front overlap.
    static let unitCamera = DockProfile.Camera(name: "unit", sensorWidthMillimetres: 10, sensorHeightMillimetres: 7.5,
                                               focalLengthMillimetres: 10, imageWidthPixels: 4000, imageHeightPixels: 3000,
                                               minPhotoIntervalSeconds: 0)

    static func unitPlanner(endurance: Double = 50, range: Double = 10, configure: (inout SurveyPlanner.Configuration) -> Void = { _ in }) throws -> SurveyPlanner {
        var c = SurveyPlanner.Configuration(altitudeMetres: 100, sideOverlap: 0.4, frontOverlap: 0.2)
        configure(&c)
        return try SurveyPlanner(capabilities: dock2(endurance: endurance, range: range), camera: unitCamera, configuration: c)
    }

    /// The point `east`, `north` metres from `origin` (through Geodesy.destination).
    static func offset(_ origin: Coordinate, east: Double, north: Double) -> Coordinate {
        let d = hypot(east, north)
        guard d > 0 else { return origin }
        return Geodesy.destination(from: origin, bearing: atan2(east, north) * 180 / .pi, distance: d)
    }

    /// A closed ring from (east, north) offsets around `origin`, rotated clockwise by `rotation` degrees.
    static func ring(_ points: [(Double, Double)], around origin: Coordinate = centre, rotation: Double = 0) -> [Coordinate] {
        let r = rotation * .pi / 180
        let coords = points.map { e, n in
            offset(origin, east: e * cos(r) + n * sin(r), north: -e * sin(r) + n * cos(r))
        }
        return coords + [coords[0]]
    }

    static func cell(_ id: String, _ ring: [Coordinate]) -> GridCell {
        GridCell(id: id, community: "Test", polygon: ring, revisitDays: 14)
    }

    static func dock(at location: Coordinate, serial: String = "DOCK-1") -> Dock {
        Dock(serial: serial, name: serial, model: "DJI Dock 2", formation: "F001", location: location, altitudeMetres: 20, firmware: "test")
    }
}

/// An equirectangular frame of the tests' own, for distances between nearby points.
struct TestFrame {
    let origin: Coordinate
    func xy(_ c: Coordinate) -> (x: Double, y: Double) {
        let k = Geodesy.earthRadius * .pi / 180
        return ((c.longitude - origin.longitude) * k * cos(origin.latitude * .pi / 180), (c.latitude - origin.latitude) * k)
    }

    func distance(_ p: Coordinate, toSegment a: Coordinate, _ b: Coordinate) -> Double {
        let p = xy(p), a = xy(a), b = xy(b)
        let dx = b.x - a.x, dy = b.y - a.y
        let len2 = dx * dx + dy * dy
        let t = len2 > 0 ? max(0, min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2)) : 0
        return hypot(a.x + t * dx - p.x, a.y + t * dy - p.y)
    }

    /// Distance from `p` to the infinite line through `a` and `b`.
    func distance(_ p: Coordinate, toLineThrough a: Coordinate, _ b: Coordinate) -> Double {
        let p = xy(p), a = xy(a), b = xy(b)
        let dx = b.x - a.x, dy = b.y - a.y
        return abs((p.x - a.x) * dy - (p.y - a.y) * dx) / hypot(dx, dy)
    }
}

/// Random points inside a ring (rejection sampling over its bounding box).
func samplePoints(in ring: [Coordinate], count: Int, using rng: inout SeededGenerator) -> [Coordinate] {
    let lats = ring.map(\.latitude), lons = ring.map(\.longitude)
    var out: [Coordinate] = []
    while out.count < count {
        let p = Coordinate(latitude: Double.random(in: lats.min()!...lats.max()!, using: &rng),
                           longitude: Double.random(in: lons.min()!...lons.max()!, using: &rng))
        if Geodesy.contains(ring, p) { out.append(p) }
    }
    return out
}

/// The farthest any sampled point of the cell is from the nearest flown lane segment, metres.
func worstDistanceToLanes(_ plan: SurveyPlan, ring: [Coordinate], samples: Int, seed: UInt64) -> Double {
    var rng = SeededGenerator(seed: seed)
    let frame = TestFrame(origin: ring[0])
    let segments = plan.lanes.flatMap(\.segments).filter { $0.sortie != nil }
    var worst = 0.0
    for p in samplePoints(in: ring, count: samples, using: &rng) {
        let d = segments.map { frame.distance(p, toSegment: $0.start, $0.end) }.min() ?? .infinity
        worst = max(worst, d)
    }
    return worst
}
