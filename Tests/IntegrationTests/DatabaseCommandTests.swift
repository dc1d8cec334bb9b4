import Foundation
import Testing
import TianyanModel
import TianyanTesting

/// `tianyan db …` and the everyday commands on PostgreSQL, through the built executable: a SQLite
/// store moved into PostgreSQL and checked, a damaged copy caught, an interrupted copy resumed,
/// and the commands reading the same fleet from either backend.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TIANYAN_IT"] != nil, "set TIANYAN_IT=1 (tools/test does)"),
       .timeLimit(.minutes(5)))
struct DatabaseCommandTests {
    static func run(_ args: [String], in dir: TemporaryDirectory) async throws -> CommandResult {
        try await runTianyan(args, in: dir.path, timeout: .seconds(120))
    }

    @Test func copyMovesASQLiteStoreIntoPostgresChecksItAndResumes() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cluster = try PostgresCluster.shared()
        let url = try cluster.database("copy")
        let name = String(url.split(separator: "/").last!.split(separator: "?").first!)
        #expect(try await Self.run(["fleet", "sample", "fleet"], in: dir).status == 0)
        #expect(try await Self.run(["fleet", "import", "fleet", "--database", "t.sqlite"], in: dir).status == 0)
        let drone = FleetSample.make().drones[0].serial
        #expect(try await Self.run(["maintenance", "ground", drone, "--reason", "rotor check", "--database", "t.sqlite"], in: dir).status == 0)

        let copy = try await Self.run(["db", "copy", "--from", "t.sqlite", "--to", url, "--batch", "500"], in: dir)
        #expect(copy.status == 0, "\(copy.stdout)\(copy.stderr)")
        #expect(copy.stdout.contains("every count and checksum matches"))
        #expect(copy.stdout.contains("radios") && copy.stdout.contains("2605"))

        // The commands read the same fleet from either store.
        let fromSQLite = try await Self.run(["units", "--json", "--database", "t.sqlite"], in: dir)
        let fromPostgres = try await Self.run(["units", "--json", "--database", url], in: dir)
        #expect(fromPostgres.status == 0, "\(fromPostgres.stderr)")
        #expect(fromSQLite.stdout == fromPostgres.stdout)
        let status = try await Self.run(["db", "status", "--json", "--database", url], in: dir)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(object["backend"] as? String == "postgresql" && object["schema_current"] as? Bool == true)
        #expect((object["counts"] as? [String: Int])?["radios"] == 2605)
        let audit = try cluster.psql(name, "SELECT count(*) FROM audit WHERE action LIKE 'maintenance%' OR action LIKE '%ground%'")
        #expect(Int(audit.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 >= 1, "the grounding's audit line was copied")

        // A copy damaged afterwards is caught by the check (exit 1, the table named).
        try cluster.psql(name, "UPDATE radios SET alias = alias || '!' WHERE issi = (SELECT min(issi) FROM radios)")
        let damaged = try await Self.run(["db", "copy", "--from", "t.sqlite", "--to", url], in: dir)
        #expect(damaged.status == 1)
        #expect(damaged.stdout.contains("radios") && damaged.stdout.contains("DIFFERS"), "\(damaged.stdout)")
        #expect(damaged.stderr.contains("1 tables differ"))

        // Interrupted in the middle of the radios: the next run carries on from the saved key.
        try cluster.psql(name, """
            DELETE FROM radios WHERE issi > '2101000';
            UPDATE store_state SET value = '[{"text":{"_0":"2101000"}}]' WHERE key = 'copy.radios';
            UPDATE radios SET alias = left(alias, length(alias) - 1) WHERE alias LIKE '%!';
            """)
        let resumed = try await Self.run(["db", "copy", "--from", "t.sqlite", "--to", url], in: dir)
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
        #expect(resumed.stdout.contains("every count and checksum matches"))
    }

    @Test func aWrongURLOrPasswordGetsOneClearLine() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let port = PostgresCluster.freePortForTests()
        let r = try await Self.run(["units", "--database", "postgres://u:hunter2@127.0.0.1:\(port)/x?sslmode=disable"], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("PostgreSQL at postgres://u@127.0.0.1:\(port)/x"), "\(r.stderr)")
        #expect(!r.stderr.contains("hunter2"), "the password never shows")
        #expect(!r.stderr.contains("Fatal error") && r.stderr.split(separator: "\n").count <= 2, "\(r.stderr)")
        let bad = try await Self.run(["units", "--database", "postgres://h/x?sslmode=sometimes"], in: dir)
        #expect(bad.status != 0 && bad.stderr.contains("sslmode=sometimes"))
    }
}
