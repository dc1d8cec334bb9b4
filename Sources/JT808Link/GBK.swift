#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// GBK text (JT/T 808's strings) through the C library's iconv (GB18030, GBK's superset, so
/// every Chinese character a dispatcher types can be sent). Each call opens its own descriptor.
public enum GBK {
    /// The text, and whether every byte was valid GBK (invalid sequences become U+FFFD).
    public static func decode(_ bytes: some Collection<UInt8>) -> (text: String, valid: Bool) {
        let trimmed = Array(bytes.prefix { $0 != 0 })
        guard let (out, failures) = convert(trimmed, from: "GB18030", to: "UTF-8") else {
            return (String(decoding: trimmed, as: UTF8.self), false)
        }
        return (String(decoding: out, as: UTF8.self), failures == 0)
    }

    /// The GB18030 bytes of `text`, or nil when it cannot be written (iconv missing).
    public static func encode(_ text: String) -> [UInt8]? {
        guard let (out, failures) = convert(Array(text.utf8), from: "UTF-8", to: "GB18030"), failures == 0 else { return nil }
        return out
    }

    private static func convert(_ input: [UInt8], from: String, to: String) -> ([UInt8], Int)? {
        let cd = iconv_open(to, from)
        guard Int(bitPattern: cd) != -1 else { return nil }
        defer { iconv_close(cd) }
        if input.isEmpty { return ([], 0) }
        var output: [UInt8] = []
        var failures = 0
        var inBytes = input.map { CChar(bitPattern: $0) }
        var chunk = [CChar](repeating: 0, count: 4 * input.count + 16)
        var offset = 0
        while offset < inBytes.count {
            let (consumed, produced, failed) = inBytes.withUnsafeMutableBufferPointer { inBuffer in
                chunk.withUnsafeMutableBufferPointer { outBuffer in
                    var ip: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress! + offset
                    var il = inBuffer.count - offset
                    var op: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress!
                    var ol = outBuffer.count
                    let r = iconv(cd, &ip, &il, &op, &ol)
                    return ((inBuffer.count - offset) - il, outBuffer.count - ol, r == -1)
                }
            }
            output += chunk[0..<produced].map { UInt8(bitPattern: $0) }
            offset += consumed
            if failed {
                failures += 1
                if to == "UTF-8" { output += [0xEF, 0xBF, 0xBD] }
                offset += 1
            }
        }
        return (output, failures)
    }
}
