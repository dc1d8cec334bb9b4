import TianyanModel

/// A waypoint mission for a Dock 2 aircraft (Matrice 3D / 3TD), as the controller plans it; turned
/// into a DJI WPML route file (KMZ) by `WaylineFile`. Heights are metres above the take-off point
/// (the dock), speeds metres per second.
public struct WaylineMission: Sendable, Hashable {
    /// What the aircraft does after the last waypoint (WPML `wpml:finishAction`).
    public enum FinishAction: String, Sendable, Hashable, CaseIterable {
        case goHome, noAction, autoLand, gotoFirstWaypoint
    }

    /// What the aircraft does when it loses the link (WPML `wpml:exitOnRCLost` and
    /// `wpml:executeRCLostAction`). `continueWayline` finishes the wayline first.
    public enum LinkLostAction: String, Sendable, Hashable, CaseIterable {
        case continueWayline, goBack, landing, hover
    }

    /// The Dock 2 and Dock 3 aircraft; the enum values of the WPML `droneInfo` and `payloadInfo`.
    public enum Aircraft: String, Sendable, Hashable, CaseIterable {
        case matrice3D, matrice3TD, matrice4D, matrice4TD

        /// The aircraft of a registry model name ("Matrice 3TD", "Matrice 4D", …); nil for one
        /// that flies no dock wayline.
        public init?(model: String) {
            let m = String(model.lowercased().filter { $0 != " " })
            if m.contains("4td") { self = .matrice4TD } else if m.contains("4d") { self = .matrice4D }
            else if m.contains("3td") { self = .matrice3TD } else if m.contains("3d") { self = .matrice3D } else { return nil }
        }

        var hasThermal: Bool { self == .matrice3TD || self == .matrice4TD }
    }

    /// A camera action that starts at a waypoint.
    public enum Action: Sendable, Hashable {
        /// One photo on arrival.
        case takePhoto
        /// A photo every `everyMetres` metres flown from this waypoint until a `stopIntervalPhotos`
        /// waypoint, or the last waypoint.
        case startIntervalPhotos(everyMetres: Double)
        /// Ends the interval photos started at an earlier waypoint.
        case stopIntervalPhotos
    }

    public struct Waypoint: Sendable, Hashable {
        public var coordinate: Coordinate
        /// Metres above the take-off point.
        public var height: Double
        /// Speed on the leg that starts at this waypoint, m/s.
        public var speed: Double
        public var action: Action?

        public init(coordinate: Coordinate, height: Double, speed: Double, action: Action? = nil) {
            self.coordinate = coordinate
            self.height = height
            self.speed = speed
            self.action = action
        }
    }

    /// After take-off the aircraft climbs to this height before it heads for the first waypoint.
    public var takeOffSecurityHeight: Double
    /// Speed to the first waypoint and the default leg speed (WPML `globalTransitionalSpeed` and
    /// `autoFlightSpeed`).
    public var globalSpeed: Double
    /// Height the aircraft climbs to before it returns home (WPML `globalRTHHeight`).
    public var returnHomeHeight: Double
    public var finishAction: FinishAction
    public var linkLostAction: LinkLostAction
    public var aircraft: Aircraft
    public var waypoints: [Waypoint]

    public init(
        takeOffSecurityHeight: Double, globalSpeed: Double, returnHomeHeight: Double, finishAction: FinishAction = .goHome,
        linkLostAction: LinkLostAction = .goBack, aircraft: Aircraft = .matrice3D, waypoints: [Waypoint]
    ) {
        self.takeOffSecurityHeight = takeOffSecurityHeight
        self.globalSpeed = globalSpeed
        self.returnHomeHeight = returnHomeHeight
        self.finishAction = finishAction
        self.linkLostAction = linkLostAction
        self.aircraft = aircraft
        self.waypoints = waypoints
    }
}

/// A mission that cannot be written as a route file: what is wrong and how to fix it.
public struct WaylineMissionError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension WaylineMission {
    /// Limits from the DJI WPML reference (Cloud-API-Doc docs/en/60.api-reference/00.dji-wpml,
    /// template-kml and waylines-wpml): take-off security height [2, 1500] m, transitional speed
    /// up to 15 m/s, waypoint index [0, 65535]; the Matrice 3D flies at most 15 m/s. The RTH
    /// height follows `rth_altitude` of `flighttask_prepare` (20-1500 m).
    static let speedRange = 0.0...15.0
    static let takeOffSecurityRange = 2.0...1500.0
    static let returnHomeRange = 20.0...1500.0
    static let heightRange = -1500.0...1500.0

    /// The interval-photo runs: (first waypoint, last waypoint, metres between photos).
    struct IntervalRun: Hashable {
        var start: Int
        var end: Int
        var everyMetres: Double
    }

    /// Checks the mission and pairs each start of interval photos with its stop.
    func validated() throws(WaylineMissionError) -> [IntervalRun] {
        guard waypoints.count >= 2 else {
            throw WaylineMissionError("a wayline needs at least 2 waypoints, this mission has \(waypoints.count); add waypoints")
        }
        guard waypoints.count <= 65_535 else {
            throw WaylineMissionError("a wayline holds at most 65,535 waypoints, this mission has \(waypoints.count); split it into several missions")
        }
        guard Self.takeOffSecurityRange.contains(takeOffSecurityHeight) else {
            throw WaylineMissionError("take-off security height \(takeOffSecurityHeight) m is outside 2-1500 m; set it in that range")
        }
        guard globalSpeed > 0, Self.speedRange.contains(globalSpeed) else {
            throw WaylineMissionError("global speed \(globalSpeed) m/s is outside (0, 15] m/s; set it in that range")
        }
        guard Self.returnHomeRange.contains(returnHomeHeight) else {
            throw WaylineMissionError("return-home height \(returnHomeHeight) m is outside 20-1500 m; set it in that range")
        }
        var runs: [IntervalRun] = []
        var open: (start: Int, every: Double)?
        for (i, w) in waypoints.enumerated() {
            let c = w.coordinate
            guard c.isValid, !(c.latitude == 0 && c.longitude == 0) else {
                throw WaylineMissionError("waypoint \(i): coordinate \(c.latitude), \(c.longitude) is not a valid WGS-84 position; fix the latitude and longitude")
            }
            guard w.height.isFinite, Self.heightRange.contains(w.height) else {
                throw WaylineMissionError("waypoint \(i): height \(w.height) m above take-off is outside -1500-1500 m; fix the height")
            }
            guard w.speed > 0, Self.speedRange.contains(w.speed) else {
                throw WaylineMissionError("waypoint \(i): speed \(w.speed) m/s is outside (0, 15] m/s; set it in that range")
            }
            switch w.action {
            case .startIntervalPhotos(let every):
                guard every.isFinite, every > 0 else {
                    throw WaylineMissionError("waypoint \(i): interval photos every \(every) m; the distance must be more than 0 m")
                }
                if let open {
                    throw WaylineMissionError("waypoint \(i) starts interval photos while those started at waypoint \(open.start) still run; stop them first")
                }
                open = (i, every)
            case .stopIntervalPhotos:
                guard let started = open else {
                    throw WaylineMissionError("waypoint \(i) stops interval photos that no earlier waypoint started; remove the stop or add a start")
                }
                runs.append(IntervalRun(start: started.start, end: i, everyMetres: started.every))
                open = nil
            case .takePhoto, nil:
                break
            }
        }
        if let open {
            runs.append(IntervalRun(start: open.start, end: waypoints.count - 1, everyMetres: open.every))
        }
        return runs
    }
}
