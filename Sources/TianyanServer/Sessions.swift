import Foundation
import Hummingbird
import Synchronization
import TianyanApp
import TianyanModel

/// Session tokens for logged-in users, held in memory (a restart logs everyone out), and the
/// login rate limit. Tokens are 256 random bits; only their holder and this table know them.
final class Sessions: Sendable {
    struct Session: Sendable {
        var user: User
        var expires: Timestamp
    }

    private struct State {
        var sessions: [String: Session] = [:]
        var failures: [String: [Timestamp]] = [:]
        var allFailures: [Timestamp] = []
    }

    static let lifetimeSeconds: Double = 12 * 3600
    /// Failed logins for one name within a minute before that name is refused for a while.
    static let failuresPerName = 5
    /// Failed logins for all names within a minute before every login is refused for a while.
    static let failuresOverall = 50

    private let state = Mutex(State())

    func create(for user: User, now: Timestamp = .now()) -> (token: String, expires: Timestamp) {
        var rng = SystemRandomNumberGenerator()
        let token = (0..<4).map { _ in String(rng.next() as UInt64, radix: 16).leftPadded(16) }.joined()
        let expires = now.adding(seconds: Self.lifetimeSeconds)
        state.withLock { s in
            s.sessions = s.sessions.filter { $0.value.expires > now }
            s.sessions[token] = Session(user: user, expires: expires)
        }
        return (token, expires)
    }

    func session(for token: String, now: Timestamp = .now()) -> Session? {
        state.withLock { s in
            guard let session = s.sessions[token] else { return nil }
            guard session.expires > now else {
                s.sessions[token] = nil
                return nil
            }
            return session
        }
    }

    func revoke(_ token: String) { state.withLock { _ = $0.sessions.removeValue(forKey: token) } }

    /// Seconds to wait before `name` may try again, or nil when it may try now.
    func retryAfter(name: String, now: Timestamp = .now()) -> Int? {
        state.withLock { s in
            let minuteAgo = now.adding(seconds: -60)
            s.allFailures.removeAll { $0 < minuteAgo }
            let recent = (s.failures[name] ?? []).filter { $0 >= minuteAgo }
            s.failures[name] = recent.isEmpty ? nil : recent
            let blocking = recent.count >= Self.failuresPerName ? recent : s.allFailures.count >= Self.failuresOverall ? s.allFailures : []
            guard let oldest = blocking.first else { return nil }
            return max(1, Int((Double(oldest.milliseconds - minuteAgo.milliseconds) / 1000).rounded(.up)))
        }
    }

    func recordFailure(name: String, now: Timestamp = .now()) {
        state.withLock { s in
            s.failures[name, default: []].append(now)
            s.allFailures.append(now)
        }
    }

    func clearFailures(name: String) { state.withLock { $0.failures[name] = nil } }

    /// The session's user, or 401; and 403 unless the user's role allows `role`.
    func authorize(_ request: Request, role: Role?) throws -> User {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw APIError(.unauthorized, "log in first: POST /api/v1/session, then send Authorization: Bearer <token>")
        }
        guard let session = session(for: String(header.dropFirst("Bearer ".count))) else {
            throw APIError(.unauthorized, "the session has expired or does not exist; log in again")
        }
        if let role, !session.user.role.allows(role) {
            throw APIError(.forbidden, "this needs the \(role.rawValue) role; \(session.user.name) is \(session.user.role.rawValue)")
        }
        return session.user
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
