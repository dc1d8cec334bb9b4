/// A TETRA subscriber identity as the PEI writes it: a short SSI (`23404`, `02269001`) or an
/// extended TSI of 17 digits (MCC 4 + MNC 5 + SSI 8, `09011638300023404`).
///
/// `issi` is the SSI as plain digits without leading zeros (`2269001`, `23404`), the form the
/// fleet registry uses; `mcc` and `mnc` are set only for the 17-digit form.
public struct TetraIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The digits exactly as the radio sent them.
    public var raw: String
    /// The SSI (ISSI or GSSI) without leading zeros; `0` when all digits are zero.
    public var issi: String
    public var mcc: Int?
    public var mnc: Int?

    /// Nil unless `text` is 1 to 17 ASCII digits.
    public init?(_ text: some StringProtocol) {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count <= 17, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        raw = String(text)
        let ssiDigits = digits.count > 8 ? Array(digits.suffix(8)) : digits
        let trimmed = ssiDigits.drop(while: { $0 == 0x30 })
        issi = trimmed.isEmpty ? "0" : String(decoding: trimmed, as: UTF8.self)
        if digits.count == 17 {
            mcc = Int(String(decoding: digits[0..<4], as: UTF8.self))
            mnc = Int(String(decoding: digits[4..<9], as: UTF8.self))
        }
    }

    public var description: String { issi }

    /// True when `text` is usable as a destination in an AT command: 1 to 17 ASCII digits and
    /// nothing else. Everything that goes into a command outside the hex payload must pass this.
    public static func isValidDialDigits(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return !bytes.isEmpty && bytes.count <= 17 && bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
