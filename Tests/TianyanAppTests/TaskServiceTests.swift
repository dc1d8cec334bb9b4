import RecordWriter
import Foundation
import Logging
import Synchronization
import Testing
import TianyanApp
import TianyanDJI
@testable import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanSQLite
import TianyanTesting

/// The task service on a real SQLite file through the real writer, with a clock the test moves.
/// The gateway is configured but not connected: pages are queued, never sent.
@Suite("Dispatch task service")
struct TaskServiceTests {
    final class Clock: Sendable {
        private let time: Mutex<Timestamp>
        init(_ t: Timestamp) { time = Mutex(t) }
        var now: Timestamp { time.withLock { $0 } }
        func advance(minutes: Double) { time.withLock { $0 = $0.adding(seconds: minutes * 60) } }
    }

    struct Fixture {
        let dir: TemporaryDirectory
        let store: FleetStore
        let writer: StoreWriter
        let service: TaskService
        let clock: Clock
        let running: Task<Void, any Error>
        let registry: FleetRegistry

        func close() {
            running.cancel()
            dir.remove()
        }

        func committed() async throws { try await writer.flush() }
    }

    static func fixture(start: Timestamp = .now()) async throws -> Fixture {
        let dir = try TemporaryDirectory("tianyan-tasks")
        let database = try TianyanDatabase(location: dir.file("db.sqlite"))
        let store = FleetStore(database: database)
        let registry = FleetSample.make()
        try await store.replaceRegistry(registry)
        var logger = Logger(label: "test.tasks")
        logger.logLevel = .warning
        let writer = StoreWriter(database: database, configuration: .init(batchSize: 1000, maxDelay: .milliseconds(2)), logger: logger)
        let running = Task { try await writer.run() }
        var config = TianyanConfiguration()
        config.profilesDirectory = packageRoot() + "/firmware-profiles"
        config.gateways = [try RadioGatewaySetting(parsing: "g1=tcp://127.0.0.1:1")]
        let radios = try Controller(configuration: config, logger: logger).makeRadioNetwork(registry: registry, sink: writer)
        let clock = Clock(start)
        let service = TaskService(store: store, sink: writer, radios: radios, logger: logger, now: { clock.now })
        return Fixture(dir: dir, store: store, writer: writer, service: service, clock: clock, running: running, registry: registry)
    }

    static let point = Coordinate(latitude: 22.80, longitude: 113.80)

    static func status(_ unit: String, _ meaning: String, _ label: String, at t: Timestamp) -> StoreRecord {
        .radioMessage(RadioMessage(gateway: "g1", unit: unit, time: t, kind: .status, status: 0x8005, meaning: meaning, text: label))
    }

    @Test("create, dispatch two radios (pages kept on the task), statuses move it forward, stored as shown, every step audited")
    func lifecycle() async throws {
        let f = try await Self.fixture()
        defer { f.close() }
        let pilotRadio = f.registry.radios[0]  // a pilot's radio: its formation becomes the task's team
        let pilot = try #require(f.registry.pilots.first { $0.id == pilotRadio.pilot })
        let created = try await f.service.create(.init(title: "Smoke behind the market", priority: .high, location: Self.point,
                                                       source: TaskSource(kind: .point)), by: "disp")
        #expect(created.state == .open && created.team == nil && created.id.hasPrefix("TK-"))
        #expect(created.contactDeadline == f.clock.now.adding(seconds: 1800) && created.onSiteDeadline == f.clock.now.adding(seconds: 3600))

        f.clock.advance(minutes: 2)
        let (dispatched, outcomes) = try await f.service.dispatch(created.id, units: [pilotRadio.alias, "2100001"], by: "disp")
        #expect(outcomes.allSatisfy { $0.error == nil && $0.page != nil }, "\(outcomes)")
        #expect(dispatched.state == .dispatched && dispatched.team == pilot.formation)
        #expect(dispatched.assignments.map(\.unit) == [pilotRadio.issi, "2100001"])
        #expect(dispatched.assignments.map(\.page) == outcomes.map { $0.page?.id })
        #expect(dispatched.assignments.allSatisfy { $0.pageState == .queued })
        let text = try #require(outcomes.first?.page?.text)
        #expect(text.hasPrefix("\(created.id) HIGH Smoke behind the market @22.80000,113.80000"), "page text: \(text)")

        // The page reaching the radio shows on the task.
        var page = try #require(outcomes.first?.page)
        page.state = .received
        page.history.append(PageStep(state: .received, time: f.clock.now))
        await f.service.handle([.page(page)])
        // Statuses: one from a unit not on the task changes nothing; the task follows its units.
        await f.service.handle([Self.status("2100999", "en_route", "Status 3", at: f.clock.now)])
        f.clock.advance(minutes: 8)
        await f.service.handle([Self.status("2100001", "en_route", "Status 3: call accepted, en route", at: f.clock.now)])
        var t = try #require(try await f.service.task(id: created.id))
        #expect(t.state == .enRoute && t.contactAt == f.clock.now, "en route counts as contact")
        #expect(t.assignments.first?.pageState == .received && t.assignments.last?.status == "en_route")
        f.clock.advance(minutes: 5)
        await f.service.handle([Self.status("2100001", "unavailable", "Status 6", at: f.clock.now)])
        #expect(try await f.service.task(id: created.id)?.state == .enRoute, "unavailable does not move the task")
        await f.service.handle([Self.status(pilotRadio.issi, "on_scene", "Status 4: on scene", at: f.clock.now)])
        await f.service.handle([Self.status(pilotRadio.issi, "available", "Status 1", at: f.clock.now.adding(seconds: 600))])
        t = try #require(try await f.service.task(id: created.id))
        #expect(t.state == .done && t.onSceneAt == f.clock.now && t.isOnTime(now: f.clock.now))
        #expect(t.history.map(\.action) == ["created", "dispatched", "page", "status", "status", "status", "status"])
        #expect(t.history.last?.actor == "radio \(pilotRadio.issi)")

        // The store has exactly what memory has; the audit log every change.
        try await f.committed()
        #expect(try await f.store.task(id: created.id) == t)
        #expect(try await f.store.tasks(states: [.done], team: pilot.formation).map(\.id) == [created.id])
        #expect(try await f.store.tasks(states: [.open]).isEmpty)
        let audit = try await f.store.audit(limit: 100)
        let actions = audit.map(\.action)
        for expected in ["task.create", "task.dispatch", "page", "task.status"] {
            #expect(actions.contains(expected), "audit has no \(expected): \(actions)")
        }

        // Done: a status from its former unit no longer concerns it; reopen counts as rework.
        let reopened = try await f.service.reopen(created.id, by: "disp", reason: "the smoke is back")
        #expect(reopened.state == .open && reopened.reopenCount == 1 && reopened.closedAt == nil && reopened.activeUnits.isEmpty)
        #expect(reopened.contactAt == t.contactAt, "the SLAs stay as first measured")
        await f.service.handle([Self.status("2100001", "on_scene", "Status 4", at: f.clock.now)])
        #expect(try await f.service.task(id: created.id)?.state == .open)
    }

    @Test("refusals name the field or the conflict and are audited; a busy unit is refused unless forced")
    func refusals() async throws {
        let f = try await Self.fixture()
        defer { f.close() }
        func failure(_ body: () async throws -> Void) async -> TaskService.Failure? {
            do { try await body() } catch let e as TaskService.Failure { return e } catch { return nil }
            return nil
        }
        #expect(await failure { _ = try await f.service.create(.init(title: " ", location: Self.point, source: .init(kind: .point)), by: "d") }?.field == "title")
        #expect(await failure { _ = try await f.service.create(.init(title: "x", location: nil, source: .init(kind: .point)), by: "d") }?.field == "location")
        #expect(await failure { _ = try await f.service.create(.init(title: "x", location: nil, source: .init(kind: .alarm, alarm: "nope")), by: "d") }?.field == "source.alarm")
        #expect(await failure { _ = try await f.service.create(.init(title: "x", location: nil, source: .init(kind: .drone, drone: "nope")), by: "d") }?.field == "source.drone")
        #expect(await failure { _ = try await f.service.create(.init(title: "x", location: Self.point, source: .init(kind: .point), team: "F999"), by: "d") }?.field == "team")

        let a = try await f.service.create(.init(title: "A", location: Self.point, source: .init(kind: .point)), by: "d")
        let b = try await f.service.create(.init(title: "B", location: Self.point, source: .init(kind: .point)), by: "d")
        #expect(a.id != b.id)
        #expect(await failure { _ = try await f.service.setState(a.id, to: .accepted, by: "d", note: nil) }?.kind == .conflict)
        #expect(await failure { _ = try await f.service.dispatch(a.id, units: ["9001"], by: "d") }?.field == "units", "a talkgroup")
        #expect(await failure { _ = try await f.service.dispatch(a.id, units: ["no such"], by: "d") }?.field == "units")
        #expect(await failure { _ = try await f.service.dispatch("TK-NOPE", units: ["2100001"], by: "d") }?.kind == .notFound)
        _ = try await f.service.dispatch(a.id, units: ["2100001"], by: "d")
        let busy = await failure { _ = try await f.service.dispatch(b.id, units: ["2100001"], by: "d") }
        #expect(busy?.kind == .conflict && busy?.description.contains(a.id) == true)
        #expect(try await f.service.dispatch(b.id, units: ["2100001"], by: "d", force: true).0.state == .dispatched)
        _ = try await f.service.setState(a.id, to: .onScene, by: "d", note: "phoned in")
        #expect(await failure { _ = try await f.service.setState(a.id, to: .accepted, by: "d", note: nil) }?.kind == .conflict, "backwards")
        #expect(await failure { _ = try await f.service.reopen(a.id, by: "d", reason: "x") }?.kind == .conflict, "not done")
        #expect(await failure { _ = try await f.service.cancel(a.id, by: "d", reason: "") }?.field == "reason")
        #expect(try await f.service.cancel(a.id, by: "d", reason: "false alarm").state == .canceled)
        #expect(await failure { _ = try await f.service.cancel(a.id, by: "d", reason: "again") }?.kind == .conflict)

        try await f.committed()
        let refused = try await f.store.audit(limit: 100).filter { $0.outcome == "refused" }
        #expect(refused.filter { $0.action == "task.create" }.count == 5)
        #expect(refused.contains { $0.action == "task.dispatch" && $0.target == b.id && $0.detail?.contains("busy") == true })
        #expect(refused.contains { $0.action == "task.cancel" && $0.detail?.contains("reason") == true || $0.detail?.contains("say why") == true })
    }

    @Test("a missed SLA is escalated once: an alarm, a history step, an audit line; the clock is the test's")
    func escalation() async throws {
        let f = try await Self.fixture(start: Timestamp(milliseconds: 1_764_000_000_000))
        defer { f.close() }
        let t = try await f.service.create(.init(title: "Fallen tree", location: Self.point, source: .init(kind: .point)), by: "disp")
        _ = try await f.service.dispatch(t.id, units: ["2100001"], by: "disp")
        f.clock.advance(minutes: 29)
        #expect(await f.service.checkDeadlines().isEmpty)
        f.clock.advance(minutes: 2)
        let first = await f.service.checkDeadlines()
        #expect(first.map(\.task) == [t.id] && first.map(\.sla) == [.contact])
        #expect(await f.service.checkDeadlines().isEmpty, "escalated once")
        // On scene late: on site is missed too, escalated with the late arrival.
        f.clock.advance(minutes: 40)
        await f.service.handle([Self.status("2100001", "on_scene", "Status 4", at: f.clock.now)])
        #expect(await f.service.checkDeadlines().map(\.sla) == [.onSite])
        let now = try #require(try await f.service.task(id: t.id))
        #expect(now.contactEscalatedAt != nil && now.onSiteEscalatedAt != nil)
        #expect(now.sla(.contact, now: f.clock.now).state == .missed && now.sla(.onSite, now: f.clock.now).state == .missed)
        #expect(now.history.filter { $0.action == "escalated" }.count == 2)

        try await f.committed()
        let alarms = try await f.store.alarms(kind: "task_sla", open: true)
        #expect(Set(alarms.map(\.id)) == ["task-sla-\(t.id)-contact", "task-sla-\(t.id)-on_site"])
        #expect(alarms.first { $0.code == "sla-contact" }?.text.contains("no contact") == true)
        #expect(alarms.first { $0.code == "sla-on_site" }?.severity == .critical)
        #expect(try await f.store.audit(limit: 100).filter { $0.action == "task.escalate" }.count == 2)
        #expect(try await f.store.task(id: t.id)?.onSiteEscalatedAt != nil, "stored")

        // A task canceled before its deadline is never escalated.
        let c = try await f.service.create(.init(title: "Noise", location: Self.point, source: .init(kind: .point)), by: "disp")
        _ = try await f.service.cancel(c.id, by: "disp", reason: "resolved by phone")
        f.clock.advance(minutes: 120)
        #expect(await f.service.checkDeadlines().isEmpty)
    }

    @Test("suggestions: radios with a recent position, nearest first with ETA; busy, stale and unavailable units left out")
    func suggestions() async throws {
        let f = try await Self.fixture()
        defer { f.close() }
        let now = f.clock.now
        // 2100001 ~111 m north, 2100002 ~1 km north, 2100003 busy, 2100004 stale, 2100005 said unavailable.
        var records: [StoreRecord] = []
        for (unit, dLat, age) in [("2100001", 0.001, 30.0), ("2100002", 0.009, 60), ("2100003", 0.0005, 10), ("2100004", 0.0002, 3600),
                                  ("2100005", 0.0003, 20)] {
            records.append(.position(Position(unit: unit, time: now.adding(seconds: -age), latitude: Self.point.latitude + dLat,
                                              longitude: Self.point.longitude, source: .lip)))
        }
        records.append(Self.status("2100005", "unavailable", "Status 6", at: now.adding(seconds: -10)))
        try await f.writer.waitUntilCommitted(f.writer.submit(records))
        let busy = try await f.service.create(.init(title: "busy", location: Self.point, source: .init(kind: .point)), by: "d")
        _ = try await f.service.dispatch(busy.id, units: ["2100003"], by: "d")

        let list = try await f.service.suggestions(near: Self.point, kinds: [.radio], limit: 10)
        #expect(list.map(\.unit.id) == ["2100001", "2100002"])
        let first = try #require(list.first)
        #expect(abs(first.distanceMetres - 111.2) < 1, "\(first.distanceMetres)")
        // 30 km/h by road (1.3 × straight line): 111.2 m × 1.3 / 8.33 m/s ≈ 17 s.
        #expect(abs(first.etaSeconds - first.distanceMetres * 1.3 / (30 / 3.6)) < 0.01)
        #expect(f.service.settings.travelSeconds(1200, kind: .drone) == 100)
        #expect(try await f.service.suggestions(near: Self.point, kinds: [.radio], limit: 1).count == 1)
    }
}
