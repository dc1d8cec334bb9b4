import Foundation
import SerialPorts
import Synchronization
import Testing
import TianyanTesting

/// The built `radio-sim`: `RADIO_SIM_BIN`, else next to the test bundle.
func radioSimExecutable() -> String {
    if let path = ProcessInfo.processInfo.environment["RADIO_SIM_BIN"] { return path }
    let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    return here.appendingPathComponent("radio-sim").path
}

@Suite(.timeLimit(.minutes(1))) struct ExecutableTests {
    @Test func printsTheReadyLineUnplugsOnSIGUSR1AndExitsCleanlyOnSIGTERM() async throws {
        let binary = radioSimExecutable()
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no radio-sim at \(binary); build it (swift build) or set RADIO_SIM_BIN")
        let child = try ChildProcess(binary, ["--tcp", "127.0.0.1:0", "--radios", "5", "--rate", "0", "--unplug-for", "1", "--status-every", "0"])
        defer { if child.isRunning { child.signal(SIGKILL) } }
        try await waitUntil("radio-sim to print its ready line; stderr: \(child.stderr)", timeout: .seconds(20)) {
            child.stdout.contains("radio-sim ready tcp=127.0.0.1:")
        }
        let line = try #require(child.stdout.split(separator: "\n").first { $0.hasPrefix("radio-sim ready tcp=") })
        let port = try #require(UInt16(line.split(separator: ":").last ?? ""), "no port in \(line)")

        let link = try await TCPLink.connect(host: "127.0.0.1", port: port)
        let heard = Mutex<[UInt8]>([])
        let reader = Task { for await chunk in link.bytes { heard.withLock { $0 += chunk } } }
        try await link.write(Array("AT\r\n".utf8))
        try await waitUntil("an answer to AT", timeout: .seconds(20)) {
            String(decoding: heard.withLock { $0 }, as: UTF8.self).contains("OK\r\n")
        }
        #expect(String(decoding: heard.withLock { $0 }, as: UTF8.self) == "AT\r\r\nOK\r\n")

        child.signal(SIGUSR1)
        try await waitUntil("SIGUSR1 to close the connection", timeout: .seconds(20)) { link.state != .open }
        _ = await reader.value
        try await waitUntil("radio-sim to plug back in", timeout: .seconds(20)) {
            child.stdout.components(separatedBy: "radio-sim ready tcp=").count == 3
        }
        #expect(child.stdout.contains("radio-sim unplugged"))

        child.signal(SIGTERM)
        let result = try await child.wait(timeout: .seconds(20))
        #expect(result.status == 0, "exit status \(result.status); stderr: \(result.stderr)")
    }

    @Test func runForEndsByItselfWithExitZero() async throws {
        let binary = radioSimExecutable()
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no radio-sim at \(binary); build it (swift build) or set RADIO_SIM_BIN")
        let dir = try TemporaryDirectory("radio-sim-exe")
        defer { dir.remove() }
        let child = try ChildProcess(binary, ["--pty", dir.file("pei"), "--run-for", "1", "--status-every", "0"])
        let result = try await child.wait(timeout: .seconds(20))
        #expect(result.status == 0, "exit status \(result.status); stderr: \(result.stderr)")
        #expect(result.stdout.hasPrefix("radio-sim ready pty=\(dir.file("pei"))\n"))
    }

    @Test func unplugEveryPullsTheLineOnATimer() async throws {
        let binary = radioSimExecutable()
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no radio-sim at \(binary); build it (swift build) or set RADIO_SIM_BIN")
        let child = try ChildProcess(binary, ["--tcp", "0", "--rate", "0", "--unplug-every", "1", "--unplug-for", "0.5",
                                              "--run-for", "4", "--status-every", "0"])
        let result = try await child.wait(timeout: .seconds(20))
        #expect(result.status == 0, "exit status \(result.status); stderr: \(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        let ready = lines.filter { $0.hasPrefix("radio-sim ready tcp=127.0.0.1:") }
        let unplugged = lines.filter { $0 == "radio-sim unplugged for=0.5" }
        // Up 1 s, down 0.5 s: two unplugs in 4 s at least (three if the timing is tight).
        #expect(unplugged.count >= 2, "\(result.stdout)")
        #expect(ready.count == unplugged.count + 1 || ready.count == unplugged.count, "\(result.stdout)")
        #expect(Set(ready).count == 1, "plugged back in on another port: \(ready)")
    }

    @Test func refusesBadOptions() async throws {
        let binary = radioSimExecutable()
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no radio-sim at \(binary); build it (swift build) or set RADIO_SIM_BIN")
        let result = try await ChildProcess(binary, ["--radios", "5"]).wait(timeout: .seconds(20))
        #expect(result.status != 0)
        #expect(result.stderr.contains("--pty PATH or --tcp HOST:PORT"), "\(result.stderr)")
    }
}
