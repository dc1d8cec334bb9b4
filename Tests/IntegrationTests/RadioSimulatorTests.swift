import Foundation
import MosquittoClient
import Testing
import TianyanModel
import TianyanSQLite
import TianyanTesting

/// The controller (`tianyan serve`) against the radio simulator (`radio-sim`) on a pty, both the
/// built executables: a page goes to read, an emergency press raises an alarm, an unplug in the
/// middle of calls is survived and leaves a consistent voice log.
@Suite("tianyan serve against radio-sim")
struct RadioSimulatorTests {
    static func radioSimExecutable() -> String {
        (tianyanExecutable() as NSString).deletingLastPathComponent + "/radio-sim"
    }

    /// The simulator's path, and a database in `dir` with the sample fleet and the dispatcher
    /// `disp` (password in `dir/pw`).
    static func prepare(_ dir: TemporaryDirectory) async throws -> (sim: String, database: String) {
        let sim = radioSimExecutable()
        try #require(FileManager.default.isExecutableFile(atPath: sim), "no radio-sim at \(sim); swift build builds it")
        let db = dir.file("db.sqlite")
        #expect(try await runTianyan(["fleet", "sample", dir.file("fleet")], in: dir.path).status == 0)
        #expect(try await runTianyan(["fleet", "import", dir.file("fleet"), "--database", db], in: dir.path).status == 0)
        try "dispatch-pass-42\n".write(toFile: dir.file("pw"), atomically: true, encoding: .utf8)
        #expect(try await runTianyan(["users", "add", "disp", "--role", "dispatcher", "--password-file", dir.file("pw"), "--database", db],
                                     in: dir.path).status == 0)
        return (sim, db)
    }

    @Test("page to read, emergency alarm, unplug mid-call survived with a consistent voice log", .timeLimit(.minutes(3)))
    func controllerAgainstTheSimulator() async throws {
        let dir = try TemporaryDirectory("tianyan-radiosim")
        defer { dir.remove() }
        let (sim, db) = try await Self.prepare(dir)
        let pty = dir.file("pei")
        let radio = try ChildProcess(sim, ["--pty", pty, "--seed", "3", "--radios", "40", "--rate", "10", "--call-interval", "0.5",
                                           "--emergency-rate", "0.3", "--send-delay", "0.2", "--report-delay", "0.3",
                                           "--read-delay", "0.3", "--late-fraction", "0", "--never-read-fraction", "0",
                                           "--fail-rate", "0", "--busy-rate", "0", "--status-every", "0"])
        defer { if radio.isRunning { radio.signal(SIGKILL) } }
        try await waitUntil("radio-sim ready; stderr: \(radio.stderr)", timeout: .seconds(20)) {
            radio.stdout.contains("radio-sim ready pty=")
        }
        let http = "127.0.0.1:\(try FreePort.loopback())"
        let serve = try startTianyan(["serve", "--database", db, "--gateway", "sim=serial://\(pty)?profile=generic-pei", "--http", http,
                                      "--mqtt", "mqtt://127.0.0.1:1", "--set", "profiles_dir=\(packageRoot())/firmware-profiles"],
                                     in: dir.path)
        defer { if serve.isRunning { serve.signal(SIGKILL) } }
        try await waitUntil("the gateway ready; stderr: \(serve.stderr.suffix(2000))", timeout: .seconds(30)) {
            serve.stderr.contains("radio gateway ready") || !serve.isRunning
        }
        try await waitUntil("the HTTP server", timeout: .seconds(30)) { serve.stderr.contains("listening on") || !serve.isRunning }

        // A page through the CLI, followed to read.
        let paged = try await runTianyan(["page", "CM-0001", "Report to the north gate", "--http", http, "--wait", "30",
                                          "--user", "disp", "--password-file", dir.file("pw")], in: dir.path)
        #expect(paged.status == 0, "stdout: \(paged.stdout) stderr: \(paged.stderr)")
        #expect(paged.stdout.contains(" read"), "\(paged.stdout)")

        let store = FleetStore(database: try TianyanDatabase(location: db))
        // An emergency (a status-0 press, an emergency LIP or a priority-15 call) becomes an alarm.
        try await waitUntil("an emergency alarm", timeout: .seconds(60)) {
            try await !store.alarms(kind: "emergency").isEmpty
        }
        // Calls with talkers are being logged; pull the cable while some are open.
        try await waitUntil("calls with talkers", timeout: .seconds(30)) {
            try await store.voiceLog(talkgroup: nil, since: nil, limit: 50).contains { !$0.transmissions.isEmpty }
        }
        try await waitUntil("a call in progress", timeout: .seconds(30)) {
            try await store.voiceLog(talkgroup: nil, since: nil, limit: 50).contains { $0.end == nil }
        }
        radio.signal(SIGUSR1)
        try await waitUntil("the controller to see the line lost", timeout: .seconds(20)) {
            serve.stderr.contains("radio gateway link lost")
        }
        try await waitUntil("the controller to initialise the line again", timeout: .seconds(30)) {
            serve.stderr.components(separatedBy: "radio gateway ready").count >= 3
        }

        serve.signal(SIGTERM)
        let stopped = try await serve.wait(timeout: .seconds(30))
        #expect(stopped.status == 0, "\(stopped.stderr.suffix(1500))")
        radio.signal(SIGTERM)
        _ = try? await radio.wait(timeout: .seconds(10))

        // Consistent log: every call and every talk spurt is closed (cut ones as "link lost" or
        // "controller stopped"), nothing ends before it starts.
        let calls = try await store.voiceLog(talkgroup: nil, since: nil, limit: 10_000)
        #expect(!calls.isEmpty)
        for call in calls {
            let end = try #require(call.end, "call \(call.id) left open")
            #expect(end >= call.start, "call \(call.id) ends before it starts")
            for t in call.transmissions {
                let tEnd = try #require(t.end, "talk spurt of \(t.talker) in \(call.id) left open")
                #expect(t.start >= call.start && tEnd <= end && tEnd >= t.start, "spurt outside its call \(call.id)")
            }
        }
        #expect(calls.contains { $0.cause == "link lost" }, "the unplug cut at least one call: \(Set(calls.compactMap(\.cause)))")
    }

    @Test("Hytera HRNP: presence, positions, a Chinese page to received, emergency, calls, unplug", .timeLimit(.minutes(3)))
    func controllerAgainstTheHyteraSimulator() async throws {
        let dir = try TemporaryDirectory("tianyan-hytera-sim")
        defer { dir.remove() }
        let (sim, db) = try await Self.prepare(dir)
        let pty = dir.file("hrnp")
        let radio = try ChildProcess(sim, ["--protocol", "hytera-hrnp", "--pty", pty, "--seed", "5", "--radios", "30", "--rate", "10",
                                           "--call-interval", "0.5", "--emergency-rate", "0.3", "--report-delay", "0.3", "--fail-rate", "0",
                                           "--status-every", "0"])
        defer { if radio.isRunning { radio.signal(SIGKILL) } }
        try await waitUntil("radio-sim ready; stderr: \(radio.stderr)", timeout: .seconds(20)) { radio.stdout.contains("radio-sim ready pty=") }
        let http = "127.0.0.1:\(try FreePort.loopback())"
        let serve = try startTianyan(["serve", "--database", db, "--gateway", "hy=serial://\(pty)?profile=hytera-hrnp", "--http", http,
                                      "--mqtt", "mqtt://127.0.0.1:1", "--set", "profiles_dir=\(packageRoot())/firmware-profiles"], in: dir.path)
        defer { if serve.isRunning { serve.signal(SIGKILL) } }
        try await waitUntil("the Hytera gateway ready; stderr: \(serve.stderr.suffix(2000))", timeout: .seconds(30)) {
            serve.stderr.contains("Hytera gateway ready") || !serve.isRunning
        }
        try await waitUntil("the HTTP server", timeout: .seconds(30)) { serve.stderr.contains("listening on") || !serve.isRunning }

        // The simulator's radios are the sample fleet's last officers: page the last one by alias.
        let registry = FleetSample.make()
        let target = try #require(registry.radios.last { $0.pilot == nil })
        let paged = try await runTianyan(["page", target.alias, "请到北门集合", "--http", http, "--wait", "30",
                                          "--user", "disp", "--password-file", dir.file("pw"), "--json"], in: dir.path)
        #expect(paged.status == 0, "stdout: \(paged.stdout) stderr: \(paged.stderr)")
        #expect(paged.stdout.contains("\"received\""), "\(paged.stdout)")

        let store = FleetStore(database: try TianyanDatabase(location: db))
        try await waitUntil("presence, positions and an emergency from the Hytera radios", timeout: .seconds(60)) {
            let presence = try await store.radioMessages(limit: 200).contains { $0.kind == .presence && $0.unit == target.issi }
            let moved = try await store.lastPositions().contains { $0.unit == target.issi && $0.source == .hdap }
            let alarm = try await !store.alarms(kind: "emergency").isEmpty
            return presence && moved && alarm
        }
        try await waitUntil("a finished repeater call", timeout: .seconds(30)) {
            try await store.voiceLog(talkgroup: nil, since: nil, limit: 50).contains { $0.end != nil && !$0.transmissions.isEmpty }
        }
        radio.signal(SIGUSR1)
        try await waitUntil("the controller to see the line lost", timeout: .seconds(20)) { serve.stderr.contains("Hytera gateway link lost") }
        try await waitUntil("the session back", timeout: .seconds(30)) {
            serve.stderr.components(separatedBy: "Hytera gateway ready").count >= 3
        }
        serve.signal(SIGTERM)
        let stopped = try await serve.wait(timeout: .seconds(30))
        #expect(stopped.status == 0, "\(stopped.stderr.suffix(1500))")
        radio.signal(SIGTERM)
        _ = try? await radio.wait(timeout: .seconds(10))
        for call in try await store.voiceLog(talkgroup: nil, since: nil, limit: 10_000) {
            #expect(call.end != nil, "call \(call.id) left open")
        }
    }
}
