import Foundation
import Logging
import Synchronization
import TianyanModel

/// Set once by `SimShell.installSignalHandlers`; the handlers write the signal number to it.
nonisolated(unsafe) private var signalWakeDescriptor: Int32 = -1

/// The I/O shell around `RadioSimulator`: owns the pty or the TCP listener, reads with `poll`
/// on the calling thread (never on Swift's cooperative pool), feeds the simulator with real time
/// and writes what it answers. Unplugs on a timer, on SIGUSR1 or on `requestUnplug()`.
final class SimShell: Sendable {
    enum Transport: Hashable, Sendable {
        /// A pty pair; `path` becomes a symlink to the slave side.
        case pty(path: String)
        /// Listen on host:port (0 = any free port); one client at a time.
        case tcp(host: String, port: UInt16)
    }

    struct Options: Sendable {
        var unplugEvery: Double = 0
        var unplugFor: Double = 5
        var runFor: Double?
        var logLines = false
        /// Seconds between status lines on stderr; 0 = none.
        var statusEvery: Double = 0
        /// Print the machine-readable `radio-sim ready …` lines on stdout.
        var printReady = false
    }

    /// What the shell reports as it goes (for tests and the ready line).
    enum Notice: Hashable, Sendable {
        /// The line is up: `pty=/path` or `tcp=host:port`.
        case ready(String)
        case unplugged
        /// A client connected (TCP) or the first bytes arrived (pty).
        case clientConnected
        case clientRefused
        case stopped
    }

    private struct State: Sendable {
        var simulator: any SimulatedGateway
        var wakeWrite: Int32 = -1
        var handlesSignals = false
    }

    let transport: Transport
    let options: Options
    private let state: Mutex<State>
    private let dropLog = Mutex<ContinuousClock.Instant?>(nil)
    private let notify: @Sendable (Notice) -> Void
    private let logger: Logger

    init(simulator: any SimulatedGateway, transport: Transport, options: Options, logger: Logger = Logger(label: "radio-sim"),
         notify: @escaping @Sendable (Notice) -> Void = { _ in }) {
        self.transport = transport
        self.options = options
        self.logger = logger
        self.notify = notify
        state = Mutex(State(simulator: simulator))
    }

    /// A logger that only tells warnings and errors (for tests).
    static func quietLogger() -> Logger {
        var logger = Logger(label: "radio-sim")
        logger.logLevel = .warning
        return logger
    }

    /// What the simulator has done so far.
    var counters: RadioSimulator.Counters { state.withLock { ($0.simulator as? RadioSimulator)?.counters ?? .init() } }

    /// The Hytera simulator's counters, when it is one.
    var hyteraCounters: HyteraSimulator.Counters? { state.withLock { ($0.simulator as? HyteraSimulator)?.counters } }

    /// Ends `run()` soon; safe from any thread.
    func requestStop() { wake(UInt8(ascii: "S")) }

    /// Pulls the line as `--unplug-every` would; safe from any thread.
    func requestUnplug() { wake(UInt8(ascii: "U")) }

    private func wake(_ byte: UInt8) {
        // Written under the lock (the pipe is non-blocking): once `run()` clears `wakeWrite` and
        // closes the pipe, its number may belong to another line, which must never get this byte.
        state.withLock { s in
            guard s.wakeWrite >= 0 else { return }
            var b = byte
            _ = Glibc.write(s.wakeWrite, &b, 1)
        }
    }

    /// SIGINT and SIGTERM end `run()`, SIGUSR1 unplugs. For the executable, not for tests.
    func installSignalHandlers() {
        state.withLock { $0.handlesSignals = true }
        signal(SIGPIPE, SIG_IGN)
        // A parent may have started us with these blocked; we want them.
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGUSR1] { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        let handler: @convention(c) (Int32) -> Void = { sig in
            // Before the run loop is up there is nothing to shut down cleanly.
            if signalWakeDescriptor < 0 {
                if sig != SIGUSR1 { _exit(0) }
                return
            }
            var b = UInt8(truncatingIfNeeded: sig)
            _ = Glibc.write(signalWakeDescriptor, &b, 1)
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
        signal(SIGUSR1, handler)
    }

    // MARK: Run loop

    /// Runs until `requestStop()`, SIGINT/SIGTERM or `runFor`; throws if the line cannot be set up.
    func run() throws {
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else { throw SimError("cannot create a pipe: \(errnoText(errno))") }
        for fd in pipeFDs { setNonBlockingCloseOnExec(fd) }
        defer { Glibc.close(pipeFDs[0]); Glibc.close(pipeFDs[1]) }
        let handlesSignals = state.withLock { s in
            s.wakeWrite = pipeFDs[1]
            return s.handlesSignals
        }
        defer { state.withLock { $0.wakeWrite = -1 } }
        if handlesSignals { signalWakeDescriptor = pipeFDs[1] }

        var line = try Line.open(transport, logger: logger)
        // Plug back in where we were: the same TCP port even when port 0 picked it.
        let replugTransport = line.resolvedTransport
        announce(line)
        let started = ContinuousClock.now
        let origin = Timestamp.now()
        // Simulated time follows the monotonic clock from here: a wall-clock jump neither bunches
        // nor stalls the events.
        func simulatedNow() -> Timestamp {
            let elapsed = ContinuousClock.now - started
            return origin.adding(seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        var nextUnplug: ContinuousClock.Instant? = options.unplugEvery > 0 ? started + .seconds(options.unplugEvery) : nil
        var replugAt: ContinuousClock.Instant?
        var nextStatus: ContinuousClock.Instant? = options.statusEvery > 0 ? started + .seconds(options.statusEvery) : nil
        let endAt = options.runFor.map { started + .seconds($0) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var running = true

        func unplug() {
            guard replugAt == nil else { return }
            line.close()
            state.withLock { $0.simulator.unplug(at: simulatedNow()) }
            replugAt = ContinuousClock.now + .seconds(options.unplugFor)
            nextUnplug = nil
            logger.notice("unplugged for \(options.unplugFor) s")
            if options.printReady { Self.printOut("radio-sim unplugged for=\(options.unplugFor)") }
            notify(.unplugged)
        }

        while running {
            let clock = ContinuousClock.now
            if let endAt, clock >= endAt { break }
            if let at = replugAt, clock >= at {
                do {
                    line = try Line.open(replugTransport, logger: logger)
                    replugAt = nil
                    nextUnplug = options.unplugEvery > 0 ? clock + .seconds(options.unplugEvery) : nil
                    announce(line)
                } catch {
                    logger.error("cannot plug the line back in, retrying in 1 s: \(error)")
                    replugAt = clock + .seconds(1)
                }
            }
            if let at = nextUnplug, clock >= at { unplug() }
            if let at = nextStatus, clock >= at {
                logger.notice("\(statusLine())")
                nextStatus = at + .seconds(options.statusEvery)
            }
            let due = state.withLock { $0.simulator.advance(to: simulatedNow()) }
            send(due, on: &line)

            // Sleep until the next simulated event, timer or input, at most 1 s.
            var wait: Duration = .seconds(1)
            if let next = state.withLock({ $0.simulator.nextEventTime }) {
                wait = min(wait, .milliseconds(max(0, next.milliseconds - simulatedNow().milliseconds)))
            }
            for instant in [nextUnplug, replugAt, nextStatus, endAt].compactMap({ $0 }) {
                wait = min(wait, max(.zero, instant - ContinuousClock.now))
            }
            var fds = [pollfd(fd: pipeFDs[0], events: Int16(POLLIN), revents: 0)]
            fds += line.pollDescriptors()
            let ms = Int32(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)
            let ready = poll(&fds, nfds_t(fds.count), max(0, ms))
            if ready < 0 {
                if errno == EINTR { continue }
                throw SimError("poll failed: \(errnoText(errno))")
            }
            if ready == 0 { continue }
            if fds[0].revents & Int16(POLLIN) != 0 {
                let n = Glibc.read(pipeFDs[0], &buffer, buffer.count)
                for byte in buffer.prefix(max(0, n)) {
                    switch Int32(byte) {
                    case Int32(UInt8(ascii: "S")), SIGINT, SIGTERM: running = false
                    case Int32(UInt8(ascii: "U")), SIGUSR1: unplug()
                    default: break
                    }
                }
            }
            guard running, replugAt == nil else { continue }
            for event in line.service(fds.dropFirst(), buffer: &buffer, logger: logger) {
                switch event {
                case .received(let bytes):
                    if options.logLines { Self.printError("radio-sim < \(Self.escaped(bytes))") }
                    let first = state.withLock { s in
                        let wasActive = s.simulator.lineActive
                        return (!wasActive, s.simulator.receive(bytes, at: simulatedNow()))
                    }
                    if first.0 { notify(.clientConnected) }
                    send(first.1, on: &line)
                case .clientConnected:
                    notify(.clientConnected)
                case .clientRefused:
                    notify(.clientRefused)
                case .clientGone:
                    state.withLock { $0.simulator.unplug(at: simulatedNow()) }
                }
            }
        }
        line.close()
        logger.notice("\(statusLine())")
        notify(.stopped)
    }

    private func announce(_ line: Line) {
        logger.info("line ready: \(line.description)")
        if options.printReady { Self.printOut("radio-sim ready \(line.description)") }
        notify(.ready(line.description))
    }

    private func send(_ outputs: [SimWrite], on line: inout Line) {
        guard !outputs.isEmpty else { return }
        if options.logLines {
            for o in outputs { Self.printError("radio-sim > \(o.text)") }
        }
        if let dropped = line.write(outputs.flatMap(\.bytes)) {
            // Say so once every 10 s at most: a pty nobody reads drops everything.
            let now = ContinuousClock.now
            let due = dropLog.withLock { last -> Bool in
                guard last.map({ now - $0 >= .seconds(10) }) ?? true else { return false }
                last = now
                return true
            }
            if due { logger.warning("dropped \(dropped.count) bytes: \(dropped.why) (reported once per 10 s)") }
        }
    }

    func statusLine() -> String { state.withLock { $0.simulator.statusLine } }

    static func printOut(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func printError(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func escaped(_ bytes: [UInt8]) -> String {
        var s = ""
        for b in bytes {
            switch b {
            case 0x0D: s += "\\r"
            case 0x0A: s += "\\n"
            case 0x20..<0x7F: s.unicodeScalars.append(Unicode.Scalar(b))
            default: s += String(format: "\\x%02X", b)
            }
        }
        return s
    }
}

struct SimError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func errnoText(_ e: Int32) -> String { String(cString: strerror(e)) }

func setNonBlockingCloseOnExec(_ fd: Int32) {
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
}

// MARK: - The line

/// The open line: a pty pair or a TCP listener with at most one client.
private enum Line: CustomStringConvertible {
    case pty(PTYPair)
    case tcp(TCPServer)

    enum Event {
        case received([UInt8])
        case clientConnected
        case clientRefused
        case clientGone
    }

    static func open(_ transport: SimShell.Transport, logger: Logger) throws -> Line {
        switch transport {
        case .pty(let path): .pty(try PTYPair(link: path))
        case .tcp(let host, let port): .tcp(try TCPServer(host: host, port: port))
        }
    }

    var resolvedTransport: SimShell.Transport {
        switch self {
        case .pty(let p): .pty(path: p.link)
        case .tcp(let t): .tcp(host: t.host, port: t.port)
        }
    }

    var description: String {
        switch self {
        case .pty(let p): "pty=\(p.link)"
        case .tcp(let t): "tcp=\(t.address)"
        }
    }

    func pollDescriptors() -> [pollfd] {
        switch self {
        case .pty(let p): [pollfd(fd: p.master, events: Int16(POLLIN), revents: 0)]
        case .tcp(let t):
            [pollfd(fd: t.listener, events: Int16(POLLIN), revents: 0)]
                + (t.client >= 0 ? [pollfd(fd: t.client, events: Int16(POLLIN), revents: 0)] : [])
        }
    }

    mutating func service(_ fds: ArraySlice<pollfd>, buffer: inout [UInt8], logger: Logger) -> [Event] {
        switch self {
        case .pty(let p):
            guard let fd = fds.first, fd.revents != 0 else { return [] }
            let n = Glibc.read(p.master, &buffer, buffer.count)
            if n > 0 { return [.received(Array(buffer.prefix(n)))] }
            // We hold the slave open, so EIO should not happen; wait a little rather than spin.
            if n < 0, errno != EAGAIN, errno != EINTR { _ = poll(nil, 0, 50) }
            return []
        case .tcp(var t):
            var events: [Event] = []
            let list = Array(fds)
            if list.count > 1, list[1].revents != 0 {
                let n = Glibc.recv(t.client, &buffer, buffer.count, 0)
                if n > 0 {
                    events.append(.received(Array(buffer.prefix(n))))
                } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                    logger.info("client left")
                    Glibc.close(t.client)
                    t.client = -1
                    events.append(.clientGone)
                }
            }
            if let l = list.first, l.revents & Int16(POLLIN) != 0 {
                let fd = accept(t.listener, nil, nil)
                if fd >= 0 {
                    setNonBlockingCloseOnExec(fd)
                    if t.client >= 0 {
                        // One client at a time: a second one is told the PEI is in use and closed.
                        let refusal = Array("\r\n+CME ERROR: 2\r\n".utf8)
                        _ = refusal.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                        Glibc.close(fd)
                        logger.notice("refused a second client: the PEI link is in use")
                        events.append(.clientRefused)
                    } else {
                        var one: Int32 = 1
                        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                        t.client = fd
                        logger.info("client connected")
                        events.append(.clientConnected)
                    }
                }
            }
            self = .tcp(t)
            return events
        }
    }

    /// Writes everything, waiting a little for a slow reader (0.2 s on a pty, which may have no
    /// reader at all, like a serial line without flow control; 2 s on TCP); the rest is dropped.
    /// Returns how many bytes were dropped and why, if any were.
    mutating func write(_ bytes: [UInt8]) -> (count: Int, why: String)? {
        let fd: Int32
        var socket = false
        switch self {
        case .pty(let p): fd = p.master
        case .tcp(let t):
            fd = t.client
            socket = true
        }
        guard fd >= 0, !bytes.isEmpty else { return nil }
        var offset = 0
        let deadline = ContinuousClock.now + (socket ? .seconds(2) : .milliseconds(200))
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { all in
                socket ? send(fd, all.baseAddress! + offset, all.count - offset, Int32(MSG_NOSIGNAL))
                       : Glibc.write(fd, all.baseAddress! + offset, all.count - offset)
            }
            if n > 0 {
                offset += n
                continue
            }
            let e = errno
            if n < 0, e == EAGAIN || e == EINTR, ContinuousClock.now < deadline {
                var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&pfd, 1, 100)
                continue
            }
            return (bytes.count - offset, n < 0 ? errnoText(e) : "nobody reads the line")
        }
        return nil
    }

    mutating func close() {
        switch self {
        case .pty(let p): p.close()
        case .tcp(let t): t.close()
        }
    }
}

/// A pty pair in raw mode with a symlink to the slave side. The sim keeps the slave open too, so
/// the raw settings stay while no controller has it open.
private struct PTYPair {
    /// TIOCSPTLCK = _IOW('T', 0x31, int) and TIOCGPTN = _IOR('T', 0x30, unsigned int).
    static let setLock: UInt = 0x4004_5431
    static let getNumber: UInt = 0x8004_5430

    let master: Int32
    let slave: Int32
    let slavePath: String
    let link: String

    init(link: String) throws {
        var info = stat()
        if lstat(link, &info) == 0, info.st_mode & S_IFMT != S_IFLNK {
            throw SimError("\(link) exists and is not a symlink; refusing to replace it")
        }
        // posix_openpt, unlockpt and ptsname by hand: Swift's Glibc module does not export them.
        let master = Glibc.open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0 else { throw SimError("cannot create a pty: \(errnoText(errno))") }
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard ioctl(master, Self.setLock, &unlock) == 0, ioctl(master, Self.getNumber, &number) == 0 else {
            let e = errno
            Glibc.close(master)
            throw SimError("cannot unlock the pty: \(errnoText(e))")
        }
        let slavePath = "/dev/pts/\(number)"
        let slave = Glibc.open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK)
        guard slave >= 0 else {
            let e = errno
            Glibc.close(master)
            throw SimError("cannot open \(slavePath): \(errnoText(e))")
        }
        var t = termios()
        tcgetattr(slave, &t)
        cfmakeraw(&t)
        cfsetspeed(&t, speed_t(B115200))
        t.c_cflag |= tcflag_t(CLOCAL | CREAD)
        tcsetattr(slave, TCSANOW, &t)
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        let temporary = "\(link).radio-sim-\(getpid())"
        unlink(temporary)
        guard symlink(slavePath, temporary) == 0, rename(temporary, link) == 0 else {
            let e = errno
            unlink(temporary)
            Glibc.close(slave)
            Glibc.close(master)
            throw SimError("cannot point \(link) at \(slavePath): \(errnoText(e))")
        }
        self.master = master
        self.slave = slave
        self.slavePath = slavePath
        self.link = link
    }

    /// Closes both sides (the controller's reads fail with EIO / hang-up) and removes the
    /// symlink, as a USB device node goes away.
    func close() {
        Glibc.close(master)
        Glibc.close(slave)
        var info = stat()
        if lstat(link, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            var target = [CChar](repeating: 0, count: 256)
            let n = readlink(link, &target, target.count - 1)
            if n > 0, String(decoding: target.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self) == slavePath {
                unlink(link)
            }
        }
    }
}

/// A listening socket and at most one client.
private struct TCPServer {
    let listener: Int32
    let address: String
    let host: String
    let port: UInt16
    var client: Int32 = -1

    init(host: String, port: UInt16) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let ai = list else { throw SimError("cannot resolve \(host): \(String(cString: gai_strerror(rc)))") }
        defer { freeaddrinfo(list) }
        let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw SimError("cannot create a socket: \(errnoText(errno))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0, listen(fd, 4) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw SimError("cannot listen on \(host):\(port): \(errnoText(e))")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let actualPort: UInt16 = withUnsafeMutablePointer(to: &storage) { p in
            _ = p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            if p.pointee.ss_family == sa_family_t(AF_INET6) {
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        listener = fd
        self.host = host
        self.port = actualPort
        address = host.contains(":") ? "[\(host)]:\(actualPort)" : "\(host):\(actualPort)"
    }

    /// Closes the client and stops listening: connects are refused until the line is back.
    func close() {
        if client >= 0 { Glibc.close(client) }
        Glibc.close(listener)
    }
}
