import ArgumentParser
import Foundation
import Logging
import TianyanApp
import TianyanDispatch
import TianyanModel

@main
struct Tianyan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tianyan",
        abstract: "Dispatch controller for a drone squadron and its trunked-radio network.",
        subcommands: [Demo.self, Serve.self, Db.self, Fleet.self, Units.self, Track.self, VoiceLog.self, Dock.self, Maintenance.self, Profiles.self, Ports.self, PageCommand.self, Users.self, Plan.self, Coverage.self, Sorties.self]
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the controller until SIGTERM or SIGINT (the writer flushes before exit).")
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Broker URL (same as --set mqtt=URL).", valueName: "mqtt://[user:password@]host:port"))
    var mqtt: String?
    @Option(help: ArgumentHelp("Where the HTTP server listens (same as --set http=HOST:PORT).", valueName: "HOST:PORT"))
    var http: String?
    @Option(name: .customLong("gateway"), help: ArgumentHelp(
        "A radio gateway (repeatable): serial:///dev/ttyUSB0?baud=38400&flow=rtscts&profile=generic-pei or tcp://host:port?profile=… (replaces radio.gateways).",
        valueName: "NAME=URL"))
    var gateways: [String] = []

    func run() async throws {
        var extra: [(String, String)] = []
        if let mqtt { extra.append(("mqtt", mqtt)) }
        if let http { extra.append(("http", http)) }
        if !gateways.isEmpty { extra.append(("radio.gateways", gateways.joined(separator: ","))) }
        let config = try global.load(extra: extra)
        try await reporting {
            let logger = Logger(label: "tianyan")
            let controller = Controller(configuration: config, logger: logger)
            try await controller.run { parts in
                let counts = try await parts.services.store.counts()
                let radios = parts.radios.gateways.map { "\($0.name) \($0.status.url)" }
                return """
                tianyan serving: database \(parts.storeLocation) (\(counts["drones"] ?? 0) drones, \(counts["docks"] ?? 0) docks, \(counts["radios"] ?? 0) radios, \(counts["cells"] ?? 0) cells)
                \(parts.services.docks.summary)
                radio gateways: \(radios.isEmpty ? "none (add --gateway NAME=URL)" : radios.joined(separator: ", "))
                http: http://\(config.http)/healthz, /api/v1
                ready
                """
            }
        }
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The whole system on one machine: a private broker, the sample Chang'an fleet, the controller.")
    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Where the demo writes its sample fleet.", valueName: "DIR"))
    var data = "demo-data"
    @Option(help: ArgumentHelp("Stop after this many seconds (for scripted runs).", valueName: "SECONDS"))
    var runFor: Double?
    @Option(help: "Seed of the simulators.") var seed: UInt64 = 1
    @Option(help: "Docks that launch a patrol flight at once, outside the plan (their planned sorties wait until they land).") var flying: Int = 0

    func run() async throws {
        let config = try global.load()
        try await reporting {
            try await DemoAssembly(configuration: config, dataDirectory: data, seed: seed, flying: flying, runFor: runFor,
                                   logger: Logger(label: "tianyan.demo")).run()
        }
    }
}

struct Fleet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The fleet registry: docks, drones, formations, pilots, radios, talkgroups (CSV) and grid cells (GeoJSON).",
        subcommands: [Sample.self, Import.self, Export.self, List.self])

    struct Sample: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the sample Chang'an fleet into DIR.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Directory to write.") var directory: String
        @Option(help: "Seed of the generator.") var seed: UInt64 = 20_261_124

        func run() async throws {
            _ = try global.load()
            try await reporting {
                let r = FleetSample.make(seed: seed)
                let files = try FleetDirectory.write(r, to: directory)
                Console.emit("wrote \(files.count) files to \(directory): \(r.drones.count) drones, \(r.docks.count) docks, \(r.formations.count) formations, \(r.pilots.count) pilots, \(r.radios.count) radios, \(r.talkgroups.count) talkgroups, \(r.cells.count) cells")
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate DIR and load it in one transaction; any problem refuses the whole import.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Directory with the registry files.") var directory: String

        func run() async throws {
            try await global.withStore { _, db in
                let r = try await FleetDirectory.importRegistry(from: directory, into: db.store)
                Console.emit("imported into \(db.location): \(r.drones.count) drones, \(r.docks.count) docks, \(r.formations.count) formations, \(r.pilots.count) pilots, \(r.radios.count) radios, \(r.talkgroups.count) talkgroups, \(r.cells.count) cells")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write the registry back to DIR (import ∘ export is the identity).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Directory to write.") var directory: String

        func run() async throws {
            try await global.withStore { _, db in
                let r = try await db.store.registry()
                let files = try FleetDirectory.write(r, to: directory)
                Console.emit("exported \(files.count) files to \(directory)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Counts of the registry and, per community, its formations and cells.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "JSON output.") var json = false

        func run() async throws {
            try await global.withStore { _, db in
                let r = try await db.store.registry()
                if json {
                    let data = try JSONSerialization.data(withJSONObject: r.counts, options: [.sortedKeys, .prettyPrinted])
                    Console.emit(String(decoding: data, as: UTF8.self))
                    return
            }
            for key in ["formations", "pilots", "drones", "docks", "radios", "talkgroups", "cells"] {
                Console.emit("\(key.padding(toLength: 12, withPad: " ", startingAt: 0)) \(r.counts[key] ?? 0)")
            }
            let formations = Dictionary(grouping: r.formations, by: \.community)
            let cells = Dictionary(grouping: r.cells, by: \.community)
            Console.emit("\nCOMMUNITY     FORMATIONS  CELLS  WEEKLY HOT SPOTS")
            for c in Set(formations.keys).union(cells.keys).sorted() {
                Console.emit("\(c.padding(toLength: 14, withPad: " ", startingAt: 0))\(String(formations[c]?.count ?? 0).padding(toLength: 12, withPad: " ", startingAt: 0))\(String(cells[c]?.count ?? 0).padding(toLength: 7, withPad: " ", startingAt: 0))\(cells[c]?.filter { $0.revisitDays <= 7 }.count ?? 0)")
            }
            }
        }
    }
}

struct Units: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every dock, drone and radio with its last known position, state and age.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "JSON output: id, kind, name, registered, formation, online, last_seen, age_s, position.") var json = false

    func run() async throws {
        try await global.withStore { config, db in
            let units = try await db.store.units()
            let now = Timestamp.now()
            Console.emit(json ? UnitReport.unitsJSON(units, now: now, onlineSeconds: config.onlineSeconds)
                              : UnitReport.unitsTable(units, now: now, onlineSeconds: config.onlineSeconds))
        }
    }
}

struct Track: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A unit's track between two times (UTC, ISO 8601 or YYYY-MM-DD).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Unit id: dock or drone serial number, radio ISSI.") var unit: String
    @Option(help: "Start time.") var from: String
    @Option(help: "End time.") var to: String
    @Flag(help: "JSON output.") var json = false
    @Flag(help: "GPX 1.1 output.") var gpx = false

    func validate() throws {
        if json && gpx { throw ValidationError("choose one of --json and --gpx") }
        if Timestamp(parsing: from) == nil { throw ValidationError("--from \(from): expected a time such as 2026-11-24T08:00:00Z or 2026-11-24") }
        if Timestamp(parsing: to) == nil { throw ValidationError("--to \(to): expected a time such as 2026-11-24T18:00:00Z or 2026-11-25") }
        if let f = Timestamp(parsing: from), let t = Timestamp(parsing: to), t < f { throw ValidationError("--to is before --from") }
    }

    func run() async throws {
        try await global.withStore { _, db in
            let points = try await db.store.track(unit: unit, from: Timestamp(parsing: from)!, to: Timestamp(parsing: to)!)
            if gpx { Console.emit(UnitReport.trackGPX(unit: unit, points)) } else if json {
                Console.emit(UnitReport.trackJSON(unit: unit, points))
            } else { Console.emit(UnitReport.trackTable(unit: unit, points)) }
        }
    }
}

struct VoiceLog: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "voice-log", abstract: "The voice-channel log: calls with their talkers.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this talkgroup (GSSI).") var talkgroup: String?
    @Option(help: "Only calls that started at or after this time.") var since: String?
    @Option(help: "Most calls shown, newest first.") var limit = 200
    @Flag(help: "JSON output.") var json = false

    func validate() throws {
        if let since, Timestamp(parsing: since) == nil { throw ValidationError("--since \(since): expected a time such as 2026-11-24T08:00:00Z") }
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        try await global.withStore { _, db in
            let store = db.store
            let calls = try await store.voiceLog(talkgroup: talkgroup, since: since.flatMap(Timestamp.init(parsing:)), limit: limit)
            if json { Console.emit(UnitReport.voiceLogJSON(calls)); return }
            let names = Dictionary(uniqueKeysWithValues: try await store.registry().talkgroups.map { ($0.gssi, $0.name) })
            Console.emit(UnitReport.voiceLogTable(calls, talkgroupNames: names))
        }
    }
}
