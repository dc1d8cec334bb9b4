import ServiceLifecycle
import TianyanModel

/// The writer's state as the store ports report it: `/healthz`'s store problems and fields and
/// the `tianyan_store_*` metrics, under the names the server uses today.
extension RecordWriter {
    public var health: ComponentHealth { Self.health(of: statistics) }

    public var metrics: [Metric] { Self.metrics(of: statistics) }

    /// Problems `database writes` (commits failing) and `positions dropped`; fields `pending`,
    /// `committed`, `failed_commits`, `dropped`, `failing`, `last_error` when there is one, and
    /// `database` saying since when writes fail.
    public static func health(of w: Statistics) -> ComponentHealth {
        var h = ComponentHealth(fields: [
            "pending": .int(Int64(w.pending)), "committed": .int(Int64(w.committed)), "failed_commits": .int(Int64(w.failedCommits)),
            "dropped": .int(Int64(w.dropped)), "failing": .bool(w.failingSince != nil),
        ])
        if let e = w.lastError { h.fields["last_error"] = .string(e) }
        if let since = w.failingSince {
            // The file can be readable while every write fails (a full disk, a read-only file).
            h.fields["database"] = .string("writes failing since \(Timestamp(since).iso8601): \(w.lastError ?? "unknown error")")
            h.problems.append("database writes")
        }
        if w.dropped > 0 { h.problems.append("positions dropped") }
        return h
    }

    public static func metrics(of w: Statistics) -> [Metric] {
        [
            Metric(name: "tianyan_store_queue_depth", help: "records waiting for the writer", kind: .gauge, value: Double(w.pending)),
            Metric(name: "tianyan_store_records_committed_total", help: "records committed to the database", kind: .counter,
                   value: Double(w.committed)),
            Metric(name: "tianyan_store_transactions_total", help: "database transactions committed", kind: .counter, value: Double(w.transactions)),
            Metric(name: "tianyan_store_failed_commits_total", help: "commits that failed and were retried", kind: .counter,
                   value: Double(w.failedCommits)),
            Metric(name: "tianyan_store_failing", help: "1 while database commits fail (full disk, read-only file); records wait in memory",
                   kind: .gauge, value: w.failingSince == nil ? 0 : 1),
            Metric(name: "tianyan_store_dropped_total", help: "positions refused because the writer's queue was full while commits failed",
                   kind: .counter, value: Double(w.dropped)),
        ]
    }
}

/// A store's writer as the composition root and the front ends see it, whichever adapter is
/// behind it: the record sink, its service loop, its counters, and a flush.
public protocol RecordWriting: RecordSink, Service {
    var statistics: RecordWriter.Statistics { get }
    var health: ComponentHealth { get }
    var metrics: [Metric] { get }
    /// Returns when everything submitted before the call is committed.
    func flush() async throws
}

extension RecordWriter: RecordWriting {}
