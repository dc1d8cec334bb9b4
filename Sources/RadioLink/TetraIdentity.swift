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
        let raw = String(text)
        let utf8 = raw.utf8
        let count = utf8.count
        guard count >= 1, count <= 17, utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        self.raw = raw
        // The SSI is the last 8 digits of a longer identity; leading zeros are dropped.
        var first = count > 8 ? utf8.index(utf8.startIndex, offsetBy: count - 8) : utf8.startIndex
        while first < utf8.endIndex, utf8[first] == 0x30 { first = utf8.index(after: first) }
        if first == utf8.startIndex {
            issi = raw
        } else if first == utf8.endIndex {
            issi = "0"
        } else {
            issi = String(raw.utf8[first...])!
        }
        if count == 17 {
            var mcc = 0
            var mnc = 0
            for (i, digit) in utf8.prefix(9).enumerated() {
                if i < 4 { mcc = mcc * 10 + Int(digit - 0x30) } else { mnc = mnc * 10 + Int(digit - 0x30) }
            }
            self.mcc = mcc
            self.mnc = mnc
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
