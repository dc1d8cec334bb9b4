import RecordWriter
import Foundation
import Logging
import RadioLink
import SerialPorts
import ServiceLifecycle
import Synchronization
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanSQLite
import TianyanTesting

// Shared with Tests/FaultTests through a symlink (the gateway fault scenarios).

/// A gateway service on a real byte stream (a pty through termios, or a TCP socket) to a
/// scripted radio, writing through the real StoreWriter into a SQLite file.
final class GatewayRig: @unchecked Sendable {
    // Invariant: set up once in init; `task` is cancelled once by close().
    let dir: TemporaryDirectory
    let radio: ScriptedRadio
    let database: TianyanDatabase
    let store: FleetStore
    let writer: StoreWriter
    let service: RadioGatewayService
    let network: RadioNetwork
    let group: ServiceGroup
    let records = Captured()
    private var task: Task<Void, any Error>?

    init(_ transport: (TemporaryDirectory) -> ScriptedRadio.Transport, keepAlive: Double = 10) async throws {
        dir = try TemporaryDirectory("tianyan-radio")
        radio = try ScriptedRadio(transport(dir))
        database = try TianyanDatabase(location: dir.file("db.sqlite"))
        store = FleetStore(database: database)
        let registry = FleetSample.make()
        try await store.replaceRegistry(registry)
        var logger = Logger(label: "test.radio")
        logger.logLevel = .warning
        writer = StoreWriter(database: database, configuration: .init(batchSize: 1000, maxDelay: .milliseconds(5)), logger: logger)
        var engine = PEIEngine.Configuration(gateway: "g1")
        engine.keepAliveInterval = keepAlive
        engine.commandTimeout = 1.5
        let captured = records
        service = RadioGatewayService(
            settings: .init(name: "g1", url: try GatewayURL(parsing: radio.url), engine: engine,
                            statuses: [0x8004: RadioStatusMeaning(value: 0x8004, meaning: .onScene, label: "On scene")],
                            backoff: .init(initial: .milliseconds(100), maximum: .milliseconds(400))),
            sink: writer, directory: RadioDirectory(registry: registry), logger: logger,
            observer: { batch in captured.add(batch) })
        network = RadioNetwork(gateways: [service], directory: RadioDirectory(registry: registry), sink: writer)
        group = ServiceGroup(services: [writer, service], logger: logger)
        let g = group
        task = Task { try await g.run() }
    }

    func waitReady(_ what: String = "the gateway to initialise") async throws {
        try await waitUntil(what, timeout: .seconds(20)) { self.service.status.ready }
    }

    /// Records handed to the writer so far.
    var seen: [StoreRecord] { records.all }

    func waitForRecord(_ what: String, _ match: @escaping (StoreRecord) -> Bool) async throws {
        try await waitUntil(what, timeout: .seconds(20)) { self.seen.contains(where: match) }
    }

    func close() async {
        await group.triggerGracefulShutdown()
        _ = try? await task?.value
        radio.stop()
        dir.remove()
    }
}

/// Records a test saw go to the writer.
final class Captured: Sendable {
    private let list = Mutex<[StoreRecord]>([])
    func add(_ batch: [StoreRecord]) { list.withLock { $0 += batch } }
    var all: [StoreRecord] { list.withLock { $0 } }
}
