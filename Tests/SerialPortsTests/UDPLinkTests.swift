import Foundation
import SerialPorts
import Testing
import TianyanTesting

/// The UDP datagram link against a plain UDP socket on loopback: datagram boundaries kept both
/// ways, strangers filtered out, and a gateway that goes away (ICMP port unreachable) closing
/// the link with the reason.
@Suite("UDP datagram link")
struct UDPLinkTests {
    /// A plain UDP socket on 127.0.0.1, port chosen by the system.
    final class Peer: @unchecked Sendable {
        // Invariant: used by one test at a time; closed once.
        let fd: Int32
        let port: UInt16

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = 0
            let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            guard fd >= 0, bound == 0 else { throw TestFailure("cannot bind a UDP socket on loopback: \(String(cString: strerror(errno)))") }
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
            self.fd = fd
            port = UInt16(bigEndian: addr.sin_port)
        }

        func send(_ bytes: [UInt8], to port: UInt16) {
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = port.bigEndian
            _ = withUnsafePointer(to: &addr) { a in a.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }

        /// The next datagram, or nil after `timeout` milliseconds.
        func receive(timeout: Int32 = 5_000) -> [UInt8]? {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, timeout) > 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            let n = recv(fd, &buffer, buffer.count, 0)
            return n >= 0 ? Array(buffer.prefix(n)) : nil
        }

        func close() { Glibc.close(fd) }
    }

    /// Collects what the link yields, datagram by datagram.
    final class Received: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [[UInt8]] = []
        func add(_ d: [UInt8]) { lock.lock(); items.append(d); lock.unlock() }
        var all: [[UInt8]] { lock.lock(); defer { lock.unlock() }; return items }
    }

    @Test("datagrams keep their boundaries both ways, and only the gateway's datagrams arrive")
    func boundaries() async throws {
        let gateway = try Peer()
        let stranger = try Peer()
        defer { gateway.close(); stranger.close() }
        let link = try await UDPLink.open(host: "127.0.0.1", port: gateway.port)
        defer { link.close() }
        #expect(link.localPort > 0 && link.name == "udp 127.0.0.1:\(gateway.port)")
        let received = Received()
        let reader = Task { for await d in link.bytes { received.add(d) } }
        defer { reader.cancel() }

        let sizes = [1, 1_000, 9_000, 65_000]
        let sent = sizes.enumerated().map { i, n in (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) } }
        stranger.send([0xEE, 0xEE], to: link.localPort)
        for d in sent { gateway.send(d, to: link.localPort) }
        try await waitUntil("four datagrams from the gateway", timeout: .seconds(5)) { received.all.count >= 4 }
        #expect(received.all == sent, "one chunk per datagram, as sent: \(received.all.map(\.count))")

        try await link.write([0x32, 0x42, 0x00, 0x01])
        try await link.write(Array(repeating: 0x7E, count: 1_500))
        #expect(gateway.receive() == [0x32, 0x42, 0x00, 0x01])
        #expect(gateway.receive()?.count == 1_500)
        await #expect(throws: SerialPortError.self) { try await link.write(Array(repeating: 0, count: 70_000)) }
    }

    @Test("a gateway that goes away closes the link with the reason; a fixed local port is bound")
    func gatewayGone() async throws {
        let gateway = try Peer()
        let probe = try Peer()
        let local = probe.port
        probe.close()
        let link = try await UDPLink.open(host: "127.0.0.1", port: gateway.port, localPort: local)
        #expect(link.localPort == local)
        let reader = Task { for await _ in link.bytes {} }
        defer { reader.cancel(); link.close() }
        gateway.close()
        // The first datagram draws an ICMP port unreachable; the socket reports it as refused.
        try? await link.write([1])
        try await waitUntil("the link to close once the gateway is gone", timeout: .seconds(5)) {
            try? await link.write([2])
            return !link.state.isOpen
        }
        #expect("\(link.state)".contains("refused"), "\(link.state)")
    }

    @Test("udp:// gateway URLs: host, port, local port and profile; wrong ones say what is wrong")
    func urls() throws {
        let url = try GatewayURL(parsing: "udp://10.0.0.7:30007?local_port=30008&profile=hytera")
        #expect(url.endpoint == .udp(host: "10.0.0.7", port: 30007, localPort: 30008) && url.profile == "hytera")
        #expect(try GatewayURL(parsing: url.description) == url)
        #expect(try GatewayURL(parsing: "udp://[::1]:5000").endpoint == .udp(host: "::1", port: 5000, localPort: nil))
        for (text, why) in [("udp://host", "no port"), ("udp://host:1?local_port=0", "local_port=0"),
                            ("udp://host:1?baud=9600", "unknown setting 'baud'"), ("tcp://host:1?local_port=5", "unknown setting 'local_port'")] {
            #expect(throws: SerialPortError.self, "\(text)") { try GatewayURL(parsing: text) }
            do { _ = try GatewayURL(parsing: text) } catch { #expect(error.message.contains(why), "\(text): \(error.message)") }
        }
    }
}
