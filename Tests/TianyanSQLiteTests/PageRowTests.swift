import Foundation
import GRDB
import Testing
import TianyanModel
import TianyanTesting
@testable import TianyanSQLite

/// A page's stored row keeps the text it always had: the state column and the history JSON.
@Suite("Page rows")
struct PageRowTests {
    static func page(_ state: PageState, _ history: [PageStep]) -> Page {
        Page(id: "PG-1-1", gateway: "g1", destination: "2100001", target: .radio, text: "report to gate 3", requestedBy: "disp",
             requestedAt: Timestamp(milliseconds: 1_000), state: state, history: history)
    }

    @Test("state and history are stored as text, byte for byte, and read back as the typed states")
    func storedText() async throws {
        try await withWriter { db, writer in
            let history = [PageStep(state: .queued, time: Timestamp(milliseconds: 1_000)),
                           PageStep(state: .retrying, time: Timestamp(milliseconds: 1_100), detail: "busy; attempt 2 of 3 in 2 s"),
                           PageStep(state: .queued, time: Timestamp(milliseconds: 3_100)),
                           PageStep(state: .accepted, time: Timestamp(milliseconds: 3_200))]
            let page = Self.page(.accepted, history)
            writer.submit([.page(page)])
            try await writer.flush()
            let row = try #require(try await db.read { db in
                try Row.fetchOne(db, sql: "SELECT state, history FROM pages WHERE id = 'PG-1-1'").map { ($0["state"] as String, $0["history"] as String) }
            })
            #expect(row.0 == "accepted")
            #expect(row.1 == #"[{"state":"queued","time":{"milliseconds":1000}},"#
                + #"{"detail":"busy; attempt 2 of 3 in 2 s","state":"retrying","time":{"milliseconds":1100}},"#
                + #"{"state":"queued","time":{"milliseconds":3100}},{"state":"accepted","time":{"milliseconds":3200}}]"#)
            #expect(try await FleetStore(database: db).page(id: "PG-1-1") == page)
        }
    }

    @Test("a row with a state this version does not know is an error, not a guess")
    func unknownStoredState() async throws {
        try await withWriter { db, writer in
            writer.submit([.page(Self.page(.sent, [PageStep(state: .sent, time: Timestamp(milliseconds: 1_000))]))])
            try await writer.flush()
            try await db.transact { db in try db.execute(sql: "UPDATE pages SET state = 'lost' WHERE id = 'PG-1-1'") }
            await #expect(throws: DecodingError.self) { try await FleetStore(database: db).page(id: "PG-1-1") }
        }
    }
}
