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

    /// Runs until SIGTERM/SIGINT. `banner` is printed once everything is started.
    public func run(extraServices: [any Service] = [], banner: @Sendable (TianyanDatabase) async throws -> String) async throws {
        let database = try openDatabase()
        let writer = StoreWriter(
            database: database,
            configuration: .init(batchSize: configuration.writerBatchSize,
                                 maxDelay: .milliseconds(configuration.writerMaxDelayMilliseconds)),
            logger: logger)
        let retention = PositionRetention(database: database, policy: configuration.retention, logger: logger)
        // The writer is listed first so that it is shut down last: everything upstream of it
        // stops handing it records before it drains.
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: writer)] + [.init(service: retention)] + extraServices.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        let text = try await banner(database)
        Console.emit(text)
        try await group.run()
        let s = writer.statistics
        logger.info("controller stopped; writer flushed", metadata: [
            "store.committed": "\(s.committed)", "store.pending": "\(s.pending)", "store.transactions": "\(s.transactions)",
        ])
        Console.emit("stopped: \(s.committed) records committed, \(s.pending) pending")
    }
}
