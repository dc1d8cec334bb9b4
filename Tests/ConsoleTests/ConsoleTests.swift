import Foundation
import MosquittoClient
import Testing
import TianyanModel
import TianyanStore
import TianyanTesting

/// The web console in a real headless Chromium (chromedriver's WebDriver protocol), against the
/// real controller (`tianyan serve`) on a real mosquitto, with two radio gateways: the radio
/// simulator (traffic, positions, page reports) and a scripted radio the test drives (the
/// emergency press). Screenshots go to `.build/test-artefacts/console/`.
final class ConsoleRig: @unchecked Sendable {
    let dir: TemporaryDirectory
    let broker: LocalBroker
    let radioSim: ChildProcess
    let scripted: ScriptedRadio
    let serve: ChildProcess
    let http: String
    let database: String
    var url: String { "http://\(http)/" }
    static let password = "console-pass-42"

    init() async throws {
        dir = try TemporaryDirectory("tianyan-console")
        broker = try LocalBroker(options: .init(persistence: false))
        database = dir.file("db.sqlite")
        #expect(try await runTianyan(["fleet", "sample", dir.file("fleet")], in: dir.path).status == 0)
        #expect(try await runTianyan(["fleet", "import", dir.file("fleet"), "--database", database], in: dir.path).status == 0)
        try (Self.password + "\n").write(toFile: dir.file("pw"), atomically: true, encoding: .utf8)
        for role in ["dispatcher", "viewer", "lead"] {
            let added = try await runTianyan(["users", "add", role, "--role", role, "--password-file", dir.file("pw"), "--database", database], in: dir.path)
            #expect(added.status == 0, "\(added.stderr)")
        }
        let sim = (tianyanExecutable() as NSString).deletingLastPathComponent + "/radio-sim"
        let radioSim = try ChildProcess(sim, ["--tcp", "0", "--seed", "5", "--radios", "60", "--rate", "6", "--call-interval", "2",
                                          "--emergency-rate", "0", "--send-delay", "0.2", "--report-delay", "0.3", "--read-delay", "0.5",
                                          "--late-fraction", "0", "--never-read-fraction", "0", "--fail-rate", "0", "--busy-rate", "0",
                                          "--no-fix-fraction", "0", "--status-every", "0"])
        self.radioSim = radioSim
        try await waitUntil("radio-sim ready; stderr: \(radioSim.stderr)", timeout: .seconds(20)) { radioSim.stdout.contains("radio-sim ready tcp=") }
        let simAddress = try #require(radioSim.stdout.split(separator: "\n").first { $0.contains("ready tcp=") }?.split(separator: "=").last)
        let scripted = try ScriptedRadio(.tcp)
        scripted.autoDeliver = true
        self.scripted = scripted
        http = "127.0.0.1:\(try FreePort.loopback())"
        let serve = try startTianyan(["serve", "--database", database, "--mqtt", broker.url, "--http", http,
                                  "--gateway", "sim=tcp://\(simAddress)?profile=generic-pei", "--gateway", "desk=\(scripted.url)?profile=generic-pei",
                                  "--set", "profiles_dir=\(packageRoot())/firmware-profiles", "--set", "planner.auto=false"], in: dir.path)
        self.serve = serve
        try await waitUntil("both gateways ready; stderr: \(serve.stderr.suffix(2000))", timeout: .seconds(40)) {
            serve.stderr.components(separatedBy: "radio gateway ready").count >= 3 || !serve.isRunning
        }
        try await waitUntil("the HTTP server", timeout: .seconds(30)) { serve.stderr.contains("listening on") || !serve.isRunning }
        #expect(serve.isRunning, "tianyan serve exited: \(serve.stderr.suffix(3000))")
    }

    func close() {
        if serve.isRunning { serve.signal(SIGKILL) }
        if radioSim.isRunning { radioSim.signal(SIGKILL) }
        scripted.stop()
        broker.shutdown()
        dir.remove()
    }

    /// Runs `body` in a browser logged in as `user`; on failure saves the screenshot
    /// `failed-<artefact>`; always closes the browser.
    func inBrowser(as user: String, artefact: String, _ body: (WebDriver) async throws -> Void) async throws {
        let web = try await browser(as: user)
        do {
            try await body(web)
        } catch {
            _ = try? await web.saveScreenshot("failed-\(artefact)")
            await web.quit()
            throw error
        }
        await web.quit()
    }

    /// A browser logged in as `user`, with the console loaded and its live feed up.
    func browser(as user: String) async throws -> WebDriver {
        let web = try await WebDriver()
        do {
            try await web.navigate(url)
            try await web.type("#login-name", user)
            try await web.type("#login-password", Self.password)
            try await web.click("#login-submit")
            try await waitUntil("the console to load for \(user)", timeout: .seconds(30), poll: .milliseconds(50)) {
                try await web.execute("return document.body.dataset.ready === 'true'") as? Bool == true
            }
            do {
                try await waitUntil("the live feed to connect", timeout: .seconds(30), poll: .milliseconds(50)) {
                    try await web.execute("return window.tianyan.liveState.connected") as? Bool == true
                }
            } catch {
                let state = try? await web.execute("return JSON.stringify(window.tianyan.liveState)")
                throw TestFailure("\(error); the console's live state: \(state.map { "\($0)" } ?? "?")")
            }
        } catch {
            _ = try? await web.saveScreenshot("failed-login-\(user)")
            await web.quit()
            throw error
        }
        return web
    }
}

@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TIANYAN_IT"] != nil, "set TIANYAN_IT=1 (tools/test does)"),
       .enabled(if: WebDriver.available, "chromium and chromium-driver are not installed (tools/setup installs them)"),
       .timeLimit(.minutes(3)))
struct ConsoleTests {
    @Test("the console loads with no request leaving the machine, no CSP violation and no console error; live markers move")
    func loadsLocallyAndMarkersMove() async throws {
        let rig = try await ConsoleRig()
        defer { rig.close() }
        try await rig.inBrowser(as: "dispatcher", artefact: "map-live") { web in
            let urls = try await web.requestedURLs()
            #expect(urls.count >= 5, "the page, Leaflet, the scripts and the API: \(urls)")
            let outside = urls.filter { url in
                !(url.hasPrefix("http://\(rig.http)/") || url.hasPrefix("ws://\(rig.http)/") || url.hasPrefix("data:"))
            }
            #expect(outside.isEmpty, "requests that leave the controller: \(outside)")
            #expect(urls.contains { $0.hasPrefix("ws://\(rig.http)/api/v1/live") }, "the live feed: \(urls)")
            #expect(urls.contains { $0.hasSuffix("/vendor/leaflet/leaflet.esm.min.js") }, "Leaflet from the controller: \(urls)")
            let csp = try await web.execute("return window.tianyan.csp") as? [String] ?? ["?"]
            #expect(csp.isEmpty, "Content-Security-Policy violations: \(csp)")
            let severe = try await web.logs("browser").filter { ($0["level"] as? String) == "SEVERE" }.map { "\($0["message"] ?? "")" }
            #expect(severe.isEmpty, "errors in the browser console: \(severe)")
            let cells = try await web.execute("return document.querySelectorAll('.leaflet-overlay-pane path, .leaflet-overlay-pane canvas').length") as? Int ?? 0
            #expect(cells > 0, "the grid cells are drawn")

            // A radio's marker moves: its position in the console changes as LIP reports arrive.
            let script = """
                const moved = [];
                for (const u of window.tianyan.S.units.values()) {
                  if (u.kind !== 'radio' || !u.position) continue;
                  const key = u.id, p = u.position.lat.toFixed(6) + ',' + u.position.lon.toFixed(6);
                  window.__seen = window.__seen || {};
                  if (window.__seen[key] && window.__seen[key] !== p) moved.push(key);
                  window.__seen[key] = p;
                }
                return moved.length;
                """
            try await waitUntil("a radio marker to move on the live feed", timeout: .seconds(45), poll: .milliseconds(500)) {
                (try await web.execute(script) as? Int ?? 0) > 0
            }
            let drawn = try await web.execute("return window.tianyan.frameStats.drawn") as? Int ?? 0
            #expect(drawn > 1, "the unit canvas was redrawn as units moved")

            // The bar shows the controller's own health: ok now, and the broker once it is gone.
            let chip = "return document.getElementById('health').textContent"
            try await waitUntil("the health chip to say ok", timeout: .seconds(30), poll: .milliseconds(500)) {
                (try await web.execute(chip) as? String) == "system ok"
            }
            rig.broker.stop()
            try await waitUntil("the health chip to name the broker", timeout: .seconds(30), poll: .milliseconds(500)) {
                (try await web.execute(chip) as? String ?? "").contains("broker")
            }
            try await web.saveScreenshot("map-live")
        }
    }

    @Test("a page sent from the console reaches the simulated radio and shows read")
    func pageFromTheConsoleShowsRead() async throws {
        let rig = try await ConsoleRig()
        defer { rig.close() }
        try await rig.inBrowser(as: "dispatcher", artefact: "page-read") { web in
            try await web.click("#tabs button[data-tab=pages]")
            try await web.type("#page-to", "2100001")
            try await web.type("#page-text", "Console test: report to gate 3")
            try await web.click("#page-send")
            try await web.waitFor("#page-list tr[data-page]", timeout: .seconds(10))
            try await web.waitFor("#page-list .page-state.read", timeout: .seconds(40))
            let text = try await web.execute("return document.querySelector('#page-list tr[data-page]').textContent") as? String ?? ""
            #expect(text.contains("Console test: report to gate 3") && text.contains("read"), "\(text)")
            try await web.saveScreenshot("page-read")
            // The controller's record agrees: the radio took it (sent), got it (received) and read it.
            let store = FleetStore(database: try TianyanDatabase(location: rig.database))
            let page = try #require(try await store.pages(destination: "2100001", limit: 5).first { $0.text == "Console test: report to gate 3" })
            #expect(page.requestedBy == "dispatcher")
            #expect(page.history.map(\.state).contains("sent") && page.state == "read", "\(page.history.map(\.state))")
        }
    }

    @Test("an emergency press pops up within 1 s with sound and is acknowledged from the console (audited)")
    func emergencyAlarmWithinOneSecond() async throws {
        let rig = try await ConsoleRig()
        defer { rig.close() }
        try await rig.inBrowser(as: "dispatcher", artefact: "emergency") { web in
            let pressed = Date().timeIntervalSince1970 * 1000
            rig.scripted.send(["+CTSDSR: 13,2100003,0,2000999,0,16", "0000"])
            try await web.waitFor(".popup[data-alarm^='emergency-2100003']", timeout: .seconds(5))
            let shown = try await web.execute("""
                const id = Object.keys(window.tianyanAlarms.shownAt).find((k) => k.startsWith('emergency-2100003'));
                return window.tianyanAlarms.shownAt[id];
                """) as? Double ?? .infinity
            let elapsed = shown - pressed
            #expect(elapsed <= 1000, "the alarm popped up \(Int(elapsed)) ms after the press (target 1 s)")
            #expect(try await web.execute("return window.tianyanAlarms.sounded") as? Int ?? 0 >= 1, "the alarm sounded")
            try await web.saveScreenshot("emergency-popup")
            try await web.click(".popup[data-alarm^='emergency-2100003'] button.ack")
            try await web.type("#dialog-form textarea[name=note]", "called back, false alarm")
            try await web.click("#dialog-ok")
            let api = APIClient(address: rig.http)
            try await api.login("dispatcher", password: ConsoleRig.password)
            try await waitUntil("the alarm acknowledged in the controller", timeout: .seconds(10)) {
                let list = try await api.request("GET", "/api/v1/alarms?kind=emergency").json["alarms"] as? [[String: Any]] ?? []
                return list.contains { ($0["acknowledged_by"] as? String) == "dispatcher" && ($0["note"] as? String) == "called back, false alarm" }
            }
            try await waitUntil("the popup gone", timeout: .seconds(5)) {
                try await web.find(".popup[data-alarm^='emergency-2100003']") == nil
            }
            let store = FleetStore(database: try TianyanDatabase(location: rig.database))
            try await waitUntil("the acknowledgement audited", timeout: .seconds(10)) {
                try await store.audit(limit: 100).contains { $0.actor == "dispatcher" && $0.action.contains("ack") }
            }
            print("console emergency: popup \(Int(elapsed)) ms after the press")
        }
    }

    @Test("a viewer cannot launch a sortie: the buttons are disabled and the API refuses with 403")
    func viewerCannotLaunchASortie() async throws {
        let rig = try await ConsoleRig()
        defer { rig.close() }
        try await rig.inBrowser(as: "viewer", artefact: "viewer") { web in
            try await web.click("#tabs button[data-tab=sorties]")
            for button in ["#replan", "#urgent-fly", "#urgent-pick"] {
                try await web.waitFor(button)
                #expect(try await web.execute("return document.querySelector(arguments[0]).disabled", [button]) as? Bool == true, "\(button) is disabled for a viewer")
            }
            // Even past the disabled button, the controller refuses.
            let answer = try await web.executeAsync("""
                const done = arguments[arguments.length - 1];
                fetch('/api/v1/sorties', {method: 'POST', headers: {'Content-Type': 'application/json', Authorization: 'Bearer ' + window.tianyan.S.token},
                  body: JSON.stringify({cells: ['CA-001']})}).then(async (r) => done([r.status, await r.text()]), (e) => done([0, String(e)]));
                """) as? [Any] ?? []
            #expect(answer.first as? Int == 403, "\(answer)")
            #expect((answer.last as? String ?? "").contains("lead"), "the refusal names the role needed: \(answer)")
            try await web.saveScreenshot("viewer-sorties")
        }
    }

    @Test("a task made at a map point is dispatched to a suggested unit from the console; the page reads and the radio's status moves the task, meeting the contact SLA")
    func taskFromTheMapDispatchedAndMoved() async throws {
        let rig = try await ConsoleRig()
        defer { rig.close() }
        try await rig.inBrowser(as: "dispatcher", artefact: "task") { web in
            // Radios need a recent position to be suggested: wait for some from the simulator.
            try await waitUntil("radios with positions", timeout: .seconds(45), poll: .milliseconds(500)) {
                (try await web.execute("return [...window.tianyan.S.units.values()].filter((u) => u.kind === 'radio' && u.position && u.online).length") as? Int ?? 0) >= 3
            }
            // A quiet spot just south-west of the sample's cells, so the click lands on the map and not on a unit.
            try await web.execute("window.tianyan.S.map.setView([22.69, 113.68], 16, {animate: false})")
            try await web.click("#tabs button[data-tab=tasks]")
            try await web.click("#task-new-point")
            try await web.click("#map")
            try await web.type("#dialog-form input[name=title]", "Smoke reported behind the depot")
            try await web.click("#dialog-ok")
            try await web.waitFor("#task-details #task-suggest", timeout: .seconds(10))
            try await web.click("#task-suggest")
            try await web.waitFor("#suggestion-list tr[data-unit]", timeout: .seconds(10))
            let unit = try #require(try await web.execute("return document.querySelector('#suggestion-list tr[data-unit]').dataset.unit") as? String)
            let row = try await web.execute("return document.querySelector('#suggestion-list tr[data-unit]').textContent") as? String ?? ""
            #expect(row.contains(" km") && row.contains("min"), "distance and arrival shown: \(row)")
            let km = row.range(of: #"[0-9]+\.[0-9]+ km"#, options: .regularExpression).flatMap { Double(row[$0].dropLast(3)) } ?? .infinity
            #expect(km < 30, "the nearest radio is in the city, a few km away: \(row)")
            try await web.click("#task-dispatch")
            try await web.waitFor("#task-details .state.read", timeout: .seconds(40))
            try await web.saveScreenshot("task-dispatched")
            // The radio answers with status 3, "call accepted, en route" (generic-pei 0x8005).
            rig.scripted.send(["+CTSDSR: 13,\(unit),0,2000999,0,16", "8005"])
            try await web.waitFor("#task-list .task-state.en_route", timeout: .seconds(15))
            try await waitUntil("the contact SLA shown as met", timeout: .seconds(5)) {
                (try await web.execute("return document.getElementById('task-timers').textContent") as? String ?? "").contains("contact met")
            }
            try await web.saveScreenshot("task-en-route")
            let api = APIClient(address: rig.http)
            try await api.login("dispatcher", password: ConsoleRig.password)
            let tasks = try await api.request("GET", "/api/v1/tasks").json["tasks"] as? [[String: Any]] ?? []
            let task = try #require(tasks.first { ($0["title"] as? String) == "Smoke reported behind the depot" })
            #expect(task["state"] as? String == "en_route" && task["created_by"] as? String == "dispatcher")
            #expect(((task["sla"] as? [String: Any])?["contact"] as? [String: Any])?["state"] as? String == "met")
        }
    }

}
