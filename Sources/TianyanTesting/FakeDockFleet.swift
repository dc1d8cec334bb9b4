import Foundation
import Synchronization
import TianyanModel

/// Docks without a broker: the link up or down, each action answered as scripted (succeeded by
/// default, `refuse` makes the dock reject it), every call kept for the test to read, route files
/// kept in memory under a fingerprint of their bytes. Every command is recorded through the sink,
/// as the real adapter does.
public final class FakeDockFleet: DockFleet, Sendable {
    public struct Sent: Sendable, Hashable {
        public var action: String
        public var serial: String
        public var flightID: String?
        public var requestedBy: String
    }

    private struct State {
        var up = true
        var refused: Set<String> = []
        var refusedFlights: Set<String> = []
        var sent: [Sent] = []
        var files: [String: [UInt8]] = [:]
        var flights: [String: String] = [:]
        var forgotten: [String] = []
    }

    private let state = Mutex(State())
    private let sink: any RecordSink
    private let capabilities: @Sendable (String) -> DockProfile.Capabilities?

    /// `capabilities`: what each dock model flies (the planner needs it); none by default.
    public init(sink: any RecordSink, capabilities: @escaping @Sendable (String) -> DockProfile.Capabilities? = { _ in nil }) {
        self.sink = sink
        self.capabilities = capabilities
    }

    public func setUp(_ up: Bool) { state.withLock { $0.up = up } }
    /// The docks reject this action from now on (`prepare` for flight preparation).
    public func refuse(_ action: String) { state.withLock { _ = $0.refused.insert(action) } }
    /// The docks reject preparing these flights.
    public func refusePreparing(_ flights: Set<String>) { state.withLock { $0.refusedFlights.formUnion(flights) } }
    /// What reached a dock (sent while the link was up), in order.
    public var sent: [Sent] { state.withLock { $0.sent } }
    /// Flights whose route file was dropped, in order.
    public var forgotten: [String] { state.withLock { $0.forgotten } }
    /// The route file name kept for a flight.
    public func routeFileName(forFlight id: String) -> String? { state.withLock { $0.flights[id] } }

    public var isUp: Bool { state.withLock { $0.up } }

    public func capabilities(forModel model: String) -> DockProfile.Capabilities? { capabilities(model) }

    public func prepareFlight(_ flight: FlightPreparation) async throws(DispatchError) -> PreparedFlight {
        let (bytes, fingerprint) = try serve(flight)
        let outcome = answer("prepare", serial: flight.dock, flightID: flight.flightID, requestedBy: flight.requestedBy)
        return PreparedFlight(outcome: outcome, routeBytes: bytes.count, fingerprint: fingerprint)
    }

    public func restoreFlight(_ flight: FlightPreparation) throws(DispatchError) { _ = try serve(flight) }

    private func serve(_ flight: FlightPreparation) throws(DispatchError) -> ([UInt8], String) {
        guard !flight.route.points.isEmpty else { throw .invalid("sortie \(flight.flightID) has no waypoints") }
        let bytes = Array("route \(flight.flightID) \(flight.route.points.count) points \(flight.start.milliseconds)".utf8)
        let fingerprint = Self.fingerprint(bytes)
        state.withLock {
            $0.files[fingerprint + ".kmz"] = bytes
            $0.flights[flight.flightID] = fingerprint + ".kmz"
        }
        return (bytes, fingerprint)
    }

    public func command(_ action: DockAction, serial: String, flightID: String?, requestedBy: String) async -> DockCommandOutcome {
        answer(action.rawValue, serial: serial, flightID: flightID, requestedBy: requestedBy)
    }

    private func answer(_ action: String, serial: String, flightID: String?, requestedBy: String) -> DockCommandOutcome {
        let (up, refused) = state.withLock { s -> (Bool, Bool) in
            if s.up { s.sent.append(Sent(action: action, serial: serial, flightID: flightID, requestedBy: requestedBy)) }
            return (s.up, s.refused.contains(action) || (action == "prepare" && s.refusedFlights.contains(flightID ?? "")))
        }
        let now = Timestamp.now()
        let outcome: CommandOutcome = !up ? .failed : (refused ? .rejected : .succeeded)
        let record = CommandRecord(id: UUID().uuidString.lowercased(), unit: serial, method: action, data: nil, requestedBy: requestedBy,
                                   requestedAt: now, outcome: outcome, resultCode: up ? (refused ? 314_003 : 0) : nil,
                                   resultText: up ? nil : "not connected to the broker; not sent", completedAt: now)
        sink.submit([.command(record)])
        return DockCommandOutcome(record: record, attempts: up ? 1 : 0)
    }

    public func forgetFlight(_ flightID: String) {
        state.withLock { s in
            s.forgotten.append(flightID)
            guard let name = s.flights.removeValue(forKey: flightID) else { return }
            if !s.flights.values.contains(name) { s.files.removeValue(forKey: name) }
        }
    }

    public func routeFile(named name: String) -> [UInt8]? { state.withLock { $0.files[name] } }

    public var health: ComponentHealth {
        let up = isUp
        return ComponentHealth(problems: up ? [] : ["broker"],
                               fields: ["broker": .object(["connected": .bool(up), "url": .string("fake://docks")])])
    }

    public var metrics: [Metric] {
        [Metric(name: "tianyan_mqtt_connected", help: "1 while the controller is connected to the broker", kind: .gauge, value: isUp ? 1 : 0)]
    }

    public var summary: String { "docks: fake fleet" }

    /// 32 lower-case hex digits from the bytes (FNV-1a, twice): a stand-in for the real MD5.
    static func fingerprint(_ bytes: [UInt8]) -> String {
        var a: UInt64 = 0xcbf2_9ce4_8422_2325, b: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in bytes {
            a = (a ^ UInt64(byte)) &* 0x100_0000_01b3
            b = (b ^ UInt64(byte ^ 0x5a)) &* 0x100_0000_01b3
        }
        return String(format: "%016llx%016llx", a, b)
    }
}

extension FakeDockFleet {
    /// The sample fleet's dock models with the capabilities their profiles give
    /// (firmware-profiles/docks/dji-dock2.yaml and dji-dock3.yaml), for planning on the fake.
    public static let sampleCapabilities: @Sendable (String) -> DockProfile.Capabilities? = { model in
        let camera = DockProfile.Camera(name: "wide camera (4/3 CMOS, 24 mm equivalent)", sensorWidthMillimetres: 17.3,
                                        sensorHeightMillimetres: 13.0, focalLengthMillimetres: 12.29, imageWidthPixels: 5280,
                                        imageHeightPixels: 3956, minPhotoIntervalSeconds: 0.7)
        switch model {
        case "DJI Dock 2":
            return DockProfile.Capabilities(enduranceMinutes: 50, reservePercent: 20, cruiseSpeedMetresPerSecond: 12, climbSpeedMetresPerSecond: 6,
                                            maxAltitudeMetres: 120, rangeKilometres: 10, maxWindMetresPerSecond: 8, maxRainfall: 0,
                                            minTakeoffBatteryPercent: 50, chargeMinutes: 32, camera: camera)
        case "DJI Dock 3":
            return DockProfile.Capabilities(enduranceMinutes: 54, reservePercent: 20, cruiseSpeedMetresPerSecond: 12, climbSpeedMetresPerSecond: 6,
                                            maxAltitudeMetres: 120, rangeKilometres: 10, maxWindMetresPerSecond: 12, maxRainfall: 0,
                                            minTakeoffBatteryPercent: 50, chargeMinutes: 32, camera: camera)
        default:
            return nil
        }
    }
}
