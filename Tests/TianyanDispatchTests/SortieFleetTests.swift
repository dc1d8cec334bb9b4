import CoveragePlanner
import Foundation
import Logging
import Synchronization
import Testing
@testable import TianyanDispatch
import TianyanModel
import TianyanTesting

/// The scheduler over the dock port, on the fakes: the sample fleet in an in-memory store, a
/// fake dock fleet, and a clock the test moves. No broker, no file.
@Suite("Sorties on a fake dock fleet")
struct SortieFleetTests {
    final class Clock: Sendable {
        private let time: Mutex<Timestamp>
        init(_ t: Timestamp) { time = Mutex(t) }
        var now: Timestamp { time.withLock { $0 } }
        func set(_ t: Timestamp) { time.withLock { $0 = t } }
    }

    struct Fixture {
        let store: InMemoryStore
        let docks: FakeDockFleet
        let service: SortieService
        let clock: Clock
    }

    static func fixture() -> Fixture {
        let store = InMemoryStore(registry: FleetSample.make())
        let docks = FakeDockFleet(sink: store, capabilities: FakeDockFleet.sampleCapabilities)
        var settings = SortieService.Settings(routeFilesURL: "http://127.0.0.1:9/files/routes/")
        settings.flyingHours = FlyingHours(startHour: 0, endHour: 24)
        let clock = Clock(Timestamp(milliseconds: Timestamp.now().milliseconds / 3_600_000 * 3_600_000))
        var logger = Logger(label: "test.dispatch.sorties")
        logger.logLevel = .warning
        let service = SortieService(settings: settings, store: store, sink: store, docks: docks, rules: MaintenanceRules(), logger: logger,
                                    now: { clock.now })
        return Fixture(store: store, docks: docks, service: service, clock: clock)
    }

    @Test("the dock port's conformance cases on the fake dock fleet", arguments: DockFleetConformance.names)
    func conformance(_ name: String) async throws {
        let store = InMemoryStore(registry: FleetSample.make())
        let docks = FakeDockFleet(sink: store, capabilities: FakeDockFleet.sampleCapabilities)
        try await DockFleetConformance.run(name, fleet: docks, context: try .sample())
    }

    @Test("a plan on the fake fleet: each dock's next sortie is prepared through the port, launched before take-off, and its route file goes when it ends")
    func prepareLaunchFinish() async throws {
        let f = Self.fixture()
        let outcome = try await f.service.plan(reason: "test", by: "lead")
        #expect(outcome.added > 400, "\(outcome.summary)")
        await f.service.tick()
        let prepared = try await f.store.sorties(states: [.prepared])
        let docksWithPlans = Set(try await f.store.sorties(states: [.planned, .prepared]).map(\.dock))
        #expect(!prepared.isEmpty && Set(prepared.map(\.dock)).count == prepared.count, "one prepared sortie per dock: \(prepared.count)")
        #expect(Set(prepared.map(\.dock)) == docksWithPlans.intersection(prepared.map(\.dock)))
        let sent = f.docks.sent.filter { $0.action == "prepare" }
        #expect(Set(sent.compactMap(\.flightID)) == Set(prepared.map(\.id)), "a prepare through the port for each prepared sortie")
        let s = try #require(prepared.min { $0.start < $1.start })
        let name = try #require(f.docks.routeFileName(forFlight: s.id))
        #expect(f.docks.routeFile(named: name) != nil)
        #expect(s.history.last?.detail?.contains("md5 \(name.dropLast(4))") == true, "the history names the file: \(s.history)")

        // Two minutes before take-off it is launched.
        f.clock.set(s.start.adding(seconds: -60))
        await f.service.tick()
        #expect(f.docks.sent.contains { $0.action == "launch" && $0.flightID == s.id })
        #expect(try await f.store.sortie(id: s.id)?.state == .executing)

        // The dock reports the flight done: the sortie ends and its file is forgotten.
        f.store.submit([.flightTask(FlightTaskUpdate(flightID: s.id, dock: s.dock, time: f.clock.now, status: .ok, percent: 100))])
        await f.service.tick()
        let done = try #require(try await f.store.sortie(id: s.id))
        #expect(done.state == .done || done.state == .partial, "\(done.state) \(done.history)")
        #expect(f.docks.forgotten.contains(s.id) && f.docks.routeFile(named: name) == nil)
        let commands = try await f.store.commands(unit: s.dock, limit: 10)
        #expect(commands.contains { $0.method == "launch" } && commands.contains { $0.method == "prepare" }, "the port's commands are recorded")
    }

    @Test("with the dock link down nothing is sent and due sorties are held, not failed; a lead's pause and cancel become port actions")
    func linkDownAndLeadActions() async throws {
        let f = Self.fixture()
        _ = try await f.service.plan(reason: "test", by: "lead")
        f.docks.setUp(false)
        await f.service.tick()
        #expect(f.docks.sent.isEmpty)
        #expect(try await f.store.sorties(states: [.prepared, .failed]).isEmpty)
        #expect(f.service.counters.dockLinkDownSince != nil && !f.service.counters.heldForDockLink.isEmpty)

        f.docks.setUp(true)
        await f.service.tick()
        let prepared = try await f.store.sorties(states: [.prepared])
        let first = try #require(prepared.first)
        let held = try await f.service.pause(first.id, by: "lead.li")
        #expect(held.state == .held && f.docks.sent.last?.action == "withdraw" && f.docks.sent.last?.requestedBy == "lead.li")

        let second = try #require(prepared.dropFirst().first)
        f.clock.set(second.start.adding(seconds: -60))
        await f.service.tick()
        #expect(try await f.store.sortie(id: second.id)?.state == .executing)
        f.docks.refuse("return_home")
        do {
            _ = try await f.service.cancel(second.id, by: "lead.li", note: "storm")
            Issue.record("a refused recall was taken as done")
        } catch let e as DispatchError {
            #expect(e.kind == .conflict && e.message.contains("refused to return home"), "\(e)")
        }
    }
}
