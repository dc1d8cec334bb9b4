import Foundation
import MosquittoClient
import Testing
import TianyanModel
import TianyanSQLite
import TianyanTesting

/// A lead's urgent sortie flown end to end: the controller (`tianyan serve`) builds the route file
/// and serves it over HTTP, the simulated dock downloads it, checks its MD5 and flies its
/// waypoints over a real mosquitto, progress comes back, and the cell's coverage is computed from
/// the track the aircraft really flew. A recalled sortie covers less and its cell stays due.
@Suite("Sorties flown by a simulated dock", .serialized, .enabled(if: ProcessInfo.processInfo.environment["TIANYAN_IT"] != nil),
       .timeLimit(.minutes(6)))
struct SortieFlightTests {
    @Test func anUrgentSortieIsPreparedWithItsRouteFileFlownAndItsCellCovered() async throws {
        // The simulated aircraft reports about 205 flight hours since new: under the default rule
        // (a service every 50 h) it is due for maintenance, and a due drone flies no sortie.
        let rig = try await ControllerRig(settings: ["maintenance.flight_hours=1000"])
        defer { rig.close() }
        try await rig.start()
        let password = rig.dir.file("lead.password")
        try "lead-password-1\n".write(toFile: password, atomically: true, encoding: .utf8)
        let added = try await runTianyan(["users", "add", "lead.li", "--role", "lead", "--password-file", password, "--database", rig.database],
                                         in: rig.dir.path)
        #expect(added.status == 0, "\(added.stderr)")
        let simPath = URL(fileURLWithPath: tianyanExecutable()).deletingLastPathComponent().appendingPathComponent("dock-sim").path
        let sim = try ChildProcess(simPath, ["--broker", rig.broker.url, "--docks", "1", "--osd-interval", "0.5", "--seed", "11",
                                             "--hms-rate", "0", "--flight-speed-up", "8", "--profiles", packageRoot() + "/firmware-profiles"])
        defer { sim.signal(SIGTERM) }
        let registry = FleetSample.make()
        let dock = registry.docks[0]
        let drone = try #require(registry.drones.first { $0.dock == dock.serial })
        // The cell the dock stands in, and a neighbour of the same community.
        let byDistance = registry.cells.sorted {
            Geodesy.distance(Geodesy.centroid(of: $0.polygon), dock.location) < Geodesy.distance(Geodesy.centroid(of: $1.polygon), dock.location)
        }
        let home = byDistance[0], neighbour = byDistance[1]
        let store = try await rig.store()
        try await waitUntil("the simulated dock online", timeout: .seconds(30)) {
            ((try? await store.units()) ?? []).contains { $0.id == dock.serial && $0.lastSeen != nil }
        }

        let api = APIClient(address: rig.http)
        try await api.login("lead.li", password: "lead-password-1")
        let created = try await api.request("POST", "/api/v1/sorties", json: ["cells": [home.id], "drone": drone.serial])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(((created.json["sorties"] as? [[String: Any]])?.first?["id"]) as? String)

        func sortie(_ id: String) async throws -> [String: Any] { try await api.request("GET", "/api/v1/sorties/\(id)").json }
        try await waitUntil("the sortie to be flown", timeout: .seconds(180), poll: .milliseconds(500)) {
            let state = try await sortie(id)["state"] as? String
            return state == "done" || state == "failed" || state == "partial" || state == "canceled"
        }
        let flown = try await sortie(id)
        #expect(try await api.request("GET", "/healthz").json["sorties"] == nil, "nothing held once the link is back")
        let history = (flown["history"] as? [[String: Any]] ?? []).map { "\($0["state"] ?? "?"): \($0["detail"] ?? "")" }
        #expect(flown["state"] as? String == "done", "\(history)")
        #expect(history.contains { $0.hasPrefix("prepared: dock has the route") && $0.contains("md5 ") }, "\(history)")
        #expect(history.contains { $0.hasPrefix("executing") }, "\(history)")
        #expect(history.last?.contains("1 of 1 cells covered") == true, "\(history)")

        // The dock was told where the file is, and the file there has that fingerprint.
        let prepare = try #require(try await store.commands(unit: dock.serial).first { $0.method == "flighttask_prepare" })
        #expect(prepare.outcome == .succeeded, "\(prepare)")
        let data = try #require(prepare.data.flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        let file = try #require(data["file"] as? [String: Any])
        let url = try #require(file["url"] as? String)
        #expect(url.hasPrefix("http://\(rig.http)/files/routes/"), "\(url)")
        #expect((file["fingerprint"] as? String).map { url.hasSuffix("/\($0).kmz") } == true)
        #expect(data["flight_id"] as? String == id)
        // The sortie is over: its route file is no longer served.
        let gone = try await APIClient(address: rig.http).request("GET", String(url.dropFirst("http://\(rig.http)".count)))
        #expect(gone.status == 404, "\(gone.text)")

        // Coverage from the flown track, over the API and the command line.
        let coverage = try await api.request("GET", "/api/v1/coverage")
        let cell = try #require((coverage.json["cells"] as? [[String: Any]])?.first { $0["cell"] as? String == home.id })
        #expect(cell["status"] as? String == "covered", "\(cell)")
        #expect((cell["last_fraction"] as? Double ?? 0) >= 0.95, "\(cell)")
        #expect(cell["last_sortie"] as? String == id)
        let cli = try await runTianyan(["coverage", "--database", rig.database], in: rig.dir.path)
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(cli.stdout.contains("1 covered within their revisit period"), "\(cli.stdout)")
        #expect(!cli.stdout.contains(home.id + " "), "a covered cell is not listed as due:\n\(cli.stdout)")

        let listed = try await runTianyan(["sorties", "--json", "--state", "done", "--database", rig.database], in: rig.dir.path)
        #expect(listed.status == 0, "\(listed.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(rows.map { $0["id"] as? String } == [id], "\(listed.stdout)")

        // A second sortie, recalled in flight: it ends short, and its cell is not counted covered.
        let second = try await api.request("POST", "/api/v1/sorties", json: ["cells": [neighbour.id], "drone": drone.serial])
        #expect(second.status == 201, "\(second.text)")
        let id2 = try #require(((second.json["sorties"] as? [[String: Any]])?.first?["id"]) as? String)
        try await waitUntil("the second sortie in the air", timeout: .seconds(90), poll: .milliseconds(200)) {
            try await sortie(id2)["state"] as? String == "executing"
        }
        let viewerRefused = try await APIClient(address: rig.http).request("POST", "/api/v1/sorties/\(id2)/cancel")
        #expect(viewerRefused.status == 401)
        let recalled = try await api.request("POST", "/api/v1/sorties/\(id2)/cancel", json: ["note": "test recall"])
        #expect(recalled.status == 200, "\(recalled.text)")
        try await waitUntil("the recalled sortie to end", timeout: .seconds(120), poll: .milliseconds(500)) {
            (try await sortie(id2)["final"] as? Bool) == true
        }
        let ended = try await sortie(id2)
        #expect(["partial", "canceled"].contains(ended["state"] as? String ?? ""), "\(ended)")
        let after = try await api.request("GET", "/api/v1/coverage")
        let n = (after.json["cells"] as? [[String: Any]])?.first { $0["cell"] as? String == neighbour.id }
        #expect(n?["status"] as? String != "covered", "\(n ?? [:])")
        let audit = try await store.audit(limit: 200)
        #expect(audit.contains { $0.actor == "lead.li" && $0.action == "sortie.cancel" && $0.outcome == "ok" })
        #expect(audit.contains { $0.actor == "lead.li" && $0.action == "dock.return_home" })
    }
}

extension SortieFlightTests {
    /// Issue 15: with the broker down a sortie whose prepare cannot be sent was failed, and the
    /// re-plan made new sorties that failed again. Now it is held, says so once in its history and
    /// the log, and flies when the broker is back.
    @Test func anUrgentSortieAddedWhileTheBrokerIsDownIsHeldAndFlownWhenItIsBack() async throws {
        // The simulated aircraft reports about 205 flight hours since new: under the default rule
        // (a service every 50 h) it is due for maintenance, and a due drone flies no sortie.
        let rig = try await ControllerRig(settings: ["maintenance.flight_hours=1000"])
        defer { rig.close() }
        try await rig.start()
        let password = rig.dir.file("lead.password")
        try "lead-password-1\n".write(toFile: password, atomically: true, encoding: .utf8)
        let added = try await runTianyan(["users", "add", "lead.li", "--role", "lead", "--password-file", password, "--database", rig.database],
                                         in: rig.dir.path)
        #expect(added.status == 0, "\(added.stderr)")
        let simPath = URL(fileURLWithPath: tianyanExecutable()).deletingLastPathComponent().appendingPathComponent("dock-sim").path
        let sim = try ChildProcess(simPath, ["--broker", rig.broker.url, "--docks", "1", "--osd-interval", "0.5", "--seed", "12",
                                             "--hms-rate", "0", "--flight-speed-up", "8", "--profiles", packageRoot() + "/firmware-profiles"])
        defer { sim.signal(SIGTERM) }
        let registry = FleetSample.make()
        let dock = registry.docks[0]
        let drone = try #require(registry.drones.first { $0.dock == dock.serial })
        let home = try #require(registry.cells.min {
            Geodesy.distance(Geodesy.centroid(of: $0.polygon), dock.location) < Geodesy.distance(Geodesy.centroid(of: $1.polygon), dock.location)
        })
        let store = try await rig.store()
        try await waitUntil("the simulated dock online", timeout: .seconds(30)) {
            ((try? await store.units()) ?? []).contains { $0.id == dock.serial && $0.lastSeen != nil }
        }
        let api = APIClient(address: rig.http)
        try await api.login("lead.li", password: "lead-password-1")

        rig.broker.stop()
        try await waitUntil("the controller to see the broker gone", timeout: .seconds(30)) {
            (try await api.request("GET", "/healthz").json["problems"] as? [String])?.contains("broker") == true
        }
        let created = try await api.request("POST", "/api/v1/sorties", json: ["cells": [home.id], "drone": drone.serial])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(((created.json["sorties"] as? [[String: Any]])?.first?["id"]) as? String)
        func sortie(_ id: String) async throws -> [String: Any] { try await api.request("GET", "/api/v1/sorties/\(id)").json }
        func history(_ s: [String: Any]) -> [String] { (s["history"] as? [[String: Any]] ?? []).map { "\($0["state"] ?? "?"): \($0["detail"] ?? "")" } }
        try await waitUntil("the sortie held for the dock link", timeout: .seconds(30), poll: .milliseconds(200)) {
            history(try await sortie(id)).contains { $0.hasPrefix("planned: held: the dock link (MQTT broker) is down since") }
        }
        // Several ticks (2 s each) with the broker down: still planned, held once, nothing else written.
        try await Task.sleep(for: .seconds(8))
        let held = try await sortie(id)
        #expect(held["state"] as? String == "planned", "\(history(held))")
        #expect(history(held).filter { $0.contains("held: the dock link") }.count == 1, "\(history(held))")
        #expect(try await store.sorties(limit: 1_000).count == (created.json["sorties"] as? [[String: Any]])?.count)
        #expect(try await store.commands(unit: dock.serial).allSatisfy { $0.method != "flighttask_prepare" }, "no prepare tried while down")
        let health = try await api.request("GET", "/healthz").json
        let sorties = health["sorties"] as? [String: Any]
        #expect(sorties?["held_for_dock_link"] as? Int == 1 && sorties?["dock_link_down_since"] is String, "\(health)")

        try rig.broker.start()
        try await waitUntil("the held sortie to be flown", timeout: .seconds(180), poll: .milliseconds(500)) {
            (try await sortie(id)["final"] as? Bool) == true
        }
        let flown = try await sortie(id)
        #expect(try await api.request("GET", "/healthz").json["sorties"] == nil, "nothing held once the link is back")
        #expect(flown["state"] as? String == "done", "\(history(flown))")
        #expect(history(flown).contains { $0.hasPrefix("prepared: dock has the route") }, "\(history(flown))")
        #expect(try await store.sorties(limit: 1_000).allSatisfy { $0.state != .failed })
        let log = rig.process?.stderr ?? ""
        #expect(log.components(separatedBy: "dock link down").count - 1 == 1, "said once in the log")
        #expect(log.components(separatedBy: "dock link back").count - 1 == 1, "said once in the log")
    }
}
