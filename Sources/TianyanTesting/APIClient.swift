import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small JSON client for the controller's HTTP API in integration tests: logs in once and sends
/// the session with every request.
public final class APIClient: @unchecked Sendable {
    // Invariant: `token` is set once by `login` before the client is shared.
    public let base: String
    public private(set) var token: String?

    public init(address: String) { base = "http://" + address }

    public struct Answer: Sendable {
        public var status: Int
        public var body: Data
        public var json: [String: any Sendable] {
            ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]).mapValues { $0 as! (any Sendable) }
        }
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public func login(_ name: String, password: String) async throws {
        let answer = try await request("POST", "/api/v1/session", json: ["name": name, "password": password])
        guard answer.status == 201, let t = answer.json["token"] as? String else {
            throw TestFailure("login as \(name) failed: \(answer.status) \(answer.text)")
        }
        token = t
    }

    public func request(_ method: String, _ path: String, json: [String: Any]? = nil, timeout: TimeInterval = 30) async throws -> Answer {
        var r = URLRequest(url: URL(string: base + path)!, timeoutInterval: timeout)
        r.httpMethod = method
        if let token { r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            r.httpBody = try JSONSerialization.data(withJSONObject: json)
            r.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: r)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
