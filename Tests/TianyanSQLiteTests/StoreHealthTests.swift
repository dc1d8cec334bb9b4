import Foundation
import Testing
import RecordWriter
import TianyanModel
import TianyanTesting
@testable import TianyanSQLite

/// The writer's health and metrics as the ports report them (the names `/healthz` and `/metrics` use).
@Suite struct StoreHealthTests {
    @Test func aWorkingWriterReportsItsCountsAndNoProblem() async throws {
        try await withWriter { _, writer in
            try await writer.waitUntilCommitted(writer.submit([.position(Position(unit: "R1", time: Timestamp(milliseconds: 1_000),
                                                                                   latitude: 22.5, longitude: 113.9, source: .lip))]))
            let h = writer.health
            #expect(h.problems.isEmpty)
            #expect(h.fields["committed"] == .int(1))
            #expect(h.fields["pending"] == .int(0))
            #expect(h.fields["failing"] == .bool(false))
            #expect(h.fields["last_error"] == nil)
            let metrics = Dictionary(writer.metrics.map { ($0.name, $0) }) { a, _ in a }
            #expect(metrics["tianyan_store_records_committed_total"]?.value == 1)
            #expect(metrics["tianyan_store_records_committed_total"]?.kind == .counter)
            #expect(metrics["tianyan_store_transactions_total"]?.value == 1)
            #expect(metrics["tianyan_store_failing"]?.value == 0)
            #expect(metrics["tianyan_store_queue_depth"]?.kind == .gauge)
        }
    }

    @Test func failingWritesAndDroppedPositionsAreProblems() {
        let since = Date(timeIntervalSince1970: 1_764_000_000)
        let stats = StoreWriter.Statistics(submitted: 10, committed: 4, transactions: 2, failedCommits: 3, pending: 6,
                                           lastError: "disk full", dropped: 2, failingSince: since)
        let h = RecordWriter.health(of: stats)
        #expect(h.problems == ["database writes", "positions dropped"])
        #expect(h.fields["database"] == .string("writes failing since \(Timestamp(since).iso8601): disk full"))
        #expect(h.fields["last_error"] == .string("disk full"))
        #expect(h.fields["failing"] == .bool(true))
        #expect(h.fields["failed_commits"] == .int(3))
        #expect(h.fields["dropped"] == .int(2))
        let metrics = Dictionary(RecordWriter.metrics(of: stats).map { ($0.name, $0.value) }) { a, _ in a }
        #expect(metrics == ["tianyan_store_queue_depth": 6, "tianyan_store_records_committed_total": 4, "tianyan_store_transactions_total": 2,
                            "tianyan_store_failed_commits_total": 3, "tianyan_store_failing": 1, "tianyan_store_dropped_total": 2])
    }
}
