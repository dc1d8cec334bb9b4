import RecordWriter
import DockLink
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanServer
import TianyanSQLite
import TianyanTesting
import Yams

/// The API's routes and error bodies through Hummingbird's test client (no gateway connected:
/// pages are refused or queued, never sent).
@Suite("HTTP API routes")
struct APIRoutesTests {
    struct Fixture {
        let dir: TemporaryDirectory
        let parts: Controller.Parts
    }

    static func fixture(gateways: [String] = []) async throws -> Fixture {
        let dir = try TemporaryDirectory("tianyan-api")
        var config = TianyanConfiguration()
        config.database = dir.file("db.sqlite")
        config.profilesDirectory = packageRoot() + "/firmware-profiles"
        config.mqtt = "mqtt://127.0.0.1:1"
        config.gateways = try gateways.map { try RadioGatewaySetting(parsing: $0) }
        let logger = Logger(label: "test.api")
        let controller = Controller(configuration: config, logger: logger)
        let database = try controller.openDatabase()
        let store = FleetStore(database: database)
        let registry = FleetSample.make()
        try await store.replaceRegistry(registry)
        let writer = StoreWriter(database: database)
        let docks = try DockService(configuration: config, profiles: try controller.loadDockProfiles(), registry: registry,
                                    openAlarms: [], sink: writer, logger: logger)
        let radios = try controller.makeRadioNetwork(registry: registry, sink: writer)
        let users = UserDirectory(database: database)
        try await users.add(name: "disp", role: .dispatcher, password: Self.password)
        try await users.add(name: "view", role: .viewer, password: Self.password)
        return Fixture(dir: dir, parts: .init(database: database, store: store, docks: docks, radios: radios, writer: writer))
    }

    static let password = "correct horse battery"

    /// Logs in and returns the header that carries the session.
    static func login(_ client: some TestClientProtocol, _ name: String = "disp") async throws -> HTTPFields {
        let token = try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                             body: ByteBuffer(string: #"{"name": "\#(name)", "password": "\#(password)"}"#)) { r in
            #expect(r.status == .created)
            return json(r.body)["token"] as? String ?? ""
        }
        return [.authorization: "Bearer \(token)"]
    }

    static func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }

    static func error(_ buffer: ByteBuffer) -> (message: String, field: String?) {
        let e = json(buffer)["error"] as? [String: Any] ?? [:]
        return (e["message"] as? String ?? "", e["field"] as? String)
    }

    @Test("bad requests get 4xx with a JSON body naming the field")
    func badRequests() async throws {
        let f = try await Self.fixture(gateways: ["g1=tcp://127.0.0.1:1"])
        defer { f.dir.remove() }
        let app = Application(router: APIServer.router(parts: f.parts.services))
        try await app.test(.router) { client in
            let auth = try await Self.login(client)
            try await client.execute(uri: "/api/v1/pages", method: .post, headers: auth, body: ByteBuffer(string: "not json")) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).message.contains("not JSON"))
                #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, headers: auth, body: ByteBuffer(string: #"{"to": 2100001, "text": "x"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).field == "to")
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, headers: auth, body: ByteBuffer(string: #"{"to": "2100001"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).field == "text" && Self.error(r.body).message.contains("missing"))
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, headers: auth, body: ByteBuffer(string: #"{"to": "1;ATH", "text": "x"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).field == "to")
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, headers: auth, body: ByteBuffer(string: #"{"to": "2100001", "text": "x", "gateway": "nope"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).field == "gateway")
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"to": "2100001", "text": "\#(String(repeating: "x", count: 400))"}"#)) { r in
                #expect(r.status == .badRequest, "a text too long for one SDS")
                #expect(Self.error(r.body).field == "text")
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, headers: auth,
                                     body: ByteBuffer(string: String(repeating: "x", count: 70_000))) { r in
                #expect(r.status == .contentTooLarge)
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, headers: auth, body: ByteBuffer(string: #"{"to": "2100001", "status": "teleport"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).field == "status" && Self.error(r.body).message.contains("known:"))
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, headers: auth, body: ByteBuffer(string: #"{"to": "2100001", "status": 0}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).message.contains("emergency"))
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, headers: auth, body: ByteBuffer(string: #"{"to": "2100001", "status": "0x8004", "text": "x"}"#)) { r in
                #expect(r.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/pages?limit=0", method: .get, headers: auth) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).field == "limit")
            }
            try await client.execute(uri: "/api/v1/pages?since=yesterday", method: .get, headers: auth) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).field == "since")
            }
            try await client.execute(uri: "/api/v1/pages/PG-0-1", method: .get, headers: auth) { r in
                #expect(r.status == .notFound)
                #expect(Self.error(r.body).message.contains("PG-0-1"))
            }
        }
    }

    @Test("a page to a gateway that is not connected is queued (202) and listed; healthz says what is down")
    func queuedPageAndHealth() async throws {
        let f = try await Self.fixture(gateways: ["g1=tcp://127.0.0.1:1"])
        defer { f.dir.remove() }
        let app = Application(router: APIServer.router(parts: f.parts.services))
        try await app.test(.router) { client in
            let auth = try await Self.login(client)
            var id = ""
            try await client.execute(uri: "/api/v1/pages", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"to": "CM-0002", "text": "Stand by"}"#)) { r in
                #expect(r.status == .accepted)
                let page = Self.json(r.body)
                id = page["id"] as? String ?? ""
                #expect(page["to"] as? String == "2100002" && page["state"] as? String == "queued" && page["gateway"] as? String == "g1")
                #expect(r.headers[.location] == "/api/v1/pages/\(id)")
            }
            try await client.execute(uri: "/api/v1/pages/\(id)", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                #expect(Self.json(r.body)["requested_by"] as? String == "disp", "the session's user is the sender")
            }
            try await client.execute(uri: "/healthz", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                let problems = Self.json(r.body)["problems"] as? [String] ?? []
                #expect(problems.contains("broker") && problems.contains("gateway g1"), "\(problems)")
            }
            try await client.execute(uri: "/api/v1/gateways", method: .get, headers: auth) { r in
                let gateways = Self.json(r.body)["gateways"] as? [[String: Any]] ?? []
                #expect(gateways.first?["name"] as? String == "g1" && gateways.first?["ready"] as? Bool == false)
            }
        }
    }

    @Test("with no gateway configured a page is refused with 503 and a hint")
    func noGateway() async throws {
        let f = try await Self.fixture()
        defer { f.dir.remove() }
        let app = Application(router: APIServer.router(parts: f.parts.services))
        try await app.test(.router) { client in
            let auth = try await Self.login(client)
            try await client.execute(uri: "/api/v1/pages", method: .post, headers: auth, body: ByteBuffer(string: #"{"to": "2100001", "text": "x"}"#)) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(Self.error(r.body).message.contains("--gateway"))
            }
        }
    }

    @Test("the OpenAPI document lists exactly the routes the server has, and it is served")
    func openAPIMatchesTheRoutes() async throws {
        let f = try await Self.fixture(gateways: ["g1=tcp://127.0.0.1:1"])
        defer { f.dir.remove() }
        let (router, routes) = APIServer.build(parts: f.parts.services)
        let app = Application(router: router)
        try await app.test(.router) { client in
            let auth = try await Self.login(client)
            try await client.execute(uri: "/api/v1/openapi.yaml", method: .get) { r in
                #expect(r.status == .ok)
                let doc = try #require(try Yams.load(yaml: String(buffer: r.body)) as? [String: Any])
                let paths = try #require(doc["paths"] as? [String: Any])
                var documented: [String] = []
                for (path, item) in paths {
                    for method in (item as? [String: Any] ?? [:]).keys where ["get", "post", "put", "patch", "delete"].contains(method) {
                        documented.append("\(method.uppercased()) \(path)")
                    }
                }
                #expect(Set(documented) == Set(routes), "documented only: \(Set(documented).subtracting(routes)); served only: \(Set(routes).subtracting(documented))")
                #expect(routes.count == Set(routes).count)
            }
            // Every documented GET answers (not 404/405) with the content type the document gives.
            for route in routes where route.hasPrefix("GET ") {
                let path = String(route.dropFirst(4)).replacingOccurrences(of: "{id}", with: "PG-0-0").replacingOccurrences(of: "{name}", with: "PG-0-0")
                try await client.execute(uri: path, method: .get) { r in
                    #expect(r.status != .methodNotAllowed && (r.status != .notFound || path.contains("PG-0-0")), "\(route): \(r.status)")
                }
            }
        }
    }

    @Test("/metrics exposes gateway, broker and store figures in the Prometheus format")
    func metrics() async throws {
        let f = try await Self.fixture(gateways: ["g1=tcp://127.0.0.1:1"])
        defer { f.dir.remove() }
        let app = Application(router: APIServer.router(parts: f.parts.services))
        try await app.test(.router) { client in
            let auth = try await Self.login(client)
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.status == .ok)
                let text = String(buffer: r.body)
                for line in ["tianyan_mqtt_connected 0", #"tianyan_gateway_connected{gateway="g1"} 0"#, #"tianyan_gateway_ready{gateway="g1"} 0"#,
                             "# TYPE tianyan_dock_messages_total counter", "# HELP tianyan_gateway_unhandled_lines_total"] {
                    #expect(text.contains(line), "missing \(line) in:\n\(text)")
                }
            }
        }
    }

    @Test("sessions: no token 401, wrong role 403, wrong password 401 then rate-limited 429, logout ends the session; security headers")
    func sessionsAndRoles() async throws {
        let f = try await Self.fixture(gateways: ["g1=tcp://127.0.0.1:1"])
        defer { f.dir.remove() }
        let app = Application(router: APIServer.router(parts: f.parts.services))
        try await app.test(.router) { client in
            let page = ByteBuffer(string: #"{"to": "2100001", "text": "x"}"#)
            try await client.execute(uri: "/api/v1/pages", method: .post, body: page) { r in
                #expect(r.status == .unauthorized)
                #expect(r.headers[HTTPField.Name("Content-Security-Policy")!] == "default-src 'none'; frame-ancestors 'none'")
                #expect(r.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == nil)
            }
            try await client.execute(uri: "/api/v1/pages", method: .get, headers: [.authorization: "Bearer nonsense"]) { r in
                #expect(r.status == .unauthorized)
            }
            let viewer = try await Self.login(client, "view")
            try await client.execute(uri: "/api/v1/pages", method: .get, headers: viewer) { r in #expect(r.status == .ok) }
            try await client.execute(uri: "/api/v1/pages", method: .post, headers: viewer, body: page) { r in
                #expect(r.status == .forbidden)
                #expect(Self.error(r.body).message.contains("dispatcher"))
            }
            for _ in 0..<5 {
                try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: #"{"name": "disp", "password": "guess-guess-guess"}"#)) { r in
                    #expect(r.status == .unauthorized)
                    #expect(Self.error(r.body).message == "wrong name or password")
                }
            }
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"name": "disp", "password": "\#(Self.password)"}"#)) { r in
                #expect(r.status == .tooManyRequests, "even the right password waits after 5 failures in a minute")
                #expect(r.headers[.retryAfter] != nil)
            }
            try await client.execute(uri: "/api/v1/session", method: .delete, headers: viewer) { r in #expect(r.status == .noContent) }
            try await client.execute(uri: "/api/v1/pages", method: .get, headers: viewer) { r in #expect(r.status == .unauthorized) }
        }
    }

    @Test("passwords are stored as yescrypt hashes and checked in full")
    func passwordHashes() throws {
        let hash = try PasswordHash.make("correct horse battery")
        #expect(hash.hasPrefix("$y$") && !hash.contains("correct"))
        #expect(PasswordHash.verify("correct horse battery", against: hash))
        #expect(!PasswordHash.verify("correct horse batterY", against: hash))
        #expect(!PasswordHash.verify("", against: hash))
        #expect(try PasswordHash.make("correct horse battery") != hash, "a fresh salt each time")
    }

    @Test("acknowledging an alarm the running writer still holds queued finds it (200, not 404), with its audit line")
    func acknowledgeQueuedAlarm() async throws {
        let f = try await Self.fixture()
        defer { f.dir.remove() }
        // A long batch delay: the alarm is still queued when the acknowledgement arrives.
        let writer = StoreWriter(database: f.parts.database!, configuration: .init(batchSize: 1_000, maxDelay: .milliseconds(500)))
        let running = Task { try await writer.run() }
        defer { running.cancel() }
        var parts = f.parts
        parts.writer = writer
        try await Application(router: APIServer.router(parts: parts.services)).test(.router) { client in
            let auth = try await Self.login(client)
            writer.submit([.alarm(Alarm(id: "emergency-2100003-9", unit: "2100003", time: .now(), kind: "emergency", severity: .emergency,
                                        code: "status-0", text: "Emergency from CM-0003"))])
            try await client.execute(uri: "/api/v1/alarms/emergency-2100003-9/ack", method: .post, headers: auth) { r in
                #expect(r.status == .ok, "\(String(buffer: r.body))")
                #expect(Self.json(r.body)["acknowledged_by"] as? String == "disp")
            }
        }
        let audit = try await parts.store.audit(limit: 10).filter { $0.action == "alarm ack" }
        #expect(audit.map { "\($0.actor) \($0.target)" } == ["disp emergency-2100003-9"])
    }

    @Test("alarms: listed with a session; acknowledged and cleared with a note by a dispatcher, audited; a viewer may not; cleared twice is 409")
    func alarmHandling() async throws {
        let f = try await Self.fixture()
        defer { f.dir.remove() }
        let writer = StoreWriter(database: f.parts.database!, configuration: .init(batchSize: 100, maxDelay: .milliseconds(2)))
        let group = ServiceGroup(services: [writer], logger: Logger(label: "test.writer"))
        let running = Task { try await group.run() }
        let ticket = writer.submit([.alarm(Alarm(id: "emergency-2100003-1", unit: "2100003", time: Timestamp(milliseconds: 1_800_000_000_000),
                                                 kind: "emergency", severity: .emergency, code: "status-0", text: "Emergency from CM-0003"))])
        try await writer.waitUntilCommitted(ticket)
        await group.triggerGracefulShutdown()
        _ = try? await running.value

        let app = Application(router: APIServer.router(parts: f.parts.services))
        try await app.test(.router) { client in
            let auth = try await Self.login(client)
            let viewer = try await Self.login(client, "view")
            try await client.execute(uri: "/api/v1/alarms?open=true", method: .get, headers: viewer) { r in
                #expect(r.status == .ok)
                let list = Self.json(r.body)["alarms"] as? [[String: Any]] ?? []
                #expect(list.count == 1 && list.first?["acknowledged_at"] is NSNull)
            }
            try await client.execute(uri: "/api/v1/alarms?open=maybe", method: .get, headers: viewer) { r in
                #expect(r.status == .badRequest && Self.error(r.body).field == "open")
            }
            try await client.execute(uri: "/api/v1/alarms/emergency-2100003-1/ack", method: .post, headers: viewer) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/alarms/emergency-2100003-1/ack", method: .post, headers: auth) { r in
                #expect(r.status == .ok)
                #expect(Self.json(r.body)["acknowledged_by"] as? String == "disp")
            }
            try await client.execute(uri: "/api/v1/alarms/emergency-2100003-1/clear", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"note": " "}"#)) { r in
                #expect(r.status == .badRequest && Self.error(r.body).field == "note")
            }
            try await client.execute(uri: "/api/v1/alarms/emergency-2100003-1/clear", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"note": "false press, confirmed by radio"}"#)) { r in
                #expect(r.status == .ok)
                let a = Self.json(r.body)
                #expect(a["cleared_by"] as? String == "disp" && a["note"] as? String == "false press, confirmed by radio")
            }
            try await client.execute(uri: "/api/v1/alarms/emergency-2100003-1/clear", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"note": "again"}"#)) { r in
                #expect(r.status == .conflict)
            }
            try await client.execute(uri: "/api/v1/alarms/nope/ack", method: .post, headers: auth) { r in #expect(r.status == .notFound) }
            try await client.execute(uri: "/api/v1/alarms?open=true", method: .get, headers: auth) { r in
                #expect((Self.json(r.body)["alarms"] as? [Any])?.isEmpty == true)
            }
        }
        let audit = try await f.parts.store.audit(limit: 20)
        #expect(audit.contains { $0.action == "alarm ack" && $0.actor == "disp" && $0.target == "emergency-2100003-1" })
        #expect(audit.contains { $0.action == "alarm clear" && $0.detail == "false press, confirmed by radio" })
    }
}
