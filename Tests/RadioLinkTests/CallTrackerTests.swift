import RadioLink
import TianyanModel
import Testing

@Suite struct CallTrackerTests {
    private func t(_ seconds: Double) -> Timestamp { Timestamp(milliseconds: 1_700_000_000_000).adding(seconds: seconds) }

    private func feed(_ tracker: inout CallTracker, _ line: String, at seconds: Double) -> [CallTracker.Event] {
        tracker.handle(PEIParser.parseLine(line), at: t(seconds))
    }

    private func ended(_ events: [CallTracker.Event]) -> [VoiceCall] {
        events.compactMap { if case .callEnded(let c) = $0 { c } else { nil } }
    }

    /// The Nødnett example lines, put on one CC instance: setup, talker 6101629, release.
    @Test func groupCallWithOneTransmission() throws {
        var tracker = CallTracker(configuration: .init(gateway: "gw1"))
        let start = feed(&tracker, "+CTICN: 1,0,0,0,6101629,1,1,0,1,1,0,4037009,0", at: 0)
        let started = try #require(start.first?.call)
        #expect(start == [.callStarted(started)])
        #expect(started.id == "gw1:1:\(t(0).milliseconds)")
        #expect(started.kind == .group && started.caller == "6101629" && started.called == "4037009")
        #expect(started.priority == 0 && !started.emergency)

        let tx = feed(&tracker, "+CTXG: 1,3,0,0,0,6101629", at: 1.5)
        #expect(tx.count == 1)
        #expect(tx.first?.call.transmissions == [Transmission(talker: "6101629", start: t(1.5), end: nil)])
        let txEnd = feed(&tracker, "+CDTXC: 1,0", at: 9.25)
        #expect(txEnd.first?.call.transmissions == [Transmission(talker: "6101629", start: t(1.5), end: t(9.25))])
        #expect(txEnd.first?.call.transmissions.first?.durationSeconds == 7.75)

        let call = try #require(ended(feed(&tracker, "+CTCR: 1,1", at: 12)).first)
        #expect(call.end == t(12))
        #expect(call.cause == "user requested disconnect")
        #expect(call.transmissions == [Transmission(talker: "6101629", start: t(1.5), end: t(9.25))])
        #expect(tracker.openCalls.isEmpty)
    }

    @Test func talkerChangesWithoutCeaseCloseThePreviousTransmission() throws {
        var tracker = CallTracker(configuration: .init(gateway: "gw"))
        _ = feed(&tracker, "+CTICN: 4,0,0,5,23404,1,1,0,1,1,5,1000,0", at: 0)
        _ = feed(&tracker, "+CTXG: 4,3,0,0,3,09011638300023404", at: 1)
        let events = feed(&tracker, "+CTXG: 4,3,0,0,0,2269001", at: 5)
        #expect(events.count == 2)
        #expect(events.last?.call.transmissions == [
            Transmission(talker: "23404", start: t(1), end: t(5)),
            Transmission(talker: "2269001", start: t(5), end: nil),
        ])
        let call = try #require(ended(feed(&tracker, "+CTCR: 4,13", at: 8)).first)
        #expect(call.cause == "timer expiry")
        #expect(call.transmissions.last == Transmission(talker: "2269001", start: t(5), end: t(8)))
    }

    @Test func overlappingCallsOnDifferentInstances() throws {
        var tracker = CallTracker(configuration: .init(gateway: "gw"))
        _ = feed(&tracker, "+CTICN: 1,0,0,0,100,1,1,0,1,1,0,9001,0", at: 0)
        _ = feed(&tracker, "+CTICN: 2,0,0,0,200,1,1,0,1,1,0,9002,0", at: 1)
        _ = feed(&tracker, "+CTXG: 1,3,0,0,0,100", at: 2)
        _ = feed(&tracker, "+CTXG: 2,3,0,0,0,200", at: 3)
        #expect(tracker.openCalls.map(\.called) == ["9001", "9002"])
        _ = feed(&tracker, "+CDTXC: 2,0", at: 4)
        let first = try #require(ended(feed(&tracker, "+CTCR: 1,1", at: 6)).first)
        #expect(first.called == "9001" && first.transmissions == [Transmission(talker: "100", start: t(2), end: t(6))])
        let second = try #require(ended(feed(&tracker, "+CTCR: 2,14", at: 7)).first)
        #expect(second.called == "9002" && second.transmissions == [Transmission(talker: "200", start: t(3), end: t(4))])
        #expect(second.cause == "SwMI requested disconnection")
    }

    @Test func emergencyPriorityAndIndividualCalls() throws {
        var tracker = CallTracker(configuration: .init(gateway: "gw"))
        let call = try #require(feed(&tracker, "+CTICN: 3,0,0,0,2269001,1,0,0,0,1,0,23404,15", at: 0).first?.call)
        #expect(call.emergency && call.priority == 15)
        #expect(call.kind == .individual)
    }

    /// Found by tools/fuzz-gateway: priority 4294967296 raised an emergency alarm.
    @Test("a priority outside 0…15 is line noise: no emergency", arguments: ["16", "4294967296", "-1", "99999999999999999999"])
    func priorityOutOfRangeIsNoEmergency(priority: String) throws {
        var tracker = CallTracker(configuration: .init(gateway: "gw"))
        let call = try #require(feed(&tracker, "+CTICN: 3,0,0,0,2269001,1,0,0,0,1,0,23404,\(priority)", at: 0).first?.call)
        #expect(!call.emergency && call.priority == 0)
    }

    @Test func orphanedCallsTimeOutAtTheirLastActivity() throws {
        var tracker = CallTracker(configuration: .init(gateway: "gw", orphanTimeout: 60))
        _ = feed(&tracker, "+CTICN: 1,0,0,0,100,1,1,0,1,1,0,9001,0", at: 0)
        _ = feed(&tracker, "+CTXG: 1,3,0,0,0,100", at: 10)
        _ = feed(&tracker, "+CTICN: 2,0,0,0,200,1,1,0,1,1,0,9002,0", at: 50)
        #expect(tracker.expire(now: t(69)).isEmpty)
        let events = tracker.expire(now: t(70))
        let call = try #require(ended(events).first)
        #expect(ended(events).count == 1)
        #expect(call.called == "9001" && call.cause == "timeout" && call.end == t(10))
        #expect(call.transmissions == [Transmission(talker: "100", start: t(10), end: t(10))])
        #expect(tracker.openCalls.map(\.called) == ["9002"])
    }

    @Test func linkLostClosesEveryCall() {
        var tracker = CallTracker(configuration: .init(gateway: "gw"))
        _ = feed(&tracker, "+CTICN: 1,0,0,0,100,1,1,0,1,1,0,9001,0", at: 0)
        _ = feed(&tracker, "+CTICN: 2,0,0,0,200,1,1,0,1,1,0,9002,0", at: 1)
        _ = feed(&tracker, "+CTXG: 2,3,0,0,0,200", at: 2)
        let calls = ended(tracker.linkLost(at: t(5)))
        #expect(calls.map(\.called) == ["9001", "9002"])
        #expect(calls.allSatisfy { $0.cause == "link lost" && $0.end == t(5) })
        #expect(calls[1].transmissions == [Transmission(talker: "200", start: t(2), end: t(5))])
        #expect(tracker.openCalls.isEmpty)
    }

    @Test func grantWithoutSetupOpensAnImplicitCallAndOwnTransmissionUsesOwnIdentity() throws {
        var tracker = CallTracker(configuration: .init(gateway: "gw", ownIdentity: "23401"))
        let events = feed(&tracker, "+CTXG: 7,0,0,0", at: 0)
        #expect(events.count == 2)
        let call = try #require(events.last?.call)
        #expect(call.caller == "23401" && call.called == "")
        #expect(call.transmissions == [Transmission(talker: "23401", start: t(0), end: nil)])
        #expect(feed(&tracker, "+CTXG: 7,2,0,0", at: 1).isEmpty)
    }

    @Test func repeatedSetupOnAnInstanceClosesTheOldCall() throws {
        var tracker = CallTracker(configuration: .init(gateway: "gw"))
        _ = feed(&tracker, "+CTICN: 1,0,0,0,100,1,1,0,1,1,0,9001,0", at: 0)
        let events = feed(&tracker, "+CTICN: 1,0,0,0,300,1,1,0,1,1,0,9003,0", at: 3)
        #expect(ended(events).first?.cause == "replaced by a new call on the same instance")
        #expect(tracker.openCalls.map(\.caller) == ["300"])
    }

    @Test func releaseOfUnknownInstanceAndUnrelatedMessagesDoNothing() {
        var tracker = CallTracker(configuration: .init(gateway: "gw"))
        #expect(feed(&tracker, "+CTCR: 9,1", at: 0).isEmpty)
        #expect(feed(&tracker, "+CDTXC: 9,0", at: 0).isEmpty)
        #expect(feed(&tracker, "OK", at: 0).isEmpty)
        #expect(DisconnectCause.text(for: 99) == "disconnect cause 99")
    }
}
