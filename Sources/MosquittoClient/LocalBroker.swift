import Foundation
import Synchronization

/// A mosquitto broker of our own (the Debian `mosquitto` binary) on a free loopback port, for
/// `tianyan demo`, the simulators and the tests. It can be stopped, killed and started again on
/// the same port, which is how broker restarts are tested.
public final class LocalBroker: Sendable {
    public struct Options: Sendable {
        /// Broker-side queue limit per client (mosquitto's default is 1000; past it the broker
        /// drops messages silently).
        public var maxQueuedMessages: Int
        /// Keep persistent sessions and their queues on disk across restarts.
        public var persistence: Bool
        public var allowAnonymous: Bool
        public var extraConfiguration: String

        public init(maxQueuedMessages: Int = 100_000, persistence: Bool = false, allowAnonymous: Bool = true, extraConfiguration: String = "") {
            self.maxQueuedMessages = maxQueuedMessages
            self.persistence = persistence
            self.allowAnonymous = allowAnonymous
            self.extraConfiguration = extraConfiguration
        }
    }

    public let port: Int
    public let directory: String
    public let options: Options
    private let process: Mutex<SpawnedProcess?>

    public var url: String { "mqtt://127.0.0.1:\(port)" }
    public var logFile: String { directory + "/mosquitto.log" }

    /// Starts mosquitto and returns once it accepts connections (at most `timeout`).
    /// `port` picks the port (for a broker that comes up after its clients); nil finds a free one.
    public init(port fixedPort: Int? = nil, options: Options = .init(), timeout: Duration = .seconds(10)) throws {
        guard Self.binary != nil else {
            throw SpawnedProcess.Failure(description: "mosquitto is not installed; run tools/setup or `apt-get install mosquitto`")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tianyan-broker-\(UUID().uuidString.prefix(8))").path
        // Started as root, mosquitto drops to the `mosquitto` user: it must still be able to write
        // its persistence file here, or a restart loses every queued message.
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        self.directory = dir
        self.options = options
        self.process = Mutex(nil)
        var lastError = ""
        for _ in 0..<5 {
            let port = try fixedPort ?? FreePort.loopback()
            if let p = try Self.launch(port: port, directory: dir, options: options, timeout: timeout) {
                self.port = port
                process.withLock { $0 = p }
                return
            }
            lastError = (try? String(contentsOfFile: dir + "/mosquitto.log", encoding: .utf8)) ?? "no log"
        }
        throw SpawnedProcess.Failure(description: "mosquitto did not start on a loopback port: \(lastError)")
    }

    public static var binary: String? {
        ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func launch(port: Int, directory: String, options: Options, timeout: Duration) throws -> SpawnedProcess? {
        let conf = directory + "/mosquitto.conf"
        try """
        listener \(port) 127.0.0.1
        allow_anonymous \(options.allowAnonymous)
        persistence \(options.persistence)
        persistence_location \(directory)/
        autosave_interval 1
        max_queued_messages \(options.maxQueuedMessages)
        sys_interval 1
        log_type error
        log_type warning
        log_type notice
        \(options.extraConfiguration)
        """.write(toFile: conf, atomically: true, encoding: .utf8)
        let p = try SpawnedProcess(binary!, ["-c", conf], logFile: directory + "/mosquitto.log")
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, p.isRunning {
            if FreePort.accepts(port: port) { return p }
            usleep(20_000)
        }
        p.stop()
        return nil
    }

    public var isRunning: Bool { process.withLock { $0?.isRunning ?? false } }

    /// SIGTERM (mosquitto saves its persistent sessions), waits for exit.
    public func stop() {
        process.withLock { p in
            p?.stop()
            p = nil
        }
    }

    /// SIGKILL: a broker crash.
    public func kill() {
        process.withLock { p in
            p?.kill9()
            p = nil
        }
    }

    /// Starts again on the same port (after `stop` or `kill`).
    public func start(timeout: Duration = .seconds(10)) throws {
        try process.withLock { p in
            guard p == nil || !(p!.isRunning) else { return }
            guard let started = try Self.launch(port: port, directory: directory, options: options, timeout: timeout) else {
                throw SpawnedProcess.Failure(description: "mosquitto did not start again on port \(port)")
            }
            p = started
        }
    }

    /// Stops the broker and removes its directory.
    public func shutdown() {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { process.withLock { $0?.stop() } }
}

/// Free TCP ports on loopback.
public enum FreePort {
    /// Asks the kernel for a free port on 127.0.0.1.
    public static func loopback() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SpawnedProcess.Failure(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0 else { throw SpawnedProcess.Failure(description: "bind() failed: errno \(errno)") }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// True when something accepts TCP connections on 127.0.0.1:`port`.
    public static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
