import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// The request context of the API router: Hummingbird's basic one and the client's address
/// (the login throttle keys on it).
public struct APIRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text ("unknown" when there is none, as in router tests).
    var clientAddress: String { remoteAddress?.ipAddress ?? "unknown" }
}

/// Checks every request before its route: the Host must be allowed (421 otherwise, against DNS
/// rebinding), and the path and query may hold no control characters (SQLite would cut text at
/// a NUL, so the id acted on would not be the one asked for).
struct RequestChecks: RouterMiddleware {
    typealias Context = APIRequestContext
    let hosts: HostAllowList
    /// The API's routes, for 405 with `Allow` when a path is known but not the method.
    let routes: RouteTable

    static let misdirected = HTTPResponse.Status(code: 421, reasonPhrase: "Misdirected Request")

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let host = request.head.authority
        guard hosts.allows(host) else {
            throw APIError(Self.misdirected, "this controller does not answer for host \(String((host ?? "").prefix(80))); "
                + "use its address, or add the name to http.allowed_hosts", field: "Host")
        }
        if let path = request.uri.path.removingPercentEncoding, let bad = TextCheck.firstControl(path, multiline: false) {
            throw APIError(.badRequest, "the path holds a control character (U+\(bad)); ids never do", field: "path")
        }
        for (name, value) in request.uri.queryParameters {
            if let bad = TextCheck.firstControl(String(value), multiline: false) ?? TextCheck.firstControl(String(name), multiline: false) {
                throw APIError(.badRequest, "holds a control character (U+\(bad))", field: String(name.prefix(40)))
            }
        }
        do {
            return try await next(request, context)
        } catch let e as HTTPError where e.status == .notFound {
            let allowed = routes.methods(for: request.uri.path)
            guard !allowed.isEmpty, !allowed.contains(request.method.rawValue) else { throw e }
            var headers = HTTPFields()
            headers[.allow] = allowed.joined(separator: ", ")
            return PageJSON.error(.methodNotAllowed, "\(request.method.rawValue) is not a method of this path; it takes \(allowed.joined(separator: ", "))",
                                  headers: headers)
        }
    }
}

/// The routes as `METHOD /path/{param}`, filled once while the router is built.
final class RouteTable: Sendable {
    private let routes = Mutex<[(method: String, segments: [Substring])]>([])

    func set(_ list: [String]) {
        let parsed = list.compactMap { r -> (String, [Substring])? in
            let parts = r.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return (String(parts[0]), parts[1].split(separator: "/"))
        }
        routes.withLock { $0 = parsed.map { (method: $0.0, segments: $0.1) } }
    }

    /// The methods routed for `path` (a `{param}` segment matches any one segment).
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        return routes.withLock { list in
            list.filter { r in
                r.segments.count == segments.count && zip(r.segments, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
            }.map(\.method)
        }.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    }
}

/// The one check of text a client sends: no control characters (C0, DEL, C1) where they make
/// no sense (names, passwords, ids, titles), and in multi-line text (a page's text, a
/// description, a note, a reason) only newline and tab. Text is refused, never cleaned: what
/// is stored, sent over the air and audited is what the client sent.
enum TextCheck {
    /// The first control character not allowed, as 4 hex digits; nil when there is none.
    static func firstControl(_ text: String, multiline: Bool) -> String? {
        for s in text.unicodeScalars {
            let v = s.value
            guard v < 0x20 || (0x7F...0x9F).contains(v) else { continue }
            if multiline, v == 0x0A || v == 0x09 { continue }
            return String(format: "%04X", v)
        }
        return nil
    }

    static func check(_ text: String, field: String, multiline: Bool) throws {
        if let bad = firstControl(text, multiline: multiline) {
            throw APIError(.badRequest, multiline ? "holds a control character (U+\(bad)); text may hold newlines and tabs, no other control characters"
                : "holds a control character (U+\(bad)); names, passwords, ids and titles may not", field: field)
        }
    }
}
