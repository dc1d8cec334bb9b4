import Foundation
import Logging
import RecordWriter
import Testing
import TianyanModel
import TianyanTesting
@testable import TianyanPostgres

/// A fresh database on the suite's throwaway cluster, its store and a writer (not running: a
/// wait commits inline, as for a one-shot command).
func withPostgres<T>(_ body: (PostgresStoreDatabase, PostgresStore, RecordWriter) async throws -> T) async throws -> T {
    let url = try PostgresCluster.shared().database()
    let database = try await PostgresStoreDatabase(url: url)
    defer { database.close() }
    let writer = RecordWriter(committer: PostgresCommitter(database: database), configuration: .init(batchSize: 1_000, maxDelay: .milliseconds(5)))
    return try await body(database, PostgresStore(database: database), writer)
}

/// The store contract (StoreConformance) on PostgreSQL: every case the SQLite and in-memory
/// stores pass, on a real server (a fresh database per case). One case at a time: making a
/// database blocks a cooperative thread, and thirty cases at once beside the rest of the suite
/// left the connections' 15 s deadlines to expire before a thread was free to see the answer.
@Suite(.serialized) struct PostgresConformanceTests {
    @Test(arguments: StoreConformance.names)
    func postgres(_ name: String) async throws {
        try await withPostgres { _, store, writer in
            try await StoreConformance.run(name, store: store, sink: writer, settle: { try await writer.flush() })
        }
    }
}
