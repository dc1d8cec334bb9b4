import Foundation

/// The radio end of a PEI line for tests: a pty (its slave reached through a symlink, the way a
/// `serial://` URL names it) or a TCP listener on loopback. It answers every AT command with
/// `OK` (`AT+CNUMF?` with its identity), accepts `AT+CMGS` submissions (`+CMGS: n` then `OK`)
/// and records them, and sends whatever lines the test gives it, framed `CR LF text CR LF`.
/// `unplug()` cuts the line the way a pulled cable or a dropped connection does.
///
/// Every descriptor is close-on-exec: a child process spawned meanwhile by another test would
/// otherwise inherit it and keep the line open after `unplug()` closes our copy.
public final class ScriptedRadio: @unchecked Sendable {
    // Invariant: every mutable field is read and written under `lock`; the reader thread owns
    // the file descriptors it polls and closes only what `unplug`/`stop` handed it.
    public enum Transport: Sendable {
        case pty(link: String)
        case tcp
    }

    public struct Submission: Sendable, Hashable {
        public var destination: String
        public var bits: Int
        public var hex: String
        public var instance: Int
        /// The SDS-TL message reference (third byte) when the PDU has an SDS-TL header.
        public var reference: Int? {
            guard hex.count >= 6, let pi = UInt8(hex.prefix(2), radix: 16), pi >= 0x80 else { return nil }
            return Int(hex.dropFirst(4).prefix(2), radix: 16)
        }
    }

    public let ownTSI = "09011638302000999"
    public let transport: Transport
    public private(set) var port: UInt16 = 0
    private let lock = NSLock()
    private var fd: Int32 = -1
    private var slaveKeeper: Int32 = -1
    private var listener: Int32 = -1
    private var pending: [UInt8] = []
    private var commandLines: [String] = []
    private var rawBytes: [UInt8] = []
    private var arrivals: [(offset: Int, time: ContinuousClock.Instant)] = []
    private var submissionList: [Submission] = []
    private var instance = 0
    private var running = true
    private var connects = 0
    private var thread: Thread?
    private var mute = false
    private var unplugRequests = 0
    private var unplugsDone = 0
    private var unplugError: String?
    private var finished = false
    private var muteCMGS = false
    private var deliver = false
    private var refusals = 0
    private var rawOnly = false
    /// The next this-many `AT+CMGS` are refused with `+CME ERROR: 42` (MT busy), as a radio in a call does.
    public var refuseNextSubmissions: Int {
        get { lock.withLock { refusals } }
        set { lock.withLock { refusals = newValue } }
    }
    /// Answer every SDS-TL submission as a cooperative network and handset would: `+CMGS: n,4,ref`
    /// (sent), then the destination's "received" and "consumed" reports.
    public var autoDeliver: Bool {
        get { lock.withLock { deliver } }
        set { lock.withLock { deliver = newValue } }
    }
    /// `AT+CMGS` is taken (and recorded) but never answered: a page stays in flight.
    public var muteSubmissions: Bool {
        get { lock.withLock { muteCMGS } }
        set { lock.withLock { muteCMGS = newValue } }
    }
    /// Record what the controller writes without reading it as AT commands (a radio speaking
    /// another protocol, scripted byte by byte with `sendRaw`).
    public var bytesOnly: Bool {
        get { lock.withLock { rawOnly } }
        set { lock.withLock { rawOnly = newValue } }
    }
    /// A radio that answers nothing (the keep-alive then times out).
    public var silent: Bool {
        get { lock.withLock { mute } }
        set { lock.withLock { mute = newValue } }
    }

    public init(_ transport: Transport) throws {
        self.transport = transport
        switch transport {
        case .pty(let link): try makePTY(link: link)
        case .tcp: try listen()
        }
        let t = Thread { [self] in readLoop() }
        t.name = "scripted-radio"
        thread = t
        t.start()
    }

    deinit { stop() }

    /// The URL a gateway uses to reach this radio.
    public var url: String {
        switch transport {
        case .pty(let link): "serial://\(link)?baud=38400"
        case .tcp: "tcp://127.0.0.1:\(port)"
        }
    }

    /// Every command line the controller wrote (without line ends), in order.
    public var commands: [String] { lock.withLock { commandLines } }
    /// Every byte the controller wrote.
    public var received: [UInt8] { lock.withLock { rawBytes } }
    public var submissions: [Submission] { lock.withLock { submissionList } }
    /// How many bytes the controller has written so far.
    public var receivedCount: Int { lock.withLock { rawBytes.count } }
    /// When the first byte at or after `offset` arrived (read by the radio's thread).
    public func arrival(ofByte offset: Int) -> ContinuousClock.Instant? {
        lock.withLock { arrivals.first { $0.offset >= offset }?.time }
    }
    /// Connections accepted (TCP) or ptys made (pty).
    public var connections: Int { lock.withLock { connects } }
    public var isConnected: Bool { lock.withLock { fd >= 0 } }

    /// Sends `lines`, each framed as the radio frames it.
    public func send(_ lines: [String]) {
        var bytes: [UInt8] = []
        for line in lines { bytes += [0x0D, 0x0A] + Array(line.utf8) + [0x0D, 0x0A] }
        sendRaw(bytes)
    }

    public func sendRaw(_ bytes: [UInt8]) {
        // A duplicate: the reader thread may close the line meanwhile, and a closed number can be
        // reused at once by some other test's descriptor.
        let target = lock.withLock { fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1 }
        guard target >= 0 else { return }
        defer { close(target) }
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(target, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { if errno == EINTR || errno == EAGAIN { usleep(1000); continue }; return }
                offset += n
            }
        }
    }

    /// Cuts the line: closes the connection (TCP) or the pty (which is then made again under the
    /// same link, as a re-plugged adapter would be). The reader thread does the closing, so no
    /// descriptor is closed while it is being polled (a reused number would be a different line).
    public func unplug() throws {
        let target = lock.withLock { () -> Int in
            unplugRequests += 1
            return unplugRequests
        }
        let deadline = ContinuousClock.now + .seconds(5)
        while lock.withLock({ unplugsDone }) < target {
            guard ContinuousClock.now < deadline else { throw Failure(description: "the radio's reader thread did not unplug within 5 s") }
            usleep(1000)
        }
        if let error = lock.withLock({ unplugError }) { throw Failure(description: error) }
    }

    /// On the reader thread: close the line; for a pty, make a new one under the same link.
    private func performUnplug() {
        let (old, keeper) = lock.withLock { () -> (Int32, Int32) in
            defer { fd = -1; slaveKeeper = -1; pending = [] }
            return (fd, slaveKeeper)
        }
        if old >= 0 { shutdown(old, Int32(SHUT_RDWR)); close(old) }
        if keeper >= 0 { close(keeper) }
        var failure: String?
        if case .pty(let link) = transport {
            do { try makePTY(link: link) } catch { failure = "\(error)" }
        }
        lock.withLock {
            unplugError = failure
            unplugsDone += 1
        }
    }

    /// Stops the reader thread, which closes every descriptor itself (closing one here while the
    /// thread polls it could close a reused number belonging to some other test's line).
    public func stop() {
        let wasRunning = lock.withLock { () -> Bool in
            defer { running = false }
            return running
        }
        guard wasRunning else { return }
        let deadline = ContinuousClock.now + .seconds(5)
        while !lock.withLock({ finished }), ContinuousClock.now < deadline { usleep(1000) }
        if case .pty(let link) = transport { unlink(link) }
    }

    // MARK: Transport

    private func makePTY(link: String) throws {
        // /dev/ptmx by hand: Glibc's module does not export posix_openpt/grantpt/unlockpt/ptsname.
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, 0x4004_5431 /* TIOCSPTLCK */, &unlock) == 0,
              ioctl(master, 0x8004_5430 /* TIOCGPTN */, &number) == 0 else {
            throw Failure(description: "cannot make a pty: \(String(cString: strerror(errno)))")
        }
        let slavePath = "/dev/pts/\(number)"
        // Keep the slave open ourselves so the master never sees a hang-up between controller
        // connections, and put it in raw mode before anyone reads it (no echo, no line editing).
        let keeper = open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC)
        var t = termios()
        tcgetattr(keeper, &t)
        cfmakeraw(&t)
        tcsetattr(keeper, TCSANOW, &t)
        unlink(link)
        guard symlink(slavePath, link) == 0 else {
            throw Failure(description: "cannot link \(link) to \(slavePath): \(String(cString: strerror(errno)))")
        }
        lock.withLock {
            fd = master
            slaveKeeper = keeper
            connects += 1
        }
    }

    private func listen() throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(s, 4) == 0 else {
            throw Failure(description: "cannot listen on loopback: \(String(cString: strerror(errno)))")
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) }
        }
        port = UInt16(bigEndian: addr.sin_port)
        listener = s
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while lock.withLock({ running }) {
            if lock.withLock({ unplugsDone < unplugRequests }) { performUnplug() }
            let (f, l) = lock.withLock { (fd, listener) }
            if f < 0, l >= 0 {
                var p = pollfd(fd: l, events: Int16(POLLIN), revents: 0)
                if poll(&p, 1, 50) > 0 {
                    let c = accept(l, nil, nil)
                    if c >= 0 {
                        // (accept4 with SOCK_CLOEXEC is not exported by Glibc's module; the window
                        // until this fcntl is a few instructions.)
                        _ = fcntl(c, F_SETFD, FD_CLOEXEC)
                        // As serial-over-IP servers do: no Nagle delay on short lines (without it a
                        // line written while an earlier one awaits its ACK waits ~40 ms).
                        var one: Int32 = 1
                        setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                        lock.withLock { fd = c; connects += 1; pending = [] }
                    }
                }
                continue
            }
            guard f >= 0 else { usleep(20_000); continue }
            var p = pollfd(fd: f, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, 50)
            guard ready > 0 else { continue }
            let n = read(f, &buffer, buffer.count)
            if n <= 0 {
                // The peer went away (TCP) or the pty is being replaced: wait for the next one.
                lock.withLock { fd = -1 }
                close(f)
                continue
            }
            handle(Array(buffer[0..<n]))
        }
        let (f, k, l) = lock.withLock { () -> (Int32, Int32, Int32) in
            defer { fd = -1; slaveKeeper = -1; listener = -1 }
            return (fd, slaveKeeper, listener)
        }
        for d in [f, k, l] where d >= 0 { close(d) }
        lock.withLock { finished = true }
    }

    private func handle(_ bytes: [UInt8]) {
        let now = ContinuousClock.now
        var replies: [String] = []
        lock.withLock {
            arrivals.append((rawBytes.count, now))
            if arrivals.count > 100_000 { arrivals.removeFirst(50_000) }
            rawBytes += bytes
            if rawOnly { return }
            pending += bytes
            while true {
                if pending.starts(with: Array("AT+CMGS=".utf8)) {
                    guard let crlf = pending.firstIndex(of: 0x0A), let end = pending.firstIndex(of: 0x1A), end > crlf else { break }
                    let head = String(decoding: pending[0..<crlf], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    let hex = String(decoding: pending[(crlf + 1)..<end], as: UTF8.self)
                    pending.removeSubrange(0...end)
                    commandLines.append(head)
                    let args = head.dropFirst("AT+CMGS=".count).split(separator: ",")
                    let submission = Submission(destination: args.first.map(String.init) ?? "", bits: args.count > 1 ? Int(args[1]) ?? 0 : 0,
                                                hex: hex, instance: instance)
                    submissionList.append(submission)
                    if refusals > 0 {
                        refusals -= 1
                        replies.append("+CME ERROR: 42")
                        continue
                    }
                    if !mute && !muteCMGS {
                        replies += ["+CMGS: \(instance)", "OK"]
                        if deliver, let ref = submission.reference {
                            let r = String(format: "%02X", ref)
                            replies += ["+CMGS: \(instance),4,\(ref)",
                                        "+CTSDSR: 12,\(submission.destination),0,2000999,0,32", "821000" + r,
                                        "+CTSDSR: 12,\(submission.destination),0,2000999,0,32", "821002" + r]
                        } else if deliver {
                            replies.append("+CMGS: \(instance),4,0")  // a status: sent, and no reports
                        }
                    }
                    instance += 1
                    continue
                }
                guard let cr = pending.firstIndex(where: { $0 == 0x0D || $0 == 0x0A }) else { break }
                let line = String(decoding: pending[0..<cr], as: UTF8.self)
                pending.removeSubrange(0...cr)
                guard !line.isEmpty else { continue }
                commandLines.append(line)
                if mute { continue }
                if line == "AT+CNUMF?" { replies += ["+CNUMF: 6,\(ownTSI)", "OK"] } else { replies.append("OK") }
            }
        }
        if !replies.isEmpty { send(replies) }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }
}

