import RadioLink
import TianyanModel
import Testing

/// LIP (TS 100 392-18-1) long reports and responses, with our own vectors: a few written bit by
/// bit and decoded by hand below, the rest built with `LongLocationReport.encoded` from the
/// field tables and checked by decoding them back.
@Suite struct LIPTests {
    private static func at(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int = 0) -> Timestamp {
        Timestamp(milliseconds: CivilDate(year: year, month: month, day: day)!.midnightUTC.milliseconds
            + Int64(hour * 3_600_000 + minute * 60_000 + second * 1000))
    }

    private let received = LIPTests.at(2026, 12, 7, 16, 0)

    private func long(_ hex: String, lengthBits: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) -> LongLocationReport? {
        guard case .location(.long(let r)) = SDSCodec.decode(aiService: 12, hex: hex, lengthBits: lengthBits) else {
            Issue.record("not a long location report: \(SDSCodec.decode(aiService: 12, hex: hex, lengthBits: lengthBits))", sourceLocation: sourceLocation)
            return nil
        }
        return r
    }

    private static let buenosAires = LIPPoint(rawLongitude: -5_441_560, rawLatitude: -3_225_299)
    private static let badDurrenberg = LIPPoint(rawLongitude: 1_124_290, rawLatitude: 4_777_354)

    // MARK: Hand-decoded vectors

    /// 0A | 01 0011 | 10 | 00111 01110 000011 001001 | 0100 | lon 25 | lat 24 | 0 00011100010 |
    /// 101 0101000 01000000 | 1 | 0 10000001 | 00110 001000 00101010 | pad (150 bits):
    /// long report, time of position day 7 14:03:09, point with altitude (WGS-84, code 226 =
    /// 226 − 201 = 25 m), Buenos Aires: lon −5 441 560 × 360 / 2^25 = −58.3816°, lat −3 225 299 ×
    /// 180 / 2^24 = −34.6037°; velocity type 5: code 40 = 16 × 1.038^27 = 43.80 km/h = 12.17 m/s,
    /// direction 64 × 360/256 = 90°; acknowledgement requested; reason 129; element 6 (8 bits)
    /// location message reference 0x2A.
    @Test func pointWithAltitudeMovingEastWithTimeOfPosition() throws {
        let r = try #require(long("0A4E3B8325359EFD19D925A1C55420502620A8", lengthBits: 150))
        #expect(r.timeOfPosition == LIPTimeOfPosition(day: 7, hour: 14, minute: 3, second: 9))
        #expect(r.shape == .pointWithAltitude(Self.buenosAires, altitude: LIPAltitude(code: 226)))
        #expect(r.velocityData == .horizontalWithDirection(LIPVelocity(code: 40), direction: LIPDirectionExtended(code: 64)))
        #expect(r.acknowledgementRequested == true)
        #expect(r.additionalData == .reason(LIPReason(code: 129)))
        #expect(r.locationMessageReference == 0x2A)
        #expect(r.undecodedTrailingBits == 0 && r.isComplete)
        let p = try #require(r.position(unit: "2269001", receivedAt: received))
        #expect(p.time == Self.at(2026, 12, 7, 14, 3, 9))
        #expect(abs(p.latitude - -34.6037) < 1e-4 && abs(p.longitude - -58.3816) < 1e-4)
        #expect(p.altitude == 25)
        #expect(abs(p.speed! - 43.797419946641696 / 3.6) < 1e-9)
        #expect(p.heading == 90)
        #expect(p.accuracy == nil)
    }

    /// 0A | 01 0011 | 00 | 0010 | lon | lat | 001010 | 001 0010100 | 0 | 0 00100000 (95 bits):
    /// no time, circle around Bad Dürrenberg (12.0623231° E, 51.2554479° N) with uncertainty
    /// code 10 = 2 × 1.2^15 − 4 = 26.8 m, horizontal velocity 20 km/h (no direction: no heading),
    /// reason 32. The header says 95 bits, the payload has 24 digits: padding, decoded.
    @Test func circleWithSpeedButNoDirection() throws {
        let r = try #require(long("0A4C20893E12472C5144A040", lengthBits: 95))
        #expect(r.shape == .circle(Self.badDurrenberg, uncertainty: LIPHorizontalUncertainty(code: 10)))
        #expect(r.horizontalUncertaintyCode == 10)
        let p = try #require(r.position(unit: "7", receivedAt: received))
        #expect(p.time == received)
        #expect(abs(p.accuracy! - 26.81404) < 1e-4)
        #expect(abs(p.speed! - 20 / 3.6) < 1e-12)
        #expect(p.heading == nil && p.altitude == nil)
        // One bit short of its layout: refused, whatever the payload holds.
        #expect(SDSCodec.decode(aiService: 12, hex: "0A4C20893E12472C5144A040", lengthBits: 94) == .location(.truncated(bits: 94)))
    }

    /// 0A | 01 0111 | 1 | 00011000 | 00110 001000 00010001 (42 bits): remove trigger response,
    /// result 24 "accepted", location message reference 0x11.
    @Test func removeTriggerResponse() {
        guard case .location(.response(let r)) = SDSCodec.decode(aiService: 12, hex: "0A5E30620440", lengthBits: 42) else {
            Issue.record("not a response"); return
        }
        #expect(r.kind == .removeTrigger)
        #expect(r.resultCode == LIPResultCode(code: 24))
        #expect(r.locationMessageReference == 0x11)
        #expect(r.text == "remove trigger response: accepted")
    }

    /// 0A | 01 0100 | 00000000 (22 bits): location report acknowledgement, success.
    /// 0A | 01 1010 | 1 | 00000001 | 01100 001000 00010110: enable/disable response, flags 1,
    /// result code element 22 "user disabled location information report sending".
    @Test func acknowledgementAndEnableDisableResponses() {
        #expect(SDSCodec.decode(aiService: 12, hex: "0A5000") == .location(.response(LIPResponse(kind: .locationReportAcknowledgement, resultCode: LIPResultCode(code: 0)))))
        guard case .location(.response(let r)) = SDSCodec.decode(aiService: 12, hex: "0A6A02C20580") else {
            Issue.record("not a response"); return
        }
        #expect(r.kind == .reportingEnableDisable)
        #expect(r.resultCode?.text == "user disabled location information report sending")
        #expect(r.resultCode?.isSuccess == false)
        // A request (request/response bit 0) from another dispatcher is not a response.
        #expect(SDSCodec.decode(aiService: 12, hex: "0A68") == .location(.other(pduType: 1, pduTypeExtension: 10)))
        #expect(SDSCodec.decode(aiService: 12, hex: "0A5") == .location(.truncated(bits: 12)))
    }

    @Test func everyResponseKindDecodesItsResultCode() {
        for kind in LIPResponse.Kind.allCases where kind != .reportingEnableDisable {
            var bits = [(0x0A, 8), (1, 2), (kind.rawValue, 4)]
            if kind != .locationReportAcknowledgement { bits.append((1, 1)) }
            bits.append((15, 8))
            let (bytes, count) = Self.pack(bits)
            guard case .location(.response(let r)) = SDSCodec.decode(bytes, bitCount: count) else {
                Issue.record("\(kind) not decoded"); continue
            }
            #expect(r.kind == kind && r.resultCode?.text == "required accuracy not achieved")
            #expect(SDSCodec.decode(bytes, bitCount: count - 1) == .location(.truncated(bits: count - 1)))
        }
    }

    // MARK: Every shape, every velocity type

    static let shapes: [LIPLocationShape] = [
        .none,
        .point(buenosAires),
        .circle(buenosAires, uncertainty: LIPHorizontalUncertainty(code: 63)),
        .ellipse(badDurrenberg, LIPEllipse(halfMajorAxis: .init(code: 20), halfMinorAxis: .init(code: 5), angleCode: 200, confidenceCode: 5)),
        .pointWithAltitude(badDurrenberg, altitude: LIPAltitude(isUserDefined: true, code: 1)),
        .circleWithAltitude(buenosAires, uncertainty: .init(code: 0), altitude: LIPAltitude(code: 2047)),
        .ellipseWithAltitude(buenosAires, LIPEllipse(halfMajorAxis: .init(code: 63), halfMinorAxis: .init(code: 62), angleCode: 255, confidenceCode: 7),
                             altitude: LIPAltitude(code: 1202)),
        .circleWithAltitudeAndAltitudeUncertainty(badDurrenberg, uncertainty: .init(code: 33), altitude: LIPAltitude(code: 1926), altitudeUncertaintyCode: 6),
        .ellipseWithAltitudeAndAltitudeUncertainty(buenosAires, LIPEllipse(halfMajorAxis: .init(code: 1), halfMinorAxis: .init(code: 1), angleCode: 1, confidenceCode: 1),
                                                   altitude: LIPAltitude(code: 1927), altitudeUncertaintyCode: 7),
        .arc(badDurrenberg, LIPArc(innerRadiusCode: 65_535, uncertaintyRadiusCode: 1, offsetAngleCode: 128, includedAngleCode: 64, confidenceCode: 3)),
        .pointWithPositionError(buenosAires, LIPPositionError(code: 2)),
    ]

    static let velocities: [LIPVelocityData] = [
        .none,
        .horizontal(LIPVelocity(code: 127)),
        .horizontalWithUncertainty(LIPVelocity(code: 28), uncertaintyCode: 7),
        .horizontalAndVertical(LIPVelocity(code: 29), vertical: LIPVerticalVelocity(isDownward: true, speed: LIPVelocity(code: 3))),
        .horizontalAndVerticalWithUncertainty(LIPVelocity(code: 0), uncertaintyCode: 1, vertical: LIPVerticalVelocity(isDownward: false, speed: LIPVelocity(code: 127)),
                                              verticalUncertaintyCode: 5),
        .horizontalWithDirection(LIPVelocity(code: 50), direction: LIPDirectionExtended(code: 255)),
        .horizontalWithDirectionAndUncertainty(LIPVelocity(code: 126), uncertaintyCode: 2, direction: LIPDirectionExtended(code: 0), directionUncertaintyCode: 3),
        .horizontalAndVerticalWithDirectionAndUncertainty(LIPVelocity(code: 10), uncertaintyCode: 4, vertical: LIPVerticalVelocity(isDownward: true, speed: LIPVelocity(code: 100)),
                                                          verticalUncertaintyCode: 6, direction: LIPDirectionExtended(code: 192), directionUncertaintyCode: 1),
    ]

    /// Bits of the mandatory part for `shape` with no time, no velocity: 8 PI + 6 type + 2 time
    /// type + 4 shape + the shape's width + 3 velocity type + 1 ack + 9 additional data.
    static let shapeWidths = [0, 49, 55, 72, 61, 67, 84, 70, 87, 100, 52]
    static let velocityWidths = [0, 7, 10, 15, 21, 15, 21, 32]

    @Test(arguments: 0..<11) func everyShapeRoundTripsAndOneBitShortIsRefused(_ index: Int) throws {
        let shape = Self.shapes[index]
        #expect(shape.code == index)
        let report = LongLocationReport(shape: shape, velocityData: .horizontal(LIPVelocity(code: 36)), acknowledgementRequested: false,
                                        additionalData: .reason(LIPReason(code: 4)))
        let (bytes, bits) = report.encodedWithBitLength
        #expect(bits == 8 + 6 + 2 + 4 + Self.shapeWidths[index] + 3 + 7 + 1 + 9)
        #expect(SDSCodec.decode(bytes, bitCount: bits) == .location(.long(report)))
        #expect(SDSCodec.decode(bytes) == .location(.long(report)), "padding to whole bytes is ignored")
        #expect(SDSCodec.decode(bytes, bitCount: bits - 1) == .location(.truncated(bits: bits - 1)))
        // The same through the header: declared one bit short, full payload.
        #expect(SDSCodec.decode(aiService: 12, hex: Self.hex(bytes), lengthBits: bits - 1) == .location(.truncated(bits: bits - 1)))
        let fix = LocationReport.long(report).fix
        switch index {
        case 0: #expect(fix == nil, "no shape is no fix")
        case 9: #expect(fix == nil, "an arc's point is its centre, not the unit")
        default:
            let f = try #require(fix)
            #expect(f.latitude < 0 ? shape.point == Self.buenosAires : shape.point == Self.badDurrenberg)
        }
    }

    @Test func shapeExtensionAndReservedShapesStopTheReport() {
        for code in [11, 12, 13, 14, 15] {
            let (bytes, bits) = Self.pack([(0x0A, 8), (1, 2), (3, 4), (0, 2), (code, 4), (0xFFFF, 16)])
            guard case .location(.long(let r)) = SDSCodec.decode(bytes, bitCount: bits) else { Issue.record("shape \(code)"); continue }
            #expect(r.shape == (code == 15 ? .shapeExtension : .reserved(code: code)))
            #expect(!r.isComplete && r.velocityData == nil && r.fix == nil)
        }
    }

    @Test(arguments: 0..<8) func everyVelocityTypeRoundTrips(_ type: Int) throws {
        let velocity = Self.velocities[type]
        #expect(velocity.type == type)
        let report = LongLocationReport(timeType: 1, timeElapsed: .lessThan30Minutes, shape: .point(Self.badDurrenberg), velocityData: velocity,
                                        acknowledgementRequested: true, additionalData: .userDefined(0xA5))
        let (bytes, bits) = report.encodedWithBitLength
        #expect(bits == 8 + 6 + 2 + 2 + 4 + 49 + 3 + Self.velocityWidths[type] + 1 + 9)
        #expect(SDSCodec.decode(bytes, bitCount: bits) == .location(.long(report)))
        #expect(SDSCodec.decode(bytes, bitCount: bits - 1) == .location(.truncated(bits: bits - 1)))
        let p = try #require(report.position(unit: "1", receivedAt: received))
        #expect(p.speed == velocity.horizontal?.metresPerSecond)
        // Heading only from a direction of travel, and only when moving.
        let moving = (velocity.horizontal?.metresPerSecond ?? 0) > 0
        #expect(p.heading == (moving ? velocity.direction?.degrees : nil))
    }

    @Test func verticalVelocityAndDirectionValues() {
        #expect(abs(LIPVerticalVelocity(isDownward: true, speed: LIPVelocity(code: 18)).metresPerSecond! - -5) < 1e-12)
        #expect(LIPVerticalVelocity(isDownward: false, speed: LIPVelocity(code: 127)).metresPerSecond == nil)
        #expect(LIPDirectionExtended(code: 192).degrees == 270)
        #expect(LIPDirectionExtended(code: 1).degrees == 1.40625)
        #expect(LIPDirectionExtended.coding(degrees: -90).code == 192)
        #expect(LIPDirectionExtended.coding(degrees: 359.9).code == 0)
    }

    @Test func altitudeCoding() {
        #expect(LIPAltitude(code: 0).metres == nil)
        #expect(LIPAltitude(code: 1).metres == -200)
        #expect(LIPAltitude(code: 201).metres == 0)
        #expect(LIPAltitude(code: 1201).metres == 1000)
        #expect(LIPAltitude(code: 1202).metres == 1002)
        #expect(LIPAltitude(code: 1926).metres == 2450)
        #expect(LIPAltitude(code: 1927).metres == 2525)
        #expect(LIPAltitude(code: 2047).metres == 11_525)
        for m in [-200.0, -1, 0, 999, 1000, 1002, 2450, 2525, 8825, 11_525] {
            #expect(LIPAltitude.coding(metres: m).metres == m)
        }
        // A user-defined altitude reference is not metres above the ellipsoid: not stored.
        let r = LongLocationReport(shape: .pointWithAltitude(Self.badDurrenberg, altitude: LIPAltitude(isUserDefined: true, code: 500)))
        #expect(r.position(unit: "1", receivedAt: received)?.altitude == nil)
    }

    @Test func uncertaintyAndAccuracy() {
        #expect(abs(LIPHorizontalUncertainty(code: 0).metres - 0.97664) < 1e-4)
        #expect(abs(LIPHorizontalUncertainty(code: 20).metres - 186.8) < 0.1)
        #expect(LIPHorizontalUncertainty.covering(metres: 27).code == 11)
        let ellipse = LongLocationReport(shape: Self.shapes[3])
        #expect(ellipse.position(unit: "1", receivedAt: received)?.accuracy == LIPHorizontalUncertainty(code: 20).metres)
        let error = LongLocationReport(shape: Self.shapes[10])
        #expect(error.position(unit: "1", receivedAt: received)?.accuracy == 200)
    }

    // MARK: No fix

    @Test func noFixIsNeverAPoint() {
        let zero = LongLocationReport(shape: .point(LIPPoint(rawLongitude: 0, rawLatitude: 0)))
        #expect(zero.fix == nil && zero.position(unit: "1", receivedAt: received) == nil)
        let lost = LongLocationReport(shape: .point(Self.badDurrenberg), additionalData: .reason(LIPReason(code: 21)))
        #expect(lost.fix == nil && lost.position(unit: "1", receivedAt: received) == nil)
        let none = LongLocationReport(shape: .none, additionalData: .reason(LIPReason(code: 21)))
        #expect(LocationReport.long(none).position(unit: "1", receivedAt: received) == nil)
        // A short report with a position but the reason "lost ability to determine location".
        let short = ShortLocationReport(timeElapsed: .notKnown, rawLongitude: 1_124_290, rawLatitude: 4_777_354, positionError: .init(code: 7),
                                        velocity: .init(code: 127), directionCode: 0, additionalData: .reason(LIPReason(code: 21)))
        #expect(short.fix == nil)
    }

    // MARK: Time of position

    @Test func timeOfPositionResolvesAgainstTheReceiveTime() {
        func t(_ d: Int, _ h: Int, _ m: Int, _ s: Int, receivedAt: Timestamp) -> Timestamp? {
            LIPTimeOfPosition(day: d, hour: h, minute: m, second: s).resolved(receivedAt: receivedAt)
        }
        #expect(t(7, 14, 3, 9, receivedAt: received) == Self.at(2026, 12, 7, 14, 3, 9))
        // A radio clock a minute fast: still today.
        #expect(t(7, 16, 1, 0, receivedAt: received) == Self.at(2026, 12, 7, 16, 1, 0))
        // Ten minutes ahead is beyond the allowance: that time last month.
        #expect(t(7, 16, 10, 0, receivedAt: received) == Self.at(2026, 11, 7, 16, 10, 0))
        #expect(t(30, 8, 0, 0, receivedAt: received) == Self.at(2026, 11, 30, 8, 0, 0))
        // The 31st: not yet this month and November has 30 days: unresolvable, receive time used.
        #expect(t(31, 8, 0, 0, receivedAt: received) == nil)
        let r = LongLocationReport(timeType: 2, timeOfPosition: LIPTimeOfPosition(day: 31, hour: 8, minute: 0, second: 0), shape: .point(Self.badDurrenberg))
        #expect(r.position(unit: "1", receivedAt: received)?.time == received)
        // Across the new year.
        #expect(t(31, 23, 59, 50, receivedAt: Self.at(2027, 1, 1, 0, 0, 30)) == Self.at(2026, 12, 31, 23, 59, 50))
        // A leap day.
        #expect(t(29, 12, 0, 0, receivedAt: Self.at(2028, 3, 1, 0, 0)) == Self.at(2028, 2, 29, 12, 0, 0))
        #expect(t(1, 0, 0, 0, receivedAt: Timestamp(milliseconds: -200_000)) == nil)
    }

    @Test func shortReportKeepsTheReceiveTime() throws {
        guard case .location(let report) = SDSCodec.decode(aiService: 12, hex: "0A00893E12472C51026810", lengthBits: 84) else {
            Issue.record("not a location"); return
        }
        #expect(report.position(unit: "1", receivedAt: received)?.time == received)
    }

    // MARK: Truncation through the header's bit length

    /// The issue's report "one bit short": 83 bits of payload (a bit lost inside the latitude),
    /// header 83, 21 digits. Reading the pad bit as data moved it ~20 km; it is refused.
    @Test func shortReportOneBitShortIsRefusedButPaddingDecodes() {
        let full = "0A00893E12472C51026810"
        var bits = Array(full.utf8).flatMap { c -> [Character] in
            let v = Int(String(UnicodeScalar(c)), radix: 16)!
            return (0..<4).map { v >> (3 - $0) & 1 == 1 ? "1" : "0" }
        }.prefix(84)
        bits.remove(at: 8 + 4 + 25 + 10)
        let shortened = Self.hexFromBits(String(bits))
        #expect(shortened.count == 21)
        #expect(SDSCodec.decode(aiService: 12, hex: shortened, lengthBits: 83) == .location(.truncated(bits: 83)))
        #expect(SDSCodec.decode(aiService: 12, hex: full, lengthBits: 83) == .location(.truncated(bits: 83)))
        // The normal case: the header says 84, the payload has 22 digits (4 pad bits).
        guard case .location(.short(let r)) = SDSCodec.decode(aiService: 12, hex: full, lengthBits: 84) else {
            Issue.record("84 bits in 22 digits not decoded"); return
        }
        #expect(r.rawLatitude == 4_777_354)
        // The header says more than the payload holds: the payload decides.
        #expect(SDSCodec.decode(aiService: 12, hex: "0A00893E12472C5102681", lengthBits: 88) != .location(.truncated(bits: 84)))
    }

    // MARK: Type-5 elements

    @Test func trailingElements() {
        let report = LongLocationReport(shape: .point(Self.buenosAires), elements: [
            LIPElement(identifier: 6, bitLength: 8, data: [0x99]),
            LIPElement(identifier: 12, bitLength: 8, data: [81]),
            LIPElement(identifier: 13, bitLength: 16, data: [0x12, 0x34]),
            LIPElement(identifier: 15, bitLength: 16, data: [0x80, 0x04]),
            LIPElement(identifier: 17, bitLength: 28, data: [0x12, 0x29, 0xF4, 0x90]),  // type 1, SSI 2269001 (0x229F49)
            LIPElement(identifier: 1, bitLength: 100, data: Array(repeating: 0xAB, count: 12) + [0xB0]),  // length extension
        ])
        guard case .location(.long(let r)) = SDSCodec.decode(report.encoded) else { Issue.record("not decoded"); return }
        #expect(r == report)
        #expect(r.locationMessageReference == 0x99)
        #expect(r.resultCodeElement?.text == "position method failure")
        #expect(r.sdsType1Value == 0x1234 && r.statusValue == 0x8004)
        #expect(r.terminalOrLocationIdentification == .ssi(2_269_001))
        #expect(r.extendedUserDefinedData?.count == 13)
        // An element running past the end is kept as undecoded bits; the report still stands.
        let (bytes, bits) = report.encodedWithBitLength
        guard case .location(.long(let cut)) = SDSCodec.decode(bytes, bitCount: bits - 3) else { Issue.record("cut not decoded"); return }
        #expect(cut.elements.count == 5 && cut.undecodedTrailingBits == 118 - 3 && cut.fix != nil)
    }

    // MARK: Robustness

    /// Random reports of every shape and velocity type round-trip exactly; every cut inside the
    /// mandatory part is refused; no input traps.
    @Test func randomReportsRoundTripAndCutsAreRefused() {
        var rng = SeededGenerator(seed: 15)
        for _ in 0..<2_000 {
            let report = Self.randomReport(&rng)
            let (bytes, bits) = report.encodedWithBitLength
            #expect(SDSCodec.decode(bytes, bitCount: bits) == .location(.long(report)))
            var mandatory = report
            mandatory.elements = []
            let needed = mandatory.encodedWithBitLength.bits
            let cut = Int.random(in: 0..<needed, using: &rng)
            let decoded = SDSCodec.decode(bytes, bitCount: cut)
            #expect(decoded == .location(.truncated(bits: cut)), "cut at \(cut) of \(needed): \(decoded)")
        }
        for _ in 0..<5_000 {
            let bytes = [UInt8(0x0A)] + (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let content = SDSCodec.decode(bytes, bitCount: Int.random(in: -3...400, using: &rng))
            if case .location(let r) = content, let fix = r.fix {
                #expect(abs(fix.latitude) <= 90 && abs(fix.longitude) <= 180)
                if let p = r.position(unit: "u", receivedAt: received) {
                    #expect(p.time <= received.adding(seconds: 120))
                    #expect(p.latitude != 0 || p.longitude != 0)
                }
            }
        }
    }

    static func randomReport(_ rng: inout SeededGenerator) -> LongLocationReport {
        let point = LIPPoint(rawLongitude: Int.random(in: -(1 << 24)..<(1 << 24), using: &rng), rawLatitude: Int.random(in: -(1 << 23)..<(1 << 23), using: &rng))
        func u(_ max: Int) -> Int { Int.random(in: 0...max, using: &rng) }
        let ellipse = LIPEllipse(halfMajorAxis: .init(code: u(63)), halfMinorAxis: .init(code: u(63)), angleCode: u(255), confidenceCode: u(7))
        let altitude = LIPAltitude(isUserDefined: u(1) == 1, code: u(2047))
        let shapes: [LIPLocationShape] = [
            .none, .point(point), .circle(point, uncertainty: .init(code: u(63))), .ellipse(point, ellipse),
            .pointWithAltitude(point, altitude: altitude), .circleWithAltitude(point, uncertainty: .init(code: u(63)), altitude: altitude),
            .ellipseWithAltitude(point, ellipse, altitude: altitude),
            .circleWithAltitudeAndAltitudeUncertainty(point, uncertainty: .init(code: u(63)), altitude: altitude, altitudeUncertaintyCode: u(7)),
            .ellipseWithAltitudeAndAltitudeUncertainty(point, ellipse, altitude: altitude, altitudeUncertaintyCode: u(7)),
            .arc(point, LIPArc(innerRadiusCode: u(65_535), uncertaintyRadiusCode: u(65_535), offsetAngleCode: u(255), includedAngleCode: u(255), confidenceCode: u(7))),
            .pointWithPositionError(point, LIPPositionError(code: u(7))),
        ]
        let h = LIPVelocity(code: u(127))
        let v = LIPVerticalVelocity(isDownward: u(1) == 1, speed: LIPVelocity(code: u(127)))
        let d = LIPDirectionExtended(code: u(255))
        let velocities: [LIPVelocityData] = [
            .none, .horizontal(h), .horizontalWithUncertainty(h, uncertaintyCode: u(7)), .horizontalAndVertical(h, vertical: v),
            .horizontalAndVerticalWithUncertainty(h, uncertaintyCode: u(7), vertical: v, verticalUncertaintyCode: u(7)),
            .horizontalWithDirection(h, direction: d),
            .horizontalWithDirectionAndUncertainty(h, uncertaintyCode: u(7), direction: d, directionUncertaintyCode: u(7)),
            .horizontalAndVerticalWithDirectionAndUncertainty(h, uncertaintyCode: u(7), vertical: v, verticalUncertaintyCode: u(7), direction: d, directionUncertaintyCode: u(7)),
        ]
        let timeType = u(2)
        var elements: [LIPElement] = []
        for _ in 0..<u(3) {
            let length = u(127)
            var data = (0..<(length + 7) / 8).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if length % 8 != 0, !data.isEmpty { data[data.count - 1] &= UInt8(0xFF) << UInt8(8 - length % 8) }
            elements.append(LIPElement(identifier: Int.random(in: 1...31, using: &rng), bitLength: length, data: data))
        }
        return LongLocationReport(
            timeType: timeType, timeElapsed: timeType == 1 ? LIPTimeElapsed(rawValue: u(3)) : nil,
            timeOfPosition: timeType == 2 ? LIPTimeOfPosition(day: Int.random(in: 1...31, using: &rng), hour: u(23), minute: u(59), second: u(59)) : nil,
            shape: shapes.randomElement(using: &rng)!, velocityData: velocities.randomElement(using: &rng)!, acknowledgementRequested: u(1) == 1,
            additionalData: u(1) == 1 ? .userDefined(UInt8(u(255))) : .reason(LIPReason(code: u(255))), elements: elements)
    }

    // MARK: Helpers

    static func pack(_ fields: [(Int, Int)]) -> ([UInt8], Int) {
        var bits = ""
        for (value, width) in fields {
            for i in stride(from: width - 1, through: 0, by: -1) { bits.append(value >> i & 1 == 1 ? "1" : "0") }
        }
        let count = bits.count
        while bits.count % 8 != 0 { bits.append("0") }
        let chars = Array(bits)
        let bytes = stride(from: 0, to: chars.count, by: 8).map { i in chars[i..<i + 8].reduce(UInt8(0)) { $0 << 1 | ($1 == "1" ? 1 : 0) } }
        return (bytes, count)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }

    /// Bits as hex digits, the last digit padded with zeros.
    static func hexFromBits(_ bits: String) -> String {
        var b = Array(bits)
        while b.count % 4 != 0 { b.append("0") }
        let digits = Array("0123456789ABCDEF")
        return String(stride(from: 0, to: b.count, by: 4).map { i in digits[b[i..<i + 4].reduce(0) { $0 << 1 | ($1 == "1" ? 1 : 0) }] })
    }
}

extension LIPTests {
    /// Values no radio sends, through the public initialisers: no trap, nothing absurd.
    @Test func outOfRangeValuesThroughThePublicAPIDoNotTrap() {
        #expect(LIPHorizontalUncertainty(code: -5).metres == LIPHorizontalUncertainty(code: 0).metres)
        #expect(LIPHorizontalUncertainty(code: 1_000_000).metres == LIPHorizontalUncertainty(code: 63).metres)
        #expect(LIPAltitude.coding(metres: .nan).metres == nil)
        #expect(LIPAltitude.coding(metres: .infinity).metres == nil)
        #expect(LIPAltitude.coding(metres: 1e12).metres == 11_525)
        #expect(LIPDirectionExtended.coding(degrees: .infinity).code == 0)
        #expect(LIPPoint(latitude: .nan, longitude: 1e300).fix == GeoFix(latitude: 0, longitude: -180))
        #expect(LIPTimeOfPosition(day: 7, hour: 99, minute: 0, second: 0).resolved(receivedAt: Timestamp(milliseconds: 0)) == nil)
        #expect(LIPTimeOfPosition(day: 1, hour: 0, minute: 0, second: 0).resolved(receivedAt: Timestamp(milliseconds: .max)) == nil)
        #expect(LIPTimeOfPosition(day: 1, hour: 0, minute: 0, second: 0).resolved(receivedAt: Timestamp(milliseconds: 86_400_000), clockSkewAllowance: .nan) == nil)
        // An element claiming more bits than it holds is written with the bits it has.
        let report = LongLocationReport(shape: .none, elements: [LIPElement(identifier: 3, bitLength: 500, data: [0xFF])])
        guard case .location(.long(let r)) = SDSCodec.decode(report.encoded) else { Issue.record("not decoded"); return }
        #expect(r.elements == [LIPElement(identifier: 3, bitLength: 8, data: [0xFF])])
    }
}
