import TianyanModel

/// When a planned sortie becomes a dock command, and what a task's progress means for it. Pure:
/// the scheduler service asks it on every tick.
///
/// DJI's timing rules: a timed task is prepared (`flighttask_prepare` with the route file and the
/// execute time) no earlier than 24 h ahead, and the cloud sends `flighttask_execute` shortly
/// before the time. A dock holds one task at a time here: only the dock's next sortie is
/// prepared, once the one before it is finished.
public struct SortieTiming: Sendable, Hashable {
    /// Prepare no earlier than this before the start, seconds.
    public var prepareLeadSeconds: Double = 24 * 3_600
    /// Execute this long before the start, seconds.
    public var executeLeadSeconds: Double = 120
    /// A sortie not launched this long after its start has missed its slot.
    public var missedAfterSeconds: Double = 15 * 60
    /// A launched sortie with no progress event for this long ends failed (outcome unknown).
    public var silentAfterSeconds: Double = 15 * 60

    public init() {}

    public enum Action: Hashable, Sendable {
        case prepare
        case execute
        /// Progress from the dock: the new state (executing or paused) and percent.
        case progress(SortieState, Double?, String?)
        /// The task ended, or will never start: the final state and why.
        case finish(SortieState, String)
    }

    /// What to do now with `sortie`. `isDocksNext`: no earlier unfinished sortie on its dock.
    /// `task`: the dock's latest progress for it, if any. `launchedAt`: when execute was accepted.
    public func action(for sortie: SortieRecord, now: Timestamp, isDocksNext: Bool, task: FlightTaskUpdate?) -> Action? {
        let toStart = Double(sortie.start.milliseconds - now.milliseconds) / 1_000
        switch sortie.state {
        case .planned:
            if -toStart > missedAfterSeconds {
                return .finish(.failed, "missed its slot: not prepared by \(Int(missedAfterSeconds / 60)) min after the planned start (the dock was busy or unreachable)")
            }
            return isDocksNext && toStart <= prepareLeadSeconds ? .prepare : nil
        case .held:
            return nil
        case .prepared:
            if -toStart > missedAfterSeconds {
                return .finish(.failed, "missed its slot: prepared but not launched by \(Int(missedAfterSeconds / 60)) min after the planned start")
            }
            // An urgent sortie jumps the queue: it takes off as soon as the dock has it.
            return toStart <= executeLeadSeconds || sortie.urgent ? .execute : nil
        case .executing, .paused:
            if let task, let final = Self.finalState(task.status) {
                var why = "the dock reports \(task.status)"
                if let code = task.resultCode, code != 0 { why += ", result \(code)" + (task.resultText.map { ": \($0)" } ?? "") }
                return .finish(final, why)
            }
            let launched = sortie.history.last { $0.state == .executing }?.time ?? sortie.start
            let lastHeard = max(task?.time ?? launched, launched)
            if Double(now.milliseconds - lastHeard.milliseconds) / 1_000 > silentAfterSeconds {
                return .finish(.failed, "no progress from the dock for \(Int(silentAfterSeconds / 60)) min; outcome unknown")
            }
            guard let task else { return nil }
            let state: SortieState = task.status == "paused" ? .paused : .executing
            let percent = task.percent
            if state != sortie.state || (percent != nil && percent != sortie.percent) {
                return .progress(state, percent, task.status == "paused" ? "paused on the dock" : nil)
            }
            return nil
        case .done, .partial, .failed, .canceled:
            return nil
        }
    }

    /// Each dock's next sortie among `open` (unfinished, by start): the earliest one on the dock.
    /// A held sortie waits aside and does not block those after it.
    public static func docksNext(_ open: [SortieRecord]) -> [String: String] {
        var next: [String: String] = [:]
        for s in open.sorted(by: { ($0.start, $0.id) < ($1.start, $1.id) }) where next[s.dock] == nil && s.state != .held && !s.state.isFinal {
            next[s.dock] = s.id
        }
        return next
    }

    /// The sortie state a terminal task status ends in (nil while the task runs).
    public static func finalState(_ status: String) -> SortieState? {
        switch status {
        case "ok": .done
        case "partially_done": .partial
        case "canceled": .canceled
        case "failed", "rejected", "timeout": .failed
        default: nil
        }
    }
}
