#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes 8-bit character sets (the ISO 8859 parts, PC code pages, VISCII) to Swift strings
/// through the C library's `iconv`.
///
/// Each call opens and closes its own conversion descriptor, so the type holds no C state and
/// is safe from any thread. A byte the character set does not define becomes U+FFFD and the
/// conversion goes on.
enum CharacterSetConverter {
    /// The text, or nil when the C library does not know `characterSet` (no gconv modules).
    static func decode(_ bytes: [UInt8], from characterSet: String) -> String? {
        let descriptor = iconv_open("UTF-8", characterSet)
        guard Int(bitPattern: descriptor) != -1 else { return nil }
        defer { iconv_close(descriptor) }
        if bytes.isEmpty { return "" }

        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 3)
        var chunk = [CChar](repeating: 0, count: 4 * bytes.count + 16)
        var input = bytes.map { CChar(bitPattern: $0) }
        var offset = 0
        while offset < input.count {
            let (consumed, produced, failed) = input.withUnsafeMutableBufferPointer { inBuffer in
                chunk.withUnsafeMutableBufferPointer { outBuffer in
                    var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress! + offset
                    var inLeft = inBuffer.count - offset
                    var outPointer: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress!
                    var outLeft = outBuffer.count
                    let result = iconv(descriptor, &inPointer, &inLeft, &outPointer, &outLeft)
                    return ((inBuffer.count - offset) - inLeft, outBuffer.count - outLeft, result == -1)
                }
            }
            output += chunk[0..<produced].map { UInt8(bitPattern: $0) }
            offset += consumed
            if failed {
                // An undefined byte (EILSEQ) or one the output had no room for: mark and skip it.
                output += [0xEF, 0xBF, 0xBD]
                offset += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
