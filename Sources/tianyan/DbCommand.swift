import ArgumentParser
import Foundation
import Logging
import TianyanApp
import TianyanModel

/// `tianyan db`: the store itself, on either backend.
struct Db: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The store itself: migrate its schema, show its state, copy a SQLite store into PostgreSQL.",
        subcommands: [Migrate.self, Status.self, Copy.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring the store's schema up to this build (the controller does it too when it starts); print the migrations applied.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await global.withStore { _, db in
                let m = try await db.backend.migrations()
                Console.emit("\(db.backend.backend) \(db.location): schema up to date, \(m.applied.count) migrations applied")
                for name in m.applied { Console.emit("  \(name)") }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Backend, location, schema and row counts of the store.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "JSON output: backend, location, migrations, counts.") var json = false

        func run() async throws {
            try await global.withStore { _, db in
                let m = try await db.backend.migrations()
                let counts = try await db.store.counts()
                if json {
                    let object: [String: Any] = ["backend": db.backend.backend, "location": db.location, "migrations": m.applied,
                                                 "schema_current": m.applied == m.known, "counts": counts]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
                    Console.emit(String(decoding: data, as: UTF8.self))
                    return
                }
                Console.emit("backend    \(db.backend.backend)")
                Console.emit("location   \(db.location)")
                Console.emit("schema     \(m.applied.count) of \(m.known.count) migrations\(m.applied == m.known ? " (current)" : ""); last: \(m.applied.last ?? "none")")
                for (table, n) in counts.sorted(by: { $0.key < $1.key }) {
                    Console.emit("  \(table.padding(toLength: 16, withPad: " ", startingAt: 0)) \(n) rows")
                }
            }
        }
    }

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy everything of a SQLite store into PostgreSQL, then check every table (rows and checksum).",
            discussion: """
                Registry, positions, voice log, pages, alarms with their handling, tasks, sorties, coverage, audit and users go \
                table by table in key order; each batch commits with its progress, so an interrupted copy resumes where it \
                stopped when run again. Stop the controller first (or copy a backup): rows written to the source during the copy \
                may be missed. Exits 1 when a table's count or checksum differs.
                """)
        @Option(help: ArgumentHelp("The SQLite store to copy.", valueName: "PATH")) var from: String
        @Option(help: ArgumentHelp("The PostgreSQL database to copy into.", valueName: "postgres://…")) var to: String
        @Option(help: "Rows per transaction.") var batch = 2_000

        func validate() throws {
            guard batch > 0, batch <= 3_000 else { throw ValidationError("--batch must be 1–3000 (rows per statement are bound)") }
            guard to.hasPrefix("postgres://") || to.hasPrefix("postgresql://") else {
                throw ValidationError("--to \(to): expected a postgres://user:password@host:port/database URL")
            }
        }

        func run() async throws {
            Bootstrap.logging(level: .warning)
            try await reporting {
                var copy = StoreCopy(from: from, to: to, logger: Logger(label: "tianyan.db.copy"))
                copy.batch = batch
                let terminal = isatty(STDERR_FILENO) == 1
                let checks = try await copy.run { table, done, total in
                    guard terminal else { return }
                    ProgressBar(label: "copying \(table.padding(toLength: 19, withPad: " ", startingAt: 0))")
                        .show(total == 0 ? 1 : Double(done) / Double(total))
                }
                if terminal { ProgressBar(label: "").finish() }
                var bad = 0
                Console.emit("TABLE                SOURCE ROWS  COPIED ROWS  CHECK")
                for c in checks {
                    if !c.matches { bad += 1 }
                    Console.emit("\(c.table.padding(toLength: 20, withPad: " ", startingAt: 0)) \(String(c.sourceRows).leftPadded(11))  \(String(c.destinationRows).leftPadded(11))  \(c.matches ? "ok" : "DIFFERS (checksum \(String(c.sourceChecksum, radix: 16)) vs \(String(c.destinationChecksum, radix: 16)))")")
                }
                guard bad == 0 else {
                    throw ControllerError(message: "\(bad) tables differ after the copy (rows written to either side during it, or a destination that was not empty)")
                }
                Console.emit("copied \(checks.reduce(0) { $0 + $1.sourceRows }) rows in \(checks.count) tables; every count and checksum matches")
            }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
