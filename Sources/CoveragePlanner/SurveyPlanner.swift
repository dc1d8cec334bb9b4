import Foundation
import TianyanModel

/// Plans how a dock's drone photographs a grid cell: boustrophedon lanes over the cell at the
/// lane spacing the camera footprint and side overlap give, centred across the cell so that the
/// uncovered margin is split evenly between both edges, at the sweep angle with the least flight
/// time, split into sorties that each fit one battery with its reserve.
///
/// Pure and deterministic; build one per drone profile and call `plan` for each (cell, dock).
public struct SurveyPlanner: Sendable {
    public struct Configuration: Hashable, Sendable, Codable {
        /// Survey altitude above the dock's take-off point, metres (flat terrain is assumed).
        public var altitudeMetres: Double
        /// Regulatory ceiling, metres; the altitude must also be within the profile's maximum.
        public var ceilingMetres: Double
        /// Share of a photo's width shared with the next lane, 0..<1.
        public var sideOverlap: Double
        /// Share of a photo's height shared with the next photo, 0..<1.
        public var frontOverlap: Double
        /// Ground speed along lanes, m/s; nil flies lanes at the profile's cruise speed. Lowered
        /// when the camera cannot take photos that fast.
        public var surveySpeedMetresPerSecond: Double?
        /// Time lost at each change from one lane segment to the next (brake, yaw, accelerate), on
        /// top of flying the connection at cruise speed.
        public var turnSeconds: Double
        /// Sweep angles tried: every `angleStepDegrees` from 0 to 180, plus the cell's edge directions.
        public var angleStepDegrees: Double
        /// How many of the best angles by the quick estimate are planned in full to pick the fastest.
        public var fullyEvaluatedAngles: Int
        /// Lane spacings below this are refused (too many lanes; QGroundControl keeps 0.5 m too).
        public var minimumLaneSpacingMetres: Double
        /// How far transits keep from a no-fly zone's corners when going around it, metres.
        public var noFlyClearanceMetres: Double

        public init(altitudeMetres: Double = 100, ceilingMetres: Double = 120, sideOverlap: Double = 0.2, frontOverlap: Double = 0.2, surveySpeedMetresPerSecond: Double? = nil, turnSeconds: Double = 6, angleStepDegrees: Double = 5, fullyEvaluatedAngles: Int = 3, minimumLaneSpacingMetres: Double = 0.5, noFlyClearanceMetres: Double = 10) {
            self.altitudeMetres = altitudeMetres
            self.ceilingMetres = ceilingMetres
            self.sideOverlap = sideOverlap
            self.frontOverlap = frontOverlap
            self.surveySpeedMetresPerSecond = surveySpeedMetresPerSecond
            self.turnSeconds = turnSeconds
            self.angleStepDegrees = angleStepDegrees
            self.fullyEvaluatedAngles = fullyEvaluatedAngles
            self.minimumLaneSpacingMetres = minimumLaneSpacingMetres
            self.noFlyClearanceMetres = noFlyClearanceMetres
        }
    }

    public let capabilities: DockProfile.Capabilities
    public let camera: DockProfile.Camera
    public let configuration: Configuration
    public let footprint: SurveyFootprint
    /// Speed along lanes after the camera's limit, m/s.
    public let surveySpeedMetresPerSecond: Double
    public let speedLimitedByCamera: Bool
    /// Flight time one sortie may use: endurance × (1 − reserve), seconds.
    public let sortieBudgetSeconds: Double

    /// - Parameter camera: the camera to plan with; the profile's when nil.
    public init(capabilities: DockProfile.Capabilities, camera: DockProfile.Camera? = nil, configuration: Configuration = Configuration()) throws(CoveragePlannerError) {
        let camera = camera ?? capabilities.camera
        let c = configuration
        func bad(_ message: String) -> CoveragePlannerError { CoveragePlannerError(.invalidConfiguration, message) }
        let ceiling = min(c.ceilingMetres, capabilities.maxAltitudeMetres)
        guard c.altitudeMetres > 0, c.altitudeMetres <= ceiling else {
            throw bad("survey altitude \(c.altitudeMetres) m is outside 0 < h ≤ \(ceiling) m (the lower of the ceiling and the profile's max_altitude_m); choose an altitude in that range")
        }
        guard (0..<1).contains(c.sideOverlap), (0..<1).contains(c.frontOverlap) else {
            throw bad("overlaps must be in 0..<1 (side \(c.sideOverlap), front \(c.frontOverlap)); give them as fractions, e.g. 0.2 for 20 %")
        }
        guard camera.sensorWidthMillimetres > 0, camera.sensorHeightMillimetres > 0, camera.focalLengthMillimetres > 0,
              camera.imageWidthPixels > 0, camera.imageHeightPixels > 0, camera.minPhotoIntervalSeconds >= 0 else {
            throw bad("camera \(camera.name) needs positive sensor size, focal length and image size and a non-negative photo interval; fix the profile's camera section")
        }
        guard capabilities.enduranceMinutes > 0, (0..<100).contains(capabilities.reservePercent),
              capabilities.cruiseSpeedMetresPerSecond > 0, capabilities.climbSpeedMetresPerSecond > 0, capabilities.rangeKilometres > 0 else {
            throw bad("the profile needs positive endurance, speeds and range and a reserve in 0..<100 %; fix its capabilities section")
        }
        if let v = c.surveySpeedMetresPerSecond, !(v > 0) { throw bad("survey speed \(v) m/s must be positive, or nil for the cruise speed") }
        guard c.turnSeconds >= 0, c.angleStepDegrees > 0, c.angleStepDegrees <= 180, c.fullyEvaluatedAngles >= 1, c.noFlyClearanceMetres >= 0 else {
            throw bad("turn seconds and clearance must be ≥ 0, the angle step in 0 < step ≤ 180°, and at least one angle fully evaluated")
        }
        let footprint = SurveyFootprint(camera: camera, altitudeMetres: c.altitudeMetres, sideOverlap: c.sideOverlap, frontOverlap: c.frontOverlap)
        guard footprint.laneSpacingMetres >= c.minimumLaneSpacingMetres, footprint.triggerDistanceMetres > 0 else {
            throw bad(String(format: "lane spacing %.2f m is below the %.2f m minimum; fly higher or lower the side overlap", footprint.laneSpacingMetres, c.minimumLaneSpacingMetres))
        }
        let wanted = c.surveySpeedMetresPerSecond ?? capabilities.cruiseSpeedMetresPerSecond
        let cameraLimit = camera.minPhotoIntervalSeconds > 0 ? footprint.triggerDistanceMetres / camera.minPhotoIntervalSeconds : .infinity
        self.capabilities = capabilities
        self.camera = camera
        self.configuration = c
        self.footprint = footprint
        surveySpeedMetresPerSecond = min(wanted, cameraLimit)
        speedLimitedByCamera = cameraLimit < wanted
        sortieBudgetSeconds = capabilities.enduranceMinutes * 60 * (1 - capabilities.reservePercent / 100)
    }

    /// Plans `cell` from `dock`, trying sweep angles and keeping the fastest.
    public func plan(cell: GridCell, dock: Dock, noFly: [NoFlyZone] = []) throws(CoveragePlannerError) -> SurveyPlan {
        try plan(cell: cell, dock: dock, noFly: noFly, bearings: nil)
    }

    /// Plans `cell` from `dock` with lanes along `sweepBearing` degrees clockwise from north.
    public func plan(cell: GridCell, dock: Dock, noFly: [NoFlyZone] = [], sweepBearing: Double) throws(CoveragePlannerError) -> SurveyPlan {
        guard sweepBearing.isFinite else {
            throw CoveragePlannerError(.invalidConfiguration, "sweep bearing \(sweepBearing) for cell \(cell.id) is not a number of degrees")
        }
        return try plan(cell: cell, dock: dock, noFly: noFly, bearings: [sweepBearing])
    }

    func plan(cell: GridCell, dock: Dock, noFly: [NoFlyZone], bearings: [Double]?) throws(CoveragePlannerError) -> SurveyPlan {
        let ring = try Self.validatedRing(cell.polygon, name: "cell \(cell.id)", code: .emptyCell)
        let frame = LocalFrame(origin: Geodesy.centroid(of: ring))
        var plane = ring.map(frame.project)
        let doubleArea = PlaneGeometry.doubleSignedArea(plane)
        guard abs(doubleArea) / 2 >= 1 else {
            throw CoveragePlannerError(.degenerateCell, "cell \(cell.id) has no area (its vertices lie on one line); give it at least three vertices that are not collinear")
        }
        if doubleArea < 0 { plane.reverse() }
        let extent = hypot(plane.map(\.x).max()! - plane.map(\.x).min()!, plane.map(\.y).max()! - plane.map(\.y).min()!)
        guard extent <= Self.largestCellMetres else {
            throw CoveragePlannerError(.cellTooLarge, String(format: "cell %@ is %.0f km across; cells are planned up to %.0f km (split it into smaller cells)", cell.id, extent / 1_000, Self.largestCellMetres / 1_000))
        }
        guard dock.location.isValid else {
            throw CoveragePlannerError(.invalidCoordinate, "dock \(dock.serial) has an invalid location \(dock.location.latitude), \(dock.location.longitude)")
        }
        let dockPoint = frame.project(dock.location)
        let zones = try relevantZones(noFly, frame: frame, cell: plane, dock: dockPoint)
        let context = PlanningContext(planner: self, cell: cell, dock: dock, frame: frame, ring: plane,
                                      area: abs(doubleArea) / 2, dockPoint: dockPoint, zones: zones)
        return context.bestPlan(bearings: bearings ?? candidateBearings(plane))
    }

    /// Every `angleStepDegrees` in [0, 180) plus each edge's direction, without near duplicates.
    func candidateBearings(_ ring: [PlanePoint]) -> [Double] {
        var out: [Double] = []
        var b = 0.0
        while b < 180 - 1e-9 {
            out.append(b)
            b += configuration.angleStepDegrees
        }
        var j = ring.count - 1
        for i in ring.indices {
            let d = ring[i] - ring[j]
            var e = atan2(d.x, d.y) * 180 / .pi
            e = e.truncatingRemainder(dividingBy: 180)
            if e < 0 { e += 180 }
            if e >= 180 - 1e-9 { e = 0 }
            if !out.contains(where: { abs($0 - e) < 0.01 }) { out.append(e) }
            j = i
        }
        return out
    }

    /// Cells wider than this are refused: no battery flies them, and the local frame would lose
    /// its 0.1 % accuracy.
    static let largestCellMetres = 20_000.0

    static func validatedRing(_ polygon: [Coordinate], name: String, code: CoveragePlannerError.Code) throws(CoveragePlannerError) -> [Coordinate] {
        if let bad = polygon.first(where: { !$0.isValid }) {
            throw CoveragePlannerError(.invalidCoordinate, "\(name) has an invalid vertex \(bad.latitude), \(bad.longitude); latitudes must be in -90...90 and longitudes in -180...180")
        }
        var ring: [Coordinate] = []
        for c in polygon.openRing where ring.last != c { ring.append(c) }
        if ring.count > 1, ring.first == ring.last { ring.removeLast() }
        guard ring.count >= 3 else {
            throw CoveragePlannerError(code, "\(name) has \(ring.count) distinct vertices; a polygon needs at least 3")
        }
        if let (i, j) = Geodesy.selfIntersection(of: ring) {
            throw CoveragePlannerError(code == .emptyCell ? .selfIntersectingCell : code,
                                       "\(name) crosses itself (edges \(i) and \(j) meet); redraw it as a simple polygon")
        }
        return ring
    }

    func relevantZones(_ zones: [NoFlyZone], frame: LocalFrame, cell: [PlanePoint], dock: PlanePoint) throws(CoveragePlannerError) -> [PlanningContext.Zone] {
        guard !zones.isEmpty else { return [] }
        let margin = 1_000 + footprint.widthMetres
        let xs = cell.map(\.x) + [dock.x], ys = cell.map(\.y) + [dock.y]
        let minX = xs.min()! - margin, maxX = xs.max()! + margin, minY = ys.min()! - margin, maxY = ys.max()! + margin
        var out: [PlanningContext.Zone] = []
        for z in zones {
            let ring = try Self.validatedRing(z.polygon, name: "no-fly zone \(z.id)", code: .invalidNoFlyZone)
            var plane = ring.map(frame.project)
            if PlaneGeometry.doubleSignedArea(plane) < 0 { plane.reverse() }
            let zx = plane.map(\.x), zy = plane.map(\.y)
            if zx.max()! < minX || zx.min()! > maxX || zy.max()! < minY || zy.min()! > maxY { continue }
            out.append(PlanningContext.Zone(id: z.id, ring: plane))
        }
        return out
    }
}
