import Foundation
import Synchronization

/// A throwaway PostgreSQL cluster for tests and tools: Debian's server binaries (`initdb`,
/// `pg_ctl` under /usr/lib/postgresql/N/bin, installed by tools/setup), a data directory in a
/// temporary folder, a free loopback port, trust authentication on loopback only. One cluster
/// per process, started on first use and stopped at exit; each user takes a database of its own
/// (`database()`), so tests running in parallel never share tables.
///
/// Run as root (CI, this machine), the server runs as the `postgres` user (`initdb` refuses root).
public final class PostgresCluster: Sendable {
    public let port: Int
    public let directory: String
    let bin: String
    let owner: String?

    private static let started = Mutex<Result<PostgresCluster, PostgresClusterError>?>(nil)
    private static let counter = Atomic<Int>(0)

    /// Why a cluster could not be started (no server binaries: `tools/setup` installs them).
    public struct PostgresClusterError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The process's cluster, started when first asked for.
    public static func shared() throws -> PostgresCluster {
        let result = Self.started.withLock { s -> Result<PostgresCluster, PostgresClusterError> in
            if let s { return s }
            let made: Result<PostgresCluster, PostgresClusterError>
            do { made = .success(try PostgresCluster()) } catch {
                made = .failure((error as? PostgresClusterError) ?? PostgresClusterError(description: "\(error)"))
            }
            s = made
            return made
        }
        return try result.get()
    }

    /// A cluster of the caller's own (a test that stops and starts the server must not do it
    /// under the other tests' feet); stopped at exit.
    /// `durable`: the server's defaults for fsync and commits (benchmarks), instead of the
    /// tests' fsync=off.
    public static func makePrivate(durable: Bool = false) throws -> PostgresCluster { try PostgresCluster(durable: durable) }

    /// The newest server's bin directory, or nil when PostgreSQL's server is not installed.
    public static var serverBin: String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for v in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(root)/\(v)/bin/initdb") { return "\(root)/\(v)/bin" }
        return nil
    }

    init(durable: Bool = false) throws {
        guard let bin = Self.serverBin else {
            throw PostgresClusterError(description: "no PostgreSQL server under /usr/lib/postgresql (run tools/setup: apt-get install postgresql)")
        }
        self.bin = bin
        owner = geteuid() == 0 ? "postgres" : nil
        directory = NSTemporaryDirectory() + "tianyan-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        port = Self.freePort()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let owner { try Self.run("/bin/chown", ["-R", owner, directory]) }
        try run("initdb", ["-D", "\(directory)/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        // Tuned for tests: no fsync (a crashed test cluster is thrown away), small shared memory.
        // Durable (benchmarks): fsync and synchronous commits as shipped, memory as measured in
        // scale-out.md (shared_buffers 512MB, max_wal_size 4GB).
        let conf = """

            listen_addresses = '127.0.0.1'
            port = \(port)
            unix_socket_directories = '\(directory)'
            max_connections = 200
            log_min_messages = fatal

            """ + (durable ? "shared_buffers = 512MB\nmax_wal_size = 4GB\n"
                           : "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 64MB\n")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(directory)/data/postgresql.conf"))
        handle.seekToEndOfFile()
        handle.write(Data(conf.utf8))
        try handle.close()
        try run("pg_ctl", ["-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w", "-t", "60", "start"])
        let entry = (directory, self.bin, self.owner)
        Self.stopAtExit.withLock { $0.append(entry) }
        Self.installExitHandler()
    }

    /// A new, empty database; its URL.
    public func database(_ prefix: String = "t") throws -> String {
        let name = "\(prefix)_\(getpid())_\(Self.counter.add(1, ordering: .relaxed).newValue)"
        try Self.run("/usr/bin/env", ["psql", "-X", "-q", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres",
                                      "-c", "CREATE DATABASE \(name)"])
        return url(name)
    }

    public func url(_ database: String, user: String = "postgres") -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// Runs SQL through psql on `database` (for tests that break things: drop a table, fill a disk).
    @discardableResult
    public func psql(_ database: String, _ sql: String) throws -> String {
        try Self.run("/usr/bin/env", ["psql", "-X", "-q", "-At", "-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", database, "-c", sql])
    }

    /// Stops the server (fast) or starts it again: a database restart under a running controller.
    public func stop() throws { try run("pg_ctl", ["-D", "\(directory)/data", "-m", "fast", "-w", "stop"]) }
    public func start() throws { try run("pg_ctl", ["-D", "\(directory)/data", "-l", "\(directory)/server.log", "-w", "-t", "60", "start"]) }

    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        let path = "\(bin)/\(tool)"
        if let owner { return try Self.run("/sbin/runuser", ["-u", owner, "--", path] + arguments) }
        return try Self.run(path, arguments)
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        // posix_spawn and waitpid, output to a file: the server pg_ctl starts would hold a pipe
        // open for good, and Foundation's Process left its children unreaped under a held lock.
        let path = NSTemporaryDirectory() + "tianyan-pg-out-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { unlink(path) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else { throw PostgresClusterError(description: "cannot start \(executable): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard exited == 0 else {
            throw PostgresClusterError(description: "\(executable) \(arguments.joined(separator: " ")) failed (\(exited)): \(text)")
        }
        return text
    }

    /// A loopback port nothing listens on (for "server unreachable" tests).
    public static func freePortForTests() -> Int { freePort() }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    private static let stopAtExit = Mutex<[(String, String, String?)]>([])
    private static let exitHandlerInstalled = Atomic<Bool>(false)

    private static func installExitHandler() {
        guard !exitHandlerInstalled.exchange(true, ordering: .relaxed) else { return }
        atexit {
            for (dir, bin, owner) in PostgresCluster.stopAtExit.withLock({ $0 }) {
                let args = ["-D", "\(dir)/data", "-m", "immediate", "-w", "stop"]
                _ = try? owner.map { try PostgresCluster.run("/sbin/runuser", ["-u", $0, "--", "\(bin)/pg_ctl"] + args) }
                    ?? PostgresCluster.run("\(bin)/pg_ctl", args)
                try? FileManager.default.removeItem(atPath: dir)
            }
        }
    }
}
