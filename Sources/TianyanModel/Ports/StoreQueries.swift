// What the store ports' list queries take. Every bound is inclusive unless it says otherwise;
// nil means "no filter". The defaults are the ones the call sites have always used.

/// A unit's positions with `from <= time <= to`, oldest first, at most `limit` when given.
public struct TrackQuery: Hashable, Sendable {
    public var unit: String
    public var from: Timestamp
    public var to: Timestamp
    public var limit: Int?
    public init(unit: String, from: Timestamp, to: Timestamp, limit: Int? = nil) {
        self.unit = unit
        self.from = from
        self.to = to
        self.limit = limit
    }
}

/// Calls started in `since...until` to `talkgroup` (the called GSSI or ISSI), newest first
/// (start, then id, descending), skipping the first `offset`.
public struct VoiceLogQuery: Hashable, Sendable {
    public var talkgroup: String?
    public var since: Timestamp?
    public var until: Timestamp?
    public var limit: Int
    public var offset: Int
    public init(talkgroup: String? = nil, since: Timestamp? = nil, until: Timestamp? = nil, limit: Int = 100, offset: Int = 0) {
        self.talkgroup = talkgroup
        self.since = since
        self.until = until
        self.limit = limit
        self.offset = offset
    }
}

/// Status and text messages from `unit` in `since...until`, newest first (time, then arrival,
/// descending), skipping the first `offset`.
public struct RadioMessageQuery: Hashable, Sendable {
    public var unit: String?
    public var since: Timestamp?
    public var until: Timestamp?
    public var limit: Int
    public var offset: Int
    public init(unit: String? = nil, since: Timestamp? = nil, until: Timestamp? = nil, limit: Int = 100, offset: Int = 0) {
        self.unit = unit
        self.since = since
        self.until = until
        self.limit = limit
        self.offset = offset
    }
}

/// Pages to `destination` requested at or after `since`, newest first (requested, then id, descending).
public struct PageQuery: Hashable, Sendable {
    public var destination: String?
    public var since: Timestamp?
    public var limit: Int
    public init(destination: String? = nil, since: Timestamp? = nil, limit: Int = 100) {
        self.destination = destination
        self.since = since
        self.limit = limit
    }
}

/// Alarms of `kind` on `unit`, newest first; `open` keeps those not cleared.
public struct AlarmQuery: Hashable, Sendable {
    public var kind: String?
    public var unit: String?
    public var open: Bool
    public var limit: Int
    public init(kind: String? = nil, unit: String? = nil, open: Bool = false, limit: Int = 1000) {
        self.kind = kind
        self.unit = unit
        self.open = open
        self.limit = limit
    }
}

/// Audit lines by `actor` and `action` in `since...until`, newest first (in the order written,
/// reversed), skipping the first `offset`.
public struct AuditQuery: Hashable, Sendable {
    public var actor: String?
    public var action: String?
    public var since: Timestamp?
    public var until: Timestamp?
    public var limit: Int
    public var offset: Int
    public init(actor: String? = nil, action: String? = nil, since: Timestamp? = nil, until: Timestamp? = nil, limit: Int = 100,
                offset: Int = 0) {
        self.actor = actor
        self.action = action
        self.since = since
        self.until = until
        self.limit = limit
        self.offset = offset
    }
}

/// Dispatch tasks in `states`, of `team`, created in `since...until`, newest first (created,
/// then id, descending), skipping the first `offset`.
public struct TaskQuery: Hashable, Sendable {
    public var states: Set<TaskState>?
    public var team: String?
    public var since: Timestamp?
    public var until: Timestamp?
    public var limit: Int
    public var offset: Int
    public init(states: Set<TaskState>? = nil, team: String? = nil, since: Timestamp? = nil, until: Timestamp? = nil,
                limit: Int = 100, offset: Int = 0) {
        self.states = states
        self.team = team
        self.since = since
        self.until = until
        self.limit = limit
        self.offset = offset
    }
}

/// Sorties overlapping `[from, to)` (end > from, start < to), in `states`, of `drone`, by start
/// then id.
public struct SortieQuery: Hashable, Sendable {
    public var from: Timestamp?
    public var to: Timestamp?
    public var states: Set<SortieState>?
    public var drone: String?
    public var limit: Int
    public init(from: Timestamp? = nil, to: Timestamp? = nil, states: Set<SortieState>? = nil, drone: String? = nil,
                limit: Int = 10_000) {
        self.from = from
        self.to = to
        self.states = states
        self.drone = drone
        self.limit = limit
    }
}

/// Flight tasks of `dock` last updated in `since...until`, newest first (updated, then flight
/// id, descending), skipping the first `offset`.
public struct FlightTaskQuery: Hashable, Sendable {
    public var dock: String?
    public var since: Timestamp?
    public var until: Timestamp?
    public var limit: Int
    public var offset: Int
    public init(dock: String? = nil, since: Timestamp? = nil, until: Timestamp? = nil, limit: Int = 1000, offset: Int = 0) {
        self.dock = dock
        self.since = since
        self.until = until
        self.limit = limit
        self.offset = offset
    }
}

/// Commands sent to `unit`, newest first (by request time).
public struct CommandQuery: Hashable, Sendable {
    public var unit: String?
    public var limit: Int
    public init(unit: String? = nil, limit: Int = 100) {
        self.unit = unit
        self.limit = limit
    }
}

/// A unit's health history in `from...to`, oldest first, at most `limit` samples.
public struct HealthHistoryQuery: Hashable, Sendable {
    public var unit: String
    public var from: Timestamp
    public var to: Timestamp
    public var limit: Int
    public init(unit: String, from: Timestamp, to: Timestamp, limit: Int) {
        self.unit = unit
        self.from = from
        self.to = to
        self.limit = limit
    }
}
