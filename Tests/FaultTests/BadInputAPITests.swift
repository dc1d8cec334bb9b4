import CoveragePlanner
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

/// Scenario 5 of issue 7, the HTTP door: every route the router serves (enumerated from
/// `APIServer.build(parts:)`, as the OpenAPI test does), hit without a session, with the wrong
/// role, with bad JSON, wrong types, an oversized body and garbage path parameters. The answer
/// is always the right 4xx with a JSON error body, never a 500.
@Suite("Bad input at the HTTP API", .serialized, .timeLimit(.minutes(3)))
struct BadInputAPITests {
    static let password = "correct horse battery"

    struct Fixture {
        let dir: TemporaryDirectory
        let parts: Controller.Parts
        let routes: [String]
        let routeFile: String
        let writerTask: Task<Void, any Error>
    }

    static func fixture() async throws -> Fixture {
        let dir = try TemporaryDirectory("tianyan-bad-input")
        var config = TianyanConfiguration()
        config.database = dir.file("db.sqlite")
        config.profilesDirectory = packageRoot() + "/firmware-profiles"
        config.mqtt = "mqtt://127.0.0.1:1"
        config.gateways = [try RadioGatewaySetting(parsing: "g1=tcp://127.0.0.1:1")]
        var logger = Logger(label: "test.bad-input")
        logger.logLevel = .critical
        let controller = Controller(configuration: config, logger: logger)
        let database = try controller.openDatabase()
        let store = FleetStore(database: database)
        let registry = FleetSample.make()
        try await store.replaceRegistry(registry)
        let writer = StoreWriter(database: database, logger: logger)
        let writerTask = Task { try await writer.run() }
        let profiles = try controller.loadDockProfiles()
        let docks = try DockService(configuration: config, profiles: profiles, registry: registry, openAlarms: [], sink: writer, logger: logger)
        let radios = try controller.makeRadioNetwork(registry: registry, sink: writer)
        var settings = SortieService.Settings(routeFilesURL: "http://127.0.0.1:9/files/routes/")
        settings.flyingHours = FlyingHours(startHour: 0, endHour: 24)
        let sorties = SortieService(settings: settings, store: store, sink: writer, docks: docks,
                                    rules: MaintenanceRules(), logger: logger)
        let routeFile = docks.routeFiles.add(Array("PK-route".utf8), fingerprint: String(repeating: "ab", count: 16))
        let users = UserDirectory(database: database)
        for role in Role.allCases { try await users.add(name: "u-\(role.rawValue)", role: role, password: password) }
        var parts = Controller.Parts(database: database, store: store, docks: docks, radios: radios, writer: writer, sorties: sorties,
                                     live: LiveFeed(logger: logger))
        // The dispatch task routes answer 503 without their service: give them one.
        parts.tasks = TaskService(store: store, sink: writer, radios: radios, logger: logger)
        return Fixture(dir: dir, parts: parts, routes: APIServer.build(parts: parts.services).routes, routeFile: routeFile, writerTask: writerTask)
    }

    static func login(_ client: some TestClientProtocol, _ role: Role) async throws -> HTTPFields {
        let token = try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                             body: ByteBuffer(string: #"{"name": "u-\#(role.rawValue)", "password": "\#(password)"}"#)) { r in
            json(r.body)["token"] as? String ?? ""
        }
        return [.authorization: "Bearer \(token)"]
    }

    static func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
    }

    /// A JSON error body: {"error": {"message": …}}.
    static func hasErrorBody(_ buffer: ByteBuffer) -> Bool {
        ((json(buffer)["error"] as? [String: Any])?["message"] as? String).map { !$0.isEmpty } ?? false
    }

    /// `METHOD /a/{p}/b` with its parameters filled in.
    static func request(_ route: String, parameter: String = "1") -> (HTTPRequest.Method, String) {
        let parts = route.split(separator: " ", maxSplits: 1)
        let path = parts[1].split(separator: "/").map { $0.hasPrefix("{") ? parameter : String($0) }.joined(separator: "/")
        return (HTTPRequest.Method(String(parts[0]))!, "/" + path)
    }

    /// Routes that need no session, and why.
    static let open: Set<String> = [
        "POST /api/v1/session",  // logging in
    ]
    /// Mutating routes a viewer may call, and why.
    static let viewerMay: Set<String> = [
        "POST /api/v1/session", "DELETE /api/v1/session",  // logging in and out
        "POST /api/v1/users/{name}/password",  // one's own password (another's is refused further on)
    ]

    /// Mutating routes that read no body, so bad JSON does not matter to them.
    static let noBody: Set<String> = [
        "DELETE /api/v1/session",  // logging out
    ]

    static let mutating: Set<HTTPRequest.Method> = [.post, .put, .patch, .delete]

    @Test("every mutating route: no session 401, a viewer 403, bad JSON 400 with a JSON error body, wrong types and 100 KiB bodies a 4xx; never 500")
    func everyMutatingRoute() async throws {
        let f = try await Self.fixture()
        defer { f.writerTask.cancel(); f.dir.remove() }
        let app = Application(router: APIServer.router(parts: f.parts.services))
        let mutatingRoutes = f.routes.filter { Self.mutating.contains(Self.request($0).0) }
        #expect(mutatingRoutes.count >= 10, "the router's mutating routes: \(mutatingRoutes)")
        try await app.test(.router) { client in
            var sessions: [Role: HTTPFields] = [:]
            for role in Role.allCases { sessions[role] = try await Self.login(client, role) }
            var failures: [String] = []
            func check(_ route: String, _ what: String, headers: HTTPFields, body: ByteBuffer?,
                       _ accept: (HTTPResponse.Status, ByteBuffer) -> Bool) async throws {
                let (method, uri) = Self.request(route)
                var headers = headers
                headers[.contentType] = "application/json"
                let (status, answer) = try await client.execute(uri: uri, method: method, headers: headers, body: body) { r in (r.status, r.body) }
                if status.code >= 500 || !accept(status, answer) {
                    failures.append("\(route) \(what): \(status.code) \(String(buffer: answer).prefix(200))")
                }
            }
            let badBodies: [(String, String)] = [
                ("bad JSON", "{"), ("not an object", "[1, 2]"), ("a bare string", "\"x\""), ("binary", "\u{0}\u{1}\u{FF}"),
                ("wrong types", #"{"name": 5, "password": [], "role": {}, "to": 12, "text": false, "cells": "x", "note": 7, "id": null, "drone": 1.5, "urgent": "yes", "start": {}, "kind": []}"#),
                ("huge numbers", #"{"to": 1e400, "cells": [1e308], "priority": -99999999999999999999}"#),
                ("deep nesting", String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)),
            ]
            let oversized = ByteBuffer(string: #"{"text": ""# + String(repeating: "x", count: 100 * 1024) + #""}"#)
            for route in mutatingRoutes {
                let someBody = ByteBuffer(string: "{}")
                if !Self.open.contains(route) {
                    try await check(route, "without a session", headers: [:], body: someBody) { s, b in s == .unauthorized && Self.hasErrorBody(b) }
                    try await check(route, "with a bad token", headers: [.authorization: "Bearer x"], body: someBody) { s, b in
                        s == .unauthorized && Self.hasErrorBody(b)
                    }
                }
                if !Self.viewerMay.contains(route) {
                    try await check(route, "as a viewer", headers: sessions[.viewer]!, body: someBody) { s, b in s == .forbidden && Self.hasErrorBody(b) }
                }
                // The admin may do everything: what it gets back is about the body alone.
                for (what, text) in badBodies {
                    try await check(route, what, headers: sessions[.admin]!, body: ByteBuffer(string: text)) { s, b in
                        // A route that reads no body may answer 404 for the path's made-up id.
                        (s.code >= 400 && s.code < 500 && Self.hasErrorBody(b)) || ((what != "bad JSON" || Self.noBody.contains(route)) && s.code < 300)
                    }
                }
                try await check(route, "100 KiB body", headers: sessions[.admin]!, body: oversized) { s, b in
                    s.code >= 400 && s.code < 500 && Self.hasErrorBody(b)
                }
            }
            #expect(failures.isEmpty, "\(failures.count) wrong answers:\n\(failures.joined(separator: "\n"))")
        }
    }

    @Test("every route with garbage path parameters and query strings: a 4xx with a JSON body or a 2xx, never 500")
    func everyRouteWithGarbageParameters() async throws {
        let f = try await Self.fixture()
        defer { f.writerTask.cancel(); f.dir.remove() }
        let app = Application(router: APIServer.router(parts: f.parts.services))
        try await app.test(.router) { client in
            let admin = try await Self.login(client, .admin)
            var failures: [String] = []
            let parameters = ["0", "-1", "99999999999999999999", "%00", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..", "%ff%fe", "x'%20OR%201=1--",
                              String(repeating: "a", count: 4000)]
            let queries = ["", "?limit=-5", "?limit=abc", "?limit=99999999999999999999", "?since=yesterday", "?since=%00&until=1e400",
                           "?bbox=1,2,3", "?bbox=a,b,c,d", "?talkgroup=%ff", "?unit=&limit=", "?&&&=&="]
            for route in f.routes {
                let (method, _) = Self.request(route)
                if route.contains("openapi") || route == "POST /api/v1/session" || route == "DELETE /api/v1/session" { continue }
                for parameter in (route.contains("{") ? parameters : ["-"]) {
                    for query in (method == .get ? queries : [""]) {
                        let (_, uri) = Self.request(route, parameter: parameter)
                        let (status, answer) = try await client.execute(uri: uri + query, method: method, headers: admin,
                                                                        body: ByteBuffer(string: "{}")) { r in (r.status, r.body) }
                        // /healthz is 503 here by design: no broker, no gateway (its body says so).
                        let degraded = route == "GET /healthz" && status == .serviceUnavailable
                        if (status.code >= 500 && !degraded) || (status.code >= 400 && !degraded && !Self.hasErrorBody(answer)) {
                            failures.append("\(route) \(parameter.prefix(40)) \(query): \(status.code) \(String(buffer: answer).prefix(160))")
                        }
                    }
                }
            }
            #expect(failures.isEmpty, "\(failures.count) wrong answers:\n\(failures.joined(separator: "\n"))")
        }
    }

    @Test("route files: only the exact name serves the file; traversal, encoded slashes and near-misses are 404 with no file bytes")
    func routeFileTraversal() async throws {
        let f = try await Self.fixture()
        defer { f.writerTask.cancel(); f.dir.remove() }
        let app = Application(router: APIServer.router(parts: f.parts.services))
        try await app.test(.router) { client in
            try await client.execute(uri: "/files/routes/\(f.routeFile)", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == "PK-route")
            }
            let attempts = ["../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/etc/passwd", "....//....//etc/passwd",
                            f.routeFile.uppercased(), "./\(f.routeFile)", "\(f.routeFile)%00.txt", "\(f.routeFile)/..",
                            "/etc/passwd", "%2fetc%2fpasswd", "..\\..\\etc\\passwd", String(repeating: "../", count: 200) + "etc/passwd",
                            "\(f.routeFile.dropLast(4)).KMZ", "", "%"]
            for name in attempts {
                try await client.execute(uri: "/files/routes/" + name, method: .get) { r in
                    #expect(r.status.code >= 400 && r.status.code < 500, "\(name): \(r.status)")
                    #expect(!String(buffer: r.body).contains("root:") && String(buffer: r.body) != "PK-route", "\(name) served a file")
                }
            }
        }
    }
}
