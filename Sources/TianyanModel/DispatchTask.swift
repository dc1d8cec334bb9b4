import Foundation

/// Where a dispatch task stands. It moves forward only: open → dispatched (units paged) →
/// accepted → en route → on scene → done; canceled from any state before done. A dispatcher may
/// reopen a done task (it goes back to open and counts as rework).
public enum TaskState: String, Hashable, Sendable, Codable, CaseIterable {
    case open
    case dispatched
    case accepted
    case enRoute = "en_route"
    case onScene = "on_scene"
    case done
    case canceled

    /// Progress order; canceled is outside it.
    public var rank: Int {
        switch self {
        case .open: 0
        case .dispatched: 1
        case .accepted: 2
        case .enRoute: 3
        case .onScene: 4
        case .done: 5
        case .canceled: -1
        }
    }

    public var isFinal: Bool { self == .done || self == .canceled }
    /// Units are working on it (paged and not finished): they are busy.
    public var isActive: Bool { rank >= 1 && rank <= 4 }
}

public enum TaskPriority: String, Hashable, Sendable, Codable, CaseIterable {
    case low, normal, high, urgent
}

/// What the task came from: an alarm, a point a dispatcher picked on the map, or something a
/// drone found (the drone, and where; the note says what).
public struct TaskSource: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case alarm, point, drone
    }

    public var kind: Kind
    /// The alarm id, for an alarm.
    public var alarm: String?
    /// The drone serial, for a drone finding.
    public var drone: String?
    public var note: String?

    public init(kind: Kind, alarm: String? = nil, drone: String? = nil, note: String? = nil) {
        self.kind = kind
        self.alarm = alarm
        self.drone = drone
        self.note = note
    }
}

/// A unit put on a task: the page that told it (its id, and how far it got), and the last
/// status the unit sent while on the task.
public struct TaskAssignment: Hashable, Sendable, Codable {
    public var unit: String
    public var kind: UnitKind
    /// "alias (person)" of a registered radio, the name of a drone.
    public var name: String?
    /// The unit's formation (team), when the registry says.
    public var formation: String?
    public var assignedAt: Timestamp
    public var assignedBy: String
    /// The page sent to the unit (nil for a drone: drones are not paged).
    public var page: String?
    /// The page's latest state: queued … sent, received, read, or failed.
    public var pageState: PageState?
    /// The unit's last status on this task (`accepted`, `en_route`, … or the status label).
    public var status: String?
    public var statusAt: Timestamp?
    /// False once the task was reopened (the unit was released).
    public var active: Bool

    public init(unit: String, kind: UnitKind, name: String?, formation: String?, assignedAt: Timestamp, assignedBy: String,
                page: String?, pageState: PageState?, status: String? = nil, statusAt: Timestamp? = nil, active: Bool = true) {
        self.unit = unit
        self.kind = kind
        self.name = name
        self.formation = formation
        self.assignedAt = assignedAt
        self.assignedBy = assignedBy
        self.page = page
        self.pageState = pageState
        self.status = status
        self.statusAt = statusAt
        self.active = active
    }
}

/// One step of a task's life: what happened, who or what did it, and the state after it.
public struct TaskStep: Hashable, Sendable, Codable {
    /// `created`, `dispatched`, `page`, `status`, `state`, `canceled`, `reopened`, `escalated`, `refused`.
    public var action: String
    public var time: Timestamp
    /// A user name, a radio (`radio 2100001`), or `controller` for the SLA watch.
    public var actor: String
    public var state: TaskState
    public var detail: String?

    public init(action: String, time: Timestamp, actor: String, state: TaskState, detail: String? = nil) {
        self.action = action
        self.time = time
        self.actor = actor
        self.state = state
        self.detail = detail
    }
}

/// A dispatch task: something on the ground that units are sent to.
public struct DispatchTask: Hashable, Sendable, Codable {
    public var id: String
    public var title: String
    public var description: String
    public var priority: TaskPriority
    /// WGS-84.
    public var location: Coordinate
    public var source: TaskSource
    /// The formation (team) the task belongs to: given at creation, else the formation of the
    /// first dispatched unit that has one.
    public var team: String?
    public var createdBy: String
    public var createdAt: Timestamp
    public var state: TaskState
    public var assignments: [TaskAssignment]
    /// First contact: the first time the task reached accepted (or any later state).
    public var contactAt: Timestamp?
    /// The first time it reached on scene (or done).
    public var onSceneAt: Timestamp?
    /// When it was done or canceled (nil while it is not, and again after a reopen).
    public var closedAt: Timestamp?
    /// Times reopened after done.
    public var reopenCount: Int
    /// The SLA deadlines, fixed at creation by the rules then in force.
    public var contactDeadline: Timestamp
    public var onSiteDeadline: Timestamp
    /// When each SLA's miss was escalated (once per SLA).
    public var contactEscalatedAt: Timestamp?
    public var onSiteEscalatedAt: Timestamp?
    public var history: [TaskStep]

    public init(id: String, title: String, description: String, priority: TaskPriority, location: Coordinate, source: TaskSource,
                team: String?, createdBy: String, createdAt: Timestamp, rules: TaskRules = TaskRules()) {
        self.id = id
        self.title = title
        self.description = description
        self.priority = priority
        self.location = location
        self.source = source
        self.team = team
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.state = .open
        self.assignments = []
        self.reopenCount = 0
        self.contactDeadline = createdAt.adding(seconds: rules.contactSeconds)
        self.onSiteDeadline = createdAt.adding(seconds: rules.onSiteSeconds)
        self.history = [TaskStep(action: "created", time: createdAt, actor: createdBy, state: .open)]
    }

    /// When it last changed.
    public var updated: Timestamp { history.last?.time ?? createdAt }

    /// Units working on it now.
    public var activeUnits: [String] { state.isActive ? assignments.filter(\.active).map(\.unit) : [] }
}

/// The service levels a task is held to, and how it may move. Pure.
public struct TaskRules: Sendable, Hashable {
    /// Contact (accepted) within this many seconds of creation.
    public var contactSeconds: Double
    /// On scene within this many seconds of creation.
    public var onSiteSeconds: Double

    public init(contactSeconds: Double = 30 * 60, onSiteSeconds: Double = 60 * 60) {
        self.contactSeconds = contactSeconds
        self.onSiteSeconds = onSiteSeconds
    }

    /// Why `task` cannot move to `target` by hand or by a unit's status, or nil when it can.
    /// Forward only, from dispatched on; dispatching, canceling and reopening have their own routes.
    public static func refusal(moving task: DispatchTask, to target: TaskState) -> String? {
        switch target {
        case .open: return "a task goes back to open only by reopening it (POST /api/v1/tasks/{id}/reopen), and only from done"
        case .dispatched: return "a task is dispatched by paging units (POST /api/v1/tasks/{id}/dispatch)"
        case .canceled: return "cancel a task with POST /api/v1/tasks/{id}/cancel"
        default: break
        }
        if task.state.isFinal { return "task \(task.id) is \(task.state.rawValue)" }
        if task.state == .open { return "task \(task.id) is open: dispatch units first" }
        if target.rank <= task.state.rank {
            return "task \(task.id) is already \(task.state.rawValue); it only moves forward (\(TaskState.progress))"
        }
        return nil
    }
}

/// A task's service levels: contact (the task accepted) and on site (on scene), each with a
/// deadline fixed when the task was created.
public enum TaskSLA: String, Sendable, Hashable, CaseIterable {
    case contact
    case onSite = "on_site"

    /// Where one SLA stands: `running` (not met, deadline ahead), `met` (in time), `missed` (late, or
    /// not met by the deadline), `stopped` (the task was closed before the deadline without meeting it).
    public struct Status: Sendable, Hashable {
        public enum State: String, Sendable, Hashable { case running, met, missed, stopped }
        public var sla: TaskSLA
        public var deadline: Timestamp
        public var metAt: Timestamp?
        public var state: State
        public var escalatedAt: Timestamp?
        /// Seconds left to the deadline, while running.
        public var remainingSeconds: Double?
    }
}

extension DispatchTask {
    public func deadline(_ sla: TaskSLA) -> Timestamp { sla == .contact ? contactDeadline : onSiteDeadline }

    public func sla(_ sla: TaskSLA, now: Timestamp) -> TaskSLA.Status {
        let deadline = deadline(sla)
        let metAt = sla == .contact ? contactAt : onSceneAt
        let escalated = sla == .contact ? contactEscalatedAt : onSiteEscalatedAt
        let state: TaskSLA.Status.State
        var remaining: Double?
        if let metAt {
            state = metAt <= deadline ? .met : .missed
        } else {
            // A closed task is judged at its closing time; an open one now.
            let end = self.state.isFinal ? (closedAt ?? now) : now
            if end > deadline {
                state = .missed
            } else if self.state.isFinal {
                state = .stopped
            } else {
                state = .running
                remaining = Double(deadline.milliseconds - now.milliseconds) / 1000
            }
        }
        return TaskSLA.Status(sla: sla, deadline: deadline, metAt: metAt, state: state, escalatedAt: escalated, remainingSeconds: remaining)
    }

    /// The SLAs missed and not yet escalated.
    public func dueEscalations(now: Timestamp) -> [TaskSLA] {
        TaskSLA.allCases.filter { s in
            let status = sla(s, now: now)
            return status.state == .missed && status.escalatedAt == nil
        }
    }

    /// Both SLAs met.
    public func isOnTime(now: Timestamp) -> Bool {
        TaskSLA.allCases.allSatisfy { sla($0, now: now).state == .met }
    }
}

extension TaskState {
    static let progress = "open → dispatched → accepted → en_route → on_scene → done"
}

extension DispatchTask {
    /// Moves to `target` (already checked), noting the first contact and arrival: a later step
    /// counts for the earlier ones (on scene without an accepted status is also contact).
    public mutating func advance(to target: TaskState, at time: Timestamp, by actor: String, action: String, detail: String?) {
        state = target
        if target.rank >= TaskState.accepted.rank, contactAt == nil { contactAt = time }
        if target.rank >= TaskState.onScene.rank, onSceneAt == nil { onSceneAt = time }
        if target.isFinal { closedAt = time }
        history.append(TaskStep(action: action, time: time, actor: actor, state: target, detail: detail))
    }

    public mutating func note(_ action: String, at time: Timestamp, by actor: String, _ detail: String?) {
        history.append(TaskStep(action: action, time: time, actor: actor, state: state, detail: detail))
    }
}

/// What a radio's status means for a task, from the meaning the gateway's profile gives it
/// (`RadioStatusMeaning.Kind` raw values). Pure.
///
/// | meaning (and spellings taken for it)                 | the task moves to                    |
/// |------------------------------------------------------|--------------------------------------|
/// | accepted (ack, acknowledged, accept)                 | accepted                             |
/// | en_route (enroute, en route, on_the_way, responding) | en_route                             |
/// | on_scene (onscene, on_site, at_scene, arrived)       | on_scene                             |
/// | done (finished, complete, completed, closed)         | done                                 |
/// | available (free, idle), only while on_scene          | done (the unit is free again)        |
/// | anything else (unavailable, other, emergency, none)  | no move; noted in the history        |
///
/// A status that would not move the task forward (it is already there or further) is noted only.
public enum TaskStatusMapping {
    public static func target(meaning: String?, current: TaskState) -> TaskState? {
        guard let meaning else { return nil }
        let m = meaning.lowercased().trimmingCharacters(in: .whitespaces)
            .map { $0 == " " || $0 == "-" ? "_" : $0 }.reduce(into: "") { $0.append($1) }
        switch m {
        case "accepted", "accept", "ack", "acknowledged": return .accepted
        case "en_route", "enroute", "on_the_way", "responding": return .enRoute
        case "on_scene", "onscene", "on_site", "at_scene", "arrived": return .onScene
        case "done", "finished", "complete", "completed", "closed": return .done
        case "available", "free", "idle": return current == .onScene ? .done : nil
        default: return nil
        }
    }
}

/// One team's figures over a time range (`GET /api/v1/tasks/stats`).
public struct TaskTeamStatistics: Hashable, Sendable {
    /// Formation id, or nil for tasks without a team.
    public var team: String?
    /// Tasks created in the range.
    public var created: Int
    /// Tasks done (closed) in the range.
    public var closed: Int
    /// Of those, with both SLAs met.
    public var closedOnTime: Int
    /// Of those, reopened at least once.
    public var reworked: Int
    public var canceled: Int
    /// Mean seconds from creation to contact and to on scene, over the closed tasks.
    public var meanContactSeconds: Double?
    public var meanOnSiteSeconds: Double?

    public var onTimeRate: Double? { closed == 0 ? nil : Double(closedOnTime) / Double(closed) }
    public var reworkRate: Double? { closed == 0 ? nil : Double(reworked) / Double(closed) }

    /// Figures per team for tasks created or closed within `from...to`.
    public static func compute(_ tasks: [DispatchTask], from: Timestamp, to: Timestamp, now: Timestamp) -> [TaskTeamStatistics] {
        var byTeam: [String: TaskTeamStatistics] = [:]
        var contact: [String: [Double]] = [:], onSite: [String: [Double]] = [:]
        func key(_ t: DispatchTask) -> String { t.team ?? "" }
        for t in tasks {
            let k = key(t)
            var s = byTeam[k] ?? TaskTeamStatistics(team: t.team, created: 0, closed: 0, closedOnTime: 0, reworked: 0, canceled: 0)
            if t.createdAt >= from && t.createdAt <= to { s.created += 1 }
            if let closed = t.closedAt, closed >= from, closed <= to {
                if t.state == .done {
                    s.closed += 1
                    if t.isOnTime(now: now) { s.closedOnTime += 1 }
                    if t.reopenCount > 0 { s.reworked += 1 }
                    if let c = t.contactAt { contact[k, default: []].append(Double(c.milliseconds - t.createdAt.milliseconds) / 1000) }
                    if let o = t.onSceneAt { onSite[k, default: []].append(Double(o.milliseconds - t.createdAt.milliseconds) / 1000) }
                } else if t.state == .canceled {
                    s.canceled += 1
                }
            }
            byTeam[k] = s
        }
        func mean(_ v: [Double]?) -> Double? { v.flatMap { $0.isEmpty ? nil : $0.reduce(0, +) / Double($0.count) } }
        return byTeam.map { k, s in
            var s = s
            s.meanContactSeconds = mean(contact[k])
            s.meanOnSiteSeconds = mean(onSite[k])
            return s
        }
        .filter { $0.created + $0.closed + $0.canceled > 0 }
        .sorted { ($0.team ?? "~") < ($1.team ?? "~") }
    }
}
