import CMosquitto
import Foundation

/// A child process started with posix_spawn and a clean signal state. Foundation's Process
/// inherits the signal mask of the spawning thread, and Swift's worker threads block SIGTERM,
/// so a broker started that way would ignore being told to stop.
public final class SpawnedProcess: Sendable {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    public let pid: pid_t

    /// Output goes to `logFile` when given, else to /dev/null.
    public init(_ path: String, _ arguments: [String], logFile: String? = nil) throws {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let out = logFile ?? "/dev/null"
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, out, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        // Nothing else is inherited: a descriptor opened without close-on-exec (libserialport's
        // ports, a file a test fills) must not live on in a broker or simulator, holding a port
        // open or a deleted file's blocks.
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, argv, environ)
        guard rc == 0 else {
            throw Failure(description: "cannot start \(path): \(String(cString: strerror(rc)))")
        }
        self.pid = pid
    }

    public var isRunning: Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// SIGTERM, up to 5 s to exit, then SIGKILL; reaps the child.
    public func stop() {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        for _ in 0..<250 {
            if !isRunning { return }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// SIGKILL at once (a crash, for fault tests); reaps the child.
    public func kill9() {
        guard isRunning else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
