import ArgumentParser
import Foundation
import TianyanApp
import TianyanDispatch
import TianyanModel

/// `tianyan sorties`: the plan the controller is flying, from the database: each sortie's state,
/// drone, pilot, cells, times and progress.
struct Sorties: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the sorties the controller plans and flies (planned, prepared, executing, done, …).",
        discussion: "`tianyan plan` computes a plan from the current state; this shows the one being executed.")

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("Only these states, comma-separated (planned, held, prepared, executing, paused, done, partial, failed, canceled).", valueName: "STATES"))
    var state: String?
    @Option(help: ArgumentHelp("Only sorties ending after this time (default: now minus 1 day).", valueName: "TIME")) var from: String?
    @Option(help: "Most sorties shown.") var limit = 200
    @Flag(help: "As JSON, with each sortie's history.") var json = false

    func run() async throws {
        var states: Set<SortieState>?
        if let state {
            states = []
            for s in state.split(separator: ",") {
                guard let v = SortieState(rawValue: String(s)) else {
                    throw ValidationError("--state \(s): one of \(SortieState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                states?.insert(v)
            }
        }
        let since: Timestamp
        if let from {
            guard let t = Timestamp(parsing: from) else { throw ValidationError("--from \(from): expected a time such as 2026-11-25T00:00:00Z") }
            since = t
        } else {
            since = Timestamp.now().adding(seconds: -86_400)
        }
        try await global.withStore { _, db in
            let list = try await db.store.sorties(from: since, states: states, limit: limit)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                struct Row: Encodable {
                    var id, drone, dock, pilot, formation, state, start, end: String
                    var cells: [String]
                    var urgent: Bool
                    var percent: Double?
                    var history: [[String: String]]
                }
                let rows = list.map { s in
                    Row(id: s.id, drone: s.drone, dock: s.dock, pilot: s.pilot, formation: s.formation, state: s.state.rawValue,
                        start: s.start.iso8601, end: s.end.iso8601, cells: s.cells, urgent: s.urgent, percent: s.percent,
                        history: s.history.map { ["state": $0.state.rawValue, "time": $0.time.iso8601, "detail": $0.detail ?? ""] })
                }
                Console.emit(String(decoding: try encoder.encode(rows), as: UTF8.self))
                return
            }
            guard !list.isEmpty else {
                Console.emit("no sorties from \(since.iso8601)" + (state.map { " in state \($0)" } ?? "") + " (the scheduler plans them when `serve` starts; see planner.auto)")
                return
            }
            let counts = Dictionary(grouping: list, by: \.state).mapValues(\.count)
            Console.emit("\(list.count) sorties from \(since.iso8601): " + SortieState.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }.joined(separator: ", "))
            for s in list {
                let progress = s.percent.map { " \(Int($0)) %" } ?? ""
                let last = s.history.last?.detail.map { " - \($0)" } ?? ""
                Console.emit("\(s.start.iso8601)  \(s.state.rawValue)\(progress)\(s.urgent ? " URGENT" : "")  \(s.drone) from \(s.dock), pilot \(s.pilot), cells \(s.cells.joined(separator: ",")), \(Int(s.end.milliseconds - s.start.milliseconds) / 60_000) min  [\(s.id)]\(last)")
            }
        }
    }
}
