import Foundation
import Logging
import MosquittoClient
import ServiceLifecycle

/// A simulator executable (dock-sim, later radio-sim) run beside the controller by the demo; it
/// is found next to the `tianyan` executable and stops with the service group.
public final class SimulatorProcess: Service, Sendable {
    public let name: String
    public let logFile: String
    private let process: SpawnedProcess
    private let logger: Logger

    public init(name: String, arguments: [String], logFile: String, logger: Logger) throws {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let path = dir.appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ControllerError(message: "\(name) is not built next to tianyan (\(path)); run tools/demo, or swift build --product \(name)")
        }
        self.name = name
        self.logFile = logFile
        self.logger = logger
        process = try SpawnedProcess(path, arguments, logFile: logFile)
        logger.info("simulator started", metadata: ["sim.name": "\(name)", "sim.log": "\(logFile)"])
    }

    public func run() async throws {
        try? await gracefulShutdown()
        process.stop()
        logger.info("simulator stopped", metadata: ["sim.name": "\(name)"])
    }

    /// If the controller fails before the group runs, the simulator must not outlive it.
    deinit { process.stop() }
}
