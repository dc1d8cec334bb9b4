import TianyanModel

/// A LIP (location information protocol, PI 0x0A, ETSI TS 100 392-18-1) PDU.
public enum LocationReport: Hashable, Sendable {
    case short(ShortLocationReport)
    case long(LongLocationReport)
    /// Another LIP PDU (location request, reporting configuration …): its type and extension.
    case other(pduType: Int, pduTypeExtension: Int?)
    /// Too few bits for the PDU type it announces.
    case truncated(bits: Int)

    /// Where the unit is, or nil when the report carries no fix.
    public var fix: GeoFix? {
        switch self {
        case .short(let r): r.fix
        case .long(let r): r.fix
        case .other, .truncated: nil
        }
    }

    /// The reason for sending, when the report carries one.
    public var reason: LIPReason? {
        switch self {
        case .short(let r): r.additionalData.reason
        case .long(let r): r.additionalData?.reason
        case .other, .truncated: nil
        }
    }

    /// The report as a stored position, or nil when it has no fix.
    public func position(unit: String, receivedAt time: Timestamp) -> Position? {
        switch self {
        case .short(let r): r.position(unit: unit, receivedAt: time)
        case .long(let r): r.position(unit: unit, receivedAt: time)
        case .other, .truncated: nil
        }
    }
}

/// Latitude and longitude in degrees, WGS-84.
public struct GeoFix: Hashable, Sendable {
    public var latitude: Double
    public var longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    /// lon = v × 360 / 2^25 and lat = v × 180 / 2^24 (two's complement values). Both zero means
    /// the radio had no fix: nil, never a point at 0,0.
    static func lip(rawLongitude: Int, rawLatitude: Int) -> GeoFix? {
        if rawLongitude == 0 && rawLatitude == 0 { return nil }
        return GeoFix(latitude: Double(rawLatitude) * 180 / 16_777_216, longitude: Double(rawLongitude) * 360 / 33_554_432)
    }
}

/// How old the position was when sent.
public enum LIPTimeElapsed: Int, Hashable, Sendable {
    case lessThan5Seconds = 0, lessThan5Minutes = 1, lessThan30Minutes = 2, notKnown = 3
}

/// Horizontal position error, 3 bits.
public struct LIPPositionError: Hashable, Sendable {
    public var code: Int

    public init(code: Int) { self.code = code }

    /// The upper bound in metres: <2 m, <20 m, <200 m, <2 km, <20 km, ≤200 km; nil above
    /// 200 km (6) and when unknown (7).
    public var metres: Double? {
        switch code {
        case 0: 2
        case 1: 20
        case 2: 200
        case 3: 2_000
        case 4: 20_000
        case 5: 200_000
        default: nil
        }
    }
}

/// Horizontal velocity, 7 bits: K ≤ 28 is K km/h, 29…126 is 16 × 1.038^(K−13) km/h, 127 unknown.
public struct LIPVelocity: Hashable, Sendable {
    public var code: Int

    public init(code: Int) { self.code = code }

    public var kilometresPerHour: Double? {
        switch code {
        case 0...28: Double(code)
        case 29...126: 16 * pow1038(code - 13)
        default: nil
        }
    }

    public var metresPerSecond: Double? { kilometresPerHour.map { $0 / 3.6 } }

    private func pow1038(_ n: Int) -> Double {
        var result = 1.0
        for _ in 0..<n { result *= 1.038 }
        return result
    }
}

/// LIP reason for sending (8 bits).
public struct LIPReason: Hashable, Sendable, CustomStringConvertible {
    public var code: Int

    public init(code: Int) { self.code = code }

    /// Reason 2, "emergency condition detected".
    public var isEmergency: Bool { code == 2 }

    public var text: String {
        switch code {
        case 0: "power on"
        case 1: "power off"
        case 2: "emergency condition detected"
        case 3: "push-to-talk detected"
        case 4: "status"
        case 5: "transmit inhibit mode on"
        case 6: "transmit inhibit mode off"
        case 7: "system access (TMO on)"
        case 8: "DMO on"
        case 9: "enter service"
        case 10: "service loss"
        case 11: "cell reselection"
        case 12: "low battery"
        case 13: "car kit connected"
        case 14: "car kit disconnected"
        case 15: "asks for transfer initialisation configuration"
        case 16: "arrival at destination"
        case 17: "arrival at a defined location"
        case 18: "approaching a defined location"
        case 19: "SDS type-1 entered"
        case 20: "user application initiated"
        case 21: "lost ability to determine location"
        case 22: "regained ability to determine location"
        case 23: "leaving point"
        case 24: "ambience listening call detected"
        case 25: "start of temporary reporting"
        case 26: "return to normal reporting"
        case 32: "response to an immediate location request"
        case 129: "maximum reporting interval exceeded since last report"
        case 130: "maximum reporting distance travelled since last report"
        default: "reserved reason \(code)"
        }
    }

    public var description: String { text }
}

/// The 8 bits after the type-of-additional-data bit.
public enum LIPAdditionalData: Hashable, Sendable {
    case reason(LIPReason)
    case userDefined(UInt8)

    public var reason: LIPReason? {
        if case .reason(let r) = self { return r }
        return nil
    }
}

/// The 84-bit short location report (PDU type 00).
public struct ShortLocationReport: Hashable, Sendable {
    public var timeElapsed: LIPTimeElapsed
    /// Longitude and latitude as sent (two's complement, 25 and 24 bits).
    public var rawLongitude: Int
    public var rawLatitude: Int
    public var positionError: LIPPositionError
    public var velocity: LIPVelocity
    /// Direction of travel, 0…15 in steps of 22.5° (0 north, 4 east).
    public var directionCode: Int
    public var additionalData: LIPAdditionalData

    public var fix: GeoFix? { GeoFix.lip(rawLongitude: rawLongitude, rawLatitude: rawLatitude) }
    public var directionDegrees: Double { Double(directionCode) * 22.5 }

    public init(timeElapsed: LIPTimeElapsed, rawLongitude: Int, rawLatitude: Int, positionError: LIPPositionError, velocity: LIPVelocity, directionCode: Int, additionalData: LIPAdditionalData) {
        self.timeElapsed = timeElapsed
        self.rawLongitude = rawLongitude
        self.rawLatitude = rawLatitude
        self.positionError = positionError
        self.velocity = velocity
        self.directionCode = directionCode
        self.additionalData = additionalData
    }

    /// Heading is filled only when the unit moves (known, non-zero speed).
    public func position(unit: String, receivedAt time: Timestamp) -> Position? {
        guard let fix else { return nil }
        let speed = velocity.metresPerSecond
        return Position(unit: unit, time: time, latitude: fix.latitude, longitude: fix.longitude,
                        speed: speed, heading: (speed ?? 0) > 0 ? directionDegrees : nil,
                        accuracy: positionError.metres, source: .lip)
    }

    /// Packs the report back into its 84 bits after the PI, padded to 11 bytes (22 hex digits).
    public var encoded: [UInt8] {
        var w = BitWriter()
        w.write(0x0A, 8)
        w.write(0, 2)
        w.write(UInt64(timeElapsed.rawValue), 2)
        w.write(UInt64(bitPattern: Int64(rawLongitude)) & (1 << 25 - 1), 25)
        w.write(UInt64(bitPattern: Int64(rawLatitude)) & (1 << 24 - 1), 24)
        w.write(UInt64(positionError.code & 7), 3)
        w.write(UInt64(velocity.code & 0x7F), 7)
        w.write(UInt64(directionCode & 0x0F), 4)
        switch additionalData {
        case .reason(let r):
            w.write(0, 1)
            w.write(UInt64(r.code & 0xFF), 8)
        case .userDefined(let v):
            w.write(1, 1)
            w.write(UInt64(v), 8)
        }
        return w.bytes
    }

    /// The raw longitude and latitude for degrees: round(lon × 2^25 / 360), round(lat × 2^24 / 180).
    public static func rawCoordinates(latitude: Double, longitude: Double) -> (longitude: Int, latitude: Int) {
        (Int((longitude * 33_554_432 / 360).rounded()), Int((latitude * 16_777_216 / 180).rounded()))
    }
}

/// Time of position in a long report: day of month, hour, minute, second (UTC).
public struct LIPTimeOfPosition: Hashable, Sendable {
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(day: Int, hour: Int, minute: Int, second: Int) {
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }
}

/// The long location report (PDU type 01, extension 0011), decoded field by field while the
/// layout is known: time data, location shape, and for the point shapes (1 point, 2 point with
/// uncertainty circle) also velocity, acknowledgement request and additional data. For other
/// shapes only the position is decoded and `isComplete` is false.
public struct LongLocationReport: Hashable, Sendable {
    public var timeElapsed: LIPTimeElapsed?
    /// Nil when the report gives no time of position or an impossible one (day 0, hour 24 or
    /// more, minute or second 60 or more).
    public var timeOfPosition: LIPTimeOfPosition?
    /// 0 no shape, 1 point, 2 point with uncertainty circle, others see TS 100 392-18-1.
    public var locationShape: Int
    public var rawLongitude: Int?
    public var rawLatitude: Int?
    /// The 6-bit horizontal position uncertainty code of shape 2, undecoded.
    public var horizontalUncertaintyCode: Int?
    public var velocity: LIPVelocity?
    public var acknowledgementRequested: Bool?
    public var additionalData: LIPAdditionalData?
    /// True when every field up to the additional data was decoded.
    public var isComplete: Bool

    public init(timeElapsed: LIPTimeElapsed? = nil, timeOfPosition: LIPTimeOfPosition? = nil, locationShape: Int, rawLongitude: Int? = nil, rawLatitude: Int? = nil, horizontalUncertaintyCode: Int? = nil, velocity: LIPVelocity? = nil, acknowledgementRequested: Bool? = nil, additionalData: LIPAdditionalData? = nil, isComplete: Bool) {
        self.timeElapsed = timeElapsed
        self.timeOfPosition = timeOfPosition
        self.locationShape = locationShape
        self.rawLongitude = rawLongitude
        self.rawLatitude = rawLatitude
        self.horizontalUncertaintyCode = horizontalUncertaintyCode
        self.velocity = velocity
        self.acknowledgementRequested = acknowledgementRequested
        self.additionalData = additionalData
        self.isComplete = isComplete
    }

    /// No shape, or a position of 0,0, means no fix.
    public var fix: GeoFix? {
        guard locationShape != 0, let lon = rawLongitude, let lat = rawLatitude else { return nil }
        return GeoFix.lip(rawLongitude: lon, rawLatitude: lat)
    }

    public func position(unit: String, receivedAt time: Timestamp) -> Position? {
        guard let fix else { return nil }
        return Position(unit: unit, time: time, latitude: fix.latitude, longitude: fix.longitude,
                        speed: velocity?.metresPerSecond, source: .lip)
    }
}

enum LIPDecoder {
    /// Decodes a LIP PDU; `bytes` starts with the PI byte 0x0A.
    static func decode(_ bytes: [UInt8], bitCount: Int) -> LocationReport {
        var r = BitReader(bytes, bitCount: bitCount)
        _ = r.read(8)
        guard let pduType = r.int(2) else { return .truncated(bits: bitCount) }
        switch pduType {
        case 0:
            return short(&r).map(LocationReport.short) ?? .truncated(bits: bitCount)
        case 1:
            guard let ext = r.int(4) else { return .truncated(bits: bitCount) }
            guard ext == 3 else { return .other(pduType: 1, pduTypeExtension: ext) }
            return long(&r).map(LocationReport.long) ?? .truncated(bits: bitCount)
        default:
            return .other(pduType: pduType, pduTypeExtension: nil)
        }
    }

    private static func short(_ r: inout BitReader) -> ShortLocationReport? {
        guard let elapsed = r.int(2), let lon = r.signed(25), let lat = r.signed(24), let err = r.int(3),
              let vel = r.int(7), let dir = r.int(4), let type = r.int(1), let data = r.int(8)
        else { return nil }
        return ShortLocationReport(
            timeElapsed: LIPTimeElapsed(rawValue: elapsed) ?? .notKnown, rawLongitude: lon, rawLatitude: lat,
            positionError: LIPPositionError(code: err), velocity: LIPVelocity(code: vel), directionCode: dir,
            additionalData: type == 0 ? .reason(LIPReason(code: data)) : .userDefined(UInt8(data)))
    }

    private static func long(_ r: inout BitReader) -> LongLocationReport? {
        guard let timeType = r.int(2) else { return nil }
        var report = LongLocationReport(locationShape: 0, isComplete: false)
        switch timeType {
        case 0: break
        case 1:
            guard let e = r.int(2) else { return nil }
            report.timeElapsed = LIPTimeElapsed(rawValue: e)
        case 2:
            guard let d = r.int(5), let h = r.int(5), let m = r.int(6), let s = r.int(6) else { return nil }
            // The fields are wider than their ranges: an impossible time (day 0, hour 24-31,
            // minute or second 60-63) is dropped, the rest of the report still decodes.
            if d >= 1, h <= 23, m <= 59, s <= 59 {
                report.timeOfPosition = LIPTimeOfPosition(day: d, hour: h, minute: m, second: s)
            }
        default:
            return report
        }
        guard let shape = r.int(4) else { return nil }
        report.locationShape = shape
        if shape != 0 {
            guard let lon = r.signed(25), let lat = r.signed(24) else { return nil }
            report.rawLongitude = lon
            report.rawLatitude = lat
        }
        switch shape {
        case 0, 1: break
        case 2:
            guard let u = r.int(6) else { return report }
            report.horizontalUncertaintyCode = u
        default:
            return report
        }
        guard let velocityType = r.int(3) else { return report }
        switch velocityType {
        case 0: break
        case 1:
            guard let v = r.int(7) else { return report }
            report.velocity = LIPVelocity(code: v)
        default:
            return report
        }
        guard let ack = r.int(1), let type = r.int(1), let data = r.int(8) else { return report }
        report.acknowledgementRequested = ack == 1
        report.additionalData = type == 0 ? .reason(LIPReason(code: data)) : .userDefined(UInt8(data))
        report.isComplete = true
        return report
    }
}

/// Writes big-endian bit fields, most significant bit first; pads the last byte with zeros.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private(set) var bitCount = 0

    mutating func write(_ value: UInt64, _ width: Int) {
        for i in stride(from: width - 1, through: 0, by: -1) {
            if bitCount & 7 == 0 { bytes.append(0) }
            if (value >> UInt64(i)) & 1 == 1 { bytes[bytes.count - 1] |= 0x80 >> UInt8(bitCount & 7) }
            bitCount += 1
        }
    }
}
