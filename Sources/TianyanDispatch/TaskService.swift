import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TianyanModel

/// Dispatch tasks: created by a dispatcher, dispatched by paging units through the radio network,
/// moved by the units' status messages (or by hand), watched against their SLA deadlines, and
/// escalated when one is missed. Every change is one `.task` record through the sink, so it is
/// stored by the writer and reaches the live feed; every change is audited in the same batch.
///
/// One actor: a change reads the task and hands the new version to the sink without waiting in
/// between, so two changes to one task never interleave. Tasks not finished (and those closed
/// within the last hour) are held in memory; the rest are read from the store when asked for.
public actor TaskService: Service {
    public struct Settings: Sendable, Hashable {
        public var rules = TaskRules()
        /// Radios move by road: this speed over the straight-line distance times `roadDetour`.
        public var roadSpeedKmh = 30.0
        public var roadDetour = 1.3
        /// Drones fly straight at this speed.
        public var droneSpeedMetresPerSecond = 12.0
        /// A unit whose last position is older than this is not suggested.
        public var positionMaxAgeSeconds = 15.0 * 60
        /// How often the SLA deadlines are checked.
        public var tickSeconds = 5.0

        public init() {}


        /// Estimated seconds for a unit of `kind` to cover `metres` (straight line).
        public func travelSeconds(_ metres: Double, kind: UnitKind) -> Double {
            kind == .drone ? metres / droneSpeedMetresPerSecond : metres * roadDetour / (roadSpeedKmh / 3.6)
        }
    }

    public typealias Failure = DispatchError

    /// What a new task says.
    public struct NewTask: Sendable {
        public var title: String
        public var description: String
        public var priority: TaskPriority
        /// nil: where the alarm's unit or the drone last was.
        public var location: Coordinate?
        public var source: TaskSource
        public var team: String?

        public init(title: String, description: String = "", priority: TaskPriority = .normal, location: Coordinate?,
                    source: TaskSource, team: String? = nil) {
            self.title = title
            self.description = description
            self.priority = priority
            self.location = location
            self.source = source
            self.team = team
        }
    }

    /// A unit that could go: how far it is and how long it would take.
    public struct Suggestion: Sendable, Hashable {
        public var unit: UnitSummary
        public var distanceMetres: Double
        public var etaSeconds: Double
        public var positionAgeSeconds: Double
    }

    /// How dispatching went for one unit.
    public struct DispatchOutcome: Sendable, Hashable {
        public var unit: String
        public var page: Page?
        public var error: String?
    }

    public nonisolated let settings: Settings
    let store: any FleetStorage
    let sink: any RecordSink
    let radios: RadioNetwork
    let logger: Logger
    /// The service's clock (tests move it); the API shows SLA standings at this time.
    public nonisolated let now: @Sendable () -> Timestamp
    /// Statuses and page updates from the radio gateways.
    public nonisolated let inbox: TaskInbox
    /// Unfinished tasks (all of them, once loaded) and recently closed ones, by id.
    private var cache: [String: DispatchTask] = [:]
    private var loaded = false
    private var lastID: Int64 = 0

    public init(settings: Settings = Settings(), store: any FleetStorage, sink: any RecordSink, radios: RadioNetwork, inbox: TaskInbox = TaskInbox(),
                logger: Logger, now: @escaping @Sendable () -> Timestamp = { .now() }) {
        self.settings = settings
        self.store = store
        self.sink = sink
        self.radios = radios
        self.logger = logger
        self.now = now
        self.inbox = inbox
    }

    public func run() async throws {
        do { try await loadIfNeeded() } catch {
            logger.error("cannot read the unfinished tasks; retrying on the next change", metadata: ["store.error": "\(error)"])
        }
        let tick = Duration.milliseconds(Int64(settings.tickSeconds * 1000))
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: tick)
                        if Task.isCancelled { break }
                        await self.checkDeadlines()
                    }
                }
                for await records in inbox.stream { await handle(records) }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.inbox.finish()
        }
    }

    // MARK: Reading

    public func task(id: String) async throws -> DispatchTask? {
        if let t = cache[id] { return t }
        return try await store.task(id: id)
    }

    /// `list` (read from the store) with the fresher copies memory holds (the writer batches).
    public func freshest(_ list: [DispatchTask]) -> [DispatchTask] { list.map { cache[$0.id] ?? $0 } }

    /// Unfinished tasks with units on them, by unit: who is busy.
    public func busyUnits() async throws -> [String: String] {
        try await loadIfNeeded()
        var busy: [String: String] = [:]
        for t in cache.values.sorted(by: { $0.createdAt < $1.createdAt }) { for u in t.activeUnits { busy[u] = t.id } }
        return busy
    }

    /// The nearest units that could go to `point`: radios and drones with a position no older
    /// than `positionMaxAgeSeconds`, not busy on an unfinished task, whose last status is not
    /// `unavailable`; nearest first.
    public func suggestions(near point: Coordinate, kinds: Set<UnitKind> = [.radio, .drone], limit: Int = 10) async throws -> [Suggestion] {
        let t = now()
        let busy = try await busyUnits()
        let units = try await store.units()
        let recentStatuses = try await store.radioMessages(since: t.adding(seconds: -12 * 3600), limit: 100_000)
        var lastMeaning: [String: String] = [:]
        for m in recentStatuses where m.kind == .status && lastMeaning[m.unit] == nil { lastMeaning[m.unit] = m.meaning ?? "" }
        var out: [Suggestion] = []
        for u in units where kinds.contains(u.kind) && busy[u.id] == nil && lastMeaning[u.id] != "unavailable" {
            guard let p = u.position else { continue }
            let age = Double(t.milliseconds - p.time.milliseconds) / 1000
            guard age <= settings.positionMaxAgeSeconds else { continue }
            let d = Geodesy.distance(point, p.coordinate)
            out.append(Suggestion(unit: u, distanceMetres: d, etaSeconds: settings.travelSeconds(d, kind: u.kind), positionAgeSeconds: max(0, age)))
        }
        out.sort { $0.distanceMetres == $1.distanceMetres ? $0.unit.id < $1.unit.id : $0.distanceMetres < $1.distanceMetres }
        return Array(out.prefix(limit))
    }

    /// Figures per team for `from...to`.
    public func statistics(from: Timestamp, to: Timestamp) async throws -> [TaskTeamStatistics] {
        TaskTeamStatistics.compute(try await store.tasksTouching(from: from, to: to), from: from, to: to, now: now())
    }

    // MARK: Changes

    public func create(_ new: NewTask, by user: String) async throws -> DispatchTask {
        try await audited(user, "task.create", "tasks") {
            let title = new.title.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !title.isEmpty else { throw Failure(.invalid, "say what the task is", field: "title") }
            guard title.count <= 200 else { throw Failure(.invalid, "at most 200 characters (\(title.count) given)", field: "title") }
            guard new.description.count <= 4000 else { throw Failure(.invalid, "at most 4000 characters", field: "description") }
            if let c = new.location, !c.isValid { throw Failure(.invalid, "latitude must lie in -90…90 and longitude in -180…180", field: "location") }
            var location = new.location
            var units: [UnitSummary]?
            func unitsOnce() async throws -> [UnitSummary] {
                if let units { return units }
                let u = try await store.units()
                units = u
                return u
            }
            switch new.source.kind {
            case .alarm:
                guard let id = new.source.alarm, !id.isEmpty else { throw Failure(.invalid, "a task from an alarm names the alarm id", field: "source.alarm") }
                guard let alarm = try await store.alarm(id: id) else {
                    throw Failure(.invalid, "no alarm \(id.prefix(80)); GET /api/v1/alarms lists them", field: "source.alarm")
                }
                if location == nil { location = try await unitsOnce().first { $0.id == alarm.unit }?.position?.coordinate }
            case .drone:
                guard let id = new.source.drone, !id.isEmpty else { throw Failure(.invalid, "a drone finding names the drone serial", field: "source.drone") }
                guard let drone = try await unitsOnce().first(where: { $0.id == id && $0.kind == .drone }) else {
                    throw Failure(.invalid, "\(id.prefix(64)) is not a registered drone", field: "source.drone")
                }
                if location == nil { location = drone.position?.coordinate }
            case .point:
                guard location != nil else { throw Failure(.invalid, "a task from a map point needs the point {lat, lon}", field: "location") }
            }
            guard let location else {
                throw Failure(.invalid, "the \(new.source.kind.rawValue)'s unit has no known position; give the location {lat, lon}", field: "location")
            }
            if let team = new.team {
                let formations = try await store.registry().formations
                guard formations.contains(where: { $0.id == team }) else {
                    throw Failure(.invalid, "\(team.prefix(40)) is not a formation of the registry (GET /api/v1/registry lists them)", field: "team")
                }
            }
            let t = now()
            var task = DispatchTask(id: nextID(t), title: title, description: new.description, priority: new.priority, location: location,
                                    source: new.source, team: new.team, createdBy: user, createdAt: t, rules: settings.rules)
            task.history[0].detail = "from \(Self.describe(new.source)); contact due \(task.contactDeadline.iso8601), on site due \(task.onSiteDeadline.iso8601)"
            try await loadIfNeeded()
            return try await save(task, audit: AuditEntry(time: t, actor: user, action: "task.create", target: task.id, outcome: "ok",
                                                          detail: "\(task.priority.rawValue): \(title.prefix(80))"))
        }
    }

    /// Pages each of `units` (ISSIs, radio aliases, drone serials) with the task's text and puts
    /// them on the task. A unit busy on another unfinished task is refused unless `force`.
    /// Drones are put on the task without a page (they are not paged; their sortie is the lead's).
    public func dispatch(_ id: String, units requested: [String], by user: String, force: Bool = false) async throws -> (DispatchTask, [DispatchOutcome]) {
        try await audited(user, "task.dispatch", id) {
            guard !requested.isEmpty else { throw Failure(.invalid, "give at least one unit (ISSI, radio alias or drone serial)", field: "units") }
            guard requested.count <= 50 else { throw Failure(.invalid, "at most 50 units at once", field: "units") }
            let all = try await store.units()
            var byID: [String: UnitSummary] = [:]
            for u in all { byID[u.id] = u }
            var resolved: [UnitSummary] = []
            for text in requested {
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                if let u = byID[trimmed], u.kind == .radio || u.kind == .drone {
                    resolved.append(u)
                    continue
                }
                guard let found = try? radios.directory.resolve(trimmed) else {
                    throw Failure(.invalid, "\"\(text.prefix(40))\" is not a radio ISSI, a radio alias or a drone serial", field: "units")
                }
                let (issi, target) = found
                guard target == .radio else {
                    throw Failure(.invalid, "\(trimmed) is a talkgroup; a task is dispatched to radios one by one (their statuses move it)", field: "units")
                }
                resolved.append(byID[issi] ?? UnitSummary(id: issi, kind: .radio, name: issi, registered: false, formation: nil, lastSeen: nil, position: nil))
            }
            var seen = Set<String>()
            resolved = resolved.filter { seen.insert($0.id).inserted }
            var task = try await current(id)
            // From here to the hand-over to the sink nothing waits: no other change interleaves.
            if task.state.isFinal {
                throw Failure(.conflict, "task \(id) is \(task.state.rawValue)\(task.state == .done ? "; reopen it first" : "")")
            }
            let busy = cache.values.filter { $0.id != id }.flatMap { t in t.activeUnits.map { ($0, t.id) } }
            let busyMap = Dictionary(busy, uniquingKeysWith: { a, _ in a })
            if !force, let clash = resolved.first(where: { busyMap[$0.id] != nil }) {
                throw Failure(.conflict, "\(clash.id) is busy on task \(busyMap[clash.id]!); dispatch with \"force\": true to send it anyway", field: "units")
            }
            let t = now()
            let text = Self.pageText(task)
            var outcomes: [DispatchOutcome] = []
            for u in resolved {
                if u.kind == .drone {
                    outcomes.append(DispatchOutcome(unit: u.id, page: nil, error: nil))
                    continue
                }
                do throws(RadioNetwork.Failure) {
                    outcomes.append(DispatchOutcome(unit: u.id, page: try radios.page(text, to: u.id, requestedBy: user), error: nil))
                } catch {
                    outcomes.append(DispatchOutcome(unit: u.id, page: nil, error: error.description))
                }
            }
            guard outcomes.contains(where: { $0.error == nil }) else {
                let why = outcomes.map { "\($0.unit): \($0.error ?? "")" }.joined(separator: "; ")
                throw Failure(.unavailable, "no unit could be paged: \(why)")
            }
            var lines: [String] = []
            for (u, o) in zip(resolved, outcomes) {
                if let error = o.error {
                    lines.append("\(u.id): page refused: \(error)")
                    continue
                }
                let assignment = TaskAssignment(unit: u.id, kind: u.kind, name: u.registered ? u.name : nil, formation: u.formation,
                                                assignedAt: t, assignedBy: user, page: o.page?.id, pageState: o.page?.state)
                if let i = task.assignments.firstIndex(where: { $0.unit == u.id }) { task.assignments[i] = assignment } else { task.assignments.append(assignment) }
                lines.append(o.page.map { "\(u.id): page \($0.id)" } ?? "\(u.id): drone, not paged")
                if task.team == nil, let f = u.formation { task.team = f }
            }
            let detail = lines.joined(separator: "; ")
            if task.state == .open {
                task.advance(to: .dispatched, at: t, by: user, action: "dispatched", detail: detail)
            } else {
                task.note("dispatched", at: t, by: user, detail)
            }
            let saved = try await save(task, audit: AuditEntry(time: t, actor: user, action: "task.dispatch", target: id, outcome: "ok", detail: detail))
            return (saved, outcomes)
        }
    }

    /// Moves a task forward by hand (accepted, en_route, on_scene, done).
    public func setState(_ id: String, to target: TaskState, by user: String, note: String?) async throws -> DispatchTask {
        try await audited(user, "task.state", id) {
            var task = try await current(id)
            if let why = TaskRules.refusal(moving: task, to: target) { throw Failure(target.rank < 0 || target.rank <= 1 ? .invalid : .conflict, why, field: "state") }
            let t = now()
            let detail = ["set by hand", note].compactMap { $0 }.joined(separator: ": ")
            task.advance(to: target, at: t, by: user, action: "state", detail: detail)
            return try await save(task, audit: AuditEntry(time: t, actor: user, action: "task.state", target: id, outcome: "ok",
                                                          detail: "\(target.rawValue)\(note.map { ": \($0)" } ?? "")"))
        }
    }

    public func cancel(_ id: String, by user: String, reason: String) async throws -> DispatchTask {
        try await audited(user, "task.cancel", id) {
            let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !why.isEmpty else { throw Failure(.invalid, "say why the task is canceled", field: "reason") }
            var task = try await current(id)
            guard !task.state.isFinal else { throw Failure(.conflict, "task \(id) is already \(task.state.rawValue)") }
            let t = now()
            task.advance(to: .canceled, at: t, by: user, action: "canceled", detail: why)
            return try await save(task, audit: AuditEntry(time: t, actor: user, action: "task.cancel", target: id, outcome: "ok", detail: why))
        }
    }

    /// Reopens a done task: back to open, its units released; counted as rework.
    public func reopen(_ id: String, by user: String, reason: String) async throws -> DispatchTask {
        try await audited(user, "task.reopen", id) {
            let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !why.isEmpty else { throw Failure(.invalid, "say why the task is reopened", field: "reason") }
            var task = try await current(id)
            guard task.state == .done else { throw Failure(.conflict, "only a done task can be reopened; task \(id) is \(task.state.rawValue)") }
            let t = now()
            task.state = .open
            task.closedAt = nil
            task.reopenCount += 1
            for i in task.assignments.indices { task.assignments[i].active = false }
            task.history.append(TaskStep(action: "reopened", time: t, actor: user, state: .open, detail: "rework \(task.reopenCount): \(why)"))
            return try await save(task, audit: AuditEntry(time: t, actor: user, action: "task.reopen", target: id, outcome: "ok", detail: why))
        }
    }

    // MARK: Statuses, pages and deadlines

    /// Applies statuses from radios and page updates to the tasks they concern.
    public func handle(_ records: [StoreRecord]) async {
        do { try await loadIfNeeded() } catch {
            logger.error("cannot read the unfinished tasks; a status or page update is not applied", metadata: ["store.error": "\(error)"])
            return
        }
        var changed: [String: DispatchTask] = [:]
        var audits: [StoreRecord] = []
        func get(_ id: String) -> DispatchTask? { changed[id] ?? cache[id] }
        for record in records {
            switch record {
            case .radioMessage(let m) where m.kind == .status:
                // The most recent unfinished task the unit is active on.
                guard var task = cache.values.compactMap({ get($0.id) })
                    .filter({ $0.activeUnits.contains(m.unit) })
                    .max(by: { a, b in
                        (a.assignments.first { $0.unit == m.unit }?.assignedAt ?? a.createdAt) < (b.assignments.first { $0.unit == m.unit }?.assignedAt ?? b.createdAt)
                    }) else { continue }
                let label = m.text ?? m.status.map { String(format: "0x%04X", $0) } ?? "status"
                let meaning = m.meaning ?? "unknown"
                if let i = task.assignments.firstIndex(where: { $0.unit == m.unit }) {
                    task.assignments[i].status = m.meaning ?? label
                    task.assignments[i].statusAt = m.time
                }
                let actor = "radio \(m.unit)"
                let said = "\(m.unit) sent \(label) (\(meaning))"
                if let target = TaskStatusMapping.target(meaning: m.meaning, current: task.state), TaskRules.refusal(moving: task, to: target) == nil {
                    task.advance(to: target, at: m.time, by: actor, action: "status", detail: said)
                    audits.append(.audit(AuditEntry(time: m.time, actor: actor, action: "task.status", target: task.id, outcome: "ok",
                                                    detail: "\(said): \(target.rawValue)")))
                } else {
                    task.note("status", at: m.time, by: actor, "\(said); the task stays \(task.state.rawValue)")
                }
                changed[task.id] = task
            case .page(let p):
                guard p.state >= .sent else { continue }
                guard var task = cache.values.compactMap({ get($0.id) }).first(where: { t in t.assignments.contains { $0.page == p.id } }),
                      let i = task.assignments.firstIndex(where: { $0.page == p.id }), task.assignments[i].pageState != p.state else { continue }
                task.assignments[i].pageState = p.state
                let detail = p.history.last?.detail.map { ": \($0)" } ?? ""
                task.note("page", at: p.updated, by: "radio \(p.destination)", "page \(p.id) to \(p.destination) \(p.state)\(detail)")
                changed[task.id] = task
            default:
                continue
            }
        }
        guard !changed.isEmpty else { return }
        for t in changed.values { cache[t.id] = t }
        sink.submit(changed.values.sorted { $0.id < $1.id }.map { .task($0) } + audits)
    }

    /// Escalates every SLA missed and not yet escalated: an alarm (it pops up with the others), a
    /// history step, an audit line; the task record carries it to the live feed.
    @discardableResult
    public func checkDeadlines() async -> [(task: String, sla: TaskSLA)] {
        do { try await loadIfNeeded() } catch {
            logger.error("cannot read the unfinished tasks; SLA deadlines not checked", metadata: ["store.error": "\(error)"])
            return []
        }
        let t = now()
        var records: [StoreRecord] = []
        var escalated: [(String, TaskSLA)] = []
        for var task in cache.values.sorted(by: { $0.createdAt < $1.createdAt }) {
            let due = task.dueEscalations(now: t)
            guard !due.isEmpty else { continue }
            for sla in due {
                let status = task.sla(sla, now: t)
                let what = sla == .contact ? "no contact (accepted)" : "no unit on scene"
                let minutes = Int((Double(status.deadline.milliseconds - task.createdAt.milliseconds) / 60_000).rounded())
                let late = status.metAt.map { "; met late at \($0.iso8601)" } ?? ""
                let units = task.activeUnits.isEmpty ? "no units on it" : "units \(task.activeUnits.joined(separator: ", "))"
                let text = "Task \(task.id) \"\(task.title.prefix(60))\": \(what) within \(minutes) min of creation (deadline \(status.deadline.iso8601))\(late); state \(task.state.rawValue), \(units)"
                if sla == .contact { task.contactEscalatedAt = t } else { task.onSiteEscalatedAt = t }
                task.note("escalated", at: t, by: "controller", "\(sla.rawValue) SLA missed: \(text)")
                records.append(.alarm(Alarm(id: "task-sla-\(task.id)-\(sla.rawValue)", unit: task.id, time: t, kind: "task_sla",
                                            severity: sla == .contact ? .warning : .critical, code: "sla-\(sla.rawValue)", text: text)))
                records.append(.audit(AuditEntry(time: t, actor: "controller", action: "task.escalate", target: task.id, outcome: "missed",
                                                 detail: "\(sla.rawValue): \(text)")))
                escalated.append((task.id, sla))
                logger.warning("task SLA missed; escalated", metadata: ["task.id": "\(task.id)", "task.sla": "\(sla.rawValue)"])
            }
            cache[task.id] = task
            records.append(.task(task))
        }
        // Closed tasks stay in memory for an hour (long committed by then), then only in the store.
        let cutoff = t.adding(seconds: -3600)
        cache = cache.filter { !$0.value.state.isFinal || ($0.value.closedAt ?? t) > cutoff }
        if !records.isEmpty { sink.submit(records) }
        return escalated
    }

    // MARK: Helpers

    private func loadIfNeeded() async throws {
        guard !loaded else { return }
        let open = try await store.unfinishedTasks()
        guard !loaded else { return }
        for t in open where cache[t.id] == nil { cache[t.id] = t }
        loaded = true
    }

    /// The task as it is now (memory first), or 404. Callers change it without waiting afterwards.
    private func current(_ id: String) async throws -> DispatchTask {
        try await loadIfNeeded()
        if let t = cache[id] { return t }
        guard let stored = try await store.task(id: id) else { throw Failure(.notFound, "no task \(id.prefix(64)); GET /api/v1/tasks lists them") }
        if cache[id] == nil { cache[id] = stored }
        return cache[id]!
    }

    /// Keeps `task`, hands it and its audit line to the sink, and returns once both are committed.
    private func save(_ task: DispatchTask, audit: AuditEntry) async throws -> DispatchTask {
        cache[task.id] = task
        try await sink.waitUntilCommitted(sink.submit([.task(task), .audit(audit)]))
        return task
    }

    /// Runs `body`; a failure is audited as refused under `action` and rethrown.
    private func audited<T: Sendable>(_ user: String, _ action: String, _ target: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let f as Failure {
            sink.submit([.audit(AuditEntry(time: now(), actor: user, action: action, target: String(target.prefix(64)), outcome: "refused",
                                           detail: f.description))])
            throw f
        }
    }

    /// `TK-` and the creation time in base 36 (a millisecond later for a second task in the same one).
    private func nextID(_ t: Timestamp) -> String {
        lastID = max(lastID + 1, t.milliseconds)
        return "TK-" + String(lastID, radix: 36).uppercased()
    }

    static func describe(_ s: TaskSource) -> String {
        switch s.kind {
        case .alarm: "alarm \(s.alarm ?? "?")"
        case .point: "a map point"
        case .drone: "a finding of drone \(s.drone ?? "?")\(s.note.map { ": \($0)" } ?? "")"
        }
    }

    /// The page a dispatched unit gets, fitted into one SDS: `TK-… [URGENT] title @lat,lon`; the
    /// title is shortened when the whole does not fit.
    /// The longest page that fits every network's one message: a TETRA SDS carries 668 bits of
    /// user data (RadioLink's `SDSCodec.defaultMaximumBits`), the tightest of the gateways.
    public static let defaultPageBits = 668

    public static func pageText(_ task: DispatchTask, maximumBits: Int = defaultPageBits) -> String {
        let prefix = task.id + (task.priority == .urgent || task.priority == .high ? " \(task.priority.rawValue.uppercased())" : "")
        let suffix = String(format: " @%.5f,%.5f", task.location.latitude, task.location.longitude)
        let title = task.title.replacingOccurrences(of: "\n", with: " ")
        func fits(_ text: String) -> Bool {
            let latin = text.unicodeScalars.allSatisfy { $0.value <= 0xFF }
            return (latin ? text.unicodeScalars.count : text.utf16.count * 2) + 4 <= maximumBits / 8
        }
        let whole = "\(prefix) \(title)\(suffix)"
        if fits(whole) { return whole }
        var short = title
        while !short.isEmpty, !fits("\(prefix) \(short)..\(suffix)") { short.removeLast() }
        if short.isEmpty { return fits(prefix + suffix) ? prefix + suffix : prefix }
        return "\(prefix) \(short)..\(suffix)"
    }
}

/// Where the radio gateways hand their records for the task service (a gateway's observer):
/// statuses move tasks, page updates follow the pages. Made before the gateways and the service
/// (each needs the other). `observe` never waits; beyond 10,000 batches waiting the oldest go.
public final class TaskInbox: Sendable {
    let stream: AsyncStream<[StoreRecord]>
    private let continuation: AsyncStream<[StoreRecord]>.Continuation
    private let droppedBatches = Atomic<Int>(0)

    /// Batches dropped because the task service fell 10,000 behind (their statuses did not move tasks).
    public var dropped: Int { droppedBatches.load(ordering: .relaxed) }

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: [StoreRecord].self, bufferingPolicy: .bufferingNewest(10_000))
    }

    @Sendable public func observe(_ records: [StoreRecord]) {
        let relevant = records.filter {
            switch $0 {
            case .radioMessage(let m): m.kind == .status
            case .page: true
            default: false
            }
        }
        guard !relevant.isEmpty else { return }
        if case .dropped = continuation.yield(relevant) { droppedBatches.add(1, ordering: .relaxed) }
    }

    func finish() { continuation.finish() }
}
