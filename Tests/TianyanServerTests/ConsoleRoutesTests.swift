import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanServer
import TianyanSQLite
import TianyanTesting

/// The console's files, Leaflet from the machine, the console settings, and a unit's health
/// history (the maintenance charts' data).
@Suite("HTTP console files and health history")
struct ConsoleRoutesTests {
    @Test("/ and /console/* are served with the console's policy; only known Leaflet files; traversal and unknown names 404")
    func consoleFiles() async throws {
        let f = try await APIRoutesTests.fixture()
        defer { f.dir.remove() }
        let app = Application(router: APIServer.router(parts: f.parts.services))
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("text/html") == true)
                let text = String(buffer: r.body)
                #expect(text.contains("/console/js/app.js") && text.contains("/vendor/leaflet/leaflet.esm.min.js"))
                let csp = r.headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
                #expect(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'") && !csp.contains("unsafe"), "\(csp)")
            }
            for file in ["app.js", "util.js", "map.js", "live.js", "alarms.js", "pages.js", "talk.js", "sorties.js", "maint.js", "replay.js", "tasks.js", "geo.js", "leaflet.js", "boot-check.js"] {
                try await client.execute(uri: "/console/js/\(file)", method: .get) { r in
                    #expect(r.status == .ok, "\(file)")
                    #expect(r.headers[.contentType]?.hasPrefix("text/javascript") == true, "\(file)")
                }
            }
            try await client.execute(uri: "/console/console.css", method: .get) { r in #expect(r.status == .ok) }
            for bad in ["/console/nothing.js", "/console/js/..%2F..%2Fetc%2Fpasswd", "/console/..%2Findex.html", "/vendor/leaflet/..%2F..%2F..%2Fetc%2Fpasswd",
                        "/vendor/leaflet/leaflet.esm.js", "/vendor/leaflet/leaflet.markercluster.js"] {
                try await client.execute(uri: bad, method: .get) { r in
                    #expect(r.status == .notFound, "\(bad) → \(r.status)")
                    #expect(!String(buffer: r.body).contains("root:"), "\(bad)")
                }
            }
            if FileManager.default.fileExists(atPath: "/usr/share/javascript/leaflet/leaflet.js") {
                try await client.execute(uri: "/vendor/leaflet/leaflet.js", method: .get) { r in
                    #expect(r.status == .ok && r.body.readableBytes > 100_000)
                }
            }
            try await client.execute(uri: "/api/v1/console", method: .get) { r in
                let body = APIRoutesTests.json(r.body)
                #expect(body["tile_url"] is NSNull && body["tile_datum"] as? String == "wgs84")
                #expect((body["task_sla"] as? [String: Any])?["contact_minutes"] as? Int == 30)
            }
        }
    }

    @Test("CORS only for configured origins: preflight answered, the origin echoed (error answers too); others get no CORS header")
    func crossOrigin() async throws {
        let f = try await APIRoutesTests.fixture()
        defer { f.dir.remove() }
        let allow = HTTPField.Name("Access-Control-Allow-Origin")!
        let origin = HTTPField.Name("Origin")!
        // Not configured: nothing for anyone.
        try await Application(router: APIServer.router(parts: f.parts.services)).test(.router) { client in
            try await client.execute(uri: "/api/v1/console", method: .get, headers: [origin: "https://ops.example.cn"]) { r in
                #expect(r.headers[allow] == nil)
            }
        }
        var parts = f.parts
        parts.configuration.corsOrigins = ["https://ops.example.cn"]
        try await Application(router: APIServer.router(parts: parts.services)).test(.router) { client in
            try await client.execute(uri: "/api/v1/units", method: .options,
                                     headers: [origin: "https://ops.example.cn", HTTPField.Name("Access-Control-Request-Method")!: "GET"]) { r in
                #expect(r.status == .noContent && r.headers[allow] == "https://ops.example.cn")
                #expect(r.headers[HTTPField.Name("Access-Control-Allow-Headers")!]?.contains("Authorization") == true)
            }
            try await client.execute(uri: "/api/v1/units", method: .get, headers: [origin: "https://ops.example.cn"]) { r in
                #expect(r.status == .unauthorized && r.headers[allow] == "https://ops.example.cn", "an error answer is readable by the allowed origin")
            }
            try await client.execute(uri: "/api/v1/units", method: .get, headers: [origin: "https://evil.example"]) { r in
                #expect(r.status == .unauthorized && r.headers[allow] == nil)
            }
        }
        #expect(throws: TianyanConfiguration.Problem.self) {
            try TianyanConfiguration.load(file: nil, environment: [:], overrides: [("http.cors_origins", "*")])
        }
        #expect(try TianyanConfiguration.load(file: nil, environment: [:], overrides: [("http.cors_origins", "https://a.cn, http://b.cn:8080/")]).corsOrigins
                == ["https://a.cn", "http://b.cn:8080"])
    }

    @Test("a tile server widens only img-src, to its own origin")
    func tilePolicy() {
        let csp = ConsoleRoutes.policy(tileURL: "https://{s}.tiles.example.cn:8443/{z}/{x}/{y}.png")
        #expect(csp.contains("img-src 'self' data: https://*.tiles.example.cn:8443;"), "\(csp)")
        #expect(csp.contains("connect-src 'self';"))
        #expect(!ConsoleRoutes.policy(tileURL: "").contains("https:"))
        #expect(!ConsoleRoutes.policy(tileURL: "javascript:alert(1)").contains("javascript"))
    }

    @Test("health reports become a history with at most one sample per unit per 10 minutes; the range and unknown units are checked")
    func healthHistory() async throws {
        let f = try await APIRoutesTests.fixture()
        defer { f.dir.remove() }
        let writer = StoreWriter(database: f.parts.database!)
        let running = Task { try await writer.run() }
        defer { running.cancel() }
        let drone = FleetSample.make().drones[0].serial
        let start = Timestamp.now().adding(seconds: -3 * 3600)
        // A report every 2 minutes for 3 hours: 90 reports, 18 samples kept.
        let records: [StoreRecord] = (0..<90).map { i in
            var h = DeviceHealth(unit: drone, kind: .drone, time: start.adding(seconds: Double(i * 120)))
            h.flightSeconds = 3600 + Double(i * 60)
            h.batteryPercent = 90 - Double(i % 50)
            h.batteries = [BatteryPack(serial: "B1", index: 0, cycles: 100 + i / 30, chargePercent: 80, temperature: 30, voltage: 15_000,
                                       highVoltageStorageDays: 0, firmware: nil)]
            return .health(h)
        }
        try await writer.waitUntilCommitted(writer.submit(records))
        var parts = f.parts
        parts.writer = writer
        let app = Application(router: APIServer.router(parts: parts.services))
        try await app.test(.router) { client in
            let auth = try await APIRoutesTests.login(client, "view")
            try await client.execute(uri: "/api/v1/units/\(drone)/health", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                let samples = APIRoutesTests.json(r.body)["samples"] as? [[String: Any]] ?? []
                #expect(samples.count == 18, "one sample per 10 minutes: \(samples.count)")
                #expect(samples.first?["flight_seconds"] as? Double == 3600 && samples.first?["battery_cycles"] as? Int == 100)
                let times = samples.compactMap { ($0["time"] as? String).flatMap(Timestamp.init(parsing:)) }
                #expect(zip(times, times.dropFirst()).allSatisfy { $1.milliseconds - $0.milliseconds >= 600_000 })
            }
            try await client.execute(uri: "/api/v1/units/\(drone)/health?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", method: .get, headers: auth) { r in
                #expect(r.status == .badRequest && String(buffer: r.body).contains("\"field\":\"from\""))
            }
            try await client.execute(uri: "/api/v1/units/NOPE/health", method: .get, headers: auth) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/api/v1/units/\(drone)/health", method: .get) { r in #expect(r.status == .unauthorized) }
        }
    }
}
