import Foundation
import Logging
import ServiceLifecycle

/// A mosquitto broker of our own on a free loopback port (the Debian `mosquitto` binary), for
/// `tianyan demo` and the tests. It lives as long as the service runs.
public final class PrivateBroker: Service, Sendable {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    public let port: Int
    public let directory: String
    private let process: SpawnedProcess
    private let logger: Logger

    public var url: String { "mqtt://127.0.0.1:\(port)" }

    /// Starts mosquitto and returns once it accepts connections (at most `timeout`).
    public init(logger: Logger, timeout: Duration = .seconds(10)) throws {
        guard let binary = PrivateBroker.findMosquitto() else {
            throw Failure(description: "mosquitto is not installed; run tools/demo (it installs it) or `apt-get install mosquitto`")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tianyan-broker-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var lastError = ""
        for _ in 0..<5 {
            let port = try FreePort.loopback()
            let conf = (dir as NSString).appendingPathComponent("mosquitto.conf")
            try """
            listener \(port) 127.0.0.1
            allow_anonymous true
            persistence false
            max_queued_messages 100000
            log_dest file \(dir)/mosquitto.log
            """.write(toFile: conf, atomically: true, encoding: .utf8)
            let p = try SpawnedProcess(binary, ["-c", conf])
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline, p.isRunning {
                if FreePort.accepts(port: port) {
                    self.port = port
                    self.directory = dir
                    self.process = p
                    self.logger = logger
                    logger.info("private mosquitto broker started", metadata: ["mqtt.url": "mqtt://127.0.0.1:\(port)"])
                    return
                }
                usleep(20_000)
            }
            p.stop()
            lastError = (try? String(contentsOfFile: "\(dir)/mosquitto.log", encoding: .utf8)) ?? "no log"
        }
        throw Failure(description: "mosquitto did not start on a loopback port: \(lastError)")
    }

    static func findMosquitto() -> String? {
        ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public func stop() {
        process.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    public func run() async throws {
        try? await gracefulShutdown()
        stop()
        logger.info("private mosquitto broker stopped")
    }

    deinit { process.stop() }
}

/// Free TCP ports on loopback.
public enum FreePort {
    /// Asks the kernel for a free port on 127.0.0.1.
    public static func loopback() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PrivateBroker.Failure(description: "socket() failed: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard bound == 0 else { throw PrivateBroker.Failure(description: "bind() failed: errno \(errno)") }
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
