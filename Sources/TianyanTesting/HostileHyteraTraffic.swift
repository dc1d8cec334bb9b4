import HyteraLink
import TianyanModel

/// Hostile traffic from a Hytera radio on an HRNP line, seeded: noise, packets cut short or with
/// a flipped bit, lengths that lie, valid HRNP around random HDAP, valid HDAP envelopes around
/// random service payloads (every service and the known opcodes), texts that are not UTF-16,
/// positions that are not positions, registration floods and repeater status storms. What a
/// healthy gateway must survive while it still stores every valid report (`canary`).
public struct HostileHyteraTraffic: HostileTraffic {
    public enum Kind: String, CaseIterable, Sendable {
        case noise = "binary noise, 0x7E bytes among it"
        case truncated = "a valid packet cut short"
        case bitFlip = "a valid packet with one bit flipped"
        case lengthLies = "HRNP length field unlike the packet"
        case randomHDAP = "valid HRNP around random HDAP bytes"
        case randomPayload = "valid HDAP envelope, every service and opcode, random payload"
        case badText = "TMP texts with lone surrogates, odd lengths, no end"
        case badPosition = "LP reports whose GPS is not a position"
        case registrationFlood = "RRS registrations from random radios"
        case repeaterStorm = "RCP repeater status with any values"
        case controlPackets = "HRNP CONNECT, CLOSE, REJECT and unknown opcodes"
    }

    private var rng: SeededGenerator
    private var packet: UInt16 = 1000
    public private(set) var generated: [Kind: Int] = [:]
    /// (service, opcode) pairs sent in valid envelopes so far.
    public private(set) var opcodes: Set<UInt32> = []

    public init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    public var variety: Int { opcodes.count }

    static let knownOpcodes: [(HDAPMessage.Service, UInt16)] =
        RCPMessage.Kind.allCases.map { (.rcp, $0.rawValue) } + LPMessage.Kind.allCases.map { (.lp, $0.rawValue) }
        + TMPMessage.Kind.allCases.flatMap { k in [0x00, 0x40, 0x80, 0xC0].map { (HDAPMessage.Service.tmp, UInt16($0) << 8 | UInt16(k.rawValue)) } }
        + [(.rrs, 0x0001), (.rrs, 0x0002), (.rrs, 0x0003), (.rrs, 0x0080), (.rrs, 0x0082), (.tp, 0xA001), (.tp, 0xA081), (.tp, 0xA082),
           (.tp, 0xB001), (.tp, 0xB081), (.dds, 0x0008), (.dds, 0x0011), (.dtp, 0xA001)]

    private mutating func bytes(_ range: ClosedRange<Int>) -> [UInt8] {
        (0..<Int.random(in: range, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    private mutating func data(_ hdap: [UInt8]) -> [UInt8] {
        packet &+= 1
        return HRNPPacket(opcode: .data, source: 0x10, destination: 0x20, packetNumber: packet, payload: hdap).encoded()
    }

    private mutating func radio() -> RadioIP { RadioIP(subnet: UInt8.random(in: 0...255, using: &rng), id: UInt32.random(in: 0...0xFF_FFFF, using: &rng)) }

    private mutating func validPacket() -> [UInt8] {
        let gps = HyteraGPS(valid: true, time: Timestamp(milliseconds: 1_796_700_000_000), latitude: 22.8, longitude: 113.7, speedKnots: 3,
                            direction: 45)
        let choices: [HyteraPDU] = [
            .rrs(RRSMessage(.registration, radio: radio())),
            .lp(LPMessage(.conditionReport, requestID: 1, radio: radio(), gps: gps)),
            .tmp(.text("测试", group: false, requestID: 9, to: RadioIP(id: 1), from: radio())),
            .rcp(RCPMessage(.statusReport, statusTarget: 0x0B, statusValue: 3)),
        ]
        return data(choices.randomElement(using: &rng)!.encoded())
    }

    public mutating func nextInput() -> HostileInput {
        let kind = Kind.allCases.randomElement(using: &rng)!
        generated[kind, default: 0] += 1
        let b: [UInt8]
        switch kind {
        case .noise:
            b = bytes(1...200).map { Bool.random(using: &rng) && $0 < 40 ? 0x7E : $0 }
        case .truncated:
            let p = validPacket()
            b = Array(p.prefix(Int.random(in: 1..<p.count, using: &rng)))
        case .bitFlip:
            var p = validPacket()
            p[Int.random(in: 1..<p.count, using: &rng)] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            b = p
        case .lengthLies:
            var p = validPacket()
            let n = UInt16.random(in: 0...UInt16.max, using: &rng)
            p[8] = UInt8(n >> 8)
            p[9] = UInt8(n & 0xFF)
            b = p
        case .randomHDAP:
            b = data(bytes(0...300))
        case .randomPayload:
            let (service, opcode) = Self.knownOpcodes.randomElement(using: &rng)!
            opcodes.insert(UInt32(service.rawValue) << 16 | UInt32(opcode))
            b = data(HDAPMessage(reliable: Bool.random(using: &rng), service: service, opcode: opcode, payload: bytes(0...120)).encoded())
        case .badText:
            var text: [UInt8] = bytes(0...60)
            if Bool.random(using: &rng) { text += [0x00, 0xD8] }  // a lone high surrogate
            if Bool.random(using: &rng) { text.append(0x41) }  // an odd byte
            let m = TMPMessage(.privateText, requestID: UInt32.random(in: 0...UInt32.max, using: &rng), destination: radio(), source: radio(),
                               data: text, option: Bool.random(using: &rng) ? bytes(0...8) : nil)
            b = data(HyteraPDU.tmp(m).encoded())
        case .badPosition:
            var gps = bytes(40...40)
            if Bool.random(using: &rng) { gps[0] = UInt8(ascii: "A") }
            let m = LPMessage(.immediateReport, requestID: 1, radio: radio(), result: UInt16.random(in: 0...7, using: &rng), gps: HyteraGPS(raw: gps))
            b = data(HyteraPDU.lp(m).encoded())
        case .registrationFlood:
            b = (0..<Int.random(in: 1...20, using: &rng)).flatMap { _ in data(HyteraPDU.rrs(RRSMessage(.registration, radio: radio())).encoded()) }
        case .repeaterStorm:
            let m = RCPMessage(.repeaterTransmitStatus, callType: UInt16.random(in: 0...20, using: &rng), target: UInt32.random(in: 0...20, using: &rng),
                               sender: UInt32.random(in: 0...0xFF_FFFF, using: &rng), repeaterMode: 0,
                               repeaterStatus: UInt16.random(in: 0...20, using: &rng), repeaterService: UInt16.random(in: 0...8, using: &rng))
            b = data(HyteraPDU.rcp(m).encoded())
        case .controlPackets:
            let op = [0xFE, 0xFB, 0xFC, 0xFA, 0x10, UInt8.random(in: 0...255, using: &rng)].randomElement(using: &rng)!
            b = HRNPPacket(opcode: .init(op), source: 0x10, destination: 0x20, packetNumber: UInt16.random(in: 0...UInt16.max, using: &rng)).encoded()
        }
        return HostileInput(kind: kind.rawValue, bytes: b)
    }

    /// An LP condition report with a fix from radio `radio`, which a healthy gateway stores.
    public mutating func canary(radio: Int, latitude: Double) -> [UInt8] {
        let gps = HyteraGPS(valid: true, time: .now(), latitude: latitude, longitude: 113.67, speedKnots: 0, direction: 0)
        return data(HyteraPDU.lp(LPMessage(.conditionReport, requestID: 0, radio: RadioIP(id: UInt32(radio)), gps: gps)).encoded())
    }
}
