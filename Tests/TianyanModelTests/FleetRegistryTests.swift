import Foundation
import Testing
@testable import TianyanModel

@Suite struct FleetSampleTests {
    let sample = FleetSample.make()

    @Test func countsMatchChangan() {
        #expect(sample.drones.count == 126)
        #expect(sample.formations.count == 94)
        #expect(sample.pilots.count == 205)
        #expect(sample.cells.count == 501)
        #expect(sample.docks.count > 0 && sample.docks.count < sample.drones.count)
        #expect(sample.radios.count > 2_000)
        #expect(Set(sample.radios.compactMap(\.pilot)) == Set(sample.pilots.map(\.id)))
    }

    @Test func cellsTileAboutNinetyEightSquareKilometresWithoutOverlap() {
        let total = sample.cells.reduce(0) { $0 + Geodesy.area(of: $1.polygon) } / 1_000_000
        #expect(total > 90 && total < 106)
        // Cells are grid squares: distinct south-west corners mean no two overlap.
        #expect(Set(sample.cells.map { $0.polygon[0] }).count == 501)
        let centre = FleetSample.center
        #expect(sample.cells.allSatisfy { Geodesy.distance(centre, $0.polygon[0]) < 10_000 })
        #expect(Set(sample.cells.map(\.community)).count == 13)
        #expect(sample.cells.contains { $0.revisitDays == 7 })
    }

    @Test func isDeterministicAndValid() throws {
        #expect(FleetSample.make() == sample)
        let decoded = try FleetRegistryCodec.decode(FleetRegistryCodec.encode(sample))
        #expect(decoded == sample)
    }
}

@Suite struct FleetImportValidationTests {
    var files = FleetRegistryCodec.encode(FleetSample.make())

    mutating func edit(_ file: String, line: Int, _ change: (String) -> String) {
        var lines = files[file]!.components(separatedBy: "\n")
        lines[line - 1] = change(lines[line - 1])
        files[file] = lines.joined(separator: "\n")
    }

    func problems() -> [String] {
        do {
            _ = try FleetRegistryCodec.decode(files)
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test mutating func duplicateIdIsReportedWithBothLines() {
        let second = files["pilots.csv"]!.components(separatedBy: "\n")[2]
        edit("pilots.csv", line: 4) { _ in second }
        #expect(problems().contains { $0.hasPrefix("pilots.csv:4: duplicate pilot id P0002 (first at line 3)") })
    }

    @Test mutating func unknownReferences() {
        edit("drones.csv", line: 2) { $0.replacingOccurrences(of: ",F001,", with: ",F404,") }
        edit("radios.csv", line: 2) { $0.replacingOccurrences(of: "9002 ", with: "9999 ") }
        let p = problems()
        #expect(p.contains("drones.csv:2: formation F404 is not in formations.csv"))
        #expect(p.contains("radios.csv:2: talkgroup 9999 is not in talkgroups.csv"))
    }

    @Test mutating func coordinatesOutOfRangeAndBadDates() {
        edit("docks.csv", line: 3) { l in
            var f = l.components(separatedBy: ","); f[5] = "181.5"; return f.joined(separator: ",")
        }
        edit("pilots.csv", line: 5) { l in
            var f = l.components(separatedBy: ","); f[4] = "2027-02-30"; return f.joined(separator: ",")
        }
        let p = problems()
        #expect(p.contains("docks.csv:3: lon 181.5 is out of range -180…180 degrees"))
        #expect(p.contains("pilots.csv:5: licence_expiry \"2027-02-30\" is not a date (YYYY-MM-DD)"))
    }

    @Test mutating func selfIntersectingCellNamesItsLine() throws {
        var lines = files["cells.geojson"]!.components(separatedBy: "\n")
        // Line 11 holds feature 10: swap two corners to make a bow-tie.
        let fixed = lines[10].hasSuffix(",") ? String(lines[10].dropLast()) : lines[10]
        var feature = try JSONSerialization.jsonObject(with: Data(fixed.utf8)) as! [String: Any]
        var geometry = feature["geometry"] as! [String: Any]
        var ring = (geometry["coordinates"] as! [[[Double]]])[0]
        ring.swapAt(1, 2)
        geometry["coordinates"] = [ring]
        feature["geometry"] = geometry
        lines[10] = String(decoding: try JSONSerialization.data(withJSONObject: feature), as: UTF8.self) + ","
        files["cells.geojson"] = lines.joined(separator: "\n")
        #expect(problems().contains { $0.hasPrefix("cells.geojson:11: feature 10: cell CA-010: the polygon intersects itself") })
    }

    @Test mutating func wrongHeaderAndMissingFile() {
        edit("talkgroups.csv", line: 1) { _ in "gssi,label" }
        files["radios.csv"] = nil
        let p = problems()
        #expect(p.contains { $0.hasPrefix("talkgroups.csv:1: missing column name; unknown column label") })
        #expect(p.contains { $0.hasPrefix("radios.csv:0: the file is missing") })
    }

    @Test func brokenJSONIsReported() {
        var f = files
        f["cells.geojson"] = "{\"type\": \"FeatureCollection\",\n \"features\": [\n {oops}]}"
        #expect(throws: FleetImportError.self) { try FleetRegistryCodec.decode(f) }
    }
}
