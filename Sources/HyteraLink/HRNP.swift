/// A Hytera radio's address on its data services: a subnet byte (10 by default) and the 24-bit
/// radio ID, written like an IPv4 address (`10.0.3.233` is radio 1001). Group destinations of text
/// messages carry the group ID the same way with a zero subnet.
public struct RadioIP: Hashable, Sendable, CustomStringConvertible {
    public var subnet: UInt8
    /// The 24-bit radio (or group) ID.
    public var id: UInt32

    public init(subnet: UInt8 = 10, id: UInt32) {
        self.subnet = subnet
        self.id = id & 0xFF_FFFF
    }

    public init(bytes b: [UInt8]) {
        self.init(subnet: b[0], id: UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3]))
    }

    public var bytes: [UInt8] { [subnet, UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)] }
    public var description: String { bytes.map(String.init).joined(separator: ".") }

    static func read(_ r: inout ByteReader, _ field: String) throws(HyteraDecodeError) -> RadioIP {
        RadioIP(bytes: try r.take(4, field))
    }
}

/// One HRNP packet: the framing between a PC and a Hytera mobile or control-station radio, on a
/// serial accessory cable or a TCP socket. Big-endian; the length covers the whole packet; the
/// checksum is the IP-header one's-complement sum.
public struct HRNPPacket: Hashable, Sendable {
    public enum Opcode: Hashable, Sendable {
        case data, dataAck, connect, accept, reject, close, closeAck
        case other(UInt8)

        public init(_ raw: UInt8) {
            switch raw {
            case 0x00: self = .data
            case 0x10: self = .dataAck
            case 0xFE: self = .connect
            case 0xFD: self = .accept
            case 0xFC: self = .reject
            case 0xFB: self = .close
            case 0xFA: self = .closeAck
            default: self = .other(raw)
            }
        }

        public var raw: UInt8 {
            switch self {
            case .data: 0x00
            case .dataAck: 0x10
            case .connect: 0xFE
            case .accept: 0xFD
            case .reject: 0xFC
            case .close: 0xFB
            case .closeAck: 0xFA
            case .other(let v): v
            }
        }
    }

    public static let header: UInt8 = 0x7E
    public static let headerLength = 12
    /// Longer declared lengths are refused as line noise (an HDAP PDU is at most a few hundred bytes).
    public static let maximumLength = 4096
    /// The PC's and the radio's HRNP node addresses.
    public static let pcAddress: UInt8 = 0x20
    public static let radioAddress: UInt8 = 0x10

    public var version: UInt8
    public var block: UInt8
    public var opcode: Opcode
    public var source: UInt8
    public var destination: UInt8
    public var packetNumber: UInt16
    /// The HDAP PDU of a DATA packet (empty otherwise).
    public var payload: [UInt8]

    public init(version: UInt8 = 4, block: UInt8 = 0, opcode: Opcode, source: UInt8, destination: UInt8, packetNumber: UInt16,
                payload: [UInt8] = []) {
        self.version = version
        self.block = block
        self.opcode = opcode
        self.source = source
        self.destination = destination
        self.packetNumber = packetNumber
        self.payload = payload
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = [Self.header, version, block, opcode.raw, source, destination]
        out.appendBE(packetNumber)
        out.appendBE(UInt16(Self.headerLength + payload.count))
        out += [0, 0]
        out += payload
        let sum = Self.checksum(out)
        out[10] = UInt8(sum >> 8)
        out[11] = UInt8(sum & 0xFF)
        return out
    }

    /// The one's-complement sum of the packet taken as big-endian 16-bit words (bytes 10–11, the
    /// checksum itself, counted as zero; an odd length padded with a zero byte).
    public static func checksum(_ packet: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i < packet.count {
            let hi = i == 10 || i == 11 ? 0 : UInt32(packet[i])
            let lo = i + 1 < packet.count && i + 1 != 10 && i + 1 != 11 ? UInt32(packet[i + 1]) : 0
            sum += hi << 8 | lo
            i += 2
        }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// One whole packet (exactly its declared length), checksum verified.
    public init(decoding bytes: [UInt8]) throws(HyteraDecodeError) {
        guard bytes.count >= Self.headerLength else { throw HyteraDecodeError("HRNP packet of \(bytes.count) bytes, the header alone is 12") }
        guard bytes[0] == Self.header else { throw HyteraDecodeError("HRNP packet does not start with 0x7E") }
        let length = Int(bytes[8]) << 8 | Int(bytes[9])
        guard length == bytes.count else { throw HyteraDecodeError("HRNP length field says \(length), the packet has \(bytes.count) bytes") }
        let declared = UInt16(bytes[10]) << 8 | UInt16(bytes[11])
        let computed = Self.checksum(bytes)
        guard declared == computed else {
            throw HyteraDecodeError("HRNP checksum 0x\(String(declared, radix: 16)) does not match 0x\(String(computed, radix: 16))")
        }
        self.init(version: bytes[1], block: bytes[2], opcode: Opcode(bytes[3]), source: bytes[4], destination: bytes[5],
                  packetNumber: UInt16(bytes[6]) << 8 | UInt16(bytes[7]), payload: Array(bytes[Self.headerLength...]))
    }
}

/// Cuts HRNP packets out of a byte stream: resynchronises on `0x7E`, trusts a declared length
/// only within bounds, and drops a packet whose checksum fails (reporting it) without losing the
/// packets after it, even when a packet is split across reads.
public struct HRNPFramer: Sendable {
    public enum Output: Hashable, Sendable {
        case packet(HRNPPacket)
        /// Bytes skipped or a packet refused, and why.
        case garbage(bytes: Int, reason: String)
    }

    private var buffer: [UInt8] = []
    public init() {}

    public var buffered: Int { buffer.count }

    /// Drops what is held back as an incomplete packet (called when the line has been quiet
    /// long enough that the rest is not coming), reporting it, and frames what follows it.
    public mutating func dropIncomplete() -> [Output] {
        guard !buffer.isEmpty else { return [] }
        let rest = Array(buffer.dropFirst())
        buffer = []
        return [.garbage(bytes: 1, reason: "an incomplete HRNP packet the radio never finished")] + push(rest)
    }

    /// The offset of the first 0x7E after `start` where a whole packet with a good checksum is buffered.
    private func nextValidPacket(after start: Int) -> Int? {
        var i = start + 1
        while i < buffer.count, let h = buffer[i...].firstIndex(of: HRNPPacket.header) {
            i = h + 1
            guard buffer.count - h >= HRNPPacket.headerLength else { return nil }
            let length = Int(buffer[h + 8]) << 8 | Int(buffer[h + 9])
            guard length >= HRNPPacket.headerLength, length <= HRNPPacket.maximumLength, buffer.count - h >= length else { continue }
            let declared = UInt16(buffer[h + 10]) << 8 | UInt16(buffer[h + 11])
            if HRNPPacket.checksum(Array(buffer[h..<h + length])) == declared { return h }
        }
        return nil
    }

    public mutating func push(_ bytes: [UInt8]) -> [Output] {
        buffer += bytes
        var out: [Output] = []
        var start = 0
        while start < buffer.count {
            guard let h = buffer[start...].firstIndex(of: HRNPPacket.header) else {
                out.append(.garbage(bytes: buffer.count - start, reason: "bytes outside an HRNP packet"))
                start = buffer.count
                break
            }
            if h > start {
                out.append(.garbage(bytes: h - start, reason: "bytes outside an HRNP packet"))
                start = h
            }
            guard buffer.count - start >= 10 else { break }
            let length = Int(buffer[start + 8]) << 8 | Int(buffer[start + 9])
            guard length >= HRNPPacket.headerLength, length <= HRNPPacket.maximumLength else {
                out.append(.garbage(bytes: 1, reason: "HRNP length \(length) out of range"))
                start += 1
                continue
            }
            guard buffer.count - start >= length else {
                // Still incomplete. A length that lies (noise with a 0x7E in it) would hold back
                // every packet after it: when a whole valid packet starts inside the span this one
                // claims, this header is taken for noise.
                if let next = nextValidPacket(after: start) {
                    out.append(.garbage(bytes: next - start, reason: "HRNP length \(length) runs into the next packet"))
                    start = next
                    continue
                }
                break
            }
            let candidate = Array(buffer[start..<start + length])
            do {
                out.append(.packet(try HRNPPacket(decoding: candidate)))
                start += length
            } catch {
                // Perhaps a 0x7E inside noise: skip it and look for the next header.
                out.append(.garbage(bytes: 1, reason: error.message))
                start += 1
            }
        }
        buffer.removeFirst(start)
        return out
    }
}

/// One HSTRP datagram: a Hytera repeater's "Forward to PC" feed over UDP (`"2B"` header). Every
/// datagram is acknowledged by echoing it with the ACK bit set.
public struct HSTRPDatagram: Hashable, Sendable {
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let ack = Flags(rawValue: 0x01)
        public static let heartbeat = Flags(rawValue: 0x02)
        public static let connect = Flags(rawValue: 0x04)
        public static let close = Flags(rawValue: 0x08)
        public static let reject = Flags(rawValue: 0x10)
        public static let options = Flags(rawValue: 0x20)
    }

    /// One option: `realtime` (1), `deviceID` (3, the repeater's ID, u32), `channel` (4, the slot,
    /// u8), XPT site (5), XPT index (6), XPT channel type (7); others are kept raw.
    public struct Option: Hashable, Sendable {
        public var command: UInt8
        public var value: [UInt8]
        public init(command: UInt8, value: [UInt8]) {
            self.command = command
            self.value = value
        }
        public static let realtime: UInt8 = 1
        public static let deviceID: UInt8 = 3
        public static let channel: UInt8 = 4
        public static let xptSite: UInt8 = 5
        public static let xptIndex: UInt8 = 6
        public static let xptChannelType: UInt8 = 7
    }

    public var version: UInt8
    public var flags: Flags
    public var sequence: UInt16
    public var options: [Option]
    public var payload: [UInt8]

    public init(version: UInt8 = 0, flags: Flags, sequence: UInt16, options: [Option] = [], payload: [UInt8] = []) {
        self.version = version
        self.flags = options.isEmpty ? flags.subtracting(.options) : flags.union(.options)
        self.sequence = sequence
        self.options = options
        self.payload = payload
    }

    public init(decoding bytes: [UInt8]) throws(HyteraDecodeError) {
        var r = ByteReader(bytes)
        guard try r.u8("header") == 0x32, try r.u8("header") == 0x42 else { throw HyteraDecodeError("HSTRP datagram does not start with \"2B\"") }
        version = try r.u8("version")
        flags = Flags(rawValue: try r.u8("type"))
        sequence = try r.u16("sequence number")
        options = []
        if flags.contains(.options) {
            var more = true
            while more {
                let head = try r.u8("option command")
                let length = Int(try r.u8("option length"))
                options.append(Option(command: head & 0x7F, value: try r.take(length, "option value")))
                more = head & 0x80 != 0
            }
        }
        payload = r.rest()
    }

    public func encoded() -> [UInt8] {
        var out: [UInt8] = [0x32, 0x42, version, flags.rawValue]
        out.appendBE(sequence)
        for (i, o) in options.enumerated() {
            out.append((i < options.count - 1 ? 0x80 : 0) | (o.command & 0x7F))
            out.append(UInt8(o.value.count))
            out += o.value
        }
        return out + payload
    }

    /// The acknowledgement the receiver sends back: the same datagram with the ACK bit set.
    public func acknowledgement() -> HSTRPDatagram {
        var a = self
        a.flags.insert(.ack)
        return a
    }

    /// The repeater's ID from the device option.
    public var deviceID: UInt32? {
        options.first { $0.command == Option.deviceID && $0.value.count == 4 }.map {
            UInt32($0.value[0]) << 24 | UInt32($0.value[1]) << 16 | UInt32($0.value[2]) << 8 | UInt32($0.value[3])
        }
    }

    /// The time slot (1 or 2) from the channel option.
    public var slot: UInt8? { options.first { $0.command == Option.channel && $0.value.count == 1 }?.value[0] }
}
