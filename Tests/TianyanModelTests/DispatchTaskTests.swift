import Testing
import TianyanModel

/// The task's state machine, SLA standing and team figures: pure, on fixed times.
@Suite("Dispatch task rules")
struct DispatchTaskTests {
    static let t0 = Timestamp(milliseconds: 1_764_000_000_000)

    static func task(_ id: String = "TK-1", team: String? = "F001", at t: Timestamp = t0) -> DispatchTask {
        DispatchTask(id: id, title: "smoke", description: "", priority: .normal, location: Coordinate(latitude: 22.8, longitude: 113.8),
                     source: TaskSource(kind: .point), team: team, createdBy: "disp", createdAt: t)
    }

    static func minutes(_ m: Double) -> Timestamp { t0.adding(seconds: m * 60) }

    @Test("forward only from dispatched; open, dispatched and canceled have their own routes; a final task does not move")
    func stateMachine() {
        var t = Self.task()
        #expect(TaskRules.refusal(moving: t, to: .accepted)?.contains("dispatch units first") == true)
        #expect(TaskRules.refusal(moving: t, to: .dispatched)?.contains("/dispatch") == true)
        t.advance(to: .dispatched, at: Self.minutes(1), by: "disp", action: "dispatched", detail: nil)
        #expect(TaskRules.refusal(moving: t, to: .accepted) == nil)
        #expect(TaskRules.refusal(moving: t, to: .onScene) == nil, "steps may be skipped")
        t.advance(to: .onScene, at: Self.minutes(20), by: "radio 1", action: "status", detail: nil)
        #expect(t.contactAt == Self.minutes(20) && t.onSceneAt == Self.minutes(20), "on scene counts as contact too")
        #expect(TaskRules.refusal(moving: t, to: .enRoute)?.contains("only moves forward") == true)
        #expect(TaskRules.refusal(moving: t, to: .open)?.contains("reopen") == true)
        #expect(TaskRules.refusal(moving: t, to: .canceled)?.contains("/cancel") == true)
        t.advance(to: .done, at: Self.minutes(50), by: "disp", action: "state", detail: nil)
        #expect(t.closedAt == Self.minutes(50) && t.state.isFinal && t.activeUnits.isEmpty)
        #expect(TaskRules.refusal(moving: t, to: .done)?.contains("is done") == true)
        #expect(t.history.map(\.state) == [.open, .dispatched, .onScene, .done])
    }

    @Test("SLA: running with time left, met in time, missed when late or past the deadline, stopped when canceled early")
    func slaStanding() {
        var t = Self.task()
        #expect(t.contactDeadline == Self.minutes(30) && t.onSiteDeadline == Self.minutes(60))
        let running = t.sla(.contact, now: Self.minutes(10))
        #expect(running.state == .running && running.remainingSeconds == 1200)
        #expect(t.dueEscalations(now: Self.minutes(29)).isEmpty)
        #expect(t.sla(.contact, now: Self.minutes(30)).state == .running, "at the deadline itself it is not yet missed")
        #expect(t.sla(.contact, now: Self.minutes(31)).state == .missed)
        #expect(t.dueEscalations(now: Self.minutes(31)) == [.contact])
        #expect(t.dueEscalations(now: Self.minutes(61)) == [.contact, .onSite])
        t.contactEscalatedAt = Self.minutes(31)
        #expect(t.dueEscalations(now: Self.minutes(61)) == [.onSite], "escalated once")

        var met = Self.task()
        met.advance(to: .dispatched, at: Self.minutes(2), by: "d", action: "dispatched", detail: nil)
        met.advance(to: .accepted, at: Self.minutes(12), by: "r", action: "status", detail: nil)
        #expect(met.sla(.contact, now: Self.minutes(90)).state == .met)
        #expect(met.sla(.onSite, now: Self.minutes(90)).state == .missed, "accepted but never on scene")
        met.advance(to: .onScene, at: Self.minutes(70), by: "r", action: "status", detail: nil)
        #expect(met.sla(.onSite, now: Self.minutes(90)) .state == .missed && met.sla(.onSite, now: Self.minutes(90)).metAt == Self.minutes(70))
        #expect(!met.isOnTime(now: Self.minutes(90)))

        var canceled = Self.task()
        canceled.advance(to: .canceled, at: Self.minutes(5), by: "d", action: "canceled", detail: nil)
        #expect(canceled.sla(.contact, now: Self.minutes(500)).state == .stopped)
        #expect(canceled.dueEscalations(now: Self.minutes(500)).isEmpty, "a task canceled in time is never escalated")
        var canceledLate = Self.task()
        canceledLate.advance(to: .canceled, at: Self.minutes(45), by: "d", action: "canceled", detail: nil)
        #expect(canceledLate.sla(.contact, now: Self.minutes(500)).state == .missed)
        #expect(canceledLate.sla(.onSite, now: Self.minutes(500)).state == .stopped)

        let custom = DispatchTask(id: "TK-2", title: "x", description: "", priority: .low, location: Coordinate(latitude: 0, longitude: 0),
                                  source: TaskSource(kind: .point), team: nil, createdBy: "d", createdAt: Self.t0,
                                  rules: TaskRules(contactSeconds: 600, onSiteSeconds: 1200))
        #expect(custom.contactDeadline == Self.minutes(10) && custom.onSiteDeadline == Self.minutes(20))
    }

    @Test("status meanings map to states; available finishes only a task on scene; unknown meanings do not move", arguments: [
        ("accepted", TaskState.dispatched, TaskState?.some(.accepted)),
        ("ACK", .dispatched, .accepted),
        ("en_route", .dispatched, .enRoute),
        ("En route", .accepted, .enRoute),
        ("on-scene", .enRoute, .onScene),
        ("on_site", .enRoute, .onScene),
        ("done", .onScene, .done),
        ("completed", .accepted, .done),
        ("available", .onScene, .done),
        ("available", .enRoute, nil),
        ("unavailable", .dispatched, nil),
        ("other", .dispatched, nil),
        ("emergency", .dispatched, nil),
    ])
    func statusMapping(meaning: String, current: TaskState, expected: TaskState?) {
        #expect(TaskStatusMapping.target(meaning: meaning, current: current) == expected)
    }

    @Test("team figures: closed in range, on-time closure, rework, mean times; tasks without a team gathered")
    func teamStatistics() {
        func closed(_ id: String, team: String?, contact: Double, onScene: Double, done: Double, reopened: Int = 0) -> DispatchTask {
            var t = Self.task(id, team: team)
            t.advance(to: .dispatched, at: Self.minutes(1), by: "d", action: "dispatched", detail: nil)
            t.advance(to: .accepted, at: Self.minutes(contact), by: "r", action: "status", detail: nil)
            t.advance(to: .onScene, at: Self.minutes(onScene), by: "r", action: "status", detail: nil)
            t.advance(to: .done, at: Self.minutes(done), by: "r", action: "status", detail: nil)
            t.reopenCount = reopened
            return t
        }
        var canceled = Self.task("TK-C", team: "F002")
        canceled.advance(to: .canceled, at: Self.minutes(3), by: "d", action: "canceled", detail: nil)
        let tasks = [
            closed("TK-A", team: "F001", contact: 10, onScene: 40, done: 80),
            closed("TK-B", team: "F001", contact: 40, onScene: 50, done: 90, reopened: 1),
            closed("TK-L", team: "F001", contact: 10, onScene: 20, done: 2000),  // closed after the range
            canceled,
            closed("TK-N", team: nil, contact: 5, onScene: 15, done: 30),
        ]
        let stats = TaskTeamStatistics.compute(tasks, from: Self.t0, to: Self.minutes(1000), now: Self.minutes(3000))
        #expect(stats.map(\.team) == ["F001", "F002", nil])
        let f1 = stats[0]
        #expect(f1.created == 3 && f1.closed == 2 && f1.closedOnTime == 1 && f1.reworked == 1)
        #expect(f1.onTimeRate == 0.5 && f1.reworkRate == 0.5)
        #expect(f1.meanContactSeconds == 25 * 60 && f1.meanOnSiteSeconds == 45 * 60)
        #expect(stats[1].canceled == 1 && stats[1].closed == 0 && stats[1].onTimeRate == nil)
        #expect(stats[2].closed == 1 && stats[2].onTimeRate == 1)
    }
}
