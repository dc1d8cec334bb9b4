import Foundation
import Testing
import MosquittoClient
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanSQLite
import TianyanTesting

/// Drives the built `tianyan` executable as a user would: real files, a real SQLite database,
/// real signals, a real mosquitto. Enabled by TIANYAN_IT (tools/test sets it).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TIANYAN_IT"] != nil, "set TIANYAN_IT=1 (tools/test does)"),
       .timeLimit(.minutes(5)))
struct CommandLineTests {
    @Test func sampleImportUnitsListsTheWholeFleet() async throws {
        let dir = try TemporaryDirectory("cli")
        defer { dir.remove() }
        let sample = try await runTianyan(["fleet", "sample", "fleet"], in: dir.path)
        #expect(sample.status == 0, "\(sample.stderr)")
        let imported = try await runTianyan(["fleet", "import", "fleet", "--database", "t.sqlite"], in: dir.path)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("126 drones"))
        let units = try await runTianyan(["units", "--json", "--database", "t.sqlite"], in: dir.path)
        #expect(units.status == 0, "\(units.stderr)")
        let array = try #require(try JSONSerialization.jsonObject(with: Data(units.stdout.utf8)) as? [[String: Any]])
        #expect(array.filter { $0["kind"] as? String == "drone" }.count == 126)
        #expect(array.filter { $0["kind"] as? String == "dock" }.count == FleetSample.dockCount)
        #expect(array.filter { $0["kind"] as? String == "radio" }.count == 2_605)
        #expect(array.allSatisfy { $0["registered"] as? Bool == true && $0.keys.contains("position") && $0["name"] is String })
        let list = try await runTianyan(["fleet", "list", "--json", "--database", "t.sqlite"], in: dir.path)
        let counts = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [String: Int])
        #expect(counts["formations"] == 94 && counts["pilots"] == 205 && counts["cells"] == 501 && counts["drones"] == 126)

        let exported = try await runTianyan(["fleet", "export", "out", "--database", "t.sqlite"], in: dir.path)
        #expect(exported.status == 0)
        for f in ["drones.csv", "pilots.csv", "cells.geojson", "radios.csv"] {
            #expect(FileManager.default.contents(atPath: dir.file("fleet/\(f)")) == FileManager.default.contents(atPath: dir.file("out/\(f)")))
        }
    }

    @Test func groundingFromTheCommandLineIsRecordedWithItsAuditLine() async throws {
        let dir = try TemporaryDirectory("cli")
        defer { dir.remove() }
        #expect(try await runTianyan(["fleet", "sample", "fleet"], in: dir.path).status == 0)
        #expect(try await runTianyan(["fleet", "import", "fleet", "--database", "t.sqlite"], in: dir.path).status == 0)
        let drone = FleetSample.make().drones[0].serial
        let grounded = try await runTianyan(["maintenance", "ground", drone, "--reason", "prop strike", "--by", "maint",
                                             "--database", "t.sqlite"], in: dir.path)
        #expect(grounded.status == 0, "\(grounded.stderr)")
        #expect(grounded.stdout.contains("\(drone) grounded: prop strike"))
        let again = try await runTianyan(["maintenance", "ground", drone, "--reason", "again", "--database", "t.sqlite"], in: dir.path)
        #expect(again.status != 0 && again.stderr.contains("already grounded"), "\(again.stderr)")
        let store = FleetStore(database: try TianyanDatabase(location: dir.file("t.sqlite")))
        #expect(try await store.maintenanceLog(unit: drone).map { "\($0.kind.rawValue) \($0.by) \($0.note ?? "-")" } == ["ground maint prop strike"])
        let audit = try await store.audit(limit: 10).filter { $0.action == "maintenance.ground" }
        #expect(audit.map { "\($0.actor) \($0.target) \($0.outcome)" } == ["maint \(drone) done"])
    }

    @Test func brokenImportIsRefusedWithFileAndLineAndChangesNothing() async throws {
        let dir = try TemporaryDirectory("cli")
        defer { dir.remove() }
        _ = try await runTianyan(["fleet", "sample", "fleet"], in: dir.path)
        _ = try await runTianyan(["fleet", "import", "fleet", "--database", "t.sqlite"], in: dir.path)
        let before = try await runTianyan(["fleet", "export", "before", "--database", "t.sqlite"], in: dir.path)
        #expect(before.status == 0)
        // Three kinds of damage in two files.
        var pilots = try String(contentsOfFile: dir.file("fleet/pilots.csv"), encoding: .utf8).components(separatedBy: "\n")
        pilots[5] = pilots[5].replacingOccurrences(of: ",F003,", with: ",F999,")
        pilots[7] = pilots[7].components(separatedBy: ",").enumerated().map { $0.offset == 4 ? "31/12/2027" : $0.element }.joined(separator: ",")
        try pilots.joined(separator: "\n").write(toFile: dir.file("fleet/pilots.csv"), atomically: true, encoding: .utf8)
        var docks = try String(contentsOfFile: dir.file("fleet/docks.csv"), encoding: .utf8).components(separatedBy: "\n")
        docks.append(docks[1])
        try docks.joined(separator: "\n").write(toFile: dir.file("fleet/docks.csv"), atomically: true, encoding: .utf8)

        let result = try await runTianyan(["fleet", "import", "fleet", "--database", "t.sqlite"], in: dir.path)
        #expect(result.status == 1)
        #expect(result.stderr.contains("fleet/pilots.csv:6: formation F999 is not in formations.csv"))
        #expect(result.stderr.contains("fleet/pilots.csv:8: licence_expiry \"31/12/2027\" is not a date (YYYY-MM-DD)"))
        #expect(result.stderr.contains("fleet/docks.csv:\(docks.count): unit id"))
        #expect(result.stderr.contains("nothing was written"))
        #expect(!result.stderr.contains("Fatal error"))
        let after = try await runTianyan(["fleet", "export", "after", "--database", "t.sqlite"], in: dir.path)
        #expect(after.status == 0)
        for f in FleetFiles.all {
            #expect(FileManager.default.contents(atPath: dir.file("before/\(f)")) == FileManager.default.contents(atPath: dir.file("after/\(f)")))
        }
    }

    @Test func serveShutsDownGracefullyOnSIGTERMAndSIGINT() async throws {
        let dir = try TemporaryDirectory("cli")
        defer { dir.remove() }
        for sig in [SIGTERM, SIGINT] {
            let p = try startTianyan(["serve", "--database", "t.sqlite", "--http", "127.0.0.1:0"], in: dir.path)
            try await waitUntil("serve to print ready; stderr: \(p.stderr)", timeout: .seconds(30)) { p.stdout.contains("ready") }
            p.signal(sig)
            let r = try await p.wait(timeout: .seconds(20))
            #expect(r.status == 0, "exit \(r.status) after signal \(sig): \(r.stderr)")
            #expect(r.stdout.contains("stopped: 0 records committed, 0 pending"))
        }
    }

    @Test func demoStartsAPrivateBrokerThatAcceptsMQTT() async throws {
        let dir = try TemporaryDirectory("demo")
        defer { dir.remove() }
        let http = "127.0.0.1:\(try FreePort.loopback())"
        let p = try startTianyan(["demo", "--database", "demo.sqlite", "--run-for", "60", "--set", "http=\(http)"], in: dir.path)
        try await waitUntil("demo to print ready; stderr: \(p.stderr)", timeout: .seconds(30)) { p.stdout.contains("ready") }
        let url = try #require(p.stdout.split(separator: "\n").first { $0.contains("broker") }?.split(separator: " ").first { $0.hasPrefix("mqtt://") })
        let port = try #require(url.split(separator: ":").last.map { Int($0) } ?? nil)
        // A real MQTT client publishes to the demo's broker.
        let pub = try ChildProcess("/usr/bin/mosquitto_pub", ["-h", "127.0.0.1", "-p", "\(port)", "-t", "tianyan/ping", "-m", "hi", "-q", "1"])
        #expect(try await pub.wait(timeout: .seconds(10)).status == 0)
        #expect(p.stdout.contains("126 drones"))
        // The simulated docks report through the broker into the database.
        try await waitUntil("the 84 simulated docks online", timeout: .seconds(30)) {
            let units = try await runTianyan(["units", "--json", "--database", "demo.sqlite"], in: dir.path)
            let list = (try? JSONSerialization.jsonObject(with: Data(units.stdout.utf8))) as? [[String: Any]] ?? []
            return list.filter { $0["kind"] as? String == "dock" && $0["online"] as? Bool == true }.count == 84
        }
        // A demo user per role is printed; the dispatcher pages a radio on the simulated gateway.
        for role in ["lead", "dispatcher", "maintenance", "viewer", "admin"] {
            #expect(p.stdout.contains("\(role) / "), "no demo user \(role) in the banner")
        }
        let paged = try await runTianyan(["page", "2100001", "Report to the north gate", "--http", http, "--wait", "30",
                                          "--user", "dispatcher", "--password-file", dir.file("demo-data/users/dispatcher.password")],
                                         in: dir.path)
        #expect(paged.status == 0, "stdout: \(paged.stdout) stderr: \(paged.stderr)")
        #expect(paged.stdout.contains(" sent"), "\(paged.stdout)")
        // A radio of the demo's Hytera network, paged in Chinese, goes out on the Hytera gateway (the one that heard it).
        let hytera = try #require(FleetSample.make().radios.last { $0.pilot == nil })
        try await waitUntil("the Hytera radio \(hytera.issi) heard", timeout: .seconds(30)) {
            let unit = try await runTianyan(["units", "--json", "--database", "demo.sqlite"], in: dir.path)
            let list = (try? JSONSerialization.jsonObject(with: Data(unit.stdout.utf8))) as? [[String: Any]] ?? []
            return list.contains { $0["id"] as? String == hytera.issi && $0["last_seen"] is String }
        }
        let chinese = try await runTianyan(["page", hytera.alias, "请到北门集合", "--http", http, "--wait", "30", "--json",
                                            "--user", "dispatcher", "--password-file", dir.file("demo-data/users/dispatcher.password")],
                                           in: dir.path)
        #expect(chinese.status == 0, "stdout: \(chinese.stdout) stderr: \(chinese.stderr)")
        #expect(chinese.stdout.contains("\"gateway\" : \"hytera\"") || chinese.stdout.contains("\"gateway\":\"hytera\""), "\(chinese.stdout)")
        // A PoC handset of the demo (JT/T 808), heard and paged in Chinese, to received.
        try await waitUntil("the PoC handset 13907690001 heard", timeout: .seconds(40)) {
            let unit = try await runTianyan(["units", "--json", "--database", "demo.sqlite"], in: dir.path)
            let list = (try? JSONSerialization.jsonObject(with: Data(unit.stdout.utf8))) as? [[String: Any]] ?? []
            return list.contains { $0["id"] as? String == "13907690001" && $0["last_seen"] is String }
        }
        let poc = try await runTianyan(["page", "13907690001", "收到请回复", "--http", http, "--wait", "30", "--json",
                                        "--user", "dispatcher", "--password-file", dir.file("demo-data/users/dispatcher.password")],
                                       in: dir.path)
        #expect(poc.status == 0 && poc.stdout.contains("received") && poc.stdout.contains("poc"), "stdout: \(poc.stdout) stderr: \(poc.stderr)")
        p.signal(SIGTERM)
        let r = try await p.wait(timeout: .seconds(20))
        #expect(r.status == 0, "\(r.stderr)")
        // The broker went away with the demo.
        try await waitUntil("the demo's broker to stop") { !FreePort.accepts(port: port) }
    }

    @Test func demoWithRunForStopsByItselfCleanly() async throws {
        let dir = try TemporaryDirectory("demo-run-for")
        defer { dir.remove() }
        let http = "127.0.0.1:\(try FreePort.loopback())"
        let r = try await runTianyan(["demo", "--database", "demo.sqlite", "--run-for", "3", "--set", "http=\(http)"], in: dir.path,
                                     timeout: .seconds(60))
        #expect(r.status == 0, "\(r.stderr.suffix(1500))")
        #expect(r.stdout.contains("stopped:") && r.stdout.contains("0 pending"))
    }

    @Test func badInputGetsOneClearLine() async throws {
        let dir = try TemporaryDirectory("cli")
        defer { dir.remove() }
        try "writer:\n  batch: 5\n".write(toFile: dir.file("c.yaml"), atomically: true, encoding: .utf8)
        let r1 = try await runTianyan(["units", "--config", "c.yaml"], in: dir.path)
        #expect(r1.status != 0)
        #expect(r1.stderr.contains("c.yaml: writer.batch: unknown setting"))
        let r2 = try await runTianyan(["fleet", "import", "missing-dir", "--database", "t.sqlite"], in: dir.path)
        #expect(r2.status == 1)
        #expect(r2.stderr.contains("error: missing-dir is not a directory"))
        // A PostgreSQL host that does not exist: one line naming it, no stack trace.
        let r3 = try await runTianyan(["units", "--database", "postgres://db.invalid/x"], in: dir.path)
        #expect(r3.status == 1)
        #expect(r3.stderr.contains("PostgreSQL at postgres://") && r3.stderr.contains("db.invalid:5432/x"), "\(r3.stderr)")
        #expect(r3.stderr.split(separator: "\n").count == 1, "\(r3.stderr)")
    }
}

enum FleetFiles {
    static let all = ["formations.csv", "pilots.csv", "docks.csv", "drones.csv", "talkgroups.csv", "radios.csv", "cells.geojson"]
}
