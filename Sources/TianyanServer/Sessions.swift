import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import TianyanModel
import TianyanDispatch

/// Session tokens for logged-in users, held in memory (a restart logs everyone out), and the
/// login rate limit. Tokens are 256 random bits; only their holder and this table know them.
///
/// A session ends on logout, when it expires, when its user is disabled, and when its user's
/// password is changed (by the API or, seen within `checkInterval`, by `tianyan users` on the
/// same database). Whatever watches a session (a live feed connection) is told when it ends.
final class Sessions: Sendable {
    struct Session: Sendable {
        var user: User
        var expires: Timestamp
        /// Which password the login used (`UserDirectory.fingerprint`); nil when not known.
        var fingerprint: Int?
    }

    /// Why a session ended, as the log says it (never the token).
    enum Ending: String, Sendable {
        case logout, expired
        case disabled = "user disabled"
        case passwordChanged = "password changed"
        case userRemoved = "user removed"
    }

    private struct State {
        var sessions: [String: Session] = [:]
        var watchers: [String: [Int: @Sendable () -> Void]] = [:]
        var nextWatcher = 0
        var logins = LoginThrottle()
    }

    static let defaultLifetimeSeconds: Double = 12 * 3600
    /// How often expiry and the users table are checked.
    static let checkInterval: Duration = .seconds(1)

    let lifetimeSeconds: Double
    private let state = Mutex(State())
    private let logger: Logger

    init(lifetimeSeconds: Double = Sessions.defaultLifetimeSeconds, logger: Logger = Logger(label: "tianyan.sessions")) {
        self.lifetimeSeconds = lifetimeSeconds
        self.logger = logger
    }

    func create(for user: User, fingerprint: Int? = nil, now: Timestamp = .now()) -> (token: String, expires: Timestamp) {
        var rng = SystemRandomNumberGenerator()
        let token = (0..<4).map { _ in String(rng.next() as UInt64, radix: 16).leftPadded(16) }.joined()
        let expires = now.adding(seconds: lifetimeSeconds)
        state.withLock { s in s.sessions[token] = Session(user: user, expires: expires, fingerprint: fingerprint) }
        return (token, expires)
    }

    func session(for token: String, now: Timestamp = .now()) -> Session? {
        let (session, ended) = state.withLock { s -> (Session?, [@Sendable () -> Void]) in
            guard let session = s.sessions[token] else { return (nil, []) }
            guard session.expires > now else { return (nil, Self.remove(token, from: &s)) }
            return (session, [])
        }
        if !ended.isEmpty { finish(ended, count: 1, why: .expired) }
        return session
    }

    /// Logout: the session ends now.
    func revoke(_ token: String) {
        let ended = state.withLock { Self.remove(token, from: &$0) }
        finish(ended, count: 1, why: .logout)
    }

    /// Ends every session of `user`; returns how many there were.
    @discardableResult
    func endAll(of user: String, why: Ending) -> Int {
        end(why: why) { _, session in session.user.name == user }
    }

    /// Calls `onEnd` once when the session of `token` ends (at once if it already has). The
    /// returned id stops the watch (`unwatch`).
    func watch(_ token: String, onEnd: @escaping @Sendable () -> Void) -> Int {
        let id = state.withLock { s -> Int? in
            guard s.sessions[token] != nil else { return nil }
            s.nextWatcher += 1
            s.watchers[token, default: [:]][s.nextWatcher] = onEnd
            return s.nextWatcher
        }
        guard let id else {
            onEnd()
            return 0
        }
        return id
    }

    func unwatch(_ token: String, _ id: Int) {
        state.withLock { s in
            s.watchers[token]?[id] = nil
            if s.watchers[token]?.isEmpty == true { s.watchers[token] = nil }
        }
    }

    var count: Int { state.withLock { $0.sessions.count } }

    /// Ends sessions that expired, and sessions whose user is now disabled, gone, or has
    /// another password than the one it logged in with (`users` maps each user name to its
    /// state; nil skips that check).
    func check(now: Timestamp = .now(), users: [String: (disabled: Bool, fingerprint: Int)]?) {
        end(why: .expired) { _, session in session.expires <= now }
        guard let users else { return }
        end(why: .userRemoved) { _, session in users[session.user.name] == nil }
        end(why: .disabled) { _, session in users[session.user.name]?.disabled == true }
        end(why: .passwordChanged) { _, session in
            guard let was = session.fingerprint, let now = users[session.user.name]?.fingerprint else { return false }
            return was != now
        }
    }

    @discardableResult
    private func end(why: Ending, where matches: (String, Session) -> Bool) -> Int {
        let (ended, count) = state.withLock { s -> ([@Sendable () -> Void], Int) in
            let tokens = s.sessions.filter { matches($0.key, $0.value) }.map(\.key)
            return (tokens.flatMap { Self.remove($0, from: &s) }, tokens.count)
        }
        if count > 0 { finish(ended, count: count, why: why) }
        return count
    }

    private static func remove(_ token: String, from s: inout State) -> [@Sendable () -> Void] {
        s.sessions[token] = nil
        return s.watchers.removeValue(forKey: token).map { Array($0.values) } ?? []
    }

    private func finish(_ watchers: [@Sendable () -> Void], count: Int, why: Ending) {
        logger.info("sessions ended", metadata: ["sessions": "\(count)", "reason": "\(why.rawValue)", "live.connections": "\(watchers.count)"])
        for w in watchers { w() }
    }

    /// Seconds to wait before `name` may try again from `address`, or nil when it may try now.
    func retryAfter(name: String, address: String, now: Timestamp = .now()) -> Int? {
        state.withLock { $0.logins.retryAfter(name: name, address: address, now: now) }
    }

    func recordFailure(name: String, address: String, now: Timestamp = .now()) {
        state.withLock { $0.logins.recordFailure(name: name, address: address, now: now) }
    }

    func clearFailures(name: String, address: String) { state.withLock { $0.logins.clear(name: name, address: address) } }

    /// Forgets failed logins long past (the checker calls it every second).
    func pruneFailures(now: Timestamp = .now()) { state.withLock { $0.logins.prune(now: now) } }

    /// Entries in the failed-login table.
    var failureEntries: Int { state.withLock { $0.logins.entries.count } }

    /// The bearer token of a request, if it has one.
    static func bearer(_ request: Request) -> String? {
        bearer(authorization: request.headers[.authorization])
    }

    /// The token of an `Authorization: Bearer <token>` value; the scheme in any case (RFC 7235).
    static func bearer(authorization header: String?) -> String? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    /// The session's user, or 401; and 403 unless the user's role allows `role`.
    func authorize(_ request: Request, role: Role?) throws -> User {
        guard let token = Self.bearer(request) else {
            throw APIError(.unauthorized, "log in first: POST /api/v1/session, then send Authorization: Bearer <token>")
        }
        guard let session = session(for: token) else {
            throw APIError(.unauthorized, "the session has expired or does not exist; log in again")
        }
        if let role, !session.user.role.allows(role) {
            throw APIError(.forbidden, "this needs the \(role.rawValue) role; \(session.user.name) is \(session.user.role.rawValue)")
        }
        return session.user
    }
}

/// Runs the sessions' checks every `Sessions.checkInterval`: expiry, and changes to the users
/// table made by the API or by `tianyan users` on the same database.
struct SessionChecker: Service {
    let sessions: Sessions
    let users: UserDirectory
    let logger: Logger

    func run() async throws {
        var failing = false
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            sessions.pruneFailures()
            // Reading the users table is only needed while someone is logged in.
            if sessions.count > 0 {
                do {
                    sessions.check(users: try await users.credentialStates())
                    failing = false
                } catch {
                    sessions.check(users: nil)
                    if !failing { logger.error("cannot read the users table to check sessions", metadata: ["error": "\(error)"]) }
                    failing = true
                }
            }
            try? await Task.sleep(for: Sessions.checkInterval)
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
