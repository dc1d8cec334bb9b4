import Foundation
import Testing
import TianyanModel
import TianyanSQLite
import TianyanTesting
@testable import TianyanApp
import TianyanDJI
@testable import TianyanDispatch
import TianyanTetra

@Suite struct ConfigurationTests {
    @Test func optionBeatsEnvironmentBeatsFileBeatsDefault() throws {
        let dir = try TemporaryDirectory("config")
        defer { dir.remove() }
        let file = dir.file("tianyan.yaml")
        try """
        database: from-file.sqlite
        writer:
          batch_size: 100
          max_delay_ms: 7
        retention:
          raw_days: 10
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let env = ["TIANYAN_WRITER_BATCH_SIZE": "200", "TIANYAN_DATABASE": "from-env.sqlite", "PATH": "/bin"]
        let c = try TianyanConfiguration.load(file: file, environment: env, overrides: [("database", "from-option.sqlite")])
        #expect(c.database == "from-option.sqlite")
        #expect(c.writerBatchSize == 200)
        #expect(c.writerMaxDelayMilliseconds == 7)
        #expect(c.retention.rawDays == 10)
        #expect(c.retention.downsampleSeconds == 60)
        #expect(try TianyanConfiguration.load(file: nil, environment: [:], overrides: []).database == "./tianyan.sqlite")
    }

    @Test func unknownKeyAndBadValueNameTheKeyAndTheFile() throws {
        let dir = try TemporaryDirectory("config")
        defer { dir.remove() }
        let file = dir.file("bad.yaml")
        try "writer:\n  batch_sise: 10\n".write(toFile: file, atomically: true, encoding: .utf8)
        do {
            _ = try TianyanConfiguration.load(file: file, environment: [:], overrides: [])
            Issue.record("an unknown key was accepted")
        } catch {
            #expect(error.source == file)
            #expect(error.key == "writer.batch_sise")
            #expect(error.description.contains("unknown setting"))
        }
        try "retention:\n  raw_days: soon\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: TianyanConfiguration.Problem(source: file, key: "retention.raw_days", message: "\"soon\" must be a whole number in 1…3650")) {
            try TianyanConfiguration.load(file: file, environment: [:], overrides: [])
        }
        #expect(throws: TianyanConfiguration.Problem.self) {
            try TianyanConfiguration.load(file: nil, environment: ["TIANYAN_NOPE": "1"], overrides: [])
        }
    }
}

@Suite struct FleetDirectoryTests {
    @Test func brokenImportLeavesTheDatabaseAsItWas() async throws {
        let dir = try TemporaryDirectory("fleet")
        defer { dir.remove() }
        let good = dir.file("good"), bad = dir.file("bad")
        try FleetDirectory.write(FleetSample.make(), to: good)
        let db = try TianyanDatabase(location: dir.file("t.sqlite"))
        let store = FleetStore(database: db)
        let before = try await FleetDirectory.importRegistry(from: good, into: store)

        var broken = FleetSample.make(seed: 7)
        broken.drones[3].dock = "NO-SUCH-DOCK"
        try FleetDirectory.write(broken, to: bad)
        do {
            _ = try await FleetDirectory.importRegistry(from: bad, into: store)
            Issue.record("a broken import was accepted")
        } catch let e as FleetImportError {
            #expect(e.problems.map(\.description) == ["\(bad)/drones.csv:5: dock NO-SUCH-DOCK is not in docks.csv"])
        }
        #expect(try await store.registry() == before)
    }

    @Test func exportOfAnImportIsByteForByteTheSame() async throws {
        let dir = try TemporaryDirectory("fleet")
        defer { dir.remove() }
        try FleetDirectory.write(FleetSample.make(), to: dir.file("in"))
        let db = try TianyanDatabase(location: dir.file("t.sqlite"))
        _ = try await FleetDirectory.importRegistry(from: dir.file("in"), into: FleetStore(database: db))
        try FleetDirectory.write(try await FleetStore(database: db).registry(), to: dir.file("out"))
        for f in FleetRegistryCodec.File.allCases {
            let a = try String(contentsOfFile: dir.file("in/\(f.rawValue)"), encoding: .utf8)
            let b = try String(contentsOfFile: dir.file("out/\(f.rawValue)"), encoding: .utf8)
            #expect(a == b, "\(f.rawValue) differs after import and export")
        }
    }

    @Test func unitsJSONHasTheContractFields() throws {
        let p = Position(unit: "2100001", time: Timestamp(milliseconds: 1_000), latitude: 22.8, longitude: 113.8, source: .lip)
        let units = [UnitSummary(id: "2100001", kind: .radio, name: "CM-0001", registered: true, formation: nil,
                                 lastSeen: p.time, position: p),
                     UnitSummary(id: "X", kind: .drone, name: "X", registered: false, formation: nil, lastSeen: nil, position: nil)]
        let text = UnitReport.unitsJSON(units, now: Timestamp(milliseconds: 31_000), onlineSeconds: 60)
        let array = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [[String: Any]]
        #expect(array[0]["id"] as? String == "2100001")
        #expect(array[0]["kind"] as? String == "radio")
        #expect(array[0]["online"] as? Bool == true)
        #expect(array[0]["age_s"] as? Double == 30)
        let pos = array[0]["position"] as! [String: Any]
        #expect(pos["lat"] as? Double == 22.8 && pos["lon"] as? Double == 113.8)
        #expect(pos["time"] as? String == "1970-01-01T00:00:01.000Z")
        #expect(array[1]["registered"] as? Bool == false)
        #expect(array[1]["position"] is NSNull)
    }
}
