import TianyanModel

/// Something that happened after a schedule was made and calls for a re-plan
/// (`CoverageScheduler.replan`).
public enum PlanChange: Hashable, Sendable {
    /// The drone may not fly from `from` until `until` (open-ended when nil). `note` says why
    /// ("prop damage"), for the report.
    case droneGrounded(drone: String, from: Timestamp, until: Timestamp? = nil, note: String? = nil)
    /// The drone's sortie that started at `start` (or was under way then) failed: none of its
    /// cells were imaged, so they are flown again.
    case sortieFailed(drone: String, start: Timestamp)
    /// The sortie was flown in part: `coveredCells` were imaged in full, its other cells are
    /// flown again.
    case sortiePartlyFlown(drone: String, start: Timestamp, coveredCells: [String])
    /// A new forecast. Its known hours replace the previous forecast's for every hour that has not
    /// ended by `now`; hours it leaves unknown keep the previous forecast.
    case forecastUpdated(WeatherForecast)
}

/// What a re-plan did to one visit of a cell (or one sortie kept as history), and why.
public struct ReplanMove: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable, Codable {
        /// Touched by a change but already under way (started before `now`): stays as history.
        case kept
        /// Taken off its drone or time and placed again (`after` holds the new sorties).
        case moved
        /// Taken off and not placed again: no drone, pilot and weather left a slot for it.
        case dropped
        /// A new visit, for cells a failed or partly flown sortie left unimaged.
        case added
    }

    /// What differs between a moved visit's first sortie before and after.
    public enum Aspect: String, Hashable, Sendable, Codable, CaseIterable {
        case time, drone, dock, pilot
    }

    public var kind: Kind
    public var cells: [String]
    /// The sorties concerned in the previous schedule: for `moved` and `dropped` those taken off
    /// (and the failed one first, when a failure caused it); for `added` the failed or partly
    /// flown sortie; for `kept` the sortie that stays.
    public var before: [ScheduledSortie]
    /// The sorties in the new schedule (`moved`, `added`); empty otherwise.
    public var after: [ScheduledSortie]
    public var changed: [Aspect]
    /// Plain words: the change that caused it ("drone D-0012 grounded from 2026-12-01 09:00"),
    /// and for a dropped visit why it found no new slot.
    public var reason: String

    public init(kind: Kind, cells: [String], before: [ScheduledSortie], after: [ScheduledSortie], changed: [Aspect], reason: String) {
        self.kind = kind
        self.cells = cells
        self.before = before
        self.after = after
        self.changed = changed
        self.reason = reason
    }

    public var description: String {
        let what = "cell " + cells.joined(separator: ", ")
        func at(_ s: [ScheduledSortie]) -> String { s.first.map { "\($0.drone) \($0.start)" } ?? "-" }
        switch kind {
        case .kept: return "kept \(what) on \(at(before)): \(reason)"
        case .moved:
            return "moved \(what) from \(at(before)) to \(at(after)) (\(changed.map(\.rawValue).joined(separator: ", "))): \(reason)"
        case .dropped: return "dropped \(what) from \(at(before)): \(reason)"
        case .added: return "added \(what) on \(at(after)): \(reason)"
        }
    }
}

/// The result of `CoverageScheduler.replan`: the new schedule, the input it satisfies, and what
/// moved and why.
public struct Replan: Sendable {
    public var schedule: Schedule
    /// The previous input with the changes applied: groundings in `unavailability`, the merged
    /// forecast. `schedule.violations(for: input)` is empty when the previous schedule was valid.
    /// History is not judged again: a grounding starts after the end of a sortie its drone was
    /// flying at the time, and hours a sortie that started before `now` flew in keep the forecast
    /// it flew under.
    public var input: ScheduleInput
    /// Every visit taken off, placed again, added or dropped, and every started sortie a change
    /// touched, in the order of the previous schedule's visits.
    public var moves: [ReplanMove]
    /// Sorties of the previous schedule carried over unchanged and named in no move.
    public var untouched: Int
    /// Changes that named no sortie of the previous schedule, and were ignored.
    public var notes: [String]

    public init(schedule: Schedule, input: ScheduleInput, moves: [ReplanMove], untouched: Int, notes: [String]) {
        self.schedule = schedule
        self.input = input
        self.moves = moves
        self.untouched = untouched
        self.notes = notes
    }
}
