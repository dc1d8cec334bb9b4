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
}
