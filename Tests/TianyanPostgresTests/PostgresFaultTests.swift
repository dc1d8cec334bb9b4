import Foundation
import Logging
import RecordWriter
import Testing
import TianyanModel
import TianyanTesting
@testable import TianyanPostgres

/// The writer on PostgreSQL when the database goes away and comes back, on a real server of the
/// test's own: what was accepted meanwhile waits in memory, health says so, and everything is
/// stored once, nothing twice, when the server is back.
@Suite(.serialized) struct PostgresFaultTests {
    static func positions(_ unit: String, from: Int, count: Int) -> [StoreRecord] {
        (from..<(from + count)).map { i in
            .position(Position(unit: unit, time: Timestamp(milliseconds: 1_796_000_000_000 + Int64(i) * 1000), latitude: 22.8 + Double(i) * 1e-5,
                               longitude: 113.8, altitude: nil, speed: 3, heading: nil, accuracy: nil, source: .osd))
        }
    }

    @Test func serverRestartedMidStreamLosesNothing() async throws {
        let cluster = try PostgresCluster.makePrivate()
        defer { try? cluster.stop() }
        let url = try cluster.database("fault")
        let database = try await PostgresStoreDatabase(url: url)
        defer { database.close() }
        let store = PostgresStore(database: database)
        let writer = RecordWriter(committer: PostgresCommitter(database: database),
                                  configuration: .init(batchSize: 500, maxDelay: .milliseconds(5), maxPending: 100_000))
        let loop = Task { try await writer.run() }
        defer { loop.cancel() }

        let first = writer.submit(Self.positions("D1", from: 0, count: 1_000))
        try await writer.waitUntilCommitted(first)
        try cluster.stop()
        // Accepted while the server is down: kept, reported, retried.
        writer.submit(Self.positions("D1", from: 1_000, count: 2_000))
        writer.submit(Self.positions("D1", from: 500, count: 1_000))  // redelivered: stored once
        try await waitUntil("the writer reports the database failing", timeout: .seconds(30)) { writer.statistics.failingSince != nil }
        #expect(writer.health.problems.contains("database writes"), "health: \(writer.health)")
        #expect(writer.statistics.pending > 0)
        try cluster.start()
        try await waitUntil("everything committed after the restart", timeout: .seconds(60)) {
            writer.statistics.pending == 0 && writer.statistics.failingSince == nil
        }
        let counts = try await store.counts()
        #expect(counts["positions"] == 3_000, "positions stored once each: \(counts["positions"] ?? -1)")
        let last = try await store.lastPositions().first { $0.unit == "D1" }
        #expect(last?.time == Timestamp(milliseconds: 1_796_000_000_000 + 2_999_000))
        #expect(writer.statistics.dropped == 0)
    }

    /// The database host's disk full (the database's tablespace on a small tmpfs, filled): the
    /// writer says so and keeps what it accepted; freed, everything is stored once.
    @Test(.enabled(if: SmallFilesystem.available, "needs root and mount (a small tmpfs for the tablespace)"))
    func aFullDiskOnTheDatabaseHostLosesNothing() async throws {
        let cluster = try PostgresCluster.shared()
        let fs = try SmallFilesystem(megabytes: 24)
        defer { fs.remove() }
        let location = fs.file("tablespace")
        try FileManager.default.createDirectory(atPath: location, withIntermediateDirectories: true)
        _ = chown(location, getpwnam("postgres").pointee.pw_uid, getpwnam("postgres").pointee.pw_gid)
        let suffix = "\(getpid())"
        try cluster.psql("postgres", "CREATE TABLESPACE full_\(suffix) LOCATION '\(location)'")
        try cluster.psql("postgres", "CREATE DATABASE full_\(suffix) TABLESPACE full_\(suffix)")
        defer {
            _ = try? cluster.psql("postgres", "DROP DATABASE IF EXISTS full_\(suffix) WITH (FORCE)")
            _ = try? cluster.psql("postgres", "DROP TABLESPACE IF EXISTS full_\(suffix)")
        }
        let database = try await PostgresStoreDatabase(url: cluster.url("full_\(suffix)"))
        defer { database.close() }
        let store = PostgresStore(database: database)
        let writer = RecordWriter(committer: PostgresCommitter(database: database),
                                  configuration: .init(batchSize: 2_000, maxDelay: .milliseconds(5), maxPending: 200_000))
        let loop = Task { try await writer.run() }
        defer { loop.cancel() }
        try await writer.waitUntilCommitted(writer.submit(Self.positions("D2", from: 0, count: 1_000)))
        fs.fill()
        let last = writer.submit(Self.positions("D2", from: 1_000, count: 40_000))
        try await waitUntil("the writer reports the full disk", timeout: .seconds(60)) { writer.statistics.failingSince != nil }
        #expect(writer.statistics.lastError?.contains("space") == true, "\(writer.statistics.lastError ?? "")")
        fs.free()
        try await writer.waitUntilCommitted(last)
        #expect(try await store.counts()["positions"] == 41_000)
        #expect(writer.statistics.dropped == 0)
    }

    @Test func wrongPasswordAndUnreachableServerSayWhy() async throws {
        let cluster = try PostgresCluster.shared()
        let name = "pw_\(getpid())"
        try cluster.psql("postgres", "CREATE ROLE \(name) LOGIN PASSWORD 'right'")
        // The test cluster trusts loopback; make this role need its password.
        let hba = "\(cluster.directory)/data/pg_hba.conf"
        let original = try String(contentsOfFile: hba, encoding: .utf8)
        try ("host all \(name) 127.0.0.1/32 scram-sha-256\n" + original).write(toFile: hba, atomically: true, encoding: .utf8)
        try cluster.psql("postgres", "SELECT pg_reload_conf()")
        let url = "postgres://\(name):wrong@127.0.0.1:\(cluster.port)/postgres?sslmode=disable"
        await #expect { _ = try await PostgresStoreDatabase(url: url, timeout: .seconds(10)) } throws: { error in
            "\(error)".contains("refused user \(name)") && !"\(error)".contains("wrong")
        }
        let unreachable = "postgres://u:secret@127.0.0.1:\(PostgresCluster.freePortForTests())/x?sslmode=disable"
        await #expect { _ = try await PostgresStoreDatabase(url: unreachable, timeout: .seconds(3)) } throws: { error in
            let text = "\(error)"
            return (text.contains("unreachable") || text.contains("no answer")) && !text.contains("secret")
        }
    }

    @Test func aNewerSchemaIsRefused() async throws {
        let url = try PostgresCluster.shared().database("newer")
        let database = try await PostgresStoreDatabase(url: url)
        database.close()
        let name = String(url.split(separator: "/").last!.split(separator: "?").first!)
        try PostgresCluster.shared().psql(name, "INSERT INTO tianyan_migrations(version, name) VALUES (99, 'v99 from the future')")
        await #expect { _ = try await PostgresStoreDatabase(url: url) } throws: { error in
            "\(error)".contains("newer than this controller")
        }
    }
}
