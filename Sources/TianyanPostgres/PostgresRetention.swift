import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import TianyanModel

/// Position retention on PostgreSQL, by whole days (partitions): a day older than `rawDays` is
/// downsampled once to one point per unit per `downsampleSeconds` (the earliest of each
/// interval), and a day older than `deleteAfterDays` is dropped as a table, not deleted row by
/// row. Which days are downsampled is kept in `store_state`, so a restart does not redo them.
public struct PostgresRetention: Service {
    public struct Report: Sendable, Hashable {
        public var downsampledAway: Int
        public var droppedDays: Int
    }

    let database: PostgresStoreDatabase
    /// Days of raw points, interval of the downsampled ones, days before dropping (0: never).
    let rawDays: Int, downsampleSeconds: Int, deleteAfterDays: Int, intervalSeconds: Int
    let logger: Logger

    public init(database: PostgresStoreDatabase, rawDays: Int, downsampleSeconds: Int, deleteAfterDays: Int, intervalSeconds: Int,
                logger: Logger = Logger(label: "tianyan.store.retention")) {
        self.database = database
        self.rawDays = rawDays
        self.downsampleSeconds = downsampleSeconds
        self.deleteAfterDays = deleteAfterDays
        self.intervalSeconds = intervalSeconds
        self.logger = logger
    }

    /// The day partitions of positions, oldest first: name and first instant (UTC midnight).
    func partitions() async throws -> [(name: String, day: Int64)] {
        try await database.rows("""
            SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'positions'::regclass ORDER BY c.relname
            """) { r -> (String, Int64)? in
            let name: String = try r.get("name")
            guard name.hasPrefix("positions_"), let stamp = Int(name.dropFirst("positions_".count)), let date = CivilDate(
                year: stamp / 10_000, month: stamp / 100 % 100, day: stamp % 100) else { return nil }
            return (name, date.daysSinceEpoch)
        }.compactMap { $0 }
    }

    /// Applies the policy once, as of `now`.
    @discardableResult
    public func apply(now: Timestamp) async throws -> Report {
        let today = PostgresCommitter.day(now)
        var report = Report(downsampledAway: 0, droppedDays: 0)
        let bucket = Int64(max(1, downsampleSeconds)) * 1_000_000
        let logger = database.logger
        for p in try await partitions() {
            if deleteAfterDays > 0, p.day < today - Int64(deleteAfterDays) {
                try await database.transaction { c in
                    try await c.query(PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS \"\(p.name)\""), logger: logger)
                    try await c.query("DELETE FROM store_state WHERE key = \("retention.downsampled." + p.name)", logger: logger)
                }
                database.partitionDays.withLock { _ = $0.remove(p.day) }
                report.droppedDays += 1
                continue
            }
            guard p.day < today - Int64(rawDays) else { continue }
            let key = "retention.downsampled." + p.name
            let done = try await database.rows("SELECT value FROM store_state WHERE key = \(key)") { try $0.get("value") as String }
            guard done.isEmpty else { continue }
            report.downsampledAway += try await database.transaction { c in
                let removed = try await PostgresStore.rows(c, PostgresQuery(unsafeSQL: """
                    WITH keep AS (
                        SELECT DISTINCT ON (unit, floor(extract(epoch FROM time) * 1000000 / \(bucket))) unit, time FROM "\(p.name)"
                        ORDER BY unit, floor(extract(epoch FROM time) * 1000000 / \(bucket)), time)
                    DELETE FROM "\(p.name)" x WHERE NOT EXISTS (SELECT 1 FROM keep k WHERE k.unit = x.unit AND k.time = x.time)
                    RETURNING 1 AS one
                    """), logger) { _ in 1 }.count
                try await c.query("INSERT INTO store_state(key, value) VALUES (\(key), \(String(now.milliseconds))) ON CONFLICT (key) DO NOTHING",
                                  logger: logger)
                return removed
            }
        }
        return report
    }

    public func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            do {
                let r = try await apply(now: .now())
                logger.info("position retention applied", metadata: [
                    "retention.downsampled_away": "\(r.downsampledAway)", "retention.dropped_days": "\(r.droppedDays)",
                ])
            } catch {
                logger.error("position retention failed; will retry at the next interval", metadata: ["error": "\(error)"])
            }
            let interval = intervalSeconds
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
        }
    }
}
