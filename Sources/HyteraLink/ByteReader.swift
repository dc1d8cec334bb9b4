/// Why a Hytera frame or PDU could not be read: what was wrong, for the log and the counters.
public struct HyteraDecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Reads fields off a byte slice, big- or little-endian, refusing to read past its end.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        offset = start
        self.end = min(end ?? bytes.count, bytes.count)
    }

    var remaining: Int { end - offset }
    var isAtEnd: Bool { offset >= end }

    mutating func u8(_ field: String) throws(HyteraDecodeError) -> UInt8 {
        guard remaining >= 1 else { throw HyteraDecodeError("truncated: \(field) missing") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ field: String, littleEndian: Bool = false) throws(HyteraDecodeError) -> UInt16 {
        let b = try take(2, field)
        return littleEndian ? UInt16(b[0]) | UInt16(b[1]) << 8 : UInt16(b[0]) << 8 | UInt16(b[1])
    }

    mutating func u32(_ field: String, littleEndian: Bool = false) throws(HyteraDecodeError) -> UInt32 {
        let b = try take(4, field)
        let be = UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
        return littleEndian ? be.byteSwapped : be
    }

    mutating func take(_ count: Int, _ field: String) throws(HyteraDecodeError) -> [UInt8] {
        guard count >= 0, remaining >= count else {
            throw HyteraDecodeError("truncated: \(field) needs \(count) bytes, \(max(remaining, 0)) left")
        }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func rest() -> [UInt8] {
        defer { offset = end }
        return offset < end ? Array(bytes[offset..<end]) : []
    }
}

extension Array where Element == UInt8 {
    mutating func appendBE(_ v: UInt16) { append(UInt8(v >> 8)); append(UInt8(v & 0xFF)) }
    mutating func appendLE(_ v: UInt16) { append(UInt8(v & 0xFF)); append(UInt8(v >> 8)) }
    mutating func appendBE(_ v: UInt32) { for s in stride(from: 24, through: 0, by: -8) { append(UInt8((v >> UInt32(s)) & 0xFF)) } }
    mutating func appendLE(_ v: UInt32) { for s in stride(from: 0, through: 24, by: 8) { append(UInt8((v >> UInt32(s)) & 0xFF)) } }
}

/// Lower-case hex of bytes, for logs and raw captures.
public func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0x0F)]) }
    return String(decoding: out, as: UTF8.self)
}

/// Bytes from hex text (spaces allowed); nil when it is not hex.
public func bytes(fromHex text: String) -> [UInt8]? {
    let digits = text.utf8.filter { $0 != 0x20 }
    guard digits.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 65...70: c - 55
        case 97...102: c - 87
        default: nil
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var i = digits.startIndex
    while i < digits.endIndex {
        guard let h = nibble(digits[i]), let l = nibble(digits[digits.index(after: i)]) else { return nil }
        out.append(h << 4 | l)
        i = digits.index(i, offsetBy: 2)
    }
    return out
}
