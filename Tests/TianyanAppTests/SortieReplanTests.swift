import CoveragePlanner
import DockLink
import Foundation
import Logging
import Testing
@testable import TianyanApp
import TianyanDJI
@testable import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanSQLite
import TianyanTesting

/// The scheduler service's re-plans on a real SQLite file with the sample fleet: a failed sortie's
/// cell is flown again and a grounded drone's sorties move, while the rest of the stored plan stays
/// exactly as it was (same sortie ids).
@Suite("Sortie re-planning in the scheduler service")
struct SortieReplanTests {
    /// The scheduler service on a fresh SQLite file with the sample fleet, flying around the clock,
    /// with its store writer running (cancel the task at the end). No broker: nothing reaches a dock,
    /// unless `dockPath` stands in for it. `clock`: the service's clock (default the real one).
    static func scheduler(in dir: TemporaryDirectory, dockPath: DockService.CommandPath? = nil, logger: Logger? = nil,
                          clock: TestClock? = nil,
                          _ adjust: (inout TianyanConfiguration) -> Void = { _ in }) async throws
        -> (FleetStore, StoreWriter, Task<Void, any Error>, SortieService) {
        var config = TianyanConfiguration()
        config.database = dir.file("db.sqlite")
        config.profilesDirectory = packageRoot() + "/firmware-profiles"
        config.mqtt = "mqtt://127.0.0.1:1"
        config.plannerFlyingHours = FlyingWindow(start: 0, end: 24)
        adjust(&config)
        let controller = Controller(configuration: config, logger: Logger(label: "test"))
        let database = try controller.openDatabase()
        let store = FleetStore(database: database)
        let registry = FleetSample.make()
        try await store.replaceRegistry(registry)
        let writer = StoreWriter(database: database)
        let running = Task { try await writer.run() }
        let profiles = try controller.loadDockProfiles()
        let docks = try DockService(configuration: config, profiles: profiles, registry: registry, openAlarms: [], sink: writer,
                                    logger: Logger(label: "test"), commandPath: dockPath)
        var now: @Sendable () -> Timestamp = { Timestamp.now() }
        if let clock { now = clock.reading }
        let service = SortieService(settings: .init(configuration: config), store: store, sink: writer, docks: docks,
                                    rules: config.maintenance, logger: logger ?? Logger(label: "test"), now: now)
        return (store, writer, running, service)
    }

    @Test("a failed sortie, a grounding and a maintenance grounding move only what they touch; every move is in the sortie's history and the audit")
    func replanKeepsTheRest() async throws {
        let dir = try TemporaryDirectory("tianyan-replan")
        defer { dir.remove() }
        let (store, writer, running, service) = try await Self.scheduler(in: dir)
        defer { running.cancel() }
        try await service.plan(reason: "test", by: "lead")
        let before = try await store.sorties(states: [.planned])
        #expect(before.count > 400)

        // A sortie fails: its cell gets a new visit; everything else stays.
        var failed = try #require(before.first)
        failed.move(to: .failed, at: .now(), "test: aircraft abnormal")
        writer.submit([.sortie(failed)])
        try await writer.flush()
        let afterFailure = try await service.replan(changes: [.sortieFailed(drone: failed.drone, start: failed.start)], ended: [failed],
                                                    reason: "test failure", by: "scheduler")
        #expect(afterFailure.added + afterFailure.moved >= 1, "\(afterFailure.moves)")
        let planned1 = try await store.sorties(states: [.planned])
        #expect(planned1.contains { $0.cells == failed.cells && $0.id != failed.id && $0.history.first?.detail?.hasPrefix("re-planned") == true },
                "the failed cell is flown again")
        let keptIDs = Set(before.map(\.id)).intersection(planned1.map(\.id))
        #expect(keptIDs.count >= before.count - 1 - 5, "only what the failure touched may move: \(before.count - keptIDs.count) sorties replaced")

        // A drone grounded for two days: nothing planned on it in the window, and only its sorties moved.
        let drone = try #require(planned1.first { $0.drone != failed.drone }?.drone)
        let from = Timestamp.now(), until = from.adding(seconds: 2 * 86_400)
        let onDrone = planned1.filter { $0.drone == drone && $0.end > from && $0.start < until }
        #expect(!onDrone.isEmpty)
        let grounded = try await service.replan(changes: [.droneGrounded(drone: drone, from: from, until: until, note: "prop damage")],
                                                ended: [], reason: "test grounding", by: "maintenance")
        #expect(grounded.moved + grounded.dropped >= 1, "\(grounded.moves)")
        let planned2 = try await store.sorties(states: [.planned])
        #expect(!planned2.contains { $0.drone == drone && $0.end > from && $0.start < until }, "nothing flies on the grounded drone")
        let replaced = Set(planned1.map(\.id)).subtracting(planned2.map(\.id))
        #expect(replaced == Set(onDrone.map(\.id)), "exactly the grounded drone's sorties in the window are replaced")
        let canceled = try await store.sortie(id: try #require(onDrone.first?.id))
        #expect(canceled?.state == .canceled)
        #expect(canceled?.history.last?.detail?.contains("prop damage") == true, "\(canceled?.history.last?.detail ?? "")")
        // A drone grounded through maintenance (as `tianyan maintenance ground` records it): the next
        // re-plan, whatever asked for it, moves its planned sorties.
        let grounded2 = try #require(planned2.first { $0.drone != drone && $0.drone != failed.drone }?.drone)
        writer.submit([.maintenance(MaintenanceAction(unit: grounded2, time: .now(), kind: .ground, by: "maint", note: "gimbal fault"))])
        try await writer.flush()
        try await service.replan(changes: [], ended: [], reason: "test maintenance", by: "scheduler")
        let planned3 = try await store.sorties(states: [.planned])
        #expect(!planned3.contains { $0.drone == grounded2 }, "no sortie stays planned on a grounded drone")

        let audit = try await store.audit(limit: 10)
        #expect(audit.contains { $0.action == "replan" && $0.actor == "maintenance" && ($0.detail ?? "").contains("test grounding") })
    }
}

@Suite("Sortie plans and the forecast file")
struct SortieForecastTests {
    /// Hourly lines from the current hour for 16 days; `closed` hours get 30 m/s wind.
    static func writeForecast(_ path: String, from start: Timestamp, closed: Range<Int> = 0..<0) throws {
        var lines = ["time,wind_mps,rain"]
        let hour0 = start.milliseconds / 3_600_000 * 3_600_000
        for h in 0..<(16 * 24) {
            lines.append("\(Timestamp(milliseconds: hour0 + Int64(h) * 3_600_000).iso8601),\(closed.contains(h) ? 30 : 3),0")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test("the service plans with the forecast file, and a re-plan after it changes moves the sorties out of the hours it closes")
    func forecastFile() async throws {
        let dir = try TemporaryDirectory("tianyan-forecast")
        defer { dir.remove() }
        let forecastFile = dir.file("forecast.csv")
        let now = Timestamp.now()
        try Self.writeForecast(forecastFile, from: now, closed: 0..<3)
        let (store, _, running, service) = try await SortieReplanTests.scheduler(in: dir) { $0.plannerForecastFile = forecastFile }
        defer { running.cancel() }
        try await service.plan(reason: "test", by: "lead")
        let hour0 = Timestamp(milliseconds: now.milliseconds / 3_600_000 * 3_600_000)
        let firstOpen = hour0.adding(seconds: 3 * 3_600)
        let planned = try await store.sorties(states: [.planned])
        #expect(!planned.isEmpty)
        #expect(planned.allSatisfy { $0.start >= firstOpen }, "nothing is planned in the first three hours, closed by wind")

        // The wind now closes hours 3-8: a re-plan moves what was planned there, and nothing else.
        try Self.writeForecast(forecastFile, from: now, closed: 0..<9)
        let closedEnd = hour0.adding(seconds: 9 * 3_600)
        let inWindow = planned.filter { $0.start < closedEnd }
        #expect(!inWindow.isEmpty)
        let outcome = try await service.replan(changes: [], ended: [], reason: "forecast changed", by: "scheduler")
        #expect(outcome.moved + outcome.dropped >= inWindow.count, "\(outcome.moves.prefix(3))")
        let after = try await store.sorties(states: [.planned])
        #expect(after.allSatisfy { $0.start >= closedEnd }, "nothing stays planned in the closed hours")
        let kept = Set(planned.filter { $0.start >= closedEnd }.map(\.id)).intersection(after.map(\.id))
        #expect(!kept.isEmpty, "sorties after the closure keep their ids")
    }
}
