import RadioLink
import TianyanModel

// Random PEI input and the properties the framer, parser, SDS/LIP decoders and engine must keep
// on any input. One file, compiled twice: into tools/fuzz-radio (millions of inputs) and, through
// the symlink Tests/RadioLinkTests/PEIInvariants.swift, into the unit tests (a short fixed run).

/// One generated input and how it was made.
struct PEIFuzzInput {
    var kind: PEIFuzzKind
    var bytes: [UInt8]
}

enum PEIFuzzKind: String, CaseIterable {
    case randomBytes = "random bytes"
    case noiseWithLineEnds = "binary noise with line ends"
    case truncatedLine = "truncated line"
    case orphanHeader = "+CTSDSR header without payload"
    case wrongLengthHex = "hex of the wrong length"
    case randomLocation = "random LIP payload"
    case hugeLine = "100 KB line"
    case mutatedVectors = "mutated real vectors"
    case longLocation = "LIP long report or response, header length cut"
    case concatenatedText = "concatenated text parts, shuffled, duplicated, missing"
    case sdsTL = "SDS-TL PDU of any PI and message type"
}

enum PEIInvariants {
    /// Lines from tetra-pei-vectors.md (real transcripts and hand-decoded vectors).
    static let vectorLines: [String] = [
        "OK", "+CMGS: 0", "+CMGS: 0,4,7", "+CME ERROR: 35", "ERROR",
        "+CTICN: 1,0,0,0,6101629,1,1,0,1,1,0,4037009,0", "+CTXG: 2,3,0,0,0,6101629", "+CDTXC: 3,0",
        "+CTICN: 1,0,0,5,09011638300023404,1,1,0,1,1,5,09011638300000001,0", "+CTICN: 1,0,0,5,23404,1,1,0,1,1,5,1000,0",
        "+CTXG: 1,3,0,0,3,09011638300023404", "+CDTXC: 1,0", "+CTCR: 1,13", "+CTCC: 1,1,1,0,0,1,1",
        "+CTGS: 1,09011638300000001", "+CTDGR: 2,1001,90116383,0", "+CNUMF: 6,09011638300023401", "+CREG: 1,1,90109999",
        "+GMI: MOTOROLA", "+GMM: 54009,M83PFT6TZ6AG,91.2.0.0", "+GMR: R27.220.9063", "+CSQ: 23,99", "+CBC: 0,80",
        "+CTSDSR: 12,23404,0,23401,0,112", "82040801476A61746A616A676A61",
        "+CTSDSR: 12,23404,0,23401,0,96", "82041D014164676A6D707477",
        "+CTSDSR: 12,23404,0,23401,0,32", "82100002",
        "+CTSDSR: 12,2269001,0,9999,0,84", "0A112853A9FF4D4FFFE810",
        "+CTSDSR: 12,2269001,0,9999,0,84", "0A0088BD4247F737FFE810",
        "+CTSDSR: 12,2269001,0,9999,0,84", "0A00893E12472C51026810",
        "+CTSDSR: 13,9876543,0,1234567,0,16", "8004",
        "+CTSDSR: 13,1234567,0,2345678,0,16", "0000",
        "+CTSDSR: 12,1234567,0,2345678,0,104", "0201746573746D657373616765",
        "+CTSDSR: 12,1234567,0,2345678,0,120", "82029C01746573746D657373616765",
        "+CTSDSR: 12,1234567,0,2345678,0,32", "821800CA",
        "+CTSDSR: 12,1234567,0,2345678,0,32", "822001C9",
        "+CTSDSR: 12,2269001,0,9999,0,150", "0A4E3B8325359EFD19D925A1C55420502620A8",
        "+CTSDSR: 12,2269001,0,9999,0,95", "0A4C20893E12472C5144A040",
        "+CTSDSR: 12,2269001,0,9999,0,42", "0A5E30620440",
        "+CTSDSR: 12,2269001,0,9999,0,96", "8A042A010500030702014869",
        "+CTSDSR: 12,2269001,0,9999,0,96", "8A042B010500030702024869",
        "+CTSDSR: 12,2269001,0,9999,0,72", "82000500919766CDE0",
        "+CTSDSR: 12,2269001,0,9999,0,80", "82000581AABBCC4869",
    ]

    /// The vectors as the radio frames them: `<CR><LF>line<CR><LF>`.
    static let transcript: [UInt8] = Array(vectorLines.map { "\r\n\($0)\r\n" }.joined().utf8)

    static let maximumLineLength = 4096

    // MARK: Inputs

    static func generate(_ rng: inout SeededGenerator) -> PEIFuzzInput {
        // A 100 KB line costs as much as a few hundred small inputs: one in 1,000.
        let kind: PEIFuzzKind = Int.random(in: 0..<1_000, using: &rng) == 0
            ? .hugeLine
            : [.randomBytes, .noiseWithLineEnds, .truncatedLine, .orphanHeader, .wrongLengthHex, .randomLocation,
               .mutatedVectors, .mutatedVectors, .longLocation, .concatenatedText, .sdsTL].randomElement(using: &rng)!
        return PEIFuzzInput(kind: kind, bytes: bytes(kind, &rng))
    }

    static func bytes(_ kind: PEIFuzzKind, _ rng: inout SeededGenerator) -> [UInt8] {
        switch kind {
        case .randomBytes:
            return (0..<Int.random(in: 0...160, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        case .noiseWithLineEnds:
            let alphabet = Array("+CTSDSR: 0123456789ABCDEF,OK\r\n\r\n>ATE\u{1A}\u{1B}\u{00}\u{7F}".utf8)
            return (0..<Int.random(in: 0...200, using: &rng)).map { _ in
                Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
        case .truncatedLine:
            let line = Array(vectorLines.randomElement(using: &rng)!.utf8)
            let cut = Array(line.prefix(Int.random(in: 0...line.count, using: &rng)))
            return Bool.random(using: &rng) ? cut : Array("\r\n".utf8) + cut + Array("\r\n".utf8) + cut
        case .orphanHeader:
            let header = "+CTSDSR: \([12, 13, 9].randomElement(using: &rng)!),1234567,0,2345678,0,\(Int.random(in: 0...4000, using: &rng))\r\n"
            let next = ["", "OK\r\n", "+CTSDSR: 12,1,0,2,0,84\r\n", "+CTCR: 1,13\r\n", "0A\r\n", "zz\r\n", "\r\n\r\n"].randomElement(using: &rng)!
            return Array((header + next).utf8)
        case .wrongLengthHex:
            let digits = Array("0123456789ABCDEFabcdef".utf8)
            let payload = (0..<Int.random(in: 0...70, using: &rng)).map { _ in digits.randomElement(using: &rng)! }
            let declared = [0, 16, 84, 112, Int.random(in: 0...5000, using: &rng)].randomElement(using: &rng)!
            let service = [12, 13].randomElement(using: &rng)!
            return Array("\r\n+CTSDSR: \(service),2269001,0,9999,0,\(declared)\r\n".utf8) + payload + Array("\r\n".utf8)
        case .randomLocation:
            // PI 0x0A then random bits, with the PDU type and extension usually chosen to reach
            // the short and long report decoders.
            var body = (0..<Int.random(in: 0...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if !body.isEmpty, Int.random(in: 0..<3, using: &rng) > 0 {
                body[0] = Bool.random(using: &rng) ? body[0] & 0x3F : (body[0] & 0x03) | 0x4C
            }
            let hex = hexString([0x0A] + body)
            let digits = Bool.random(using: &rng) ? hex : String(hex.dropLast())
            return Array("\r\n+CTSDSR: 12,2269001,0,9999,0,\(digits.utf8.count * 4)\r\n\(digits)\r\n".utf8)
        case .longLocation:
            let (pdu, bits) = Bool.random(using: &rng) ? randomLongReport(&rng).encodedWithBitLength : randomLIPResponse(&rng)
            let declared = [bits, bits - 1, bits - Int.random(in: 0...12, using: &rng), pdu.count * 8, Int.random(in: 0...300, using: &rng)]
                .randomElement(using: &rng)!
            return sdsLine(from: "2269001", pdu, declaredBits: max(0, declared))
        case .concatenatedText:
            let alphabet = Array("Einsatz Brand Süd 中文 0123456789 ÄÖÜ €")
            let text = String((0..<Int.random(in: 1...300, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let coding: TextCoding = text.unicodeScalars.allSatisfy({ $0.value <= 0xFF }) && Bool.random(using: &rng) ? .iso8859_1 : .utf16BigEndian
            guard var parts = try? SDSCodec.concatenatedTextSubmissions(
                text, to: "1", firstReference: UInt8.random(in: 1...255, using: &rng), concatenationReference: UInt8.random(in: 0...3, using: &rng),
                deliveryReport: DeliveryReportRequest(rawValue: Int.random(in: 0...3, using: &rng)) ?? .none, coding: coding,
                maximumBits: Int.random(in: 120...668, using: &rng))
            else { return [] }
            parts.shuffle(using: &rng)
            if Bool.random(using: &rng), let again = parts.randomElement(using: &rng) { parts.append(again) }
            if parts.count > 1, Int.random(in: 0..<4, using: &rng) == 0 { parts.removeLast() }
            let sender = ["2269001", "555", "23404"].randomElement(using: &rng)!
            return parts.flatMap { sdsLine(from: sender, $0.userData, declaredBits: $0.lengthBits) }
        case .sdsTL:
            var pdu = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if !pdu.isEmpty, Bool.random(using: &rng) { pdu[0] = [0x82, 0x89, 0x8A, 0x8C, 0x83, 0x0C, 0x02, 0x09].randomElement(using: &rng)! }
            if pdu.count > 1, Bool.random(using: &rng) { pdu[1] = UInt8(Int.random(in: 0...15, using: &rng) << 4 | Int.random(in: 0...15, using: &rng)) }
            if pdu.count > 3, Bool.random(using: &rng) { pdu[3] = [0x00, 0x01, 0x1A, 0x81, 0x80, 0x02, 0x0D, 0x1B].randomElement(using: &rng)! }
            return sdsLine(from: "555", pdu, declaredBits: [pdu.count * 8, Int.random(in: 0...400, using: &rng)].randomElement(using: &rng)!)
        case .hugeLine:
            let fill = Array(["A", "0", "+CTSDSR: 12,", ",", "\u{FF}"].randomElement(using: &rng)!.utf8)
            var line: [UInt8] = []
            line.reserveCapacity(100_000 + fill.count)
            while line.count < 100_000 { line += fill }
            return Array("+CTSDSR: 12,1,0,2,0,800000\r\n".utf8) + line + Array("\r\n".utf8)
        case .mutatedVectors:
            let start = Int.random(in: 0..<transcript.count, using: &rng)
            var b = Array(transcript[start..<min(transcript.count, start + Int.random(in: 1...300, using: &rng))])
            for _ in 0..<Int.random(in: 1...8, using: &rng) { mutate(&b, &rng) }
            return b
        }
    }

    static func sdsLine(from sender: String, _ pdu: [UInt8], declaredBits: Int) -> [UInt8] {
        Array("\r\n+CTSDSR: 12,\(sender),0,9999,0,\(declaredBits)\r\n\(hexString(pdu))\r\n".utf8)
    }

    /// A long report with every field random: any time type, shape, velocity type and trailing
    /// type-5 elements.
    static func randomLongReport(_ rng: inout SeededGenerator) -> LongLocationReport {
        func u(_ max: Int) -> Int { Int.random(in: 0...max, using: &rng) }
        let point = LIPPoint(rawLongitude: Int.random(in: -(1 << 24)..<(1 << 24), using: &rng),
                             rawLatitude: Int.random(in: -(1 << 23)..<(1 << 23), using: &rng))
        let ellipse = LIPEllipse(halfMajorAxis: .init(code: u(63)), halfMinorAxis: .init(code: u(63)), angleCode: u(255), confidenceCode: u(7))
        let altitude = LIPAltitude(isUserDefined: u(1) == 1, code: u(2047))
        let shape: LIPLocationShape = switch u(12) {
        case 0: .none
        case 1: .point(point)
        case 2: .circle(point, uncertainty: .init(code: u(63)))
        case 3: .ellipse(point, ellipse)
        case 4: .pointWithAltitude(point, altitude: altitude)
        case 5: .circleWithAltitude(point, uncertainty: .init(code: u(63)), altitude: altitude)
        case 6: .ellipseWithAltitude(point, ellipse, altitude: altitude)
        case 7: .circleWithAltitudeAndAltitudeUncertainty(point, uncertainty: .init(code: u(63)), altitude: altitude, altitudeUncertaintyCode: u(7))
        case 8: .ellipseWithAltitudeAndAltitudeUncertainty(point, ellipse, altitude: altitude, altitudeUncertaintyCode: u(7))
        case 9: .arc(point, LIPArc(innerRadiusCode: u(65_535), uncertaintyRadiusCode: u(65_535), offsetAngleCode: u(255),
                                   includedAngleCode: u(255), confidenceCode: u(7)))
        case 10: .pointWithPositionError(point, LIPPositionError(code: u(7)))
        case 11: .reserved(code: 11 + u(3))
        default: .shapeExtension
        }
        let h = LIPVelocity(code: u(127))
        let v = LIPVerticalVelocity(isDownward: u(1) == 1, speed: LIPVelocity(code: u(127)))
        let d = LIPDirectionExtended(code: u(255))
        let velocity: LIPVelocityData = switch u(7) {
        case 0: .none
        case 1: .horizontal(h)
        case 2: .horizontalWithUncertainty(h, uncertaintyCode: u(7))
        case 3: .horizontalAndVertical(h, vertical: v)
        case 4: .horizontalAndVerticalWithUncertainty(h, uncertaintyCode: u(7), vertical: v, verticalUncertaintyCode: u(7))
        case 5: .horizontalWithDirection(h, direction: d)
        case 6: .horizontalWithDirectionAndUncertainty(h, uncertaintyCode: u(7), direction: d, directionUncertaintyCode: u(7))
        default: .horizontalAndVerticalWithDirectionAndUncertainty(h, uncertaintyCode: u(7), vertical: v, verticalUncertaintyCode: u(7),
                                                                   direction: d, directionUncertaintyCode: u(7))
        }
        let elements = (0..<u(3)).map { _ in
            let length = u(127)
            return LIPElement(identifier: u(31), bitLength: length,
                              data: (0..<(length + 7) / 8).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        let timeType = u(3)
        return LongLocationReport(
            timeType: timeType, timeElapsed: LIPTimeElapsed(rawValue: u(3)),
            timeOfPosition: LIPTimeOfPosition(day: u(31), hour: u(31), minute: u(63), second: u(63)),
            shape: shape, velocityData: velocity, acknowledgementRequested: u(1) == 1,
            additionalData: u(1) == 1 ? .userDefined(UInt8(u(255))) : .reason(LIPReason(code: [2, 21, 32, 129, u(255)].randomElement(using: &rng)!)),
            elements: elements)
    }

    /// A LIP PDU of type 01 with any extension, the request/response bit, a result code and
    /// random type-5 elements after it.
    static func randomLIPResponse(_ rng: inout SeededGenerator) -> ([UInt8], Int) {
        var bits: [Bool] = []
        func put(_ value: Int, _ width: Int) { for i in stride(from: width - 1, through: 0, by: -1) { bits.append(value >> i & 1 == 1) } }
        put(0x0A, 8)
        put(1, 2)
        put(Int.random(in: 0...15, using: &rng), 4)
        put(Int.random(in: 0...1, using: &rng), 1)
        put(Int.random(in: 0...255, using: &rng), 8)
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            put(Int.random(in: 0...31, using: &rng), 5)
            let length = Int.random(in: 0...40, using: &rng)
            put(length, 6)
            for _ in 0..<length { bits.append(Bool.random(using: &rng)) }
        }
        let count = bits.count
        while bits.count % 8 != 0 { bits.append(false) }
        let bytes = stride(from: 0, to: bits.count, by: 8).map { i in bits[i..<i + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) } }
        return (bytes, count)
    }

    static func mutate(_ b: inout [UInt8], _ rng: inout SeededGenerator) {
        let interesting: [UInt8] = [0x00, 0x0D, 0x0A, 0x1A, 0x1B, 0x20, 0x2C, 0x3A, 0x2B, 0x30, 0x39, 0x41, 0x46, 0x7F, 0x80, 0xFF]
        guard !b.isEmpty else {
            b.append(interesting.randomElement(using: &rng)!)
            return
        }
        let i = Int.random(in: 0..<b.count, using: &rng)
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: b[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
        case 1: b.insert(interesting.randomElement(using: &rng)!, at: i)
        case 2: b.remove(at: i)
        case 3: b[i] = interesting.randomElement(using: &rng)!
        case 4:
            let end = min(b.count, i + Int.random(in: 1...40, using: &rng))
            b.insert(contentsOf: b[i..<end], at: Int.random(in: 0...b.count, using: &rng))
        default:
            // Replace a digit run with a long or negative number.
            b.replaceSubrange(i..<i, with: Array(["-1", "99999999999999999999", "0x10", "", "9223372036854775807"].randomElement(using: &rng)!.utf8))
        }
    }

    static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
    }

    // MARK: Invariants

    /// Everything wrong with how RadioLink handled `input`; empty when every invariant holds.
    static func check(_ input: [UInt8]) -> [String] {
        var failures: [String] = []
        let lines = checkFramer(input, &failures)
        checkParser(input, lines: lines, &failures)
        checkDecoders(input, lines: lines, &failures)
        checkEngine(input, &failures)
        return failures
    }

    /// The framer's lines are clean and bounded, it counts every overlong line, and a valid line
    /// after the garbage and a line end comes through intact. Returns the lines of `input`.
    @discardableResult
    static func checkFramer(_ input: [UInt8], _ failures: inout [String]) -> [String] {
        var framer = PEILineFramer(maximumLineLength: maximumLineLength)
        let split = input.count / 3
        let lines = framer.append(input[..<split]) + framer.append(input[split...])
        for line in lines {
            if line.isEmpty { failures.append("framer: produced an empty line") }
            if line.utf8.count > maximumLineLength * 2 { failures.append("framer: line of \(line.utf8.count) UTF-8 bytes exceeds the bound") }
            if line.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                failures.append("framer: line \(line.debugDescription.prefix(80)) holds a control character")
            }
            if line.first == " " || line.last == " " { failures.append("framer: line \(line.debugDescription.prefix(80)) is not trimmed") }
        }
        if framer.pendingByteCount > maximumLineLength { failures.append("framer: \(framer.pendingByteCount) bytes pending, over the bound") }
        let expectedOverlong = overlongSegments(input)
        if framer.overlongLines != expectedOverlong {
            failures.append("framer: overlongLines is \(framer.overlongLines), expected \(expectedOverlong)")
        }
        let after = framer.append(Array("\r\n+CTXG: 2,3,0,0,0,6101629\r\n".utf8))
        if after.last != "+CTXG: 2,3,0,0,0,6101629" {
            failures.append("framer: did not resynchronise; lines after garbage + CR LF: \(after)")
        }
        if framer.pendingByteCount != 0 { failures.append("framer: bytes pending after a line end") }
        return lines
    }

    /// Segments between line ends with more kept bytes (printable or ≥ 0x80) than the bound.
    static func overlongSegments(_ input: [UInt8]) -> Int {
        var count = 0
        var kept = 0
        for byte in input {
            if byte == 0x0D || byte == 0x0A {
                kept = 0
            } else if byte >= 0x20 && byte != 0x7F {
                kept += 1
                if kept == maximumLineLength + 1 { count += 1 }
            }
        }
        return count
    }

    /// Every line parses; SDS headers pair with hex or become counted orphans; `OK` after any
    /// input is `OK`.
    static func checkParser(_ input: [UInt8], lines framed: [String], _ failures: inout [String]) {
        var parser = PEIParser()
        var lines = framed
        // The whole input as one line, as a shell without the framer might hand it over (100 KB lines included).
        if !input.isEmpty { lines.append(String(decoding: input, as: UTF8.self)) }
        for line in lines {
            // The reference is slow on long lines (character-level work): framed lengths only.
            if line.utf8.count <= maximumLineLength, line.utf8.allSatisfy({ $0 < 0x80 }) {
                let parsed = PEIParser.parseLine(line)
                let reference = LegacyPEIParser.parseLine(line)
                if parsed != reference {
                    failures.append("parser: \(line.debugDescription.prefix(80)) gave \(parsed), the reference parser \(reference)")
                }
            }
            let awaiting = parser.isAwaitingSDSPayload
            let orphans = parser.orphanedSDSHeaders
            for message in parser.parse(line) { checkMessage(message, &failures) }
            if awaiting, !isHexLine(line), parser.orphanedSDSHeaders != orphans + 1 {
                failures.append("parser: a header followed by the non-hex line \(line.debugDescription.prefix(60)) was not counted as an orphan")
            }
        }
        let awaiting = parser.isAwaitingSDSPayload
        let orphans = parser.orphanedSDSHeaders
        let ok = parser.parse("OK")
        if ok != [.ok] { failures.append("parser: OK after the input gave \(ok)") }
        if awaiting, parser.orphanedSDSHeaders != orphans + 1 { failures.append("parser: a pending header did not become an orphan on OK") }
        if parser.isAwaitingSDSPayload { failures.append("parser: still waiting for a payload after OK") }
    }

    static func isHexLine(_ line: String) -> Bool {
        let t = line.utf8.drop(while: { $0 == 0x20 || $0 == 0x09 }).reversed().drop(while: { $0 == 0x20 || $0 == 0x09 })
        return !t.isEmpty && t.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// The raw bytes as SDS user data, and each line as hex user data, under both AI services.
    static func checkDecoders(_ input: [UInt8], lines: [String], _ failures: inout [String]) {
        checkContent(SDSCodec.decode(input), &failures)
        checkContent(SDSCodec.decode(input, bitCount: input.count * 8 - min(input.count * 8, 7)), &failures)
        for line in lines where isHexLine(line) {
            checkContent(SDSCodec.decode(aiService: 12, hex: line), &failures)
            checkContent(SDSCodec.decode(aiService: 13, hex: line), &failures)
        }
    }

    /// A started engine takes the input as bytes, emits only sane values, and afterwards still
    /// decodes a status SDS correctly.
    static func checkEngine(_ input: [UInt8], _ failures: inout [String]) {
        var engine = PEIEngine(configuration: .init(gateway: "fuzz", initCommands: []))
        var now = Timestamp(milliseconds: 1_700_000_000_000)
        _ = engine.start(at: now)
        let overlongBefore = engine.overlongLines
        var actions = engine.handle(.bytesReceived(input, at: now))
        now = now.adding(seconds: 1)
        actions += engine.handle(.tick(now))
        for action in actions { checkAction(action, &failures) }
        if engine.overlongLines - overlongBefore != overlongSegments(input) {
            failures.append("engine: overlongLines moved by \(engine.overlongLines - overlongBefore), expected \(overlongSegments(input))")
        }
        let probe = engine.handle(.bytesReceived(Array("\r\n+CTSDSR: 13,1234567,0,2345678,0,16\r\n8004\r\n".utf8), at: now))
        let statuses = probe.compactMap { action -> StatusValue? in
            if case .emit(.status(let unit, let value, _)) = action, unit == "1234567" { return value }
            return nil
        }
        // A line the input left open is ended by the probe's CR LF and may add a status of its own.
        if statuses.last != StatusValue(0x8004) {
            failures.append("engine: did not resynchronise; a status SDS after the input gave \(probe)")
        }
    }

    static func checkAction(_ action: PEIEngine.Action, _ failures: inout [String]) {
        guard case .emit(let event) = action else { return }
        switch event {
        case .position(let position, let report):
            checkPosition(position, &failures)
            checkContent(.location(report), &failures)
        case .locationWithoutFix(_, let report, _):
            if report.fix != nil { failures.append("engine: locationWithoutFix for a report with a fix") }
            checkContent(.location(report), &failures)
        case .sds(_, let content, _, _):
            checkContent(content, &failures)
        case .text(_, _, let message, _):
            checkContent(.text(message), &failures)
            if message.concatenation != nil { failures.append("engine: a part of a concatenated text was emitted as a text") }
        case .locationResponse(_, let response, _):
            checkContent(.location(.response(response)), &failures)
        case .unhandledLine(let line, _):
            if line.isEmpty { failures.append("engine: empty unhandled line") }
        case .call(let callEvent):
            if case .callStarted(let call) = callEvent, call.priority < 0, call.emergency {
                failures.append("engine: negative priority \(call.priority) marked emergency")
            }
        default:
            break
        }
    }

    static func checkMessage(_ message: PEIMessage, _ failures: inout [String]) {
        switch message {
        case .sdsReceived(let indication):
            checkContent(indication.content, &failures)
        case .signalQuality(let q):
            if let dBm = q.dBm, q.value == 99 { failures.append("parser: CSQ 99 gave \(dBm) dBm") }
        case .unknown(let text):
            if text.isEmpty { failures.append("parser: empty unknown line") }
        default:
            break
        }
    }

    static func checkContent(_ content: SDSContent, _ failures: inout [String]) {
        switch content {
        case .location(let report):
            if let fix = report.fix { checkFix(fix, &failures) }
            switch report {
            case .short(let r):
                if r.fix == nil, r.rawLatitude != 0 || r.rawLongitude != 0, r.additionalData.reason?.meansNoFix != true {
                    failures.append("LIP: a non-zero position gave no fix")
                }
                if r.fix != nil, r.additionalData.reason?.meansNoFix == true { failures.append("LIP: \"lost ability to determine location\" gave a fix") }
                if !(0...15).contains(r.directionCode) { failures.append("LIP: direction code \(r.directionCode) outside 0-15") }
                if !(0..<360).contains(r.directionDegrees) { failures.append("LIP: direction \(r.directionDegrees)° outside 0-360") }
                if !(0...7).contains(r.positionError.code) { failures.append("LIP: position error code \(r.positionError.code) outside 0-7") }
                checkVelocity(r.velocity, &failures)
                if let p = r.position(unit: "u", receivedAt: Timestamp(milliseconds: 0)) { checkPosition(p, &failures) }
            case .long(let r):
                if let v = r.velocity { checkVelocity(v, &failures) }
                if let t = r.timeOfPosition, !((1...31).contains(t.day) && (0...23).contains(t.hour) && (0...59).contains(t.minute) && (0...59).contains(t.second)) {
                    failures.append("LIP: time of position day \(t.day) \(t.hour):\(t.minute):\(t.second) is not a time")
                }
                if let u = r.horizontalUncertaintyCode, !(0...63).contains(u) { failures.append("LIP: uncertainty code \(u) outside 0-63") }
                if let a = r.shape.altitude, let m = a.metres, !(-200...11_525).contains(m) { failures.append("LIP: altitude \(m) m outside the coding") }
                if let d = r.velocityData?.direction, !(0..<360).contains(d.degrees) { failures.append("LIP: direction \(d.degrees)° outside 0-360") }
                if r.fix != nil, !r.isComplete { failures.append("LIP: an incomplete long report has a fix") }
                if case .arc = r.shape, r.fix != nil { failures.append("LIP: an arc gave a fix") }
                let received = Timestamp(milliseconds: 1_765_000_000_000)
                if let p = r.position(unit: "u", receivedAt: received) {
                    checkPosition(p, &failures)
                    if p.time.milliseconds > received.milliseconds + 120_000 { failures.append("LIP: time of position \(p.time) after the receive time") }
                    if p.time.milliseconds < received.milliseconds - 62 * 86_400_000 { failures.append("LIP: time of position \(p.time) more than two months old") }
                }
                if let p = r.position(unit: "u", receivedAt: Timestamp(milliseconds: 0)) { checkPosition(p, &failures) }
            case .response(let response):
                if let code = response.resultCode, !(0...255).contains(code.code) { failures.append("LIP: result code \(code.code) outside 0-255") }
                if report.fix != nil { failures.append("LIP: a response has a fix") }
            case .other, .truncated:
                if report.fix != nil { failures.append("LIP: \(report) has a fix") }
            }
            if let reason = report.reason, !(0...255).contains(reason.code) { failures.append("LIP: reason \(reason.code) outside 0-255") }
        case .status(let value):
            if let fms = value.fmsStatus, !(0...9).contains(fms) { failures.append("status: FMS \(fms) outside 0-9") }
            if value.isEmergency != (value.value == 0) { failures.append("status: \(value.value) emergency flag wrong") }
        case .text(let message):
            if !(0...127).contains(message.coding.code) { failures.append("text: coding \(message.coding.code) outside 0-127") }
            if let ts = message.timestamp, ts.count != 3 { failures.append("text: timestamp of \(ts.count) bytes") }
            if let t = message.time, !((1...12).contains(t.month) && (1...31).contains(t.day) && (0...23).contains(t.hour) && (0...59).contains(t.minute)) {
                failures.append("text: timestamp \(t) is not a time")
            }
            if let c = message.userDataHeader?.concatenation, !(1...c.total).contains(c.sequence) { failures.append("text: part \(c.sequence) of \(c.total)") }
        case .transfer, .report, .acknowledgement, .undecoded:
            break
        }
    }

    static func checkFix(_ fix: GeoFix, _ failures: inout [String]) {
        if !(fix.latitude.isFinite && (-90...90).contains(fix.latitude)) { failures.append("LIP: latitude \(fix.latitude) outside ±90") }
        if !(fix.longitude.isFinite && (-180...180).contains(fix.longitude)) { failures.append("LIP: longitude \(fix.longitude) outside ±180") }
    }

    static func checkVelocity(_ v: LIPVelocity, _ failures: inout [String]) {
        if !(0...127).contains(v.code) { failures.append("LIP: velocity code \(v.code) outside 0-127") }
        if let k = v.kilometresPerHour, !(k.isFinite && k >= 0) { failures.append("LIP: speed \(k) km/h") }
        if v.code == 127, v.kilometresPerHour != nil { failures.append("LIP: velocity 127 (unknown) gave a speed") }
    }

    static func checkPosition(_ p: Position, _ failures: inout [String]) {
        checkFix(GeoFix(latitude: p.latitude, longitude: p.longitude), &failures)
        if let s = p.speed, !(s.isFinite && s >= 0) { failures.append("position: speed \(s)") }
        if let h = p.heading, !(h.isFinite && (0..<360).contains(h)) { failures.append("position: heading \(h)") }
        if let a = p.accuracy, !(a.isFinite && a > 0) { failures.append("position: accuracy \(a)") }
        if p.latitude == 0 && p.longitude == 0 { failures.append("position: a point at 0,0 (no fix) was stored") }
    }
}

// MARK: Reference parser

/// The string-level parser PEIParser had before it moved to bytes for speed, kept verbatim as an
/// oracle: on ASCII lines both must give the same message.
enum LegacyPEIParser {
    static func parseLine(_ line: String) -> PEIMessage {
        var text = Substring(line.legacyTrimmingSpaces)
        if text.hasPrefix(">") {
            text = text.dropFirst().drop(while: { $0 == " " })
            if text.isEmpty { return .prompt }
        }
        switch text.uppercased() {
        case "OK": return .ok
        case "ERROR": return .error
        default: break
        }
        if text.count >= 2, text.prefix(2).uppercased() == "AT" { return .echo(String(text)) }
        guard text.hasPrefix("+"), let colon = text.firstIndex(of: ":") else { return .unknown(line) }
        let name = text[text.index(after: text.startIndex)..<colon].uppercased().legacyTrimmingSpaces
        let fields = LegacyFields(text[text.index(after: colon)...])
        return message(named: name, fields) ?? .unknown(line)
    }

    static func message(named name: String, _ f: LegacyFields) -> PEIMessage? {
        switch name {
        case "CME ERROR":
            return f.int(0).map { .cmeError(CMEError(code: $0)) }
        case "CMS ERROR":
            return f.int(0).map { .cmsError(code: $0) }
        case "CTICN":
            guard let instance = f.int(0) else { return nil }
            return .callSetup(CallSetup(
                instance: instance, callStatus: f.int(1), aiService: f.int(2), callingType: f.int(3),
                calling: f.identity(4), hook: f.int(5), simplex: f.int(6), endToEndEncryption: f.int(7),
                commsType: f.int(8), slotsCodec: f.int(9), calledType: f.int(10), called: f.identity(11),
                priority: f.int(12)))
        case "CTCC":
            guard let instance = f.int(0) else { return nil }
            return .callConnected(CallConnect(instance: instance, otherFields: (1..<max(f.count, 1)).map { f.int($0) }))
        case "CTXG":
            guard let instance = f.int(0), let grant = f.int(1) else { return nil }
            return .transmissionGranted(TransmissionGrant(
                instance: instance, grant: grant, requestPermission: f.int(2), endToEndEncryption: f.int(3),
                talkerType: f.int(4), talker: f.identity(5)))
        case "CDTXC":
            guard let instance = f.int(0) else { return nil }
            return .transmissionCeased(TransmissionCeased(instance: instance, requestPermission: f.int(1)))
        case "CTCR":
            guard let instance = f.int(0) else { return nil }
            return .callReleased(CallRelease(instance: instance, cause: f.int(1)))
        case "CTSDSR":
            return sdsHeader(f).map { .sdsHeader($0) }
        case "CMGS":
            guard let instance = f.int(0) else { return nil }
            if f.count >= 3, let status = f.int(1), let reference = f.int(2) {
                return .sdsTransferStatus(SDSTransferStatus(instance: instance, status: status, reference: reference))
            }
            return .sdsAccepted(instance: instance)
        case "CNUMF":
            guard let type = f.int(0), let identity = f.identity(1) else { return nil }
            return .ownNumber(OwnNumber(numberType: type, identity: identity))
        case "CTGS":
            guard let type = f.int(0), let group = f.identity(1) else { return nil }
            return .groupSelection(GroupSelection(groupType: type, group: group))
        case "CSQ":
            return f.int(0).map { .signalQuality(SignalQuality(value: $0)) }
        case "CBC":
            guard let status = f.int(0) else { return nil }
            return .battery(BatteryCharge(status: status, chargePercent: f.int(1)))
        default:
            return nil
        }
    }

    /// ftl accepts 3, 4, 6 or 7 header fields. With 6 or 7 the calling party is present; with 3
    /// or 4 it is left out: `<AI service>,<called id>,[<called id type>,]<length>`.
    static func sdsHeader(_ f: LegacyFields) -> SDSHeader? {
        guard let service = f.int(0) else { return nil }
        switch f.count {
        case 3:
            guard let length = f.int(2) else { return nil }
            return SDSHeader(aiService: service, calling: nil, callingType: nil, called: f.identity(1), calledType: nil, lengthBits: length)
        case 4, 5:
            guard let length = f.int(3) else { return nil }
            return SDSHeader(aiService: service, calling: nil, callingType: nil, called: f.identity(1), calledType: f.int(2), lengthBits: length)
        case 6...:
            guard let length = f.int(5) else { return nil }
            return SDSHeader(aiService: service, calling: f.identity(1), callingType: f.int(2), called: f.identity(3),
                             calledType: f.int(4), lengthBits: length, endToEndEncryption: f.int(6))
        default:
            return nil
        }
    }

    static func isHex(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}

/// The comma-separated fields after a result code's colon.
struct LegacyFields {
    private let values: [Substring]

    init(_ text: Substring) {
        values = text.split(separator: ",", omittingEmptySubsequences: false).map { field in
            var f = field.drop(while: { $0 == " " || $0 == "\"" })
            while let last = f.last, last == " " || last == "\"" { f = f.dropLast() }
            return f
        }
    }

    var count: Int { values.count }

    func int(_ index: Int) -> Int? {
        guard index < values.count, values[index].utf8.count <= 18 else { return nil }
        return Int(values[index])
    }

    func identity(_ index: Int) -> TetraIdentity? {
        index < values.count ? TetraIdentity(values[index]) : nil
    }
}

extension String {
    var legacyTrimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
