import Foundation
import SerialPorts
import Synchronization
import Testing
import TianyanTesting

@Suite(.timeLimit(.minutes(1))) struct ReconnectingLinkTests {
    @Test func backoffDoublesToTheMaximum() {
        let b = ReconnectingLink.Backoff()
        #expect((0..<9).map { b.delay(afterFailures: $0) } == [
            .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16),
            .seconds(30), .seconds(30), .seconds(30),
        ])
        #expect(b.delay(afterFailures: 10_000) == .seconds(30))
    }

    @Test func reconnectsToANewSocatOnTheSameLinkPath() async throws {
        let dir = try TemporaryDirectory("reconnect")
        defer { dir.remove() }
        let radio = dir.file("radio"), farEnd = dir.file("far-end")
        var socat = try await Socat(links: (radio, farEnd))
        defer { socat.stop() }
        let link = ReconnectingLink(
            url: try GatewayURL(parsing: "serial://\(radio)?baud=9600"),
            backoff: .init(initial: .milliseconds(100), maximum: .milliseconds(400)))
        let events = EventCollector(link.events)
        let received = ByteCollector(link.bytes)
        let runner = Task { await link.run() }
        defer { link.close(); runner.cancel() }

        try await events.waitFor("the first connection") { $0.contains(.connected(name: radio)) }
        var far = try TermiosLink.open(path: farEnd)
        try await far.write(Array("+CTSDSR: 12,1001\r\n".utf8))
        try await received.waitFor("+CTSDSR: 12,1001\r\n")

        socat.stop()
        far.close()
        try await events.waitFor("the link to report line lost") {
            $0.contains { if case .lost(let r) = $0 { r.contains("line lost") } else { false } }
        }
        try await events.waitFor("a reconnect to be scheduled") {
            $0.contains { if case .reconnecting = $0 { true } else { false } }
        }
        #expect(link.state != .open)
        await #expect(throws: SerialPortError.self) { try await link.write([0x41]) }

        try? FileManager.default.removeItem(atPath: radio)
        try? FileManager.default.removeItem(atPath: farEnd)
        socat = try await Socat(links: (radio, farEnd))
        try await events.waitFor("the second connection", timeout: .seconds(10)) {
            $0.filter { $0 == .connected(name: radio) }.count == 2
        }
        far = try TermiosLink.open(path: farEnd)
        defer { far.close() }
        try await far.write(Array("+CTXG: 2\r\n".utf8))
        try await received.waitFor("+CTSDSR: 12,1001\r\n+CTXG: 2\r\n")
        let farReceived = ByteCollector(far.bytes)
        try await link.write(Array("AT\r".utf8))
        try await farReceived.waitFor("AT\r")

        link.close()
        try await received.waitForEnd()
        #expect(link.state == .closed(reason: "closed by caller"))
    }

    @Test func aTCPGatewayThatHangsUpIsReconnected() async throws {
        let server = try EchoServer()
        defer { server.stop() }
        let link = ReconnectingLink(
            url: try GatewayURL(parsing: "tcp://127.0.0.1:\(server.port)"),
            backoff: .init(initial: .milliseconds(50), maximum: .milliseconds(200)))
        let events = EventCollector(link.events)
        let received = ByteCollector(link.bytes)
        let runner = Task { await link.run() }
        defer { link.close(); runner.cancel() }
        try await received.waitFor("HELLO\r\n")
        server.hangUp()
        try await received.waitFor("HELLO\r\nHELLO\r\n")
        #expect(server.connections == 2)
        #expect(events.events.first == .connected(name: "127.0.0.1:\(server.port)"))
        #expect(events.events.contains { if case .lost = $0 { true } else { false } })
    }
}

final class EventCollector: Sendable {
    private final class Shared: Sendable { let events = Mutex<[ReconnectingLink.Event]>([]) }
    private let shared = Shared()
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(_ stream: AsyncStream<ReconnectingLink.Event>) {
        let t = Task { [shared] in
            for await e in stream { shared.events.withLock { $0.append(e) } }
        }
        task.withLock { $0 = t }
    }

    var events: [ReconnectingLink.Event] { shared.events.withLock { $0 } }

    func waitFor(_ what: String, timeout: Duration = .seconds(20),
                 _ condition: @escaping ([ReconnectingLink.Event]) -> Bool) async throws {
        try await waitUntil("\(what) (events so far: \(events))", timeout: timeout) { condition(events) }
    }

    deinit { task.withLock { $0?.cancel() } }
}
