import Foundation

/// A fresh directory under the system temporary directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "tianyan-test") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

public struct WaitTimeout: Error, CustomStringConvertible {
    public var description: String
}

/// Polls `condition` until it holds or `timeout` passes; throws `WaitTimeout` naming `what`.
public func waitUntil(_ what: String, timeout: Duration = .seconds(10), poll: Duration = .milliseconds(20),
                      _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: poll)
    }
    if try await condition() { return }
    throw WaitTimeout(description: "timed out after \(timeout) waiting for \(what)")
}

/// The root of this package (two levels above this file's directory).
public func packageRoot(file: String = #filePath) -> String {
    var url = URL(fileURLWithPath: file)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}

/// The built `tianyan` executable: `TIANYAN_BIN`, else `.build/debug/tianyan` in the package.
public func tianyanExecutable() -> String {
    if let p = ProcessInfo.processInfo.environment["TIANYAN_BIN"] { return p }
    return (packageRoot() as NSString).appendingPathComponent(".build/debug/tianyan")
}

/// The result of running a command to completion.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// A child process whose output is collected as it arrives.
public final class ChildProcess: @unchecked Sendable {
    // Invariant: `out` and `err` are only touched under `lock`.
    private let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()

    public init(_ executable: String, _ arguments: [String], directory: String? = nil, environment: [String: String]? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let o = Pipe(), e = Pipe()
        process.standardOutput = o
        process.standardError = e
        process.standardInput = FileHandle.nullDevice
        o.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self else { return }
            self.lock.lock(); self.out.append(d); self.lock.unlock()
        }
        e.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self else { return }
            self.lock.lock(); self.err.append(d); self.lock.unlock()
        }
        try process.run()
    }

    public var stdout: String { lock.lock(); defer { lock.unlock() }; return String(decoding: out, as: UTF8.self) }
    public var stderr: String { lock.lock(); defer { lock.unlock() }; return String(decoding: err, as: UTF8.self) }
    public var isRunning: Bool { process.isRunning }
    public var pid: Int32 { process.processIdentifier }

    public func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits for exit (bounded), killing the process if it overstays.
    public func wait(timeout: Duration = .seconds(60)) async throws -> CommandResult {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning {
            process.terminate()
            throw WaitTimeout(description: "\(process.executableURL?.lastPathComponent ?? "process") did not exit within \(timeout); stderr: \(stderr)")
        }
        process.waitUntilExit()
        try await Task.sleep(for: .milliseconds(30))  // let the pipes drain
        return CommandResult(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}

/// Starts `tianyan ARGS` in `directory` with this environment less every `TIANYAN_*` variable
/// (the test switches such as TIANYAN_IT are not settings of the controller).
public func startTianyan(_ arguments: [String], in directory: String) throws -> ChildProcess {
    let env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("TIANYAN_") }
    return try ChildProcess(tianyanExecutable(), arguments, directory: directory, environment: env)
}

/// Runs `tianyan ARGS` to completion in `directory`.
public func runTianyan(_ arguments: [String], in directory: String, timeout: Duration = .seconds(120)) async throws -> CommandResult {
    try await startTianyan(arguments, in: directory).wait(timeout: timeout)
}

/// A small tmpfs of its own, for tests of a full disk: `fill()` takes every free block with a
/// filler file (writes then fail with ENOSPC, as on a full disk), `free()` gives them back.
/// Needs root and `mount` (a container may refuse it); `available` says whether it can be made.
public struct SmallFilesystem: Sendable {
    public let path: String
    private let directory: TemporaryDirectory

    public init(megabytes: Int) throws {
        directory = try TemporaryDirectory("tianyan-smallfs")
        path = directory.file("fs")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard getuid() == 0, Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tianyan-test", path]) else {
            directory.remove()
            throw WaitTimeout(description: "cannot mount a \(megabytes) MiB tmpfs at \(path) (needs root and mount)")
        }
    }

    /// Whether a small filesystem can be mounted here (root, mount allowed).
    public static let available: Bool = {
        guard getuid() == 0, let fs = try? SmallFilesystem(megabytes: 1) else { return false }
        fs.remove()
        return true
    }()

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Writes a filler until the filesystem is full; returns the bytes it took. Close-on-exec:
    /// a child another test spawns meanwhile must not keep the filler's blocks after `free()`.
    @discardableResult
    public func fill() -> Int {
        let fd = open(file(".filler"), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        let block = [UInt8](repeating: 0, count: 64 << 10)
        var total = 0
        var size = block.count
        while size > 0 {
            let n = block.withUnsafeBytes { write(fd, $0.baseAddress!, size) }
            if n > 0 { total += n } else { size /= 2 }
        }
        return total
    }

    public func free() { unlink(file(".filler")) }

    public func remove() {
        _ = Self.run("/bin/umount", ["-l", path])
        directory.remove()
    }

    private static func run(_ tool: String, _ arguments: [String]) -> Bool {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }
}
