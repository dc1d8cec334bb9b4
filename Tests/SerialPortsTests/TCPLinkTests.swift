import Foundation
import SerialPorts
import Synchronization
import Testing
import TianyanTesting

/// A loopback echo server on plain sockets: it greets each connection with "HELLO\r\n", echoes
/// what it reads, and hangs up when told.
final class EchoServer: Sendable {
    private struct State { var client: Int32 = -1; var stop = false; var hangUp = false; var connections = 0 }
    private final class Shared: Sendable { let state = Mutex(State()) }
    private let shared = Shared()
    private let listener: Int32
    let port: UInt16

    init() throws {
        // Close-on-exec: a child spawned by another test meanwhile must not inherit (and hold open) our sockets.
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var one: Int32 = 1
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(sock, 4) == 0 else { throw SocatFailure(description: "cannot listen on loopback: \(String(cString: strerror(errno)))") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) }
        }
        port = UInt16(bigEndian: addr.sin_port)
        listener = sock
        let listener = self.listener
        let shared = self.shared
        Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !shared.state.withLock({ $0.stop }) {
                var client = shared.state.withLock { $0.client }
                if client < 0 {
                    var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                    if poll(&pfd, 1, 50) > 0 {
                        client = accept(listener, nil, nil)
                        if client >= 0 { _ = fcntl(client, F_SETFD, FD_CLOEXEC) }
                        _ = "HELLO\r\n".utf8CString.withUnsafeBufferPointer { send(client, $0.baseAddress, 7, Int32(MSG_NOSIGNAL)) }
                        shared.state.withLock { $0.client = client; $0.connections += 1 }
                    }
                    continue
                }
                if shared.state.withLock({ $0.hangUp }) {
                    Glibc.close(client)
                    shared.state.withLock { $0.client = -1; $0.hangUp = false }
                    continue
                }
                var pfd = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, 50) > 0 else { continue }
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { Glibc.close(client); shared.state.withLock { $0.client = -1 }; continue }
                _ = send(client, buffer, n, Int32(MSG_NOSIGNAL))
            }
            let c = shared.state.withLock { $0.client }
            if c >= 0 { Glibc.close(c) }
            Glibc.close(listener)
        }.start()
    }

    var connections: Int { shared.state.withLock { $0.connections } }

    /// Closes the current connection from the server side.
    func hangUp() { shared.state.withLock { $0.hangUp = true } }

    func stop() { shared.state.withLock { $0.stop = true } }
}

@Suite(.timeLimit(.minutes(1))) struct TCPLinkTests {
    // This test used to miss the server's hang-up in the parallel full suite: the echo server's
    // accepted socket was not close-on-exec, so a child process spawned meanwhile by another test
    // inherited it and kept the connection open after the server closed its copy. Fixed by
    // SOCK_CLOEXEC here and in the other helpers.
    @Test
    func echoBothWaysThenServerCloseClosesTheLink() async throws {
        let server = try EchoServer()
        defer { server.stop() }
        let link = try await SerialLinkFactory().open(url: GatewayURL(parsing: "tcp://127.0.0.1:\(server.port)?profile=test"))
        defer { link.close() }
        #expect(link is TCPLink)
        #expect(link.name == "127.0.0.1:\(server.port)")
        let received = ByteCollector(link.bytes)
        try await received.waitFor("HELLO\r\n")
        try await link.write(Array("AT+CNUMF?\r\n".utf8))
        try await received.waitFor("HELLO\r\nAT+CNUMF?\r\n")
        server.hangUp()
        try await received.waitForEnd()
        guard case .closed(let reason) = link.state else { Issue.record("still \(link.state)"); return }
        #expect(reason.contains("line lost"), "\(reason)")
    }

    @Test func nothingListeningIsAClearError() async throws {
        // A port bound but not listening: connecting is refused, and no other test (they run in
        // parallel) can be given this port while we hold it.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { Glibc.close(holder) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, len) } }
        #expect(bound == 0)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(holder, $0, &len) } }
        let port = UInt16(bigEndian: addr.sin_port)
        do {
            let link = try await TCPLink.connect(host: "127.0.0.1", port: port, timeout: .seconds(2))
            link.close()
            Issue.record("connected to a closed port")
        } catch {
            #expect(error.code == .connectFailed)
            #expect(error.message.contains("127.0.0.1:\(port)"))
            #expect(error.message.contains("Connection refused"))
        }
    }

    @Test func unknownHostIsAClearError() async {
        do {
            _ = try await TCPLink.connect(host: "no-such-gateway.invalid", port: 4001, timeout: .seconds(2))
            Issue.record("resolved an .invalid name")
        } catch {
            #expect(error.message.contains("no-such-gateway.invalid"))
        }
    }
}
