// The store's ports: one protocol per aggregate. An adapter (SQLite today, PostgreSQL next,
// the in-memory store of TianyanTesting) implements the requirements, each list query taking one
// query struct; the extensions below add the labelled forms the call sites use. Records are
// written through `RecordSink` (the one write port for records); the only other writes are the
// registry import, alarm handling and user accounts, each one transaction with its audit line.
// StoreConformance (TianyanTesting) states the contract every adapter must meet.

/// The fleet registry: formations, pilots, docks, drones, talkgroups, radios, cells.
public protocol RegistryStore: Sendable {
    func registry() async throws -> FleetRegistry
    /// Replaces the whole registry, all of it or none of it (a duplicate key fails and keeps the old one).
    func replaceRegistry(_ registry: FleetRegistry) async throws
}

/// Units heard and their positions.
public protocol UnitStore: Sendable {
    /// Registered docks, drones and radios in registry order, then units heard but not
    /// registered, by id; each with when it was last heard and its last position.
    func units() async throws -> [UnitSummary]
    /// The last known position of every unit that has one (any order).
    func lastPositions() async throws -> [Position]
    func track(_ query: TrackQuery) async throws -> [Position]
}

/// The voice-channel log and the status and text messages radios sent.
public protocol RadioLogStore: Sendable {
    func voiceLog(_ query: VoiceLogQuery) async throws -> [VoiceCall]
    func radioMessages(_ query: RadioMessageQuery) async throws -> [RadioMessage]
}

public protocol PageStore: Sendable {
    func pages(_ query: PageQuery) async throws -> [Page]
    func page(id: String) async throws -> Page?
}

/// Alarms with their handling. Acknowledging and clearing write their audit line in the same
/// transaction; both throw `DispatchError` `.notFound` (no such alarm) or `.conflict` (already cleared).
public protocol AlarmStore: Sendable {
    func alarms(_ query: AlarmQuery) async throws -> [HandledAlarm]
    func handledAlarm(id: String) async throws -> HandledAlarm?
    /// The first acknowledgement stands; a note replaces the one before.
    func acknowledgeAlarm(_ id: String, by user: String, note: String?, at time: Timestamp) async throws -> HandledAlarm
    /// Clears with the note (acknowledging too, if nobody had).
    func clearAlarm(_ id: String, by user: String, note: String, at time: Timestamp) async throws -> HandledAlarm
}

public protocol AuditStore: Sendable {
    func audit(_ query: AuditQuery) async throws -> [AuditEntry]
}

/// User accounts. Each change writes its audit line in the same transaction. Unknown names throw
/// `DispatchError.notFound`, a name taken `.conflict`.
public protocol UserAccountStore: Sendable {
    func addUser(name: String, role: String, passwordHash: String, by actor: String) async throws
    func setPasswordHash(name: String, passwordHash: String, by actor: String) async throws
    /// False when the user already was in that state (the audit line says so).
    @discardableResult
    func setDisabled(name: String, _ disabled: Bool, by actor: String) async throws -> Bool
    /// Every user, by name.
    func users() async throws -> [UserAccount]
    func user(named name: String) async throws -> UserAccount?
}

public protocol TaskStore: Sendable {
    func tasks(_ query: TaskQuery) async throws -> [DispatchTask]
    func task(id: String) async throws -> DispatchTask?
    /// Tasks neither done nor canceled, oldest first.
    func unfinishedTasks() async throws -> [DispatchTask]
    /// Tasks created or closed within `from...to` (any order).
    func tasksTouching(from: Timestamp, to: Timestamp) async throws -> [DispatchTask]
}

/// Plan sorties and what they covered.
public protocol SortieStore: Sendable {
    func sorties(_ query: SortieQuery) async throws -> [SortieRecord]
    func sortie(id: String) async throws -> SortieRecord?
    /// Every cell's coverage record by cell id (cells never flown have none).
    func coverage() async throws -> [CellCoverageRecord]
}

/// Flight tasks on the docks and the commands sent to devices.
public protocol FlightTaskStore: Sendable {
    func flightTasks(_ query: FlightTaskQuery) async throws -> [FlightTaskUpdate]
    /// The latest progress of the given flight tasks, by flight id (unknown ids are left out).
    func flightTasks(ids: [String]) async throws -> [String: FlightTaskUpdate]
    func commands(_ query: CommandQuery) async throws -> [CommandRecord]
}

/// Device health, its history, and the maintenance log.
public protocol MaintenanceStore: Sendable {
    /// Latest maintenance telemetry of every dock and aircraft heard, by unit.
    func deviceHealth() async throws -> [DeviceHealth]
    func healthHistory(_ query: HealthHistoryQuery) async throws -> [HealthSample]
    /// The maintenance log of `unit` (every unit when nil), oldest first.
    func maintenanceLog(unit: String?) async throws -> [MaintenanceAction]
}

/// How the store itself is doing.
public protocol StoreStatus: Sendable {
    /// Row counts per table (`formations` … `radio_messages`), for `fleet list` and health.
    func counts() async throws -> [String: Int]
    /// For `/healthz`: problems `database` (unreadable) and the store's own fields.
    var health: ComponentHealth { get async }
}

/// Everything the dispatch layer reads from the store (writes go through `RecordSink`).
public typealias FleetStorage = RegistryStore & UnitStore & RadioLogStore & PageStore & AlarmStore & AuditStore
    & UserAccountStore & TaskStore & SortieStore & FlightTaskStore & MaintenanceStore & StoreStatus

// MARK: The labelled forms the call sites use

extension UnitStore {
    /// A unit's positions in `from...to`, oldest first; at most `limit` of them when given.
    public func track(unit: String, from: Timestamp, to: Timestamp, limit: Int? = nil) async throws -> [Position] {
        try await track(TrackQuery(unit: unit, from: from, to: to, limit: limit))
    }
}

extension RadioLogStore {
    /// Calls started in `since...until`, newest first, skipping the first `offset`.
    public func voiceLog(talkgroup: String?, since: Timestamp?, limit: Int, until: Timestamp? = nil, offset: Int = 0) async throws -> [VoiceCall] {
        try await voiceLog(VoiceLogQuery(talkgroup: talkgroup, since: since, until: until, limit: limit, offset: offset))
    }

    /// Status and text messages from radios, newest first.
    public func radioMessages(unit: String? = nil, since: Timestamp? = nil, limit: Int = 100, until: Timestamp? = nil,
                              offset: Int = 0) async throws -> [RadioMessage] {
        try await radioMessages(RadioMessageQuery(unit: unit, since: since, until: until, limit: limit, offset: offset))
    }
}

extension PageStore {
    /// Pages, newest first; `destination` keeps those to one ISSI or GSSI.
    public func pages(destination: String? = nil, since: Timestamp? = nil, limit: Int = 100) async throws -> [Page] {
        try await pages(PageQuery(destination: destination, since: since, limit: limit))
    }
}

extension AlarmStore {
    /// Alarms, newest first; `open` keeps only those not cleared.
    public func alarms(kind: String? = nil, unit: String? = nil, open: Bool = false, limit: Int = 1000) async throws -> [Alarm] {
        try await alarms(AlarmQuery(kind: kind, unit: unit, open: open, limit: limit)).map(\.alarm)
    }

    /// One alarm by id (a task made from an alarm names it).
    public func alarm(id: String) async throws -> Alarm? {
        try await handledAlarm(id: id)?.alarm
    }
}

extension AuditStore {
    /// Audit entries, newest first, optionally by one actor or action and within `since...until`.
    public func audit(limit: Int = 100, actor: String? = nil, action: String? = nil, since: Timestamp? = nil, until: Timestamp? = nil,
                      offset: Int = 0) async throws -> [AuditEntry] {
        try await audit(AuditQuery(actor: actor, action: action, since: since, until: until, limit: limit, offset: offset))
    }
}

extension TaskStore {
    /// Tasks by creation, newest first: in `states` and of `team` when given, created within
    /// `since...until`, skipping the first `offset`.
    public func tasks(states: Set<TaskState>? = nil, team: String? = nil, since: Timestamp? = nil, until: Timestamp? = nil,
                      limit: Int = 100, offset: Int = 0) async throws -> [DispatchTask] {
        try await tasks(TaskQuery(states: states, team: team, since: since, until: until, limit: limit, offset: offset))
    }
}

extension SortieStore {
    /// Sorties overlapping `[from, to)` (either bound optional), in `states` when given, by start.
    public func sorties(from: Timestamp? = nil, to: Timestamp? = nil, states: Set<SortieState>? = nil, drone: String? = nil,
                        limit: Int = 10_000) async throws -> [SortieRecord] {
        try await sorties(SortieQuery(from: from, to: to, states: states, drone: drone, limit: limit))
    }
}

extension FlightTaskStore {
    /// Flight tasks by last update, newest first, optionally updated within `since...until`.
    public func flightTasks(dock: String? = nil, limit: Int = 1000, since: Timestamp? = nil, until: Timestamp? = nil,
                            offset: Int = 0) async throws -> [FlightTaskUpdate] {
        try await flightTasks(FlightTaskQuery(dock: dock, since: since, until: until, limit: limit, offset: offset))
    }

    /// The latest progress of one flight task.
    public func flightTask(id: String) async throws -> FlightTaskUpdate? {
        try await flightTasks(ids: [id])[id]
    }

    public func commands(unit: String? = nil, limit: Int = 100) async throws -> [CommandRecord] {
        try await commands(CommandQuery(unit: unit, limit: limit))
    }
}

extension MaintenanceStore {
    /// A unit's health history in `from...to`, oldest first, at most `limit` samples.
    public func healthHistory(unit: String, from: Timestamp, to: Timestamp, limit: Int) async throws -> [HealthSample] {
        try await healthHistory(HealthHistoryQuery(unit: unit, from: from, to: to, limit: limit))
    }

    /// The maintenance log of every unit, oldest first.
    public func maintenanceLog() async throws -> [MaintenanceAction] {
        try await maintenanceLog(unit: nil)
    }
}
