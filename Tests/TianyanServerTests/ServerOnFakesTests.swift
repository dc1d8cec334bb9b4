import CoveragePlanner
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TianyanDispatch
import TianyanModel
import TianyanServer
import TianyanTesting

/// The HTTP server over the dispatch layer on the ports' fakes: an in-memory store, a fake radio
/// gateway and a fake dock fleet. No database file, no broker, no pty: the server needs nothing
/// but the ports.
@Suite("HTTP server on the ports' fakes")
struct ServerOnFakesTests {
    /// Passwords kept in the clear: the fakes' stand-in for yescrypt (the real one is in TianyanApp).
    struct ClearHasher: PasswordHasher {
        func hash(_ password: String) throws -> String { "clear$" + password }
        func verify(_ password: String, against hash: String) -> Bool { hash == "clear$" + password }
    }

    struct Fakes {
        let store: InMemoryStore
        let gateway: FakeRadioGateway
        let docks: FakeDockFleet
        let services: DispatchServices
    }

    static func fakes() async throws -> Fakes {
        let registry = FleetSample.make()
        let store = InMemoryStore(registry: registry)
        let gateway = FakeRadioGateway(name: "g1", sink: store)
        let docks = FakeDockFleet(sink: store, capabilities: FakeDockFleet.sampleCapabilities)
        let radios = RadioNetwork(gateways: [gateway], directory: RadioDirectory(registry: registry), sink: store)
        let users = UserDirectory(store: store, hasher: ClearHasher())
        try await users.add(name: "disp", role: .dispatcher, password: APIRoutesTests.password)
        try await users.add(name: "lead", role: .lead, password: APIRoutesTests.password)
        var settings = SortieService.Settings(routeFilesURL: "http://127.0.0.1:9/files/routes/")
        settings.flyingHours = FlyingHours(startHour: 0, endHour: 24)
        var logger = Logger(label: "test.fakes")
        logger.logLevel = .warning
        let sorties = SortieService(settings: settings, store: store, sink: store, docks: docks, rules: MaintenanceRules(), logger: logger)
        let services = DispatchServices(store: store, sink: store, docks: docks, radios: radios, users: users, sorties: sorties)
        return Fakes(store: store, gateway: gateway, docks: docks, services: services)
    }

    @Test("a page through the API reaches the fake gateway, and its state is read back as the gateway moves it")
    func paging() async throws {
        let f = try await Self.fakes()
        try await Application(router: APIServer.router(parts: f.services)).test(.router) { client in
            let auth = try await APIRoutesTests.login(client)
            var headers = auth
            headers[.contentType] = "application/json"
            let radio = FleetSample.make().radios[0]
            let id = try await client.execute(uri: "/api/v1/pages", method: .post, headers: headers,
                                              body: ByteBuffer(string: #"{"to": "\#(radio.alias)", "text": "Report to the north gate"}"#)) { r in
                #expect(r.status == .accepted)
                let page = APIRoutesTests.json(r.body)
                #expect(page["gateway"] as? String == "g1" && page["to"] as? String == radio.issi && page["state"] as? String == "queued")
                return page["id"] as? String ?? ""
            }
            #expect(f.gateway.page(id: id)?.text == "Report to the north gate")
            f.gateway.advance(pageID: id, to: .read)
            try await client.execute(uri: "/api/v1/pages/\(id)", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                #expect(APIRoutesTests.json(r.body)["state"] as? String == "read")
            }
            try await client.execute(uri: "/api/v1/pages", method: .post, headers: headers,
                                     body: ByteBuffer(string: #"{"to": "\#(radio.issi)", "status": "0"}"#)) { r in
                #expect(r.status == .badRequest)
                #expect(APIRoutesTests.error(r.body).field == "status")
            }
            let audit = try await f.store.audit(limit: 10)
            #expect(audit.contains { $0.action == "page" && $0.outcome == "queued" } && audit.contains { $0.outcome == "refused" })
        }
    }

    @Test("/healthz and /metrics put together what the fakes report; the dock link down is a problem named broker")
    func healthAndMetrics() async throws {
        let f = try await Self.fakes()
        try await Application(router: APIServer.router(parts: f.services)).test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { r in
                #expect(r.status == .ok)
                let body = APIRoutesTests.json(r.body)
                let gateways = body["gateways"] as? [[String: Any]] ?? []
                #expect(gateways.first?["name"] as? String == "g1" && gateways.first?["pages_held"] as? Int == 0,
                        "the gateway's own details beside the neutral fields: \(gateways)")
                #expect((body["broker"] as? [String: Any])?["url"] as? String == "fake://docks")
            }
            f.docks.setUp(false)
            f.gateway.setReady(false)
            try await client.execute(uri: "/healthz", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                let problems = APIRoutesTests.json(r.body)["problems"] as? [String] ?? []
                #expect(problems == ["broker", "gateway g1"], "\(problems)")
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let text = String(buffer: r.body)
                #expect(text.contains(#"tianyan_gateway_ready{gateway="g1"} 0"#), "\(text.prefix(400))")
                #expect(text.contains("tianyan_mqtt_connected 0"))
            }
        }
    }

    @Test("a lead's plan and a sortie's pause go through the fake dock fleet; an unknown alarm is 404 from the store's error")
    func sortiesAndErrors() async throws {
        let f = try await Self.fakes()
        try await Application(router: APIServer.router(parts: f.services)).test(.router) { client in
            let lead = try await APIRoutesTests.login(client, "lead")
            var headers = lead
            headers[.contentType] = "application/json"
            try await client.execute(uri: "/api/v1/plan", method: .post, headers: headers, body: ByteBuffer(string: "{}")) { r in
                #expect(r.status == .ok, "\(String(buffer: r.body).prefix(300))")
            }
            let planned = try await f.store.sorties(states: [.planned])
            let s = try #require(planned.first, "the plan is in the in-memory store")
            try await client.execute(uri: "/api/v1/sorties/\(s.id)/pause", method: .post, headers: headers, body: ByteBuffer(string: "{}")) { r in
                #expect(r.status == .ok)
                #expect(APIRoutesTests.json(r.body)["state"] as? String == "held")
            }
            let disp = try await APIRoutesTests.login(client)
            try await client.execute(uri: "/api/v1/alarms/no-such-alarm/ack", method: .post, headers: disp) { r in
                #expect(r.status == .notFound)
                #expect(APIRoutesTests.error(r.body).message.contains("no-such-alarm"))
            }
        }
    }
}
