import Foundation
import Testing
import TianyanModel

@Suite struct JSONTextTests {
    @Test(arguments: ["plain", "say \"hi\"", "back\\slash", "two\nlines\r\tend", "bell \u{07} and \u{1F}", "长安 ✓", ""])
    func aStringLiteralReadsBackAsTheSameString(_ s: String) throws {
        var out = ""
        JSONText.appendString(s, to: &out)
        let back = try JSONSerialization.jsonObject(with: Data("[\(out)]".utf8)) as? [String]
        #expect(back == [s], "\(out)")
        #expect(!out.unicodeScalars.dropFirst().dropLast().contains { $0.value < 0x20 }, "no raw control character: \(out)")
    }

    @Test func controlCharactersAreFourDigitEscapes() {
        var out = ""
        JSONText.appendString("a\u{01}b", to: &out)
        #expect(out == #""a\u0001b""#)
    }
}
