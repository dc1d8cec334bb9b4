import RecordWriter
import DockLink
import Foundation
import Logging
import MosquittoClient
import ServiceLifecycle
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanSQLite
import TianyanTesting

/// Scenario 5 of issue 7, the MQTT door: malformed payloads and odd topics through a real
/// mosquitto into the controller's dock service, interleaved with valid aircraft OSD. Every bad
/// message is refused and counted by reason; every valid one is stored once.
@Suite("Bad input over MQTT", .serialized, .timeLimit(.minutes(3)),
       .enabled(if: ProcessInfo.processInfo.environment["TIANYAN_IT"] != nil, "set TIANYAN_IT=1 (tools/test does)"))
struct BadInputMQTTTests {
    @Test("garbage interleaved with valid OSD: refusals counted by reason, nothing valid lost or stored twice")
    func interleaved() async throws {
        let dir = try TemporaryDirectory("tianyan-bad-mqtt")
        defer { dir.remove() }
        let broker = try LocalBroker()
        defer { broker.shutdown() }
        var config = TianyanConfiguration()
        config.database = dir.file("db.sqlite")
        config.profilesDirectory = packageRoot() + "/firmware-profiles"
        config.mqtt = broker.url
        var logger = Logger(label: "test.bad-mqtt")
        logger.logLevel = .critical
        let controller = Controller(configuration: config, logger: logger)
        let database = try controller.openDatabase()
        let store = FleetStore(database: database)
        let registry = FleetSample.make()
        try await store.replaceRegistry(registry)
        let writer = StoreWriter(database: database, configuration: .init(batchSize: 1_000, maxDelay: .milliseconds(5)), logger: logger)
        let docks = try DockService(configuration: config, profiles: try controller.loadDockProfiles(), registry: registry,
                                    openAlarms: [], sink: writer, logger: logger)
        let group = ServiceGroup(services: [writer, docks], logger: logger)
        let running = Task { try await group.run() }
        defer { running.cancel() }
        try await waitUntil("the dock service to connect", timeout: .seconds(20)) { docks.statistics.mqtt.connected }

        let device = try MosquittoClient(configuration: .init(broker: try BrokerURL(parsing: broker.url), clientID: "fuzz-device", cleanSession: true))
        let deviceTask = Task { try await device.run() }
        defer { deviceTask.cancel() }
        try await waitUntil("the device to connect", timeout: .seconds(20)) { device.status.connected }

        let pairs = registry.drones.filter { $0.dock != nil }.prefix(5).map { ($0.serial, $0.dock!) }
        let sn = pairs[0].0
        let bad: [(topic: String, payload: [UInt8], reason: String)] = [
            ("thing/product/\(sn)/osd", Array("not json".utf8), "not_json"),
            ("thing/product/\(sn)/osd", Array(#"{"data":[1,2,3]}"#.utf8), "wrong_type"),
            ("thing/product/\(sn)/osd", Array(#"{"tid":"no data"}"#.utf8), "missing_field"),
            ("thing/product/\(sn)/osd", [0xFF, 0xFE, 0x00, 0x7B], "not_json"),
            ("thing/product/\(sn)/osd", Array(repeating: UInt8(ascii: "["), count: 50_000), "not_json"),
            ("thing/product/\(sn)/osd", Array(repeating: UInt8(ascii: "x"), count: (1 << 20) + 1), "oversized"),
            ("thing/product/bad$sn/osd", Array("{}".utf8), "bad_topic"),
            ("thing/product/\(String(repeating: "S", count: 300))/osd", Array("{}".utf8), "bad_topic"),
            ("sys/product/../status", Array("{}".utf8), "bad_topic"),
        ]
        let rounds = FaultScale.count(40)
        let base = Int64(Date().timeIntervalSince1970 * 1000) - 3_600_000
        var sent: [(String, Int64)] = []
        var expectedRejections: [String: UInt64] = [:]
        for i in 0..<rounds {
            for (j, b) in bad.enumerated() where (i + j) % 3 == 0 {
                try await device.publish(b.topic, payload: b.payload, qos: .atLeastOnce, timeout: .seconds(10))
                expectedRejections[b.reason, default: 0] += 1
            }
            let (drone, dock) = pairs[i % pairs.count]
            let t = base + Int64(i) * 1000
            let osd = #"{"tid":"t\#(t)","bid":"b","timestamp":\#(t),"gateway":"\#(dock)","data":{"latitude":\#(22.8 + Double(i) * 1e-5),"longitude":113.8,"height":110.5,"attitude_head":12.5,"horizontal_speed":11.2,"mode_code":5}}"#
            try await device.publish("thing/product/\(drone)/osd", payload: Array(osd.utf8), qos: .atLeastOnce, timeout: .seconds(10))
            sent.append((drone, t))
        }
        let total = UInt64(sent.count) + expectedRejections.values.reduce(0, +)
        try await waitUntil("every message to be ingested", timeout: .seconds(30)) { docks.statistics.ingest.messages >= total }
        try await writer.flush()
        var stored = 0
        var distinct = 0
        for (drone, _) in pairs {
            let times = try await store.track(unit: drone, from: Timestamp(milliseconds: base), to: Timestamp(milliseconds: base + Int64(rounds) * 1000))
                .map(\.time.milliseconds)
            stored += times.count
            distinct += Set(times).count
        }
        let score = FaultScore(scenario: "bad-input/mqtt", sent: sent.count, stored: stored, duplicated: stored - distinct, recoveredSeconds: 0).report()
        #expect(score.lost == 0 && score.duplicated == 0, "\(score)")
        let stats = docks.statistics.ingest
        #expect(stats.messages == total, "every message counted once: \(stats.messages) of \(total)")
        for (reason, n) in expectedRejections {
            #expect(stats.rejected[reason] == n, "\(reason): \(stats.rejected[reason] ?? 0) counted, \(n) sent; \(stats.rejected)")
        }
    }
}
