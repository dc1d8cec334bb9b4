import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanServer
import TianyanSQLite
import TianyanTesting

/// Sessions ending (logout, expiry, user disabled, password set by an admin) close the live
/// connections opened with them; disabled users cannot log in; no secret reaches a log line or
/// the audit log. A real server on a loopback port, real WebSocket clients.
@Suite("Sessions end and close their live connections", .timeLimit(.minutes(3)))
struct SessionEndTests {
    /// Keeps every log line (message and metadata) so that the test can look for secrets in them.
    final class CapturedLog: Sendable {
        let lines = Mutex<[String]>([])
        var text: String { lines.withLock { $0.joined(separator: "\n") } }

        struct Handler: LogHandler {
            let log: CapturedLog
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .trace
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }

            func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String,
                     function: String, line: UInt) {
                let all = metadata.merging(extra ?? [:]) { $1 }
                log.lines.withLock { $0.append("\(level) \(message) \(all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))") }
            }
        }

        var logger: Logger { Logger(label: "test.sessions") { _ in Handler(log: self) } }
    }

    struct Harness {
        let port: Int
        let client: any TestClientProtocol
        let parts: Controller.Parts
        let log: CapturedLog

        func login(_ name: String, _ password: String = APIRoutesTests.password) async throws -> String {
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"name": "\#(name)", "password": "\#(password)"}"#)) { r in
                #expect(r.status == .created, "login \(name): \(String(buffer: r.body))")
                return APIRoutesTests.json(r.body)["token"] as? String ?? ""
            }
        }

        func live(_ token: String) async throws -> LiveFeedTests.LiveClient {
            let c = LiveFeedTests.LiveClient(port: port, query: "?token=\(token)")
            try await c.subscribe(#"{"subscribe": ["alarms"]}"#)
            return c
        }

        /// The status of `GET /api/v1/session` with `token`.
        func whoami(_ token: String) async throws -> HTTPResponse.Status {
            try await client.execute(uri: "/api/v1/session", method: .get, headers: [.authorization: "Bearer \(token)"]) { $0.status }
        }
    }

    /// A live server with a feed, a store writer (for the audit log) and an admin `root` besides
    /// the fixture's `disp` and `view`.
    static func withServer(sessionSeconds: Int = 3600, _ body: @escaping @Sendable (Harness) async throws -> Void) async throws {
        let f = try await APIRoutesTests.fixture()
        defer { f.dir.remove() }
        try await UserDirectory(database: f.parts.database!).add(name: "root", role: .admin, password: APIRoutesTests.password)
        let feed = LiveFeed(logger: Logger(label: "test.live"))
        let writer = StoreWriter(database: f.parts.database!)
        let running = Task {
            try await withThrowingTaskGroup(of: Void.self) { g in
                g.addTask { try await feed.run() }
                g.addTask { try await writer.run() }
                try await g.waitForAll()
            }
        }
        defer { running.cancel() }
        var parts = f.parts
        parts.live = feed
        parts.writer = writer
        parts.configuration.sessionSeconds = sessionSeconds
        let log = CapturedLog()
        let served = parts
        let app = APIServer.application(parts: served.services, host: "127.0.0.1", port: 0, logger: log.logger)
        try await app.test(.live) { client in
            try await body(Harness(port: try #require(client.port), client: client, parts: served, log: log))
        }
    }

    /// Waits (bounded) for the connection to end and checks it was closed for the session.
    static func expectSessionEnded(_ c: LiveFeedTests.LiveClient, _ what: String) async throws {
        let closed = try await withThrowingTaskGroup(of: WebSocketCloseFrame?.self) { g in
            g.addTask { try await c.connection.value }
            g.addTask {
                try await Task.sleep(for: .seconds(10))
                throw CancellationError()
            }
            defer { g.cancelAll() }
            return try await g.next() ?? nil
        }
        #expect(closed?.closeCode == .policyViolation, "\(what): \(String(describing: closed))")
        #expect(closed?.reason == "session ended", "\(what): \(String(describing: closed?.reason))")
    }

    @Test("logout closes the live connections of that session with 1008 \"session ended\"; another session's stay")
    func logout() async throws {
        try await Self.withServer { h in
            let first = try await h.login("view"), second = try await h.login("view")
            let a = try await h.live(first), b = try await h.live(first), other = try await h.live(second)
            defer { other.close() }
            try await h.client.execute(uri: "/api/v1/session", method: .delete, headers: [.authorization: "Bearer \(first)"]) { r in
                #expect(r.status == .noContent)
            }
            try await Self.expectSessionEnded(a, "first connection")
            try await Self.expectSessionEnded(b, "second connection")
            #expect(try await h.whoami(first) == .unauthorized)
            #expect(try await h.whoami(second) == .ok)
            // The other session's connection still gets events.
            h.parts.live?.publish([LiveFeedTests.alarm("after-logout")])
            try await other.wait("the alarm after the logout") { m in m.contains { $0.type == "alarm" } }
            // A new connection with the ended token is refused.
            let late = LiveFeedTests.LiveClient(port: h.port, query: "?token=\(first)")
            await #expect(throws: (any Error).self) { try await late.connection.value }
        }
    }

    @Test("an admin disables a user: its sessions and live connections end at once, its login gets 403, all audited; enable lets it in again")
    func disableAndEnable() async throws {
        try await Self.withServer { h in
            let admin: HTTPFields = [.authorization: "Bearer \(try await h.login("root"))"]
            let dispatcher = try await h.login("disp")
            let connection = try await h.live(dispatcher)

            try await h.client.execute(uri: "/api/v1/users/disp/disable", method: .post, headers: [.authorization: "Bearer \(dispatcher)"]) { r in
                #expect(r.status == .forbidden, "only an admin disables")
            }
            try await h.client.execute(uri: "/api/v1/users/nobody/disable", method: .post, headers: admin) { r in #expect(r.status == .notFound) }
            try await h.client.execute(uri: "/api/v1/users/root/disable", method: .post, headers: admin) { r in
                #expect(r.status == .conflict && APIRoutesTests.error(r.body).message.contains("yourself"))
            }
            try await h.client.execute(uri: "/api/v1/users/disp/disable", method: .post, headers: admin) { r in
                #expect(r.status == .ok)
                #expect(APIRoutesTests.json(r.body)["disabled"] as? Bool == true)
            }
            try await Self.expectSessionEnded(connection, "the disabled user's connection")
            #expect(try await h.whoami(dispatcher) == .unauthorized)
            try await h.client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                       body: ByteBuffer(string: #"{"name": "disp", "password": "\#(APIRoutesTests.password)"}"#)) { r in
                #expect(r.status == .forbidden)
                #expect(APIRoutesTests.error(r.body).message.contains("disp is disabled"), "\(String(buffer: r.body))")
            }
            try await h.client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                       body: ByteBuffer(string: #"{"name": "disp", "password": "not the password"}"#)) { r in
                #expect(r.status == .unauthorized, "a wrong password does not learn that the user is disabled")
            }
            try await h.client.execute(uri: "/api/v1/users", method: .get, headers: admin) { r in
                let users = APIRoutesTests.json(r.body)["users"] as? [[String: Any]] ?? []
                #expect(users.first { $0["name"] as? String == "disp" }?["disabled"] as? Bool == true)
            }
            try await h.client.execute(uri: "/api/v1/users/disp/enable", method: .post, headers: admin) { r in
                #expect(r.status == .ok && APIRoutesTests.json(r.body)["disabled"] as? Bool == false)
            }
            let again = try await h.login("disp")
            #expect(try await h.whoami(again) == .ok)

            // Changes to users are written in order; logins go through the writer (in a batch, so
            // their place among the others is not fixed): wait for them, then compare as a set.
            let expectedLogins = ["disp login api ok", "disp login api ok", "disp login api refused", "disp login api refused", "root login api ok"]
            var logins: [String] = []
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                logins = try await h.parts.store.audit(limit: 100, action: "login").map { "\($0.actor) \($0.action) \($0.target) \($0.outcome)" }.sorted()
                if logins.count >= expectedLogins.count { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(logins == expectedLogins)
            let changes = try await h.parts.store.audit(limit: 100).reversed().filter { $0.action.hasPrefix("user ") && $0.actor != "cli" }
                .map { "\($0.actor) \($0.action) \($0.target) \($0.outcome)" }
            #expect(changes == ["disp user disable disp refused", "root user disable nobody refused", "root user disable root refused",
                                "root user disable disp ok", "root user enable disp ok"], "\(changes)")
        }
    }

    @Test("an admin setting a user's password ends its sessions; so does `tianyan users disable` on the same database (within a few seconds)")
    func passwordAndCommandLine() async throws {
        try await Self.withServer { h in
            let admin: HTTPFields = [.authorization: "Bearer \(try await h.login("root"))"]
            let viewer = try await h.login("view")
            let connection = try await h.live(viewer)
            try await h.client.execute(uri: "/api/v1/users/view/password", method: .post, headers: admin,
                                       body: ByteBuffer(string: #"{"password": "a brand new secret"}"#)) { r in #expect(r.status == .ok) }
            try await Self.expectSessionEnded(connection, "after the password change")
            #expect(try await h.whoami(viewer) == .unauthorized)

            // What `tianyan users disable` does, from outside the server: the checker notices.
            let dispatcher = try await h.login("disp")
            let other = try await h.live(dispatcher)
            try await UserDirectory(database: h.parts.database!).setDisabled(name: "disp", true)
            try await Self.expectSessionEnded(other, "after disabling on the database")
            #expect(try await h.whoami(dispatcher) == .unauthorized)
        }
    }

    @Test("a session that expires closes its live connections with \"session ended\"")
    func expiry() async throws {
        // Long enough for the login and the subscription to finish first on a loaded machine (with
        // 2 s the session sometimes ended before the subscription was answered).
        try await Self.withServer(sessionSeconds: 8) { h in
            let token = try await h.login("view")
            let connection = try await h.live(token)
            try await Self.expectSessionEnded(connection, "at expiry")
            #expect(try await h.whoami(token) == .unauthorized)
        }
    }

    @Test("no password or token reaches a log line or the audit log; failed logins are rate-limited (429)")
    func noSecrets() async throws {
        try await Self.withServer { h in
            let token = try await h.login("view")
            let c = try await h.live(token)
            let admin: HTTPFields = [.authorization: "Bearer \(try await h.login("root"))"]
            try await h.client.execute(uri: "/api/v1/users", method: .post, headers: admin,
                                       body: ByteBuffer(string: #"{"name": "anna", "role": "lead", "password": "anna-secret-pass"}"#)) { r in
                #expect(r.status == .created)
            }
            try await h.client.execute(uri: "/api/v1/users/anna/password", method: .post, headers: admin,
                                       body: ByteBuffer(string: #"{"password": "anna-second-pass"}"#)) { r in #expect(r.status == .ok) }
            var limited = false
            for _ in 0..<8 where !limited {
                try await h.client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                           body: ByteBuffer(string: #"{"name": "view", "password": "guessing-wrong-pass"}"#)) { r in
                    limited = r.status == .tooManyRequests
                    #expect(r.status == .unauthorized || limited)
                }
            }
            #expect(limited, "five failed logins in a minute lock the name")
            try await h.client.execute(uri: "/api/v1/session", method: .delete, headers: [.authorization: "Bearer \(token)"]) { _ in }
            try await Self.expectSessionEnded(c, "after logout")

            let audit = try await h.parts.store.audit(limit: 200).map { "\($0.actor) \($0.action) \($0.target) \($0.outcome) \($0.detail ?? "")" }
            let log = h.log.text
            #expect(log.contains("sessions ended"), "the log says sessions ended")
            for secret in [token, APIRoutesTests.password, "anna-secret-pass", "anna-second-pass", "guessing-wrong-pass", "$y$"] {
                #expect(!log.contains(secret), "the log holds a secret")
                #expect(!audit.joined(separator: "\n").contains(secret), "the audit log holds a secret")
            }
        }
    }
}
