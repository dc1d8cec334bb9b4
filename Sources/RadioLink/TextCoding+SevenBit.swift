/// The 7-bit alphabet of text coding scheme 0 (EN 300 392-2 §29.5.4.3: the GSM default
/// alphabet), its septets packed one after the other, most significant bit first.
extension TextCoding {
    /// The default alphabet, septet value to character.
    static let sevenBitAlphabet: [Character] = Array(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1B}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")

    /// After the escape septet 0x1B.
    static let sevenBitExtension: [UInt8: Character] = [
        0x0A: "\u{0C}", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€",
    ]

    /// Decodes `bitCount` bits (at most the bytes given) as septets. A final all-zero septet
    /// in whole bytes that could as well hold one septet less (7n bytes, no exact bit length)
    /// is padding, not "@". An escape followed by an undefined value gives a space, as TS 23.038
    /// advises; an escape at the very end is dropped.
    public static func decodeSevenBit(_ bytes: [UInt8], bitCount: Int? = nil) -> String {
        var r = BitReader(bytes, bitCount: bitCount)
        var septets: [UInt8] = []
        septets.reserveCapacity(r.bitCount / 7)
        while let s = r.read(7) { septets.append(UInt8(s)) }
        if r.bitCount == bytes.count * 8, bytes.count % 7 == 0, septets.last == 0 {
            // 8n septets fill 7n bytes exactly, but 8n−1 septets need 7n bytes too; a trailing
            // zero septet then is most likely padding.
            septets.removeLast()
        }
        var out = ""
        var escaped = false
        for s in septets {
            if escaped {
                out.append(sevenBitExtension[s] ?? " ")
                escaped = false
            } else if s == 0x1B {
                escaped = true
            } else {
                out.append(sevenBitAlphabet[Int(s)])
            }
        }
        return out
    }

    /// Packs text into septets (characters outside the alphabet become "?"), the last byte
    /// padded with zeros. Returns the bytes and the number of meaningful bits.
    public static func encodeSevenBit(_ text: String) -> (bytes: [UInt8], bits: Int) {
        var w = BitWriter()
        for ch in text {
            if let i = sevenBitAlphabet.firstIndex(of: ch), i != 0x1B {
                w.write(UInt64(i), 7)
            } else if let e = sevenBitExtension.first(where: { $0.value == ch }) {
                w.write(0x1B, 7)
                w.write(UInt64(e.key), 7)
            } else {
                w.write(0x3F, 7)
            }
        }
        return (w.bytes, w.bitCount)
    }
}
