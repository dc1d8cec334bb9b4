import TianyanModel

/// Decodes 8-bit character sets (the ISO 8859 parts, PC code pages, VISCII) to Swift strings
/// through the C library's `iconv` (`CharacterSets`). A byte the character set does not define
/// becomes U+FFFD and the conversion goes on.
enum CharacterSetConverter {
    /// The text, or nil when the C library does not know `characterSet` (no gconv modules).
    static func decode(_ bytes: [UInt8], from characterSet: String) -> String? {
        CharacterSets.convert(bytes, from: characterSet, to: "UTF-8", replacement: [0xEF, 0xBF, 0xBD])
            .map { String(decoding: $0.bytes, as: UTF8.self) }
    }
}
