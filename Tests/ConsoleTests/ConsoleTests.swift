import Foundation
import MosquittoClient
import Testing
import TianyanModel
import TianyanSQLite
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

    /// The sample fleet, changed by `editFleet` (given the fleet directory) before the import;
    /// `settings` (`key=value`) are given to `serve` with `--set`.
    init(settings: [String] = [], editFleet: (String) throws -> Void = { _ in }) async throws {
        dir = try TemporaryDirectory("tianyan-console")
        broker = try LocalBroker(options: .init(persistence: false))
        database = dir.file("db.sqlite")
        #expect(try await runTianyan(["fleet", "sample", dir.file("fleet")], in: dir.path).status == 0)
        try editFleet(dir.file("fleet"))
        let imported = try await runTianyan(["fleet", "import", dir.file("fleet"), "--database", database], in: dir.path)
        #expect(imported.status == 0, "\(imported.stderr)")
        try (Self.password + "\n").write(toFile: dir.file("pw"), atomically: true, encoding: .utf8)
        for role in ["dispatcher", "viewer", "lead", "maintenance", "admin"] {
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
                                  "--set", "profiles_dir=\(packageRoot())/firmware-profiles", "--set", "planner.auto=false"]
                                  + settings.flatMap { ["--set", $0] }, in: dir.path)
        self.serve = serve
        try await waitUntil("both gateways ready; stderr: \(serve.stderr.suffix(2000))", timeout: .seconds(40)) {
            serve.stderr.components(separatedBy: "radio gateway ready").count >= 3 || !serve.isRunning
        }
        try await waitUntil("the HTTP server", timeout: .seconds(30)) { serve.stderr.contains("listening on") || !serve.isRunning }
        #expect(serve.isRunning, "tianyan serve exited: \(serve.stderr.suffix(3000))")
    }

    /// Replaces every `text` in `file` with `replacement`; fails when `text` is not there.
    static func replace(_ text: String, with replacement: String, in file: String) throws {
        let contents = try String(contentsOfFile: file, encoding: .utf8)
        guard contents.contains(text) else { throw TestFailure("\(file) has no \(text)") }
        try contents.replacingOccurrences(of: text, with: replacement).write(toFile: file, atomically: true, encoding: .utf8)
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
            #expect(page.history.map(\.state).contains(.sent) && page.state == .read, "\(page.history.map(\.state))")
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

    @Test("each role sees only the actions it may perform (a viewer none; the controller still refuses what is forced), admin all")
    func eachRoleSeesOnlyItsActions() async throws {
        let rig = try await ConsoleRig()
        defer { rig.close() }
        // Something to act on in every panel: an open emergency alarm and a task.
        rig.scripted.send(["+CTSDSR: 13,2100003,0,2000999,0,16", "0000"])
        let api = APIClient(address: rig.http)
        try await api.login("dispatcher", password: ConsoleRig.password)
        let created = try await api.request("POST", "/api/v1/tasks", json: ["title": "Blocked drain on Zhen'an Road", "location": ["lat": 22.79, "lon": 113.79]])
        #expect(created.status == 201, "\(created.text)")
        let task = try #require(created.json["id"] as? String)
        try await waitUntil("the emergency alarm open in the controller", timeout: .seconds(10)) {
            !((try await api.request("GET", "/api/v1/alarms?open=true&kind=emergency").json["alarms"] as? [[String: Any]]) ?? []).isEmpty
        }
        let dispatch: Set = ["#unit-page", "#unit-finding", "#alarm-list button.ack", "#alarm-list button.clear", ".popup button.ack", ".popup button.task",
                             "#page-send", "#page-text", "#task-new-point", "#task-suggest", "#task-cancel", "#task-details button[data-state]"]
        let lead: Set = ["#replan", "#urgent-pick", "#urgent-fly"]
        let maintenance: Set = ["#maint-ground", "#maint-serviced"]
        let expected: [(String, Set<String>)] = [("viewer", []), ("dispatcher", dispatch), ("lead", lead), ("maintenance", maintenance),
                                                 ("admin", dispatch.union(lead).union(maintenance))]
        for (role, actions) in expected {
            try await rig.inBrowser(as: role, artefact: "actions-\(role)") { web in
                let shown = try await Self.actionsShown(web, task: task)
                #expect(shown == actions, "\(role): shown but not allowed \(shown.subtracting(actions).sorted()), allowed but not shown \(actions.subtracting(shown).sorted())")
                if role == "viewer" {
                    try await web.saveScreenshot("viewer-tasks")
                    // Even without the buttons, the controller refuses.
                    let answer = try await web.executeAsync("""
                        const done = arguments[arguments.length - 1];
                        fetch('/api/v1/sorties', {method: 'POST', headers: {'Content-Type': 'application/json', Authorization: 'Bearer ' + window.tianyan.S.token},
                          body: JSON.stringify({cells: ['CA-001']})}).then(async (r) => done([r.status, await r.text()]), (e) => done([0, String(e)]));
                        """) as? [Any] ?? []
                    #expect(answer.first as? Int == 403, "\(answer)")
                    #expect((answer.last as? String ?? "").contains("lead"), "the refusal names the role needed: \(answer)")
                }
            }
        }
    }

    /// Which of the console's action controls `web` shows, after the same clicks whatever the
    /// role: a radio's and a drone's details, the alarms (list and popup), paging, `task`'s
    /// details, the sortie board and a drone's maintenance.
    static func actionsShown(_ web: WebDriver, task: String) async throws -> Set<String> {
        var shown = Set<String>()
        func collect(_ selectors: [String]) async throws {
            let present = try await web.execute("return arguments[0].filter((s) => document.querySelector(s) !== null)", [selectors]) as? [String]
            shown.formUnion(try #require(present, "the selectors' check ran"))
        }
        let drone = try #require(try await web.execute("return [...window.tianyan.S.units.values()].find((u) => u.kind === 'drone').id") as? String)
        try await web.click("#tabs button[data-tab=units]")
        for unit in ["2100001", drone] {
            try await web.type("#unit-search", unit)
            try await web.click("#unit-list tr[data-unit='\(unit)']")
            try await waitUntil("the details of \(unit)", timeout: .seconds(10)) {
                try await web.execute("return document.querySelector('#unit-details td')?.textContent") as? String == unit
            }
            try await collect(["#unit-page", "#unit-finding"])
        }
        try await web.click("#tabs button[data-tab=alarms]")
        _ = try await web.waitFor("#alarm-list tr[data-alarm]")
        _ = try await web.waitFor(".popup[data-alarm]")
        try await collect(["#alarm-list button.ack", "#alarm-list button.clear", ".popup button.ack", ".popup button.task"])
        try await web.click("#tabs button[data-tab=pages]")
        _ = try await web.waitFor("#page-list")
        try await collect(["#page-send", "#page-text"])
        try await web.click("#tabs button[data-tab=tasks]")
        try await web.click("#task-list tr[data-task='\(task)']")
        _ = try await web.waitFor("#task-details h3")
        try await collect(["#task-new-point", "#task-suggest", "#task-cancel", "#task-details button[data-state]"])
        try await web.click("#tabs button[data-tab=sorties]")
        _ = try await web.waitFor("#gantt")
        try await collect(["#replan", "#urgent-pick", "#urgent-fly"])
        try await web.click("#tabs button[data-tab=maint]")
        try await web.click("#maint-list tr[data-unit='\(drone)']", timeout: .seconds(20))
        try await waitUntil("the maintenance details of \(drone)", timeout: .seconds(20)) {
            (try await web.execute("return document.querySelector('#maint-unit h3')?.textContent") as? String ?? "").hasPrefix(drone)
        }
        try await collect(["#maint-ground", "#maint-unground", "#maint-serviced"])
        return shown
    }

    @Test("stored markup (a task title, a community, a radio's alias) is shown as text in tooltips, labels and lists, never as HTML")
    func storedMarkupIsShownAsText() async throws {
        let community = "<a href=//evil.example/c>click</a><img src=x onerror=alert(1)><b>Xinmin</b>"
        let alias = "<a href=//evil.example/r>radio</a><img src=x><b>CM-0001</b>"
        let title = #"<a href="https://evil.example/">click</a><img src=x onerror=alert(1)><b>bold</b>"#
        let attribution = "<a href=//evil.example/t>tiles</a> & <b>co</b>"
        // Tiles from a loopback port nobody serves: the attribution is drawn, nothing leaves the machine.
        let rig = try await ConsoleRig(settings: ["console.tile_url=http://127.0.0.1:9/{z}/{x}/{y}.png", "console.tile_attribution=\(attribution)"]) { fleet in
            try ConsoleRig.replace("\"Xinmin\"", with: "\"\(community)\"", in: fleet + "/cells.geojson")
            try ConsoleRig.replace(",Xinmin,", with: ",\(community),", in: fleet + "/formations.csv")
            try ConsoleRig.replace("\n2100001,CM-0001,", with: "\n2100001,\(alias),", in: fleet + "/radios.csv")
        }
        defer { rig.close() }
        let api = APIClient(address: rig.http)
        try await api.login("dispatcher", password: ConsoleRig.password)
        let created = try await api.request("POST", "/api/v1/tasks", json: ["title": title, "location": ["lat": 22.80, "lon": 113.80]])
        #expect(created.status == 201, "\(created.text)")
        let task = try #require(created.json["id"] as? String)
        let state = (created.json["state"] as? String ?? "?").replacingOccurrences(of: "_", with: " ")
        try await rig.inBrowser(as: "viewer", artefact: "markup") { web in
            /// Every Leaflet tooltip shown: its text and how many markup elements it holds.
            func tooltips() async throws -> [(text: String, markup: Int)] {
                let list = try await web.execute("""
                    return [...document.querySelectorAll('.leaflet-tooltip')].map((t) => [t.textContent, t.querySelectorAll('a, img, b, script').length]);
                    """) as? [[Any]] ?? []
                return list.map { ($0.first as? String ?? "", $0.last as? Int ?? -1) }
            }
            /// Hovers the mouse where the map draws a WGS-84 point until a tooltip starting with
            /// `prefix` shows, and returns it. The point is found again on every try: the map may
            /// still be gliding to fit the cells.
            func hover(_ lat: Double, _ lon: Double, until prefix: String) async throws -> (text: String, markup: Int)? {
                var tip: (text: String, markup: Int)?
                try await waitUntil("a tooltip starting \(prefix) under the mouse", timeout: .seconds(10), poll: .milliseconds(250)) {
                    let p = try await web.execute("""
                        const m = window.tianyan.S.map, r = m.getContainer().getBoundingClientRect();
                        const p = m.latLngToContainerPoint([arguments[0], arguments[1]]);
                        return [r.left + p.x, r.top + p.y];
                        """, [lat, lon]) as? [Double] ?? []
                    let x = try #require(p.first), y = try #require(p.last)
                    try await web.movePointer(x: x + 2, y: y + 2)
                    try await web.movePointer(x: x, y: y)
                    tip = try await tooltips().first { $0.text.hasPrefix(prefix) }
                    return tip != nil
                }
                return tip
            }

            // The community's name on the map: a permanent label.
            let label = try await tooltips().first { $0.text.contains("Xinmin") }
            #expect(label?.text == community && label?.markup == 0, "the community label: \(String(describing: label))")

            // The tile attribution: configured text, shown as typed (Leaflet's own link to itself aside).
            let credit = try await web.execute("""
                const c = document.querySelector('.leaflet-control-attribution');
                return [c.textContent, c.querySelectorAll('a[href*="evil"], b').length];
                """) as? [Any] ?? []
            #expect((credit.first as? String ?? "").hasSuffix(attribution) && credit.last as? Int == 0, "the attribution: \(credit)")

            // The task's marker, hovered: its tooltip.
            _ = try await web.waitFor("#task-list tr[data-task='\(task)']")
            var tip = try await hover(22.80, 113.80, until: task + " · ")
            #expect(tip?.text == task + " · " + title + " · " + state, "the task's tooltip: \(String(describing: tip?.text))")
            #expect(tip?.markup == 0, "the task's tooltip holds no element made from its title")

            // A cell of the community, hovered: its sticky tooltip.
            let cell = try await web.executeAsync("""
                const done = arguments[arguments.length - 1];
                fetch('/api/v1/registry/cells', {headers: {Authorization: 'Bearer ' + window.tianyan.S.token}}).then((r) => r.json()).then((g) => {
                  const f = g.features.find((f) => f.properties.community === arguments[0]);
                  const ring = f.geometry.coordinates[0].slice(1);
                  done([f.properties.id, ring.reduce((s, c) => s + c[1], 0) / ring.length, ring.reduce((s, c) => s + c[0], 0) / ring.length]);
                }, (e) => done([String(e)]));
                """, [community]) as? [Any] ?? []
            let cellID = try #require(cell.first as? String, "a cell of the community: \(cell)")
            tip = try await hover(try #require(cell[1] as? Double), try #require(cell[2] as? Double), until: cellID + " · ")
            #expect(tip?.text == cellID + " · " + community && tip?.markup == 0, "the cell's tooltip: \(String(describing: tip))")

            // The task list shows the title as text.
            try await web.click("#tabs button[data-tab=tasks]")
            let row = try await web.execute("""
                const row = document.querySelector(arguments[0]);
                return [row.querySelector('strong').textContent, row.querySelectorAll('a, img, b').length];
                """, ["#task-list tr[data-task='\(task)']"]) as? [Any] ?? []
            #expect(row.first as? String == title && row.last as? Int == 0, "the task's row: \(row)")

            // The radio's alias on its replayed track: a permanent tooltip.
            try await waitUntil("radio 2100001 to report a position", timeout: .seconds(45), poll: .milliseconds(500)) {
                try await web.execute("return !!window.tianyan.S.units.get('2100001')?.position") as? Bool == true
            }
            try await web.click("#tabs button[data-tab=replay]")
            try await web.type("#replay-units", "2100001")
            // The range the tab offers ends when the console loaded; the positions came later.
            try await web.execute("document.getElementById('replay-to').value = new Date(Date.now() + 9 * 3600e3).toISOString().slice(0, 16)")
            // Loaded once the store holds a position of it (the writer batches).
            try await waitUntil("a stored track of 2100001", timeout: .seconds(30), poll: .seconds(1)) {
                try await web.execute("document.getElementById('replay-status').textContent = ''")
                try await web.click("#replay-load")
                var status = ""
                try await waitUntil("the tracks loaded", timeout: .seconds(10), poll: .milliseconds(50)) {
                    status = try await web.execute("return document.getElementById('replay-status').textContent") as? String ?? ""
                    return !status.isEmpty
                }
                return !status.hasSuffix(": 0 positions")
            }
            // The slider to its end: the track drawn up to its last position, labelled.
            try await web.execute("const s = document.getElementById('replay-slider'); s.value = '1000'; s.dispatchEvent(new Event('input'));")
            tip = try await tooltips().first { $0.text.contains("(2100001) · ") }
            #expect(tip?.text.hasPrefix(alias + " (2100001) · ") == true && tip?.markup == 0, "the replay's label: \(String(describing: tip))")
            try await web.saveScreenshot("markup-as-text")
            let csp = try await web.execute("return window.tianyan.csp") as? [String] ?? ["?"]
            #expect(csp.isEmpty, "Content-Security-Policy violations (markup was parsed): \(csp)")
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
