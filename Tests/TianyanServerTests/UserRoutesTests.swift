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

/// Users and the audit log over the API (admin only).
@Suite("HTTP API users and audit")
struct UserRoutesTests {
    @Test("an admin lists and adds users and sets passwords (never echoed), with errors naming the field; others get 403; the audit log is admin-only, filtered and paged")
    func usersAndAudit() async throws {
        let f = try await APIRoutesTests.fixture()
        defer { f.dir.remove() }
        let writer = StoreWriter(database: f.parts.database!)
        let running = Task { try await writer.run() }
        defer { running.cancel() }
        try await UserDirectory(database: f.parts.database!).add(name: "root", role: .admin, password: APIRoutesTests.password)
        var parts = f.parts
        parts.writer = writer
        let app = Application(router: APIServer.router(parts: parts.services))
        try await app.test(.router) { client in
            let admin = try await APIRoutesTests.login(client, "root")
            let viewer = try await APIRoutesTests.login(client, "view")
            let dispatcher = try await APIRoutesTests.login(client, "disp")

            try await client.execute(uri: "/api/v1/users", method: .get, headers: viewer) { r in #expect(r.status == .forbidden) }
            try await client.execute(uri: "/api/v1/users", method: .get, headers: admin) { r in
                #expect(r.status == .ok)
                let text = String(buffer: r.body)
                let users = APIRoutesTests.json(r.body)["users"] as? [[String: Any]] ?? []
                #expect(users.map { $0["name"] as? String } == ["disp", "root", "view"])
                #expect(users.first?["role"] as? String == "dispatcher" && users.first?["disabled"] as? Bool == false)
                #expect(!text.contains("$y$") && !text.lowercased().contains("password") && !text.contains("hash"))
            }

            let newUser = #"{"name": "lead2", "role": "lead", "password": "another long secret"}"#
            try await client.execute(uri: "/api/v1/users", method: .post, headers: dispatcher, body: ByteBuffer(string: newUser)) { r in
                #expect(r.status == .forbidden && APIRoutesTests.error(r.body).message.contains("admin"))
            }
            for (body, field) in [(#"{"name": "lead2", "role": "lead"}"#, "password"), (#"{"name": "a b", "role": "lead", "password": "another long secret"}"#, "name"),
                                  (#"{"name": "lead2", "role": "boss", "password": "another long secret"}"#, "role"),
                                  (#"{"name": "lead2", "role": "lead", "password": "short"}"#, "password"), (#"{"role": "lead"}"#, "name")] {
                try await client.execute(uri: "/api/v1/users", method: .post, headers: admin, body: ByteBuffer(string: body)) { r in
                    #expect(r.status == .badRequest, "\(body)")
                    #expect(APIRoutesTests.error(r.body).field == field, "\(body): \(String(buffer: r.body))")
                }
            }
            try await client.execute(uri: "/api/v1/users", method: .post, headers: admin, body: ByteBuffer(string: newUser)) { r in
                #expect(r.status == .created)
                #expect(r.headers[.location] == "/api/v1/users/lead2")
                let user = APIRoutesTests.json(r.body)
                #expect(user["name"] as? String == "lead2" && user["role"] as? String == "lead")
                #expect(!String(buffer: r.body).contains("secret") && !String(buffer: r.body).contains("$y$"))
            }
            try await client.execute(uri: "/api/v1/users", method: .post, headers: admin, body: ByteBuffer(string: newUser)) { r in
                #expect(r.status == .conflict && APIRoutesTests.error(r.body).field == "name")
            }
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"name": "lead2", "password": "another long secret"}"#)) { r in
                #expect(r.status == .created && APIRoutesTests.json(r.body)["role"] as? String == "lead")
            }

            let password = ByteBuffer(string: #"{"password": "a brand new secret"}"#)
            try await client.execute(uri: "/api/v1/users/lead2/password", method: .post, headers: viewer, body: password) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/users/lead2/password", method: .post, headers: admin, body: ByteBuffer(string: #"{"password": "short"}"#)) { r in
                #expect(r.status == .badRequest && APIRoutesTests.error(r.body).field == "password")
            }
            try await client.execute(uri: "/api/v1/users/lead2/password", method: .post, headers: admin, body: ByteBuffer(string: "{}")) { r in
                #expect(r.status == .badRequest && APIRoutesTests.error(r.body).field == "password")
            }
            try await client.execute(uri: "/api/v1/users/nobody/password", method: .post, headers: admin, body: password) { r in
                #expect(r.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/users/lead2/password", method: .post, headers: admin, body: password) { r in
                #expect(r.status == .ok && APIRoutesTests.json(r.body)["name"] as? String == "lead2")
                #expect(!String(buffer: r.body).contains("secret"))
            }
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"name": "lead2", "password": "a brand new secret"}"#)) { r in
                #expect(r.status == .created, "the new password works")
            }
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"name": "lead2", "password": "another long secret"}"#)) { r in
                #expect(r.status == .unauthorized, "the old one does not")
            }

            // The audit log: admin only, filtered by actor and action, paged.
            try await client.execute(uri: "/api/v1/audit", method: .get, headers: dispatcher) { r in #expect(r.status == .forbidden) }
            try await client.execute(uri: "/api/v1/audit?actor=root&action=user%20add", method: .get, headers: admin) { r in
                #expect(r.status == .ok)
                let entries = APIRoutesTests.json(r.body)["entries"] as? [[String: Any]] ?? []
                #expect(entries.map { "\($0["target"] as? String ?? "") \($0["outcome"] as? String ?? "")" } == ["lead2 refused", "lead2 ok"], "newest first")
            }
            try await client.execute(uri: "/api/v1/audit?actor=disp&limit=1", method: .get, headers: admin) { r in
                let body = APIRoutesTests.json(r.body)
                let entries = body["entries"] as? [[String: Any]] ?? []
                #expect(entries.count == 1 && entries.first?["action"] as? String == "user add" && entries.first?["outcome"] as? String == "refused")
                #expect(body["next_offset"] as? Int == 1)
            }
            try await client.execute(uri: "/api/v1/audit?since=\(Timestamp.now().adding(seconds: 3600).iso8601)", method: .get, headers: admin) { r in
                #expect((APIRoutesTests.json(r.body)["entries"] as? [Any])?.isEmpty == true)
            }
            for (query, field) in [("limit=0", "limit"), ("since=soon", "since"), ("offset=x", "offset")] {
                try await client.execute(uri: "/api/v1/audit?\(query)", method: .get, headers: admin) { r in
                    #expect(r.status == .badRequest && APIRoutesTests.error(r.body).field == field, "\(query)")
                }
            }
        }
        let audit = try await f.parts.store.audit(limit: 100).reversed().filter { $0.action.hasPrefix("user ") }
            .map { "\($0.actor) \($0.action) \($0.target) \($0.outcome)" }
        let api = audit.filter { !$0.hasPrefix("cli ") }  // the fixture adds its users from the command line
        #expect(api == ["disp user add users refused", "root user add lead2 ok", "root user add lead2 refused",
                        "view user passwd lead2 refused", "root user passwd nobody refused", "root user passwd lead2 ok"], "\(api)")
    }
}
