import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import ServiceLifecycle
import TianyanModel
import TianyanDispatch

/// The controller's HTTP server: `/healthz` and the `/api/v1` routes built so far (gateways and
/// pages). Errors are JSON bodies naming what was wrong and, where it applies, which field.
///
/// Not built yet (the console issue): users, roles and sessions. Until then the server listens
/// on loopback by default and every mutating route records `requested_by` from the request.
public enum APIServer {
    /// The Hummingbird application for `parts`, listening on `address` (`HOST:PORT`).
    public static func make(address: String, parts: DispatchServices, logger: Logger) throws -> some Service {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw HTTPServerError(message: "http address \(address) must be HOST:PORT")
        }
        let host = String(address[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let app = application(parts: parts, host: host, port: port, logger: logger) { bound in
            // The port really bound (an address with port 0 gets one from the system): the
            // docks fetch route files there unless http.public_url says otherwise.
            parts.sorties?.serverListening(host: host, port: bound)
        }
        return HTTPService(app: app, address: address)
    }

    /// The application: the API routes over HTTP/1.1, with the WebSocket upgrade for the live
    /// feed (`/api/v1/live`). `onListening` gets the port bound.
    public static func application(parts: DispatchServices, host: String, port: Int, logger: Logger,
                                   onListening: @escaping @Sendable (Int) -> Void = { _ in }) -> some ApplicationProtocol {
        let built = buildAll(parts: parts, logger: logger, listenHost: host)
        let checker = SessionChecker(sessions: built.sessions, users: parts.users, logger: logger)
        let config = parts.configuration
        let limits = HTTPLimits(idleSeconds: config.httpIdleTimeoutSeconds, readSeconds: config.httpHeaderTimeoutSeconds)
        let hosts = built.hosts
        let sessions = built.sessions
        // An upgrade that would be refused goes to the API's own route, which says why in JSON.
        let server = GuardedHTTPChannel.builder(live: built.live, configuration: LiveRoutes.serverConfiguration, limits: limits) { head in
            hosts.allows(head.headers.first(name: "host")) && LiveRoutes.mayUpgrade(head, parts: parts, sessions: sessions)
        }
        return Application(router: built.router,
                           server: server,
                           configuration: .init(address: .hostname(host, port: port), serverName: "tianyan"),
                           services: [checker],
                           onServerRunning: { channel in if let bound = channel.localAddress?.port { onListening(bound) } },
                           logger: logger)
    }

    public static func router(parts: DispatchServices) -> Router<APIRequestContext> { build(parts: parts).router }

    /// The router and every route it serves, as `METHOD /path/{param}` (the OpenAPI test compares
    /// this list with the document).
    public static func build(parts: DispatchServices) -> (router: Router<APIRequestContext>, routes: [String]) {
        let built = buildAll(parts: parts)
        return (built.router, built.routes)
    }

    /// The API router, the live feed's WebSocket router (sharing the sessions), the routes and
    /// the sessions.
    static func buildAll(parts: DispatchServices, logger: Logger = Logger(label: "tianyan.http"), listenHost: String = "127.0.0.1")
        -> (router: Router<APIRequestContext>, live: Router<LiveRequestContext>, routes: [String], sessions: Sessions, hosts: HostAllowList) {
        let router = Router(context: APIRequestContext.self)
        // CORS outermost, so that error answers carry it too.
        if !parts.configuration.corsOrigins.isEmpty { router.add(middleware: CrossOriginMiddleware(origins: Set(parts.configuration.corsOrigins))) }
        router.add(middleware: ErrorMiddleware())
        let hosts = HostAllowList(configured: parts.configuration.httpAllowedHosts, listenHost: listenHost,
                                  publicURL: parts.configuration.httpPublicURL)
        let table = RouteTable()
        router.add(middleware: RequestChecks(hosts: hosts, routes: table))
        let radios = parts.radios
        let store = parts.store
        let metrics = ControllerMetrics()
        let sessions = Sessions(lifetimeSeconds: Double(parts.configuration.sessionSeconds), logger: logger)
        let users = parts.users
        var routes: [String] = []
        func on(_ method: HTTPRequest.Method, _ path: String,
                _ handler: @escaping @Sendable (Request, APIRequestContext) async throws -> Response) {
            router.on(RouterPath(path), method: method, use: handler)
            let documented = path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
            routes.append("\(method.rawValue) /" + documented.joined(separator: "/"))
        }

        on(.get, "api/v1/openapi.yaml") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }

        on(.get, "metrics") { _, _ -> Response in
            metrics.refresh(parts)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }

        on(.get, "healthz") { _, _ -> Response in
            // Each component says what is wrong with it and what it reports; this only puts them together.
            let storeHealth = await store.health
            var problems = storeHealth.problems
            var database = storeHealth.fields["database"]?.string ?? "ok"
            let writer = parts.writerHealth()
            problems += writer.problems
            // The file can be readable while every write fails (a full disk, a read-only file).
            if let failing = writer.fields["database"]?.string { database = failing }
            let storeState = writer.fields.filter { $0.key != "database" }
            let docks = parts.docks.health
            problems += docks.problems
            let broker = PageJSON.foundation(docks.fields["broker"] ?? .object([:]))
            let gateways = radios.statuses
            for g in gateways where !g.ready { problems.append("gateway \(g.name)") }
            var body: [String: Any] = [
                "status": problems.isEmpty ? "ok" : "degraded",
                "problems": problems,
                "database": database,
                "broker": broker,
                "gateways": gateways.map(PageJSON.gateway),
                "time": Timestamp.now().iso8601,
            ]
            if !storeState.isEmpty { body["store"] = storeState.mapValues(PageJSON.foundation) }
            if let c = parts.sorties?.counters, let since = c.dockLinkDownSince {
                body["sorties"] = ["held_for_dock_link": c.heldForDockLink.count, "dock_link_down_since": since.iso8601] as [String: Any]
            }
            return PageJSON.response(problems.isEmpty ? .ok : .serviceUnavailable, body)
        }

        on(.post, "api/v1/session") { request, context -> Response in
            // A form post from another site needs no preflight; JSON does.
            guard JSONBody.isJSON(request) else {
                throw APIError(HTTPResponse.Status(code: 415, reasonPhrase: "Unsupported Media Type"),
                               "send the login as Content-Type: application/json", field: "Content-Type")
            }
            let address = context.clientAddress
            let body = try await JSONBody.read(request)
            let name = try body.string("name")
            let password = try body.string("password")
            if let wait = sessions.retryAfter(name: name, address: address) {
                var headers = HTTPFields()
                headers[.retryAfter] = "\(wait)"
                return PageJSON.error(.tooManyRequests, "too many failed logins; try again in \(wait) s", headers: headers)
            }
            let user: User, fingerprint: Int
            switch try await users.check(name: name, password: password) {
            case .refused:
                sessions.recordFailure(name: name, address: address)
                parts.sink.submit([.audit(AuditEntry(time: .now(), actor: String(name.prefix(40)), action: "login", target: "api",
                                                        outcome: "refused", detail: "wrong name or password"))])
                throw APIError(.unauthorized, "wrong name or password")
            case .disabled(let disabled):
                parts.sink.submit([.audit(AuditEntry(time: .now(), actor: disabled, action: "login", target: "api",
                                                        outcome: "refused", detail: "user disabled"))])
                throw APIError(.forbidden, "user \(disabled) is disabled; an admin can enable it (POST /api/v1/users/\(disabled)/enable or tianyan users enable \(disabled))")
            case .user(let u, let f):
                user = u
                fingerprint = f
            }
            sessions.clearFailures(name: name, address: address)
            let (token, expires) = sessions.create(for: user, fingerprint: fingerprint)
            parts.sink.submit([.audit(AuditEntry(time: .now(), actor: user.name, action: "login", target: "api", outcome: "ok"))])
            return PageJSON.response(.created, ["token": token, "user": user.name, "role": user.role.rawValue, "expires": expires.iso8601])
        }

        on(.get, "api/v1/session") { request, _ -> Response in
            let user = try sessions.authorize(request, role: nil)
            return PageJSON.response(.ok, ["user": user.name, "role": user.role.rawValue])
        }

        on(.delete, "api/v1/session") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            // Ends the session and closes the live connections opened with it.
            if let token = Sessions.bearer(request) { sessions.revoke(token) }
            return Response(status: .noContent)
        }

        on(.get, "api/v1/gateways") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            return PageJSON.response(.ok, ["gateways": radios.statuses.map(PageJSON.gateway)])
        }

        on(.post, "api/v1/pages") { request, _ -> Response in
            let user = try sessions.authorize(request, role: .dispatcher)
            let body = try await JSONBody.read(request)
            let to = try body.string("to")
            let text = try body.optionalString("text")
            let status = try body.optionalStringOrNumber("status")
            guard (text == nil) != (status == nil) else {
                throw APIError(.badRequest, text == nil ? "missing: give the page text, or a status for a status callout" : "give text or status, not both",
                               field: "text")
            }
            let gateway = try body.optionalString("gateway")
            let by = user.name
            let page = if let status { try radios.sendStatus(status, to: to, requestedBy: by, gateway: gateway) } else {
                try radios.page(text ?? "", to: to, requestedBy: by, gateway: gateway)
            }
            var headers = HTTPFields()
            headers[.location] = "/api/v1/pages/\(page.id)"
            return PageJSON.response(.accepted, PageJSON.page(page), headers: headers)
        }

        on(.get, "api/v1/pages") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            let q = request.uri.queryParameters
            let limit = try QueryValue.int(q["limit"].map(String.init), name: "limit", default: 100, range: 1...10_000)
            let since = try QueryValue.time(q["since"].map(String.init), name: "since")
            let destination = q["to"].map(String.init)
            let pages = try await store.pages(destination: destination, since: since, limit: limit)
            // The gateways hold fresher copies of recent pages than the store (the writer batches).
            let fresh = pages.map { radios.page(id: $0.id) ?? $0 }
            return PageJSON.response(.ok, ["pages": fresh.map(PageJSON.page)])
        }

        on(.get, "api/v1/pages/:id") { request, context -> Response in
            _ = try sessions.authorize(request, role: nil)
            let id = try context.parameters.require("id")
            if let page = radios.page(id: id) { return PageJSON.response(.ok, PageJSON.page(page)) }
            if let page = try await store.page(id: id) { return PageJSON.response(.ok, PageJSON.page(page)) }
            throw APIError(.notFound, "no page \(id)")
        }

        on(.post, "api/v1/radio-controls") { request, _ -> Response in
            let user = try sessions.authorize(request, role: .dispatcher)
            let body = try await JSONBody.read(request)
            let c = try radios.control(try body.string("action"), to: try body.string("to"), requestedBy: user.name,
                                       gateway: try body.optionalString("gateway"))
            var headers = HTTPFields()
            headers[.location] = "/api/v1/radio-controls/\(c.id)"
            return PageJSON.response(.accepted, PageJSON.control(c), headers: headers)
        }

        on(.get, "api/v1/radio-controls/:id") { request, context -> Response in
            _ = try sessions.authorize(request, role: nil)
            let id = try context.parameters.require("id")
            guard let c = radios.control(id: id) else { throw APIError(.notFound, "no radio-control request \(id) (they are kept since the controller started)") }
            return PageJSON.response(.ok, PageJSON.control(c))
        }

        on(.get, "api/v1/alarms") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            let q = request.uri.queryParameters
            let limit = try QueryValue.int(q["limit"].map(String.init), name: "limit", default: 100, range: 1...10_000)
            let open: Bool
            switch q["open"].map(String.init) {
            case nil, "false": open = false
            case "true": open = true
            case let other?: throw APIError(.badRequest, "\"\(other)\" must be true or false", field: "open")
            }
            let list = try await store.alarms(AlarmQuery(kind: q["kind"].map(String.init), unit: q["unit"].map(String.init), open: open, limit: limit))
            return PageJSON.response(.ok, ["alarms": list.map(PageJSON.alarm)])
        }

        on(.post, "api/v1/alarms/:id/ack") { request, context -> Response in
            let user = try sessions.authorize(request, role: .dispatcher)
            let id = try context.parameters.require("id")
            let note = try await JSONBody.readIfAny(request)?.optionalString("note")
            return PageJSON.response(.ok, PageJSON.alarm(try await store.acknowledgeAlarm(id, by: user.name, note: note, at: .now())))
        }

        on(.post, "api/v1/alarms/:id/clear") { request, context -> Response in
            let user = try sessions.authorize(request, role: .dispatcher)
            let id = try context.parameters.require("id")
            let note = try await JSONBody.read(request).string("note")
            guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw APIError(.badRequest, "say why the alarm is cleared", field: "note")
            }
            return PageJSON.response(.ok, PageJSON.alarm(try await store.clearAlarm(id, by: user.name, note: note, at: .now())))
        }

        SortieRoutes.add(on, parts: parts, sessions: sessions)
        UnitRoutes.add(on, parts: parts, sessions: sessions)
        TaskRoutes.add(on, parts: parts, sessions: sessions)
        RadioLogRoutes.add(on, parts: parts, sessions: sessions)
        MaintenanceRoutes.add(on, parts: parts, sessions: sessions)
        RegistryRoutes.add(on, parts: parts, sessions: sessions)
        AuditRoutes.add(on, parts: parts, sessions: sessions)
        UserRoutes.add(on, parts: parts, sessions: sessions)
        LiveRoutes.add(on, parts: parts, sessions: sessions)
        ConsoleRoutes.add(to: router, on, parts: parts)

        table.set(routes)
        return (router, LiveRoutes.router(parts: parts, sessions: sessions), routes, sessions, hosts)
    }
}

/// The Hummingbird application as a service whose failure to start says which address and why.
struct HTTPService<App: ApplicationProtocol>: Service {
    let app: App
    let address: String

    func run() async throws {
        do { try await app.run() } catch {
            let text = "\(error)"
            let why = text.contains("Address already in use") ? "the address is already in use" : text
            throw HTTPServerError(message: "the HTTP server cannot listen on \(address): \(why) (set http=HOST:PORT, or --http)")
        }
    }
}

/// CORS for the configured origins only (`http.cors_origins`): the origin is echoed back when it
/// is one of them, preflights are answered; other origins get no CORS headers at all, so
/// browsers keep them out.
struct CrossOriginMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let origins: Set<String>

    static let allowOrigin = HTTPField.Name("Access-Control-Allow-Origin")!
    static let allowMethods = HTTPField.Name("Access-Control-Allow-Methods")!
    static let allowHeaders = HTTPField.Name("Access-Control-Allow-Headers")!
    static let maxAge = HTTPField.Name("Access-Control-Max-Age")!
    static let vary = HTTPField.Name("Vary")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[HTTPField.Name("Origin")!], origins.contains(origin) else {
            return try await next(request, context)
        }
        var response: Response
        if request.method == .options, request.headers[HTTPField.Name("Access-Control-Request-Method")!] != nil {
            response = Response(status: .noContent)
            response.headers[Self.allowMethods] = "GET, POST, DELETE"
            response.headers[Self.allowHeaders] = "Authorization, Content-Type"
            response.headers[Self.maxAge] = "600"
        } else {
            response = try await next(request, context)
        }
        response.headers[Self.allowOrigin] = origin
        response.headers[Self.vary] = "Origin"
        return response
    }
}

/// An error the client caused or must know about, as a JSON body: `{"error": {"message", "field"}}`.
struct APIError: Error {
    var status: HTTPResponse.Status
    var message: String
    var field: String?

    init(_ status: HTTPResponse.Status, _ message: String, field: String? = nil) {
        self.status = status
        self.message = message
        self.field = field
    }

    /// The one mapping of the dispatch layer's errors to HTTP.
    init(_ failure: DispatchError) {
        switch failure.kind {
        case .notFound: self.init(.notFound, failure.message, field: failure.field)
        case .conflict: self.init(.conflict, failure.message, field: failure.field)
        case .invalid: self.init(.badRequest, failure.message, field: failure.field)
        case .unavailable: self.init(.serviceUnavailable, failure.message, field: failure.field)
        }
    }
}

/// The server cannot start as configured (an address that is not HOST:PORT).
public struct HTTPServerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Turns every error into a JSON body; nothing reaches the client as a stack trace.
/// Turns every error into a JSON body (nothing reaches the client as a stack trace) and puts the
/// security headers on every response: a strict Content-Security-Policy, no MIME sniffing, no
/// framing. No CORS headers: browsers keep other origins out.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    static let csp = HTTPField.Name("Content-Security-Policy")!
    static let noSniff = HTTPField.Name("X-Content-Type-Options")!
    static let frames = HTTPField.Name("X-Frame-Options")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = PageJSON.error(error.status, error.message, field: error.field)
        } catch let error as DispatchError {
            let e = APIError(error)
            response = PageJSON.error(e.status, e.message, field: e.field)
        } catch let error as HTTPError {
            response = PageJSON.error(error.status, error.body ?? "\(error.status.reasonPhrase)")
        } catch {
            context.logger.error("request failed", metadata: ["http.path": "\(request.uri.path)", "error": "\(error)"])
            response = PageJSON.error(.internalServerError, "internal error; the controller log has the details")
        }
        // Console pages bring their own (a little wider) policy; everything else loads nothing.
        if response.headers[Self.csp] == nil { response.headers[Self.csp] = "default-src 'none'; frame-ancestors 'none'" }
        response.headers[Self.noSniff] = "nosniff"
        response.headers[Self.frames] = "DENY"
        return response
    }
}

/// A JSON object body, with errors that name the field.
struct JSONBody {
    var object: [String: Any]

    static func read(_ request: Request) async throws -> JSONBody {
        try parse(await collect(request))
    }

    /// The body as a JSON object, or nil when the request has no body.
    static func readIfAny(_ request: Request) async throws -> JSONBody? {
        let buffer = try await collect(request)
        return buffer.readableBytes == 0 ? nil : try parse(buffer)
    }

    private static func collect(_ request: Request) async throws -> ByteBuffer {
        do { return try await request.body.collect(upTo: 64 * 1024) } catch {
            throw APIError(.contentTooLarge, "the request body is larger than 64 KiB")
        }
    }

    private static func parse(_ buffer: ByteBuffer) throws -> JSONBody {
        guard let value = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) else {
            throw APIError(.badRequest, "the request body is not JSON")
        }
        guard let object = value as? [String: Any] else { throw APIError(.badRequest, "the request body must be a JSON object") }
        try check(object, path: "")
        return JSONBody(object: object)
    }

    /// Fields whose text may span lines (newline and tab allowed); every other string in a body,
    /// keys included, may hold no control character at all.
    static let multilineFields: Set<String> = ["text", "description", "note", "reason", "source.note"]

    /// Every string of the body, however deep, through the one text check (`TextCheck`).
    private static func check(_ value: Any, path: String) throws {
        switch value {
        case let text as String:
            try TextCheck.check(text, field: path, multiline: multilineFields.contains(path))
        case let list as [Any]:
            for (i, item) in list.enumerated() { try check(item, path: "\(path)[\(i)]") }
        case let object as [String: Any]:
            for (key, item) in object {
                let field = path.isEmpty ? key : "\(path).\(key)"
                try TextCheck.check(key, field: field, multiline: false)
                try check(item, path: field)
            }
        default:
            break
        }
    }

    /// The request says its body is JSON (`application/json`, any parameters).
    static func isJSON(_ request: Request) -> Bool {
        guard let type = request.headers[.contentType] else { return false }
        return type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } == "application/json"
    }

    func string(_ name: String) throws -> String {
        guard let value = object[name] else { throw APIError(.badRequest, "missing", field: name) }
        guard let text = value as? String else { throw APIError(.badRequest, "must be a string", field: name) }
        return text
    }

    /// A string, or a whole number given as a JSON number (returned as its decimal text).
    func optionalStringOrNumber(_ name: String) throws -> String? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        if let text = value as? String { return text }
        if let n = value as? NSNumber, n.doubleValue == n.doubleValue.rounded() { return "\(n.intValue)" }
        throw APIError(.badRequest, "must be a status value or name", field: name)
    }

    func optionalString(_ name: String) throws -> String? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw APIError(.badRequest, "must be a string", field: name) }
        return text
    }
}

enum QueryValue {
    static func int(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw APIError(.badRequest, "\"\(text)\" must be a whole number in \(range.lowerBound)…\(range.upperBound)", field: name)
        }
        return n
    }

    static func time(_ text: String?, name: String) throws -> Timestamp? {
        guard let text else { return nil }
        guard let t = Timestamp(parsing: text) else {
            throw APIError(.badRequest, "\"\(text)\" is not a time such as 2026-11-24T08:00:00Z", field: name)
        }
        return t
    }
}

/// JSON shapes of the API (snake_case keys, ISO 8601 UTC times).
enum PageJSON {
    static func page(_ p: Page) -> [String: Any] { RecordJSON.page(p) }

    static func control(_ c: RadioControl) -> [String: Any] {
        ["id": c.id, "gateway": c.gateway, "to": c.radio, "action": c.action.rawValue, "requested_by": c.requestedBy,
         "requested_at": c.requestedAt.iso8601, "outcome": c.outcome ?? NSNull(), "answered_at": c.answeredAt?.iso8601 ?? NSNull()]
    }

    static func alarm(_ h: HandledAlarm) -> [String: Any] {
        let a = h.alarm
        return [
            "id": a.id, "unit": a.unit, "time": a.time.iso8601, "kind": a.kind, "severity": a.severity.rawValue, "code": a.code ?? NSNull(),
            "text": a.text, "acknowledged_at": h.acknowledgedAt?.iso8601 ?? NSNull(), "acknowledged_by": h.acknowledgedBy ?? NSNull(),
            "cleared_at": a.clearedAt?.iso8601 ?? NSNull(), "cleared_by": h.clearedBy ?? NSNull(), "note": h.note ?? NSNull(),
        ]
    }

    /// A gateway: the neutral fields, and beside them what its protocol adds (`details`).
    static func gateway(_ g: RadioGatewayStatus) -> [String: Any] {
        var out: [String: Any] = [
            "name": g.name, "url": g.url, "profile": g.profile, "connected": g.connected, "ready": g.ready,
            "since": g.since?.iso8601 ?? NSNull(), "last_error": g.lastError ?? NSNull(), "open_calls": g.openCalls,
        ]
        for (key, value) in g.details where out[key] == nil { out[key] = foundation(value) }
        return out
    }

    /// A JSON value as JSONSerialization writes it (whole numbers as integers).
    static func foundation(_ value: JSONValue) -> Any {
        switch value {
        case .null: NSNull()
        case .bool(let b): b
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? Int64(n) as Any : n as Any
        case .string(let s): s
        case .array(let a): a.map(foundation)
        case .object(let o): o.mapValues(foundation)
        }
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, field: String? = nil, headers: HTTPFields = [:]) -> Response {
        var inner: [String: Any] = ["message": message, "status": Int(status.code)]
        if let field { inner["field"] = field }
        return response(status, ["error": inner], headers: headers)
    }

    static func response(_ status: HTTPResponse.Status, _ object: Any, headers: HTTPFields = [:]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return response(status, bytes: ByteBuffer(bytes: data), headers: headers)
    }

    /// A JSON body already written as text.
    static func response(_ status: HTTPResponse.Status, text: String, headers: HTTPFields = [:]) -> Response {
        response(status, bytes: ByteBuffer(string: text), headers: headers)
    }

    private static func response(_ status: HTTPResponse.Status, bytes: ByteBuffer, headers: HTTPFields) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: bytes))
    }
}
