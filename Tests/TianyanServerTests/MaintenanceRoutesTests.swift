import RecordWriter
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanServer
import TianyanSQLite
import TianyanTesting

/// Maintenance over the API: what is due, grounding, ungrounding and service records, with the
/// maintenance role and the audit log.
@Suite("HTTP API maintenance")
struct MaintenanceRoutesTests {
    @Test("a maintenance user grounds (reason required), ungrounds and records a service; a viewer gets 403; unknown unit 404; grounded twice 409; all audited")
    func groundAndService() async throws {
        let f = try await APIRoutesTests.fixture()
        defer { f.dir.remove() }
        let writer = StoreWriter(database: f.parts.database!)
        let running = Task { try await writer.run() }
        defer { running.cancel() }
        try await UserDirectory(database: f.parts.database!).add(name: "maint", role: .maintenance, password: APIRoutesTests.password)
        var parts = f.parts
        parts.writer = writer
        let sample = FleetSample.make()
        let drone = sample.drones[0].serial
        let app = Application(router: APIServer.router(parts: parts.services))
        try await app.test(.router) { client in
            let maint = try await APIRoutesTests.login(client, "maint")
            let viewer = try await APIRoutesTests.login(client, "view")
            let dispatcher = try await APIRoutesTests.login(client, "disp")

            try await client.execute(uri: "/api/v1/maintenance?all=true", method: .get, headers: viewer) { r in
                #expect(r.status == .ok)
                let body = APIRoutesTests.json(r.body)
                let units = body["units"] as? [[String: Any]] ?? []
                #expect(units.count == sample.drones.count + sample.docks.count)
                #expect(units.allSatisfy { $0["state"] as? String == "ok" && $0["available"] as? Bool == true })
                #expect((body["rules"] as? [String: Any])?["months"] as? Int == 6)
            }
            try await client.execute(uri: "/api/v1/maintenance", method: .get, headers: viewer) { r in
                #expect((APIRoutesTests.json(r.body)["units"] as? [Any])?.isEmpty == true, "nothing due or grounded yet")
            }
            try await client.execute(uri: "/api/v1/maintenance?all=perhaps", method: .get, headers: viewer) { r in
                #expect(r.status == .badRequest && APIRoutesTests.error(r.body).field == "all")
            }

            let reason = ByteBuffer(string: #"{"reason": "prop strike on landing"}"#)
            try await client.execute(uri: "/api/v1/maintenance/\(drone)/ground", method: .post, headers: viewer, body: reason) { r in
                #expect(r.status == .forbidden)
                #expect(APIRoutesTests.error(r.body).message.contains("maintenance"))
            }
            try await client.execute(uri: "/api/v1/maintenance/\(drone)/ground", method: .post, headers: dispatcher, body: reason) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/maintenance/\(drone)/ground", method: .post) { r in #expect(r.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/maintenance/\(drone)/ground", method: .post, headers: maint) { r in
                #expect(r.status == .badRequest && APIRoutesTests.error(r.body).field == "reason")
            }
            try await client.execute(uri: "/api/v1/maintenance/\(drone)/ground", method: .post, headers: maint, body: ByteBuffer(string: #"{"reason": "  "}"#)) { r in
                #expect(r.status == .badRequest && APIRoutesTests.error(r.body).field == "reason")
            }
            try await client.execute(uri: "/api/v1/maintenance/NOPE-9/ground", method: .post, headers: maint, body: reason) { r in
                #expect(r.status == .notFound && APIRoutesTests.error(r.body).message.contains("NOPE-9"))
            }
            try await client.execute(uri: "/api/v1/maintenance/\(drone)/ground", method: .post, headers: maint, body: reason) { r in
                #expect(r.status == .ok, "\(String(buffer: r.body))")
                let s = APIRoutesTests.json(r.body)
                let grounded = s["grounded"] as? [String: Any] ?? [:]
                #expect(s["state"] as? String == "grounded" && s["available"] as? Bool == false && s["kind"] as? String == "drone")
                #expect(grounded["by"] as? String == "maint" && grounded["note"] as? String == "prop strike on landing")
            }
            try await client.execute(uri: "/api/v1/maintenance/\(drone)/ground", method: .post, headers: maint, body: reason) { r in
                #expect(r.status == .conflict && APIRoutesTests.error(r.body).message.contains("already grounded"))
            }
            try await client.execute(uri: "/api/v1/maintenance", method: .get, headers: viewer) { r in
                let units = APIRoutesTests.json(r.body)["units"] as? [[String: Any]] ?? []
                #expect(units.map { $0["unit"] as? String } == [drone], "the grounded drone is listed without all")
            }
            try await client.execute(uri: "/api/v1/maintenance/\(drone)/unground", method: .post, headers: viewer) { r in #expect(r.status == .forbidden) }
            try await client.execute(uri: "/api/v1/maintenance/\(drone)/unground", method: .post, headers: maint) { r in
                #expect(r.status == .ok)
                #expect(APIRoutesTests.json(r.body)["state"] as? String == "ok")
            }
            try await client.execute(uri: "/api/v1/maintenance/\(drone)/unground", method: .post, headers: maint) { r in
                #expect(r.status == .conflict)
            }
            try await client.execute(uri: "/api/v1/maintenance/\(drone)/serviced", method: .post, headers: viewer) { r in #expect(r.status == .forbidden) }
            try await client.execute(uri: "/api/v1/maintenance/\(drone)/serviced", method: .post, headers: maint,
                                     body: ByteBuffer(string: #"{"note": "new props"}"#)) { r in
                #expect(r.status == .ok)
                let service = APIRoutesTests.json(r.body)["last_service"] as? [String: Any] ?? [:]
                #expect(service["by"] as? String == "maint" && service["note"] as? String == "new props")
            }
            try await client.execute(uri: "/api/v1/maintenance/\(drone)/serviced", method: .post, headers: maint, body: ByteBuffer(string: #"{"note": 5}"#)) { r in
                #expect(r.status == .badRequest && APIRoutesTests.error(r.body).field == "note")
            }
        }
        let log = try await f.parts.store.maintenanceLog(unit: drone)
        #expect(log.map(\.kind) == [.ground, .unground, .serviced] && log.allSatisfy { $0.by == "maint" })
        let audit = try await f.parts.store.audit(limit: 100).reversed().filter { $0.action.hasPrefix("maintenance.") }
            .map { "\($0.actor) \($0.action) \($0.target) \($0.outcome)" }
        #expect(audit == [
            "view maintenance.ground \(drone) refused", "disp maintenance.ground \(drone) refused",
            "maint maintenance.ground NOPE-9 refused", "maint maintenance.ground \(drone) done", "maint maintenance.ground \(drone) refused",
            "view maintenance.unground \(drone) refused", "maint maintenance.unground \(drone) done", "maint maintenance.unground \(drone) refused",
            "view maintenance.serviced \(drone) refused", "maint maintenance.serviced \(drone) done",
        ], "\(audit)")
    }

    @Test("grounding, ungrounding and a service are committed by the running writer with their audit lines; no request starts a writer")
    func oneWriter() async throws {
        let f = try await APIRoutesTests.fixture()
        defer { f.dir.remove() }
        try await UserDirectory(database: f.parts.database!).add(name: "maint", role: .maintenance, password: APIRoutesTests.password)
        let drone = FleetSample.make().drones[0].serial
        let reason = ByteBuffer(string: #"{"reason": "gimbal fault"}"#)
        // The fixture's writer does not run: a refusal's audit line is committed all the same.
        try await Application(router: APIServer.router(parts: f.parts.services)).test(.router) { client in
            let viewer = try await APIRoutesTests.login(client, "view")
            try await client.execute(uri: "/api/v1/maintenance/\(drone)/ground", method: .post, headers: viewer, body: reason) { r in
                #expect(r.status == .forbidden)
            }
        }
        let refused = try await f.parts.store.audit(limit: 100).filter { $0.action == "maintenance.ground" }
        #expect(refused.map { "\($0.actor) \($0.outcome)" } == ["view refused"])
        #expect(f.parts.database!.storeWritersCreated == 1, "only the fixture's writer")

        let writer = StoreWriter(database: f.parts.database!)
        let running = Task { try await writer.run() }
        defer { running.cancel() }
        var parts = f.parts
        parts.writer = writer
        try await Application(router: APIServer.router(parts: parts.services)).test(.router) { client in
            let maint = try await APIRoutesTests.login(client, "maint")
            let steps: [(String, ByteBuffer?)] = [("ground", reason), ("unground", nil), ("serviced", ByteBuffer(string: #"{"note": "new gimbal"}"#))]
            for (kind, body) in steps {
                let before = writer.statistics.submitted
                try await client.execute(uri: "/api/v1/maintenance/\(drone)/\(kind)", method: .post, headers: maint, body: body) { r in
                    #expect(r.status == .ok, "\(kind): \(String(buffer: r.body))")
                }
                // The action and its audit line went to the running writer, committed before the answer.
                let after = writer.statistics
                #expect(after.submitted == before + 2, "\(kind)")
                #expect(after.committed >= before + 2, "\(kind)")
                let audit = try await f.parts.store.audit(limit: 1).first
                #expect(audit.map { "\($0.actor) \($0.action) \($0.target) \($0.outcome)" } == "maint maintenance.\(kind) \(drone) done")
            }
        }
        #expect(try await parts.store.maintenanceLog(unit: drone).map(\.kind) == [.ground, .unground, .serviced])
        #expect(f.parts.database!.storeWritersCreated == 2, "the fixture's writer and the running one; none per request")
    }
}
