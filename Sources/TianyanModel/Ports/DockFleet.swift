/// The docks as the dispatch layer sees them, whatever their vendor (DJI Cloud API today): is the
/// link up, what a dock model can fly, a flight handed over with its route, and the commands a
/// lead or the scheduler sends. The adapter stores what the docks report through its sink.
public protocol DockFleet: Sendable {
    /// Commands can reach the docks and their replies come back (the broker connected, every
    /// subscription acknowledged).
    var isUp: Bool { get }
    /// What a dock model flies (camera, speeds, endurance), from its firmware profile.
    func capabilities(forModel model: String) -> DockProfile.Capabilities?
    /// Builds the flight's route file, serves it, and hands the flight to its dock with its start
    /// time. A route that cannot be built throws `invalid`; a dock that refuses or does not answer
    /// is an outcome, not an error.
    func prepareFlight(_ flight: FlightPreparation) async throws(DispatchError) -> PreparedFlight
    /// Serves an already prepared flight's route file again (after a restart: the dock may fetch
    /// it again). Sends nothing.
    func restoreFlight(_ flight: FlightPreparation) throws(DispatchError)
    /// Sends a command about a flight (or a dock) and waits for its outcome. Every command is
    /// recorded and audited through the sink.
    func command(_ action: DockAction, serial: String, flightID: String?, requestedBy: String) async -> DockCommandOutcome
    /// The flight is over: its route file goes.
    func forgetFlight(_ flightID: String)
    /// A served route file by its name (`<md5>.kmz`), for `GET /files/routes/{name}`.
    func routeFile(named name: String) -> [UInt8]?
    /// For `/healthz`: problems (`broker`, `mqtt journal full`) and the `broker` object.
    var health: ComponentHealth { get }
    /// Its Prometheus samples (`tianyan_mqtt_*`, `tianyan_dock_*`).
    var metrics: [Metric] { get }
    /// One line for banners.
    var summary: String { get }
}

/// What a lead or the scheduler can ask of a dock about a flight.
public enum DockAction: String, Sendable, Hashable, CaseIterable {
    /// Start a prepared flight now.
    case launch
    case pauseFlight = "pause_flight"
    case resumeFlight = "resume_flight"
    /// Take back a prepared flight that has not started.
    case withdraw
    case returnHome = "return_home"
    case cancelReturnHome = "cancel_return_home"
}

/// A flight to hand to a dock.
public struct FlightPreparation: Sendable, Hashable {
    /// The flight's id (the sortie id), used as the dock's flight id.
    public var flightID: String
    public var dock: String
    public var drone: String
    public var droneModel: String
    public var start: Timestamp
    public var route: SortieRoute
    /// Where route files are served from, ending in `/`.
    public var routeBaseURL: String
    public var requestedBy: String

    public init(flightID: String, dock: String, drone: String, droneModel: String, start: Timestamp, route: SortieRoute,
                routeBaseURL: String, requestedBy: String = "scheduler") {
        self.flightID = flightID
        self.dock = dock
        self.drone = drone
        self.droneModel = droneModel
        self.start = start
        self.route = route
        self.routeBaseURL = routeBaseURL
        self.requestedBy = requestedBy
    }
}

/// How a command ended: its record (the dock's result code and text) and how many sends it took.
public struct DockCommandOutcome: Sendable, Hashable {
    public var record: CommandRecord
    public var attempts: Int
    public var succeeded: Bool { record.outcome == .succeeded }

    public init(record: CommandRecord, attempts: Int) {
        self.record = record
        self.attempts = attempts
    }
}

/// A flight handed to its dock: the prepare command's outcome, and the route file served for it.
public struct PreparedFlight: Sendable, Hashable {
    public var outcome: DockCommandOutcome
    public var routeBytes: Int
    /// The route file's fingerprint (lower-case hex MD5).
    public var fingerprint: String

    public init(outcome: DockCommandOutcome, routeBytes: Int, fingerprint: String) {
        self.outcome = outcome
        self.routeBytes = routeBytes
        self.fingerprint = fingerprint
    }
}
