import ArgumentParser
import Foundation
import Logging
import TianyanApp
import TianyanDispatch

/// Options every subcommand takes. Command line beats environment beats file beats default.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("YAML configuration file.", valueName: "FILE"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("SQLite database path (default ./tianyan.sqlite) or postgres://user:password@host:port/database URL.", valueName: "PATH|URL"))
    var database: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Any configuration key, e.g. --set retention.raw_days=60 (repeatable).", valueName: "KEY=VALUE"))
    var settings: [String] = []

    /// Loads the configuration and starts logging to standard error.
    /// `extra` are a subcommand's own options for configuration keys; they beat `--set`.
    func load(extra: [(String, String)] = []) throws -> TianyanConfiguration {
        var overrides: [(key: String, value: String)] = []
        for s in settings {
            guard let eq = s.firstIndex(of: "=") else {
                throw ValidationError("--set \(s): expected KEY=VALUE, e.g. --set writer.batch_size=20000")
            }
            overrides.append((String(s[..<eq]), String(s[s.index(after: eq)...])))
        }
        if let database { overrides.append(("database", database)) }
        overrides += extra.map { (key: $0.0, value: $0.1) }
        let configuration: TianyanConfiguration
        do {
            configuration = try TianyanConfiguration.load(file: config, environment: ProcessInfo.processInfo.environment, overrides: overrides)
        } catch {
            throw ValidationError("configuration: \(error)")
        }
        Bootstrap.logging(level: Logger.Level(rawValue: configuration.logLevel) ?? .info)
        return configuration
    }
}

extension GlobalOptions {
    /// Loads the configuration, opens the store it names and runs `body`, reporting any failure
    /// as one line.
    func withStore(_ body: (TianyanConfiguration, StoreAccess) async throws -> Void) async throws {
        let config = try load()
        try await reporting {
            let access = try await Controller(configuration: config, logger: Logger(label: "tianyan")).openStore()
            defer { access.backend.close() }
            try await body(config, access)
        }
    }
}

enum Bootstrap {
    nonisolated(unsafe) static var done = false
    static func logging(level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }
}

/// Turns any error into one clear line and exit status 1 (no stack traces for users).
func reporting<T>(_ body: () async throws -> T) async throws -> T {
    do { return try await body() } catch let e as ValidationError { throw e } catch let e as CleanExit { throw e } catch let e as ExitCode {
        throw e
    } catch {
        Console.error("error: \(error)")
        throw ExitCode(1)
    }
}
