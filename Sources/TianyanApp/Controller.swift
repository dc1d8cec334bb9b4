import DockLink
import Foundation
import Logging
import ServiceLifecycle
import TianyanModel
import TianyanStore
import UnixSignals

/// The composition root: builds every service from the configuration and runs them in one
/// ServiceGroup that shuts down gracefully on SIGTERM and SIGINT, flushing the writer last.
public struct Controller: Sendable {
    public let configuration: TianyanConfiguration
    public let logger: Logger

    public init(configuration: TianyanConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func openDatabase() throws -> TianyanDatabase {
        try TianyanDatabase(location: configuration.database)
    }

    public func loadDockProfiles() throws -> DockProfiles {
        let directory = Controller.profilesDirectory(configuration.profilesDirectory)
        do {
            return try DockProfiles.load(directory: directory)
        } catch let error as ProfileErrors {
            throw ControllerError(message: "firmware profiles in \(directory) are not usable (set profiles_dir):\n\(error)")
        }
    }

    /// The profiles directory: as configured when it exists; for the default relative path, also
    /// the checkout the executable was built in (so `tianyan` works from any directory).
    public static func profilesDirectory(_ configured: String) -> String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: configured, isDirectory: &isDir), isDir.boolValue { return configured }
        guard !configured.hasPrefix("/") else { return configured }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent(configured).path
            if FileManager.default.fileExists(atPath: candidate + "/docks") { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return configured
    }

    /// Runs until SIGTERM/SIGINT. `banner` is printed once everything is started.
    public func run(extraServices: [any Service] = [], banner: @Sendable (TianyanDatabase, DockService) async throws -> String) async throws {
        let database = try openDatabase()
        let profiles = try loadDockProfiles()
        let store = FleetStore(database: database)
        let writer = StoreWriter(
            database: database,
            configuration: .init(batchSize: configuration.writerBatchSize,
                                 maxDelay: .milliseconds(configuration.writerMaxDelayMilliseconds)),
            logger: logger)
        let retention = PositionRetention(database: database, policy: configuration.retention, logger: logger)
        let docks = try DockService(configuration: configuration, profiles: profiles, registry: try await store.registry(),
                                    openAlarms: try await store.alarms(kind: "hms", open: true, limit: 100_000),
                                    sink: writer, logger: logger)
        // The writer is listed first so that it is shut down last: everything upstream of it
        // stops handing it records before it drains. Extra services (the demo's broker and
        // simulators) come before the dock link so that they stop after it.
        let group = ServiceGroup(configuration: .init(
            // An extra service that ends by itself (the demo's --run-for) shuts the whole group down gracefully.
            services: [.init(service: writer), .init(service: retention)]
                + extraServices.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }
                + [.init(service: docks)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        let text = try await banner(database, docks)
        Console.emit(text)
        try await group.run()
        let s = writer.statistics
        logger.info("controller stopped; writer flushed", metadata: [
            "store.committed": "\(s.committed)", "store.pending": "\(s.pending)", "store.transactions": "\(s.transactions)",
        ])
        Console.emit("stopped: \(s.committed) records committed, \(s.pending) pending")
    }
}

public struct ControllerError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
