import TianyanModel

/// The dock port's contract as named cases, run against every dock adapter (the fake, and DJI
/// with a stand-in dock answering its commands; another vendor when one lands). Each case gets a
/// fleet whose link is up and whose docks accept everything, and a `Context` naming a registered
/// dock, its model and a route to fly.
public enum DockFleetConformance {
    public struct Context: Sendable {
        public var dock: String
        public var dockModel: String
        public var drone: String
        public var droneModel: String
        public var route: SortieRoute
        public var routeBaseURL: String

        public init(dock: String, dockModel: String, drone: String, droneModel: String, route: SortieRoute,
                    routeBaseURL: String = "http://127.0.0.1:9/files/routes/") {
            self.dock = dock
            self.dockModel = dockModel
            self.drone = drone
            self.droneModel = droneModel
            self.route = route
            self.routeBaseURL = routeBaseURL
        }

        /// The sample fleet's first dock and its drone, with a two-point lane to fly.
        public static func sample(_ registry: FleetRegistry = FleetSample.make()) throws -> Context {
            guard let dock = registry.docks.first, let drone = registry.drones.first(where: { $0.dock == dock.serial }) else {
                throw TestFailure("the registry has no dock with a drone")
            }
            let route = SortieRoute(points: [RoutePoint(latitude: 22.8, longitude: 113.8, altitudeMetres: 90, kind: .laneStart),
                                             RoutePoint(latitude: 22.801, longitude: 113.8, altitudeMetres: 90, kind: .laneEnd)],
                                    surveySpeedMetresPerSecond: 8, transitSpeedMetresPerSecond: 12, photoTriggerDistanceMetres: 30,
                                    distanceMetres: 111, durationSeconds: 14)
            return Context(dock: dock.serial, dockModel: dock.model, drone: drone.serial, droneModel: drone.model, route: route)
        }

        func flight(_ id: String, route: SortieRoute? = nil) -> FlightPreparation {
            FlightPreparation(flightID: id, dock: dock, drone: drone, droneModel: droneModel, start: Timestamp(milliseconds: 1_800_000_000_000),
                              route: route ?? self.route, routeBaseURL: routeBaseURL, requestedBy: "scheduler")
        }
    }

    public typealias Run = @Sendable (any DockFleet, Context) async throws -> Void
    public typealias Case = (name: String, run: Run)

    public static var names: [String] { cases.map(\.name) }

    public static func run(_ name: String, fleet: any DockFleet, context: Context) async throws {
        guard let c = cases.first(where: { $0.name == name }) else { throw TestFailure("no dock fleet conformance case \(name)") }
        try await c.run(fleet, context)
    }

    public static let cases: [Case] = [
        ("a prepared flight's route file is served under its fingerprint", preparedFileServed),
        ("a forgotten flight's file is no longer served", forgottenFileGone),
        ("a restored flight's file is served again", restoredFileServed),
        ("a flight without waypoints is refused as invalid", emptyRouteRefused),
        ("every action is answered with its command record", actionsRecorded),
        ("capabilities of the dock's model", capabilities),
        ("health names the link and the fleet is up", healthAndSummary),
        ("names that are not route files are not served", strangeNames),
    ]

    static func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw TestFailure(message()) }
    }

    static func preparedFileServed(_ fleet: any DockFleet, _ c: Context) async throws {
        let prepared = try await fleet.prepareFlight(c.flight("conf-prepare"))
        try check(prepared.outcome.succeeded, "the dock took the flight: \(prepared.outcome.record)")
        try check(prepared.outcome.record.unit == c.dock, "the command went to dock \(c.dock): \(prepared.outcome.record.unit)")
        try check(prepared.fingerprint.count == 32 && prepared.fingerprint.allSatisfy(\.isHexDigit), "a 32-digit hex fingerprint: \(prepared.fingerprint)")
        guard let bytes = fleet.routeFile(named: prepared.fingerprint + ".kmz") else {
            throw TestFailure("no route file served as \(prepared.fingerprint).kmz")
        }
        try check(bytes.count == prepared.routeBytes && bytes.count > 0, "\(bytes.count) bytes served, \(prepared.routeBytes) said")
    }

    static func forgottenFileGone(_ fleet: any DockFleet, _ c: Context) async throws {
        let prepared = try await fleet.prepareFlight(c.flight("conf-forget"))
        fleet.forgetFlight("conf-forget")
        try check(fleet.routeFile(named: prepared.fingerprint + ".kmz") == nil, "the file of a forgotten flight is still served")
    }

    static func restoredFileServed(_ fleet: any DockFleet, _ c: Context) async throws {
        let prepared = try await fleet.prepareFlight(c.flight("conf-restore"))
        fleet.forgetFlight("conf-restore")
        try fleet.restoreFlight(c.flight("conf-restore"))
        try check(fleet.routeFile(named: prepared.fingerprint + ".kmz") != nil, "the restored flight's file (same route, same file) is served")
    }

    static func emptyRouteRefused(_ fleet: any DockFleet, _ c: Context) async throws {
        var empty = c.route
        empty.points = []
        do {
            _ = try await fleet.prepareFlight(c.flight("conf-empty", route: empty))
            throw TestFailure("a flight without waypoints was prepared")
        } catch let e as DispatchError {
            try check(e.kind == .invalid, "refused as invalid: \(e.kind) \(e.message)")
        }
    }

    static func actionsRecorded(_ fleet: any DockFleet, _ c: Context) async throws {
        for action in DockAction.allCases {
            let outcome = await fleet.command(action, serial: c.dock, flightID: "conf-actions", requestedBy: "lead.li")
            try check(outcome.succeeded, "\(action) accepted: \(outcome.record)")
            try check(outcome.record.unit == c.dock && outcome.record.requestedBy == "lead.li" && !outcome.record.method.isEmpty,
                      "\(action) recorded for \(c.dock) by lead.li: \(outcome.record)")
        }
    }

    static func capabilities(_ fleet: any DockFleet, _ c: Context) async throws {
        guard let caps = fleet.capabilities(forModel: c.dockModel) else { throw TestFailure("no capabilities for \(c.dockModel)") }
        try check(caps.camera.focalLengthMillimetres > 0 && caps.camera.imageWidthPixels > 0, "a camera to plan with: \(caps.camera)")
        try check(fleet.capabilities(forModel: "no such dock") == nil, "an unknown model has none")
    }

    static func healthAndSummary(_ fleet: any DockFleet, _ c: Context) async throws {
        try check(fleet.isUp, "the fleet under test is up")
        let h = fleet.health
        try check(h.fields["broker"] != nil, "health reports the link as `broker`: \(h.fields)")
        try check(!fleet.summary.isEmpty, "a banner line")
    }

    static func strangeNames(_ fleet: any DockFleet, _ c: Context) async throws {
        for name in ["", "../../etc/passwd", String(repeating: "ab", count: 16) + ".kml", "x.kmz"] {
            try check(fleet.routeFile(named: name) == nil, "\(name) served")
        }
    }
}
