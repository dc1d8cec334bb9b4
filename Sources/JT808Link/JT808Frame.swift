/// Why a JT/T 808 frame or body could not be read.
public struct JT808Error: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One JT/T 808 message: the header (2013 or 2019 layout) and the body, unescaped, checksum
/// verified. `7E | id | properties | [version] | phone BCD | serial | [packages] | body | xor | 7E`.
public struct JT808Message: Hashable, Sendable {
    public enum Version: Hashable, Sendable {
        /// JT/T 808-2011/2013: 6-byte BCD phone, no version byte.
        case v2013
        /// JT/T 808-2019: properties bit 14, a protocol version byte, 10-byte BCD phone.
        case v2019(protocolVersion: UInt8)
    }

    public var id: UInt16
    public var version: Version
    /// The terminal's phone number (its identity), as the BCD digits say, leading zeros kept.
    public var phone: String
    public var serial: UInt16
    /// Properties bits 10-12 (bit 10: RSA). 0 is plain.
    public var encryption: UInt8
    /// Set on one part of a multi-package message: how many parts and which one (from 1).
    public var package: (total: UInt16, index: UInt16)?
    /// Properties bit 15 (reserved; kept as sent).
    public var reservedBit: Bool
    public var body: [UInt8]

    public init(id: UInt16, version: Version = .v2013, phone: String, serial: UInt16, encryption: UInt8 = 0,
                package: (total: UInt16, index: UInt16)? = nil, reservedBit: Bool = false, body: [UInt8] = []) {
        self.id = id
        self.version = version
        self.phone = phone
        self.serial = serial
        self.encryption = encryption
        self.package = package
        self.reservedBit = reservedBit
        self.body = body
    }

    public static func == (a: JT808Message, b: JT808Message) -> Bool {
        a.id == b.id && a.version == b.version && a.phone == b.phone && a.serial == b.serial && a.encryption == b.encryption
            && a.package?.total == b.package?.total && a.package?.index == b.package?.index && a.reservedBit == b.reservedBit && a.body == b.body
    }

    public func hash(into h: inout Hasher) {
        h.combine(id)
        h.combine(phone)
        h.combine(serial)
        h.combine(body)
    }

    /// The terminal identity as a unit id: the phone digits without leading zeros.
    public var terminal: String {
        let t = phone.drop { $0 == "0" }
        return t.isEmpty ? "0" : String(t)
    }

    public static let maximumBody = 1023

    // MARK: Reading

    /// One unescaped frame without its 0x7E delimiters: header, body and checksum.
    public init(unescaped f: [UInt8]) throws(JT808Error) {
        guard f.count >= 13 else { throw JT808Error("a frame of \(f.count) bytes is shorter than a header and checksum (13)") }
        var x: UInt8 = 0
        for b in f.dropLast() { x ^= b }
        guard x == f[f.count - 1] else {
            throw JT808Error("checksum 0x\(String(f[f.count - 1], radix: 16)) does not match 0x\(String(x, radix: 16))")
        }
        let id = UInt16(f[0]) << 8 | UInt16(f[1])
        let props = UInt16(f[2]) << 8 | UInt16(f[3])
        let length = Int(props & 0x03FF)
        let multi = props & 0x2000 != 0
        var i = 4
        let version: Version
        let phoneBytes: Int
        if props & 0x4000 != 0 {
            version = .v2019(protocolVersion: f[i])
            i += 1
            phoneBytes = 10
        } else {
            version = .v2013
            phoneBytes = 6
        }
        let headerLength = i + phoneBytes + 2 + (multi ? 4 : 0)
        guard f.count == headerLength + length + 1 else {
            throw JT808Error("the header says a \(length)-byte body; the frame has \(f.count - headerLength - 1)")
        }
        var phone = ""
        for b in f[i..<i + phoneBytes] {
            let hi = b >> 4, lo = b & 0x0F
            guard hi < 10, lo < 10 else { throw JT808Error("phone number byte 0x\(String(b, radix: 16)) is not BCD") }
            phone += String(hi) + String(lo)
        }
        i += phoneBytes
        let serial = UInt16(f[i]) << 8 | UInt16(f[i + 1])
        i += 2
        var package: (UInt16, UInt16)?
        if multi {
            let total = UInt16(f[i]) << 8 | UInt16(f[i + 1]), index = UInt16(f[i + 2]) << 8 | UInt16(f[i + 3])
            guard total >= 1, index >= 1, index <= total else { throw JT808Error("package \(index) of \(total) is not a package") }
            package = (total, index)
            i += 4
        }
        self.init(id: id, version: version, phone: phone, serial: serial, encryption: UInt8(props >> 10 & 0x07), package: package,
                  reservedBit: props & 0x8000 != 0, body: Array(f[i..<i + length]))
    }

    // MARK: Writing

    /// The frame as sent: escaped, between two 0x7E.
    public func encoded() -> [UInt8] {
        var f: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF)]
        var props = UInt16(min(body.count, Self.maximumBody)) | UInt16(encryption & 0x07) << 10
        if package != nil { props |= 0x2000 }
        if reservedBit { props |= 0x8000 }
        let digits: Int
        switch version {
        case .v2013:
            digits = 12
        case .v2019:
            props |= 0x4000
            digits = 20
        }
        f += [UInt8(props >> 8), UInt8(props & 0xFF)]
        if case .v2019(let v) = version { f.append(v) }
        let d = Array(String(repeating: "0", count: max(0, digits - phone.count)) + phone.suffix(digits)).map { UInt8($0.asciiValue ?? 48) - 48 }
        for k in stride(from: 0, to: digits, by: 2) { f.append(d[k] << 4 | d[k + 1]) }
        f += [UInt8(serial >> 8), UInt8(serial & 0xFF)]
        if let package { f += [UInt8(package.total >> 8), UInt8(package.total & 0xFF), UInt8(package.index >> 8), UInt8(package.index & 0xFF)] }
        f += body
        var x: UInt8 = 0
        for b in f { x ^= b }
        f.append(x)
        return [0x7E] + Self.escape(f) + [0x7E]
    }

    static func escape(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 4)
        for b in bytes {
            switch b {
            case 0x7E: out += [0x7D, 0x02]
            case 0x7D: out += [0x7D, 0x01]
            default: out.append(b)
            }
        }
        return out
    }
}

/// Cuts JT/T 808 frames out of a TCP byte stream: between 0x7E delimiters, unescaped (an escape
/// cut at a read boundary is finished by the next read), checksum verified. Bad frames are
/// reported and skipped; what follows them is read.
public struct JT808Framer: Sendable {
    public enum Output: Hashable, Sendable {
        case message(JT808Message)
        case garbage(bytes: Int, reason: String)
    }

    /// A frame longer than this (unescaped) is noise: a 2019 header with packages and a full body.
    public static let maximumFrame = 4 + 1 + 10 + 2 + 4 + JT808Message.maximumBody + 1

    private var inFrame = false
    private var pendingEscape = false
    private var current: [UInt8] = []
    private var skipped = 0

    public init() {}

    public var buffered: Int { current.count }

    /// The first message in hex text (tests, tools), nil when there is none.
    public static func decode(_ hex: String) -> JT808Message? {
        let d = Array(hex.utf8)
        guard d.count % 2 == 0 else { return nil }
        func n(_ c: UInt8) -> UInt8? { switch c { case 48...57: c - 48; case 65...70: c - 55; case 97...102: c - 87; default: nil } }
        var bytes: [UInt8] = []
        for i in stride(from: 0, to: d.count, by: 2) {
            guard let h = n(d[i]), let l = n(d[i + 1]) else { return nil }
            bytes.append(h << 4 | l)
        }
        var f = JT808Framer()
        return f.push(bytes).lazy.compactMap { if case .message(let m) = $0 { m } else { nil } }.first
    }

    public mutating func push(_ bytes: [UInt8]) -> [Output] {
        var out: [Output] = []
        for b in bytes {
            if b == 0x7E {
                if inFrame, !current.isEmpty {
                    if pendingEscape {
                        out.append(.garbage(bytes: current.count + 2, reason: "an escape byte 0x7D right before the end of the frame"))
                    } else {
                        do { out.append(.message(try JT808Message(unescaped: current))) } catch {
                            out.append(.garbage(bytes: current.count + 2, reason: error.message))
                        }
                    }
                } else if skipped > 0 {
                    out.append(.garbage(bytes: skipped, reason: "bytes outside a frame"))
                }
                skipped = 0
                // A 0x7E both ends one frame and may start the next (some terminals share it).
                inFrame = true
                pendingEscape = false
                current.removeAll(keepingCapacity: true)
                continue
            }
            guard inFrame else {
                skipped += 1
                continue
            }
            if pendingEscape {
                pendingEscape = false
                switch b {
                case 0x01: current.append(0x7D)
                case 0x02: current.append(0x7E)
                default:
                    out.append(.garbage(bytes: current.count + 2, reason: "0x7D followed by 0x\(String(b, radix: 16)) is not an escape"))
                    inFrame = false
                    current.removeAll(keepingCapacity: true)
                }
                continue
            }
            if b == 0x7D {
                pendingEscape = true
                continue
            }
            current.append(b)
            if current.count > Self.maximumFrame {
                out.append(.garbage(bytes: current.count, reason: "a frame longer than \(Self.maximumFrame) bytes"))
                inFrame = false
                current.removeAll(keepingCapacity: true)
            }
        }
        return out
    }
}
