import Foundation
import MosquittoClient
import RadioLink
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanTesting

/// Radio input that once stopped the controller, and hostile radio traffic through the whole
/// service and the whole process (tools/fuzz-gateway runs the same for minutes).
@Suite("Gateway under hostile radio input", .serialized, .timeLimit(.minutes(5)))
struct GatewayFuzzTests {
    /// SDS the gateway service does not act on went to a log call that took the state lock the
    /// service already held: "Fatal error: Recursive call to lock Mutex", the controller gone.
    @Test("an SDS-ACK, a user-data-header text, other protocols and undecodable PDUs leave the gateway running",
          arguments: ["pty", "tcp"])
    func unhandledSDSKeepsTheGatewayRunning(kind: String) async throws {
        let rig = try await GatewayRig { kind == "pty" ? .pty(link: $0.file("pei")) : .tcp }
        do {
            try await rig.waitReady()
            rig.radio.send([
                "+CTSDSR: 12,1234567,0,2345678,0,32", "822001C9",                    // T10, SDS-ACK
                "+CTSDSR: 12,1234567,0,2345678,0,32", "821800CA",                    // T9, report asking for an ack
                "+CTSDSR: 12,2100002,0,2000999,0,104", "8A040801050003070201414243",  // PI 0x8A, part 1 of 2
                "+CTSDSR: 12,2100002,0,2000999,0,48", "8304012233",                  // PI 0x83
                "+CTSDSR: 12,2100002,0,2000999,0,24", "C3FFEE",                      // an unknown PI
                "+CTSDSR: 12,2100002,0,2000999,0,8", "0D",                           // PI 0x0D with no data
                "+CTSDSR: 12,2100002,0,2000999,0,4000", "0A",                        // LIP, length far past the payload
            ])
            // Valid traffic after it is still stored: the service is alive and reading.
            rig.radio.send(["+CTSDSR: 12,2100005,0,2000999,0,84", "0A00893E12472C51026810"])
            try await rig.waitForRecord("the position sent after the unhandled SDS") {
                if case .position(let p) = $0 { p.unit == "2100005" } else { false }
            }
            #expect(rig.service.status.ready)
            #expect(rig.service.counters.unhandledSDS >= 1, "SDS not acted on are counted: \(rig.service.counters)")
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }

    /// Every protocol identifier once, then random hostile SDS, headers and call lines into the
    /// service over a real pty and a TCP socket; a canary after every 50 inputs must be stored.
    @Test("3,000 hostile inputs through the gateway service keep it reading and storing", arguments: ["pty", "tcp"])
    func hostileTrafficThroughTheService(kind: String) async throws {
        let rig = try await GatewayRig({ kind == "pty" ? .pty(link: $0.file("pei")) : .tcp }, keepAlive: 3600)
        do {
            try await rig.waitReady()
            var traffic = HostileRadioTraffic(seed: kind == "pty" ? 15 : 20_261_207)
            for round in 0..<60 {
                for _ in 0..<50 { rig.radio.sendRaw(traffic.next().bytes) }
                let issi = String(2_950_000 + round)
                rig.radio.sendRaw(Array("\r\n".utf8) + HostileRadioTraffic.canary(issi: issi))
                try await rig.waitForRecord("canary \(issi) after round \(round)") {
                    if case .position(let p) = $0 { p.unit == issi } else { false }
                }
            }
            #expect(traffic.protocolIdentifiers.count == 256)
            #expect(Set(traffic.generated.keys) == Set(HostileRadioTraffic.Kind.allCases), "\(traffic.generated)")
            #expect(rig.service.status.connected)
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }

    /// The same through the real process: `tianyan serve` with a TCP gateway, canaries read back
    /// through the HTTP API, then a clean stop.
    @Test("hostile radio traffic through tianyan serve: every canary stored, a clean exit", .timeLimit(.minutes(4)))
    func hostileTrafficThroughTheProcess() async throws {
        let http = "127.0.0.1:\(try FreePort.loopback())"
        let controller = try await FuzzedController(http: http, transport: .tcp, profilesDirectory: packageRoot() + "/firmware-profiles")
        defer { controller.remove() }
        do {
            try await controller.waitReady()
            var traffic = HostileRadioTraffic(seed: 7)
            let report = try await controller.run(&traffic, rounds: 16, perRound: 100)
            #expect(report.canaries == 16 && report.protocolIdentifiers == 256, "\(report)")
        } catch {
            _ = try? await controller.stop()
            throw error
        }
        let exit = try await controller.stop()
        #expect(exit.status == 0, "exit \(exit.status): \(exit.stderr.suffix(2000))")
        #expect(!exit.stderr.contains("Fatal error"))
    }

    /// The Hytera gateway under hostile HRNP through the real process: noise, cut and flipped
    /// packets, lying lengths, random HDAP and service payloads, bad texts and positions,
    /// registration floods, repeater storms; a canary LP report after every round is stored.
    @Test("hostile Hytera HRNP traffic through tianyan serve: every canary stored, a clean exit", .timeLimit(.minutes(4)))
    func hostileHyteraTrafficThroughTheProcess() async throws {
        let http = "127.0.0.1:\(try FreePort.loopback())"
        let controller = try await FuzzedController(http: http, transport: .tcp, profilesDirectory: packageRoot() + "/firmware-profiles",
                                                    profile: "hytera-hrnp")
        defer { controller.remove() }
        do {
            try await controller.waitReady()
            var traffic = HostileHyteraTraffic(seed: 11)
            let report = try await controller.run(&traffic, rounds: 16, perRound: 100)
            #expect(report.canaries == 16, "\(report)")
            #expect(Set(traffic.generated.keys) == Set(HostileHyteraTraffic.Kind.allCases), "\(traffic.generated)")
            #expect(report.protocolIdentifiers > 40, "opcodes covered: \(report)")
        } catch {
            _ = try? await controller.stop()
            throw error
        }
        let exit = try await controller.stop()
        #expect(exit.status == 0, "exit \(exit.status): \(exit.stderr.suffix(2000))")
        #expect(!exit.stderr.contains("Fatal error"))
    }
}
