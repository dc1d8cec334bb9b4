import Foundation
import Testing
@testable import TianyanApp
import TianyanDJI
@testable import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanSQLite
import TianyanTesting

/// Route files are kept per flight (sortie id): one prepared by an earlier run is served again
/// after a restart and goes when that sortie ends, whatever its history says.
@Suite("Route files by flight")
struct SortieRouteFileTests {
    @Test("a flight's file is kept until its last flight is removed; a flight added again replaces its file")
    func keptPerFlight() {
        let files = RouteFiles()
        let a = files.add([1], fingerprint: String(repeating: "a", count: 32), flight: "s1")
        #expect(files.add([1], fingerprint: String(repeating: "A", count: 32), flight: "s2") == a, "same bytes, same name")
        files.remove(flight: "s1")
        #expect(files.file(named: a) == [1], "s2 still has it")
        let b = files.add([2], fingerprint: String(repeating: "b", count: 32), flight: "s2")
        #expect(files.file(named: a) == nil, "s2's earlier file went when it got another")
        #expect(files.name(forFlight: "s2") == b)
        files.remove(flight: "s2")
        files.remove(flight: "unknown")
        #expect(files.count == 0)
        #expect(files.name(forFlight: "s2") == nil)
    }

    @Test("a sortie prepared in an earlier run has its route file served again, and removed when it finishes; its history is not read for it")
    func restoredSortieFinishes() async throws {
        let dir = try TemporaryDirectory("tianyan-route-restored")
        defer { dir.remove() }
        let clock = TestClock(.now())
        let link = FakeDockLink()
        let (store, writer, running, service) = try await SortieReplanTests.scheduler(in: dir, dockPath: link.path, clock: clock)
        defer { running.cancel() }
        let cell = try #require(SortieDockLinkTests.cells(1).first)
        var s = try #require(try await service.addUrgent(cells: [cell], drone: nil, by: "lead.li").first)
        // As an earlier run left it: with the dock and in the air, its history naming no file.
        s.move(to: .prepared, at: clock.now(), "prepared by an earlier run")
        s.move(to: .executing, at: clock.now(), "take-off ordered")
        writer.submit([.sortie(s)])
        try await writer.flush()
        #expect(!s.history.contains { $0.detail?.contains("md5") == true })

        // The restart: the file is back, under the flight.
        await service.restoreRouteFiles()
        let name = try #require((service.docks as! DockService).routeFiles.name(forFlight: s.id), "the restored sortie has its file")
        #expect((service.docks as! DockService).routeFiles.file(named: name)?.starts(with: Array("PK".utf8)) == true, "a KMZ (zip) is served as \(name)")

        // The dock reports the task done: the sortie ends and its file goes.
        clock.advance(seconds: 60)
        writer.submit([.flightTask(FlightTaskUpdate(flightID: s.id, dock: s.dock, time: clock.now(), status: "ok", percent: 100))])
        try await writer.flush()
        await service.tick()
        let after = try #require(try await store.sortie(id: s.id))
        #expect(after.state == .done, "\(after.history.map { "\($0.state): \($0.detail ?? "")" })")
        #expect((service.docks as! DockService).routeFiles.name(forFlight: s.id) == nil)
        #expect((service.docks as! DockService).routeFiles.file(named: name) == nil, "the finished sortie's file is no longer served")
    }

    @Test("a prepared sortie a lead cancels has its route file removed")
    func canceledSortieLosesItsFile() async throws {
        let dir = try TemporaryDirectory("tianyan-route-canceled")
        defer { dir.remove() }
        let clock = TestClock(.now())
        let link = FakeDockLink()
        let (store, writer, running, service) = try await SortieReplanTests.scheduler(in: dir, dockPath: link.path, clock: clock)
        defer { running.cancel() }
        let cell = try #require(SortieDockLinkTests.cells(1).first)
        var s = try #require(try await service.addUrgent(cells: [cell], drone: nil, by: "lead.li").first)
        s.move(to: .prepared, at: clock.now(), "prepared by an earlier run")
        writer.submit([.sortie(s)])
        try await writer.flush()
        await service.restoreRouteFiles()
        let name = try #require((service.docks as! DockService).routeFiles.name(forFlight: s.id))
        let canceled = try await service.cancel(s.id, by: "lead.li", note: "test")
        #expect(canceled.state == .canceled)
        #expect(try await store.sortie(id: s.id)?.state == .canceled)
        #expect((service.docks as! DockService).routeFiles.file(named: name) == nil, "a withdrawn task's file is no longer served")
    }
}
