import Foundation
import RadioLink
import Testing
import TianyanModel
@testable import radio_sim

@Suite struct TrafficTests {
    static let fleet = FleetSample.make()

    func busy(_ change: (inout SimConfiguration) -> Void = { _ in }) -> SimConfiguration {
        quietConfiguration {
            $0.radios = 40
            $0.rate = 5
            $0.seed = 11
            change(&$0)
        }
    }

    @Test func groupCallLinesAreWellFormedAndTrackedByRadioLink() throws {
        var loop = Loopback(busy())
        loop.start()
        loop.run(for: 600, step: 0.25)
        let callLines = loop.simLines.filter { $0.hasPrefix("+CTICN") || $0.hasPrefix("+CTCC") || $0.hasPrefix("+CTXG") || $0.hasPrefix("+CDTXC") || $0.hasPrefix("+CTCR") }
        #expect(callLines.count > 50, "only \(callLines.count) call lines in 10 minutes")
        let groups = Set(Self.fleet.talkgroups.map(\.gssi))
        let issis = Set(Self.fleet.radios.map(\.issi))
        var open: [Int: (group: String, talking: Bool)] = [:]
        var overlapping = false
        for line in callLines {
            switch PEIParser.parseLine(line) {
            case .callSetup(let s):
                #expect(open[s.instance] == nil, "\(line): instance \(s.instance) already in use")
                #expect(s.calling.map { issis.contains($0.issi) } == true, "\(line): caller not in the fleet")
                #expect(s.called.map { groups.contains($0.issi) } == true, "\(line): not a fleet talkgroup")
                #expect(s.priority == 0 || s.priority == 15)
                #expect(s.commsType == 1)
                open[s.instance] = (s.called!.issi, false)
                if open.count > 1 { overlapping = true }
            case .callConnected(let c):
                #expect(open[c.instance] != nil, "\(line) for no open call")
            case .transmissionGranted(let g):
                #expect(open[g.instance]?.talking == false, "\(line): grant while someone talks or no call")
                #expect(g.grant == 3)
                #expect(g.talker.map { issis.contains($0.issi) } == true)
                open[g.instance]?.talking = true
            case .transmissionCeased(let c):
                #expect(open[c.instance]?.talking == true, "\(line) without a grant")
                open[c.instance]?.talking = false
            case .callReleased(let r):
                #expect(open[r.instance]?.talking == false, "\(line) while someone talks")
                #expect(r.cause == 1 || r.cause == 13)
                open[r.instance] = nil
            default:
                Issue.record("RadioLink does not parse \(line)")
            }
        }
        #expect(overlapping, "no two calls overlapped in 10 minutes")
        let ended = loop.callEvents.filter { if case .callEnded = $0 { true } else { false } }
        #expect(ended.count >= 10)
        #expect(ended.allSatisfy { $0.call.transmissions.allSatisfy { $0.end != nil } })
        #expect(loop.unhandled == [], "lines RadioLink did not place: \(loop.unhandled.prefix(5))")
        #expect(loop.engine.orphanedSDSHeaders == 0)
    }

    @Test func locationsComeFromTheTownAtRealisticSpeedsAndSomeHaveNoFix() throws {
        var loop = Loopback(busy { $0.noFixFraction = 0.2 })
        loop.start()
        loop.run(for: 900, step: 0.5)
        var positions: [Position] = []
        var noFix = 0
        var reasons: Set<Int> = []
        for event in loop.events {
            switch event {
            case .position(let p, let report):
                positions.append(p)
                if let r = report.reason { reasons.insert(r.code) }
            case .locationWithoutFix(_, let report, _):
                noFix += 1
                if let r = report.reason { reasons.insert(r.code) }
            default: break
            }
        }
        #expect(positions.count > 200)
        #expect(noFix > 0)
        for p in positions {
            #expect((22.70...22.90).contains(p.latitude) && (113.69...113.91).contains(p.longitude),
                    "\(p.unit) at \(p.latitude), \(p.longitude) is outside Chang'an")
            #expect((p.speed ?? 0) * 3.6 <= 60, "\(p.unit) at \((p.speed ?? 0) * 3.6) km/h")
        }
        #expect(positions.contains { ($0.speed ?? 0) * 3.6 > 15 }, "nobody drives")
        #expect(positions.contains { (1...8).contains(($0.speed ?? 0) * 3.6) }, "nobody walks")
        #expect(reasons.isSuperset(of: [0, 129]), "reasons seen: \(reasons.sorted())")
        #expect(reasons.contains(21) || reasons.contains(22))
        // A moving radio reports every 30-60 s / rate: consecutive reports of one unit are close in space.
        let byUnit = Dictionary(grouping: positions, by: \.unit)
        for (unit, list) in byUnit {
            for (a, b) in zip(list, list.dropFirst()) {
                let metres = Geodesy.distance(Coordinate(latitude: a.latitude, longitude: a.longitude),
                                              Coordinate(latitude: b.latitude, longitude: b.longitude))
                let seconds = Double(b.time.milliseconds - a.time.milliseconds) / 1000
                #expect(metres <= 15 + seconds * 50 / 3.6, "\(unit) jumped \(metres) m in \(seconds) s")
            }
        }
    }

    @Test func statusesAndTheEmergencyButton() throws {
        var loop = Loopback(busy { $0.emergencyRate = 0 })
        loop.start()
        loop.run(for: 900, step: 0.5)
        let statuses = loop.events.compactMap { e -> UInt16? in if case .status(_, let v, _) = e { v.value } else { nil } }
        #expect(statuses.count > 20)
        #expect(statuses.allSatisfy { (0x8003...0x8008).contains($0) }, "\(Set(statuses))")
        #expect(!loop.events.contains { if case .emergency = $0 { true } else { false } })

        var alarm = Loopback(busy { $0.emergencyRate = 1 })
        alarm.start()
        alarm.run(for: 300, step: 0.5)
        let sources = alarm.events.compactMap { e -> EmergencySource? in if case .emergency(_, let s, _) = e { s } else { nil } }
        #expect(sources.contains(.status))
        #expect(sources.contains(.location), "no LIP with reason 2 after the emergency button")
        #expect(sources.contains(.call(priority: 15)))
        #expect(alarm.simLines.contains("0000"))
    }

    @Test func incomingTextsAskForAReportAndTheEngineAcknowledges() throws {
        var loop = Loopback(busy { $0.rate = 40 })
        loop.start()
        loop.run(for: 600, step: 0.5)
        let texts = loop.events.compactMap { e -> TextMessage? in if case .text(_, _, let m, _) = e { m } else { nil } }
        #expect(texts.count >= 3)
        #expect(texts.allSatisfy { $0.coding == .iso8859_1 && $0.transfer?.deliveryReport == .received && $0.text != nil })
        #expect(loop.sim.counters.acknowledgementsReceived >= texts.count - 1)
        // The engine's default list registers PI 138 too: a long text comes whole, once, as 0x8A parts.
        #expect(texts.allSatisfy { ($0.protocolIdentifier == 0x82 && $0.parts == 1) || ($0.protocolIdentifier == 0x8A && $0.parts > 1) })
    }

    /// Vehicles send long LIP reports (time of position, altitude, direction of travel) and some
    /// texts come as concatenated PI 0x8A parts, last part first: the engine reassembles them.
    @Test func vehiclesSendLongReportsAndLongTextsArriveWhole() throws {
        var loop = Loopback(busy { $0.rate = 40 })
        #expect(PEIEngine.Configuration(gateway: "sim").initCommands.contains("AT+CTSP=1,3,138"), "the default init registers PI 138")
        loop.start()
        loop.run(for: 900, step: 0.5)
        var long: [Position] = []
        for event in loop.events {
            if case .position(let p, .long) = event { long.append(p) }
        }
        #expect(long.count > 20)
        #expect(long.allSatisfy { ($0.altitude ?? -1) >= 0 && ($0.altitude ?? 99) <= 40 && $0.accuracy != nil })
        #expect(long.contains { $0.heading != nil && ($0.speed ?? 0) > 0 }, "no moving vehicle")
        #expect(long.allSatisfy { $0.time <= loop.now && $0.time.milliseconds % 1000 == 0 }, "time of position to the second, not after receipt")
        let texts = loop.events.compactMap { e -> TextMessage? in if case .text(_, _, let m, _) = e { m } else { nil } }
        let whole = texts.filter { $0.parts > 1 }
        #expect(!whole.isEmpty, "no concatenated text")
        #expect(whole.allSatisfy { RadioSimulator.longTexts.contains($0.text ?? "") })
        #expect(!loop.events.contains { if case .sds = $0 { true } else { false } }, "a part was left over")
    }

    @Test func nothingIsRoutedBeforeCTSPOrWhileTheLineIsDown() {
        var h = SimHarness(busy())
        #expect(h.advance(by: 300) == [], "URCs before any byte came in")
        _ = h.send("ATE0")
        #expect(h.advance(by: 300) == [], "URCs before AT+CTSP")
        _ = h.send("AT+CTSP=1,3,10")
        let lip = h.advance(by: 300)
        #expect(!lip.isEmpty)
        #expect(lip.allSatisfy { $0.hasPrefix("+CTSDSR: 12,") || $0.hasPrefix("0A") }, "\(lip.filter { !$0.hasPrefix("0A") && !$0.hasPrefix("+CTSDSR: 12,") }.prefix(3))")
        h.sim.unplug(at: h.now)
        #expect(h.advance(by: 300) == [])
        _ = h.send("AT")
        #expect(!h.advance(by: 300).isEmpty, "CTSP registrations survive an unplug (the radio did not reset)")
        _ = h.send("ATZ")
        #expect(h.advance(by: 300) == [], "ATZ clears the registrations")
    }

    @Test func anUnplugCutsCallsInProgress() {
        var h = SimHarness(busy { $0.rate = 20 })
        h.initialise()
        var lines: [String] = []
        while !lines.contains(where: { $0.hasPrefix("+CTICN") }) { lines += h.advance(by: 0.5) }
        let cut = Set(h.sim.calls.map(\.instance))
        h.sim.unplug(at: h.now)
        _ = h.send("AT")
        var after: [String] = []
        for _ in 0..<120 { after += h.advance(by: 0.5) }
        // Lines about the cut calls never come; new calls may reuse their instances only after
        // a fresh +CTICN.
        var seenSetup: Set<Int> = []
        for line in after {
            switch PEIParser.parseLine(line) {
            case .callSetup(let s): seenSetup.insert(s.instance)
            case .transmissionGranted(let g): #expect(!cut.contains(g.instance) || seenSetup.contains(g.instance), "\(line) of a cut call")
            case .callReleased(let r): #expect(!cut.contains(r.instance) || seenSetup.contains(r.instance), "\(line) of a cut call")
            default: break
            }
        }
    }

    @Test func sameSeedSameLinesOtherSeedOtherLines() {
        func run(seed: UInt64) -> [String] {
            var loop = Loopback(busy { $0.seed = seed; $0.garbageRate = 2 })
            loop.start()
            _ = try? loop.page("determinism", to: "2100001")
            loop.run(for: 400, step: 0.25)
            return loop.simLines
        }
        let a = run(seed: 5), b = run(seed: 5), c = run(seed: 6)
        #expect(a.count > 100)
        #expect(a == b)
        #expect(a != c)
    }

    @Test func backgroundTrafficDoesNotDependOnWhatTheControllerSends() throws {
        func background(pages: Int) -> [String] {
            var loop = Loopback(busy { $0.seed = 9 })
            loop.start()
            for i in 0..<pages {
                _ = try? loop.page("page \(i)", to: "2100001")
                loop.run(for: 20, step: 0.25)
            }
            loop.run(for: 300 - Double(pages) * 20, step: 0.25)
            // Drop the answers to the pages; keep calls, locations, statuses and texts.
            var kept: [String] = []
            var skipPayload = false
            for line in loop.simLines {
                if skipPayload { skipPayload = false; continue }
                if line.hasPrefix("+CMGS") || line == "OK" { continue }
                if line.hasSuffix(",0,32"), line.hasPrefix("+CTSDSR: 12,") { skipPayload = true; continue }
                kept.append(line)
            }
            return kept
        }
        let quiet = background(pages: 0)
        #expect(quiet.count > 100)
        #expect(background(pages: 5) == quiet)
    }

    @Test func garbageDoesNotBreakTheEngine() throws {
        var loop = Loopback(busy { $0.garbageRate = 30 })
        loop.start()
        loop.run(for: 60)
        let id = try loop.page("through the noise", to: "2100002")
        #expect(loop.run(until: 120) { $0.engine.page(id)?.state == .read }, "page stuck at \(String(describing: loop.engine.page(id)?.state))")
        #expect(loop.sim.counters.garbage > 10)
        let issis = Set(Self.fleet.radios.map(\.issi))
        for case .callStarted(let call) in loop.callEvents {
            #expect(issis.contains(call.caller), "phantom call from \(call.caller)")
        }
    }
}
