import Foundation
import GRDB
import Testing
import TianyanModel
import TianyanTesting
@testable import TianyanSQLite

/// A flight task's stored status is the dock's text, a named status or not.
@Suite("Flight task rows")
struct FlightTaskRowTests {
    @Test("the status column holds the dock's text and reads back as the same status")
    func storedText() async throws {
        try await withWriter { db, writer in
            writer.submit([.flightTask(FlightTaskUpdate(flightID: "f1", dock: "K1", time: Timestamp(milliseconds: 1_000), status: .partiallyDone)),
                           .flightTask(FlightTaskUpdate(flightID: "f2", dock: "K1", time: Timestamp(milliseconds: 1_000),
                                                        status: FlightTaskStatus(rawValue: "returning")))])
            try await writer.flush()
            let rows = try await db.read { db in
                try Row.fetchAll(db, sql: "SELECT flight_id, status FROM flight_tasks ORDER BY flight_id").map { "\($0["flight_id"] as String) \($0["status"] as String)" }
            }
            #expect(rows == ["f1 partially_done", "f2 returning"])
            let store = FleetStore(database: db)
            #expect(try await store.flightTask(id: "f1")?.status == .partiallyDone)
            #expect(try await store.flightTask(id: "f2")?.status.rawValue == "returning")
        }
    }
}
