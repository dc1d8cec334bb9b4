import TianyanModel

/// Seeded hostile PEI traffic for driving a whole gateway service (or the whole controller) over
/// a real byte link: SDS with every protocol identifier and AI service, truncated, over-long and
/// mislabelled PDUs, headers without payloads, call-control lines with wild fields, and noise.
/// A `canary` is a valid LIP report from a given radio, to prove the far end still processes input.
///
/// The pure decoders are fuzzed byte by byte in tools/fuzz-radio; this drives the service around
/// them, where a crash stops the controller.
public struct HostileRadioTraffic: Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        case sdsEveryProtocol = "SDS, each protocol identifier, random user data"
        case sdsTruncated = "SDS, a real PDU cut short"
        case sdsOverlong = "SDS, a real PDU with trailing bytes"
        case sdsLengthLies = "SDS, header length unlike the payload"
        case sdsTransport = "SDS-TL transfer, report and ack with random fields"
        case concatenation = "concatenated SDS parts, some missing, repeated or reordered"
        case status = "status SDS, any value and AI service"
        case location = "LIP, every PDU type and extension, random bits"
        case orphanHeader = "+CTSDSR header without its payload line"
        case callControl = "call-control lines with wild fields"
        case noise = "binary noise and very long lines"
    }

    /// One input: the bytes put on the line and what they were.
    public struct Input: Sendable {
        public var kind: Kind
        public var bytes: [UInt8]
        public var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    private var rng: SeededGenerator
    private var swept = 0
    /// Counts of what was generated, by kind.
    public private(set) var generated: [Kind: Int] = [:]
    /// Protocol identifiers sent so far (every one of 0…255 after enough inputs).
    public private(set) var protocolIdentifiers: Set<UInt8> = []

    public init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    /// Real PDUs to cut and extend: LIP short and long, SDS-TL text, report, ack, UDH text, status.
    static let realPDUs: [String] = [
        "0A00893E12472C51026810", "0A112853A9FF4D4FFFE810", "0A0088BD4247F737FFE810",
        "82040801476A61746A616A676A61", "82100002", "821800CA", "822001C9", "82029C01746573746D657373616765",
        "0201746573746D657373616765", "8A0408010500030A0201414243", "0A4591C128293D",
        "0A4C2A8C5E3C4D500000281800", "830401FF", "8C0401000102",
    ]

    /// The first 256 inputs sweep every protocol identifier once; the rest are random.
    public mutating func next() -> Input {
        if swept < 256 {
            let pi = UInt8(swept)
            swept += 1
            generated[.sdsEveryProtocol, default: 0] += 1
            return Input(kind: .sdsEveryProtocol, bytes: Array(sds(service: 12, [pi] + randomBytes(0...40)).joined().utf8))
        }
        let kind = Kind.allCases.randomElement(using: &rng)!
        generated[kind, default: 0] += 1
        return Input(kind: kind, bytes: Array(lines(kind).joined().utf8))
    }

    /// A LIP short report with a fix from `issi`, which a healthy gateway stores as a position.
    public static func canary(issi: String, latitude: Double = 22.8, longitude: Double = 113.67) -> [UInt8] {
        let lon = Int((longitude * 33_554_432 / 360).rounded()), lat = Int((latitude * 16_777_216 / 180).rounded())
        var bits: [Bool] = []
        func put(_ v: Int, _ width: Int) { for i in stride(from: width - 1, through: 0, by: -1) { bits.append((v >> i) & 1 == 1) } }
        put(0x0A, 8); put(0, 2); put(0, 2); put(lon & 0x1FF_FFFF, 25); put(lat & 0xFF_FFFF, 24)
        put(1, 3); put(0, 7); put(0, 4); put(0, 1); put(129, 8)
        while bits.count % 8 != 0 { bits.append(false) }
        var bytes: [UInt8] = []
        for i in stride(from: 0, to: bits.count, by: 8) { bytes.append(bits[i..<i + 8].reduce(0) { $0 << 1 | ($1 ? 1 : 0) }) }
        return Array("\r\n+CTSDSR: 12,\(issi),0,2000999,0,84\r\n\(hex(bytes))\r\n".utf8)
    }

    // MARK: Generators

    private mutating func lines(_ kind: Kind) -> [String] {
        switch kind {
        case .sdsEveryProtocol:
            let pi = UInt8.random(in: 0...255, using: &rng)
            return sds(service: 12, [pi] + randomBytes(0...40))
        case .sdsTruncated:
            var pdu = Self.bytes(ofHex: Self.realPDUs.randomElement(using: &rng)!)
            pdu.removeLast(Int.random(in: 0..<pdu.count, using: &rng))
            // Sometimes declare the full length, sometimes the cut one, sometimes a bit less.
            let declared = [pdu.count * 8, pdu.count * 8 - 1, pdu.count * 8 + 8, max(0, pdu.count * 8 - Int.random(in: 1...7, using: &rng))]
                .randomElement(using: &rng)!
            return sds(service: 12, pdu, bits: declared)
        case .sdsOverlong:
            let pdu = Self.bytes(ofHex: Self.realPDUs.randomElement(using: &rng)!) + randomBytes(1...300)
            return sds(service: 12, pdu)
        case .sdsLengthLies:
            let pdu = Self.bytes(ofHex: Self.realPDUs.randomElement(using: &rng)!)
            let declared = [0, 1, 7, 65_535, 99_999_999, -8, pdu.count * 8 + 1].randomElement(using: &rng)!
            return sds(service: 12, pdu, bits: declared)
        case .sdsTransport:
            let pi: UInt8 = [0x82, 0x83, 0x84, 0x85, 0x86, 0x88, 0x89, 0x8A, 0x8C, 0xC0, 0xFF].randomElement(using: &rng)!
            let byte1 = UInt8.random(in: 0...255, using: &rng)
            return sds(service: 12, [pi, byte1] + randomBytes(0...24))
        case .concatenation:
            // A user-data header (0x8A) part or an SDS-TL concatenated (0x8C) part with small
            // random reference, total and sequence numbers, so sets collide, complete and repeat.
            let total = UInt8.random(in: 0...4, using: &rng), sequence = UInt8.random(in: 0...5, using: &rng)
            let reference = UInt8.random(in: 0...3, using: &rng)
            let text = Array("part \(sequence) of \(total) ".utf8) + randomBytes(0...8)
            let pdu: [UInt8] = Bool.random(using: &rng)
                ? [0x8A, 0x04, reference, 0x01, 0x05, 0x00, 0x03, reference, total, sequence] + text
                : [0x8C, 0x04, reference, 0x01, reference, total, sequence] + text
            return sds(service: 12, pdu, from: ["2100001", "2100002", "4000123"].randomElement(using: &rng)!)
        case .status:
            let service = [13, 13, 13, 9, 10, 11, 14, 0, 255].randomElement(using: &rng)!
            return sds(service: service, randomBytes(0...4))
        case .location:
            let first = UInt8.random(in: 0...255, using: &rng)
            return sds(service: 12, [0x0A, first] + randomBytes(0...30))
        case .orphanHeader:
            return ["\r\n+CTSDSR: 12,\(issi()),0,2000999,0,\(Int.random(in: 0...200, using: &rng))\r\n",
                    ["\r\nOK\r\n", "\r\n+CTCR: 1,13\r\n", "\r\n\r\n", "\r\nZZZZ\r\n"].randomElement(using: &rng)!]
        case .callControl:
            let code = ["+CTICN", "+CTCC", "+CTXG", "+CDTXC", "+CTCR", "+CMGS", "+CTGS", "+CNUMF", "+CSQ", "+CBC", "+CME ERROR", "+CTOCP"]
                .randomElement(using: &rng)!
            let fields = (0..<Int.random(in: 0...15, using: &rng)).map { _ in field() }
            return ["\r\n\(code): \(fields.joined(separator: ","))\r\n"]
        case .noise:
            if Int.random(in: 0..<8, using: &rng) == 0 {
                return ["\r\n" + String(repeating: "+CTSDSR: 12,", count: Int.random(in: 100...3000, using: &rng)) + "\r\n"]
            }
            return [String(decoding: randomBytes(1...200), as: UTF8.self) + "\r\n"]
        }
    }

    private mutating func sds(service: Int, _ pdu: [UInt8], bits: Int? = nil, from: String? = nil) -> [String] {
        if service == 12, let pi = pdu.first { protocolIdentifiers.insert(pi) }
        let caller = from ?? issi()
        return ["\r\n+CTSDSR: \(service),\(caller),0,2000999,0,\(bits ?? pdu.count * 8)\r\n\(Self.hex(pdu))\r\n"]
    }

    private mutating func issi() -> String {
        ["2100001", "2100005", "23404", "0", "", "99999999999999999999", "-1", "4000123"].randomElement(using: &rng)!
    }

    private mutating func field() -> String {
        ["", "0", "1", "-1", "15", "255", "65535", "4294967296", "99999999999999999999", "2100001", "09011638300023404",
         "x", "\"q\"", "1.5", String(repeating: "9", count: 40)].randomElement(using: &rng)!
    }

    private mutating func randomBytes(_ count: ClosedRange<Int>) -> [UInt8] {
        (0..<Int.random(in: count, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    static func bytes(ofHex hex: String) -> [UInt8] {
        let chars = Array(hex.utf8)
        return stride(from: 0, to: chars.count - 1, by: 2).compactMap { UInt8(String(decoding: chars[$0...$0 + 1], as: UTF8.self), radix: 16) }
    }
}

/// One hostile input of any protocol: what kind it is and its bytes on the line.
public struct HostileInput: Sendable {
    public var kind: String
    public var bytes: [UInt8]
    public init(kind: String, bytes: [UInt8]) {
        self.kind = kind
        self.bytes = bytes
    }
}

/// Hostile traffic of one gateway protocol for `FuzzedController`: inputs, and a canary position
/// report from a given radio that a healthy gateway stores.
public protocol HostileTraffic {
    mutating func nextInput() -> HostileInput
    mutating func canary(radio: Int, latitude: Double) -> [UInt8]
    /// How many of the protocol's identifiers or opcodes the inputs have covered.
    var variety: Int { get }
}

extension HostileRadioTraffic: HostileTraffic {
    public mutating func nextInput() -> HostileInput {
        let input = next()
        return HostileInput(kind: input.kind.rawValue, bytes: input.bytes)
    }

    /// The line may have been left mid-line by the noise: the canary ends it first.
    public mutating func canary(radio: Int, latitude: Double) -> [UInt8] {
        Array("\r\n".utf8) + Self.canary(issi: String(radio), latitude: latitude)
    }

    public var variety: Int { protocolIdentifiers.count }
}

