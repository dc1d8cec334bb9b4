import TianyanModel

/// How one dock's drone photographs one grid cell: the lanes, and the sorties (one battery each)
/// that fly them. Pure data for a scheduler to place in time and for the route writer to turn
/// into a dock's route file.
public struct SurveyPlan: Hashable, Sendable, Codable {
    public var cellID: String
    public var dockSerial: String
    /// Direction of the lanes, degrees clockwise from true north, in [0, 180).
    public var sweepBearingDegrees: Double
    /// Camera footprint, lane spacing, trigger distance and GSD at the survey altitude
    /// (above the dock's take-off point; terrain is taken as flat).
    public var footprint: SurveyFootprint
    /// Ground speed along the lanes, m/s.
    public var surveySpeedMetresPerSecond: Double
    /// True when the camera's shortest photo interval forced a slower survey speed than asked for.
    public var speedLimitedByCamera: Bool
    /// Every lane in cross-track order, with the pieces actually flown.
    public var lanes: [SurveyLane]
    /// Battery-sized flights, in the order to fly them.
    public var sorties: [Sortie]
    /// Sum of the sorties' durations, seconds (not counting recharges between them).
    public var totalDurationSeconds: Double
    public var totalDistanceMetres: Double
    public var cellAreaSquareMetres: Double
    /// The cell's extent across the lanes, metres: the first lane lies `lanes[0].offsetMetres` in
    /// from one edge and the last `crossTrackWidthMetres − lanes.last.offsetMetres` from the other.
    public var crossTrackWidthMetres: Double
    /// Estimated share of the cell's area inside some photo (1 when nothing was left out).
    public var coveredFraction: Double
    /// What could not be covered or flown as wished, and why. Empty for a clean plan.
    public var problems: [CoverageProblem]

    public init(cellID: String, dockSerial: String, sweepBearingDegrees: Double, footprint: SurveyFootprint, surveySpeedMetresPerSecond: Double, speedLimitedByCamera: Bool, lanes: [SurveyLane], sorties: [Sortie], totalDurationSeconds: Double, totalDistanceMetres: Double, cellAreaSquareMetres: Double, crossTrackWidthMetres: Double, coveredFraction: Double, problems: [CoverageProblem]) {
        self.cellID = cellID
        self.dockSerial = dockSerial
        self.sweepBearingDegrees = sweepBearingDegrees
        self.footprint = footprint
        self.surveySpeedMetresPerSecond = surveySpeedMetresPerSecond
        self.speedLimitedByCamera = speedLimitedByCamera
        self.lanes = lanes
        self.sorties = sorties
        self.totalDurationSeconds = totalDurationSeconds
        self.totalDistanceMetres = totalDistanceMetres
        self.cellAreaSquareMetres = cellAreaSquareMetres
        self.crossTrackWidthMetres = crossTrackWidthMetres
        self.coveredFraction = coveredFraction
        self.problems = problems
    }
}

/// One line of the boustrophedon at a fixed cross-track offset, split into segments where the cell
/// is concave or a no-fly zone cuts it.
public struct SurveyLane: Hashable, Sendable, Codable {
    public var index: Int
    /// Cross-track distance from the cell's edge where the lanes begin, metres.
    public var offsetMetres: Double
    /// The pieces to photograph, each from its start to its end along the sweep bearing, in that
    /// order (sorties may fly them reversed).
    public var segments: [LaneSegment]

    public init(index: Int, offsetMetres: Double, segments: [LaneSegment]) {
        self.index = index
        self.offsetMetres = offsetMetres
        self.segments = segments
    }
}

public struct LaneSegment: Hashable, Sendable, Codable {
    public var start: Coordinate
    public var end: Coordinate
    public var lengthMetres: Double
    /// Which sortie flies it; nil when it was left out (see the plan's problems).
    public var sortie: Int?

    public init(start: Coordinate, end: Coordinate, lengthMetres: Double, sortie: Int?) {
        self.start = start
        self.end = end
        self.lengthMetres = lengthMetres
        self.sortie = sortie
    }
}

/// One flight on one battery: out from the dock, along its lane segments, back to the dock.
public struct Sortie: Hashable, Sendable, Codable {
    public var index: Int
    /// Dock, transit turns, then `laneStart`/`laneEnd` pairs (photos every trigger distance between
    /// them), then the dock again.
    public var waypoints: [SurveyWaypoint]
    /// The lane segments flown, in order: (lane index, segment index within the lane).
    public var segments: [SegmentReference]
    public var photoTriggerDistanceMetres: Double
    public var photoCount: Int
    /// Horizontal distance flown, metres (transit, lanes and connections).
    public var distanceMetres: Double
    /// Climb, transit, lanes, turns, transit back and descent, seconds.
    public var durationSeconds: Double
    /// Share of a full battery used (duration over endurance). At most 1 − reserve.
    public var energyFraction: Double

    public init(index: Int, waypoints: [SurveyWaypoint], segments: [SegmentReference], photoTriggerDistanceMetres: Double, photoCount: Int, distanceMetres: Double, durationSeconds: Double, energyFraction: Double) {
        self.index = index
        self.waypoints = waypoints
        self.segments = segments
        self.photoTriggerDistanceMetres = photoTriggerDistanceMetres
        self.photoCount = photoCount
        self.distanceMetres = distanceMetres
        self.durationSeconds = durationSeconds
        self.energyFraction = energyFraction
    }
}

public struct SegmentReference: Hashable, Sendable, Codable {
    public var lane: Int
    public var segment: Int

    public init(lane: Int, segment: Int) {
        self.lane = lane
        self.segment = segment
    }
}

public struct SurveyWaypoint: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable {
        /// Take-off or landing at the dock (altitude 0).
        case dock
        /// A turn on the way between dock and lanes or between lanes, around no-fly zones.
        case transit
        /// Start photographing every trigger distance.
        case laneStart
        /// Last photo; stop photographing.
        case laneEnd
    }

    public var coordinate: Coordinate
    /// Above the dock's take-off point, metres.
    public var altitudeMetres: Double
    public var kind: Kind

    public init(coordinate: Coordinate, altitudeMetres: Double, kind: Kind) {
        self.coordinate = coordinate
        self.altitudeMetres = altitudeMetres
        self.kind = kind
    }
}

/// Something the plan could not do, with why.
public struct CoverageProblem: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable, Codable {
        /// Part of the cell lies inside a no-fly zone.
        case insideNoFly
        /// Ground next to a no-fly zone that no photo reaches, because lanes were cut at the zone.
        case shadowedByNoFly
        /// Lanes beyond the dock's operating radius.
        case outOfRange
        /// A lane segment that one full battery (less the reserve) cannot fly with its transits.
        case beyondEndurance
        /// No way around a no-fly zone was found; the straight line crosses it.
        case transitCrossesNoFly
    }

    public var kind: Kind
    /// The no-fly zone concerned, if any.
    public var zoneID: String?
    /// Estimated area left unphotographed, square metres (nil when not an area).
    public var areaSquareMetres: Double?
    public var message: String

    public init(kind: Kind, zoneID: String?, areaSquareMetres: Double?, message: String) {
        self.kind = kind
        self.zoneID = zoneID
        self.areaSquareMetres = areaSquareMetres
        self.message = message
    }

    public var description: String { message }
}
