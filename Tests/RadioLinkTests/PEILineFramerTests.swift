import RadioLink
import TianyanModel
import Testing

@Suite struct PEILineFramerTests {
    /// The handshake a PTY feeder replays into a virtual port (tetra-pei-vectors §1c).
    static let handshake = "\r\nOK\r\n\r\n+GMI: MOTOROLA\r\n\r\nOK\r\n\r\n+GMM: 54009,M83PFT6TZ6AG,91.2.0.0\r\n\r\nOK\r\n\r\n+GMR: R27.220.9063\r\n\r\nOK\r\n\r\nOK\r\n"
    static let handshakeLines = ["OK", "+GMI: MOTOROLA", "OK", "+GMM: 54009,M83PFT6TZ6AG,91.2.0.0", "OK", "+GMR: R27.220.9063", "OK", "OK"]

    @Test func verboseFramingGivesOneLinePerResultAndSkipsEmptyLines() {
        var framer = PEILineFramer()
        #expect(framer.append(Array(Self.handshake.utf8)) == Self.handshakeLines)
        #expect(framer.pendingByteCount == 0)
        #expect(framer.overlongLines == 0)
    }

    @Test func sdsHeaderAndPayloadSplitAtEveryByteBoundary() {
        let bytes = Array("\r\n+CTSDSR: 13,9876543,0,1234567,0,16\r\n8004\r\n".utf8)
        for cut in 0...bytes.count {
            var framer = PEILineFramer()
            let lines = framer.append(bytes[..<cut]) + framer.append(bytes[cut...])
            #expect(lines == ["+CTSDSR: 13,9876543,0,1234567,0,16", "8004"], "cut at \(cut)")
        }
    }

    @Test func loneLineFeedsAndLoneCarriageReturnsEndLines() {
        var framer = PEILineFramer()
        #expect(framer.append(Array("OK\n+CSQ: 20,99\rERROR\n\r\n".utf8)) == ["OK", "+CSQ: 20,99", "ERROR"])
    }

    @Test func partialLineWaitsForItsEnd() {
        var framer = PEILineFramer()
        #expect(framer.append(Array("+CTCR: 1,".utf8)).isEmpty)
        #expect(framer.pendingByteCount == 9)
        #expect(framer.append(Array("13\r\n".utf8)) == ["+CTCR: 1,13"])
    }

    @Test func controlBytesAreDroppedAndHighBytesReadAsLatin1() {
        var framer = PEILineFramer()
        #expect(framer.append([0x00, 0x4F, 0x1A, 0x4B, 0x0D, 0x0A, 0xFC, 0x0A]) == ["OK", "ü"])
    }

    @Test func overlongLineIsDiscardedUpToTheNextLineEndAndCounted() {
        var framer = PEILineFramer(maximumLineLength: 16)
        let long = [UInt8](repeating: 0x41, count: 40)
        #expect(framer.append(long).isEmpty)
        #expect(framer.pendingByteCount == 0)
        #expect(framer.overlongLines == 1)
        #expect(framer.append(Array("more junk\r\nOK\r\n".utf8)) == ["OK"])
        #expect(framer.overlongLines == 1)
        // Exactly the maximum is still a line.
        #expect(framer.append(Array("0123456789ABCDEF\n".utf8)) == ["0123456789ABCDEF"])
        #expect(framer.overlongLines == 1)
    }

    @Test func randomBytesNeverGrowTheBufferAndTheFramerResynchronises() {
        var random = SeededGenerator(seed: 0x7E7A)
        var framer = PEILineFramer(maximumLineLength: 64)
        for _ in 0..<2_000 {
            let count = Int.random(in: 0...200, using: &random)
            let chunk = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            for line in framer.append(chunk) {
                #expect(!line.isEmpty && line.utf8.count <= 64 * 2)
                #expect(line.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F })
            }
            #expect(framer.pendingByteCount <= 64)
            #expect(framer.append(Array("\r\nOK\r\n".utf8)).last == "OK")
            #expect(framer.pendingByteCount == 0)
        }
    }
}
