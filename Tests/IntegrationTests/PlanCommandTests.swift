import Foundation
import Testing
import TianyanTesting

@Suite("tianyan plan, as a flight-team lead uses it")
struct PlanCommandTests {
    @Test("the sample fleet planned over 14 days: summary, JSON, CSV, a calendar per pilot, and a bad forecast refused by line",
          .timeLimit(.minutes(3)))
    func planTheSampleFleet() async throws {
        let dir = try TemporaryDirectory("tianyan-plan")
        defer { dir.remove() }
        let db = dir.file("db.sqlite")
        #expect(try await runTianyan(["fleet", "sample", dir.file("fleet")], in: dir.path).status == 0)
        #expect(try await runTianyan(["fleet", "import", dir.file("fleet"), "--database", db], in: dir.path).status == 0)
        let start = ["--start", "2026-12-01T00:00:00Z", "--database", db,
                     "--set", "profiles_dir=\(packageRoot())/firmware-profiles"]

        let summary = try await runTianyan(["plan", "--borrow"] + start, in: dir.path, timeout: .seconds(150))
        #expect(summary.status == 0, "\(summary.stderr)")
        #expect(summary.stdout.contains("cells due: 501") && summary.stdout.contains("visits: 541 of 541 scheduled"), "\(summary.stdout)")
        #expect(summary.stdout.contains("every hour assumed flyable"), "the lead is told the weather was assumed")
        #expect(!summary.stdout.contains("NOT FLOWN"))

        // Without borrowing, the community whose formations have no dock is named, with why.
        let own = try await runTianyan(["plan"] + start, in: dir.path, timeout: .seconds(150))
        #expect(own.status == 0)
        #expect(own.stdout.contains("NOT FLOWN in the horizon: 34 cells (noDockInRange 34)"), "\(own.stdout)")

        let json = try await runTianyan(["plan", "--borrow", "--json", "--days", "7", "--ics", dir.file("ics")] + start, in: dir.path,
                                        timeout: .seconds(150))
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let sorties = object["sorties"] as? [[String: Any]] ?? []
        #expect(sorties.count >= 501)
        #expect(sorties.allSatisfy { ($0["start"] as? String ?? "") >= "2026-12-01" && ($0["waypoints"] as? [Any])?.isEmpty == false })
        let calendars = try FileManager.default.contentsOfDirectory(atPath: dir.file("ics")).filter { $0.hasSuffix(".ics") }
        #expect(!calendars.isEmpty)
        let first = try String(contentsOfFile: dir.file("ics/\(calendars.sorted()[0])"), encoding: .utf8)
        #expect(first.hasPrefix("BEGIN:VCALENDAR\r\n") && first.contains("BEGIN:VEVENT") && first.contains("DTSTART:20261201T"))

        let csv = try await runTianyan(["plan", "--borrow", "--csv", "--days", "7"] + start, in: dir.path, timeout: .seconds(150))
        #expect(csv.stdout.hasPrefix("start,end,drone,dock,pilot,formation,cells,sortie,duration_s,distance_m,photos\n"))

        try "time,wind_mps,rain\n2026-12-01T00:00:00Z,3,0\n2026-12-01T01:00:00Z,gale,0\n".write(toFile: dir.file("fc.csv"), atomically: true, encoding: .utf8)
        let bad = try await runTianyan(["plan", "--forecast", dir.file("fc.csv")] + start, in: dir.path)
        #expect(bad.status == 1 && bad.stderr.contains("fc.csv:3:"), "\(bad.stderr)")
    }
}
