import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import CoveragePlanner
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Synchronization
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
@testable import TianyanServer
import TianyanSQLite
import TianyanTesting

/// The HTTP edge under abuse, over real sockets with raw bytes: malformed requests, slow and idle
/// connections, login throttling, Host names, control characters in JSON, the live feed's
/// refusals and oversized frames.
@Suite("HTTP edge under abuse", .timeLimit(.minutes(3)))
struct HTTPEdgeTests {
    /// A raw TCP connection to the server: what it sends, everything received, how it ended.
    final class RawConnection: ChannelInboundHandler, @unchecked Sendable {
        // Invariant: the mutable state is only touched under `lock`.
        typealias InboundIn = ByteBuffer
        private let lock = NIOLock()
        private var bytes: [UInt8] = []
        private var error: (any Error)?
        private var channel: (any Channel)?
        private let opened = ContinuousClock.now
        private var closedAt: ContinuousClock.Instant?

        static func open(port: Int, from source: String? = nil) async throws -> RawConnection {
            let c = RawConnection()
            var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(c) } }
            if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
            let ch = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
            c.lock.withLock { c.channel = ch }
            return c
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            let read = buffer.readBytes(length: buffer.readableBytes) ?? []
            lock.withLock { bytes += read }
        }

        func channelInactive(context: ChannelHandlerContext) {
            lock.withLock { closedAt = .now }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            lock.withLock { self.error = error }
            context.close(promise: nil)
        }

        var received: [UInt8] { lock.withLock { bytes } }
        var text: String { String(decoding: received, as: UTF8.self) }
        var failure: (any Error)? { lock.withLock { error } }
        var isOpen: Bool { lock.withLock { channel?.isActive ?? false } }

        func send(_ text: String) async throws { try await send(Array(text.utf8)) }

        func send(_ data: [UInt8]) async throws {
            guard let ch = lock.withLock({ channel }) else { return }
            try await ch.writeAndFlush(ByteBuffer(bytes: data)).get()
        }

        /// Waits (bounded) until the server closes; returns how long after opening it closed.
        @discardableResult
        func waitClosed(within limit: Duration, _ what: String) async throws -> Duration {
            let deadline = ContinuousClock.now + limit
            while isOpen {
                guard ContinuousClock.now < deadline else { throw TestFailure("\(what): still open after \(limit); got \(text.prefix(200))") }
                try await Task.sleep(for: .milliseconds(20))
            }
            return (lock.withLock { closedAt } ?? .now) - opened
        }

        func waitFor(_ what: String, within limit: Duration = .seconds(5), _ done: ([UInt8]) -> Bool) async throws {
            let deadline = ContinuousClock.now + limit
            while !done(received) {
                guard ContinuousClock.now < deadline else { throw TestFailure("\(what): not received in \(limit); got \(text.prefix(300))") }
                try await Task.sleep(for: .milliseconds(10))
            }
        }

        func close() { lock.withLock { channel }?.close(promise: nil) }

        /// The status, headers (lower-case names) and body of the first response received.
        var response: (status: Int, headers: [String: String], body: String)? {
            let t = text
            guard let end = t.range(of: "\r\n\r\n") else { return nil }
            let lines = t[..<end.lowerBound].components(separatedBy: "\r\n")
            guard let status = lines.first.flatMap({ Int($0.split(separator: " ").dropFirst().first ?? "") }) else { return nil }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            var body = String(t[end.upperBound...])
            if let n = headers["content-length"].flatMap(Int.init) { body = String(body.utf8.prefix(n))! }
            return (status, headers, body)
        }

        /// The error object of a JSON error body.
        var errorBody: [String: Any] {
            guard let body = response?.body, let o = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { return [:] }
            return o["error"] as? [String: Any] ?? [:]
        }
    }

    /// One whole request over a new connection (Connection: close); the response after the server closed.
    static func exchange(_ port: Int, _ request: String, from source: String? = nil, within limit: Duration = .seconds(20)) async throws -> RawConnection {
        let c = try await RawConnection.open(port: port, from: source)
        try await c.send(request)
        try await c.waitClosed(within: limit, "answer to \(request.prefix(60))")
        return c
    }

    /// One request over a new connection that may stay open; the first whole response.
    static func answer(_ port: Int, _ request: String) async throws -> RawConnection {
        let c = try await RawConnection.open(port: port)
        try await c.send(request)
        try await c.waitFor("answer to \(request.prefix(60))") { _ in
            guard let r = c.response, let n = r.headers["content-length"].flatMap(Int.init) else { return false }
            return r.body.utf8.count >= n
        }
        c.close()
        return c
    }

    static func post(_ path: String, _ json: String, host: String = "127.0.0.1", type: String = "application/json", token: String? = nil) -> String {
        "POST \(path) HTTP/1.1\r\nHost: \(host)\r\nContent-Type: \(type)\r\nContent-Length: \(json.utf8.count)\r\nConnection: close\r\n"
            + (token.map { "Authorization: Bearer \($0)\r\n" } ?? "") + "\r\n" + json
    }

    static func get(_ path: String, host: String = "127.0.0.1", headers: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: \(host)\r\n\(headers)Connection: close\r\n\r\n"
    }

    struct Harness {
        let port: Int
        let parts: Controller.Parts
    }

    /// A live server (feed and store writer running) with short deadlines: idle 1 s, head and body 1 s.
    static func withServer(idle: Int = 1, read: Int = 1, sorties: Bool = false, _ body: @escaping @Sendable (Harness) async throws -> Void) async throws {
        let f = try await APIRoutesTests.fixture()
        defer { f.dir.remove() }
        try await UserDirectory(database: f.parts.database!).add(name: "root", role: .admin, password: APIRoutesTests.password)
        try await UserDirectory(database: f.parts.database!).add(name: "lead", role: .lead, password: APIRoutesTests.password)
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
        parts.configuration.httpIdleTimeoutSeconds = idle
        parts.configuration.httpHeaderTimeoutSeconds = read
        parts.tasks = TaskService(store: f.parts.store, sink: writer, radios: f.parts.radios, logger: Logger(label: "test.tasks"))
        if sorties {
            var settings = SortieService.Settings(routeFilesURL: "http://127.0.0.1:9/files/routes/")
            settings.flyingHours = FlyingHours(startHour: 0, endHour: 24)
            parts.sorties = SortieService(settings: settings, store: f.parts.store, sink: writer, docks: f.parts.docks,
                                          rules: MaintenanceRules(), logger: Logger(label: "test.sorties"))
        }
        let served = parts
        let app = APIServer.application(parts: served.services, host: "127.0.0.1", port: 0, logger: Logger(label: "test.edge"))
        try await app.test(.live) { client in
            try await body(Harness(port: try #require(client.port), parts: served))
        }
    }

    static func login(_ port: Int, _ name: String, _ password: String = APIRoutesTests.password, from source: String? = nil) async throws -> RawConnection {
        try await exchange(port, post("/api/v1/session", #"{"name": "\#(name)", "password": "\#(password)"}"#), from: source)
    }

    static func token(_ port: Int, _ name: String) async throws -> String {
        let c = try await login(port, name)
        let body = try #require(c.response?.body)
        return try #require((try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["token"] as? String, "login \(name): \(c.text)")
    }

    // MARK: malformed and slow requests

    static let malformed: [(String, String)] = [
        ("a NUL in a header", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\u{0}b\r\n\r\n"),
        ("a bare CR in a header", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\rb\r\n\r\n"),
        ("a bare LF in the request line", "GET /healthz HTTP/1.1\nHost: 127.0.0.1\r\n\r\n"),
        ("a folded header (obs-fold)", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\r\n  folded\r\n\r\n"),
        ("Content-Length and Transfer-Encoding both", "POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("two different Content-Lengths", "POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde"),
        ("a request line that is not HTTP", "HELLO THERE\r\n\r\n"),
        ("a malformed second request on a kept-alive connection", "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /x HTTP/1.1\r\nHost: a\u{0}b\r\n\r\n"),
    ]

    @Test("malformed requests get 400 with a JSON error and Connection: close, and the connection closes within seconds", arguments: 0..<malformed.count)
    func malformedRequests(_ index: Int) async throws {
        let (what, bytes) = Self.malformed[index]
        try await Self.withServer(idle: 30, read: 30) { h in
            let c = try await RawConnection.open(port: h.port)
            try await c.send(bytes)
            let elapsed = try await c.waitClosed(within: .seconds(5), what)
            // The last answer on the connection is the refusal.
            let t = c.text
            let last = t.range(of: "HTTP/1.1 ", options: .backwards).map { String(t[$0.lowerBound...]) } ?? t
            #expect(last.hasPrefix("HTTP/1.1 400 "), "\(what): \(t.prefix(300))")
            #expect(last.lowercased().contains("connection: close"), "\(what)")
            #expect(last.contains(#""status":400"#), "\(what): a JSON error body")
            #expect(c.failure == nil, "\(what): closed cleanly, not reset: \(String(describing: c.failure))")
            #expect(elapsed < .seconds(4), "\(what): closed after \(elapsed)")
        }
    }

    @Test("a body that never arrives gets 408 and Connection: close after the read deadline; so does a head that never ends (slowloris)")
    func slowRequests() async throws {
        try await Self.withServer(idle: 30, read: 1) { h in
            let body = try await RawConnection.open(port: h.port)
            try await body.send("POST /api/v1/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":")
            let bodyTime = try await body.waitClosed(within: .seconds(6), "the body that never arrives")
            #expect(body.response?.status == 408, "\(body.text)")
            #expect(body.response?.headers["connection"] == "close")
            #expect(body.errorBody["status"] as? Int == 408)
            #expect(bodyTime >= .milliseconds(900) && bodyTime < .seconds(4), "closed after \(bodyTime)")

            // A header line every 300 ms: each byte is activity, but the head as a whole takes too long.
            let slow = try await RawConnection.open(port: h.port)
            try await slow.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            var sent = 0
            while slow.isOpen, sent < 30 {
                try? await slow.send("X-\(sent): \(sent)\r\n")
                sent += 1
                try await Task.sleep(for: .milliseconds(300))
            }
            let slowTime = try await slow.waitClosed(within: .seconds(3), "the head that never ends")
            #expect(slow.response?.status == 408, "\(slow.text)")
            #expect(slow.response?.headers["connection"] == "close")
            #expect(slowTime < .seconds(4), "the slow head was cut after \(slowTime), \(sent) lines")
        }
    }

    @Test("idle connections are closed after the idle deadline: 50 that never send, and a kept-alive one after its answer; a busy one is not")
    func idleConnections() async throws {
        // An idle deadline of 3 s against a request every 0.3 s: wide enough that a loaded machine
        // (slow answers) does not make the busy connection look idle.
        try await Self.withServer(idle: 3, read: 5) { h in
            var silent: [RawConnection] = []
            for _ in 0..<50 { silent.append(try await RawConnection.open(port: h.port)) }
            let kept = try await RawConnection.open(port: h.port)
            try await kept.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try await kept.waitFor("the first answer") { String(decoding: $0, as: UTF8.self).contains("\"status\"") }
            // A connection that keeps asking within the deadline stays open.
            let busy = try await RawConnection.open(port: h.port)
            for i in 0..<4 {
                try await busy.send("GET /api/v1/console HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                try await busy.waitFor("answer \(i + 1)") { String(decoding: $0, as: UTF8.self).components(separatedBy: "HTTP/1.1 200").count == i + 2 }
                try await Task.sleep(for: .milliseconds(300))
            }
            #expect(busy.isOpen, "a connection used every 0.3 s is kept")
            for (i, c) in silent.enumerated() {
                let t = try await c.waitClosed(within: .seconds(10), "silent connection \(i)")
                #expect(t < .seconds(10))
                #expect(c.received.isEmpty, "an idle connection is closed without an answer")
            }
            try await kept.waitClosed(within: .seconds(6), "the kept-alive connection")
            busy.close()
        }
    }

    // MARK: login

    @Test("one address guessing a name waits longer and longer; the right password from another address still logs in; no global lockout")
    func loginThrottle() async throws {
        try await Self.withServer(idle: 30, read: 5) { h in
            // Guess until refused: the fifth failure makes the address wait (the wait starts after
            // each failure is recorded, so the next attempt meets it however slow the hashing is).
            var statuses: [Int] = []
            var refused: RawConnection?
            while refused == nil, statuses.count < 10 {
                let c = try await Self.login(h.port, "root", "wrong password guess", from: "127.0.0.2")
                statuses.append(c.response?.status ?? 0)
                if c.response?.status == 429 { refused = c }
            }
            #expect(statuses == [401, 401, 401, 401, 401, 429], "the guessing address waits after 5 failures: \(statuses)")
            #expect(refused?.response?.headers["retry-after"] == "30", "the first wait is 30 seconds")
            #expect(refused?.errorBody["status"] as? Int == 429)
            // The right password from another address is not held.
            let other = try await Self.login(h.port, "root", from: "127.0.0.3")
            #expect(other.response?.status == 201, "the right password from another address: \(other.text)")
            // While it waits, even the right password is held for that name from that address (the
            // doubling of the waits is checked on the table below, with a moved clock).
            let again = try await Self.login(h.port, "root", from: "127.0.0.2")
            #expect(again.response?.status == 429)
            #expect(again.response?.headers["retry-after"].flatMap(Int.init).map { (1...30).contains($0) } == true, "\(again.text.prefix(300))")
            // Many failures for many names from a few addresses (what once locked every name).
            for i in 0..<60 {
                _ = try await Self.login(h.port, "nobody\(i)", "wrong password guess", from: "127.0.0.\(10 + i % 3)")
            }
            let blocked = try await Self.login(h.port, "view", from: "127.0.0.10")
            #expect(blocked.response?.status == 429, "an address with 20 failures waits for every name")
            for (name, source) in [("root", "127.0.0.4"), ("view", "127.0.0.5"), ("disp", "127.0.0.1")] {
                let c = try await Self.login(h.port, name, from: source)
                #expect(c.response?.status == 201, "\(name) from \(source): \(c.text.prefix(200))")
            }
        }
    }

    @Test("a login that is not application/json gets 415 (a cross-site form cannot log in)")
    func loginOnlyJSON() async throws {
        try await Self.withServer(idle: 30, read: 5) { h in
            let form = try await Self.exchange(h.port, Self.post("/api/v1/session", "name=root&password=x", type: "application/x-www-form-urlencoded"))
            #expect(form.response?.status == 415, "\(form.text)")
            #expect(form.errorBody["field"] as? String == "Content-Type")
            let plain = try await Self.exchange(h.port, Self.post("/api/v1/session", #"{"name": "root", "password": "\#(APIRoutesTests.password)"}"#, type: "text/plain"))
            #expect(plain.response?.status == 415)
            let json = try await Self.exchange(h.port, Self.post("/api/v1/session", #"{"name": "root", "password": "\#(APIRoutesTests.password)"}"#,
                                                                 type: "application/json; charset=utf-8"))
            #expect(json.response?.status == 201)
        }
    }

    @Test("a Host not on the allow-list gets 421 with a JSON error (DNS rebinding); localhost and IP addresses are answered; the upgrade too")
    func hostAllowList() async throws {
        try await Self.withServer(idle: 30, read: 5) { h in
            let evil = try await Self.exchange(h.port, Self.get("/api/v1/console", host: "rebind.attacker.example:\(h.port)"))
            #expect(evil.response?.status == 421, "\(evil.text)")
            #expect(evil.errorBody["field"] as? String == "Host")
            for host in ["localhost:\(h.port)", "127.0.0.1:\(h.port)", "[::1]:\(h.port)", "LOCALHOST", "10.1.2.3"] {
                let ok = try await Self.exchange(h.port, Self.get("/api/v1/console", host: host))
                #expect(ok.response?.status == 200, "\(host): \(ok.text.prefix(200))")
            }
            let token = try await Self.token(h.port, "view")
            let ws = try await Self.answer(h.port, "GET /api/v1/live?token=\(token) HTTP/1.1\r\nHost: rebind.attacker.example\r\n\(Self.upgradeHeaders)\r\n")
            #expect(ws.response?.status == 421, "\(ws.text)")
        }
    }

    // MARK: control characters

    @Test("NUL and other control characters in JSON strings are refused with the field; a NUL cannot get round the per-name lockout")
    func controlCharacters() async throws {
        try await Self.withServer(idle: 30, read: 5) { h in
            for _ in 0..<5 { _ = try await Self.login(h.port, "disp", "wrong password guess") }
            let locked = try await Self.login(h.port, "disp")
            #expect(locked.response?.status == 429)
            let bypass = try await Self.exchange(h.port, Self.post("/api/v1/session", #"{"name": "disp\u0000x", "password": "\#(APIRoutesTests.password)"}"#))
            #expect(bypass.response?.status == 400, "\(bypass.text)")
            #expect(bypass.errorBody["field"] as? String == "name")

            let token = try await Self.token(h.port, "root")
            let cases: [(path: String, json: String, field: String)] = [
                ("/api/v1/pages", #"{"to": "2001\u0000", "text": "x"}"#, "to"),
                ("/api/v1/pages", #"{"to": "2001", "text": "evacuate\u0000 then return"}"#, "text"),
                ("/api/v1/pages", #"{"to": "2001", "text": "bell\u0007"}"#, "text"),
                ("/api/v1/tasks", #"{"title": "fire\u001b[31m"}"#, "title"),
                ("/api/v1/tasks", #"{"title": "fire", "source": {"kind": "point", "note": "a\u0000"}}"#, "source.note"),
                ("/api/v1/sorties", #"{"cells": ["ok", "C\u0001"]}"#, "cells[1]"),
                ("/api/v1/users", #"{"name": "eve\u0000", "role": "viewer", "password": "long enough secret"}"#, "name"),
                ("/api/v1/users", #"{"name": "eve", "role": "viewer", "password": "long enough\u0000secret"}"#, "password"),
                ("/api/v1/users/view/password", #"{"password": "long\ttab secret"}"#, "password"),
            ]
            for c in cases {
                let r = try await Self.exchange(h.port, Self.post(c.path, c.json, token: token))
                #expect(r.response?.status == 400, "\(c.path) \(c.json): \(r.text.prefix(300))")
                #expect(r.errorBody["field"] as? String == c.field, "\(c.path) \(c.json): \(r.errorBody)")
            }
            // A newline and a tab are text in a page; the task description may span lines.
            let task = try await Self.exchange(h.port, Self.post("/api/v1/tasks", #"{"title": "fire", "description": "line one\nline\ttwo", "location": {"lat": 22.9, "lon": 113.7}}"#, token: token))
            #expect(task.response?.status == 201, "\(task.text.prefix(300))")
            // Ids in the path and values in the query are checked too.
            let path = try await Self.exchange(h.port, "POST /api/v1/users/view%00x/disable HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            #expect(path.response?.status == 400, "\(path.text.prefix(300))")
            #expect(path.errorBody["field"] as? String == "path")
            let query = try await Self.exchange(h.port, Self.get("/api/v1/pages?to=2001%00", headers: "Authorization: Bearer \(token)\r\n"))
            #expect(query.response?.status == 400)
            #expect(query.errorBody["field"] as? String == "to")
            // Nothing was disabled: the user behind the NUL is still enabled.
            let users = try await h.parts.store.audit(limit: 100).filter { $0.action == "user disable" }
            #expect(users.isEmpty, "\(users)")
        }
    }

    // MARK: live feed, bearer, plan

    static let upgradeHeaders = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

    @Test("the live feed refuses an upgrade without a valid session with 401 and a JSON error, as the document says")
    func liveRefusals() async throws {
        try await Self.withServer(idle: 30, read: 5) { h in
            for query in ["", "?token=not-a-session"] {
                let c = try await Self.answer(h.port, "GET /api/v1/live\(query) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(Self.upgradeHeaders)\r\n")
                #expect(c.response?.status == 401, "\(query): \(c.text.prefix(300))")
                #expect(c.response?.headers["content-type"]?.hasPrefix("application/json") == true)
                #expect(c.errorBody["status"] as? Int == 401, "\(c.text)")
            }
            let token = try await Self.token(h.port, "view")
            let ok = try await RawConnection.open(port: h.port)
            try await ok.send("GET /api/v1/live?token=\(token) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(Self.upgradeHeaders)\r\n")
            try await ok.waitFor("the upgrade") { String(decoding: $0, as: UTF8.self).contains("\r\n\r\n") }
            #expect(ok.text.hasPrefix("HTTP/1.1 101"), "\(ok.text)")
            ok.close()
        }
    }

    /// A masked client text frame of `length` bytes of "a".
    static func frame(length: Int) -> [UInt8] {
        var f: [UInt8] = [0x81]
        if length < 126 { f.append(0x80 | UInt8(length)) } else if length < 65536 {
            f += [0x80 | 126, UInt8(length >> 8), UInt8(length & 0xFF)]
        } else {
            f.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { f.append(UInt8((length >> shift) & 0xFF)) }
        }
        let mask: [UInt8] = [1, 2, 3, 4]
        f += mask
        for i in 0..<length { f.append(UInt8(ascii: "a") ^ mask[i % 4]) }
        return f
    }

    @Test("an inbound WebSocket frame over 16 KiB closes the connection with 1009 and a reason, without a reset", arguments: [20_000, 200_000])
    func oversizedFrame(_ length: Int) async throws {
        try await Self.withServer(idle: 30, read: 5) { h in
            let token = try await Self.token(h.port, "view")
            let c = try await RawConnection.open(port: h.port)
            try await c.send("GET /api/v1/live?token=\(token) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(Self.upgradeHeaders)\r\n")
            try await c.waitFor("the upgrade") { String(decoding: $0, as: UTF8.self).contains("\r\n\r\n") }
            let headEnd = c.received.count
            try? await c.send(Self.frame(length: length))
            try await c.waitClosed(within: .seconds(10), "the connection after a \(length)-byte frame")
            let after = Array(c.received.dropFirst(headEnd))
            // A close frame: FIN + opcode 8, its length, code 1009, then the reason.
            #expect(after.count >= 4 && after[0] == 0x88, "\(after.prefix(16))")
            if after.count >= 4 {
                #expect(Int(after[2]) << 8 | Int(after[3]) == 1009)
                let reason = String(decoding: after.dropFirst(4).prefix(Int(after[1]) - 2), as: UTF8.self)
                if length <= LiveRoutes.maxMessageBytes { #expect(reason == LiveRoutes.frameTooLarge) }
            }
            #expect(c.failure == nil, "closed cleanly, not reset: \(String(describing: c.failure))")
        }
    }

    @Test("the Authorization scheme is case-insensitive (RFC 7235)")
    func bearerCase() async throws {
        try await Self.withServer(idle: 30, read: 5) { h in
            let token = try await Self.token(h.port, "view")
            for scheme in ["bearer", "BEARER", "Bearer"] {
                let c = try await Self.exchange(h.port, Self.get("/api/v1/session", headers: "Authorization: \(scheme) \(token)\r\n"))
                #expect(c.response?.status == 200, "\(scheme): \(c.text.prefix(200))")
            }
        }
    }

    @Test("POST /api/v1/plan runs one re-plan at a time: the others while it runs get 409 with a JSON error")
    func oneReplanAtATime() async throws {
        try await Self.withServer(idle: 30, read: 30, sorties: true) { h in
            let token = try await Self.token(h.port, "lead")
            let statuses = try await withThrowingTaskGroup(of: (Int, String).self) { g in
                for _ in 0..<4 {
                    g.addTask {
                        let c = try await Self.exchange(h.port, Self.post("/api/v1/plan", "{}", token: token), within: .seconds(100))
                        return (c.response?.status ?? 0, c.errorBody["message"] as? String ?? "")
                    }
                }
                var all: [(Int, String)] = []
                for try await s in g { all.append(s) }
                return all
            }
            #expect(statuses.filter { $0.0 == 200 }.count >= 1, "\(statuses.map(\.0))")
            #expect(statuses.filter { $0.0 == 409 }.count >= 1, "\(statuses.map(\.0))")
            #expect(statuses.allSatisfy { $0.0 == 200 || $0.0 == 409 }, "\(statuses.map(\.0))")
            for s in statuses where s.0 == 409 { #expect(s.1.contains("re-plan is running"), "\(s.1)") }
        }
    }

    // MARK: the failed-login table

    @Test("the failed-login table stays bounded and forgets expired entries")
    func failedLoginTable() {
        var t = LoginThrottle(limits: .init(maxEntries: 100))
        let start = Timestamp(milliseconds: 1_000_000_000_000)
        for i in 0..<1000 { t.recordFailure(name: "n\(i)", address: "10.0.\(i / 250).\(i % 250)", now: start) }
        #expect(t.entries.count <= 100, "\(t.entries.count)")
        t.prune(now: start.adding(seconds: 901))
        #expect(t.entries.isEmpty)
        // Waits double past the threshold, capped.
        var u = LoginThrottle()
        for _ in 0..<5 { u.recordFailure(name: "a", address: "x", now: start) }
        #expect(u.retryAfter(name: "a", address: "x", now: start) == 30)
        #expect(u.retryAfter(name: "a", address: "x", now: start.adding(seconds: 30)) == nil, "the wait ends")
        u.recordFailure(name: "a", address: "x", now: start)
        #expect(u.retryAfter(name: "a", address: "x", now: start) == 60, "and doubles with the next failure")
        for _ in 0..<3 { u.recordFailure(name: "a", address: "x", now: start) }
        #expect(u.retryAfter(name: "a", address: "x", now: start) == 480)
        for _ in 0..<20 { u.recordFailure(name: "a", address: "x", now: start) }
        #expect(u.retryAfter(name: "a", address: "x", now: start) == 900)
        #expect(u.retryAfter(name: "a", address: "y", now: start) == nil, "another address is not held")
        #expect(u.retryAfter(name: "b", address: "x", now: start) == 900, "the guessing address waits for every name past its own limit")
    }

    // MARK: the pure parts

    @Test("connection deadlines with a moved clock: idle, a slow head, a stalled body (408 unless answered), none while answering or after an upgrade")
    func deadlines() {
        let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
        func at(_ seconds: Double) -> NIODeadline { t0 + .nanoseconds(Int64(seconds * 1e9)) }
        var d = ConnectionDeadlines(limits: HTTPLimits(idleSeconds: 60, readSeconds: 10), now: t0)
        #expect(d.deadline == at(60))
        #expect(d.expired(now: at(59)) == .none)
        #expect(d.expired(now: at(60)) == .close, "an idle connection is closed without an answer")
        // A head starts: 10 s for all of it, however often bytes come.
        d.bytesRead(now: at(1))
        d.bytesRead(now: at(9))
        #expect(d.deadline == at(11))
        #expect(d.expired(now: at(11)) == .requestTimeout)
        // The head is complete; the body may pause 10 s at a time.
        d.headRead(now: at(2))
        d.bytesRead(now: at(5))
        #expect(d.deadline == at(15))
        #expect(d.expired(now: at(15)) == .requestTimeout)
        // The body ends: the controller is answering, no deadline.
        d.endRead(now: at(6))
        #expect(d.deadline == nil)
        d.responseHeadWritten(status: 200)
        d.responseEnded(now: at(100))
        #expect(d.deadline == at(160), "idle again from the answer")
        // Answered before the body ended: a stall then closes without a second answer.
        d.bytesRead(now: at(101))
        d.headRead(now: at(101))
        d.responseHeadWritten(status: 401)
        d.responseEnded(now: at(101))
        #expect(d.expired(now: at(111)) == .close)
        // A client that stops reading a long answer is closed after the idle time.
        d.bytesRead(now: at(200))
        d.headRead(now: at(200))
        d.endRead(now: at(200))
        #expect(d.deadline == nil)
        d.writability(false, now: at(201))
        #expect(d.deadline == at(261))
        d.writability(false, now: at(230))
        #expect(d.expired(now: at(261)) == .close)
        d.writability(true, now: at(240))
        #expect(d.deadline == nil, "reading again: the answer goes on")
        // After an upgrade the WebSocket's pings watch the connection.
        var w = ConnectionDeadlines(limits: HTTPLimits(), now: t0)
        w.bytesRead(now: t0)
        w.headRead(now: t0)
        w.endRead(now: t0)
        w.responseHeadWritten(status: 101)
        #expect(w.deadline == nil)
    }

    @Test("the Host allow-list: the defaults, configured names, * and IP literals")
    func hostNames() {
        let defaults = HostAllowList(configured: [], listenHost: "0.0.0.0", publicURL: "https://ops.example.cn:8443/")
        for host in ["localhost", "localhost:8080", "LOCALHOST.", "ops.example.cn", "ops.example.cn:8443", "127.0.0.1:8080", "[::1]:8080", "10.20.30.40", "[fe80::1]"] {
            #expect(defaults.allows(host), "\(host)")
        }
        for host in ["rebind.attacker.example", "example.cn", "127.0.0.1.attacker.example", "256.1.1.1", ""] {
            #expect(!defaults.allows(host), "\(host)")
        }
        #expect(defaults.allows(nil), "no Host: not a browser")
        let listed = HostAllowList(configured: ["tianyan.city.gov.cn"], listenHost: "127.0.0.1", publicURL: "")
        #expect(listed.allows("tianyan.city.gov.cn:80") && !listed.allows("localhost") && listed.allows("127.0.0.1"))
        #expect(HostAllowList(configured: ["*"], listenHost: "127.0.0.1", publicURL: "").allows("anything.example"))
    }
}
