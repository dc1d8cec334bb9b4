import ArgumentParser
import DockLink
import Foundation
import Logging
import RadioLink
import TianyanApp
import TianyanDispatch
import TianyanModel

struct Dock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Commands to drone docks over MQTT.", subcommands: [Command.self])

    struct Command: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send one service to a dock (or to the dock of an aircraft) and wait for its reply.",
            discussion: "Methods: \(DockCommand.Method.allCases.map(\.rawValue).joined(separator: ", ")). The command, its reply and its outcome are recorded and audited.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Dock or aircraft serial number.") var serial: String
        @Argument(help: "Service method, e.g. return_home.") var method: String
        @Option(help: ArgumentHelp("The service's data as a JSON object, e.g. '{\"flight_id\":\"f-1\"}'.", valueName: "JSON"))
        var data: String = "{}"
        @Option(help: "Who asks (for the audit log); default: the login name.") var by: String?
        @Option(help: "Broker URL (same as --set mqtt=URL).") var mqtt: String?

        func run() async throws {
            let config = try global.load(extra: mqtt.map { [("mqtt", $0)] } ?? [])
            guard let m = DockCommand.Method(rawValue: method) else {
                throw ValidationError("unknown method \(method); known: \(DockCommand.Method.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let json: JSONValue
            do {
                json = try JSONDecoder().decode(JSONValue.self, from: Data(data.utf8))
            } catch {
                throw ValidationError("--data is not JSON: \(data)")
            }
            guard case .object = json else { throw ValidationError("--data must be a JSON object such as {\"flight_id\":\"f-1\"}") }
            let who = by ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"
            let started = ContinuousClock.now
            let result = try await reporting {
                try await DockCommandLine.send(configuration: config, serial: serial, method: m, data: json, requestedBy: who,
                                               logger: Logger(label: "tianyan.dock"))
            }
            let r = result.record
            let elapsed = (ContinuousClock.now - started).formatted(.units(allowed: [.seconds, .milliseconds], width: .narrow))
            let code = r.resultCode.map { "result \($0): " } ?? ""
            let line = "\(m.rawValue) -> \(r.unit): \(r.outcome.rawValue) (\(code)\(r.resultText ?? "-")) after \(elapsed), \(result.attempts) attempt\(result.attempts == 1 ? "" : "s")"
            if result.succeeded {
                Console.emit(line)
            } else {
                Console.error(line)
                throw ExitCode(1)
            }
        }
    }
}

struct Maintenance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What is due for maintenance and what is grounded; ground, unground, record a service.",
        subcommands: [List.self, Ground.self, Unground.self, Serviced.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Units due or grounded (--all: every unit).")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "JSON output (every unit).") var json = false
        @Flag(help: "Every unit, not only those due or grounded.") var all = false

        func run() async throws {
            try await global.withStore { config, db in
                let statuses = try await MaintenanceReport.statuses(store: db.store, rules: config.maintenance, now: .now())
                Console.emit(json ? MaintenanceReport.json(statuses) : MaintenanceReport.table(statuses, all: all, rules: config.maintenance))
            }
        }
    }

    struct Ground: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ground a unit: it is not planned or launched until ungrounded.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Drone or dock serial.") var serial: String
        @Option(help: "Why (kept in the log and the audit).") var reason: String
        @Option(help: "Who (default: the login name).") var by: String?
        func run() async throws {
            try await global.maintenance(.ground, serial, note: reason, by: by) { s in
                Console.emit("\(serial) grounded: \(reason)\(s.due.isEmpty ? "" : " (also due: \(s.due.joined(separator: "; ")))")")
            }
        }
    }

    struct Unground: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Return a grounded unit to service.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Drone or dock serial.") var serial: String
        @Option(help: "Note for the log.") var note: String?
        @Option(help: "Who (default: the login name).") var by: String?
        func run() async throws {
            try await global.maintenance(.unground, serial, note: note, by: by) { _ in
                Console.emit("\(serial) back in service")
            }
        }
    }

    struct Serviced: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a service: the flight-hour and month counters restart.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Drone or dock serial.") var serial: String
        @Option(help: "What was done.") var note: String?
        @Option(help: "Who (default: the login name).") var by: String?
        func run() async throws {
            try await global.maintenance(.serviced, serial, note: note, by: by) { _ in
                Console.emit("\(serial) service recorded")
            }
        }
    }
}

extension GlobalOptions {
    /// Records a maintenance action (audited) and hands the unit's new status to `report`.
    func maintenance(_ kind: MaintenanceAction.Kind, _ serial: String, note: String?, by: String?,
                     report: (MaintenanceStatus) -> Void) async throws {
        try await withStore { config, db in
            let status = try await MaintenanceReport.record(kind, unit: serial, by: by ?? ProcessInfo.processInfo.environment["USER"] ?? "cli",
                                                            note: note, store: db.store, sink: db.sink,
                                                            rules: config.maintenance, now: .now())
            report(status)
        }
    }
}

struct Profiles: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Firmware profiles.", subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check every profile in DIR (default: profiles_dir); list every problem.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Profiles directory (with docks/).") var directory: String?

        func run() async throws {
            let config = try global.load()
            let dir = directory ?? Controller.profilesDirectory(config.profilesDirectory)
            var problems: [String] = []
            var summaries: [String] = []
            do {
                let profiles = try DockProfiles.load(directory: dir)
                for p in profiles.profiles {
                    Console.emit("ok  \(p.id): \(p.name); \(p.methods.count) methods, \(p.resultCodes.count) result codes, \(p.hms.dock.count + p.hms.aircraft.count) HMS texts, models \((p.dockModels + p.aircraftModels).joined(separator: ", "))")
                }
                summaries.append("\(profiles.profiles.count) dock profile\(profiles.profiles.count == 1 ? "" : "s") ok: \(profiles.profiles.map(\.id).joined(separator: ", "))")
            } catch let error as ProfileErrors {
                problems += error.problems.map(\.description)
            }
            let radios = (dir as NSString).appendingPathComponent("radios")
            if FileManager.default.fileExists(atPath: radios) {
                do {
                    let profiles = try RadioProfiles.load(directory: radios)
                    summaries.append("\(profiles.count) radio profile\(profiles.count == 1 ? "" : "s") ok: \(profiles.keys.sorted().joined(separator: ", "))")
                } catch let error as RadioProfileErrors {
                    problems += error.problems
                }
            }
            guard problems.isEmpty else {
                for problem in problems { Console.error(problem) }
                Console.error("\(problems.count) problem\(problems.count == 1 ? "" : "s") in \(dir)")
                throw ExitCode(1)
            }
            for summary in summaries { Console.emit(summary) }
        }
    }
}
