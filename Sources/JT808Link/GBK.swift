import TianyanModel

/// GBK text (JT/T 808's strings) through the C library's iconv (GB18030, GBK's superset, so
/// every Chinese character a dispatcher types can be sent).
public enum GBK {
    /// The text, and whether every byte was valid GBK (invalid sequences become U+FFFD).
    public static func decode(_ bytes: some Collection<UInt8>) -> (text: String, valid: Bool) {
        let trimmed = Array(bytes.prefix { $0 != 0 })
        guard let (out, failures) = CharacterSets.convert(trimmed, from: "GB18030", to: "UTF-8", replacement: [0xEF, 0xBF, 0xBD]) else {
            return (String(decoding: trimmed, as: UTF8.self), false)
        }
        return (String(decoding: out, as: UTF8.self), failures == 0)
    }

    /// The GB18030 bytes of `text`, or nil when it cannot be written (iconv missing).
    public static func encode(_ text: String) -> [UInt8]? {
        guard let (out, failures) = CharacterSets.convert(Array(text.utf8), from: "UTF-8", to: "GB18030"), failures == 0 else { return nil }
        return out
    }
}
