import Foundation
import GRDB
import Synchronization

/// The SQLite database file in WAL mode: one writer connection, concurrent readers that never
/// wait on it. Opening migrates the schema forward.
public final class TianyanDatabase: Sendable {
    public struct Configuration: Sendable {
        /// `synchronous=NORMAL` in WAL mode survives a crash of the process (not of the OS) and
        /// keeps commits cheap; `FULL` syncs every commit.
        public var synchronousFull: Bool
        /// How long a connection waits on a lock held by another process before failing.
        public var busyTimeout: Duration
        public var maximumReaderCount: Int
        /// Page cache per connection, MiB.
        public var cacheMiB: Int
        /// WAL pages between automatic checkpoints (SQLite's default is 1,000).
        public var walAutocheckpointPages: Int

        public init(synchronousFull: Bool = false, busyTimeout: Duration = .seconds(5), maximumReaderCount: Int = 4,
                    cacheMiB: Int = 64, walAutocheckpointPages: Int = 10_000) {
            self.cacheMiB = cacheMiB
            self.walAutocheckpointPages = walAutocheckpointPages
            self.synchronousFull = synchronousFull
            self.busyTimeout = busyTimeout
            self.maximumReaderCount = maximumReaderCount
        }
    }

    public let path: String
    let pool: DatabasePool
    /// How many `StoreWriter`s were built over this database (one per process is the rule: the
    /// tests check that no request starts a writer of its own).
    let writersCreated = Atomic<Int>(0)
    public var storeWritersCreated: Int { writersCreated.load(ordering: .relaxed) }

    /// The writer that changes go behind: the one last started, else the one last built (held
    /// weakly: the writer holds the database).
    private let currentWriter = Mutex(WeakWriter())
    struct WeakWriter { weak var writer: StoreWriter?; var running = false }

    func register(_ writer: StoreWriter, running: Bool) {
        currentWriter.withLock { w in
            if running || w.writer == nil || !w.running { w = WeakWriter(writer: writer, running: running) }
        }
    }

    /// A writer whose run loop ended commits nothing more: changes go straight to the writer queue.
    func unregister(_ writer: StoreWriter) {
        currentWriter.withLock { w in
            if w.writer === writer { w = WeakWriter() }
        }
    }

    /// Opens (creating if needed) the database at `location`: a file path, or a `sqlite://` URL.
    /// A `postgres://` URL is refused with a clear message until the PostgreSQL store lands.
    public init(location: String, configuration: Configuration = .init()) throws {
        let path = try TianyanDatabase.filePath(for: location)
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
            throw StoreError(code: .openFailed, message: "cannot open database \(path): directory \(dir) does not exist")
        }
        var config = GRDB.Configuration()
        config.busyMode = .timeout(Double(configuration.busyTimeout.components.seconds))
        config.maximumReaderCount = configuration.maximumReaderCount
        let full = configuration.synchronousFull
        let cacheKiB = configuration.cacheMiB * 1024
        let autocheckpoint = configuration.walAutocheckpointPages
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(full ? "FULL" : "NORMAL")")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Random (unit, time) index inserts need the index pages in memory.
            try db.execute(sql: "PRAGMA cache_size = -\(cacheKiB)")
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(autocheckpoint)")
            }
        }
        do {
            self.pool = try DatabasePool(path: path, configuration: config)
            try Schema.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw StoreError(code: .openFailed, message: "cannot open database \(path): \(error.message ?? "\(error)")",
                             sqliteCode: error.extendedResultCode.rawValue)
        }
        self.path = path
    }

    public static func filePath(for location: String) throws -> String {
        if location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") {
            throw StoreError(code: .unsupportedURL, message: "PostgreSQL storage (\(location.prefix { $0 != ":" })://…) is not built yet; use a SQLite file path such as ./tianyan.sqlite")
        }
        if location.hasPrefix("sqlite://") { return String(location.dropFirst("sqlite://".count)) }
        if location.contains("://") {
            throw StoreError(code: .unsupportedURL, message: "unsupported database URL \(location); give a file path or sqlite:///path")
        }
        return location
    }

    /// Runs a read on a reader connection (never waits on the writer).
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch let e as DatabaseError { throw StoreError(e) }
    }

    /// Runs `body` in one write transaction through the writer's path: behind everything
    /// submitted to the database's writer before (a barrier), on the writer queue. The only
    /// way, besides the writer's own batches, that the store changes the database.
    func transact<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if let writer = currentWriter.withLock({ $0.writer }) { return try await writer.transact(body) }
        return try await writeOnWriterThread(body)
    }

    /// Runs `body` in one write transaction on the writer's own thread. Unlike GRDB's async
    /// write, this is not abandoned when the calling task is cancelled: a shutdown still commits.
    func writeOnWriterThread<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let pool = self.pool
        return try await withCheckedThrowingContinuation { continuation in
            TianyanDatabase.writerQueue.async {
                do { continuation.resume(returning: try pool.write(body)) } catch let e as DatabaseError {
                    continuation.resume(throwing: StoreError(e))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    static let writerQueue = DispatchQueue(label: "tianyan.store.writer")
    static let checkpointQueue = DispatchQueue(label: "tianyan.store.checkpoint")

    /// A connection of its own that copies WAL pages into the database file while the writer
    /// goes on writing (a PASSIVE checkpoint never blocks it). The writer's own automatic
    /// checkpoint then finds little left to do and the WAL restarts from its beginning.
    private let checkpointer = CheckpointConnection()

    final class CheckpointConnection: Sendable {
        let queue = Mutex<DatabaseQueue?>(nil)
    }

    func passiveCheckpointOffThread() async {
        let path = self.path
        let box = self.checkpointer
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            TianyanDatabase.checkpointQueue.async {
                do {
                    let queue = try box.queue.withLock { q -> DatabaseQueue in
                        if let q { return q }
                        var config = GRDB.Configuration()
                        config.busyMode = .timeout(1)
                        let made = try DatabaseQueue(path: path, configuration: config)
                        q = made
                        return made
                    }
                    try queue.inDatabase { db in _ = try db.checkpoint(.passive) }
                } catch {
                    // A busy or failed passive checkpoint is harmless: the writer's automatic one remains.
                }
                c.resume()
            }
        }
    }

    /// Caps the database file at `pages` pages (SQLite's `max_page_count`; nil lifts the cap).
    /// A write that would grow it further fails as a full disk does (SQLITE_FULL): the fault
    /// tests use it as a disk that fills and then frees space, without mounting anything.
    public func setMaximumPageCount(_ pages: Int?) async throws {
        let n = pages ?? 4_294_967_294
        _ = try await pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(n)") }
    }

    /// Pages the database file holds now.
    public func pageCount() async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
    }

    /// `PRAGMA integrity_check`: "ok", or the problems SQLite found.
    public func integrityCheck() async throws -> String {
        try await read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    /// Truncates the WAL (after bulk loads, before measuring size).
    public func checkpoint() async throws {
        _ = try await pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }
}

extension StoreError {
    init(_ e: DatabaseError) {
        self.init(code: .sqlite, message: "SQLite: \(e.message ?? e.description)", sqliteCode: e.extendedResultCode.rawValue)
    }
}
