import Foundation
import Synchronization
import TianyanSQLite
import MosquittoClient
import TianyanModel
import TianyanTesting

/// Options shared by every scenario, from the command line (`--name value`).
struct Options {
    var values: [String: String] = [:]

    init(_ arguments: ArraySlice<String>) throws {
        var i = arguments.startIndex
        while i < arguments.endIndex {
            let key = arguments[i]
            guard key.hasPrefix("--"), i + 1 < arguments.endIndex else { throw Failure("expected --option value, got \(key)") }
            values[String(key.dropFirst(2))] = arguments[i + 1]
            i += 2
        }
    }

    func string(_ name: String, _ fallback: String) -> String { values[name] ?? fallback }
    func double(_ name: String, _ fallback: Double) throws -> Double {
        guard let text = values[name] else { return fallback }
        guard let v = Double(text), v >= 0 else { throw Failure("--\(name) must be a number >= 0, got \(text)") }
        return v
    }
    func int(_ name: String, _ fallback: Int) throws -> Int { Int(try double(name, Double(fallback))) }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Progress on stderr; stdout carries only the result lines.
func note(_ text: String) {
    FileHandle.standardError.write(Data(("faults: " + text + "\n").utf8))
}

func emit(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// A fault rig: a private mosquitto (persistent sessions on disk), the sample fleet imported into a
/// fresh SQLite file, the real `tianyan serve` process (started, killed and restarted at will), and
/// optionally the radio simulator on a TCP gateway.
final class Rig: @unchecked Sendable {
    // Invariant: the mutable fields are touched only by the scenario's own task.
    let dir: String
    let broker: LocalBroker
    /// A SQLite file, or a postgres:// URL (`--database postgres`: a durable cluster of the rig's own).
    let database: String
    /// The PostgreSQL cluster the controller writes to, with `--database postgres`.
    let cluster: PostgresCluster?
    /// The controller's MQTT journal (its release mark says what is committed).
    var journal: String { dir + "/tianyan.journal" }
    let tianyan: String
    let profiles: String
    let http: String
    /// What the controller connects to: the broker, or a proxy in front of it.
    var controllerBroker: String
    var serve: SpawnedProcess?
    var serveRuns = 0
    var radio: SpawnedProcess?
    var gateway: String?
    var extraSettings: [String] = []

    init(options: Options, label: String) throws {
        let root = options.string("dir", NSTemporaryDirectory() + "tianyan-faults")
        dir = root + "/\(label)-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let binDir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
        tianyan = options.string("tianyan", binDir + "/tianyan")
        profiles = options.string("profiles", "firmware-profiles")
        guard FileManager.default.isExecutableFile(atPath: tianyan) else { throw Failure("no tianyan executable at \(tianyan) (--tianyan PATH)") }
        // Room for a minute of queued traffic at several thousand messages/s, nothing dropped at
        // the broker: a drop there would be counted as a loss of the controller.
        broker = try LocalBroker(options: .init(maxQueuedMessages: 2_000_000, persistence: true,
                                                extraConfiguration: "max_queued_bytes 0\nmessage_size_limit 0"))
        switch options.string("database", "sqlite") {
        case "sqlite":
            cluster = nil
            database = dir + "/tianyan.sqlite"
        case "postgres":
            let c = try PostgresCluster.makePrivate(durable: true)
            cluster = c
            database = try c.database("faults")
        case let other:
            throw Failure("--database \(other): expected sqlite or postgres")
        }
        http = "127.0.0.1:\(try FreePort.loopback())"
        controllerBroker = broker.url
        Rig.open.withLock { $0.append(self) }
        try run(tianyan, ["fleet", "sample", dir + "/fleet"])
        try run(tianyan, ["fleet", "import", dir + "/fleet", "--database", database])
    }

    /// Rigs not yet shut down, for `stopAllOnSignal`.
    private static let open = Mutex<[Rig]>([])

    /// On SIGINT or SIGTERM: stop every rig's processes (the controller, the simulators, the
    /// broker; their files are kept) and exit, so that stopping `faults` leaves nothing running.
    static func stopAllOnSignal() -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let rigs = open.withLock { rigs in defer { rigs.removeAll() }; return rigs }
                for rig in rigs { rig.shutdown(keep: true) }
                note("stopped by signal \(number); rigs kept in \(rigs.map(\.dir).joined(separator: ", "))")
                exit(128 + number)
            }
            source.resume()
            return source
        }
    }

    /// Runs a command to completion (at most `timeout` seconds); throws on a non-zero exit.
    @discardableResult
    func run(_ path: String, _ arguments: [String], timeout: Double = 120) throws -> (status: Int32, output: String, seconds: Double) {
        let log = dir + "/cmd-\(UUID().uuidString.prefix(6)).log"
        let start = ContinuousClock.now
        let p = try SpawnedProcess(path, arguments, logFile: log)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let r = waitpid(p.pid, &status, WNOHANG)
            if r == p.pid { break }
            if Date() > deadline {
                kill(p.pid, SIGKILL)
                waitpid(p.pid, &status, 0)
                throw Failure("\(path) \(arguments.joined(separator: " ")) did not finish within \(timeout) s")
            }
            usleep(10_000)
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, output, (ContinuousClock.now - start).seconds)
    }

    /// `run` on a thread of its own, so that the cooperative pool (the load) is not held up.
    func runDetached(_ path: String, _ arguments: [String], timeout: Double = 120) async throws -> (status: Int32, output: String, seconds: Double) {
        try await withCheckedThrowingContinuation { c in
            Thread.detachNewThread { c.resume(with: Result { try self.run(path, arguments, timeout: timeout) }) }
        }
    }

    func checked(_ path: String, _ arguments: [String]) throws {
        let r = try run(path, arguments)
        guard r.status == 0 else { throw Failure("\(path) \(arguments.joined(separator: " ")) failed (\(r.status)): \(r.output)") }
    }

    /// The radio simulator on a TCP gateway with `radios` radios talking at `rate`.
    func startRadio(radioSim: String, radios: Int, rate: Double) throws {
        let out = dir + "/radio-sim.log"
        let p = try SpawnedProcess(radioSim, ["--tcp", "0", "--radios", "\(radios)", "--rate", "\(rate)", "--status-every", "60"], logFile: out)
        radio = p
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: out, encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.hasPrefix("radio-sim ready tcp=") }) {
                gateway = String(line.dropFirst("radio-sim ready tcp=".count))
                return
            }
            guard p.isRunning else { break }
            usleep(20_000)
        }
        throw Failure("radio-sim did not become ready: \((try? String(contentsOfFile: out, encoding: .utf8)) ?? "")")
    }

    var serveLog: String { dir + "/serve-\(serveRuns).log" }

    func startServe() throws {
        serveRuns += 1
        var args = ["serve", "--mqtt", controllerBroker, "--database", database, "--http", http,
                    "--set", "profiles_dir=\(profiles)", "--set", "planner.auto=false", "--set", "dock.journal_dir=\(journal)"]
        if let gateway { args += ["--gateway", "sim=tcp://\(gateway)?profile=generic-pei"] }
        for s in extraSettings { args += ["--set", s] }
        serve = try SpawnedProcess(tianyan, args, logFile: serveLog)
    }

    func kill9() {
        serve?.kill9()
        serve = nil
    }

    func stopServe() {
        serve?.stop()
        serve = nil
    }

    func shutdown(keep: Bool) {
        Rig.open.withLock { $0.removeAll { $0 === self } }
        stopServe()
        radio?.stop()
        broker.shutdown()
        if !keep { try? FileManager.default.removeItem(atPath: dir) }
    }

    /// The journal's release mark: every message up to it is committed to the store.
    func released() -> UInt64 {
        guard let data = FileManager.default.contents(atPath: journal + "/released"), data.count == 8 else { return 0 }
        return data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    }

    /// How many times the current controller process logged a broker connection.
    func connections() -> Int {
        guard let text = try? String(contentsOfFile: serveLog, encoding: .utf8) else { return 0 }
        return text.components(separatedBy: "connected to broker").count - 1
    }

    func serveLogText() -> String { (try? String(contentsOfFile: serveLog, encoding: .utf8)) ?? "" }

    /// Waits until the controller is connected (`connections` lines in its log) and has committed
    /// something beyond `mark`: it is consuming again. Returns the time taken from `since`.
    func waitUntilConsuming(connections wanted: Int, beyond mark: UInt64, since: ContinuousClock.Instant, timeout: Duration = .seconds(120)) async throws -> Double {
        let deadline = since + timeout
        while ContinuousClock.now < deadline {
            if connections() >= wanted, released() > mark { return (ContinuousClock.now - since).seconds }
            if let s = serve, !s.isRunning { throw Failure("tianyan serve exited; log: \(serveLogText().suffix(2000))") }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw Failure("the controller was not consuming again within \(timeout); log: \(serveLogText().suffix(2000))")
    }

    /// Waits for the controller's first connection to the broker (its persistent session exists
    /// from then on, so the broker queues for it).
    func waitUntilConnected(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while connections() < 1 {
            guard ContinuousClock.now < deadline else { throw Failure("the controller did not connect; log: \(serveLogText().suffix(2000))") }
            if let s = serve, !s.isRunning { throw Failure("tianyan serve exited; log: \(serveLogText().suffix(2000))") }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    // MARK: process figures

    func rssKiB() -> Int {
        guard let pid = serve?.pid, let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        return 0
    }

    func openFiles() -> Int {
        guard let pid = serve?.pid else { return 0 }
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).count
    }

    // MARK: the store, read as a skeptic would

    /// Rows the load's OSD messages became: (unit, time) pairs in the load's time range.
    func storedPositions(from: Int64, to: Int64) throws -> [(unit: String, time: Int64)] {
        guard let cluster else { return try SQLiteInspection(path: database).positions(from: from, to: to, source: "osd") }
        let text = try cluster.psql(databaseName, """
            SELECT unit || '|' || floor(extract(epoch FROM time) * 1000)::bigint FROM positions
            WHERE time >= timestamptz 'epoch' + \(from) * interval '1 millisecond'
              AND time < timestamptz 'epoch' + \(to) * interval '1 millisecond' AND source = 'osd'
            """)
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: "|")
            guard parts.count == 2, let t = Int64(parts[1]) else { return nil }
            return (String(parts[0]), t)
        }
    }

    func count(_ sql: String) -> Int {
        guard let cluster else { return SQLiteInspection(path: database).count(sql) }
        return (try? cluster.psql(databaseName, sql)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? -1
    }

    /// The PostgreSQL database's name (from its URL).
    var databaseName: String { String(database.split(separator: "/").last?.split(separator: "?").first ?? "") }
}
