import Foundation
import RadioLink
import Testing
import TianyanModel
@testable import radio_sim

@Suite struct SDSTests {
    /// `82 0C ref 01 "Hi"`: SDS-TL transfer asking for received and consumed reports.
    static let hiBothReports = "820C2A014869"

    @Test func cmgsIsAcceptedThenSentThenReceivedThenRead() throws {
        var h = SimHarness()
        h.initialise()
        #expect(h.send("AT+CTSDS=12,0,0,0,1") == ["OK"])
        #expect(h.send("AT+CMGS=2100001,48\r\n\(Self.hiBothReports)\u{1A}") == ["+CMGS: 0", "OK"])
        var later: [String] = []
        for _ in 0..<200 { later += h.advance(by: 0.1) }
        #expect(later == [
            "+CMGS: 0,4,42",
            "+CTSDSR: 12,2100001,0,2000001,0,32", "8210002A",
            "+CTSDSR: 12,2100001,0,2000001,0,32", "8210022A",
        ])
        // The next SDS gets the next instance.
        #expect(h.send("AT+CMGS=2100002,48\r\n820C2B014869\u{1A}") == ["+CMGS: 1", "OK"])
    }

    @Test func onlyTheReportsAskedForCome() {
        var h = SimHarness()
        h.initialise()
        // byte1 0x04: "received" only; 0x00: none.
        _ = h.send("AT+CMGS=2100001,48\r\n82042A014869\u{1A}")
        _ = h.send("AT+CMGS=2100002,48\r\n82002B014869\u{1A}")
        var later: [String] = []
        for _ in 0..<600 { later += h.advance(by: 0.1) }
        #expect(later.filter { $0.hasPrefix("8210") } == ["8210002A"])
        #expect(later.filter { $0.hasPrefix("+CMGS:") }.sorted() == ["+CMGS: 0,4,42", "+CMGS: 1,4,43"])
    }

    @Test func pageGoesQueuedAcceptedSentReceivedReadThroughPEIEngine() throws {
        var loop = Loopback()
        loop.start()
        let id = try loop.page("Report to Wusha bridge", to: "2100001")
        #expect(loop.run(until: 60) { $0.engine.page(id)?.state == .read }, "page stuck at \(String(describing: loop.engine.page(id)?.state))")
        let page = try #require(loop.engine.page(id))
        #expect(page.history.map(\.state) == [.queued, .accepted, .sent, .received, .read])
        let times = page.history.map(\.time)
        #expect(times == times.sorted())
        let reference = String(format: "%02X", page.reference)
        #expect(loop.simLines.contains("821000\(reference)"))
        #expect(loop.simLines.contains("821002\(reference)"))
    }

    @Test func unknownDestinationFails() throws {
        var loop = Loopback()
        loop.start()
        let id = try loop.page("hello", to: "1234567")
        #expect(loop.run(until: 30) { $0.engine.page(id)?.state == .failed })
        loop.run(for: 60)
        #expect(loop.engine.page(id)?.history.map(\.state) == [.queued, .accepted, .failed])
        #expect(loop.simLines.contains { $0.hasSuffix(",5,\(loop.engine.page(id)!.reference)") })
        #expect(!loop.simLines.contains { $0.hasPrefix("8210") })
    }

    @Test func failRateFailsOverTheAir() throws {
        var loop = Loopback(quietConfiguration { $0.failRate = 1 })
        loop.start()
        let id = try loop.page("hello", to: "2100003")
        #expect(loop.run(until: 30) { $0.engine.page(id)?.state == .failed })
        #expect(loop.engine.page(id)?.history.last?.detail != nil)
    }

    @Test func busyRadioFailsThePageWithoutResending() throws {
        var loop = Loopback(quietConfiguration { $0.busyRate = 1 })
        loop.start()
        let id = try loop.page("hello", to: "2100003")
        #expect(loop.run(until: 10) { $0.engine.page(id)?.state == .failed })
        #expect(loop.engine.page(id)?.history.last?.detail?.contains("42") == true)
    }

    @Test func groupSDSIsSentWithoutPerMemberReports() throws {
        var loop = Loopback()
        loop.start()
        let id = try loop.page("All units: briefing at 14:00", to: "9001")
        loop.run(for: 60)
        #expect(loop.engine.page(id)?.state == .sent)
        #expect(!loop.simLines.contains { $0.hasPrefix("8210") })

        var withReport = Loopback(quietConfiguration { $0.groupReport = true })
        withReport.start()
        let other = try withReport.page("All units", to: "9001")
        withReport.run(for: 60)
        #expect(withReport.engine.page(other)?.state == .sent)
        let reports = withReport.events.compactMap { e -> DeliveryReport? in
            if case .deliveryReport(_, let r, _) = e { r } else { nil }
        }
        #expect(reports.map(\.status.code) == [0x05])
    }

    @Test func someReportsComeLateAndSomePagesAreNeverRead() throws {
        var h = SimHarness(quietConfiguration { $0.lateFraction = 1; $0.neverReadFraction = 1 })
        h.initialise()
        _ = h.send("AT+CMGS=2100001,48\r\n\(Self.hiBothReports)\u{1A}")
        var early: [String] = []
        for _ in 0..<25 { early += h.advance(by: 1) }
        #expect(early == ["+CMGS: 0,4,42"])
        var late: [String] = []
        for _ in 0..<300 { late += h.advance(by: 1) }
        #expect(late == ["+CTSDSR: 12,2100001,0,2000001,0,32", "8210002A"])
    }

    @Test func reportsWhileTheLineIsDownAreLost() {
        var h = SimHarness()
        h.initialise()
        _ = h.send("AT+CMGS=2100001,48\r\n\(Self.hiBothReports)\u{1A}")
        h.sim.unplug(at: h.now)
        var later: [String] = []
        for _ in 0..<60 { later += h.advance(by: 1) }
        #expect(later == [])
    }
}
