import ArgumentParser
import Foundation
import TianyanApp
import TianyanDispatch
import TianyanModel

/// `tianyan coverage`: every cell's staleness and what is overdue, from what the drones really
/// imaged (the flown tracks and the camera footprint), not from what was planned.
struct Coverage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show every cell's coverage: when it was last imaged well enough to count, how stale it is, what is overdue.",
        discussion: """
        A cell counts as covered when a finished sortie's track imaged at least planner.coverage_threshold \
        of its area (default 95 %). Without --all only overdue and never-covered cells are listed.
        """)

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Every cell, also those covered within their revisit period.") var all = false
    @Flag(help: "Summary and every cell as JSON.") var json = false

    func run() async throws {
        try await global.withStore { config, db in
            let now = Timestamp.now()
            let cells = try await CoverageReport.cells(store: db.store, now: now)
            guard !cells.isEmpty else { throw ValidationError("the registry has no grid cells; import a fleet first (tianyan fleet import DIR)") }
            if json {
                struct Body: Encodable {
                    var summary: CoverageReport.Summary
                    var cells: [CoverageReport.Cell]
                }
                let encoder = JSONEncoder()
                encoder.keyEncodingStrategy = .convertToSnakeCase
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                let body = Body(summary: CoverageReport.summary(cells, now: now, threshold: config.plannerCoverageThreshold), cells: cells)
                Console.emit(String(decoding: try encoder.encode(body), as: UTF8.self))
            } else {
                Console.emit(CoverageReport.text(cells, now: now, threshold: config.plannerCoverageThreshold, all: all))
            }
        }
    }
}
