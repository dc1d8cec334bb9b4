// bench-hytera: Hytera HRNP/HDAP frames per second through HyteraLink, on mixed traffic, against a
// framing-only reference measured in the same run on the same bytes.
//
//   swift run -c release bench-hytera [--frames N] [--passes P] [--chunk BYTES]
//
// Traffic: HRNP DATA packets from a control station, in a repeating mix: LP condition reports
// (40-byte ASCII GPS), RRS registrations, TMP texts in Chinese (UTF-16LE), RCP repeater transmit
// status and radio status reports, TMP acknowledgements; fed in chunks of --chunk bytes (a read).
// Reference: HRNPFramer alone (find 0x7E, read the length, verify the one's-complement checksum):
// the least any HRNP consumer must do. Measured: framer + HDAP decode into typed PDUs (checksum,
// every field, the GPS parsed into a position), and the whole HRNP session (DATA_ACK written for
// every packet, the HDAP application's events). Best of --passes passes.

import Foundation
import HyteraLink
import TianyanModel

func options() -> (frames: Int, passes: Int, chunk: Int) {
    var o = (frames: 1_000_000, passes: 5, chunk: 4096)
    var args = CommandLine.arguments.dropFirst()
    while let arg = args.popFirst() {
        switch arg {
        case "--frames": o.frames = Int(args.popFirst() ?? "") ?? o.frames
        case "--passes": o.passes = max(1, Int(args.popFirst() ?? "") ?? o.passes)
        case "--chunk": o.chunk = max(1, Int(args.popFirst() ?? "") ?? o.chunk)
        default:
            print("usage: bench-hytera [--frames N] [--passes P] [--chunk BYTES]")
            exit(arg == "-h" || arg == "--help" ? 0 : 2)
        }
    }
    return o
}
let (frameTarget, passes, chunkSize) = options()

let start = Timestamp(milliseconds: 1_796_700_000_000)
func pdu(_ i: Int) -> HyteraPDU {
    let radio = RadioIP(id: UInt32(2_100_000 + i % 500))
    switch i % 6 {
    case 0, 1:
        let gps = HyteraGPS(valid: true, time: start.adding(seconds: Double(i)), latitude: 22.8 + Double(i % 100) / 10_000,
                            longitude: 113.7 + Double(i % 77) / 10_000, speedKnots: Double(i % 20), direction: i % 360)
        return .lp(LPMessage(.conditionReport, requestID: UInt32(i), radio: radio, gps: gps))
    case 2: return .rrs(RRSMessage(.registration, radio: radio))
    case 3: return .tmp(.text("已到达现场，请指示", group: false, requestID: UInt32(i), to: RadioIP(id: 1001), from: radio))
    case 4: return .rcp(RCPMessage(.repeaterTransmitStatus, callType: 1, target: 9001, sender: radio.id, repeaterMode: 0,
                                   repeaterStatus: UInt16([0, 4, 0, 5][i / 6 % 4]), repeaterService: 1))
    default: return .rcp(RCPMessage(.statusReport, statusTarget: 0x0B, statusValue: UInt16(i % 5)))
    }
}

var stream: [UInt8] = []
for i in 0..<frameTarget {
    stream += HRNPPacket(opcode: .data, source: 0x10, destination: 0x20, packetNumber: UInt16(truncatingIfNeeded: i), payload: pdu(i).encoded()).encoded()
}
let chunks: [[UInt8]] = stride(from: 0, to: stream.count, by: chunkSize).map { Array(stream[$0..<min($0 + chunkSize, stream.count)]) }
print("bench-hytera: \(frameTarget) HRNP frames, \(stream.count) bytes (\(stream.count / frameTarget) bytes a frame on average), chunks of \(chunkSize) bytes, best of \(passes)")

func measure(_ name: String, _ body: () -> Int) -> Double {
    var best = Double.infinity
    var count = 0
    for _ in 0..<passes {
        let t0 = ContinuousClock.now
        count = body()
        let d = ContinuousClock.now - t0
        best = min(best, Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
    precondition(count == frameTarget, "\(name): \(count) frames, expected \(frameTarget)")
    let rate = Double(frameTarget) / best
    print("  " + name.padding(toLength: 48, withPad: " ", startingAt: 0) + String(format: "%7.3f s  %12.0f frames/s", best, rate))
    return rate
}

let reference = measure("reference: HRNP framing + checksum") {
    var framer = HRNPFramer()
    var n = 0
    for c in chunks { for o in framer.push(c) { if case .packet = o { n += 1 } } }
    return n
}
let decode = measure("HRNP framing + HDAP decode (typed, GPS parsed)") {
    var framer = HRNPFramer()
    var n = 0
    var positions = 0
    for c in chunks {
        for o in framer.push(c) {
            guard case .packet(let p) = o, let pdu = try? HyteraPDU(decoding: p.payload) else { continue }
            n += 1
            if case .lp(let m) = pdu, m.gps?.position(unit: "x", received: start) != nil { positions += 1 }
        }
    }
    precondition(positions == (frameTarget + 5) / 6 + (frameTarget + 4) / 6, "positions \(positions)")
    return n
}
let session = measure("the whole HRNP session (acks, events)") {
    var s = HRNPSession(configuration: .init(application: .init(gateway: "bench")))
    _ = s.start(at: start)
    _ = s.receive(HRNPPacket(opcode: .accept, source: 0x10, destination: 0x20, packetNumber: 0).encoded(), at: start)
    var acks = 0
    for c in chunks {
        for a in s.receive(c, at: start) { if case .write(let b) = a, b.count == 12, b[3] == 0x10 { acks += 1 } }
    }
    return acks
}
print(String(format: "  ratio decode / reference: %.2f   session / reference: %.2f", decode / reference, session / reference))
