import Foundation
import TianyanModel

/// `tianyan coverage` and `GET /api/v1/coverage`: every cell's staleness (time since it last
/// counted as covered), when it is due, and what is overdue.
public enum CoverageReport {
    public struct Cell: Sendable, Codable, Hashable {
        public var cell: String
        public var community: String
        public var revisitDays: Int
        /// ISO 8601; nil when never covered.
        public var lastCovered: String?
        /// Days since `lastCovered`; nil when never covered.
        public var stalenessDays: Double?
        /// When it must be flown again (last covered + revisit period); nil when never covered.
        public var due: String?
        /// covered, overdue or never.
        public var status: String
        /// Share of the cell imaged by the last sortie over it (0-1), and that sortie.
        public var lastFraction: Double?
        public var lastSortie: String?
        /// The next unfinished sortie planned over the cell, and its take-off.
        public var nextSortie: String?
        public var nextStart: String?
    }

    public struct Summary: Sendable, Codable, Hashable {
        public var time: String
        public var cells: Int
        public var covered: Int
        public var overdue: Int
        public var neverCovered: Int
        public var threshold: Double
        public var worstStalenessDays: Double?
    }

    public static func cells(store: any FleetStorage, now: Timestamp) async throws -> [Cell] {
        let registry = try await store.registry()
        let coverage = Dictionary(try await store.coverage().map { ($0.cell, $0) }, uniquingKeysWith: { a, _ in a })
        var next: [String: SortieRecord] = [:]
        for s in try await store.sorties(from: now, states: Set(SortieState.allCases.filter { !$0.isFinal })) {
            for c in s.cells where next[c] == nil { next[c] = s }
        }
        return registry.cells.map { cell in
            let c = coverage[cell.id]
            let last = c?.lastCovered
            let due = last?.adding(seconds: Double(cell.revisitDays) * 86_400)
            let status = last == nil ? "never" : (due! < now ? "overdue" : "covered")
            return Cell(cell: cell.id, community: cell.community, revisitDays: cell.revisitDays, lastCovered: last?.iso8601,
                        stalenessDays: last.map { Double(now.milliseconds - $0.milliseconds) / 86_400_000 }, due: due?.iso8601,
                        status: status, lastFraction: c?.lastFraction, lastSortie: c?.lastSortie, nextSortie: next[cell.id]?.id,
                        nextStart: next[cell.id]?.start.iso8601)
        }
    }

    public static func summary(_ cells: [Cell], now: Timestamp, threshold: Double) -> Summary {
        Summary(time: now.iso8601, cells: cells.count, covered: cells.filter { $0.status == "covered" }.count,
                overdue: cells.filter { $0.status == "overdue" }.count, neverCovered: cells.filter { $0.status == "never" }.count,
                threshold: threshold, worstStalenessDays: cells.compactMap(\.stalenessDays).max())
    }

    /// The summary, then every cell that is overdue or never covered (or all with `all`).
    public static func text(_ cells: [Cell], now: Timestamp, threshold: Double, all: Bool) -> String {
        let s = summary(cells, now: now, threshold: threshold)
        var lines = [
            "coverage at \(s.time): \(s.cells) cells; \(s.covered) covered within their revisit period, \(s.overdue) overdue, \(s.neverCovered) never covered (a cell counts as covered at ≥ \(Int(threshold * 100)) % of its area imaged)",
        ]
        if let worst = s.worstStalenessDays { lines.append(String(format: "stalest cell: %.1f days since it was last covered", worst)) }
        let shown = all ? cells : cells.filter { $0.status != "covered" }
        guard !shown.isEmpty else { return lines.joined(separator: "\n") }
        lines.append("")
        lines.append(pad(["cell", "community", "status", "last covered", "staleness", "due", "last imaged", "next sortie"]))
        for c in shown.sorted(by: { ($0.due ?? "", $0.cell) < ($1.due ?? "", $1.cell) }) {
            lines.append(pad([c.cell, c.community, c.status, c.lastCovered ?? "never", c.stalenessDays.map { String(format: "%.1f d", $0) } ?? "-",
                              c.due ?? "now", c.lastFraction.map { "\(Int(($0 * 100).rounded(.down))) %" } ?? "-", c.nextStart ?? "none planned"]))
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ fields: [String]) -> String {
        let widths = [10, 12, 8, 22, 10, 22, 12, 22]
        return zip(fields, widths).map { f, w in f.count >= w ? f + " " : f + String(repeating: " ", count: w - f.count) }.joined()
            .trimmingCharacters(in: .whitespaces)
    }
}
