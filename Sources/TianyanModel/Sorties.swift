/// Where a planned sortie stands. A sortie moves forward only: planned (or held by a lead) →
/// prepared (the dock has the route and the time) → executing (take-off ordered) → paused/executing
/// → done, partial, failed or canceled.
public enum SortieState: String, Hashable, Sendable, Codable, CaseIterable {
    /// In the plan; nothing sent to the dock yet.
    case planned
    /// Held by a lead: not prepared or launched until resumed.
    case held
    /// `flighttask_prepare` accepted: the dock has the route file and the execute time.
    case prepared
    /// `flighttask_execute` accepted; progress comes from the dock.
    case executing
    /// In the air, wayline paused by a lead.
    case paused
    /// Every waypoint flown.
    case done
    /// Flown in part (returned early, battery, recalled).
    case partial
    case failed
    case canceled

    public var isFinal: Bool { self == .done || self == .partial || self == .failed || self == .canceled }
    /// Sent to the dock and not finished: the dock, not the plan, decides what happens next.
    public var isWithDock: Bool { self == .prepared || self == .executing || self == .paused }
}

/// One point of a sortie's route, as flown: take-off/landing at the dock, transit turns, and the
/// start and end of each photographed lane segment.
public struct RoutePoint: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable {
        case dock, transit, laneStart, laneEnd
    }

    public var latitude: Double
    public var longitude: Double
    /// Above the dock's take-off point, metres.
    public var altitudeMetres: Double
    public var kind: Kind

    public init(latitude: Double, longitude: Double, altitudeMetres: Double, kind: Kind) {
        self.latitude = latitude
        self.longitude = longitude
        self.altitudeMetres = altitudeMetres
        self.kind = kind
    }

    public var coordinate: Coordinate { Coordinate(latitude: latitude, longitude: longitude) }
}

/// The route a sortie flies, with what the route file needs.
public struct SortieRoute: Hashable, Sendable, Codable {
    public var points: [RoutePoint]
    /// Speed along the lanes, m/s.
    public var surveySpeedMetresPerSecond: Double
    /// Speed between the dock and the lanes and between lanes, m/s.
    public var transitSpeedMetresPerSecond: Double
    /// A photo every this many metres along a lane.
    public var photoTriggerDistanceMetres: Double
    public var distanceMetres: Double
    public var durationSeconds: Double

    public init(points: [RoutePoint], surveySpeedMetresPerSecond: Double, transitSpeedMetresPerSecond: Double,
                photoTriggerDistanceMetres: Double, distanceMetres: Double, durationSeconds: Double) {
        self.points = points
        self.surveySpeedMetresPerSecond = surveySpeedMetresPerSecond
        self.transitSpeedMetresPerSecond = transitSpeedMetresPerSecond
        self.photoTriggerDistanceMetres = photoTriggerDistanceMetres
        self.distanceMetres = distanceMetres
        self.durationSeconds = durationSeconds
    }
}

public struct SortieStep: Hashable, Sendable, Codable {
    public var state: SortieState
    public var time: Timestamp
    public var detail: String?

    public init(state: SortieState, time: Timestamp, detail: String? = nil) {
        self.state = state
        self.time = time
        self.detail = detail
    }
}

/// A sortie of the coverage plan as the controller executes it. Its id is also the DJI flight id
/// (and the bid of every message of the task).
public struct SortieRecord: Hashable, Sendable, Codable {
    public var id: String
    public var drone: String
    public var dock: String
    public var pilot: String
    public var formation: String
    public var cells: [String]
    /// Planned take-off and landing.
    public var start: Timestamp
    public var end: Timestamp
    public var state: SortieState
    /// Added by a lead ahead of the plan.
    public var urgent: Bool
    /// Which of the sorties of its cell's visit this is (0-based), of how many.
    public var part: Int
    public var parts: Int
    public var route: SortieRoute
    /// Task progress reported by the dock, 0-100.
    public var percent: Double?
    public var history: [SortieStep]

    public init(id: String, drone: String, dock: String, pilot: String, formation: String, cells: [String], start: Timestamp,
                end: Timestamp, state: SortieState, urgent: Bool, part: Int = 0, parts: Int = 1, route: SortieRoute, percent: Double? = nil,
                history: [SortieStep]) {
        self.id = id
        self.drone = drone
        self.dock = dock
        self.pilot = pilot
        self.formation = formation
        self.cells = cells
        self.start = start
        self.end = end
        self.state = state
        self.urgent = urgent
        self.part = part
        self.parts = parts
        self.route = route
        self.percent = percent
        self.history = history
    }

    public var updated: Timestamp { history.last?.time ?? start }

    /// Moves to `state` with a history step. Final states are never left.
    @discardableResult
    public mutating func move(to state: SortieState, at time: Timestamp, _ detail: String? = nil) -> Bool {
        guard !self.state.isFinal, state != self.state || detail != history.last?.detail else { return false }
        self.state = state
        history.append(SortieStep(state: state, time: time, detail: detail))
        return true
    }
}

/// What is known of a cell's coverage: when it was last imaged well enough to count, and what the
/// last flight over it achieved.
public struct CellCoverageRecord: Hashable, Sendable, Codable {
    public var cell: String
    /// When the cell last counted as covered (imaged share ≥ the threshold). Nil: never.
    public var lastCovered: Timestamp?
    /// Share of the cell's area imaged by the last sortie that flew it, 0-1.
    public var lastFraction: Double
    /// That sortie, and when it ended.
    public var lastSortie: String?
    public var lastFlown: Timestamp

    public init(cell: String, lastCovered: Timestamp?, lastFraction: Double, lastSortie: String?, lastFlown: Timestamp) {
        self.cell = cell
        self.lastCovered = lastCovered
        self.lastFraction = lastFraction
        self.lastSortie = lastSortie
        self.lastFlown = lastFlown
    }
}
