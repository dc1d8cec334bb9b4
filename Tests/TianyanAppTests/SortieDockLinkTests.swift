import CoveragePlanner
import DockLink
import Foundation
import Logging
import Synchronization
import Testing
@testable import TianyanApp
import TianyanDJI
@testable import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanSQLite
import TianyanTesting

/// The scheduler service at night and with its dock link down, on a real SQLite file with the
/// sample fleet, driven tick by tick on a clock the test moves (no real waits): the docks' side
/// is played by `FakeDockLink` (up or down, accepting or refusing).
@Suite("Sorties at night and while the dock link is down")
struct SortieDockLinkTests {
    /// 23:00 local (UTC+8) today: 15:00 UTC.
    static let night = Timestamp(milliseconds: Timestamp.now().milliseconds / 86_400_000 * 86_400_000 + 15 * 3_600_000)

    /// Flying hours 07-19 local at UTC+8, as configured by default.
    static func dayHours(_ c: inout TianyanConfiguration) { c.plannerFlyingHours = FlyingWindow(start: 7, end: 19) }

    /// One cell from each of the first `count` communities (each urgent order goes to its own drone).
    static func cells(_ count: Int) -> [String] {
        let registry = FleetSample.make()
        var seen: Set<String> = []
        return registry.cells.filter { seen.insert($0.community).inserted }.prefix(count).map(\.id)
    }

    static func allSorties(_ store: FleetStore) async throws -> [SortieRecord] { try await store.sorties(limit: 1_000_000) }

    static func localSecondOfDay(_ t: Timestamp) -> Int64 { ((t.milliseconds / 1_000 + 8 * 3_600) % 86_400 + 86_400) % 86_400 }

    @Test("urgent sorties added at 23:00 local that the dock refuses are re-planned without breaking a hard constraint; their cells go back into the day's flying hours")
    func urgentAtNightThenReplan() async throws {
        let dir = try TemporaryDirectory("tianyan-urgent-night")
        defer { dir.remove() }
        let clock = TestClock(Self.night)
        let link = FakeDockLink()
        let log = CapturedLog()
        let (store, _, running, service) = try await SortieReplanTests.scheduler(in: dir, dockPath: link.path, logger: log.logger,
                                                                               clock: clock, Self.dayHours)
        defer { running.cancel() }
        try await service.plan(reason: "test", by: "lead")
        var urgent: [SortieRecord] = []
        for cell in Self.cells(4) {
            if let added = try? await service.addUrgent(cells: [cell], drone: nil, by: "lead.li") { urgent += added }
        }
        #expect(Set(urgent.map(\.drone)).count >= 2, "urgent sorties on several drones: \(urgent.map(\.drone))")
        #expect(urgent.allSatisfy { Self.localSecondOfDay($0.start) >= 23 * 3_600 }, "added at 23:00 local, outside the flying hours")
        // The docks refuse them (the link is up: a refusal, not an outage).
        link.refusePrepare(of: Set(urgent.map(\.id)))
        let plans = service.counters.plans
        let known = Set(try await Self.allSorties(store).map(\.id))

        // The loop, for a few simulated minutes: each urgent sortie is refused and fails, and a
        // re-plan (at most one a minute) takes their cells back.
        for _ in 0..<24 {
            clock.advance(seconds: 10)
            await service.tick()
        }
        let after = try await Self.allSorties(store)
        let failed = after.filter { s in urgent.contains { $0.id == s.id } }
        #expect(failed.allSatisfy { $0.state == .failed }, "\(failed.map { "\($0.state): \($0.history.last?.detail ?? "")" })")
        #expect(!log.text.contains("hard constraints"), "the re-plan's own validator rejected it:\n\(log.text)")
        #expect(!log.text.contains("re-plan failed"), "\(log.text)")
        #expect(service.counters.plans > plans, "a re-plan took in the failed urgent sorties")

        // Each urgent cell is flown by the plan in the flying hours: its next visit, kept, or a new one.
        func inHours(_ s: SortieRecord) -> Bool { Self.localSecondOfDay(s.start) >= 7 * 3_600 && Self.localSecondOfDay(s.end) <= 19 * 3_600 }
        for cell in Set(urgent.flatMap(\.cells)) {
            #expect(after.contains { !$0.urgent && $0.cells == [cell] && !$0.state.isFinal && inHours($0) }, "cell \(cell) is flown again")
        }
        // No sortie of the plan's lies outside them, whatever became of it: a failed urgent sortie is
        // not written again as a planned one at its own hour (prepared, flown or failed again).
        let outside = after.filter { !$0.urgent && (Self.localSecondOfDay($0.start) < 7 * 3_600 || Self.localSecondOfDay($0.end) > 19 * 3_600) }
        #expect(outside.isEmpty, "\(outside.prefix(3).map { "\($0.drone) \($0.start.iso8601) \($0.state): \($0.history.map { $0.detail ?? "" })" })")
        // The only new rows are the urgent cells' new visits, and none of them failed.
        let urgentCells = Set(urgent.flatMap(\.cells))
        let new = after.filter { !known.contains($0.id) }
        #expect(new.allSatisfy { Set($0.cells).isSubset(of: urgentCells) && $0.state != .failed },
                "\(new.prefix(5).map { "\($0.cells) \($0.state) \($0.start.iso8601)" })")

        // The re-plan, run directly once more with the failed urgent sorties as its input: no violation.
        let outcome = try await service.replan(changes: failed.map { .sortieFailed(drone: $0.drone, start: $0.start) }, ended: failed,
                                               reason: "test: urgent sorties failed at night", by: "scheduler")
        #expect(outcome.moves.allSatisfy { !$0.contains("outside the flying hours") })
    }

    @Test("a 30-minute broker outage holds the sorties due for a dock command: no failure, no new rows, one line in the log and in each history; when the link is back they go ahead")
    func brokerOutageHoldsThePlan() async throws {
        let dir = try TemporaryDirectory("tianyan-link-down")
        defer { dir.remove() }
        let clock = TestClock(Self.night)
        let link = FakeDockLink()
        let log = CapturedLog()
        let (store, _, running, service) = try await SortieReplanTests.scheduler(in: dir, dockPath: link.path, logger: log.logger,
                                                                               clock: clock, Self.dayHours)
        defer { running.cancel() }
        try await service.plan(reason: "test", by: "lead")
        // The broker goes down; a lead adds urgent sorties meanwhile.
        link.setUp(false)
        // The service notices at its first look, 10 s on.
        let downAt = clock.now().adding(seconds: 10)
        var urgent: [SortieRecord] = []
        for cell in Self.cells(4) {
            if let added = try? await service.addUrgent(cells: [cell], drone: nil, by: "lead.li") { urgent += added }
        }
        #expect(!urgent.isEmpty)
        let rows = try await Self.allSorties(store).count

        // Thirty minutes of the loop (a look every 10 s).
        for _ in 0..<180 {
            clock.advance(seconds: 10)
            await service.tick()
        }
        let during = try await Self.allSorties(store)
        #expect(during.count == rows, "the sorties table stays as it was: \(rows) rows before, \(during.count) after 30 min")
        #expect(!during.contains { $0.state == .failed }, "\(during.filter { $0.state == .failed }.prefix(3).map { $0.history.last?.detail ?? "" })")
        #expect(link.sent.isEmpty, "nothing is sent while the link is down: \(link.sent.prefix(3))")
        let held = "held: the dock link (MQTT broker) is down since \(downAt.iso8601)"
        for u in urgent.filter({ $0.part == 0 }) {
            let s = try #require(during.first { $0.id == u.id })
            #expect(s.state == .planned)
            #expect(s.history.filter { $0.detail?.hasPrefix(held) == true }.count == 1, "said once in its history: \(s.history.map { $0.detail ?? "" })")
        }
        let heldCount = during.filter { $0.history.contains { $0.detail?.hasPrefix("held: the dock link") == true } }.count
        #expect(heldCount >= urgent.filter({ $0.part == 0 }).count)
        #expect(service.counters.dockLinkDownSince == downAt)
        #expect(service.counters.heldForDockLink.count == heldCount)
        #expect(log.count("dock link down") == 1, "said once in the log:\n\(log.text)")

        // The link is back: the held sorties go ahead (urgent ones take off at once), nothing fails.
        link.setUp(true)
        for _ in 0..<3 {
            clock.advance(seconds: 2)
            await service.tick()
        }
        let back = try await Self.allSorties(store)
        for u in urgent.filter({ $0.part == 0 }) {
            let s = try #require(back.first { $0.id == u.id })
            #expect(s.state == .executing, "\(s.history.map { "\($0.state): \($0.detail ?? "")" })")
            #expect(link.sent.contains { $0.method == "flighttask_prepare" && $0.bid == u.id })
            #expect(link.sent.contains { $0.method == "flighttask_execute" && $0.bid == u.id })
        }
        #expect(back.contains { $0.state == .prepared && !$0.urgent }, "the docks' next planned sorties are prepared")
        #expect(back.count == rows)
        #expect(!back.contains { $0.state == .failed })
        #expect(service.counters.dockLinkDownSince == nil && service.counters.heldForDockLink.isEmpty)
        #expect(log.count("dock link back") == 1, "\(log.text)")
        #expect(log.count("dock link down") == 1)
    }
}

extension SortieDockLinkTests {
    @Test("an urgent sortie is not put on a grounded drone: named, it is refused saying so; unnamed, another drone flies it")
    func urgentNotOnAGroundedDrone() async throws {
        let dir = try TemporaryDirectory("tianyan-urgent-grounded")
        defer { dir.remove() }
        let clock = TestClock(Self.night)
        let (_, writer, running, service) = try await SortieReplanTests.scheduler(in: dir, clock: clock, Self.dayHours)
        defer { running.cancel() }
        let cell = Self.cells(1)[0]
        let first = try await service.addUrgent(cells: [cell], drone: nil, by: "lead.li")
        let drone = try #require(first.first?.drone)
        _ = try await service.cancel(first[0].id, by: "lead.li", note: "test")
        writer.submit([.maintenance(MaintenanceAction(unit: drone, time: clock.now(), kind: .ground, by: "maint", note: "gimbal fault"))])
        try await writer.flush()
        do {
            _ = try await service.addUrgent(cells: [cell], drone: drone, by: "lead.li")
            Issue.record("an urgent sortie on a grounded drone must be refused")
        } catch let failure as SortieService.Failure {
            #expect(failure.kind == .invalid)
            #expect(failure.description.contains("\(drone): grounded"), "\(failure.description)")
        }
        let other = try await service.addUrgent(cells: [cell], drone: nil, by: "lead.li")
        #expect(!other.isEmpty && other.allSatisfy { $0.drone != drone })
    }

    @Test("through the real dock service with no broker: urgent sorties are held, no command is tried, nothing fails")
    func realDockServiceWithoutBroker() async throws {
        let dir = try TemporaryDirectory("tianyan-no-broker")
        defer { dir.remove() }
        let clock = TestClock(Self.night)
        let (store, _, running, service) = try await SortieReplanTests.scheduler(in: dir, clock: clock, Self.dayHours)
        defer { running.cancel() }
        try await service.plan(reason: "test", by: "lead")
        let urgent = try await service.addUrgent(cells: Array(Self.cells(1)), drone: nil, by: "lead.li")
        let rows = try await Self.allSorties(store).count
        for _ in 0..<30 {
            clock.advance(seconds: 10)
            await service.tick()
        }
        let after = try await Self.allSorties(store)
        #expect(after.count == rows)
        #expect(!after.contains { $0.state == .failed })
        let first = try #require(after.first { $0.id == urgent[0].id })
        #expect(first.state == .planned)
        #expect(first.history.last?.detail?.hasPrefix("held: the dock link (MQTT broker) is down since") == true, "\(first.history)")
        #expect(try await store.commands(unit: first.dock).isEmpty, "no command is tried while the link is down")
    }

    @Test("a dock that refuses every prepare (the link up) is not asked again while its drone rests: a bounded few rows in 30 minutes, not one a minute")
    func refusingDockIsNotChurned() async throws {
        let dir = try TemporaryDirectory("tianyan-dock-refuses")
        defer { dir.remove() }
        let clock = TestClock(Self.night)
        let link = FakeDockLink()
        let (store, _, running, service) = try await SortieReplanTests.scheduler(in: dir, dockPath: link.path, clock: clock, Self.dayHours)
        defer { running.cancel() }
        try await service.plan(reason: "test", by: "lead")
        let before = try await Self.allSorties(store)
        let dock = try #require(before.min { ($0.start, $0.id) < ($1.start, $1.id) }?.dock)
        link.refuseEveryPrepare(on: dock)
        for _ in 0..<180 {
            clock.advance(seconds: 10)
            await service.tick()
        }
        let after = try await Self.allSorties(store)
        let failed = after.filter { $0.state == .failed }
        #expect(failed.allSatisfy { $0.dock == dock }, "only the refusing dock's sorties fail")
        #expect((1...3).contains(failed.count), "one refusal per rest (30 min), not one per re-plan: \(failed.count) failed")
        #expect(after.count - before.count <= 3, "\(before.count) rows before, \(after.count) after")
        let asked = link.sent.filter { $0.method == "flighttask_prepare" && $0.dock == dock }.count
        #expect(asked == failed.count, "the dock is asked once per rest: \(asked) prepares")
        // Every other dock has its next sortie.
        #expect(after.filter { $0.state == .prepared }.count >= Set(before.map(\.dock)).count - 1)
    }
}

/// The service's clock, moved by the test.
final class TestClock: Sendable {
    private let time: Mutex<Timestamp>
    init(_ start: Timestamp) { time = Mutex(start) }
    var reading: @Sendable () -> Timestamp { { self.time.withLock { $0 } } }
    func now() -> Timestamp { time.withLock { $0 } }
    func advance(seconds: Double) { time.withLock { $0 = $0.adding(seconds: seconds) } }
}

/// The docks as the scheduler reaches them: the link up or down (down, a command fails as the
/// MQTT client fails it: not connected), and each answer (accepted, or a prepare refused).
final class FakeDockLink: Sendable {
    private struct State {
        var up = true
        var refused: Set<String> = []
        var refusingDocks: Set<String> = []
        var sent: [(method: String, bid: String?, dock: String)] = []
    }

    private let state = Mutex(State())

    func setUp(_ up: Bool) { state.withLock { $0.up = up } }
    func refusePrepare(of ids: Set<String>) { state.withLock { $0.refused = ids } }
    func refuseEveryPrepare(on dock: String) { state.withLock { _ = $0.refusingDocks.insert(dock) } }
    /// Commands that reached a dock (sent while the link was up).
    var sent: [(method: String, bid: String?, dock: String)] { state.withLock { $0.sent } }

    var path: DockService.CommandPath {
        DockService.CommandPath(isUp: { self.state.withLock { $0.up } }) { serial, method, _, by, bid in
            let (up, refused) = self.state.withLock { s -> (Bool, Bool) in
                if s.up { s.sent.append((method.rawValue, bid, serial)) }
                return (s.up, method == .flighttaskPrepare && (s.refused.contains(bid ?? "") || s.refusingDocks.contains(serial)))
            }
            let outcome: CommandOutcome = !up ? .failed : (refused ? .rejected : .succeeded)
            let record = CommandRecord(id: UUID().uuidString.lowercased(), unit: serial, method: method.rawValue, data: nil, requestedBy: by,
                                       requestedAt: .now(), outcome: outcome, resultCode: refused ? 314_003 : (up ? 0 : nil),
                                       resultText: up ? nil : "not connected to the broker; not sent", completedAt: .now())
            return DockCommandResult(record: record, attempts: 1)
        }
    }
}

/// Log lines kept for the test to read.
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])
    var text: String { lines.withLock { $0.joined(separator: "\n") } }
    func count(_ fragment: String) -> Int { lines.withLock { $0.filter { $0.contains(fragment) }.count } }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?, source: String, file: String,
                 function: String, line: UInt) {
            let all = metadata.merging(extra ?? [:]) { $1 }
            log.lines.withLock { $0.append("\(level) \(message) \(all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))") }
        }
    }

    var logger: Logger { Logger(label: "test.sorties") { _ in Handler(log: self) } }
}
