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

    /// The dock link (the MQTT broker) as the scheduler last saw it. While it is down nothing can
    /// reach a dock: a sortie due for a command waits as it is (held, not failed), and a flight's
    /// silence is not counted; once it is back, an urgent sortie still goes (its slot runs from
    /// the link's return), and silence counts from then.
    public struct Link: Sendable, Hashable {
        public var up: Bool
        /// When the link went down (the current outage, or the last one).
        public var downSince: Timestamp?
        /// When it came back from the last outage (nil while down, or if it never was).
        public var backAt: Timestamp?

        public init(up: Bool, downSince: Timestamp? = nil, backAt: Timestamp? = nil) {
            self.up = up
            self.downSince = downSince
            self.backAt = backAt
        }

        public static let up = Link(up: true)
    }

    public enum Action: Hashable, Sendable {
        case prepare
        case execute
        /// The sortie stays as it is and waits (why, for its history): the dock link is down, or
        /// (the service's own reason) its dock refused and its drone rests.
        case hold(String)
        /// Progress from the dock: the new state (executing or paused) and percent.
        case progress(SortieState, Double?, String?)
        /// The task ended, or will never start: the final state and why.
        case finish(SortieState, String)
    }

    /// What to do now with `sortie`. `isDocksNext`: no earlier unfinished sortie on its dock.
    /// `task`: the dock's latest progress for it, if any. `link`: the dock link now.
    public func action(for sortie: SortieRecord, now: Timestamp, isDocksNext: Bool, task: FlightTaskUpdate?, link: Link = .up) -> Action? {
        let toStart = Double(sortie.start.milliseconds - now.milliseconds) / 1_000
        let missed = now > slotEnd(of: sortie, link: link)
        switch sortie.state {
        case .planned:
            let due = isDocksNext && toStart <= prepareLeadSeconds
            guard link.up else { return due ? .hold(Self.holdReason(sortie, link)) : nil }
            if missed {
                return .finish(.failed, "missed its slot: not prepared by \(Int(missedAfterSeconds / 60)) min after the planned start ("
                               + (Self.outage(spanning: sortie, missedAfterSeconds, link) ?? "the dock was busy or unreachable") + ")")
            }
            return due ? .prepare : nil
        case .held:
            return nil
        case .prepared:
            // An urgent sortie jumps the queue: it takes off as soon as the dock has it.
            let due = toStart <= executeLeadSeconds || sortie.urgent
            guard link.up else { return due || missed ? .hold(Self.holdReason(sortie, link)) : nil }
            if missed {
                return .finish(.failed, "missed its slot: prepared but not launched by \(Int(missedAfterSeconds / 60)) min after the planned start"
                               + (Self.outage(spanning: sortie, missedAfterSeconds, link).map { " (\($0))" } ?? ""))
            }
            return due ? .execute : nil
        case .executing, .paused:
            if let task, let final = Self.finalState(task.status) {
                var why = "the dock reports \(task.status)"
                if let code = task.resultCode, code != 0 { why += ", result \(code)" + (task.resultText.map { ": \($0)" } ?? "") }
                return .finish(final, why)
            }
            let launched = sortie.history.last { $0.state == .executing }?.time ?? sortie.start
            // Nothing is heard while the link is down: silence counts only while it is up.
            var lastHeard = max(task?.time ?? launched, launched)
            if let back = link.backAt { lastHeard = max(lastHeard, back) }
            if link.up, Double(now.milliseconds - lastHeard.milliseconds) / 1_000 > silentAfterSeconds {
                return .finish(.failed, "no progress from the dock for \(Int(silentAfterSeconds / 60)) min; outcome unknown")
            }
            guard let task else { return nil }
            let state: SortieState = task.status == .paused ? .paused : .executing
            let percent = task.percent
            if state != sortie.state || (percent != nil && percent != sortie.percent) {
                return .progress(state, percent, task.status == .paused ? "paused on the dock" : nil)
            }
            return nil
        case .done, .partial, .failed, .canceled:
            return nil
        }
    }

    /// Until when `sortie` may still be launched: `missedAfterSeconds` after its start; for an
    /// urgent one (the lead wants it flown, not re-planned) held through a dock link outage, that
    /// long after the link came back.
    func slotEnd(of sortie: SortieRecord, link: Link) -> Timestamp {
        let end = sortie.start.adding(seconds: missedAfterSeconds)
        guard sortie.urgent, let down = link.downSince, end > down else { return end }
        guard let back = link.backAt else { return Timestamp(milliseconds: Int64.max / 2) }
        return max(end, back.adding(seconds: missedAfterSeconds))
    }

    /// What a held sortie's history says.
    static func holdReason(_ sortie: SortieRecord, _ link: Link) -> String {
        "held: the dock link (MQTT broker) is down" + (link.downSince.map { " since \($0.iso8601)" } ?? "")
            + "; nothing can reach dock \(sortie.dock). The sortie waits as it is and "
            + (sortie.state == .planned ? "is prepared" : "takes off") + " when the link is back"
    }

    /// "the dock link was down from … to …", when the sortie's slot ran out during the last outage.
    static func outage(spanning sortie: SortieRecord, _ missedAfterSeconds: Double, _ link: Link) -> String? {
        guard let down = link.downSince, let back = link.backAt else { return nil }
        let end = sortie.start.adding(seconds: missedAfterSeconds)
        guard end > down, end <= back else { return nil }
        return "the dock link was down from \(down.iso8601) to \(back.iso8601)"
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
    public static func finalState(_ status: FlightTaskStatus) -> SortieState? {
        switch status {
        case .ok: .done
        case .partiallyDone: .partial
        case .canceled: .canceled
        case .failed, .rejected, .timeout: .failed
        default: nil
        }
    }
}
