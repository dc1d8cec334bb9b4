import DockLink
import Foundation
import Logging
import Synchronization
import Testing
import TianyanApp
import TianyanDJI
import TianyanModel
import TianyanTesting

/// The dock port's conformance cases on the DJI adapter, with a stand-in dock answering its
/// commands (the adapter builds real WPML route files and the commands' JSON; no broker). The
/// same cases run on the fake in TianyanDispatchTests; SortieFlightTests flies the adapter
/// against dock-sim through mosquitto.
@Suite("DJI dock adapter conforms to the dock port")
struct DJIDockFleetConformanceTests {
    @Test("the dock port's conformance cases on the DJI adapter", arguments: DockFleetConformance.names)
    func conformance(_ name: String) async throws {
        let registry = FleetSample.make()
        let store = InMemoryStore(registry: registry)
        let profiles = try DockProfiles.load(directory: packageRoot() + "/firmware-profiles")
        let sent = Captured()
        let stand = DockService.CommandPath(isUp: { true }) { serial, method, data, by, bid in
            sent.add(method.rawValue, data)
            let record = CommandRecord(id: UUID().uuidString.lowercased(), unit: serial, method: method.rawValue, data: nil, requestedBy: by,
                                       requestedAt: .now(), outcome: .succeeded, resultCode: 0, completedAt: .now())
            return DockCommandResult(record: record, attempts: 1)
        }
        let docks = try DockService(settings: .init(broker: "mqtt://127.0.0.1:1"), profiles: profiles, registry: registry, openAlarms: [],
                                    sink: store, logger: Logger(label: "test.dji"), commandPath: stand)
        let dock = try #require(registry.docks.first)
        let drone = try #require(registry.drones.first { $0.dock == dock.serial })
        let route = SortieRoute(points: [RoutePoint(latitude: 22.8, longitude: 113.8, altitudeMetres: 100, kind: .laneStart),
                                         RoutePoint(latitude: 22.801, longitude: 113.8, altitudeMetres: 100, kind: .laneEnd)],
                                surveySpeedMetresPerSecond: 8, transitSpeedMetresPerSecond: 12, photoTriggerDistanceMetres: 30,
                                distanceMetres: 111, durationSeconds: 14)
        try await DockFleetConformance.run(name, fleet: docks, context: .init(dock: dock.serial, dockModel: dock.model, drone: drone.serial,
                                                                               droneModel: drone.model, route: route))
    }

    @Test("the DJI adapter's route file is a KMZ whose MD5 is its fingerprint, and each action is the Cloud API service with its data")
    func djiShapes() async throws {
        let registry = FleetSample.make()
        let profiles = try DockProfiles.load(directory: packageRoot() + "/firmware-profiles")
        let sent = Captured()
        let stand = DockService.CommandPath(isUp: { true }) { serial, method, data, by, bid in
            sent.add(method.rawValue, data)
            let record = CommandRecord(id: UUID().uuidString.lowercased(), unit: serial, method: method.rawValue, data: nil, requestedBy: by,
                                       requestedAt: .now(), outcome: .succeeded, resultCode: 0, completedAt: .now())
            return DockCommandResult(record: record, attempts: 1)
        }
        let docks = try DockService(settings: .init(broker: "mqtt://127.0.0.1:1"), profiles: profiles, registry: registry, openAlarms: [],
                                    sink: InMemoryStore(registry: registry), logger: Logger(label: "test.dji"), commandPath: stand)
        let dock = try #require(registry.docks.first)
        let drone = try #require(registry.drones.first { $0.dock == dock.serial })
        let route = SortieRoute(points: [RoutePoint(latitude: 22.8, longitude: 113.8, altitudeMetres: 90, kind: .laneStart),
                                         RoutePoint(latitude: 22.801, longitude: 113.8, altitudeMetres: 90, kind: .laneEnd)],
                                surveySpeedMetresPerSecond: 8, transitSpeedMetresPerSecond: 12, photoTriggerDistanceMetres: 30,
                                distanceMetres: 111, durationSeconds: 14)
        let start = Timestamp(milliseconds: 1_800_000_000_000)
        let prepared = try await docks.prepareFlight(FlightPreparation(flightID: "S-1", dock: dock.serial, drone: drone.serial,
                                                                       droneModel: drone.model, start: start, route: route,
                                                                       routeBaseURL: "http://10.0.0.5:8080/files/routes/"))
        let bytes = try #require(docks.routeFile(named: prepared.fingerprint + ".kmz"))
        #expect(Array(bytes.prefix(2)) == Array("PK".utf8), "a KMZ (zip)")
        #expect(MD5.hex(bytes) == prepared.fingerprint, "the fingerprint is the file's MD5")
        let prepare = try #require(sent.all.first)
        #expect(prepare.method == "flighttask_prepare")
        #expect(prepare.data["flight_id"]?.string == "S-1" && prepare.data["execute_time"]?.number == Double(start.milliseconds))
        #expect(prepare.data["file"]?["url"]?.string == "http://10.0.0.5:8080/files/routes/\(prepared.fingerprint).kmz")
        #expect(prepare.data["file"]?["fingerprint"]?.string == prepared.fingerprint)
        #expect(prepare.data["rth_altitude"]?.number == 110)

        let expected: [(DockAction, String)] = [(.launch, "flighttask_execute"), (.pauseFlight, "flighttask_pause"),
                                                (.resumeFlight, "flighttask_recovery"), (.withdraw, "flighttask_undo"),
                                                (.returnHome, "return_home"), (.cancelReturnHome, "return_home_cancel")]
        for (action, method) in expected { _ = await docks.command(action, serial: dock.serial, flightID: "S-1", requestedBy: "lead") }
        let methods = sent.all.dropFirst().map(\.method)
        #expect(methods == expected.map(\.1))
        #expect(sent.all[1].data["flight_id"]?.string == "S-1", "execute names the flight")
        #expect(sent.all[4].data["flight_ids"]?.array?.first?.string == "S-1", "undo lists the flight")
    }

    final class Captured: Sendable {
        private let list = Mutex<[(method: String, data: JSONValue)]>([])
        func add(_ method: String, _ data: JSONValue) { list.withLock { $0.append((method, data)) } }
        var all: [(method: String, data: JSONValue)] { list.withLock { $0 } }
    }
}
