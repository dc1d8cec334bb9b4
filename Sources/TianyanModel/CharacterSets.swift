#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Converts text between character sets through the C library's `iconv` (the radios' 8-bit code
/// pages, GBK). Each call opens and closes its own descriptor, so it is safe from any thread.
public enum CharacterSets {
    /// `bytes` in `from` as bytes in `to`, and how many input bytes could not be converted (each
    /// is skipped, and `replacement` written in its place). Nil when the C library does not know
    /// one of the character sets (no gconv modules).
    public static func convert(_ bytes: [UInt8], from: String, to: String, replacement: [UInt8] = []) -> (bytes: [UInt8], failures: Int)? {
        let descriptor = iconv_open(to, from)
        guard Int(bitPattern: descriptor) != -1 else { return nil }
        defer { iconv_close(descriptor) }
        if bytes.isEmpty { return ([], 0) }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 3)
        var failures = 0
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
                // An undefined byte (EILSEQ) or a cut sequence: mark it and skip it.
                failures += 1
                output += replacement
                offset += 1
            }
        }
        return (output, failures)
    }
}
