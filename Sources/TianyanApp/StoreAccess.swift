import Logging
import RecordWriter
import ServiceLifecycle
import TianyanDispatch
import TianyanModel
import TianyanPostgres
import TianyanSQLite

/// The store the configuration names (`database`: a SQLite path or `sqlite://` URL, or a
/// `postgres://` URL), opened with everything the controller and the commands need from it:
/// the read ports, its one writer, the users on it, its retention service. The rest of the
/// controller sees the ports only, so the adapters are chosen here and nowhere else.
public struct StoreBackend: Sendable {
    public let store: any FleetStorage
    /// The one writer: every record goes through it. Not running until the caller runs it (a
    /// one-shot command commits when it waits).
    public let writer: any RecordWriting
    public let users: UserDirectory
    /// Position retention (SQLite: downsampling by rows; PostgreSQL: by day partitions).
    public let retention: any Service
    /// Where it is (a file path, or the URL without its password), for banners and messages.
    public let location: String
    /// `sqlite` or `postgresql`.
    public let backend: String
    /// The SQLite database when the store is one (tests and tools reach into the file).
    public let sqlite: TianyanDatabase?
    /// Closes the connections (PostgreSQL's pool); the SQLite file closes with its last user.
    public let close: @Sendable () -> Void
    /// The schema migrations applied, oldest first, and those this build knows.
    public let migrations: @Sendable () async throws -> (applied: [String], known: [String])
}

/// The store for a one-shot command (`tianyan units`, `users add`, …): its read side, a sink
/// whose records commit when `flush` (or a wait) asks, and the users on it.
public struct StoreAccess: Sendable {
    public let store: any FleetStorage
    public let sink: any RecordSink
    public let users: UserDirectory
    /// Where it is (a file path or a URL), for messages.
    public let location: String
    /// Commits everything handed to `sink` so far.
    public let flush: @Sendable () async throws -> Void
    /// The whole backend (to close it, or to reach its retention).
    public let backend: StoreBackend
}

extension Controller {
    /// Whether the configured database is a PostgreSQL URL.
    public var usesPostgres: Bool {
        configuration.database.hasPrefix("postgres://") || configuration.database.hasPrefix("postgresql://")
    }

    /// Opens the configured store, migrating its schema forward, with a writer configured from
    /// `writer_*` settings.
    public func openBackend() async throws -> StoreBackend {
        let writerConfiguration = RecordWriter.Configuration(
            batchSize: configuration.writerBatchSize, maxDelay: .milliseconds(configuration.writerMaxDelayMilliseconds),
            maxPending: configuration.writerMaxPending)
        let policy = configuration.retention
        if usesPostgres {
            let database = try await PostgresStoreDatabase(url: configuration.database, logger: logger)
            let store = PostgresStore(database: database)
            let writer = RecordWriter(committer: PostgresCommitter(database: database), configuration: writerConfiguration, logger: logger)
            return StoreBackend(
                store: store, writer: writer, users: UserDirectory(store: store, hasher: YescryptHasher()),
                retention: PostgresRetention(database: database, rawDays: policy.rawDays, downsampleSeconds: policy.downsampleSeconds,
                                             deleteAfterDays: policy.deleteAfterDays, intervalSeconds: policy.intervalSeconds, logger: logger),
                location: database.location.description, backend: "postgresql", sqlite: nil, close: { database.close() },
                migrations: { try await database.migrations() })
        }
        let database = try openDatabase()
        let writer = StoreWriter(database: database, configuration: writerConfiguration, logger: logger)
        return StoreBackend(
            store: FleetStore(database: database), writer: writer, users: UserDirectory(database: database),
            retention: PositionRetention(database: database, policy: policy, logger: logger),
            location: database.path, backend: "sqlite", sqlite: database, close: {},
            migrations: { try SQLiteInspection(path: database.path).migrations() })
    }

    /// Opens the configured store for a one-shot command.
    public func openStore() async throws -> StoreAccess {
        let backend = try await openBackend()
        let writer = backend.writer
        return StoreAccess(store: backend.store, sink: writer, users: backend.users, location: backend.location,
                           flush: { try await writer.flush() }, backend: backend)
    }
}
