import Foundation
import Synchronization
import TianyanTesting

struct SocatFailure: Error, CustomStringConvertible { var description: String }

/// A `socat` joining two ptys, started with a clean signal mask and killed by `stop()`.
final class Socat: @unchecked Sendable {
    // Invariant: `pid` is set once in init and reaped once under `lock`.
    let pid: pid_t
    let first: String
    let second: String
    private let logFile: String
    private let lock = NSLock()
    private var reaped = false

    /// `socat -d -d pty,raw,echo=0[,link=A] pty,raw,echo=0[,link=B]`; waits for both pty paths.
    init(links: (String, String)? = nil) async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("socat-\(UUID().uuidString.prefix(8)).log").path
        var left = "pty,raw,echo=0", right = "pty,raw,echo=0"
        if let links { left += ",link=\(links.0)"; right += ",link=\(links.1)" }
        let path = "/usr/bin/socat"
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let args: [String] = [path, "-d", "-d", left, right]
        let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, argv, environ)
        guard rc == 0 else { throw SocatFailure(description: "cannot start socat: \(String(cString: strerror(rc)))") }
        self.pid = pid
        self.logFile = log
        var found: [String] = []
        do {
            try await waitUntil("socat to report two ptys in \(log)", timeout: .seconds(10)) {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                found = text.split(separator: "\n").compactMap { line in
                    line.range(of: "PTY is ").map { String(line[$0.upperBound...]).trimmingCharacters(in: .whitespaces) }
                }
                let linksReady = links.map { FileManager.default.fileExists(atPath: $0.0) && FileManager.default.fileExists(atPath: $0.1) } ?? true
                // socat opens its second pty and its links just before it logs "starting data transfer loop".
                return found.count >= 2 && linksReady && text.contains("starting data transfer loop")
            }
        } catch {
            Self.kill(pid)
            throw error
        }
        first = found[0]
        second = found[1]
    }

    private static func kill(_ pid: pid_t) {
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// Kills socat at once (a cable pulled) and reaps it. Safe to call twice.
    func stop() {
        lock.lock(); defer { lock.unlock() }
        guard !reaped else { return }
        reaped = true
        Self.kill(pid)
        try? FileManager.default.removeItem(atPath: logFile)
    }

    deinit { stop() }
}

/// Collects a link's byte stream in the background so tests can wait for content.
final class ByteCollector: Sendable {
    private struct State { var data: [UInt8] = []; var ended = false }
    private final class Shared: Sendable { let state = Mutex(State()) }
    private let shared = Shared()
    private let task: Mutex<Task<Void, Never>?> = Mutex(nil)

    init(_ stream: AsyncStream<[UInt8]>) {
        let t = Task { [shared] in
            for await chunk in stream { shared.state.withLock { $0.data += chunk } }
            shared.state.withLock { $0.ended = true }
        }
        task.withLock { $0 = t }
    }

    var bytes: [UInt8] { shared.state.withLock { $0.data } }
    var text: String { String(decoding: bytes, as: UTF8.self) }
    var finished: Bool { shared.state.withLock { $0.ended } }

    // Generous bounds: the whole suite runs in parallel on 2 cores, and other tests block pool
    // threads for moments while they stop brokers and processes.
    func waitFor(_ expected: String, timeout: Duration = .seconds(20)) async throws {
        try await waitUntil("\"\(expected)\" to arrive (have \"\(text)\")", timeout: timeout) { text.contains(expected) }
    }

    func waitForEnd(timeout: Duration = .seconds(20)) async throws {
        try await waitUntil("the byte stream to finish", timeout: timeout) { finished }
    }

    deinit { task.withLock { $0?.cancel() } }
}
