import Foundation
import GRDB
import Logging
import RecordWriter
import ServiceLifecycle
import Synchronization
import TianyanModel

/// The one writer of the SQLite database: the shared batching writer (`RecordWriter`: batches,
/// backoff, bounded queue, graceful drain) committing through `BatchWriter` on the database's
/// writer queue, plus what only SQLite needs: passive WAL checkpoints beside the writer, and
/// `transact`, the barrier the registry import, alarm handling and user changes go behind.
public final class StoreWriter: RecordWriting, Sendable {
    public typealias Configuration = RecordWriter.Configuration
    public typealias Statistics = RecordWriter.Statistics

    private let database: TianyanDatabase
    /// The batching queue (shared with the other store adapters).
    public let queue: RecordWriter

    public init(database: TianyanDatabase, configuration: Configuration = .init(), logger: Logger = Logger(label: "tianyan.store.writer")) {
        self.database = database
        self.queue = RecordWriter(committer: SQLiteCommitter(database: database), configuration: configuration, logger: logger)
        database.writersCreated.add(1, ordering: .relaxed)
        database.register(self, running: false)
    }

    /// `run()` has begun (tests wait for it).
    var hasStarted: Bool { queue.hasStarted }
    public var statistics: Statistics { queue.statistics }
    public var health: ComponentHealth { queue.health }
    public var metrics: [Metric] { queue.metrics }

    @discardableResult
    public func submit(_ records: [StoreRecord]) -> UInt64 { queue.submit(records) }
    public func waitUntilCommitted(_ ticket: UInt64) async throws { try await queue.waitUntilCommitted(ticket) }
    public func flush() async throws { try await queue.flush() }

    public func run() async throws {
        database.register(self, running: true)
        let checkpoints = Task.detached { [database] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                await database.passiveCheckpointOffThread()
            }
        }
        defer { checkpoints.cancel() }
        try await queue.run()
        database.unregister(self)
    }

    /// Runs `body` in a transaction of its own after everything submitted before the call is
    /// committed (a barrier): a change to a record submitted a moment ago finds it stored. The
    /// transaction runs on the database's writer queue, so it never overlaps a batch. While
    /// commits fail it throws at once rather than wait for the store to recover.
    func transact<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if let error = queue.failingError {
            throw StoreError(code: .sqlite, message: "database writes are failing: \(error)")
        }
        try await flush()
        return try await database.writeOnWriterThread(body)
    }
}

/// One batch in one SQLite transaction on the writer queue (never abandoned by a cancelled task).
struct SQLiteCommitter: BatchCommitter {
    let database: TianyanDatabase

    func commit(_ batch: [StoreRecord]) async throws {
        try await database.writeOnWriterThread { db in
            var writer = BatchWriter()
            try writer.write(batch[...], into: db)
            try writer.flushUnitState(into: db)
        }
    }

    var location: String { database.path }

    func stoppedError(_ message: String) -> any Error { StoreError(code: .sqlite, message: message) }
}
