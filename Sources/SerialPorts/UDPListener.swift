import Foundation
import Logging
import Synchronization

/// UDP sockets bound on one address at several ports, for an IP gateway that sends to us (a
/// Hytera repeater's "Forward to PC": one port per service and slot). Each datagram arrives with
/// the port it came in on and the address it came from; an answer goes back from that port.
/// One reader thread polls every socket; sends are non-blocking (a datagram that does not fit
/// the socket buffer is dropped and reported, as UDP would).
public final class UDPListener: Sendable {
    /// Where a datagram came from: an IPv4 or IPv6 address and port.
    public struct Peer: Hashable, Sendable, CustomStringConvertible {
        let storage: [UInt8]
        public let description: String
    }

    public struct Datagram: Sendable {
        /// The local port it arrived on.
        public var port: UInt16
        public var from: Peer
        public var bytes: [UInt8]
    }

    public let host: String
    public let ports: [UInt16]
    public let datagrams: AsyncStream<Datagram>
    private let continuation: AsyncStream<Datagram>.Continuation
    private let sockets: [UInt16: Int32]
    private let running = Mutex(true)
    private let logger: Logger

    private init(host: String, sockets: [UInt16: Int32], logger: Logger) {
        self.host = host
        self.sockets = sockets
        ports = sockets.keys.sorted()
        self.logger = logger
        (datagrams, continuation) = AsyncStream.makeStream(of: Datagram.self, bufferingPolicy: .bufferingNewest(100_000))
    }

    /// Binds `host` (`0.0.0.0`, `127.0.0.1`, `::`) at every port of `ports`; fails naming the
    /// port that cannot be bound.
    public static func open(host: String, ports: [UInt16], logger: Logger = Logger(label: "tianyan.udp")) throws(SerialPortError) -> UDPListener {
        var sockets: [UInt16: Int32] = [:]
        func fail(_ e: SerialPortError) -> SerialPortError {
            for fd in sockets.values { Glibc.close(fd) }
            return e
        }
        for port in ports where sockets[port] == nil {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
            hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST
            var list: UnsafeMutablePointer<addrinfo>?
            let rc = getaddrinfo(host, String(port), &hints, &list)
            guard rc == 0, let ai = list else {
                throw fail(SerialPortError(.connectFailed, "cannot listen on UDP \(host): \(String(cString: gai_strerror(rc))) (write an IP address)"))
            }
            defer { freeaddrinfo(list) }
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { throw fail(SerialPortError(.connectFailed, "cannot make a UDP socket: \(errnoText(errno))")) }
            // No SO_REUSEADDR: on UDP it would let another socket take the same port and the
            // repeater's datagrams with it.
            var size: Int32 = 4 << 20
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            guard bind(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 else {
                let e = errno
                Glibc.close(fd)
                let hint = e == EADDRINUSE ? " (another program uses it; change the gateway URL's port)" : ""
                throw fail(SerialPortError(.connectFailed, "cannot bind UDP \(host):\(port): \(errnoText(e))\(hint)", systemError: e))
            }
            sockets[port] = fd
        }
        let listener = UDPListener(host: host, sockets: sockets, logger: logger)
        let thread = Thread { listener.readLoop() }
        thread.name = "udp-listener \(host):\(ports.first ?? 0)"
        thread.start()
        return listener
    }

    private func readLoop() {
        let order = ports
        var fds = order.map { pollfd(fd: sockets[$0]!, events: Int16(POLLIN), revents: 0) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while running.withLock({ $0 }) {
            let ready = poll(&fds, nfds_t(fds.count), 100)
            if ready <= 0 { continue }
            for (i, p) in fds.enumerated() where p.revents & Int16(POLLIN) != 0 {
                while true {
                    var storage = sockaddr_storage()
                    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                    let n = withUnsafeMutablePointer(to: &storage) { sp in
                        sp.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(p.fd, &buffer, buffer.count, 0, $0, &length) }
                    }
                    if n < 0 { break }
                    let copy = storage
                    let raw = withUnsafeBytes(of: copy) { Array($0.prefix(Int(length))) }
                    let peer = Peer(storage: raw, description: Self.describe(copy))
                    continuation.yield(Datagram(port: order[i], from: peer, bytes: Array(buffer[0..<n])))
                }
                fds[i].revents = 0
            }
        }
        for fd in sockets.values { Glibc.close(fd) }
        continuation.finish()
    }

    static func describe(_ s: sockaddr_storage) -> String {
        var s = s
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var serv = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let rc = withUnsafePointer(to: &s) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, socklen_t(MemoryLayout<sockaddr_storage>.size), &host, socklen_t(host.count), &serv, socklen_t(serv.count),
                            NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard rc == 0 else { return "?" }
        let h = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let p = String(decoding: serv.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return h.contains(":") ? "[\(h)]:\(p)" : "\(h):\(p)"
    }

    /// Sends one datagram to `peer` from local `port`. Throws when the port is not one of ours or
    /// the system refuses it (a full buffer, an unreachable network).
    public func send(_ bytes: [UInt8], to peer: Peer, from port: UInt16) throws(SerialPortError) {
        guard let fd = sockets[port] else { throw SerialPortError(.io, "UDP port \(port) is not one this gateway listens on") }
        guard running.withLock({ $0 }) else { throw SerialPortError(.io, "the UDP listener is closed") }
        let n = peer.storage.withUnsafeBytes { raw in
            bytes.withUnsafeBytes { b in
                sendto(fd, b.baseAddress, b.count, 0, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
        }
        guard n == bytes.count else { throw SerialPortError(.io, "cannot send a datagram to \(peer) from port \(port): \(errnoText(errno))") }
    }

    /// Stops the reader and closes the sockets; `datagrams` finishes.
    public func close() { running.withLock { $0 = false } }
}
