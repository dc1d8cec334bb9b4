/// Reads big-endian bit fields, most significant bit first, from a byte array.
struct BitReader {
    private let bytes: [UInt8]
    /// Bits that may be read in total.
    let bitCount: Int
    private(set) var position = 0

    init(_ bytes: [UInt8], bitCount: Int? = nil) {
        self.bytes = bytes
        self.bitCount = min(bitCount ?? bytes.count * 8, bytes.count * 8)
    }

    var remaining: Int { bitCount - position }

    /// The next `width` bits (at most 64) as an unsigned number, or nil past the end.
    mutating func read(_ width: Int) -> UInt64? {
        guard width >= 0, width <= 64, width <= remaining else { return nil }
        // Whole bytes (or the rest of the current byte) at a time.
        var value: UInt64 = 0
        var left = width
        while left > 0 {
            let available = 8 - (position & 7)
            let take = min(available, left)
            let bits = UInt64(bytes[position >> 3]) >> UInt64(available - take) & (1 << UInt64(take) - 1)
            value = value << UInt64(take) | bits
            position += take
            left -= take
        }
        return value
    }

    mutating func int(_ width: Int) -> Int? { read(width).map { Int($0) } }

    /// The next `bits` bits, left-aligned in bytes (the last byte padded with zeros); nil past the end.
    mutating func bytes(bits: Int) -> [UInt8]? {
        guard bits >= 0, bits <= remaining else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity((bits + 7) / 8)
        var left = bits
        while left > 0 {
            let take = min(8, left)
            guard let v = read(take) else { return nil }
            out.append(UInt8(v << UInt64(8 - take)))
            left -= take
        }
        return out
    }

    /// True when every bit not yet read is zero (padding), or none is left.
    var allRemainingZero: Bool {
        var copy = self
        while copy.remaining > 0 {
            guard let v = copy.read(min(64, copy.remaining)), v == 0 else { return false }
        }
        return true
    }

    /// The next `width` bits as a two's complement number.
    mutating func signed(_ width: Int) -> Int? {
        guard let raw = read(width) else { return nil }
        let value = Int(raw)
        return value >= 1 << (width - 1) ? value - (1 << width) : value
    }
}

enum Hex {
    /// Bytes from hex digits; an odd final digit becomes the high nibble of a last byte.
    /// Nil when a character is not a hex digit.
    static func decode(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity((text.utf8.count + 1) / 2)
        var high: UInt8?
        for c in text.utf8 {
            let nibble: UInt8
            switch c {
            case 0x30...0x39: nibble = c - 0x30
            case 0x41...0x46: nibble = c - 0x41 + 10
            case 0x61...0x66: nibble = c - 0x61 + 10
            default: return nil
            }
            if let h = high {
                bytes.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        if let h = high { bytes.append(h << 4) }
        return bytes
    }

    /// Exactly two uppercase hex digits per byte.
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
