import Synchronization
import TianyanModel

/// The store in memory: every read port plus `RecordSink`, with the SQLite writer's merge rules
/// (BatchWriter.swift) and FleetStore's query filters and orders. `StoreConformance` holds both
/// to the same contract, which a PostgreSQL adapter must meet too.
///
/// A class over a mutex rather than an actor: `RecordSink.submit` is synchronous, so a record is
/// applied (committed) when `submit` returns and `waitUntilCommitted` never waits.
public final class InMemoryStore: FleetStorage, RecordSink, Sendable {
    struct UnitState {
        var kind: UnitKind
        var lastSeen: Timestamp
        var position: Position?
    }

    struct StoredTask {
        var task: DispatchTask
        /// Set by the first copy stored (the SQLite `created_at` column is never updated).
        var createdAt: Timestamp
    }

    struct MaintenanceKey: Hashable {
        var unit: String
        var time: Int64
        var kind: MaintenanceAction.Kind
    }

    struct State {
        var registry = FleetRegistry()
        var positions: [String: [Int64: Position]] = [:]
        var positionCount = 0
        var units: [String: UnitState] = [:]
        var calls: [String: VoiceCall] = [:]
        var alarms: [String: HandledAlarm] = [:]
        var commands: [String: CommandRecord] = [:]
        var audit: [AuditEntry] = []
        var health: [String: DeviceHealth] = [:]
        var healthHistory: [String: [Int64: HealthSample]] = [:]
        var flightTasks: [String: FlightTaskUpdate] = [:]
        var maintenance: [MaintenanceKey: MaintenanceAction] = [:]
        var pages: [String: Page] = [:]
        /// In arrival order (the SQLite rowid).
        var radioMessages: [RadioMessage] = []
        var sorties: [String: SortieRecord] = [:]
        var coverage: [String: CellCoverageRecord] = [:]
        var tasks: [String: StoredTask] = [:]
        var users: [String: UserAccount] = [:]
        var submitted: UInt64 = 0
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Timestamp

    /// `now` stamps what the store writes itself (audit lines of alarm handling and user changes, a user's creation).
    public init(registry: FleetRegistry = FleetRegistry(), now: @escaping @Sendable () -> Timestamp = { .now() }) {
        self.now = now
        state.withLock { $0.registry = registry }
    }

    // MARK: RecordSink

    @discardableResult
    public func submit(_ records: [StoreRecord]) -> UInt64 {
        state.withLock { s in
            for r in records { Self.apply(r, to: &s) }
            s.submitted += UInt64(records.count)
            return s.submitted
        }
    }

    public func waitUntilCommitted(_ ticket: UInt64) async throws {}

    static func apply(_ record: StoreRecord, to s: inout State) {
        switch record {
        case .position(let p):
            if s.positions[p.unit, default: [:]][p.time.milliseconds] == nil {
                s.positions[p.unit, default: [:]][p.time.milliseconds] = p
                s.positionCount += 1
            }
            // A position only guesses what the unit is: LIP says radio, anything else drone.
            noteSeen(p.unit, kind: p.source.isRadio ? .radio : .drone, known: false, time: p.time, position: p, in: &s)
        case .sighting(let u):
            noteSeen(u.unit, kind: u.kind, known: true, time: u.time, position: nil, in: &s)
        case .voiceCall(let c):
            // The call row upserts end, cause, emergency and priority; what was called, by whom and
            // when stays as first stored. Transmissions upsert their end on (talker, start).
            var call: VoiceCall
            if let old = s.calls[c.id] {
                call = old
                call.end = c.end
                call.cause = c.cause
                call.emergency = c.emergency
                call.priority = c.priority
            } else {
                call = c
                call.transmissions = []
            }
            for t in c.transmissions {
                if let i = call.transmissions.firstIndex(where: { $0.talker == t.talker && $0.start == t.start }) {
                    call.transmissions[i].end = t.end
                } else {
                    call.transmissions.append(t)
                }
            }
            s.calls[c.id] = call
        case .alarm(let a):
            if var old = s.alarms[a.id] {
                // Only `cleared_at` moves, and a copy without it never un-clears it.
                old.alarm.clearedAt = a.clearedAt ?? old.alarm.clearedAt
                s.alarms[a.id] = old
            } else {
                s.alarms[a.id] = HandledAlarm(alarm: a)
            }
        case .command(let c):
            if var old = s.commands[c.id] {
                old.outcome = c.outcome
                old.resultCode = c.resultCode
                old.resultText = c.resultText
                old.completedAt = c.completedAt
                s.commands[c.id] = old
            } else {
                s.commands[c.id] = c
            }
        case .audit(let e):
            s.audit.append(e)
        case .health(let h):
            if let old = s.health[h.unit], h.time < old.time {} else { s.health[h.unit] = h }
            let t = h.time.milliseconds, spacing = HealthSample.spacingMilliseconds
            let near = s.healthHistory[h.unit, default: [:]].keys.contains { $0 > t - spacing && $0 < t + spacing }
            if !near {
                s.healthHistory[h.unit, default: [:]][t] = HealthSample(
                    time: h.time, flightSeconds: h.flightSeconds, flightCount: h.flightCount, batteryCycles: h.maxBatteryCycles,
                    batteryPercent: h.batteryPercent, temperatureCelsius: h.temperatureCelsius)
            }
        case .flightTask(let t):
            if var old = s.flightTasks[t.flightID] {
                guard t.time >= old.time else { return }
                old.time = t.time
                old.status = t.status
                old.dock = t.dock
                old.percent = t.percent ?? old.percent
                old.step = t.step ?? old.step
                old.waypointIndex = t.waypointIndex ?? old.waypointIndex
                old.mediaCount = t.mediaCount ?? old.mediaCount
                old.trackID = t.trackID ?? old.trackID
                old.resultCode = t.resultCode ?? old.resultCode
                old.resultText = t.resultText ?? old.resultText
                s.flightTasks[t.flightID] = old
            } else {
                s.flightTasks[t.flightID] = t
            }
        case .maintenance(let m):
            let key = MaintenanceKey(unit: m.unit, time: m.time.milliseconds, kind: m.kind)
            if s.maintenance[key] == nil { s.maintenance[key] = m }
        case .page(let p):
            if var old = s.pages[p.id] {
                // A late copy of an older state (a shorter history) never overwrites a newer one.
                guard p.history.count >= old.history.count else { return }
                old.state = p.state
                old.history = p.history
                s.pages[p.id] = old
            } else {
                s.pages[p.id] = p
            }
        case .radioMessage(let m):
            s.radioMessages.append(m)
        case .sortie(let o):
            if var old = s.sorties[o.id] {
                guard o.history.count >= old.history.count, !old.state.isFinal else { return }
                old.drone = o.drone
                old.dock = o.dock
                old.pilot = o.pilot
                old.start = o.start
                old.end = o.end
                old.state = o.state
                old.route = o.route
                old.percent = o.percent ?? old.percent
                old.history = o.history
                s.sorties[o.id] = old
            } else {
                s.sorties[o.id] = o
            }
        case .task(let t):
            if let old = s.tasks[t.id] {
                guard t.history.count >= old.task.history.count else { return }
                s.tasks[t.id] = StoredTask(task: t, createdAt: old.createdAt)
            } else {
                s.tasks[t.id] = StoredTask(task: t, createdAt: t.createdAt)
            }
        case .cellCoverage(let c):
            if var old = s.coverage[c.cell] {
                if old.lastCovered == nil {
                    old.lastCovered = c.lastCovered
                } else if let new = c.lastCovered, let current = old.lastCovered, new > current {
                    old.lastCovered = new
                }
                if c.lastFlown >= old.lastFlown {
                    old.lastFraction = c.lastFraction
                    old.lastSortie = c.lastSortie
                }
                old.lastFlown = max(old.lastFlown, c.lastFlown)
                s.coverage[c.cell] = old
            } else {
                s.coverage[c.cell] = c
            }
        }
    }

    /// `unit_state`: the first record says what the unit is until a sighting says otherwise; last
    /// seen only moves forward; the last position is never replaced by an older one.
    static func noteSeen(_ unit: String, kind: UnitKind, known: Bool, time: Timestamp, position: Position?, in s: inout State) {
        guard var row = s.units[unit] else {
            s.units[unit] = UnitState(kind: kind, lastSeen: time, position: position)
            return
        }
        if known { row.kind = kind }
        row.lastSeen = max(row.lastSeen, time)
        if let position, row.position.map({ position.time >= $0.time }) ?? true { row.position = position }
        s.units[unit] = row
    }

    private func read<T: Sendable>(_ body: (State) -> T) -> T {
        state.withLock { body($0) }
    }

    // MARK: RegistryStore

    public func registry() async throws -> FleetRegistry { read(\.registry) }

    public func replaceRegistry(_ r: FleetRegistry) async throws {
        func unique(_ what: String, _ keys: [String]) throws {
            var seen = Set<String>()
            for k in keys where !seen.insert(k).inserted {
                throw DispatchError.conflict("the registry names \(what) \(k) twice")
            }
        }
        try unique("formation", r.formations.map(\.id))
        try unique("pilot", r.pilots.map(\.id))
        try unique("dock", r.docks.map(\.serial))
        try unique("drone", r.drones.map(\.serial))
        try unique("talkgroup", r.talkgroups.map(\.gssi))
        try unique("radio", r.radios.map(\.issi))
        try unique("cell", r.cells.map(\.id))
        state.withLock { $0.registry = r }
    }

    // MARK: UnitStore

    public func units() async throws -> [UnitSummary] {
        read { s in
            var heard = s.units
            var out: [UnitSummary] = []
            func add(_ id: String, _ kind: UnitKind, _ name: String, _ formation: String?) {
                let u = heard.removeValue(forKey: id)
                out.append(UnitSummary(id: id, kind: kind, name: name, registered: true, formation: formation,
                                       lastSeen: u?.lastSeen, position: u?.position))
            }
            for d in s.registry.docks { add(d.serial, .dock, d.name, d.formation) }
            for d in s.registry.drones { add(d.serial, .drone, d.name, d.formation) }
            let pilots = Dictionary(s.registry.pilots.map { ($0.id, $0) }) { a, _ in a }
            for r in s.registry.radios {
                add(r.issi, .radio, "\(r.alias) (\(r.person))", r.pilot.flatMap { pilots[$0]?.formation })
            }
            for (id, u) in heard.sorted(by: { $0.key < $1.key }) {
                out.append(UnitSummary(id: id, kind: u.kind, name: id, registered: false, formation: nil, lastSeen: u.lastSeen,
                                       position: u.position))
            }
            return out
        }
    }

    public func lastPositions() async throws -> [Position] {
        read { s in s.units.values.compactMap(\.position) }
    }

    public func track(_ q: TrackQuery) async throws -> [Position] {
        read { s in
            let all = (s.positions[q.unit] ?? [:]).values
                .filter { $0.time >= q.from && $0.time <= q.to }
                .sorted { $0.time < $1.time }
            return Self.page(all, limit: q.limit ?? -1)
        }
    }

    /// SQLite's `LIMIT ? OFFSET ?`: a negative limit means no limit.
    static func page<T>(_ items: [T], limit: Int, offset: Int = 0) -> [T] {
        let rest = items.dropFirst(max(0, offset))
        return Array(limit < 0 ? rest : rest.prefix(limit))
    }

    // MARK: RadioLogStore

    public func voiceLog(_ q: VoiceLogQuery) async throws -> [VoiceCall] {
        read { s in
            let calls = s.calls.values.filter { c in
                (q.talkgroup.map { c.called == $0 } ?? true) && (q.since.map { c.start >= $0 } ?? true)
                    && (q.until.map { c.start <= $0 } ?? true)
            }.sorted { $0.start != $1.start ? $0.start > $1.start : $0.id > $1.id }
            return Self.page(calls, limit: q.limit, offset: q.offset).map { c in
                var c = c
                c.transmissions.sort { $0.start != $1.start ? $0.start < $1.start : $0.talker < $1.talker }
                return c
            }
        }
    }

    public func radioMessages(_ q: RadioMessageQuery) async throws -> [RadioMessage] {
        read { s in
            let list = s.radioMessages.enumerated().filter { _, m in
                (q.unit.map { m.unit == $0 } ?? true) && (q.since.map { m.time >= $0 } ?? true) && (q.until.map { m.time <= $0 } ?? true)
            }.sorted { $0.element.time != $1.element.time ? $0.element.time > $1.element.time : $0.offset > $1.offset }
            return Self.page(list.map(\.element), limit: q.limit, offset: q.offset)
        }
    }

    // MARK: PageStore

    public func pages(_ q: PageQuery) async throws -> [Page] {
        read { s in
            let list = s.pages.values.filter { p in
                (q.destination.map { p.destination == $0 } ?? true) && (q.since.map { p.requestedAt >= $0 } ?? true)
            }.sorted { $0.requestedAt != $1.requestedAt ? $0.requestedAt > $1.requestedAt : $0.id > $1.id }
            return Self.page(list, limit: q.limit)
        }
    }

    public func page(id: String) async throws -> Page? { read { $0.pages[id] } }

    // MARK: AlarmStore

    public func alarms(_ q: AlarmQuery) async throws -> [HandledAlarm] {
        read { s in
            let list = s.alarms.values.filter { h in
                (q.kind.map { h.alarm.kind == $0 } ?? true) && (q.unit.map { h.alarm.unit == $0 } ?? true)
                    && (!q.open || h.alarm.clearedAt == nil)
            }.sorted { $0.alarm.time != $1.alarm.time ? $0.alarm.time > $1.alarm.time : $0.alarm.id > $1.alarm.id }
            return Self.page(list, limit: q.limit)
        }
    }

    public func handledAlarm(id: String) async throws -> HandledAlarm? { read { $0.alarms[id] } }

    public func acknowledgeAlarm(_ id: String, by user: String, note: String?, at time: Timestamp) async throws -> HandledAlarm {
        try handle(id, by: user, action: "alarm ack", note: note) { h in
            h.acknowledgedAt = h.acknowledgedAt ?? time
            h.acknowledgedBy = h.acknowledgedBy ?? user
            h.note = note ?? h.note
        }
    }

    public func clearAlarm(_ id: String, by user: String, note: String, at time: Timestamp) async throws -> HandledAlarm {
        try handle(id, by: user, action: "alarm clear", note: note) { h in
            h.alarm.clearedAt = time
            h.clearedBy = user
            h.note = note
            h.acknowledgedAt = h.acknowledgedAt ?? time
            h.acknowledgedBy = h.acknowledgedBy ?? user
        }
    }

    private func handle(_ id: String, by user: String, action: String, note: String?,
                        _ change: (inout HandledAlarm) -> Void) throws -> HandledAlarm {
        let time = now()
        return try state.withLock { s in
            guard var h = s.alarms[id] else { throw DispatchError.notFound("no alarm \(id)") }
            guard h.alarm.clearedAt == nil else { throw DispatchError.conflict("alarm \(id) is already cleared") }
            change(&h)
            s.alarms[id] = h
            s.audit.append(AuditEntry(time: time, actor: user, action: action, target: id, outcome: "ok", detail: note))
            return h
        }
    }

    // MARK: AuditStore

    public func audit(_ q: AuditQuery) async throws -> [AuditEntry] {
        read { s in
            let list = s.audit.reversed().filter { e in
                (q.actor.map { e.actor == $0 } ?? true) && (q.action.map { e.action == $0 } ?? true)
                    && (q.since.map { e.time >= $0 } ?? true) && (q.until.map { e.time <= $0 } ?? true)
            }
            return Self.page(list, limit: q.limit, offset: q.offset)
        }
    }

    // MARK: UserAccountStore

    public func addUser(name: String, role: String, passwordHash: String, by actor: String) async throws {
        let time = now()
        try state.withLock { s in
            guard s.users[name] == nil else {
                throw DispatchError.conflict("user \(name) exists; use `tianyan users passwd \(name)` to change the password")
            }
            s.users[name] = UserAccount(name: name, role: role, created: time, disabled: false, passwordHash: passwordHash)
            s.audit.append(AuditEntry(time: time, actor: actor, action: "user add", target: name, outcome: "ok", detail: "role \(role)"))
        }
    }

    public func setPasswordHash(name: String, passwordHash: String, by actor: String) async throws {
        let time = now()
        try state.withLock { s in
            guard s.users[name] != nil else { throw Self.unknownUser(name) }
            s.users[name]?.passwordHash = passwordHash
            s.audit.append(AuditEntry(time: time, actor: actor, action: "user passwd", target: name, outcome: "ok"))
        }
    }

    @discardableResult
    public func setDisabled(name: String, _ disabled: Bool, by actor: String) async throws -> Bool {
        let time = now()
        return try state.withLock { s in
            guard let current = s.users[name]?.disabled else { throw Self.unknownUser(name) }
            s.users[name]?.disabled = disabled
            s.audit.append(AuditEntry(time: time, actor: actor, action: disabled ? "user disable" : "user enable", target: name,
                                      outcome: "ok",
                                      detail: current == disabled ? (disabled ? "already disabled" : "already enabled") : nil))
            return current != disabled
        }
    }

    static func unknownUser(_ name: String) -> DispatchError {
        .notFound("no user \(name); `tianyan users list` shows them")
    }

    public func users() async throws -> [UserAccount] {
        read { s in s.users.values.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) } }
    }

    public func user(named name: String) async throws -> UserAccount? { read { $0.users[name] } }

    // MARK: TaskStore

    public func tasks(_ q: TaskQuery) async throws -> [DispatchTask] {
        read { s in
            let list = s.tasks.values.filter { t in
                (q.states.map { $0.contains(t.task.state) } ?? true) && (q.team.map { t.task.team == $0 } ?? true)
                    && (q.since.map { t.createdAt >= $0 } ?? true) && (q.until.map { t.createdAt <= $0 } ?? true)
            }.sorted { $0.createdAt != $1.createdAt ? $0.createdAt > $1.createdAt : $0.task.id > $1.task.id }
            return Self.page(list.map(\.task), limit: q.limit, offset: q.offset)
        }
    }

    public func task(id: String) async throws -> DispatchTask? { read { $0.tasks[id]?.task } }

    public func unfinishedTasks() async throws -> [DispatchTask] {
        read { s in
            s.tasks.values.filter { !$0.task.state.isFinal }
                .sorted { $0.createdAt != $1.createdAt ? $0.createdAt < $1.createdAt : $0.task.id < $1.task.id }.map(\.task)
        }
    }

    public func tasksTouching(from: Timestamp, to: Timestamp) async throws -> [DispatchTask] {
        read { s in
            s.tasks.values.filter { t in
                (t.createdAt >= from && t.createdAt <= to) || (t.task.closedAt.map { $0 >= from && $0 <= to } ?? false)
            }.sorted { $0.createdAt < $1.createdAt }.map(\.task)
        }
    }

    // MARK: SortieStore

    public func sorties(_ q: SortieQuery) async throws -> [SortieRecord] {
        read { s in
            let list = s.sorties.values.filter { o in
                (q.from.map { o.end > $0 } ?? true) && (q.to.map { o.start < $0 } ?? true)
                    && (q.states.map { $0.contains(o.state) } ?? true) && (q.drone.map { o.drone == $0 } ?? true)
            }.sorted { $0.start != $1.start ? $0.start < $1.start : $0.id < $1.id }
            return Self.page(list, limit: q.limit)
        }
    }

    public func sortie(id: String) async throws -> SortieRecord? { read { $0.sorties[id] } }

    public func coverage() async throws -> [CellCoverageRecord] {
        read { s in s.coverage.values.sorted { $0.cell.utf8.lexicographicallyPrecedes($1.cell.utf8) } }
    }

    // MARK: FlightTaskStore

    public func flightTasks(_ q: FlightTaskQuery) async throws -> [FlightTaskUpdate] {
        read { s in
            let list = s.flightTasks.values.filter { t in
                (q.dock.map { t.dock == $0 } ?? true) && (q.since.map { t.time >= $0 } ?? true) && (q.until.map { t.time <= $0 } ?? true)
            }.sorted { $0.time != $1.time ? $0.time > $1.time : $0.flightID > $1.flightID }
            return Self.page(list, limit: q.limit, offset: q.offset)
        }
    }

    public func flightTasks(ids: [String]) async throws -> [String: FlightTaskUpdate] {
        read { s in
            var out: [String: FlightTaskUpdate] = [:]
            for id in ids { if let t = s.flightTasks[id] { out[id] = t } }
            return out
        }
    }

    public func commands(_ q: CommandQuery) async throws -> [CommandRecord] {
        read { s in
            let list = s.commands.values.filter { c in q.unit.map { c.unit == $0 } ?? true }
                .sorted { $0.requestedAt != $1.requestedAt ? $0.requestedAt > $1.requestedAt : $0.id > $1.id }
            return Self.page(list, limit: q.limit)
        }
    }

    // MARK: MaintenanceStore

    public func deviceHealth() async throws -> [DeviceHealth] {
        read { s in s.health.values.sorted { $0.unit.utf8.lexicographicallyPrecedes($1.unit.utf8) } }
    }

    public func healthHistory(_ q: HealthHistoryQuery) async throws -> [HealthSample] {
        read { s in
            let list = (s.healthHistory[q.unit] ?? [:]).values.filter { $0.time >= q.from && $0.time <= q.to }.sorted { $0.time < $1.time }
            return Self.page(list, limit: q.limit)
        }
    }

    public func maintenanceLog(unit: String?) async throws -> [MaintenanceAction] {
        read { s in
            s.maintenance.values.filter { m in unit.map { m.unit == $0 } ?? true }
                .sorted { $0.time != $1.time ? $0.time < $1.time : ($0.unit, $0.kind.rawValue) < ($1.unit, $1.kind.rawValue) }
        }
    }

    // MARK: StoreStatus

    public func counts() async throws -> [String: Int] {
        read { s in
            var out = s.registry.counts
            out["positions"] = s.positionCount
            out["voice_calls"] = s.calls.count
            out["alarms"] = s.alarms.count
            out["commands"] = s.commands.count
            out["audit"] = s.audit.count
            out["device_health"] = s.health.count
            out["flight_tasks"] = s.flightTasks.count
            out["pages"] = s.pages.count
            out["radio_messages"] = s.radioMessages.count
            return out
        }
    }

    public var health: ComponentHealth {
        get async { ComponentHealth(fields: ["database": .string("ok"), "path": .string(":memory:")]) }
    }
}
