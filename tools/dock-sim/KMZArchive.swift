/// Reads the entries of a KMZ (a ZIP file, PKWARE APPNOTE.TXT) the way a dock unpacks a route
/// file: through the central directory at the end, then each entry's local header. Stored
/// entries (method 0) only; a deflated entry is reported as unsupported, as is ZIP64 and
/// encryption. The CRC-32 of every entry is checked.
enum KMZArchive {
    struct Failure: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    /// Entry paths and their bytes, in central-directory order. Directories are left out.
    static func entries(_ zip: [UInt8]) throws(Failure) -> [(path: String, bytes: [UInt8])] {
        func u16(_ at: Int) throws(Failure) -> Int {
            guard at >= 0, at + 2 <= zip.count else { throw Failure(description: "truncated ZIP at byte \(at)") }
            return Int(zip[at]) | Int(zip[at + 1]) << 8
        }
        func u32(_ at: Int) throws(Failure) -> Int {
            guard at >= 0, at + 4 <= zip.count else { throw Failure(description: "truncated ZIP at byte \(at)") }
            return Int(zip[at]) | Int(zip[at + 1]) << 8 | Int(zip[at + 2]) << 16 | Int(zip[at + 3]) << 24
        }
        // The end-of-central-directory record: 22 bytes plus a comment of up to 65,535 bytes.
        var end = -1
        var at = zip.count - 22
        while at >= 0, at >= zip.count - 22 - 0xFFFF {
            if try u32(at) == 0x0605_4B50 { end = at; break }
            at -= 1
        }
        guard end >= 0 else { throw Failure(description: "not a ZIP file (no end-of-central-directory record)") }
        let count = try u16(end + 10)
        var entry = try u32(end + 16)
        guard count != 0xFFFF, entry != 0xFFFF_FFFF else { throw Failure(description: "ZIP64 archives are not supported") }

        var out: [(path: String, bytes: [UInt8])] = []
        for _ in 0..<count {
            guard try u32(entry) == 0x0201_4B50 else { throw Failure(description: "bad central directory header at byte \(entry)") }
            let flags = try u16(entry + 8)
            let method = try u16(entry + 10)
            let crc = try u32(entry + 16)
            let compressed = try u32(entry + 20)
            let size = try u32(entry + 24)
            let nameLength = try u16(entry + 28)
            let extraLength = try u16(entry + 30)
            let commentLength = try u16(entry + 32)
            let local = try u32(entry + 42)
            guard entry + 46 + nameLength <= zip.count else { throw Failure(description: "truncated ZIP entry name") }
            let path = String(decoding: zip[(entry + 46)..<(entry + 46 + nameLength)], as: UTF8.self)
            entry += 46 + nameLength + extraLength + commentLength

            if path.hasSuffix("/") { continue }
            guard flags & 0x1 == 0 else { throw Failure(description: "\(path) is encrypted") }
            guard method == 0 else { throw Failure(description: "\(path) is compressed (method \(method)); only stored entries are supported") }
            guard compressed == size else { throw Failure(description: "\(path): stored entry with different sizes") }
            guard try u32(local) == 0x0403_4B50 else { throw Failure(description: "\(path): bad local header at byte \(local)") }
            let start = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
            guard start + size <= zip.count else { throw Failure(description: "\(path): data runs past the end of the file") }
            let bytes = Array(zip[start..<(start + size)])
            guard crc32(bytes) == UInt32(crc) else { throw Failure(description: "\(path): CRC-32 mismatch") }
            out.append((path, bytes))
        }
        return out
    }

    /// CRC-32 (reflected polynomial 0xEDB88320), bit by bit: slow, and small.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }
}
