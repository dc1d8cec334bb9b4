import CoveragePlanner
import Foundation
import Logging
import MosquittoClient
import ServiceLifecycle
import TianyanDispatch
import TianyanModel

/// `tianyan demo`: the whole system on one machine, assembled here at the composition root. A
/// private mosquitto, the sample Chang'an fleet written to `dataDirectory` and imported, a user
/// per role with a fresh password, dock-sim with 84 docks, radio-sim on a pty as the TETRA gateway
/// and another as a Hytera control station, 500 JT/T 808 PoC handsets, and the controller with its HTTP server; the banner
/// says what to try.
public struct DemoAssembly: Sendable {
    public var configuration: TianyanConfiguration
    public var dataDirectory: String
    public var seed: UInt64
    public var flying: Int
    /// Stop after this many seconds (scripted runs); nil runs until SIGTERM/SIGINT.
    public var runFor: Double?
    public var logger: Logger

    public init(configuration: TianyanConfiguration, dataDirectory: String, seed: UInt64 = 1, flying: Int = 0, runFor: Double? = nil,
                logger: Logger) {
        self.configuration = configuration
        self.dataDirectory = dataDirectory
        self.seed = seed
        self.flying = flying
        self.runFor = runFor
        self.logger = logger
    }

    public func run() async throws {
        let data = dataDirectory
        var config = configuration
        let fleetDir = (data as NSString).appendingPathComponent("fleet")
        try FleetDirectory.write(FleetSample.make(), to: fleetDir)
        let access = try await Controller(configuration: config, logger: logger).openStore()
        let registry = try await FleetDirectory.importRegistry(from: fleetDir, into: access.store)
        let broker = try PrivateBroker(logger: logger)
        config.mqtt = broker.url
        // The demo flies around the clock so that there is something to watch at any hour
        // (unless flying hours other than the default 07-19 are configured).
        if config.plannerFlyingHours == FlyingWindow(start: 7, end: 19) { config.plannerFlyingHours = FlyingWindow(start: 0, end: 24) }
        var services: [any Service] = [broker]
        let docksLog = (data as NSString).appendingPathComponent("dock-sim.log")
        services.append(try SimulatorProcess(name: "dock-sim", arguments: [
            "--broker", broker.url, "--seed", "\(seed)", "--fly-on-start", "\(flying)", "--hms-rate", "2",
            "--profiles", Controller.profilesDirectory(config.profilesDirectory),
        ], logFile: docksLog, logger: logger))
        // A demo user per role, each with a fresh random password kept in a file only its owner reads.
        let usersDir = (data as NSString).appendingPathComponent("users")
        try FileManager.default.createDirectory(atPath: usersDir, withIntermediateDirectories: true)
        let directory = access.users
        let existing = Set(try await directory.list().map(\.name))
        var credentials: [String] = []
        for role in Role.allCases {
            var rng = SystemRandomNumberGenerator()
            let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
            let password = String((0..<16).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            if existing.contains(role.rawValue) {
                try await directory.setPassword(name: role.rawValue, password: password, by: "demo")
            } else {
                try await directory.add(name: role.rawValue, role: role, password: password, by: "demo")
            }
            let file = (usersDir as NSString).appendingPathComponent("\(role.rawValue).password")
            FileManager.default.createFile(atPath: file, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600])
            credentials.append("\(role.rawValue) / \(password)")
        }
        let radioLog = (data as NSString).appendingPathComponent("radio-sim.log")
        let pty = ((data as NSString).appendingPathComponent("pei-gateway") as NSString).standardizingPath
        let ptyPath = pty.hasPrefix("/") ? pty : FileManager.default.currentDirectoryPath + "/" + pty
        services.append(try SimulatorProcess(name: "radio-sim", arguments: [
            "--pty", ptyPath, "--seed", "\(seed)",
        ], logFile: radioLog, logger: logger))
        // Beside the TETRA network: a Hytera control station over HRNP with 100 radios (the
        // sample's last officers, so that no radio is on both networks).
        let hyteraLog = (data as NSString).appendingPathComponent("hytera-sim.log")
        let hyteraPty = ((data as NSString).appendingPathComponent("hytera-gateway") as NSString).standardizingPath
        let hyteraPath = hyteraPty.hasPrefix("/") ? hyteraPty : FileManager.default.currentDirectoryPath + "/" + hyteraPty
        let hyteraRadios = 100
        services.append(try SimulatorProcess(name: "radio-sim", arguments: [
            "--protocol", "hytera-hrnp", "--pty", hyteraPath, "--seed", "\(seed)", "--radios", "\(hyteraRadios)",
        ], logFile: hyteraLog, logger: logger))
        // And 500 PoC handsets and vehicle terminals reporting over JT/T 808 to the controller's server.
        let pocLog = (data as NSString).appendingPathComponent("poc-sim.log")
        let pocPort = try FreePort.loopback()
        let pocTerminals = 500
        services.append(try SimulatorProcess(name: "radio-sim", arguments: [
            "--protocol", "jt808", "--connect", "127.0.0.1:\(pocPort)", "--seed", "\(seed)", "--radios", "\(pocTerminals)", "--status-every", "60",
        ], logFile: pocLog, logger: logger))
        if config.gateways.isEmpty {
            config.gateways = [try RadioGatewaySetting(parsing: "sim=serial://\(ptyPath)?baud=38400&profile=generic-pei"),
                               try RadioGatewaySetting(parsing: "hytera=serial://\(hyteraPath)?profile=hytera-hrnp"),
                               try RadioGatewaySetting(parsing: "poc=jt808://127.0.0.1:\(pocPort)?profile=jt808")]
        }
        if let runFor { services.append(StopAfter(seconds: runFor)) }
        let me = CommandLine.arguments.first ?? "tianyan"
        let finalConfig = config
        let logins = credentials.joined(separator: ", ")
        try await Controller(configuration: config, logger: logger).run(extraServices: services) { parts in
            let someRadio = registry.radios.first { $0.pilot == nil }?.issi ?? "2100001"
            let hyteraRadio = registry.radios.last { $0.pilot == nil }?.alias ?? "CM-0001"
            return """
            Tianyan demo
              console    http://\(finalConfig.http)/  (open it in a browser; log in with one of the users below)
              broker     \(broker.url)  (private mosquitto, stops with the demo)
              database   \(parts.storeLocation)
              http       http://\(finalConfig.http)/healthz, /metrics, /api/v1 (openapi.yaml), live feed ws://\(finalConfig.http)/api/v1/live
              users      \(logins)  (passwords also in \(usersDir))
              fleet      \(fleetDir): \(registry.drones.count) drones, \(registry.docks.count) docks, \(registry.formations.count) formations, \(registry.pilots.count) pilots, \(registry.radios.count) radios, \(registry.talkgroups.count) talkgroups, \(registry.cells.count) grid cells
              docks      84 simulated DJI docks (dock-sim\(flying > 0 ? ", \(flying) flying a patrol now" : ""); log \(docksLog))
              plan       the coverage plan of \(registry.cells.count) cells is made at start; each dock's next sortie is prepared with its
                         route file and launched 2 min before take-off (flying hours \(String(format: "%02d-%02d", finalConfig.plannerFlyingHours.start, finalConfig.plannerFlyingHours.end)))
              radios     a simulated TETRA PEI gateway on \(ptyPath) (radio-sim; log \(radioLog)) and a Hytera control station
                         over HRNP with \(hyteraRadios) radios on \(hyteraPath) (radio-sim --protocol hytera-hrnp; log \(hyteraLog)), and
                         \(pocTerminals) PoC handsets and vehicle terminals over JT/T 808 to 127.0.0.1:\(pocPort) (radio-sim --protocol jt808; log \(pocLog))
              try        \(me) units --database \(parts.storeLocation)
                         \(me) voice-log --database \(parts.storeLocation)
                         \(me) page \(someRadio) "Report to the north gate" --http \(finalConfig.http) --user dispatcher --password-file \(usersDir)/dispatcher.password
                         \(me) page \(hyteraRadio) "请到北门集合" --http \(finalConfig.http) --user dispatcher --password-file \(usersDir)/dispatcher.password  (a Hytera radio)
                         \(me) page 13907690001 "收到请回复" --http \(finalConfig.http) --user dispatcher --password-file \(usersDir)/dispatcher.password  (a PoC handset)
                         \(me) maintenance --all --database \(parts.storeLocation)
                         \(me) sorties --state prepared,executing,done --database \(parts.storeLocation)
                         \(me) coverage --database \(parts.storeLocation)
                         curl -s -H "Authorization: Bearer $TOKEN" http://\(finalConfig.http)/api/v1/sorties?state=executing  (token: POST /api/v1/session as lead)
                         \(me) dock command \(registry.docks[0].serial) return_home --mqtt \(broker.url) --database \(parts.storeLocation)
            ready (Ctrl-C to stop)
            """
        }
    }
}

/// Ends the demo's service group after `seconds` (`--run-for`).
struct StopAfter: Service {
    var seconds: Double
    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(seconds)) }
    }
}
