import Foundation
import RecordWriter
import Testing
import TianyanModel
import TianyanTesting
@testable import TianyanPostgres

/// Retention by day partitions on a real server: an old day is dropped whole, a day past the raw
/// window keeps one point per unit per interval (the earliest), recent days are untouched, and a
/// second pass changes nothing.
@Suite struct PostgresRetentionTests {
    @Test func daysAreDownsampledOnceAndDroppedWhole() async throws {
        try await withPostgres { database, store, writer in
            let day: Int64 = 86_400_000
            let now = Timestamp(milliseconds: 1_796_083_200_000 + 12 * 3_600_000)  // noon UTC
            let today = now.milliseconds - now.milliseconds % day
            var records: [StoreRecord] = []
            // Ten days ago (dropped), three days ago (downsampled), today (raw): one point every 10 s
            // for 10 minutes, two units.
            for base in [today - 10 * day, today - 3 * day, today] {
                for unit in ["R1", "R2"] {
                    for i in 0..<60 {
                        records.append(.position(Position(unit: unit, time: Timestamp(milliseconds: base + 3_600_000 + Int64(i) * 10_000),
                                                          latitude: 22.8, longitude: 113.8, altitude: nil, speed: nil, heading: nil,
                                                          accuracy: nil, source: .lip)))
                    }
                }
            }
            try await writer.waitUntilCommitted(writer.submit(records))
            #expect(try await store.counts()["positions"] == 360)
            let retention = PostgresRetention(database: database, rawDays: 2, downsampleSeconds: 60, deleteAfterDays: 7, intervalSeconds: 3600)
            let report = try await retention.apply(now: now)
            #expect(report.droppedDays == 1)
            #expect(report.downsampledAway == 2 * (60 - 10), "10 one-minute buckets kept per unit")
            #expect(try await store.counts()["positions"] == 120 + 20)
            let old = try await store.track(unit: "R1", from: Timestamp(milliseconds: today - 3 * day), to: Timestamp(milliseconds: today - 2 * day))
            #expect(old.map(\.time.milliseconds) == (0..<10).map { today - 3 * day + 3_600_000 + Int64($0) * 60_000 })
            let again = try await retention.apply(now: now)
            #expect(again == .init(downsampledAway: 0, droppedDays: 0))
            // A position for a dropped day can still arrive late: its partition is made again.
            try await writer.waitUntilCommitted(writer.submit([.position(Position(
                unit: "R1", time: Timestamp(milliseconds: today - 10 * day + 5), latitude: 1, longitude: 1, altitude: nil, speed: nil,
                heading: nil, accuracy: nil, source: .lip))]))
            #expect(try await store.counts()["positions"] == 141)
        }
    }
}
