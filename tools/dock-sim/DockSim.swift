import ArgumentParser
import Foundation
import Logging
import MosquittoClient
import ServiceLifecycle
import TianyanModel
import UnixSignals

/// `dock-sim`: N DJI docks with their aircraft speaking the DJI Cloud API over a real broker,
/// the other side of the controller.
@main
struct DockSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dock-sim",
        abstract: "Simulate DJI docks and their aircraft speaking the DJI Cloud API over MQTT.")

    @Option(help: "Broker URL, mqtt://host:port or mqtts://user:password@host:port.")
    var broker: String

    @Option(help: "How many docks of the sample fleet to simulate (default: all).")
    var docks: Int?

    @Option(help: "Seed of everything random, so that a run is reproducible in content.")
    var seed: UInt64 = 1

    @Option(help: "Folder of firmware profiles (holding docks/*.yaml).")
    var profiles: String = "firmware-profiles"

    @Option(help: "Seconds between OSD pushes (2 = the real 0.5 Hz).")
    var osdInterval: Double = 2

    @Option(help: "Stop after this many seconds (default: run until SIGINT or SIGTERM).")
    var duration: Double?

    @Option(help: "HMS alarms per dock-hour.")
    var hmsRate: Double = 0.5

    @Option(help: "Network drops per dock-hour (each 5-30 s offline).")
    var dropRate: Double = 0

    @Option(help: "This many docks start a patrol flight at once (for demos).")
    var flyOnStart: Int = 0

    @Option(help: "Flights move this many times faster than real (for tests and short demos); 1 = real time.")
    var flightSpeedUp: Double = 1

    @Flag(help: "Log every service, reply and flight step.")
    var verbose = false

    func validate() throws {
        if let docks, !(1...FleetSample.dockCount).contains(docks) {
            throw ValidationError("--docks must be between 1 and \(FleetSample.dockCount), not \(docks)")
        }
        guard osdInterval > 0 else { throw ValidationError("--osd-interval must be above 0 seconds") }
        guard (1...100).contains(flightSpeedUp) else { throw ValidationError("--flight-speed-up must be between 1 and 100") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be above 0 seconds") }
        guard hmsRate >= 0 else { throw ValidationError("--hms-rate cannot be negative") }
        guard dropRate >= 0 else { throw ValidationError("--drop-rate cannot be negative") }
        guard flyOnStart >= 0, flyOnStart <= (docks ?? FleetSample.dockCount) else {
            throw ValidationError("--fly-on-start must be between 0 and the number of docks")
        }
    }

    func run() async throws {
        let verbose = self.verbose
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = verbose ? .info : .notice
            return handler
        }
        let logger = Logger(label: "dock-sim")
        let url: BrokerURL
        do {
            url = try BrokerURL(parsing: broker)
        } catch {
            throw ValidationError(error.message)
        }
        let catalog = try DockCatalog(profilesDirectory: profiles)
        let identities = try catalog.identities(fleet: FleetSample.make(), count: docks)
        var parameters = SimulationParameters()
        parameters.osdInterval = osdInterval
        parameters.flightSpeedUp = flightSpeedUp
        parameters.hmsPerHour = hmsRate
        parameters.dropsPerHour = dropRate

        let counters = SimulationCounters()
        let now = Date().timeIntervalSince1970
        let connections = identities.enumerated().map { index, identity in
            let dock = SimulatedDock(identity: identity, parameters: parameters,
                                     seed: Self.dockSeed(seed, index: index), now: now)
            return DockConnection(dock: dock, broker: url, counters: counters, flyOnStart: index < flyOnStart, logger: logger)
        }
        DockSimulation.printError("dock-sim: \(connections.count) docks on \(url), seed \(seed), OSD every \(osdInterval) s, "
            + "\(hmsRate) HMS and \(dropRate) drops per dock-hour, \(flyOnStart) flying at start")
        let simulation = DockSimulation(connections: connections, counters: counters,
                                        duration: duration.map { .milliseconds(Int($0 * 1000)) }, logger: logger)
        // The simulation ends by itself after --duration: that ends the group, it is no failure.
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: simulation, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// A distinct, reproducible seed per dock.
    static func dockSeed(_ seed: UInt64, index: Int) -> UInt64 {
        var g = SeededGenerator(seed: seed &+ UInt64(index) &* 0x9E37_79B9)
        return g.next()
    }
}
