import Foundation
import Testing
@testable import TianyanModel

@Suite struct GeodesyTests {
    @Test func distanceOfOneDegreeOfLatitude() {
        let d = Geodesy.distance(Coordinate(latitude: 22, longitude: 113.8), Coordinate(latitude: 23, longitude: 113.8))
        #expect(abs(d - 111_195) < 10)
    }

    @Test func bearingsToTheCardinalPoints() {
        let o = Coordinate(latitude: 22.8, longitude: 113.8)
        #expect(abs(Geodesy.bearing(from: o, to: Coordinate(latitude: 22.9, longitude: 113.8))) < 1e-9)
        #expect(abs(Geodesy.bearing(from: o, to: Coordinate(latitude: 22.8, longitude: 113.9)) - 90) < 0.05)
        #expect(abs(Geodesy.bearing(from: o, to: Coordinate(latitude: 22.7, longitude: 113.8)) - 180) < 1e-9)
        let p = Geodesy.destination(from: o, bearing: 45, distance: 1000)
        #expect(abs(Geodesy.distance(o, p) - 1000) < 0.01)
    }

    @Test func areaOfASquareKilometre() {
        let sw = Coordinate(latitude: 22.8, longitude: 113.8)
        let se = Geodesy.destination(from: sw, bearing: 90, distance: 1000)
        let nw = Geodesy.destination(from: sw, bearing: 0, distance: 1000)
        let ne = Coordinate(latitude: nw.latitude, longitude: se.longitude)
        let a = Geodesy.area(of: [sw, se, ne, nw, sw])
        #expect(abs(a - 1_000_000) < 2_000)
    }

    @Test func pointInPolygonAndSelfIntersection() {
        let square = [(0.0, 0.0), (0, 1), (1, 1), (1, 0), (0, 0)].map { Coordinate(latitude: $0.0, longitude: $0.1) }
        #expect(Geodesy.contains(square, Coordinate(latitude: 0.5, longitude: 0.5)))
        #expect(!Geodesy.contains(square, Coordinate(latitude: 1.5, longitude: 0.5)))
        #expect(Geodesy.selfIntersection(of: square) == nil)
        let bowtie = [(0.0, 0.0), (1, 1), (1, 0), (0, 1), (0, 0)].map { Coordinate(latitude: $0.0, longitude: $0.1) }
        #expect(Geodesy.selfIntersection(of: bowtie) != nil)
    }

    @Test func gcj02ShiftsChinaAndRoundTrips() {
        let wgs = Coordinate(latitude: 22.80, longitude: 113.80)
        let gcj = Geodesy.wgs84ToGCJ02(wgs)
        // The GCJ-02 offset in Guangdong is a few hundred metres.
        let shift = Geodesy.distance(wgs, gcj)
        #expect(shift > 200 && shift < 800)
        let back = Geodesy.gcj02ToWGS84(gcj)
        #expect(Geodesy.distance(wgs, back) < 0.01)
        let london = Coordinate(latitude: 51.5, longitude: -0.12)
        #expect(Geodesy.wgs84ToGCJ02(london) == london)
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2026-11-24T17:31:32Z", Int64(1_795_541_492_000)),
        ("2026-11-24T17:31:32.123Z", Int64(1_795_541_492_123)),
        ("2026-11-25T01:31:32+08:00", Int64(1_795_541_492_000)),
        ("2026-11-24", Int64(1_795_478_400_000)),
        ("1795541492000", Int64(1_795_541_492_000)),
    ])
    func parses(_ text: String, _ ms: Int64) {
        #expect(Timestamp(parsing: text)?.milliseconds == ms)
    }

    @Test(arguments: ["", "yesterday", "2026-13-01", "2026-02-30", "2026-11-24T25:00:00Z", "2026-11-24T10:00:00Zjunk"])
    func rejects(_ text: String) {
        #expect(Timestamp(parsing: text) == nil)
    }

    @Test func formatsWithMilliseconds() {
        #expect(Timestamp(milliseconds: 1_795_541_492_123).iso8601 == "2026-11-24T17:31:32.123Z")
        #expect(Timestamp(milliseconds: -1).iso8601 == "1969-12-31T23:59:59.999Z")
        let d = CivilDate(parsing: "2024-02-29")!
        #expect(CivilDate(days: d.daysSinceEpoch) == d)
        #expect(CivilDate(parsing: "2023-02-29") == nil)
    }
}

@Suite struct CSVTests {
    @Test func quotedFieldsRoundTrip() throws {
        let rows = [["id", "name"], ["1", "Chen, \"Wei\""], ["2", "two\nlines"], ["3", ""]]
        let text = CSV.format(rows)
        let parsed = try CSV.parse(text)
        #expect(parsed.map(\.fields) == rows)
        #expect(parsed.map(\.line) == [1, 2, 3, 5])
    }

    @Test func crlfAndBOM() throws {
        let parsed = try CSV.parse("\u{FEFF}a,b\r\n1,2\r\n\r\n")
        #expect(parsed.map(\.fields) == [["a", "b"], ["1", "2"]])
    }

    @Test func unterminatedQuoteIsAnError() {
        #expect(throws: CSV.SyntaxError.self) { try CSV.parse("a,b\n1,\"open\n") }
    }
}
