import Foundation

/// Builds LIP short location reports (PI 0x0A, ETSI TS 100 392-18-1 §6.2.1) the way a radio
/// sends them: 84 bits after the PI, padded with zeros to 11 bytes (22 hex digits).
///
/// Written from the bit layout in the protocol notes, independently of RadioLink's decoder, so
/// that the round trip through the decoder is a real check of both.
enum LIPEncoder {
    struct ShortReport: Hashable, Sendable {
        /// Degrees, WGS-84; nil for both means no fix (sent as 0,0 with error and speed unknown).
        var latitude: Double?
        var longitude: Double?
        /// 0 <5 s, 1 <5 min, 2 <30 min, 3 not known.
        var timeElapsed: Int = 0
        /// 0 <2 m … 6 >200 km, 7 unknown.
        var positionError: Int = 1
        /// Nil is "unknown" (code 127).
        var speedKilometresPerHour: Double?
        /// 0 = north, 90 = east.
        var headingDegrees: Double = 0
        /// Reason for sending (8 bits), e.g. 129 "maximum reporting interval exceeded".
        var reason: Int = 129

        static func noFix(reason: Int) -> ShortReport {
            ShortReport(latitude: nil, longitude: nil, timeElapsed: 3, positionError: 7, speedKilometresPerHour: nil,
                        headingDegrees: 0, reason: reason)
        }
    }

    /// The 11 bytes of user data, starting with the PI 0x0A.
    static func encode(_ report: ShortReport) -> [UInt8] {
        var fields: [(value: Int, width: Int)] = [(0x0A, 8), (0, 2), (report.timeElapsed & 3, 2)]
        if let lat = report.latitude, let lon = report.longitude {
            fields.append((rawLongitude(lon), 25))
            fields.append((rawLatitude(lat), 24))
            fields.append((report.positionError & 7, 3))
            fields.append((velocityCode(kilometresPerHour: report.speedKilometresPerHour), 7))
            fields.append((directionCode(degrees: report.headingDegrees), 4))
        } else {
            fields += [(0, 25), (0, 24), (7, 3), (127, 7), (0, 4)]
        }
        fields.append((0, 1))  // type of additional data: reason for sending
        fields.append((report.reason & 0xFF, 8))
        var packed: UInt128 = 0
        var width = 0
        for field in fields {
            let mask = (UInt128(1) << UInt128(field.width)) - 1
            packed = (packed << UInt128(field.width)) | (UInt128(truncatingIfNeeded: field.value) & mask)
            width += field.width
        }
        let padding = (8 - width % 8) % 8
        packed <<= UInt128(padding)
        let count = (width + padding) / 8
        return (0..<count).map { i in UInt8(truncatingIfNeeded: packed >> UInt128(8 * (count - 1 - i))) }
    }

    /// Uppercase hex, two digits per byte.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// round(lon × 2^25 / 360) as a 25-bit two's complement field (+180° wraps to −180°).
    static func rawLongitude(_ degrees: Double) -> Int {
        let v = Int((degrees * 33_554_432 / 360).rounded())
        return v & 0x1FF_FFFF
    }

    /// round(lat × 2^24 / 180) as a 24-bit two's complement field, clamped to ±90°.
    static func rawLatitude(_ degrees: Double) -> Int {
        let v = min(max(Int((degrees * 16_777_216 / 180).rounded()), -8_388_608), 8_388_607)
        return v & 0xFF_FFFF
    }

    /// K ≤ 28: K km/h; above, v = 16 × 1.038^(K − 13) solved for K, up to 126; nil → 127 (unknown).
    static func velocityCode(kilometresPerHour speed: Double?) -> Int {
        guard let speed, speed.isFinite, speed >= 0 else { return 127 }
        let linear = Int(speed.rounded())
        if linear <= 28 { return linear }
        let k = Int((13 + log(speed / 16) / log(1.038)).rounded())
        return min(max(k, 29), 126)
    }

    /// 16 sectors of 22.5°: trunc((deg + 11.25) / 22.5) mod 16.
    static func directionCode(degrees: Double) -> Int {
        var d = degrees.truncatingRemainder(dividingBy: 360)
        if d < 0 { d += 360 }
        return Int((d + 11.25) / 22.5) % 16
    }
}
