import Foundation
import TianyanModel

/// A message for the broker, built by the simulation and sent by the MQTT shell.
struct OutgoingMessage: Sendable, Equatable {
    var topic: String
    var payload: JSONValue
    /// 0 for OSD (as devices send it), 1 for everything that must arrive.
    var qos: Int

    var method: String? { payload["method"]?.stringValue }
}

/// What one step of the simulation produced: messages to publish, lines to log, and whether the
/// dock's network link drops now (for how many seconds).
struct SimulationOutput: Sendable {
    enum Level: Sendable { case info, notice, warning }
    struct Note: Sendable {
        var level: Level
        var text: String
    }

    var messages: [OutgoingMessage] = []
    var notes: [Note] = []
    var dropSeconds: Double?
    /// Route files to download; the shell feeds each result back with `waylineFetched`.
    var fetches: [WaylineFetch] = []

    mutating func note(_ text: String, _ level: Level = .info) { notes.append(Note(level: level, text: text)) }
    mutating func append(_ other: SimulationOutput) {
        messages += other.messages
        notes += other.notes
        fetches += other.fetches
        dropSeconds = dropSeconds ?? other.dropSeconds
    }
}

/// Rates and physics of the simulation.
struct SimulationParameters: Sendable {
    var osdInterval: Double = 2
    /// HMS alarms raised per dock-hour.
    var hmsPerHour: Double = 0.5
    /// Network drops per dock-hour.
    var dropsPerHour: Double = 0
    var cruiseSpeed: Double = 12
    var climbSpeed: Double = 6
    var descentSpeed: Double = 3
    var cruiseAltitude: Double = 100
    var drainPercentPerMinute: Double = 2
    var chargePercentPerMinute: Double = 3
    /// Below this the dock refuses a task (DJI 316009).
    var minTakeoffBattery: Double = 30
    /// At this the aircraft abandons its wayline and comes home.
    var lowBatteryReturn: Double = 20
    var eventResendInterval: Double = 5
    var eventResends: Int = 3
    var statusReplyTimeout: Double = 10
    /// An idle aircraft in the dock powers off after this many seconds.
    var powerOffAfterIdle: Double = 600
    /// Flights move this many times faster than real (tests and demos that cannot wait for a
    /// 7-minute survey); speeds reported stay the real ones, battery drains in real time.
    var flightSpeedUp: Double = 1

    init() {}
}

/// Who the simulated dock is: the dock of the sample fleet, its aircraft, their model keys and
/// firmware, and the HMS codes its profile knows.
struct DockIdentity: Sendable {
    var dock: Dock
    var aircraftSerial: String
    var dockModelKey: String
    var aircraftModelKey: String
    var dockFirmware: String
    var aircraftFirmware: String
    var dockHMSCodes: [String]
    var aircraftHMSCodes: [String]
}

/// One DJI dock with its aircraft, speaking the DJI Cloud API. Pure: time comes in as `now`
/// (seconds since 1970), randomness from a seeded generator, and every call returns the messages
/// to publish. The MQTT shell (`DockConnection`) only carries them.
struct SimulatedDock: Sendable {
    enum Phase: Sendable, Equatable {
        case takeoff, wayline, paused, returning, hovering, landing
    }

    struct Flight: Sendable {
        var flightID: String
        var bid: String
        var trackID: String
        var plan: PreparedFlight
        var route: [RoutePoint] { plan.route }
        var phase: Phase
        /// Index in `route` of the waypoint being flown to.
        var nextWaypoint = 0
        var flownMetres = 0.0
        var plannedMetres: Double
        /// Terminal status reported once the aircraft is back: ok, canceled or partially_done.
        var outcome = "ok"
        var mediaCount = 0
        /// Metres flown since the last interval photo.
        var sincePhoto = 0.0
        var startedAt: Double
    }

    /// What a flight will fly: its points, the height it climbs to before leaving, the speed to
    /// the first point, and whether photos come from the route (a route file) or from the
    /// simulator's rule (one every second waypoint).
    struct PreparedFlight: Sendable {
        var route: [RoutePoint]
        var climbTo: Double
        var transitSpeed: Double
        var photosFromRoute: Bool
        var preparedAt: Double

        /// The lawnmower or a `tianyan_route`: every point at cruise altitude and speed.
        init(plain points: [Coordinate], parameters: SimulationParameters, now: Double) {
            route = points.map { RoutePoint(coordinate: $0, height: parameters.cruiseAltitude, speed: parameters.cruiseSpeed) }
            climbTo = parameters.cruiseAltitude
            transitSpeed = parameters.cruiseSpeed
            photosFromRoute = false
            preparedAt = now
        }

        /// A route file: climb to the first point's height (at least the take-off security
        /// height, WPML `flyToWaylineMode` safely), then fly each leg at its own speed.
        init(wayline: WaylineRoute, parameters: SimulationParameters, now: Double) {
            route = wayline.points
            climbTo = max(wayline.takeOffSecurityHeight ?? 0, wayline.points.first?.height ?? parameters.cruiseAltitude)
            transitSpeed = wayline.transitionalSpeed.flatMap { $0 > 0 ? $0 : nil } ?? parameters.cruiseSpeed
            photosFromRoute = true
            preparedAt = now
        }
    }

    /// A `flighttask_prepare` with a route file, waiting for its download.
    struct AwaitingRoute: Sendable {
        var tid: String
        var bid: String
        var fingerprint: String
        var url: String
    }

    struct Alarm: Sendable, Equatable {
        var code: String
        var deviceType: String
        var onAircraft: Bool
        var level: Int
        var imminent: Int
        var inTheSky: Int
        var clearsAt: Double
    }

    struct PendingEvent: Sendable {
        var message: OutgoingMessage
        var resends: Int
        var nextAttempt: Double
    }

    enum Scheduled: Sendable {
        case service(method: String, tid: String, bid: String, data: JSONValue?)
        /// The download of a prepare's route file ended; check it and reply.
        case routeFetched(flightID: String, result: WaylineFetchResult)
    }

    let identity: DockIdentity
    let parameters: SimulationParameters
    /// Identifiers and reply delays: drawn as messages come and go.
    private(set) var rng: SeededGenerator
    /// Weather, alarms and network drops: a fixed number of draws per OSD interval, so that the
    /// same seed gives the same alarms and drops at the same intervals whatever the clock jitter.
    private var world: SeededGenerator

    // Dock.
    private(set) var jobNumber: Int
    private(set) var accumulatedSeconds: Double
    private(set) var activationTime: Int
    private(set) var firstPowerOn: Int
    private(set) var temperature: Double
    private(set) var humidity: Double
    private(set) var windSpeed: Double
    private(set) var rainfall = 0
    private(set) var storageUsed: Int
    private(set) var coverOpen = false
    private(set) var recoveringUntil: Double = 0
    private(set) var networkRate: Double

    // Aircraft.
    private(set) var aircraftPowered = true
    private(set) var inDock = true
    private(set) var battery: Double
    private(set) var batteryCycles: Int
    private(set) var batterySerial: String
    private(set) var position: Coordinate
    private(set) var elevation = 0.0
    private(set) var heading = 0.0
    private(set) var horizontalSpeed = 0.0
    private(set) var verticalSpeed = 0.0
    private(set) var totalFlightSeconds: Double
    private(set) var totalSorties: Int
    private(set) var totalDistance: Double
    private(set) var idleSince: Double

    // Tasks.
    private(set) var prepared: [String: PreparedFlight] = [:]
    private(set) var awaitingRoute: [String: AwaitingRoute] = [:]
    private(set) var flight: Flight?

    // Protocol bookkeeping.
    private(set) var scheduled: [(due: Double, action: Scheduled)] = []
    private(set) var unacknowledged: [String: PendingEvent] = [:]
    private(set) var neverAcknowledged = 0
    private(set) var eventsSent = 0
    private(set) var flightsCompleted = 0
    private(set) var alarms: [Alarm] = []
    var statusWait: (tid: String, message: OutgoingMessage, deadline: Double, resent: Bool)?
    private var nextOSD: Double
    private var lastTick: Double
    private var sentConfigRequest = false

    /// `battery` overrides the seeded starting charge (percent), for tests and demos.
    init(identity: DockIdentity, parameters: SimulationParameters = .init(), seed: UInt64, now: Double, battery startingBattery: Double? = nil) {
        self.identity = identity
        self.parameters = parameters
        var rng = SeededGenerator(seed: seed)
        jobNumber = Int.random(in: 20...900, using: &rng)
        accumulatedSeconds = Double(Int.random(in: 200_000...9_000_000, using: &rng))
        activationTime = Int(now) - Int.random(in: 30...700, using: &rng) * 86_400
        firstPowerOn = (activationTime - 3_600) * 1000
        temperature = Double.random(in: 22...31, using: &rng)
        humidity = Double.random(in: 55...85, using: &rng)
        windSpeed = Double.random(in: 0...4, using: &rng)
        storageUsed = Int.random(in: 10_000...9_000_000, using: &rng)
        networkRate = Double.random(in: 4...60, using: &rng)
        battery = Double(Int.random(in: 55...100, using: &rng))
        if let startingBattery { battery = startingBattery }
        batteryCycles = Int.random(in: 10...260, using: &rng)
        batterySerial = String(format: "4BUPK%02dDAD%04dX", Int.random(in: 10...99, using: &rng), Int.random(in: 0...9999, using: &rng))
        position = identity.dock.location
        totalSorties = jobNumber
        totalFlightSeconds = Double(jobNumber) * Double.random(in: 900...1_500, using: &rng)
        totalDistance = Double(jobNumber) * Double.random(in: 4_000...9_000, using: &rng)
        idleSince = now
        nextOSD = now
        lastTick = now
        world = SeededGenerator(seed: rng.next())
        self.rng = rng
    }

    var dockSerial: String { identity.dock.serial }
    var airborne: Bool { flight != nil && !inDock }
    var flightInProgress: Bool { flight != nil }
    var pendingEvents: Int { unacknowledged.count }

    /// Aircraft `mode_code` as the DJI enum has it.
    var aircraftMode: Int {
        guard let flight else { return 0 }
        switch flight.phase {
        case .takeoff: return 4
        case .wayline, .paused: return 5
        case .returning: return 9
        case .hovering: return 3
        case .landing: return 10
        }
    }

    /// Dock `mode_code`: 4 while working on a task, else 0 idle.
    var dockMode: Int { flight != nil ? 4 : 0 }

    // MARK: topics

    func topic(_ leaf: String, _ serial: String? = nil) -> String {
        "thing/product/\(serial ?? dockSerial)/\(leaf)"
    }

    var statusTopic: String { "sys/product/\(dockSerial)/status" }

    /// Topics the dock listens on.
    var subscriptions: [String] {
        [topic("services"), topic("events_reply"), topic("requests_reply"), "sys/product/\(dockSerial)/status_reply"]
    }

    // MARK: connection

    /// The link came up: announce the topology and firmware; ask for the configuration once.
    mutating func connected(now: Double) -> SimulationOutput {
        var out = SimulationOutput()
        out.messages.append(topologyMessage(now: now, awaitReply: true))
        out.messages += stateMessages(now: now)
        if !sentConfigRequest {
            sentConfigRequest = true
            out.messages.append(request("config", data: .obj(("config_type", "json"), ("config_scope", "product")), now: now))
        }
        nextOSD = min(nextOSD, now)
        return out
    }

    // MARK: time

    /// Advances the simulation to `now` and returns what is due: OSD every interval, progress
    /// events, delayed replies, event resends, HMS changes, a network drop.
    mutating func tick(now: Double) -> SimulationOutput {
        var out = SimulationOutput()
        let dt = max(0, now - lastTick)
        lastTick = now
        if dt > 0 { advance(by: dt, now: now, into: &out) }

        while let first = scheduled.first, first.due <= now {
            scheduled.removeFirst()
            perform(first.action, now: now, into: &out)
        }

        resendEvents(now: now, into: &out)

        if let wait = statusWait, now >= wait.deadline {
            if wait.resent {
                out.note("no status_reply to update_topo (tid \(wait.tid)) after a resend; giving up", .warning)
                statusWait = nil
            } else {
                out.note("no status_reply to update_topo within \(Int(parameters.statusReplyTimeout)) s; sending it again", .warning)
                out.messages.append(wait.message)
                statusWait = (wait.tid, wait.message, now + parameters.statusReplyTimeout, true)
            }
        }

        let newInterval = now >= nextOSD
        updateAlarms(now: now, roll: newInterval, into: &out)

        if newInterval {
            nextOSD = max(nextOSD + parameters.osdInterval, now + parameters.osdInterval / 2)
            let dropRoll = Double.random(in: 0..<1, using: &world)
            let dropSeconds = Double.random(in: 5...30, using: &world)
            if dropRoll < parameters.dropsPerHour * parameters.osdInterval / 3600 { out.dropSeconds = dropSeconds }
            driftEnvironment()
            out.messages += dockOSD(now: now)
            if aircraftPowered { out.messages.append(aircraftOSD(now: now)) }
            if let flight, flight.phase != .paused {
                emitEvent(progressEvent(flight, status: "in_progress", now: now), now: now, into: &out)
            }
        }
        return out
    }

    private mutating func driftEnvironment() {
        temperature = min(38, max(15, temperature + Double.random(in: -0.1...0.1, using: &world)))
        humidity = min(98, max(30, humidity + Double.random(in: -0.5...0.5, using: &world)))
        windSpeed = min(12, max(0, windSpeed + Double.random(in: -0.3...0.3, using: &world)))
        networkRate = min(80, max(1, networkRate + Double.random(in: -2...2, using: &world)))
    }

    // MARK: incoming

    /// A message from the cloud on one of `subscriptions`. Services are answered after a
    /// realistic delay (from `tick`); replies are matched to what they answer.
    mutating func handle(topic: String, payload: [UInt8], now: Double) -> SimulationOutput {
        var out = SimulationOutput()
        let message: JSONValue
        do {
            message = try JSONValue.parse(payload)
        } catch {
            out.note("ignored a message on \(topic): \(error)", .warning)
            return out
        }
        let tid = message["tid"]?.stringValue ?? ""
        let method = message["method"]?.stringValue ?? ""
        if topic.hasSuffix("/services") {
            let bid = message["bid"]?.stringValue ?? ""
            let delay = method == "flighttask_prepare"
                ? Double.random(in: 2...5, using: &rng)
                : Double.random(in: 0.5...3, using: &rng)
            schedule(.service(method: method, tid: tid, bid: bid, data: message["data"]), at: now + delay)
        } else if topic.hasSuffix("/events_reply") {
            if unacknowledged.removeValue(forKey: tid) == nil {
                out.note("events_reply for an unknown or already acknowledged tid \(tid)")
            }
        } else if topic.hasSuffix("/requests_reply") {
            let result = message["data"]?["result"]?.intValue.map(String.init) ?? "missing"
            let output = message["data"]?["output"]?.serialized() ?? "none"
            out.note("requests_reply \(method): result \(result), output \(output.prefix(300))", .notice)
        } else if topic.hasSuffix("/status_reply") {
            if let wait = statusWait, wait.tid == tid {
                statusWait = nil
                let result = message["data"]?["result"]?.intValue ?? -1
                if result != 0 { out.note("status_reply to update_topo with result \(result)", .warning) }
            } else {
                out.note("status_reply for an unknown tid \(tid)")
            }
        } else {
            out.note("ignored a message on \(topic)")
        }
        return out
    }

    private mutating func schedule(_ action: Scheduled, at due: Double) {
        let i = scheduled.firstIndex { $0.due > due } ?? scheduled.endIndex
        scheduled.insert((due, action), at: i)
    }

    private mutating func perform(_ action: Scheduled, now: Double, into out: inout SimulationOutput) {
        switch action {
        case let .service(method, tid, bid, data):
            // No result yet: a prepare waiting for its route file replies when the download ends.
            guard let result = service(method, data: data, tid: tid, bid: bid, now: now, into: &out) else { return }
            reply(method: method, tid: tid, bid: bid, result: result, now: now, into: &out)
        case let .routeFetched(flightID, result):
            guard let waiting = awaitingRoute.removeValue(forKey: flightID) else { return }
            let code = prepareFromRouteFile(flightID: flightID, waiting: waiting, result: result, now: now, into: &out)
            reply(method: "flighttask_prepare", tid: waiting.tid, bid: waiting.bid, result: code, now: now, into: &out)
        }
    }

    private mutating func reply(method: String, tid: String, bid: String, result: Int, now: Double, into out: inout SimulationOutput) {
        out.messages.append(OutgoingMessage(topic: topic("services_reply"), payload: .obj(
            ("tid", .string(tid)), ("bid", .string(bid)), ("timestamp", .int(Self.ms(now))),
            ("gateway", .string(dockSerial)), ("method", .string(method)),
            ("data", .obj(("result", .int(result)))),
        ), qos: 1))
        out.note("services \(method) -> result \(result)")
    }

    /// Result codes for a route file that cannot be flown, from the DJI error-code page
    /// (firmware-profiles/docks/dji-dock2.yaml `result_codes`). There is no code for a wayline
    /// fingerprint mismatch (the only MD5 codes, 327068 and 327071, are the speaker's), so:
    /// - 314013 "Dock could not obtain the wayline for this task": the download failed;
    /// - 314016 "Failed to process flight route file ... Check file": it arrived, but its MD5 is
    ///   not `file.fingerprint` (the file is not the one the cloud meant);
    /// - 314017 "Failed to parse wayline file. Check the wayline": not a readable KMZ/WPML.
    enum RouteFileResult {
        static let downloadFailed = 314013
        static let fingerprintMismatch = 314016
        static let unparseable = 314017
    }

    /// The download of a route file ended (called by the shell). The check and the reply come
    /// with the next `tick`.
    mutating func waylineFetched(_ fetch: WaylineFetch, result: WaylineFetchResult, now: Double) {
        guard awaitingRoute[fetch.flightID] != nil else { return }
        schedule(.routeFetched(flightID: fetch.flightID, result: result), at: now)
    }

    /// Checks a downloaded route file and prepares the flight from it; returns `data.result`.
    private mutating func prepareFromRouteFile(flightID: String, waiting: AwaitingRoute, result: WaylineFetchResult, now: Double,
                                               into out: inout SimulationOutput) -> Int {
        let bytes: [UInt8]
        switch result {
        case .failed(let why):
            out.note("flight \(flightID): route file download failed: \(why)", .warning)
            return RouteFileResult.downloadFailed
        case .downloaded(let b):
            bytes = b
        }
        let md5 = Fingerprint.md5Hex(bytes)
        guard md5 == waiting.fingerprint.lowercased() else {
            out.note("flight \(flightID): route file MD5 \(md5) is not the fingerprint \(waiting.fingerprint)", .warning)
            return RouteFileResult.fingerprintMismatch
        }
        let wayline: WaylineRoute
        do {
            wayline = try WaylineRoute.read(kmz: bytes, dockHeight: identity.dock.altitudeMetres)
        } catch {
            out.note("flight \(flightID): route file unreadable: \(error.description)", .warning)
            return RouteFileResult.unparseable
        }
        if flight != nil { return 319001 }
        prepared[flightID] = PreparedFlight(wayline: wayline, parameters: parameters, now: now)
        powerOn(now: now, into: &out)
        out.messages.append(request("flighttask_resource_get", data: .obj(("flight_id", .string(flightID))), now: now))
        out.note("flight \(flightID): route file \(bytes.count) bytes, \(wayline.points.count) waypoints")
        return 0
    }

    /// Carries out a service and returns its `data.result`, or nil when the reply waits (a
    /// prepare whose route file is being downloaded).
    private mutating func service(_ method: String, data: JSONValue?, tid: String, bid: String, now: Double,
                                  into out: inout SimulationOutput) -> Int? {
        switch method {
        case "flighttask_prepare":
            guard let flightID = data?["flight_id"]?.stringValue, !flightID.isEmpty else { return 314001 }
            if flight != nil { return 319001 }
            if battery < parameters.minTakeoffBattery { return 316009 }
            if let url = data?.value(at: "file.url")?.stringValue, !url.isEmpty,
               let fingerprint = data?.value(at: "file.fingerprint")?.stringValue, !fingerprint.isEmpty {
                if awaitingRoute[flightID] != nil { return 314001 }
                awaitingRoute[flightID] = AwaitingRoute(tid: tid, bid: bid, fingerprint: fingerprint, url: url)
                out.fetches.append(WaylineFetch(flightID: flightID, url: url))
                out.note("flight \(flightID): downloading the route file \(url)")
                return nil
            }
            let route = PatrolRoute.custom(from: data) ?? PatrolRoute.lawnmower(around: identity.dock.location)
            prepared[flightID] = PreparedFlight(plain: route, parameters: parameters, now: now)
            powerOn(now: now, into: &out)
            out.messages.append(request("flighttask_resource_get", data: .obj(("flight_id", .string(flightID))), now: now))
            return 0
        case "flighttask_execute":
            guard let flightID = data?["flight_id"]?.stringValue, let plan = prepared[flightID] else { return 314013 }
            if flight != nil { return 319001 }
            if battery < parameters.minTakeoffBattery { return 316009 }
            prepared[flightID] = nil
            startFlight(flightID: flightID, bid: bid, plan: plan, now: now, into: &out)
            return 0
        case "flighttask_pause":
            guard var f = flight, f.phase == .wayline else { return 321258 }
            f.phase = .paused
            flight = f
            horizontalSpeed = 0
            emitEvent(progressEvent(f, status: "paused", now: now), now: now, into: &out)
            return 0
        case "flighttask_recovery":
            guard var f = flight, f.phase == .paused else { return 321260 }
            f.phase = .wayline
            flight = f
            return 0
        case "flighttask_undo":
            let ids = data?["flight_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
            for id in ids where prepared.removeValue(forKey: id) != nil {
                out.note("flight \(id) undone before it started")
            }
            return 0
        case "return_home":
            guard var f = flight else { return 314000 }
            switch f.phase {
            case .takeoff, .wayline, .paused, .hovering:
                if f.phase != .hovering { f.outcome = f.flownMetres > 0 ? "partially_done" : "canceled" }
                f.phase = .returning
                flight = f
            case .returning, .landing:
                break
            }
            return 0
        case "return_home_cancel":
            guard var f = flight, f.phase == .returning else { return 314000 }
            f.phase = .hovering
            flight = f
            horizontalSpeed = 0
            verticalSpeed = 0
            return 0
        default:
            return 314000
        }
    }

    // MARK: flights

    /// Starts a patrol without the cloud asking (`--fly-on-start`): prepared and executed at once.
    mutating func startPatrol(now: Double) -> SimulationOutput {
        var out = SimulationOutput()
        guard flight == nil else { return out }
        let flightID = uuid()
        powerOn(now: now, into: &out)
        let plan = PreparedFlight(plain: PatrolRoute.lawnmower(around: identity.dock.location), parameters: parameters, now: now)
        startFlight(flightID: flightID, bid: flightID, plan: plan, now: now, into: &out)
        out.note("patrol \(flightID) started without a cloud task")
        return out
    }

    private mutating func startFlight(flightID: String, bid: String, plan: PreparedFlight, now: Double, into out: inout SimulationOutput) {
        let route = plan.route
        let planned = PatrolRoute.length([identity.dock.location] + route.map(\.coordinate))
        flight = Flight(flightID: flightID, bid: bid, trackID: uuid(), plan: plan, phase: .takeoff,
                        plannedMetres: max(planned, 1), startedAt: now)
        inDock = false
        coverOpen = true
        jobNumber += 1
        position = identity.dock.location
        out.note("flight \(flightID) taking off, \(route.count) waypoints, \(Int(planned)) m")
    }

    private mutating func powerOn(now: Double, into out: inout SimulationOutput) {
        idleSince = now
        guard !aircraftPowered else { return }
        aircraftPowered = true
        out.messages.append(topologyMessage(now: now, awaitReply: true))
        out.messages += stateMessages(now: now)
    }

    /// Moves the aircraft, drains or charges the battery, and finishes flights.
    private mutating func advance(by dt: Double, now: Double, into out: inout SimulationOutput) {
        accumulatedSeconds += dt
        guard var f = flight else {
            horizontalSpeed = 0
            verticalSpeed = 0
            if battery < 100 {
                battery = min(100, battery + parameters.chargePercentPerMinute * dt / 60)
                idleSince = now
            }
            if aircraftPowered, prepared.isEmpty, now - idleSince >= parameters.powerOffAfterIdle {
                aircraftPowered = false
                out.messages.append(topologyMessage(now: now, awaitReply: true))
                out.note("aircraft powered off in the dock")
            }
            return
        }
        if f.phase != .landing || elevation > 0 {
            battery = max(0, battery - parameters.drainPercentPerMinute * dt / 60)
            totalFlightSeconds += dt
        }
        if battery <= parameters.lowBatteryReturn, [.wayline, .paused, .hovering].contains(f.phase) {
            f.outcome = "partially_done"
            f.phase = .returning
            out.note("battery \(Int(battery)) %: returning home", .warning)
        }
        var remaining = dt * parameters.flightSpeedUp
        while remaining > 1e-9, flight != nil {
            switch f.phase {
            case .takeoff:
                horizontalSpeed = 0
                verticalSpeed = parameters.climbSpeed
                let need = (f.plan.climbTo - elevation) / parameters.climbSpeed
                if need <= remaining {
                    elevation = f.plan.climbTo
                    remaining -= max(need, 0)
                    f.phase = .wayline
                } else {
                    elevation += parameters.climbSpeed * remaining
                    remaining = 0
                }
            case .wayline:
                guard f.nextWaypoint < f.route.count else {
                    f.phase = .returning
                    continue
                }
                // The leg into point i is flown at the speed of point i-1 (the transit speed
                // into the first), its height changing evenly toward point i's.
                let target = f.route[f.nextWaypoint]
                let leg = f.nextWaypoint > 0 ? f.route[f.nextWaypoint - 1] : nil
                let flownBefore = f.flownMetres
                let used = fly(toward: target.coordinate, height: target.height, speed: leg?.speed ?? f.plan.transitSpeed,
                               for: remaining, flown: &f.flownMetres)
                if f.plan.photosFromRoute, let every = leg?.photoEveryMetres {
                    f.sincePhoto += f.flownMetres - flownBefore
                    while f.sincePhoto >= every {
                        f.sincePhoto -= every
                        takePhoto(&f)
                    }
                }
                if used < remaining || (position == target.coordinate && elevation == target.height) {
                    f.nextWaypoint += 1
                    if f.plan.photosFromRoute {
                        if target.photoOnArrival || (target.photoEveryMetres != nil && leg?.photoEveryMetres == nil) { takePhoto(&f) }
                        if target.photoEveryMetres == nil { f.sincePhoto = 0 }
                    } else if f.nextWaypoint % 2 == 0 {
                        takePhoto(&f)
                    }
                }
                remaining -= used
            case .returning:
                var ignored = 0.0
                let used = fly(toward: identity.dock.location, height: elevation, speed: parameters.cruiseSpeed, for: remaining, flown: &ignored)
                if position == identity.dock.location { f.phase = .landing }
                remaining -= used
            case .landing:
                horizontalSpeed = 0
                verticalSpeed = -parameters.descentSpeed
                let need = elevation / parameters.descentSpeed
                if need <= remaining {
                    remaining -= need
                    elevation = 0
                    flight = f
                    land(now: now, into: &out)
                    return
                }
                elevation -= parameters.descentSpeed * remaining
                remaining = 0
            case .paused, .hovering:
                horizontalSpeed = 0
                verticalSpeed = 0
                remaining = 0
            }
        }
        flight = f
    }

    private mutating func takePhoto(_ f: inout Flight) {
        f.mediaCount += 1
        storageUsed += 12_000
    }

    /// Flies toward `target` at `speed` for at most `seconds`, the height changing evenly to
    /// `targetHeight` on the way (straight up or down at the climb or descent rate when the
    /// target is overhead); returns the seconds used (less when it arrives).
    private mutating func fly(toward target: Coordinate, height targetHeight: Double, speed: Double, for seconds: Double,
                              flown: inout Double) -> Double {
        let distance = Geodesy.distance(position, target)
        let rise = targetHeight - elevation
        if distance <= 0.01 {
            position = target
            horizontalSpeed = 0
            let rate = rise >= 0 ? parameters.climbSpeed : parameters.descentSpeed
            if abs(rise) <= rate * seconds {
                elevation = targetHeight
                verticalSpeed = 0
                return abs(rise) / rate
            }
            verticalSpeed = rise >= 0 ? rate : -rate
            elevation += verticalSpeed * seconds
            return seconds
        }
        let bearing = Geodesy.bearing(from: position, to: target)
        heading = bearing > 180 ? bearing - 360 : bearing
        horizontalSpeed = speed
        verticalSpeed = rise / distance * speed
        if distance <= speed * seconds {
            position = target
            elevation = targetHeight
            flown += distance
            totalDistance += distance
            return distance / speed
        }
        let step = speed * seconds
        position = Geodesy.destination(from: position, bearing: bearing, distance: step)
        elevation += rise * step / distance
        flown += step
        totalDistance += step
        return seconds
    }

    private mutating func land(now: Double, into out: inout SimulationOutput) {
        guard let f = flight else { return }
        inDock = true
        coverOpen = false
        horizontalSpeed = 0
        verticalSpeed = 0
        position = identity.dock.location
        totalSorties += 1
        batteryCycles += 1
        recoveringUntil = now + 30
        idleSince = now
        flight = nil
        flightsCompleted += 1
        emitEvent(progressEvent(f, status: f.outcome, now: now), now: now, into: &out)
        out.note("flight \(f.flightID) back in the dock: \(f.outcome), \(Int(now - f.startedAt)) s, battery \(Int(battery)) %")
    }

    // MARK: events

    /// Publishes an event that needs a reply and keeps it for resending until acknowledged.
    private mutating func emitEvent(_ message: OutgoingMessage, now: Double, into out: inout SimulationOutput) {
        out.messages.append(message)
        eventsSent += 1
        if message.payload["need_reply"]?.intValue == 1, let tid = message.payload["tid"]?.stringValue {
            unacknowledged[tid] = PendingEvent(message: message, resends: 0, nextAttempt: now + parameters.eventResendInterval)
        }
    }

    private mutating func resendEvents(now: Double, into out: inout SimulationOutput) {
        for tid in unacknowledged.keys.sorted() {
            guard var pending = unacknowledged[tid], pending.nextAttempt <= now else { continue }
            if pending.resends >= parameters.eventResends {
                unacknowledged[tid] = nil
                neverAcknowledged += 1
                out.note("event \(pending.message.method ?? "?") tid \(tid) never acknowledged after \(pending.resends) resends")
                continue
            }
            pending.resends += 1
            pending.nextAttempt = now + parameters.eventResendInterval
            unacknowledged[tid] = pending
            out.messages.append(pending.message)
        }
    }

    // MARK: HMS

    /// Clears alarms whose time is up; on a new OSD interval (`roll`), maybe raises one.
    private mutating func updateAlarms(now: Double, roll: Bool, into out: inout SimulationOutput) {
        var changed = false
        let before = alarms.count
        alarms.removeAll { $0.clearsAt <= now }
        if alarms.count != before { changed = true }
        if roll {
            // Always the same six draws, raised or not.
            let chance = Double.random(in: 0..<1, using: &world)
            let aircraftSide = Bool.random(using: &world)
            let pick = Double.random(in: 0..<1, using: &world)
            let level = Int.random(in: 0...2, using: &world)
            let imminent = Int.random(in: 0...1, using: &world)
            let lifetime = Double.random(in: 120...900, using: &world)
            let onAircraft = aircraftPowered && !identity.aircraftHMSCodes.isEmpty && aircraftSide
            let codes = onAircraft ? identity.aircraftHMSCodes : identity.dockHMSCodes
            if chance < parameters.hmsPerHour * parameters.osdInterval / 3600, !codes.isEmpty,
               case let code = codes[min(codes.count - 1, Int(pick * Double(codes.count)))],
               !alarms.contains(where: { $0.code == code }) {
                alarms.append(Alarm(code: code, deviceType: onAircraft ? identity.aircraftModelKey : identity.dockModelKey,
                                    onAircraft: onAircraft, level: level, imminent: imminent,
                                    inTheSky: onAircraft && airborne ? 1 : 0, clearsAt: now + lifetime))
                changed = true
                out.note("HMS alarm \(code) raised on the \(onAircraft ? "aircraft" : "dock")")
            }
        }
        if changed { emitEvent(hmsEvent(now: now), now: now, into: &out) }
    }

    /// Raises an alarm now (tests and demos).
    mutating func raiseAlarm(code: String, onAircraft: Bool, lasting seconds: Double, now: Double) -> SimulationOutput {
        var out = SimulationOutput()
        alarms.append(Alarm(code: code, deviceType: onAircraft ? identity.aircraftModelKey : identity.dockModelKey,
                            onAircraft: onAircraft, level: 2, imminent: 1, inTheSky: onAircraft && airborne ? 1 : 0,
                            clearsAt: now + seconds))
        emitEvent(hmsEvent(now: now), now: now, into: &out)
        return out
    }

    // MARK: helpers

    static func ms(_ seconds: Double) -> Int { Int((seconds * 1000).rounded()) }

    /// A version-4 UUID from the seeded generator, so that runs are reproducible.
    mutating func uuid() -> String {
        var b = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        let hex = b.map { String(format: "%02x", $0) }.joined()
        let c = Array(hex)
        return "\(String(c[0..<8]))-\(String(c[8..<12]))-\(String(c[12..<16]))-\(String(c[16..<20]))-\(String(c[20..<32]))"
    }
}
