import Foundation
import Logging

/// A link whose chunks are datagrams: each element of `bytes` is exactly one datagram as it
/// arrived, and each `write` sends exactly one. IP radio gateways that speak over UDP (Hytera's
/// HRNP, for one) frame their messages this way.
public protocol DatagramLink: ByteLink {}

/// A UDP "connection" to an IP gateway: a socket bound to `localPort` (or any port) and connected
/// to the gateway's address, so that only its datagrams arrive and an ICMP "port unreachable"
/// (the gateway gone) closes the link, which a `ReconnectingLink` then reopens.
public final class UDPLink: DatagramLink {
    private let core: LinkCore

    public var name: String { core.name }
    public var bytes: AsyncStream<[UInt8]> { core.bytes }
    public var state: LinkState { core.linkState }
    /// The local port the socket is bound to (the one the gateway sends to).
    public let localPort: UInt16

    private init(core: LinkCore, localPort: UInt16) {
        self.core = core
        self.localPort = localPort
    }

    /// Resolves `host` (on a thread of its own) and opens the socket.
    public static func open(host: String, port: UInt16, localPort: UInt16? = nil,
                            logger: Logger = Logger(label: "tianyan.serial")) async throws(SerialPortError) -> UDPLink {
        let name = "udp " + (host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        let result: Result<(Int32, UInt16), SerialPortError> = await onOwnThread(named: "udp-open \(name)") {
            openBlocking(host: host, port: port, localPort: localPort, name: name)
        }
        let (fd, bound) = try result.get()
        let core = LinkCore(name: name, handle: DescriptorHandle(descriptor: fd, isSocket: true), readBufferSize: 65_536, logger: logger)
        core.start()
        logger.debug("udp link open", metadata: ["gateway.address": "\(name)", "gateway.local_port": "\(bound)"])
        return UDPLink(core: core, localPort: bound)
    }

    /// Sends `bytes` as one datagram.
    public func write(_ bytes: [UInt8]) async throws(SerialPortError) {
        guard bytes.count <= 65_507 else {
            throw SerialPortError(.io, "cannot send \(bytes.count) bytes to \(name) in one datagram (at most 65,507)")
        }
        try await core.write(bytes)
    }

    public func close() { core.markClosed("closed by caller") }

    private static func openBlocking(host: String, port: UInt16, localPort: UInt16?, name: String) -> Result<(Int32, UInt16), SerialPortError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            return .failure(SerialPortError(.connectFailed, "cannot resolve \(host): \(String(cString: gai_strerror(rc))) (check the host name in the gateway URL)"))
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let ai = entry {
            entry = ai.pointee.ai_next
            let family = ai.pointee.ai_family
            let fd = socket(family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), ai.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errnoText(errno); continue }
            if let localPort {
                var one: Int32 = 1
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
                let bound: Int32
                if family == AF_INET6 {
                    var a = sockaddr_in6()
                    a.sin6_family = sa_family_t(AF_INET6)
                    a.sin6_port = localPort.bigEndian
                    a.sin6_addr = in6addr_any
                    bound = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
                } else {
                    var a = sockaddr_in()
                    a.sin_family = sa_family_t(AF_INET)
                    a.sin_port = localPort.bigEndian
                    a.sin_addr = in_addr(s_addr: INADDR_ANY)
                    bound = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
                }
                if bound != 0 {
                    let e = errno
                    Glibc.close(fd)
                    let hint = e == EADDRINUSE ? " (another program uses that port; change local_port=)" : ""
                    return .failure(SerialPortError(.connectFailed, "cannot bind UDP port \(localPort) for \(name): \(errnoText(e))\(hint)",
                                                     systemError: e))
                }
            }
            guard Glibc.connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 else {
                lastError = errnoText(errno)
                Glibc.close(fd)
                continue
            }
            return .success((fd, boundPort(fd)))
        }
        return .failure(SerialPortError(.connectFailed, "cannot open UDP to \(name): \(lastError)"))
    }

    private static func boundPort(_ fd: Int32) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard rc == 0 else { return 0 }
        return withUnsafePointer(to: &storage) { p in
            if Int32(p.pointee.ss_family) == AF_INET6 {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }
}
