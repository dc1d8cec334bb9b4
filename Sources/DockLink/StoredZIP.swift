/// A minimal ZIP writer (PKWARE APPNOTE.TXT 6.3.x, sections 4.3.7, 4.3.12 and 4.3.16): every entry
/// stored uncompressed (method 0), no extra fields, no comments, no ZIP64, and one fixed DOS
/// timestamp (1980-01-01 00:00:00) so that the same entries always give the same bytes, and so the
/// same MD5 fingerprint.
public enum StoredZIP {
    public struct Entry: Sendable, Hashable {
        /// Path inside the archive, `/`-separated, without a leading `/`.
        public var path: String
        public var bytes: [UInt8]

        public init(path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }
    }

    /// DOS time 00:00:00 and DOS date 1980-01-01 (year 0 from 1980, month 1, day 1).
    static let dosTime: UInt16 = 0
    static let dosDate: UInt16 = (0 << 9) | (1 << 5) | 1

    /// The archive with `entries` in the order given. Entries, sizes and offsets must fit the
    /// classic (non-ZIP64) format: fewer than 65,535 entries and under 4 GiB in all, which a
    /// wayline file always is; larger input is a programming error.
    public static func archive(_ entries: [Entry]) -> [UInt8] {
        precondition(entries.count < 0xFFFF, "StoredZIP: too many entries for a non-ZIP64 archive")
        var out: [UInt8] = []
        var central: [UInt8] = []
        for entry in entries {
            let name = Array(entry.path.utf8)
            precondition(name.count <= 0xFFFF, "StoredZIP: entry name too long")
            precondition(out.count + entry.bytes.count < 0xFFFF_FFFF, "StoredZIP: archive too large for a non-ZIP64 archive")
            let crc = CRC32.checksum(entry.bytes)
            let size = UInt32(entry.bytes.count)
            let offset = UInt32(out.count)
            // Bit 11: the name is UTF-8 (only when it is not plain ASCII).
            let flags: UInt16 = name.allSatisfy { $0 < 0x80 } ? 0 : 0x0800

            // Local file header.
            out.appendLE(UInt32(0x0403_4b50))
            out.appendLE(UInt16(10))  // version needed: 1.0, stored
            out.appendLE(flags)
            out.appendLE(UInt16(0))  // method: stored
            out.appendLE(dosTime)
            out.appendLE(dosDate)
            out.appendLE(crc)
            out.appendLE(size)  // compressed size
            out.appendLE(size)  // uncompressed size
            out.appendLE(UInt16(name.count))
            out.appendLE(UInt16(0))  // extra field length
            out += name
            out += entry.bytes

            // Central directory header.
            central.appendLE(UInt32(0x0201_4b50))
            central.appendLE(UInt16(0x0314))  // made by: Unix (3), spec 2.0, so the attributes below are read as mode bits
            central.appendLE(UInt16(10))
            central.appendLE(flags)
            central.appendLE(UInt16(0))
            central.appendLE(dosTime)
            central.appendLE(dosDate)
            central.appendLE(crc)
            central.appendLE(size)
            central.appendLE(size)
            central.appendLE(UInt16(name.count))
            central.appendLE(UInt16(0))  // extra field length
            central.appendLE(UInt16(0))  // comment length
            central.appendLE(UInt16(0))  // disk number start
            central.appendLE(UInt16(0))  // internal attributes
            central.appendLE(UInt32(0o100644) << 16)  // external attributes: regular file, rw-r--r--
            central.appendLE(offset)
            central += name
        }
        let centralOffset = UInt32(out.count)
        out += central
        // End of central directory record.
        out.appendLE(UInt32(0x0605_4b50))
        out.appendLE(UInt16(0))  // this disk
        out.appendLE(UInt16(0))  // disk with the central directory
        out.appendLE(UInt16(entries.count))
        out.appendLE(UInt16(entries.count))
        out.appendLE(UInt32(central.count))
        out.appendLE(centralOffset)
        out.appendLE(UInt16(0))  // comment length
        return out
    }
}

extension [UInt8] {
    mutating func appendLE(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func appendLE(_ value: UInt32) {
        for i in 0..<4 { append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
    }
}
