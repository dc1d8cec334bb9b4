import RadioLink
import TianyanModel
import Testing

/// Property tests: random and mutated input through the framer, parser, decoders and engine,
/// checked against `PEIInvariants` (shared with tools/fuzz-radio, which runs millions).
@Suite struct PEIRobustnessTests {
    /// 20,000 inputs over four fixed seeds: every kind of generated input, no invariant broken.
    @Test(arguments: [1, 2, 3, 20_261_124] as [UInt64])
    func randomInputKeepsEveryInvariant(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var kinds: Set<PEIFuzzKind> = []
        var failing: [String] = []
        for index in 0..<5_000 {
            let input = PEIInvariants.generate(&rng)
            kinds.insert(input.kind)
            let problems = PEIInvariants.check(input.bytes)
            if !problems.isEmpty, failing.count < 5 {
                failing.append("input \(index) (\(input.kind.rawValue)): \(problems) hex \(PEIInvariants.hexString(input.bytes).prefix(400))")
            }
        }
        #expect(failing.isEmpty, "\(failing)")
        #expect(kinds.isSuperset(of: PEIFuzzKind.allCases.filter { $0 != .hugeLine }), "generator covers \(kinds)")
    }

    @Test(arguments: PEIFuzzKind.allCases)
    func everyKindOfInputIsChecked(kind: PEIFuzzKind) {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<(kind == .hugeLine ? 3 : 200) {
            let bytes = PEIInvariants.bytes(kind, &rng)
            #expect(PEIInvariants.check(bytes) == [], "\(kind.rawValue): \(PEIInvariants.hexString(bytes).prefix(400))")
        }
    }

    @Test func framerCountsOverlongLinesAndResynchronises() {
        var framer = PEILineFramer(maximumLineLength: 4096)
        let huge = [UInt8](repeating: 0x41, count: 100_000)
        var lines = framer.append(huge)
        #expect(lines.isEmpty)
        #expect(framer.overlongLines == 1)
        #expect(framer.pendingByteCount == 0)
        lines = framer.append(Array("\r\n+CTCR: 1,13\r\n".utf8))
        #expect(lines == ["+CTCR: 1,13"])
        // Binary noise with control bytes, then a line end: the next line is clean.
        lines = framer.append([0x00, 0xFF, 0x1A, 0x1B, 0x7F, 0x80, 0x0D] + Array("OK\r\n".utf8))
        #expect(lines == ["\u{FF}\u{80}", "OK"])
        #expect(framer.overlongLines == 1)
    }

    @Test func parserCountsAHeaderWhosePayloadNeverComes() {
        var parser = PEIParser()
        #expect(parser.parse("+CTSDSR: 12,23404,0,23401,0,112") == [])
        #expect(parser.isAwaitingSDSPayload)
        #expect(parser.parse("+CTCR: 1,13") == [.callReleased(CallRelease(instance: 1, cause: 13))])
        #expect(parser.orphanedSDSHeaders == 1)
        #expect(parser.parse("+CTSDSR: 13,1234567,0,2345678,0,16") == [])
        let messages = parser.parse("8004")
        guard case .sdsReceived(let indication) = messages.first else {
            Issue.record("expected an SDS, got \(messages)")
            return
        }
        #expect(indication.content == .status(StatusValue(0x8004)))
        #expect(parser.orphanedSDSHeaders == 1)
    }

    /// Found by fuzz-radio in the byte-level parser before it was merged: result names were packed
    /// into an integer, where a NUL byte vanished, so "+\0CBC:" parsed as +CBC. The framer drops
    /// NULs, but a shell may hand lines to the engine directly.
    @Test(arguments: ["+\u{0}CBC: 0,80", "+\u{0}CDTXC: 1,0", "+\u{0}\u{0}CTGS: 1,9", "+C\u{0}MGS: 0", "+\u{0}CME ERROR: 35"])
    func resultNamesWithControlBytesAreUnknown(line: String) {
        #expect(PEIParser.parseLine(line) == .unknown(line))
        #expect(PEIParser.parseLine(line) == LegacyPEIParser.parseLine(line))
    }

    @Test func decodersStayInRangeAtTheExtremes() {
        // Largest positive and most negative raw coordinates, unknown speed, every direction.
        for (lon, lat) in [(0xFF_FFFF, 0x7F_FFFF), (-0x100_0000, -0x80_0000), (1, -1)] {
            for velocity in [0, 28, 29, 126, 127] {
                let report = ShortLocationReport(timeElapsed: .lessThan5Seconds, rawLongitude: lon, rawLatitude: lat,
                                                 positionError: LIPPositionError(code: 7), velocity: LIPVelocity(code: velocity),
                                                 directionCode: 15, additionalData: .reason(LIPReason(code: 255)))
                let decoded = SDSCodec.decode(report.encoded)
                #expect(decoded == .location(.short(report)))
                var failures: [String] = []
                PEIInvariants.checkContent(decoded, &failures)
                #expect(failures == [], "lon \(lon) lat \(lat) velocity \(velocity)")
            }
        }
    }
}
