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
        let docks = try DockService(settings: .init(broker: "mqtt://127.0.0.1:1"), profiles: profiles, registry: registry, openAlarms: [],
                                    sink: store, logger: Logger(label: "test.dji"), commandPath: Self.standIn(sent))
        try await DockFleetConformance.run(name, fleet: docks, context: try .sample(registry))
    }

    @Test("the DJI adapter's route file is a KMZ whose MD5 is its fingerprint, and each action is the Cloud API service with its data")
    func djiShapes() async throws {
        let registry = FleetSample.make()
        let profiles = try DockProfiles.load(directory: packageRoot() + "/firmware-profiles")
        let sent = Captured()
        let docks = try DockService(settings: .init(broker: "mqtt://127.0.0.1:1"), profiles: profiles, registry: registry, openAlarms: [],
                                    sink: InMemoryStore(registry: registry), logger: Logger(label: "test.dji"), commandPath: Self.standIn(sent))
        let c = try DockFleetConformance.Context.sample(registry)
        let dock = c.dock
        let start = Timestamp(milliseconds: 1_800_000_000_000)
        let prepared = try await docks.prepareFlight(FlightPreparation(flightID: "S-1", dock: dock, drone: c.drone, droneModel: c.droneModel,
                                                                       start: start, route: c.route,
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
        for (action, _) in expected { _ = await docks.command(action, serial: dock, flightID: "S-1", requestedBy: "lead") }
        let methods = sent.all.dropFirst().map(\.method)
        #expect(methods == expected.map(\.1))
        #expect(sent.all[1].data["flight_id"]?.string == "S-1", "execute names the flight")
        #expect(sent.all[4].data["flight_ids"]?.array?.first?.string == "S-1", "undo lists the flight")
    }

    /// A dock that accepts every command, keeping each method and its data.
    static func standIn(_ sent: Captured) -> DockService.CommandPath {
        DockService.CommandPath(isUp: { true }) { serial, method, data, by, _ in
            sent.add(method.rawValue, data)
            let record = CommandRecord(id: UUID().uuidString.lowercased(), unit: serial, method: method.rawValue, data: nil, requestedBy: by,
                                       requestedAt: .now(), outcome: .succeeded, resultCode: 0, completedAt: .now())
            return DockCommandResult(record: record, attempts: 1)
        }
    }

    final class Captured: Sendable {
        private let list = Mutex<[(method: String, data: JSONValue)]>([])
        func add(_ method: String, _ data: JSONValue) { list.withLock { $0.append((method, data)) } }
        var all: [(method: String, data: JSONValue)] { list.withLock { $0 } }
    }
}
