import Foundation
import RadioLink
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanSQLite
import TianyanTesting

/// Scenario 3 of issue 7, short version: a gateway's line fails under traffic. Status messages
/// from the radios go through each fault; a call is open and a page is in flight when the line
/// is cut or stalls. Scored: every status sent on an open line is stored once, every cut call is
/// closed "link lost", every page in flight ends failed and is sent once, and the gateway is
/// ready again. `tools/faults/gateway` runs it longer (TIANYAN_FAULT_SCALE).
@Suite("Gateway faults", .serialized, .timeLimit(.minutes(5)))
struct GatewayFaultTests {
    enum Fault: String, CaseIterable {
        /// The serial line (a pty) closed mid-call, then the adapter comes back under the same name.
        case ptyClosed = "pty-closed"
        /// The TCP gateway hangs up mid-call.
        case tcpDrop = "tcp-drop"
        /// The TCP gateway stops answering without closing: the keep-alive must notice.
        case tcpStall = "tcp-stall"
        /// The gateway sends garbage (random bytes, overlong lines, headers without payload)
        /// with valid statuses between the bursts.
        case garbage
    }

    /// Sends `count` "on scene" statuses, each from its own radio (so a duplicate is visible).
    static func sendStatuses(_ rig: GatewayRig, from first: Int, count: Int) -> [String] {
        (first..<(first + count)).map { i in
            let issi = String(2_100_000 + i)
            rig.radio.send(["+CTSDSR: 13,\(issi),0,2000999,0,16", "8004"])
            return issi
        }
    }

    @Test(arguments: Fault.allCases)
    func scenario(_ fault: Fault) async throws {
        let rounds = fault == .garbage ? 1 : 2 * FaultScale.factor
        let perBatch = 20
        let rig = try await GatewayRig({ fault == .ptyClosed ? .pty(link: $0.file("pei")) : .tcp }, keepAlive: 0.5)
        var sent: [String] = []
        var pages: [String] = []
        var recoveries: [Double] = []
        do {
            try await rig.waitReady()
            for round in 0..<rounds {
                let base = 1 + round * perBatch * 3
                sent += Self.sendStatuses(rig, from: base, count: perBatch)
                let started = ContinuousClock.now
                if fault == .garbage {
                    // Bursts of garbage with statuses between them, for FaultScale seconds.
                    var noise = SeededGenerator(seed: 11)
                    var next = 10_000  // a range of its own: each status from its own radio
                    let until = ContinuousClock.now + FaultScale.seconds(2)
                    while ContinuousClock.now < until {
                        rig.radio.sendRaw((0..<2048).map { _ in UInt8.random(in: 0...255, using: &noise) })
                        rig.radio.sendRaw(Array(repeating: UInt8(ascii: "7"), count: 5_000) + [0x0D, 0x0A])
                        rig.radio.send(["+CTSDSR: 13,2100999,0,2000999,0,16"])  // a header whose payload never comes
                        rig.radio.sendRaw([0x0D, 0x0A])
                        sent += Self.sendStatuses(rig, from: next, count: 1)
                        next += 1
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    recoveries.append(0)
                } else {
                    // A call open and a page in flight when the line fails.
                    let cc = 10 + round
                    rig.radio.send(["+CTICN: \(cc),0,0,0,2100001,1,1,0,1,1,0,9001,0", "+CTCC: \(cc),1,1,0,0,1,1", "+CTXG: \(cc),3,0,0,0,2100001"])
                    try await waitUntil("the call of round \(round) to be open", timeout: .seconds(20)) { rig.service.openCalls.count == 1 }
                    rig.radio.muteSubmissions = true
                    let submitted = rig.radio.submissions.count
                    let page = try rig.network.page("Move to sector \(round)", to: "2100002", requestedBy: "dispatcher-1")
                    pages.append(page.id)
                    try await waitUntil("the AT+CMGS in flight", timeout: .seconds(20)) { rig.radio.submissions.count == submitted + 1 }
                    let connections = rig.radio.connections
                    let connects = rig.service.pei.counters.connects
                    let cutAt = ContinuousClock.now
                    switch fault {
                    case .ptyClosed, .tcpDrop:
                        try rig.radio.unplug()
                    case .tcpStall:
                        rig.radio.silent = true
                    case .garbage:
                        break
                    }
                    try await waitUntil("the line to be reopened", timeout: .seconds(30)) { rig.radio.connections > connections }
                    rig.radio.silent = false
                    rig.radio.muteSubmissions = false
                    // The controller's own reconnect (not the radio's new line) and its init done:
                    // what the radio sends before then goes to a line nobody has opened yet.
                    try await waitUntil("the gateway to reconnect and be ready again", timeout: .seconds(30)) {
                        rig.service.pei.counters.connects > connects && rig.service.status.ready
                    }
                    recoveries.append(Self.seconds(ContinuousClock.now - cutAt))
                    try await waitUntil("the page in flight to fail", timeout: .seconds(30)) { rig.network.page(id: page.id)?.state == .failed }
                    #expect(rig.service.openCalls.isEmpty, "the cut call is closed")
                    _ = started
                }
                sent += Self.sendStatuses(rig, from: base + perBatch * 2, count: perBatch)
            }
            let expected = Set(sent)
            try await waitUntil("every status sent to be stored", timeout: .seconds(30)) {
                let stored = try await rig.store.radioMessages(limit: 100_000).filter { $0.status == 0x8004 && expected.contains($0.unit) }
                return Set(stored.map(\.unit)) == expected
            }
            try await rig.writer.flush()
            let stored = try await rig.store.radioMessages(limit: 100_000).filter { $0.status == 0x8004 && expected.contains($0.unit) }
            let score = FaultScore(scenario: "gateway/\(fault.rawValue)", sent: sent.count, stored: stored.count,
                                   duplicated: stored.count - Set(stored.map(\.unit)).count,
                                   recoveredSeconds: recoveries.max() ?? 0).report()
            #expect(score.lost == 0 && score.duplicated == 0, "\(score)")

            // The voice log: every call cut by the fault is closed "link lost", with no open ends.
            let calls = try await rig.store.voiceLog(talkgroup: "9001", since: nil, limit: 100)
            #expect(calls.count == (fault == .garbage ? 0 : rounds), "\(calls)")
            for call in calls {
                #expect(call.end != nil && call.cause?.hasPrefix("link lost") == true, "\(call)")
                #expect(call.transmissions.allSatisfy { $0.end != nil }, "a cut call has no open transmission: \(call)")
            }
            // Pages in flight ended failed and went out once each, never again after reconnecting.
            #expect(rig.radio.submissions.count == pages.count, "\(rig.radio.submissions.count) submissions for \(pages.count) pages")
            for id in pages {
                let page = try #require(rig.network.page(id: id))
                #expect(page.state == .failed, "\(page.history)")
            }
            if fault == .garbage {
                let status = rig.service.pei
                #expect(status.overlongLines >= 1 && status.counters.unhandledLines + UInt64(status.orphanedSDSHeaders) >= 1,
                        "garbage is counted: \(status.counters)")
                #expect(status.connected && status.ready)
            }
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}
