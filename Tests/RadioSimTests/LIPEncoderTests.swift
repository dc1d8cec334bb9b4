import RadioLink
import Testing
@testable import radio_sim

@Suite struct LIPEncoderTests {
    func decode(_ report: LIPEncoder.ShortReport) -> ShortLocationReport? {
        let hex = LIPEncoder.hex(LIPEncoder.encode(report))
        guard case .location(.short(let decoded)) = SDSCodec.decode(aiService: 12, hex: hex, lengthBits: 84) else { return nil }
        return decoded
    }

    @Test func reproducesTheHandDecodedVectorL1() {
        let report = LIPEncoder.ShortReport(latitude: 51.2554479, longitude: 12.0623231, timeElapsed: 0, positionError: 1,
                                            speedKilometresPerHour: 1, headingDegrees: 67.5, reason: 129)
        #expect(LIPEncoder.hex(LIPEncoder.encode(report)) == "0A00893E12472C51026810")
    }

    @Test(arguments: [
        (22.8012, 113.7943),      // Chang'an
        (-37.899131, 145.142012), // Melbourne: negative latitude
        (40.4168, -3.7038),       // Madrid: negative longitude
        (-33.4489, -70.6693),     // Santiago: both negative
        (89.99, 179.99), (-89.99, -179.99),
    ])
    func roundTripsThroughRadioLink(latitude: Double, longitude: Double) throws {
        let report = LIPEncoder.ShortReport(latitude: latitude, longitude: longitude, timeElapsed: 1, positionError: 2,
                                            speedKilometresPerHour: 42, headingDegrees: 200, reason: 130)
        let decoded = try #require(decode(report))
        let fix = try #require(decoded.fix)
        #expect(abs(fix.latitude - latitude) < 180.0 / 16_777_216)
        #expect(abs(fix.longitude - longitude) < 360.0 / 33_554_432)
        #expect(decoded.timeElapsed == .lessThan5Minutes)
        #expect(decoded.positionError.code == 2)
        #expect(decoded.directionCode == 9)  // 200° → sector 9 (202.5°)
        #expect(decoded.additionalData == .reason(LIPReason(code: 130)))
        let speed = try #require(decoded.velocity.kilometresPerHour)
        #expect(abs(speed - 42) / 42 < 0.02, "42 km/h came back as \(speed)")
    }

    @Test(arguments: [0.0, 1, 5, 27.6, 28, 29, 60, 120, 500])
    func speedsRoundTrip(kmh: Double) throws {
        let decoded = try #require(decode(LIPEncoder.ShortReport(latitude: 22.8, longitude: 113.8, speedKilometresPerHour: kmh)))
        let back = try #require(decoded.velocity.kilometresPerHour)
        if kmh <= 28 { #expect(back == kmh.rounded()) } else { #expect(abs(back - kmh) / kmh < 0.02, "\(kmh) → \(back)") }
    }

    @Test func unknownSpeedIsCode127() throws {
        let decoded = try #require(decode(LIPEncoder.ShortReport(latitude: 22.8, longitude: 113.8, speedKilometresPerHour: nil)))
        #expect(decoded.velocity.code == 127)
        #expect(decoded.velocity.kilometresPerHour == nil)
    }

    @Test func noFixIsRecognisedAsNoFix() throws {
        let hex = LIPEncoder.hex(LIPEncoder.encode(.noFix(reason: 21)))
        #expect(hex.count == 22)
        guard case .location(let location) = SDSCodec.decode(aiService: 12, hex: hex, lengthBits: 84) else {
            Issue.record("\(hex) is not decoded as LIP")
            return
        }
        #expect(location.fix == nil)
        #expect(location.position(unit: "2100001", receivedAt: t0) == nil)
        #expect(location.reason?.code == 21)
        guard case .short(let short) = location else { Issue.record("not a short report"); return }
        #expect(short.positionError.code == 7)
        #expect(short.velocity.code == 127)
        #expect(short.timeElapsed == .notKnown)
    }

    @Test func directionSectors() {
        #expect(LIPEncoder.directionCode(degrees: 0) == 0)
        #expect(LIPEncoder.directionCode(degrees: 11.2) == 0)
        #expect(LIPEncoder.directionCode(degrees: 11.25) == 1)
        #expect(LIPEncoder.directionCode(degrees: 90) == 4)
        #expect(LIPEncoder.directionCode(degrees: 355) == 0)
        #expect(LIPEncoder.directionCode(degrees: -90) == 12)
    }
}
