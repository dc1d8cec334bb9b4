import ArgumentParser
import CoveragePlanner
import DockLink
import Foundation
import Logging
import TianyanApp
import TianyanDispatch
import TianyanModel

/// `tianyan plan`: the coverage schedule for the coming days from the registry, the dock
/// profiles, the maintenance state and a forecast.
struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Plan the grid-coverage sorties: every cell flown within its revisit period, by the right drone and pilot.",
        discussion: """
        Reads the registry, the dock profiles and the maintenance state from the database. Without \
        --forecast every hour is assumed flyable (said in the output); hours missing from a forecast \
        file are not flown. Cells count as due from when they were last covered (tianyan coverage); never-covered cells are due at the start. On a terminal a progress bar shows how far the planning is.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Days to plan.") var days = 14
    @Option(help: ArgumentHelp("Start of the plan (default: the next full hour).", valueName: "TIME")) var start: String?
    @Option(help: ArgumentHelp("Hourly forecast, CSV lines time,wind_mps,rain (rain 0-3).", valueName: "FILE")) var forecast: String?
    @Flag(help: "Let formations fly cells of other communities.") var borrow = false
    @Flag(help: "The whole plan as JSON.") var json = false
    @Flag(help: "One line per sortie as CSV.") var csv = false
    @Option(help: ArgumentHelp("Write one iCalendar file per pilot into this directory.", valueName: "DIR")) var ics: String?

    func validate() throws {
        guard (1...60).contains(days) else { throw ValidationError("--days must be 1 to 60") }
        if let start, Timestamp(parsing: start) == nil { throw ValidationError("--start \(start): expected a time such as 2026-11-25T00:00:00Z") }
        if json && csv { throw ValidationError("give --json or --csv, not both") }
    }

    func run() async throws {
        try await global.withStore { config, db in
            let now = Timestamp.now()
            let begin = start.flatMap(Timestamp.init(parsing:)) ?? Timestamp(milliseconds: (now.milliseconds / 3_600_000 + 1) * 3_600_000)
            let weather: WeatherForecast
            if let forecast {
                guard let text = try? String(contentsOfFile: forecast, encoding: .utf8) else { throw ValidationError("cannot read the forecast \(forecast)") }
                weather = try PlanReport.forecast(csv: text, file: forecast)
            } else {
                weather = .fair(from: begin, days: days)
            }
            let profiles = try Controller(configuration: config, logger: .init(label: "tianyan.plan")).loadDockProfiles()
            let input = try await PlanReport.input(store: db.store, capabilities: { profiles.profile(forModel: $0)?.capabilities }, rules: config.maintenance,
                                                   start: begin, days: days, forecast: weather, borrowing: borrow)
            if !json && !csv { Console.error("planning \(input.registry.cells.count) cells over \(days) days…") }
            let clock = ContinuousClock.now
            // A progress bar on a terminal (large instances take seconds); nothing in a pipe or a log.
            let bar = isatty(STDERR_FILENO) == 1 ? ProgressBar(label: "planning") : nil
            var report: (@Sendable (Double) -> Void)?
            if let bar { report = { fraction in bar.show(fraction) } }
            let schedule = CoverageScheduler.schedule(input, progress: report)
            bar?.finish()
            let seconds = (ContinuousClock.now - clock).seconds
            let violations = schedule.violations(for: input)
            guard violations.isEmpty else {
                throw PlanReport.Failure(description: "the plan breaks \(violations.count) hard constraints (a bug; please report): \(violations.prefix(3).map(\.description).joined(separator: "; "))")
            }
            if let ics {
                let files = try PlanReport.calendars(schedule, registry: input.registry, to: ics, now: now)
                Console.error("wrote \(files.count) pilot calendars to \(ics)")
            }
            if json { Console.emit(PlanReport.json(schedule, input: input)) }
            else if csv { Console.emit(String(PlanReport.csv(schedule).dropLast())) }
            else { Console.emit(PlanReport.summary(schedule, input: input, seconds: seconds, assumedWeather: forecast == nil)) }
        }
    }
}

/// A one-line progress bar on standard error: `planning [#########           ] 45 %`, redrawn
/// in place, at most once per percent.
final class ProgressBar: Sendable {
    let label: String
    init(label: String) { self.label = label }

    func show(_ fraction: Double) {
        let f = max(0, min(1, fraction))
        let width = 30, filled = Int((f * Double(width)).rounded(.down))
        let line = "\r\(label) [" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] \(Int(f * 100)) %"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
}
