import Foundation
import Logging

/// A TCP connection to an IP gateway (or a serial server), with TCP_NODELAY. The peer closing
/// the connection closes the link.
public final class TCPLink: ByteLink {
    private let core: LinkCore

    public var name: String { core.name }
    public var bytes: AsyncStream<[UInt8]> { core.bytes }
    public var state: LinkState { core.linkState }

    private init(core: LinkCore) { self.core = core }

    /// Resolves `host` and connects within `timeout`. Name resolution and the connect wait run
    /// on a thread of their own, not on the caller's.
    public static func connect(host: String, port: UInt16, timeout: Duration = .seconds(5),
                               logger: Logger = Logger(label: "tianyan.serial")) async throws(SerialPortError) -> TCPLink {
        let name = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let result: Result<Int32, SerialPortError> = await onOwnThread(named: "tcp-connect \(name)") {
            connectBlocking(host: host, port: port, name: name, timeout: timeout)
        }
        let fd = try result.get()
        let core = LinkCore(name: name, handle: DescriptorHandle(descriptor: fd, isSocket: true), logger: logger)
        core.start()
        logger.debug("tcp link open", metadata: ["gateway.address": "\(name)"])
        return TCPLink(core: core)
    }

    public func write(_ bytes: [UInt8]) async throws(SerialPortError) { try await core.write(bytes) }

    public func close() { core.markClosed("closed by caller") }

    private static func connectBlocking(host: String, port: UInt16, name: String, timeout: Duration) -> Result<Int32, SerialPortError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            return .failure(SerialPortError(.connectFailed, "cannot resolve \(host): \(String(cString: gai_strerror(rc))) (check the host name in the gateway URL)"))
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        let deadline = ContinuousClock.now + timeout
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let ai = entry {
            entry = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), ai.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errnoText(errno); continue }
            if Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) != 0 {
                let e = errno
                guard e == EINPROGRESS else { lastError = errnoText(e); Glibc.close(fd); continue }
                let left = deadline - ContinuousClock.now
                let ms = max(0, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                var ready: Int32
                repeat { ready = poll(&pfd, 1, ms) } while ready < 0 && errno == EINTR
                if ready == 0 {
                    Glibc.close(fd)
                    return .failure(SerialPortError(.timedOut, "cannot connect to \(name): no answer within \(timeout) (is the gateway on and reachable?)"))
                }
                var soError: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len)
                if ready < 0 || soError != 0 {
                    lastError = errnoText(ready < 0 ? errno : soError)
                    Glibc.close(fd)
                    continue
                }
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            return .success(fd)
        }
        return .failure(SerialPortError(.connectFailed, "cannot connect to \(name): \(lastError) (is the gateway listening on that port?)"))
    }
}

/// Runs blocking `work` on a new thread and resumes the caller with its result.
func onOwnThread<T: Sendable>(named name: String, _ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (c: CheckedContinuation<T, Never>) in
        let t = Thread { c.resume(returning: work()) }
        t.name = name
        t.start()
    }
}
