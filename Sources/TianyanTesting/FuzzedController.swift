import Foundation
import HyteraLink

/// The whole controller (`tianyan serve`, a real process) with one radio gateway on a real byte
/// link (TCP or a pty) to a scripted radio that says whatever `HostileRadioTraffic` makes. After
/// every round of hostile input a canary LIP report from a fresh radio must come out of the HTTP
/// API with its exact position: the process is alive, reads its line and stores what is valid.
///
/// Used by FaultTests (short, seeded) and tools/fuzz-gateway (minutes).
public final class FuzzedController: @unchecked Sendable {
    // Invariant: every property is set once in init; the process and radio are stopped once by stop().
    public let directory: TemporaryDirectory
    public let radio: ScriptedRadio
    public let process: ChildProcess
    public let api: APIClient

    /// What a run did.
    public struct Report: Sendable, CustomStringConvertible {
        public var inputs = 0
        public var bytes = 0
        public var canaries = 0
        public var byKind: [String: Int] = [:]
        public var protocolIdentifiers = 0
        public var description: String {
            "\(inputs) hostile inputs (\(bytes) bytes, \(protocolIdentifiers) protocol identifiers or opcodes covered), \(canaries) canaries stored"
        }
    }

    /// A run that found the controller dead or deaf; `recent` holds the last inputs as text.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The gateway profile `tianyan serve` speaks to the radio (`generic-pei`, `hytera-hrnp`).
    public let profile: String
    private var acceptor: Task<Void, Never>?

    /// Makes the database and an admin user, starts the radio and `tianyan serve` on `http` (HOST:PORT).
    /// With `profile: "hytera-hrnp"` the scripted radio answers every HRNP CONNECT with ACCEPT.
    public init(http: String, transport: ScriptedRadio.Transport, profilesDirectory: String, profile: String = "generic-pei") async throws {
        directory = try TemporaryDirectory("tianyan-fuzz-gateway")
        self.profile = profile
        radio = try ScriptedRadio(transport)
        if profile == "hytera-hrnp" {
            radio.bytesOnly = true
            let r = radio
            acceptor = Task {
                var answered = 0
                while !Task.isCancelled {
                    var framer = HRNPFramer()
                    let connects = framer.push(r.received).filter { if case .packet(let p) = $0 { p.opcode == .connect } else { false } }.count
                    if connects > answered {
                        answered = connects
                        r.sendRaw(HRNPPacket(opcode: .accept, source: 0x10, destination: 0x20, packetNumber: 0).encoded())
                    }
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
        }
        let db = directory.file("db.sqlite")
        try "fuzz-admin-pass-1\n".write(toFile: directory.file("pw"), atomically: true, encoding: .utf8)
        let added = try await runTianyan(["users", "add", "fuzz", "--role", "admin", "--password-file", directory.file("pw"), "--database", db],
                                         in: directory.path)
        guard added.status == 0 else { throw Failure(description: "users add failed: \(added.stderr)") }
        let url = profile == "generic-pei" ? radio.url : radio.url.contains("?") ? radio.url + "&profile=\(profile)" : radio.url + "?profile=\(profile)"
        process = try startTianyan(["serve", "--database", db, "--gateway", "g1=\(url)", "--http", http,
                                    "--mqtt", "mqtt://127.0.0.1:1", "--set", "profiles_dir=\(profilesDirectory)",
                                    "--set", "planner.auto=false", "--set", "log_level=warning"],
                                   in: directory.path)
        api = APIClient(address: http)
    }

    /// Waits for the gateway to be initialised and logs in.
    public func waitReady() async throws {
        try await waitUntil("the controller to listen and its gateway to initialise", timeout: .seconds(60)) {
            guard self.process.isRunning else { throw Failure(description: "tianyan serve exited: \(self.process.stderr.suffix(2000))") }
            guard let health = try? await self.api.request("GET", "/healthz", timeout: 2) else { return false }
            let gateways = health.json["gateways"] as? [[String: Any]] ?? []
            return gateways.first?["ready"] as? Bool == true
        }
        try await api.login("fuzz", password: "fuzz-admin-pass-1")
    }

    /// Sends `rounds` rounds of `perRound` hostile inputs, each followed by a canary that must be stored.
    public func run(_ traffic: inout some HostileTraffic, rounds: Int, perRound: Int,
                    until deadline: ContinuousClock.Instant? = nil, progress: (Report) -> Void = { _ in }) async throws -> Report {
        var report = Report()
        var recent: [HostileInput] = []
        var round = 0
        while round < rounds || (deadline.map { ContinuousClock.now < $0 } ?? false) {
            for _ in 0..<perRound {
                let input = traffic.nextInput()
                radio.sendRaw(input.bytes)
                report.inputs += 1
                report.bytes += input.bytes.count
                report.byKind[input.kind, default: 0] += 1
                recent.append(input)
                if recent.count > perRound { recent.removeFirst() }
            }
            // A fresh radio each round, at a position unique to the round.
            let issi = String(2_950_000 + round % 40_000)
            let latitude = 22.5 + Double(round % 1000) / 2000
            radio.sendRaw(traffic.canary(radio: 2_950_000 + round % 40_000, latitude: latitude))
            do {
                try await waitUntil("canary \(issi) stored at \(latitude)", timeout: .seconds(30), poll: .milliseconds(50)) {
                    guard self.process.isRunning else { return true }
                    let unit = try? await self.api.request("GET", "/api/v1/units/\(issi)", timeout: 5)
                    guard let unit, unit.status == 200, let position = unit.json["position"] as? [String: Any],
                          let lat = position["lat"] as? Double else { return false }
                    return abs(lat - latitude) < 1e-5
                }
            } catch {
                throw Failure(description: "round \(round): \(error)\n\(evidence(recent))")
            }
            guard process.isRunning else {
                throw Failure(description: "round \(round): tianyan serve died: \(process.stderr.suffix(3000))\n\(evidence(recent))")
            }
            report.canaries += 1
            report.protocolIdentifiers = traffic.variety
            round += 1
            progress(report)
        }
        return report
    }

    private func evidence(_ inputs: [HostileInput]) -> String {
        "last inputs (hex of the bytes on the line):\n" + inputs.suffix(20).map { "  \($0.kind): \(HostileRadioTraffic.hex($0.bytes))" }
            .joined(separator: "\n") + "\nstderr tail: \(process.stderr.suffix(2000))"
    }

    /// SIGTERM, and the exit it made.
    public func stop() async throws -> CommandResult {
        if process.isRunning { process.signal(SIGTERM) }
        let result = try await process.wait(timeout: .seconds(60))
        acceptor?.cancel()
        radio.stop()
        return result
    }

    public func remove() { directory.remove() }
}
