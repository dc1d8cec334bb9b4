import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import CoveragePlanner
import DockLink
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanServer
import TianyanSQLite
import TianyanTesting

/// Sorties, plan and coverage over the API, on the sample registry with a running store writer
/// (no broker: nothing is sent to a dock here; the flights are in the integration tests).
@Suite("HTTP API sorties and coverage")
struct SortieRoutesTests {
    @Test("a lead re-plans, adds an urgent sortie (the drone's planned sorties are re-planned around it), holds, releases and cancels it; a viewer can only read; every change is audited")
    func leadActions() async throws {
        let f = try await APIRoutesTests.fixture()
        defer { f.dir.remove() }
        let writer = StoreWriter(database: f.parts.database!)
        let running = Task { try await writer.run() }
        defer { running.cancel() }
        try await UserDirectory(database: f.parts.database!).add(name: "lead", role: .lead, password: APIRoutesTests.password)
        var settings = SortieService.Settings(routeFilesURL: "http://127.0.0.1:9/files/routes/")
        settings.flyingHours = FlyingHours(startHour: 0, endHour: 24)
        let service = SortieService(settings: settings, store: f.parts.store, sink: writer, docks: f.parts.docks,
                                    rules: MaintenanceRules(), logger: Logger(label: "test.sorties"))
        var parts = f.parts
        parts.sorties = service
        let app = Application(router: APIServer.router(parts: parts.services))
        try await app.test(.router) { client in
            let lead = try await APIRoutesTests.login(client, "lead")
            let viewer = try await APIRoutesTests.login(client, "view")
            let cell = FleetSample.make().cells[0].id

            try await client.execute(uri: "/api/v1/sorties", method: .post, headers: viewer, body: ByteBuffer(string: #"{"cells": ["\#(cell)"]}"#)) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/plan", method: .post, headers: viewer) { r in #expect(r.status == .forbidden) }

            let planned = try await client.execute(uri: "/api/v1/plan", method: .post, headers: lead, body: ByteBuffer(string: #"{"note": "test"}"#)) { r in
                #expect(r.status == .ok, "\(String(buffer: r.body))")
                return APIRoutesTests.json(r.body)["added"] as? Int ?? 0
            }
            #expect(planned > 100, "the sample needs hundreds of sorties, got \(planned)")
            try await client.execute(uri: "/api/v1/sorties?state=planned&limit=10000", method: .get, headers: viewer) { r in
                #expect((APIRoutesTests.json(r.body)["sorties"] as? [Any])?.count == planned)
            }

            try await client.execute(uri: "/api/v1/sorties", method: .post, headers: lead, body: ByteBuffer(string: #"{"cells": ["NOPE"]}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(APIRoutesTests.error(r.body).field == "cells")
            }
            let id = try await client.execute(uri: "/api/v1/sorties", method: .post, headers: lead, body: ByteBuffer(string: #"{"cells": ["\#(cell)"]}"#)) { r in
                #expect(r.status == .created, "\(String(buffer: r.body))")
                let list = APIRoutesTests.json(r.body)["sorties"] as? [[String: Any]] ?? []
                #expect(list.first?["urgent"] as? Bool == true)
                #expect(list.first?["cells"] as? [String] == [cell])
                return list.first?["id"] as? String ?? ""
            }
            try await client.execute(uri: "/api/v1/sorties/\(id)", method: .get, headers: viewer) { r in
                let route = APIRoutesTests.json(r.body)["route"] as? [String: Any]
                #expect(((route?["points"] as? [Any])?.count ?? 0) >= 4, "an urgent sortie has its route")
            }
            for (action, state) in [("pause", "held"), ("resume", "planned"), ("cancel", "canceled")] {
                try await client.execute(uri: "/api/v1/sorties/\(id)/\(action)", method: .post, headers: viewer) { r in #expect(r.status == .forbidden) }
                try await client.execute(uri: "/api/v1/sorties/\(id)/\(action)", method: .post, headers: lead) { r in
                    #expect(r.status == .ok, "\(action): \(String(buffer: r.body))")
                    #expect(APIRoutesTests.json(r.body)["state"] as? String == state)
                }
            }
            try await client.execute(uri: "/api/v1/sorties/\(id)/cancel", method: .post, headers: lead) { r in
                #expect(r.status == .conflict)
                #expect(APIRoutesTests.error(r.body).message.contains("already canceled"))
            }
            try await client.execute(uri: "/api/v1/sorties/no-such/pause", method: .post, headers: lead) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/api/v1/sorties?state=flying", method: .get, headers: viewer) { r in
                #expect(r.status == .badRequest)
                #expect(APIRoutesTests.error(r.body).field == "state")
            }

            let name = f.parts.docks.routeFiles.add(Array("PK-test".utf8), fingerprint: String(repeating: "ab", count: 16))
            try await client.execute(uri: "/files/routes/\(name)", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == "PK-test")
            }
            for bad in ["..%2F..%2Fetc%2Fpasswd", "\(String(repeating: "ab", count: 16)).kml", "x.kmz"] {
                try await client.execute(uri: "/files/routes/\(bad)", method: .get) { r in #expect(r.status == .notFound, "\(bad)") }
            }

            try await client.execute(uri: "/api/v1/coverage?status=never", method: .get, headers: viewer) { r in
                #expect(r.status == .ok)
                let body = APIRoutesTests.json(r.body)
                let summary = body["summary"] as? [String: Any] ?? [:]
                #expect(summary["never_covered"] as? Int == FleetSample.make().cells.count)
                let cells = body["cells"] as? [[String: Any]] ?? []
                #expect(cells.filter { $0["next_sortie"] is String }.count > cells.count / 2, "cells in the plan name their next sortie")
            }
        }
        let audit = try await f.parts.store.audit(limit: 100).filter { $0.actor == "lead" }.reversed().map { "\($0.action) \($0.outcome)" }
        #expect(audit == ["plan ok", "sortie.urgent ok", "replan ok", "sortie.pause ok", "sortie.resume ok", "sortie.cancel ok", "sortie.cancel refused"],
                "\(audit)")
    }

    static func profiles() throws -> DockProfiles {
        var config = TianyanConfiguration()
        config.profilesDirectory = packageRoot() + "/firmware-profiles"
        return try Controller(configuration: config, logger: Logger(label: "test")).loadDockProfiles()
    }

    @Test("route files: only a registered <md5>.kmz is served, to anyone; anything else is 404")
    func routeFiles() async throws {
        let files = RouteFiles()
        let name = files.add([0x50, 0x4B, 3, 4], fingerprint: "0123456789ABCDEF0123456789abcdef")
        #expect(name == "0123456789abcdef0123456789abcdef.kmz")
        #expect(files.file(named: name) == [0x50, 0x4B, 3, 4])
        for bad in ["../../etc/passwd", "0123456789abcdef0123456789abcdef.kml", "0123456789ABCDEF0123456789abcdef.kmz", "", "x.kmz",
                    "..%2F..%2Fetc%2Fpasswd", "0123456789abcdef0123456789abcdef.kmz/.."] {
            #expect(files.file(named: bad) == nil, "\(bad)")
        }
    }
}
