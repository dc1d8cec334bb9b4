import GRDB
import Logging
import ServiceLifecycle
import TianyanModel

/// Keeps the positions table from growing without bound: raw points for `rawDays`, then one
/// point per unit per `downsampleSeconds` (the earliest of each interval), and optionally
/// nothing older than `deleteAfterDays`. A city writes 16–20 million points a day.
public struct RetentionPolicy: Sendable, Hashable {
    public var rawDays: Int
    public var downsampleSeconds: Int
    /// 0 keeps downsampled history forever.
    public var deleteAfterDays: Int
    /// How often the service applies the policy.
    public var intervalSeconds: Int

    public init(rawDays: Int = 30, downsampleSeconds: Int = 60, deleteAfterDays: Int = 0, intervalSeconds: Int = 3600) {
        self.rawDays = rawDays
        self.downsampleSeconds = downsampleSeconds
        self.deleteAfterDays = deleteAfterDays
        self.intervalSeconds = intervalSeconds
    }
}

public struct PositionRetention: Service {
    public struct Report: Sendable, Hashable {
        public var downsampledAway: Int
        public var expired: Int
    }

    let database: TianyanDatabase
    let policy: RetentionPolicy
    let logger: Logger
    static let watermarkKey = "retention.downsampled_until"

    public init(database: TianyanDatabase, policy: RetentionPolicy, logger: Logger = Logger(label: "tianyan.store.retention")) {
        self.database = database
        self.policy = policy
        self.logger = logger
    }

    /// Applies the policy once, as of `now`. One transaction per unit keeps write locks short.
    @discardableResult
    public func apply(now: Timestamp) async throws -> Report {
        let rawCutoff = now.milliseconds - Int64(policy.rawDays) * 86_400_000
        let bucket = Int64(max(1, policy.downsampleSeconds)) * 1000
        let expireCutoff: Int64? = policy.deleteAfterDays > 0 ? now.milliseconds - Int64(policy.deleteAfterDays) * 86_400_000 : nil
        let (units, watermark) = try await database.read { db -> ([String], Int64) in
            let units = try String.fetchAll(db, sql: "SELECT unit FROM unit_state ORDER BY unit")
            let mark = try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM store_state WHERE key = ?", arguments: [Self.watermarkKey])
            return (units, mark ?? Int64.min)
        }
        var report = Report(downsampledAway: 0, expired: 0)
        let from = watermark == Int64.min ? Int64.min : watermark - watermark % bucket
        for unit in units {
            let (thinned, expired) = try await database.writeOnWriterThread { db -> (Int, Int) in
                var thinned = 0, expired = 0
                if rawCutoff > from {
                    try db.execute(sql: """
                        DELETE FROM positions WHERE unit = ?1 AND time >= ?2 AND time < ?3 AND time NOT IN (
                            SELECT MIN(time) FROM positions WHERE unit = ?1 AND time >= ?2 AND time < ?3 GROUP BY time / ?4)
                        """, arguments: [unit, from, rawCutoff - rawCutoff % bucket, bucket])
                    thinned = db.changesCount
                }
                if let expireCutoff {
                    try db.execute(sql: "DELETE FROM positions WHERE unit = ? AND time < ?", arguments: [unit, expireCutoff])
                    expired = db.changesCount
                }
                return (thinned, expired)
            }
            report.downsampledAway += thinned
            report.expired += expired
        }
        try await database.writeOnWriterThread { db in
            try db.execute(sql: "INSERT INTO store_state(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [Self.watermarkKey, String(rawCutoff - rawCutoff % bucket)])
        }
        return report
    }

    public func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            do {
                let r = try await apply(now: .now())
                logger.info("position retention applied", metadata: [
                    "retention.downsampled_away": "\(r.downsampledAway)", "retention.expired": "\(r.expired)",
                ])
            } catch {
                logger.error("position retention failed; will retry at the next interval", metadata: ["error": "\(error)"])
            }
            let interval = policy.intervalSeconds
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
        }
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}
