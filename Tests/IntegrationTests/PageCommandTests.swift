import Foundation
import MosquittoClient
import Testing
import TianyanModel
import TianyanSQLite
import TianyanTesting

@Suite("tianyan serve --gateway and tianyan page, as a dispatcher uses them")
struct PageCommandTests {
    @Test("page a radio and a talkgroup through the running controller; a bad identity is refused", .timeLimit(.minutes(2)))
    func pageThroughTheController() async throws {
        let dir = try TemporaryDirectory("tianyan-page")
        defer { dir.remove() }
        let radio = try ScriptedRadio(.tcp)
        defer { radio.stop() }
        radio.autoDeliver = true
        let db = dir.file("db.sqlite")
        #expect(try await runTianyan(["fleet", "sample", dir.file("fleet")], in: dir.path).status == 0)
        #expect(try await runTianyan(["fleet", "import", dir.file("fleet"), "--database", db], in: dir.path).status == 0)
        try "dispatch-pass-42\n".write(toFile: dir.file("pw"), atomically: true, encoding: .utf8)
        let added = try await runTianyan(["users", "add", "disp7", "--role", "dispatcher", "--password-file", dir.file("pw"), "--database", db],
                                         in: dir.path)
        #expect(added.status == 0, "\(added.stderr)")
        try "viewer-pass-42\n".write(toFile: dir.file("vpw"), atomically: true, encoding: .utf8)
        #expect(try await runTianyan(["users", "add", "watcher", "--role", "viewer", "--password-file", dir.file("vpw"), "--database", db],
                                     in: dir.path).status == 0)
        let login = ["--user", "disp7", "--password-file", dir.file("pw")]
        let http = "127.0.0.1:\(try FreePort.loopback())"
        let serve = try startTianyan(["serve", "--database", db, "--gateway", "control1=\(radio.url)", "--http", http,
                                      "--mqtt", "mqtt://127.0.0.1:1", "--set", "profiles_dir=\(packageRoot())/firmware-profiles"],
                                     in: dir.path)
        defer { if serve.isRunning { serve.signal(SIGKILL) } }
        try await waitUntil("the gateway to be ready", timeout: .seconds(30)) {
            serve.stderr.contains("radio gateway ready") || !serve.isRunning
        }
        try await waitUntil("the HTTP server", timeout: .seconds(30)) {
            serve.stderr.contains("listening on") || !serve.isRunning
        }
        #expect(serve.isRunning, "serve exited: \(serve.stderr)")

        let paged = try await runTianyan(["page", "CM-0001", "Report to the north gate", "--http", http, "--wait", "20"] + login,
                                         in: dir.path)
        #expect(paged.status == 0, "stdout: \(paged.stdout) stderr: \(paged.stderr)")
        for state in ["queued", "accepted", "sent", "received", "read"] {
            #expect(paged.stdout.contains(state), "\(state) missing from: \(paged.stdout)")
        }
        #expect(paged.stdout.contains("to 2100001 via control1"))

        let group = try await runTianyan(["page", "9003", "All units: stand by", "--http", http, "--wait", "20"] + login, in: dir.path)
        #expect(group.status == 0, "stdout: \(group.stdout) stderr: \(group.stderr)")
        #expect(group.stdout.contains("sent"))

        let callout = try await runTianyan(["page", "CM-0002", "--status", "0x8005", "--http", http, "--wait", "20"] + login, in: dir.path)
        #expect(callout.status == 0, "stdout: \(callout.stdout) stderr: \(callout.stderr)")
        #expect(callout.stdout.contains("sent"))
        #expect(radio.submissions.contains { $0.destination == "2100002" && $0.hex == "8005" })
        let emergency = try await runTianyan(["page", "CM-0002", "--status", "0", "--http", http] + login, in: dir.path)
        #expect(emergency.status == 1 && emergency.stderr.contains("emergency"), "\(emergency.stderr)")
        let neither = try await runTianyan(["page", "CM-0002", "--http", http] + login, in: dir.path)
        #expect(neither.status != 0 && neither.stderr.contains("--status"), "\(neither.stderr)")

        let bad = try await runTianyan(["page", "2100001;ATH", "hello", "--http", http] + login, in: dir.path)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("to:") && bad.stderr.contains("not a radio ISSI"), "\(bad.stderr)")
        #expect(!bad.stderr.contains("Fatal error"))

        let nobody = try await runTianyan(["page", "2100001", "hello", "--http", "127.0.0.1:1"] + login, in: dir.path)
        #expect(nobody.status == 1)
        #expect(nobody.stderr.contains("cannot reach the controller"), "\(nobody.stderr)")

        // A viewer may not page; a wrong password is refused.
        let viewer = try await runTianyan(["page", "2100001", "hello", "--http", http, "--user", "watcher", "--password-file", dir.file("vpw")],
                                          in: dir.path)
        #expect(viewer.status == 1 && viewer.stderr.contains("dispatcher role"), "\(viewer.stderr)")
        let wrong = try await runTianyan(["page", "2100001", "hello", "--http", http, "--user", "disp7", "--password-file", dir.file("vpw")],
                                         in: dir.path)
        #expect(wrong.status == 1 && wrong.stderr.contains("wrong name or password"), "\(wrong.stderr)")

        // Everything written is on the wire exactly once per page.
        #expect(radio.submissions.filter { $0.destination == "2100001" }.count == 1)
        #expect(radio.submissions.filter { $0.destination == "9003" }.count == 1)

        radio.send(RadioGatewayTests.callTranscript)
        let store = FleetStore(database: try TianyanDatabase(location: db))
        try await waitUntil("the call to be stored", timeout: .seconds(10)) {
            try await store.voiceLog(talkgroup: "9001", since: nil, limit: 1).first?.end != nil
        }
        serve.signal(SIGTERM)
        let stopped = try await serve.wait(timeout: .seconds(30))
        #expect(stopped.status == 0, "\(stopped.stderr)")
        let log = try await runTianyan(["voice-log", "--json", "--database", db], in: dir.path)
        #expect(log.status == 0)
        let calls = try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [[String: Any]] ?? []
        let talkers = (calls.first?["transmissions"] as? [[String: Any]] ?? []).compactMap { $0["talker"] as? String }
        #expect(talkers == ["2100001", "2100002"], "voice-log --json: \(log.stdout)")
    }
}
