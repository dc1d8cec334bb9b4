import Foundation
import Logging
import Synchronization

/// The one owner of an open descriptor-backed handle (a tty fd, a socket, an sp_port).
protocol LinkHandle: Sendable {
    /// The file descriptor to poll for input.
    var descriptor: Int32 { get }
    /// One non-blocking write attempt.
    func writeSome(_ buffer: UnsafeRawBufferPointer) -> WriteOutcome
    /// Releases the handle. Called exactly once, by the reader thread as it ends.
    func release()
}

enum WriteOutcome {
    case wrote(Int)
    case wouldBlock
    case failed(String)
}

/// The shared machinery of descriptor links: a dedicated reader thread polling with a short
/// timeout (so `close` is seen within `pollInterval`), an `AsyncStream` of chunks, a state
/// guarded by a mutex, and non-blocking writes that wait off the cooperative pool's threads.
final class LinkCore: Sendable {
    private struct State {
        var link: LinkState = .open
        /// False once the reader thread has released the handle; writes check it under the lock.
        var handleLive = true
    }

    let name: String
    let bytes: AsyncStream<[UInt8]>
    private let continuation: AsyncStream<[UInt8]>.Continuation
    private let handle: any LinkHandle
    private let state = Mutex(State())
    private let logger: Logger
    private let writeTimeout: Duration
    /// The most one read takes: a datagram link reads whole datagrams (up to 64 KiB).
    private let readBufferSize: Int
    static let pollInterval: Int32 = 100  // ms

    init(name: String, handle: any LinkHandle, writeTimeout: Duration = .seconds(5), readBufferSize: Int = 4096, logger: Logger) {
        self.name = name
        self.handle = handle
        self.writeTimeout = writeTimeout
        self.readBufferSize = readBufferSize
        self.logger = logger
        (bytes, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .unbounded)
    }

    /// Starts the reader thread. Call once, after init.
    func start() {
        let thread = Thread { [self] in readLoop() }
        thread.name = "link-reader \(name)"
        thread.start()
        continuation.onTermination = { [weak self] _ in
            self?.markClosed("the byte stream's consumer went away")
        }
    }

    var linkState: LinkState { state.withLock { $0.link } }

    /// Marks the link closed with `reason` if it was open; the reader thread then finishes the
    /// stream and releases the handle.
    func markClosed(_ reason: String) {
        let changed = state.withLock { s -> Bool in
            guard s.link == .open else { return false }
            s.link = .closed(reason: reason)
            return true
        }
        if changed { logger.debug("link closed", metadata: ["serial.port": "\(name)", "reason": "\(reason)"]) }
    }

    private func readLoop() {
        let fd = handle.descriptor
        let bufferSize = readBufferSize
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 1)
        defer { buffer.deallocate() }
        while linkState == .open {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Self.pollInterval)
            if ready < 0 {
                let e = errno
                if e == EINTR { continue }
                markClosed("poll failed: \(errnoText(e))")
                break
            }
            if ready == 0 { continue }
            if pfd.revents & Int16(POLLNVAL) != 0 { markClosed("line lost (descriptor invalid)"); break }
            let n = read(fd, buffer, bufferSize)
            if n > 0 {
                continuation.yield(Array(UnsafeRawBufferPointer(start: buffer, count: n)))
                continue
            }
            if n == 0 { markClosed("line lost (end of file)"); break }
            let e = errno
            switch e {
            case EAGAIN, EWOULDBLOCK, EINTR:
                // Readable yet nothing to read: only a hang-up does this repeatedly.
                if pfd.revents & Int16(POLLHUP | POLLERR) != 0 { markClosed("line lost (hang-up)") }
                continue
            case EIO, ENXIO, ENODEV:
                markClosed("line lost (\(errnoText(e)))")
            default:
                markClosed("read failed: \(errnoText(e))")
            }
            break
        }
        state.withLock { s in
            s.handleLive = false
            handle.release()
        }
        continuation.finish()
    }

    func write(_ bytes: [UInt8]) async throws(SerialPortError) {
        var offset = 0
        let deadline = ContinuousClock.now + writeTimeout
        var pause = Duration.milliseconds(1)
        while offset < bytes.count {
            let outcome: WriteOutcome = state.withLock { s in
                guard s.link == .open, s.handleLive else { return .failed("") }
                return bytes.withUnsafeBytes { all in
                    handle.writeSome(UnsafeRawBufferPointer(rebasing: all[offset...]))
                }
            }
            switch outcome {
            case .wrote(let n):
                offset += n
                pause = .milliseconds(1)
            case .wouldBlock:
                if ContinuousClock.now >= deadline {
                    throw SerialPortError(.timedOut, "write to \(name) stalled for \(writeTimeout) with \(bytes.count - offset) bytes unsent (with flow=rtscts the far end must assert CTS; check the cable and the gateway's flow-control setting)")
                }
                do { try await Task.sleep(for: pause) } catch {
                    throw SerialPortError(.io, "write to \(name) cancelled with \(bytes.count - offset) bytes unsent")
                }
                pause = min(pause * 2, .milliseconds(20))
            case .failed(let why):
                if why.isEmpty {
                    throw SerialPortError(.closed, "cannot write to \(name): the link is \(linkState)")
                }
                markClosed("write failed: \(why)")
                throw SerialPortError(.io, "write to \(name) failed: \(why)")
            }
        }
    }
}

/// A plain file descriptor (a tty or a socket), closed on release.
struct DescriptorHandle: LinkHandle {
    let descriptor: Int32
    /// Sockets are written with MSG_NOSIGNAL so a closed peer is an error, not SIGPIPE.
    var isSocket = false

    func writeSome(_ buffer: UnsafeRawBufferPointer) -> WriteOutcome {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .wrote(0) }
        let n = isSocket ? send(descriptor, base, buffer.count, Int32(MSG_NOSIGNAL))
                         : Glibc.write(descriptor, base, buffer.count)
        if n >= 0 { return .wrote(n) }
        let e = errno
        if e == EAGAIN || e == EWOULDBLOCK || e == EINTR { return .wouldBlock }
        return .failed(errnoText(e))
    }

    func release() { Glibc.close(descriptor) }
}
