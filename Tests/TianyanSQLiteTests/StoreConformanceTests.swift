import Testing
import TianyanModel
import TianyanTesting
@testable import TianyanSQLite

/// The store contract (StoreConformance) on every adapter: each case once on the in-memory store
/// and once on SQLite (a fresh file with a running writer).
@Suite struct StoreConformanceTests {
    @Test(arguments: StoreConformance.names)
    func inMemory(_ name: String) async throws {
        let store = InMemoryStore()
        try await StoreConformance.run(name, store: store, sink: store, settle: {})
    }

    @Test(arguments: StoreConformance.names)
    func sqlite(_ name: String) async throws {
        try await withWriter { db, writer in
            try await StoreConformance.run(name, store: FleetStore(database: db), sink: writer, settle: { try await writer.flush() })
        }
    }

    @Test func everyCaseHasItsOwnName() {
        #expect(Set(StoreConformance.names).count == StoreConformance.names.count)
        #expect(StoreConformance.names.count >= 25)
    }
}
