import Foundation
import Logging
import MosquittoClient
import Synchronization
import Testing
import TianyanModel
import TianyanTesting
@testable import dock_sim

/// Everything a broker subscriber on `#` received.
final class Capture: Sendable {
    private let box = Mutex<[MQTTMessage]>([])
    init(_ client: MosquittoClient) {
        Task { for await m in client.messages { box.withLock { $0.append(m) } } }
    }
    var messages: [MQTTMessage] { box.withLock { $0 } }
    func json(on topic: String) -> [JSONValue] {
        messages.filter { $0.topic == topic }.compactMap { try? JSONValue.parse($0.payload) }
    }
}

@Suite(.serialized, .timeLimit(.minutes(2)))
struct DockConnectionTests {
    @Test func aDockAnnouncesItselfPublishesOSDAndProgressAndAnswersServices() async throws {
        let broker = try LocalBroker()
        defer { broker.shutdown() }
        let url = try BrokerURL(parsing: broker.url)
        let identity = try DockCatalog(profiles: []).identities(fleet: FleetSample.make(), count: 1)[0]
        var parameters = SimulationParameters()
        parameters.osdInterval = 0.5
        parameters.hmsPerHour = 0
        let dock = SimulatedDock(identity: identity, parameters: parameters, seed: 3, now: Date().timeIntervalSince1970)
        let connection = DockConnection(dock: dock, broker: url, counters: SimulationCounters(), flyOnStart: true,
                                        logger: Logger(label: "test"))

        let watcher = try MosquittoClient(configuration: .init(broker: url, clientID: "watcher", cleanSession: true,
                                                               subscriptions: [.init("#")]))
        let capture = Capture(watcher)
        let watcherTask = Task { try await watcher.run() }
        defer { watcherTask.cancel() }
        try await waitUntil("the watcher to connect") { watcher.status.connected }
        try await Task.sleep(for: .milliseconds(300))

        let run = Task { await connection.run() }
        defer { run.cancel() }
        let sn = identity.dock.serial
        try await waitUntil("update_topo, state, config and OSD") {
            !capture.json(on: "sys/product/\(sn)/status").isEmpty
                && !capture.json(on: "thing/product/\(sn)/state").isEmpty
                && !capture.json(on: "thing/product/\(sn)/requests").isEmpty
                && capture.json(on: "thing/product/\(sn)/osd").count >= 6
                && !capture.json(on: "thing/product/\(identity.aircraftSerial)/osd").isEmpty
                && !capture.json(on: "thing/product/\(sn)/events").isEmpty
        }
        #expect(connection.isConnected)
        let topo = try #require(capture.json(on: "sys/product/\(sn)/status").first)
        #expect(topo["method"]?.stringValue == "update_topo")
        #expect(topo.value(at: "data.sub_devices")?.arrayValue?.first?["sn"]?.stringValue == identity.aircraftSerial)
        let progress = try #require(capture.json(on: "thing/product/\(sn)/events").first)
        #expect(progress["method"]?.stringValue == "flighttask_progress" && progress["need_reply"]?.intValue == 1)

        // A service goes out on the dock's services topic and comes back on services_reply.
        try await watcher.publish("thing/product/\(sn)/services", payload: JSONValue.obj(
            ("tid", "tid-x"), ("bid", "bid-x"), ("timestamp", 1), ("method", "flighttask_execute"),
            ("data", .obj(("flight_id", "unknown")))).bytes)
        try await waitUntil("the services_reply", timeout: .seconds(10)) {
            capture.json(on: "thing/product/\(sn)/services_reply").contains { $0["tid"]?.stringValue == "tid-x" }
        }
        let reply = try #require(capture.json(on: "thing/product/\(sn)/services_reply").first { $0["tid"]?.stringValue == "tid-x" })
        #expect(reply["bid"]?.stringValue == "bid-x" && reply["method"]?.stringValue == "flighttask_execute")
        #expect(reply.value(at: "data.result")?.intValue == 314013)

        // The status_reply that the controller would send is taken.
        try await watcher.publish("sys/product/\(sn)/status_reply", payload: JSONValue.obj(
            ("tid", topo["tid"]!), ("bid", topo["bid"]!), ("timestamp", 1), ("method", "update_topo"),
            ("data", .obj(("result", 0)))).bytes)
    }
}
