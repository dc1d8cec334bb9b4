import Foundation
import Synchronization

/// A TCP relay on loopback between the controller and the broker, which can be cut: every relayed
/// connection is torn down and new ones are refused until `heal()`. The broker stays up meanwhile,
/// so devices keep publishing and the broker queues for the controller's persistent session.
final class Proxy: Sendable {
    let port: Int
    let target: Int
    private struct State {
        var listener: Int32 = -1
        var connections: Set<Int32> = []
    }
    private let state = Mutex(State())

    init(port: Int, target: Int) throws {
        self.port = port
        self.target = target
        try heal()
    }

    var url: String { "mqtt://127.0.0.1:\(port)" }

    func heal() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure("proxy socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = Self.address(port)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw Failure("proxy cannot listen on \(port): errno \(errno)")
        }
        state.withLock { $0.listener = fd }
        Thread.detachNewThread { [self] in acceptLoop(fd) }
    }

    /// Tears down every relayed connection and stops listening: connects are refused.
    func cut() {
        // Under the lock: a pair removes its descriptors under it before closing them, so none
        // shut down here can have been closed and reused.
        let listener = state.withLock { s -> Int32 in
            for fd in s.connections { shutdown(fd, Int32(SHUT_RDWR)) }
            defer { s.listener = -1 }
            return s.listener
        }
        if listener >= 0 {
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
    }

    private static func address(_ port: Int) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }

    private func acceptLoop(_ listener: Int32) {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return  // cut
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var addr = Self.address(target)
            let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
            let live = state.withLock { s -> Bool in
                guard s.listener == listener, ok else { return false }
                s.connections.insert(client)
                s.connections.insert(upstream)
                return true
            }
            guard live else {
                close(client)
                close(upstream)
                continue
            }
            let pair = Pair()
            Thread.detachNewThread { [self] in pump(from: client, to: upstream, pair) }
            Thread.detachNewThread { [self] in pump(from: upstream, to: client, pair) }
        }
    }

    /// The two pumps of one relayed connection; the second to finish closes both descriptors.
    private final class Pair: Sendable {
        let finished = Atomic<Int>(0)
    }

    private func pump(from a: Int32, to b: Int32, _ pair: Pair) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        loop: while true {
            let n = buffer.withUnsafeMutableBytes { read(a, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            var done = 0
            while done < n {
                let w = buffer.withUnsafeBytes { write(b, $0.baseAddress! + done, n - done) }
                if w < 0, errno == EINTR { continue }
                if w <= 0 { break loop }
                done += w
            }
        }
        shutdown(a, Int32(SHUT_RDWR))
        shutdown(b, Int32(SHUT_RDWR))
        if pair.finished.add(1, ordering: .acquiringAndReleasing).newValue == 2 {
            state.withLock { s in
                s.connections.remove(a)
                s.connections.remove(b)
            }
            close(a)
            close(b)
        }
    }
}
