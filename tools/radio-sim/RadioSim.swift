import ArgumentParser
import Foundation
import Logging
import TianyanModel

/// `radio-sim`: a TETRA radio on a PEI cable (the MT side of EN 300 392-5), with the sample
/// fleet talking around it, on a pty or a TCP port: the other side of the controller's radio link.
@main
struct RadioSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "radio-sim",
        abstract: "Simulate a radio gateway on a pty or TCP port: a TETRA PEI radio (AT commands, SDS, LIP, group calls) or a Hytera control station over HRNP (--protocol hytera-hrnp).")

    @Option(help: "The gateway protocol to speak: tetra-pei (a TETRA radio's PEI), hytera-hrnp (a Hytera control station over HRNP) or jt808 (PoC handsets and vehicle terminals connecting to --connect).")
    var `protocol`: String = "tetra-pei"

    @Option(help: "With --protocol jt808: the controller's JT/T 808 server, HOST:PORT.")
    var connect: String?

    @Option(help: "Create a pty pair and make this path a symlink to its slave side.")
    var pty: String?

    @Option(help: "Listen on HOST:PORT (PORT alone means 127.0.0.1; port 0 picks a free one). One client at a time.")
    var tcp: String?

    @Option(help: "How many radios talk: the sample fleet's (a quarter pilots, the rest officers), then, past its 2,605, radios the registry does not know (ISSI 2900001 up), up to 20,000.")
    var radios: Int = 50

    @Option(help: "Multiplier of the background traffic (calls, locations, statuses, texts); 0 = none.")
    var rate: Double = 1

    @Option(help: "Mean seconds between group calls at rate 1.")
    var callInterval: Double = 25

    @Option(help: "Seed of every random choice, so that a run is reproducible.")
    var seed: UInt64 = 1

    @Option(help: "Stop after this many seconds (default: until SIGINT or SIGTERM).")
    var runFor: Double?

    @Option(help: "Pull the line every this many seconds (0 = never). SIGUSR1 pulls it too.")
    var unplugEvery: Double = 0

    @Option(help: "Seconds the line stays pulled.")
    var unplugFor: Double = 5

    @Option(help: "Noise bursts or truncated lines per minute.")
    var garbageRate: Double = 0

    @Option(help: "Mean seconds from +CMGS: n to the unsolicited +CMGS: n,4|5,ref.")
    var sendDelay: Double = 2

    @Option(help: "Mean seconds from sent to the 'received' delivery report.")
    var reportDelay: Double = 4

    @Option(help: "Mean seconds from received to the 'consumed' (read) report (drawn from ½× to 2×).")
    var readDelay: Double = 20

    @Option(help: "Fraction of pages whose reports come 30-120 s late.")
    var lateFraction: Double = 0.05

    @Option(help: "Fraction of pages received but never read.")
    var neverReadFraction: Double = 0.15

    @Option(help: "Fraction of SDS to known destinations that fail over the air (+CMGS: n,5,ref).")
    var failRate: Double = 0.03

    @Option(help: "Fraction of AT+CMGS refused with +CME ERROR: 42 (MT busy).")
    var busyRate: Double = 0.01

    @Option(help: "Fraction of status presses that are the emergency button, and of calls that are emergency calls.")
    var emergencyRate: Double = 0.01

    @Option(help: "Fraction of radios that lose their GPS fix now and then.")
    var noFixFraction: Double = 0.05

    @Option(help: "The gateway radio's own ISSI (up to 8 digits).")
    var ownIssi: Int = 2_000_001

    @Flag(help: "Answer group SDS asking for reports with one 'sent to group' report (status 0x05).")
    var groupReport = false

    @Flag(help: "Send every kind of URC whatever AT+CTSP registered.")
    var routeAll = false

    @Option(help: "Seconds between status lines on stderr (0 = none).")
    var statusEvery: Double = 30

    @Flag(help: "Print every line sent and received to stderr.")
    var logLines = false

    @Flag(help: "Log more (client connects, line changes).")
    var verbose = false

    func validate() throws {
        guard ["tetra-pei", "hytera-hrnp", "jt808"].contains(`protocol`) else {
            throw ValidationError("--protocol \(`protocol`): speak tetra-pei, hytera-hrnp or jt808")
        }
        if `protocol` == "jt808" {
            guard let connect, pty == nil, tcp == nil else { throw ValidationError("--protocol jt808 takes --connect HOST:PORT (the controller's server), not --pty or --tcp") }
            _ = try Self.parseTCP(connect)
            guard (1...20_000).contains(radios) else { throw ValidationError("--radios must be between 1 and 20000") }
            return
        }
        guard (pty == nil) != (tcp == nil) else { throw ValidationError("give exactly one of --pty PATH or --tcp HOST:PORT") }
        if let tcp { _ = try Self.parseTCP(tcp) }
        guard (1...20_000).contains(radios) else { throw ValidationError("--radios must be between 1 and 20000") }
        guard rate >= 0 else { throw ValidationError("--rate cannot be negative") }
        guard callInterval > 0 else { throw ValidationError("--call-interval must be above 0 seconds") }
        if let runFor, runFor <= 0 { throw ValidationError("--run-for must be above 0 seconds") }
        guard unplugEvery >= 0, unplugFor >= 0 else { throw ValidationError("--unplug-every and --unplug-for cannot be negative") }
        guard garbageRate >= 0 else { throw ValidationError("--garbage-rate cannot be negative") }
        for (name, value) in [("--send-delay", sendDelay), ("--report-delay", reportDelay), ("--read-delay", readDelay)] where value < 0 {
            throw ValidationError("\(name) cannot be negative")
        }
        for (name, value) in [("--late-fraction", lateFraction), ("--never-read-fraction", neverReadFraction), ("--fail-rate", failRate),
                              ("--busy-rate", busyRate), ("--emergency-rate", emergencyRate), ("--no-fix-fraction", noFixFraction)]
            where !(0...1).contains(value) {
            throw ValidationError("\(name) must be between 0 and 1")
        }
        guard (1...99_999_999).contains(ownIssi) else { throw ValidationError("--own-issi must have 1 to 8 digits") }
    }

    /// `HOST:PORT`, `[v6]:PORT` or `PORT` (127.0.0.1).
    static func parseTCP(_ text: String) throws -> (host: String, port: UInt16) {
        var host = "127.0.0.1"
        var portText = text
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            portText = String(text[text.index(after: colon)...])
            if host.isEmpty { host = "127.0.0.1" }
        }
        guard let port = UInt16(portText) else { throw ValidationError("--tcp \(text): write HOST:PORT, e.g. 127.0.0.1:7001 (port 0 picks one)") }
        return (host, port)
    }

    var simConfiguration: SimConfiguration {
        var c = SimConfiguration()
        c.ownISSI = ownIssi
        c.radios = radios
        c.rate = rate
        c.callInterval = callInterval
        c.seed = seed
        c.sendDelay = sendDelay
        c.reportDelay = reportDelay
        c.readDelay = readDelay
        c.lateFraction = lateFraction
        c.neverReadFraction = neverReadFraction
        c.failRate = failRate
        c.busyRate = busyRate
        c.emergencyRate = emergencyRate
        c.noFixFraction = noFixFraction
        c.garbageRate = garbageRate
        c.groupReport = groupReport
        c.routeAll = routeAll
        return c
    }

    func run() throws {
        let verbose = self.verbose
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .info : .notice
            return handler
        }
        if `protocol` == "jt808", let connect {
            let (host, port) = try Self.parseTCP(connect)
            let fleet = JT808Terminals(host: host, port: port, configuration: simConfiguration, start: .now())
            SimShell.printError("radio-sim: \(radios) JT/T 808 terminals to \(host):\(port), rate \(rate), seed \(seed)")
            signal(SIGTERM) { _ in jt808Stop = true }
            signal(SIGINT) { _ in jt808Stop = true }
            fleet.run(runFor: runFor, statusEvery: statusEvery) { jt808Stop }
            return
        }
        let transport: SimShell.Transport
        if let pty {
            transport = .pty(path: pty)
        } else {
            let (host, port) = try Self.parseTCP(tcp!)
            transport = .tcp(host: host, port: port)
        }
        var options = SimShell.Options()
        options.unplugEvery = unplugEvery
        options.unplugFor = unplugFor
        options.runFor = runFor
        options.logLines = logLines
        options.statusEvery = statusEvery
        options.printReady = true
        let simulator: any SimulatedGateway
        if `protocol` == "hytera-hrnp" {
            let hytera = HyteraSimulator(configuration: simConfiguration, start: .now())
            simulator = hytera
            SimShell.printError("radio-sim: Hytera HRNP control station \(hytera.ownID), \(radios) radios, rate \(rate), seed \(seed)")
        } else {
            let tetra = RadioSimulator(configuration: simConfiguration, start: .now())
            simulator = tetra
            SimShell.printError("radio-sim: \(radios) radios, rate \(rate), seed \(seed), own ISSI \(ownIssi) (TSI \(tetra.ownTSI))")
        }
        let shell = SimShell(simulator: simulator, transport: transport, options: options)
        shell.installSignalHandlers()
        do {
            try shell.run()
        } catch let error as SimError {
            throw ValidationError(error.description)
        }
    }
}

/// Set by SIGTERM or SIGINT while the JT/T 808 terminals run.
nonisolated(unsafe) var jt808Stop = false
