import DockLink
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TianyanApp
import TianyanModel
import TianyanServer
import TianyanStore
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
        return Fixture(dir: dir, parts: .init(database: database, store: store, docks: docks, radios: radios))
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
        let app = Application(router: APIServer.router(parts: f.parts))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/pages", method: .post, body: ByteBuffer(string: "not json")) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).message.contains("not JSON"))
                #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, body: ByteBuffer(string: #"{"to": 2100001, "text": "x"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).field == "to")
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, body: ByteBuffer(string: #"{"to": "2100001"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).field == "text" && Self.error(r.body).message.contains("missing"))
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, body: ByteBuffer(string: #"{"to": "1;ATH", "text": "x"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).field == "to")
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, body: ByteBuffer(string: #"{"to": "2100001", "text": "x", "gateway": "nope"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).field == "gateway")
            }
            try await client.execute(uri: "/api/v1/pages", method: .post,
                                     body: ByteBuffer(string: #"{"to": "2100001", "text": "\#(String(repeating: "x", count: 400))"}"#)) { r in
                #expect(r.status == .badRequest, "a text too long for one SDS")
                #expect(Self.error(r.body).field == "text")
            }
            try await client.execute(uri: "/api/v1/pages", method: .post,
                                     body: ByteBuffer(string: String(repeating: "x", count: 70_000))) { r in
                #expect(r.status == .contentTooLarge)
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, body: ByteBuffer(string: #"{"to": "2100001", "status": "teleport"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).field == "status" && Self.error(r.body).message.contains("known:"))
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, body: ByteBuffer(string: #"{"to": "2100001", "status": 0}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).message.contains("emergency"))
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, body: ByteBuffer(string: #"{"to": "2100001", "status": "0x8004", "text": "x"}"#)) { r in
                #expect(r.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/pages?limit=0", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).field == "limit")
            }
            try await client.execute(uri: "/api/v1/pages?since=yesterday", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(Self.error(r.body).field == "since")
            }
            try await client.execute(uri: "/api/v1/pages/PG-0-1", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(Self.error(r.body).message.contains("PG-0-1"))
            }
        }
    }

    @Test("a page to a gateway that is not connected is queued (202) and listed; healthz says what is down")
    func queuedPageAndHealth() async throws {
        let f = try await Self.fixture(gateways: ["g1=tcp://127.0.0.1:1"])
        defer { f.dir.remove() }
        let app = Application(router: APIServer.router(parts: f.parts))
        try await app.test(.router) { client in
            var id = ""
            try await client.execute(uri: "/api/v1/pages", method: .post,
                                     body: ByteBuffer(string: #"{"to": "CM-0002", "text": "Stand by", "requested_by": "lead-1"}"#)) { r in
                #expect(r.status == .accepted)
                let page = Self.json(r.body)
                id = page["id"] as? String ?? ""
                #expect(page["to"] as? String == "2100002" && page["state"] as? String == "queued" && page["gateway"] as? String == "g1")
                #expect(r.headers[.location] == "/api/v1/pages/\(id)")
            }
            try await client.execute(uri: "/api/v1/pages/\(id)", method: .get) { r in
                #expect(r.status == .ok)
                #expect(Self.json(r.body)["requested_by"] as? String == "lead-1")
            }
            try await client.execute(uri: "/healthz", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                let problems = Self.json(r.body)["problems"] as? [String] ?? []
                #expect(problems.contains("broker") && problems.contains("gateway g1"), "\(problems)")
            }
            try await client.execute(uri: "/api/v1/gateways", method: .get) { r in
                let gateways = Self.json(r.body)["gateways"] as? [[String: Any]] ?? []
                #expect(gateways.first?["name"] as? String == "g1" && gateways.first?["ready"] as? Bool == false)
            }
        }
    }

    @Test("with no gateway configured a page is refused with 503 and a hint")
    func noGateway() async throws {
        let f = try await Self.fixture()
        defer { f.dir.remove() }
        let app = Application(router: APIServer.router(parts: f.parts))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/pages", method: .post, body: ByteBuffer(string: #"{"to": "2100001", "text": "x"}"#)) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(Self.error(r.body).message.contains("--gateway"))
            }
        }
    }

    @Test("the OpenAPI document lists exactly the routes the server has, and it is served")
    func openAPIMatchesTheRoutes() async throws {
        let f = try await Self.fixture(gateways: ["g1=tcp://127.0.0.1:1"])
        defer { f.dir.remove() }
        let (router, routes) = APIServer.build(parts: f.parts)
        let app = Application(router: router)
        try await app.test(.router) { client in
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
                let path = String(route.dropFirst(4)).replacingOccurrences(of: "{id}", with: "PG-0-0")
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
        let app = Application(router: APIServer.router(parts: f.parts))
        try await app.test(.router) { client in
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
}
