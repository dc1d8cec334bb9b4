import DockLink
import Foundation
import Logging
import MosquittoClient
import Synchronization
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanSQLite
import TianyanTesting

/// The short versions of the fault scenarios of issue 7: the `faults` executable (the same code
/// as `tools/faults`) drives the real `tianyan serve`, mosquitto and radio-sim, and scores the
/// run from the SQLite file: every message the broker acknowledged to the load generator must be
/// stored once.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TIANYAN_IT"] != nil, "set TIANYAN_IT=1 (tools/test does)"),
       .timeLimit(.minutes(5)))
struct CrashTests {
    struct Outcome {
        var status: Int32
        var sent = 0, stored = 0, lost = 0, duplicated = 0
        var recovered = Double.nan
        var output: String
    }

    static var binaries: String { (tianyanExecutable() as NSString).deletingLastPathComponent }

    /// Runs `faults SCENARIO ARGS` to completion and reads its result line.
    func scenario(_ name: String, _ arguments: [String], timeout: Duration = .seconds(240)) async throws -> Outcome {
        let faults = Self.binaries + "/faults"
        try #require(FileManager.default.isExecutableFile(atPath: faults), "no faults executable at \(faults); swift build builds it")
        let dir = try TemporaryDirectory("tianyan-crash")
        defer { dir.remove() }
        let p = try ChildProcess(faults, [name] + arguments + [
            "--tianyan", tianyanExecutable(), "--radio-sim", Self.binaries + "/radio-sim",
            "--profiles", packageRoot() + "/firmware-profiles", "--dir", dir.path, "--small", "1",
        ])
        let r = try await p.wait(timeout: timeout)
        var o = Outcome(status: r.status, output: "stdout:\n\(r.stdout)\nstderr:\n\(r.stderr.suffix(4000))")
        let prefix = "\(name): sent "
        guard let line = r.stdout.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return o }
        // "NAME: sent N, stored N, lost N, duplicated N, recovered in T s"
        let numbers = line.dropFirst(name.count + 1).split(whereSeparator: { !$0.isNumber && $0 != "." }).compactMap { Double($0) }
        guard numbers.count == 5 else { return o }
        (o.sent, o.stored, o.lost, o.duplicated) = (Int(numbers[0]), Int(numbers[1]), Int(numbers[2]), Int(numbers[3]))
        o.recovered = numbers[4]
        return o
    }

    @Test func killingTheControllerThreeTimesUnderLoadLosesAndDuplicatesNothing() async throws {
        let o = try await scenario("kill9", ["--cycles", "3", "--rate", "1000", "--min-gap", "1", "--max-gap", "2",
                                             "--radios", "100", "--radio-rate", "2", "--seed", "7"])
        #expect(o.status == 0, "\(o.output)")
        #expect(o.sent >= 2000, "too little load to mean anything: \(o.output)")
        #expect(o.lost == 0 && o.stored == o.sent, "\(o.output)")
        #expect(o.duplicated == 0, "\(o.output)")
        #expect(o.recovered <= 5, "\(o.output)")
    }

    @Test func aBrokerRestartAndAnOutageLoseNothingAndACommandFailsClearly() async throws {
        let o = try await scenario("broker", ["--rate", "300", "--down-seconds", "8"])
        #expect(o.status == 0, "\(o.output)")
        #expect(o.sent >= 2000, "\(o.output)")
        #expect(o.lost == 0 && o.stored == o.sent, "\(o.output)")
        #expect(o.duplicated == 0, "\(o.output)")
        #expect(o.recovered <= 5, "\(o.output)")
        #expect(o.output.contains("not reachable within 10 s") && o.output.contains("Connection refused"),
                "the CLI command during the outage: \(o.output)")
    }

    /// The controller's own dock link (what the scheduler commands through): a command asked for
    /// while the broker is down fails at once with a clear reason, and it is not sent later when
    /// the broker comes back (a dock acting on a command reported as failed is worse than either).
    @Test func aDockCommandWhileTheBrokerIsDownFailsClearlyAndIsNeverSentLater() async throws {
        let broker = try LocalBroker(options: .init(persistence: true))
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory("tianyan-crash-cmd")
        defer { dir.remove() }
        var configuration = TianyanConfiguration()
        configuration.mqtt = broker.url
        configuration.database = dir.file("db.sqlite")
        let database = try TianyanDatabase(location: configuration.database)
        let writer = StoreWriter(database: database)
        let writing = Task { try await writer.run() }
        defer { writing.cancel() }
        let registry = FleetSample.make()
        let dock = try #require(registry.docks.first)
        var logger = Logger(label: "crash-test")
        logger.logLevel = .warning
        let docks = try DockService(configuration: configuration, profiles: try DockProfiles.load(directory: packageRoot() + "/firmware-profiles"),
                                    registry: registry, openAlarms: [], sink: writer, logger: logger)
        let running = Task { try await docks.run() }
        defer { running.cancel() }
        // A dock's own session, persistent: the broker keeps what is published for it while it is away.
        let seen = Inbox()
        let device = try MosquittoClient(configuration: .init(
            broker: try BrokerURL(parsing: broker.url), clientID: "crash-dock-\(getpid())", cleanSession: false,
            subscriptions: [.init("thing/product/\(dock.serial)/services")], reconnectDelayMinSeconds: 1, reconnectDelayMaxSeconds: 1))
        let deviceRun = Task { try await device.run() }
        defer { deviceRun.cancel() }
        Task { for await m in device.messages { seen.items.withLock { $0.append(String(decoding: m.payload, as: UTF8.self)) } } }
        try await waitUntil("the dock link and the dock connected", timeout: .seconds(20)) { docks.client.status.ready && device.status.ready }

        broker.stop()
        try await waitUntil("the dock link to see the broker gone", timeout: .seconds(20)) { !docks.client.status.connected }
        let asked = ContinuousClock.now
        let result = try await docks.command(serial: dock.serial, method: .returnHome, data: .object([:]), requestedBy: "crash-test")
        let took = ContinuousClock.now - asked
        #expect(result.record.outcome == .failed, "\(result.record)")
        #expect(result.record.resultText?.contains("not connected to the broker") == true, "\(result.record.resultText ?? "-")")
        #expect(took < .seconds(5), "failed after \(took), not at once")
        let stored = try await FleetStore(database: database).commands(unit: dock.serial)
        #expect(stored.first?.outcome == .failed, "the command log says what happened: \(stored)")

        try broker.start()
        try await waitUntil("both back on the broker", timeout: .seconds(30)) { docks.client.status.ready && device.status.ready }
        // Absence can only be checked over a window: libmosquitto resends queued messages right
        // after the CONNACK, well inside it.
        try await Task.sleep(for: .seconds(3))
        let late = seen.items.withLock { $0 }
        #expect(late.isEmpty, "a command reported as failed reached the dock later: \(late)")
    }
}

final class Inbox: Sendable {
    let items = Mutex<[String]>([])
}
