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
        do {
            return try DockProfiles.load(directory: configuration.profilesDirectory)
        } catch let error as ProfileErrors {
            throw ControllerError(message: "firmware profiles in \(configuration.profilesDirectory) are not usable:\n\(error)")
        }
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
            services: [.init(service: writer), .init(service: retention)] + extraServices.map { .init(service: $0) }
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
