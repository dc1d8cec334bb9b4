import TianyanModel

/// A LIP (location information protocol, PI 0x0A, ETSI TS 100 392-18-1) PDU that a radio sends.
public enum LocationReport: Hashable, Sendable {
    case short(ShortLocationReport)
    case long(LongLocationReport)
    /// The radio's answer to a dispatcher's LIP request (trigger, parameters, reporting
    /// enable/disable, temporary control, backlog) or its acknowledgement of a location report.
    case response(LIPResponse)
    /// Another LIP PDU (a request, or a reserved type): its type and extension.
    case other(pduType: Int, pduTypeExtension: Int?)
    /// Fewer bits than the PDU type needs (the header's bit length and the payload both count).
    case truncated(bits: Int)

    /// Where the unit is, or nil when the report carries no fix.
    public var fix: GeoFix? {
        switch self {
        case .short(let r): r.fix
        case .long(let r): r.fix
        case .response, .other, .truncated: nil
        }
    }

    /// The reason for sending, when the report carries one.
    public var reason: LIPReason? {
        switch self {
        case .short(let r): r.additionalData.reason
        case .long(let r): r.additionalData?.reason
        case .response, .other, .truncated: nil
        }
    }

    /// The report as a stored position, or nil when it has no fix.
    public func position(unit: String, receivedAt time: Timestamp) -> Position? {
        switch self {
        case .short(let r): r.position(unit: unit, receivedAt: time)
        case .long(let r): r.position(unit: unit, receivedAt: time)
        case .response, .other, .truncated: nil
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

    /// The code for a speed: the nearest step of the table (nil is unknown, 127).
    public static func coding(kilometresPerHour speed: Double?) -> LIPVelocity {
        guard let speed, speed.isFinite, speed >= 0 else { return LIPVelocity(code: 127) }
        if speed < 28.5 { return LIPVelocity(code: Int(speed.rounded())) }
        var best = 29
        var bestError = Double.infinity
        for k in 29...126 {
            let error = abs((LIPVelocity(code: k).kilometresPerHour ?? 0) - speed)
            if error < bestError { best = k; bestError = error }
        }
        return LIPVelocity(code: best)
    }
}

/// LIP reason for sending (8 bits).
public struct LIPReason: Hashable, Sendable, CustomStringConvertible {
    public var code: Int

    public init(code: Int) { self.code = code }

    /// Reason 2, "emergency condition detected".
    public var isEmergency: Bool { code == 2 }

    /// Reason 21: the report carries no usable position whatever its coordinates say.
    public var meansNoFix: Bool { code == 21 }

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

    /// Nil at 0,0 and when the reason is "lost ability to determine location".
    public var fix: GeoFix? {
        if additionalData.reason?.meansNoFix == true { return nil }
        return GeoFix.lip(rawLongitude: rawLongitude, rawLatitude: rawLatitude)
    }
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

    /// The time is the receive time (a short report has only "time elapsed"). Heading is filled
    /// only when the unit moves (known, non-zero speed).
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
        w.writeSigned(rawLongitude, 25)
        w.writeSigned(rawLatitude, 24)
        w.write(UInt64(positionError.code & 7), 3)
        w.write(UInt64(velocity.code & 0x7F), 7)
        w.write(UInt64(directionCode & 0x0F), 4)
        additionalData.encode(into: &w)
        return w.bytes
    }

    /// The raw longitude and latitude for degrees: round(lon × 2^25 / 360), round(lat × 2^24 / 180).
    public static func rawCoordinates(latitude: Double, longitude: Double) -> (longitude: Int, latitude: Int) {
        (Int((longitude * 33_554_432 / 360).rounded()), Int((latitude * 16_777_216 / 180).rounded()))
    }
}

extension LIPAdditionalData {
    func encode(into w: inout BitWriter) {
        switch self {
        case .reason(let r):
            w.write(0, 1)
            w.write(UInt64(r.code & 0xFF), 8)
        case .userDefined(let v):
            w.write(1, 1)
            w.write(UInt64(v), 8)
        }
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

    /// The instant this names: the latest such day/hour/minute/second, in the month of
    /// `receivedAt + clockSkewAllowance` or the month before, that is not after that limit
    /// (a radio clock running a little fast still resolves to today). Nil when neither month has
    /// the day (the 31st in a 30-day month and a 30-day month before it) or the receive time is
    /// outside years 1970…9999.
    public func resolved(receivedAt: Timestamp, clockSkewAllowance: Double = 120) -> Timestamp? {
        guard (0...23).contains(hour), (0...59).contains(minute), (0...59).contains(second),
              clockSkewAllowance.isFinite, abs(clockSkewAllowance) < 1e9,
              receivedAt.milliseconds > -1_000_000_000_000, receivedAt.milliseconds < 253_402_300_800_000
        else { return nil }
        let limit = receivedAt.milliseconds + Int64(clockSkewAllowance * 1000)
        guard limit >= 0, limit < 253_402_300_800_000 else { return nil }
        let today = CivilDate(days: limit / 86_400_000)
        for monthsBack in 0...1 {
            var year = today.year
            var month = today.month - monthsBack
            if month == 0 { month = 12; year -= 1 }
            guard let date = CivilDate(year: year, month: month, day: day) else { continue }
            let ms = date.midnightUTC.milliseconds + Int64(hour) * 3_600_000 + Int64(minute) * 60_000 + Int64(second) * 1000
            if ms <= limit { return Timestamp(milliseconds: ms) }
        }
        return nil
    }
}

// MARK: Long report fields

/// A point of a location shape: longitude (25 bits) and latitude (24 bits), two's complement.
public struct LIPPoint: Hashable, Sendable {
    public var rawLongitude: Int
    public var rawLatitude: Int

    public init(rawLongitude: Int, rawLatitude: Int) {
        self.rawLongitude = rawLongitude
        self.rawLatitude = rawLatitude
    }

    /// Degrees to the nearest raw values (latitude clamped to the 24-bit range, +180° wraps to
    /// −180°); a value that is not a number becomes 0.
    public init(latitude: Double, longitude: Double) {
        let raw = ShortLocationReport.rawCoordinates(latitude: latitude.isFinite ? min(max(latitude, -90), 90) : 0,
                                                     longitude: longitude.isFinite ? min(max(longitude, -180), 180) : 0)
        var lon = raw.longitude
        if lon >= 1 << 24 { lon -= 1 << 25 }
        self.init(rawLongitude: lon, rawLatitude: min(max(raw.latitude, -(1 << 23)), (1 << 23) - 1))
    }

    public var fix: GeoFix? { GeoFix.lip(rawLongitude: rawLongitude, rawLatitude: rawLatitude) }
}

/// A 6-bit horizontal distance (horizontal position uncertainty, half axes of an ellipse):
/// r = 2 × 1.2^(K+5) − 4 metres (K 0 ≈ 1 m, 10 ≈ 27 m, 20 ≈ 187 m, 63 ≈ 485 km).
public struct LIPHorizontalUncertainty: Hashable, Sendable {
    public var code: Int

    public init(code: Int) { self.code = code }

    /// Codes outside 0…63 count as the nearest end.
    public var metres: Double {
        var p = 1.0
        for _ in 0..<(min(max(code, 0), 63) + 5) { p *= 1.2 }
        return 2 * p - 4
    }

    /// The smallest code whose distance is at least `metres`.
    public static func covering(metres: Double) -> LIPHorizontalUncertainty {
        for k in 0...63 where LIPHorizontalUncertainty(code: k).metres >= metres { return LIPHorizontalUncertainty(code: k) }
        return LIPHorizontalUncertainty(code: 63)
    }
}

/// Location altitude, 12 bits: the altitude type (0 above the WGS-84 ellipsoid, 1 user defined)
/// and 11 bits: 1…1201 = −200…1000 m in 1 m steps, 1202…1926 = 1002…2450 m in 2 m steps,
/// 1927…2047 = 2525…11525 m in 75 m steps (the top one "or more"); 0 is reserved.
public struct LIPAltitude: Hashable, Sendable {
    public var isUserDefined: Bool
    public var code: Int

    public init(isUserDefined: Bool = false, code: Int) {
        self.isUserDefined = isUserDefined
        self.code = code
    }

    public var metres: Double? {
        switch code {
        case 1...1201: Double(code - 201)
        case 1202...1926: Double(2 * code - 1402)
        case 1927...2047: Double(75 * code - 142_000)
        default: nil
        }
    }

    /// The code nearest to `metres` (clamped to −200…11525 m).
    public static func coding(metres: Double, userDefined: Bool = false) -> LIPAltitude {
        guard metres.isFinite else { return LIPAltitude(isUserDefined: userDefined, code: 0) }
        let m = min(max(metres, -200), 11_525)
        let code: Int
        if m <= 1000 { code = Int(m.rounded()) + 201 }
        else if m <= 2450 { code = Int(((m + 1402) / 2).rounded()) }
        else { code = min(Int(((m + 142_000) / 75).rounded()), 2047) }
        return LIPAltitude(isUserDefined: userDefined, code: max(code, 1))
    }
}

/// An uncertainty ellipse: half of the major and minor axes (6-bit distances), the angle of the
/// major axis (8 bits, kept as its code) and the confidence level (3 bits, kept as its code).
public struct LIPEllipse: Hashable, Sendable {
    public var halfMajorAxis: LIPHorizontalUncertainty
    public var halfMinorAxis: LIPHorizontalUncertainty
    public var angleCode: Int
    public var confidenceCode: Int

    public init(halfMajorAxis: LIPHorizontalUncertainty, halfMinorAxis: LIPHorizontalUncertainty, angleCode: Int, confidenceCode: Int) {
        self.halfMajorAxis = halfMajorAxis
        self.halfMinorAxis = halfMinorAxis
        self.angleCode = angleCode
        self.confidenceCode = confidenceCode
    }
}

/// A location arc around a point (a base station): inner radius and uncertainty radius (16 bits
/// each), offset and included angles (8 bits each) and confidence level (3 bits), as codes.
public struct LIPArc: Hashable, Sendable {
    public var innerRadiusCode: Int
    public var uncertaintyRadiusCode: Int
    public var offsetAngleCode: Int
    public var includedAngleCode: Int
    public var confidenceCode: Int

    public init(innerRadiusCode: Int, uncertaintyRadiusCode: Int, offsetAngleCode: Int, includedAngleCode: Int, confidenceCode: Int) {
        self.innerRadiusCode = innerRadiusCode
        self.uncertaintyRadiusCode = uncertaintyRadiusCode
        self.offsetAngleCode = offsetAngleCode
        self.includedAngleCode = includedAngleCode
        self.confidenceCode = confidenceCode
    }
}

/// The location shape (4 bits) and its data.
///
/// Widths per shape (after the 4 shape bits): point 49, circle 55, ellipse 72, point with
/// altitude 61, circle with altitude 67, ellipse with altitude 84, circle with altitude and
/// altitude uncertainty 70, ellipse with altitude and altitude uncertainty 87, arc 100, point and
/// position error 52. Within a shape the order is point, horizontal uncertainty or ellipse axes
/// and angle, altitude, altitude uncertainty, confidence level.
public enum LIPLocationShape: Hashable, Sendable {
    case none
    case point(LIPPoint)
    case circle(LIPPoint, uncertainty: LIPHorizontalUncertainty)
    case ellipse(LIPPoint, LIPEllipse)
    case pointWithAltitude(LIPPoint, altitude: LIPAltitude)
    case circleWithAltitude(LIPPoint, uncertainty: LIPHorizontalUncertainty, altitude: LIPAltitude)
    case ellipseWithAltitude(LIPPoint, LIPEllipse, altitude: LIPAltitude)
    /// Altitude uncertainty: 3 bits, kept as the code.
    case circleWithAltitudeAndAltitudeUncertainty(LIPPoint, uncertainty: LIPHorizontalUncertainty, altitude: LIPAltitude, altitudeUncertaintyCode: Int)
    case ellipseWithAltitudeAndAltitudeUncertainty(LIPPoint, LIPEllipse, altitude: LIPAltitude, altitudeUncertaintyCode: Int)
    /// The point is the arc's centre, not the unit: an arc is never drawn as a point.
    case arc(LIPPoint, LIPArc)
    case pointWithPositionError(LIPPoint, LIPPositionError)
    /// 11…14: reserved; the rest of the report cannot be read.
    case reserved(code: Int)
    /// 15: location shape extension; its layout is not decoded, the rest cannot be read.
    case shapeExtension

    /// The 4-bit shape code.
    public var code: Int {
        switch self {
        case .none: 0
        case .point: 1
        case .circle: 2
        case .ellipse: 3
        case .pointWithAltitude: 4
        case .circleWithAltitude: 5
        case .ellipseWithAltitude: 6
        case .circleWithAltitudeAndAltitudeUncertainty: 7
        case .ellipseWithAltitudeAndAltitudeUncertainty: 8
        case .arc: 9
        case .pointWithPositionError: 10
        case .reserved(let c): c
        case .shapeExtension: 15
        }
    }

    /// The shape's point, when it has one (the arc's is its centre).
    public var point: LIPPoint? {
        switch self {
        case .point(let p), .circle(let p, _), .ellipse(let p, _), .pointWithAltitude(let p, _), .circleWithAltitude(let p, _, _),
             .ellipseWithAltitude(let p, _, _), .circleWithAltitudeAndAltitudeUncertainty(let p, _, _, _),
             .ellipseWithAltitudeAndAltitudeUncertainty(let p, _, _, _), .arc(let p, _), .pointWithPositionError(let p, _):
            p
        case .none, .reserved, .shapeExtension:
            nil
        }
    }

    /// Where the unit is: the point of every shape but the arc, unless it is 0,0.
    public var fix: GeoFix? {
        if case .arc = self { return nil }
        return point?.fix
    }

    public var altitude: LIPAltitude? {
        switch self {
        case .pointWithAltitude(_, let a), .circleWithAltitude(_, _, let a), .ellipseWithAltitude(_, _, let a),
             .circleWithAltitudeAndAltitudeUncertainty(_, _, let a, _), .ellipseWithAltitudeAndAltitudeUncertainty(_, _, let a, _):
            a
        default:
            nil
        }
    }

    /// Horizontal accuracy in metres: the circle's radius, the ellipse's half major axis, the
    /// position error's bound; nil for a bare point.
    public var accuracyMetres: Double? {
        switch self {
        case .circle(_, let u), .circleWithAltitude(_, let u, _), .circleWithAltitudeAndAltitudeUncertainty(_, let u, _, _):
            u.metres
        case .ellipse(_, let e), .ellipseWithAltitude(_, let e, _), .ellipseWithAltitudeAndAltitudeUncertainty(_, let e, _, _):
            e.halfMajorAxis.metres
        case .pointWithPositionError(_, let error):
            error.metres
        default:
            nil
        }
    }
}

/// Vertical velocity: the direction bit (0 up, 1 down) then 7 bits coded like the horizontal
/// velocity.
public struct LIPVerticalVelocity: Hashable, Sendable {
    public var isDownward: Bool
    public var speed: LIPVelocity

    public init(isDownward: Bool, speed: LIPVelocity) {
        self.isDownward = isDownward
        self.speed = speed
    }

    /// Signed, up positive; nil when unknown.
    public var metresPerSecond: Double? { speed.metresPerSecond.map { isDownward ? -$0 : $0 } }
}

/// Direction of travel extended: 8 bits in steps of 360/256° (0 north, 64 east).
public struct LIPDirectionExtended: Hashable, Sendable {
    public var code: Int

    public init(code: Int) { self.code = code }

    public var degrees: Double { Double(code) * 360 / 256 }

    public static func coding(degrees: Double) -> LIPDirectionExtended {
        guard degrees.isFinite else { return LIPDirectionExtended(code: 0) }
        let d = degrees.truncatingRemainder(dividingBy: 360)
        return LIPDirectionExtended(code: Int(((d < 0 ? d + 360 : d) * 256 / 360).rounded()) & 0xFF)
    }
}

/// The velocity type (3 bits) and its data. Uncertainties are 3-bit codes, kept as codes.
/// Order within a type: horizontal velocity, its uncertainty, vertical velocity (direction bit
/// and 7 bits), its uncertainty, direction of travel extended, its uncertainty.
public enum LIPVelocityData: Hashable, Sendable {
    case none
    case horizontal(LIPVelocity)
    case horizontalWithUncertainty(LIPVelocity, uncertaintyCode: Int)
    case horizontalAndVertical(LIPVelocity, vertical: LIPVerticalVelocity)
    case horizontalAndVerticalWithUncertainty(LIPVelocity, uncertaintyCode: Int, vertical: LIPVerticalVelocity, verticalUncertaintyCode: Int)
    case horizontalWithDirection(LIPVelocity, direction: LIPDirectionExtended)
    case horizontalWithDirectionAndUncertainty(LIPVelocity, uncertaintyCode: Int, direction: LIPDirectionExtended, directionUncertaintyCode: Int)
    case horizontalAndVerticalWithDirectionAndUncertainty(LIPVelocity, uncertaintyCode: Int, vertical: LIPVerticalVelocity,
                                                          verticalUncertaintyCode: Int, direction: LIPDirectionExtended,
                                                          directionUncertaintyCode: Int)

    /// The 3-bit velocity type.
    public var type: Int {
        switch self {
        case .none: 0
        case .horizontal: 1
        case .horizontalWithUncertainty: 2
        case .horizontalAndVertical: 3
        case .horizontalAndVerticalWithUncertainty: 4
        case .horizontalWithDirection: 5
        case .horizontalWithDirectionAndUncertainty: 6
        case .horizontalAndVerticalWithDirectionAndUncertainty: 7
        }
    }

    public var horizontal: LIPVelocity? {
        switch self {
        case .none: nil
        case .horizontal(let v), .horizontalWithUncertainty(let v, _), .horizontalAndVertical(let v, _),
             .horizontalAndVerticalWithUncertainty(let v, _, _, _), .horizontalWithDirection(let v, _),
             .horizontalWithDirectionAndUncertainty(let v, _, _, _), .horizontalAndVerticalWithDirectionAndUncertainty(let v, _, _, _, _, _):
            v
        }
    }

    public var vertical: LIPVerticalVelocity? {
        switch self {
        case .horizontalAndVertical(_, let v), .horizontalAndVerticalWithUncertainty(_, _, let v, _),
             .horizontalAndVerticalWithDirectionAndUncertainty(_, _, let v, _, _, _):
            v
        default:
            nil
        }
    }

    /// Direction of travel, when the type carries it (5, 6, 7).
    public var direction: LIPDirectionExtended? {
        switch self {
        case .horizontalWithDirection(_, let d), .horizontalWithDirectionAndUncertainty(_, _, let d, _),
             .horizontalAndVerticalWithDirectionAndUncertainty(_, _, _, _, let d, _):
            d
        default:
            nil
        }
    }
}

/// LIP result code (8 bits).
public struct LIPResultCode: Hashable, Sendable, CustomStringConvertible {
    public var code: Int

    public init(code: Int) { self.code = code }

    /// Success (0), accepted (24, 25) and report complete (27).
    public var isSuccess: Bool { [0, 24, 25, 27].contains(code) }

    public var text: String {
        switch code {
        case 0: "success"
        case 1: "system failure"
        case 2: "unspecified error"
        case 3: "unauthorised application"
        case 4: "unknown subscriber"
        case 5: "absent subscriber"
        case 6: "congestion in provider"
        case 7: "congestion in mobile network"
        case 8: "unsupported version"
        case 9: "insufficient resources"
        case 10: "syntax error"
        case 11: "protocol element not supported"
        case 12: "service not supported"
        case 13: "protocol element value not supported"
        case 14: "type of information not currently available"
        case 15: "required accuracy not achieved"
        case 17: "reporting will stop"
        case 18: "time expired"
        case 19: "disallowed by local regulations"
        case 21: "no such request"
        case 22: "user disabled location information report sending"
        case 23: "parameter values modified"
        case 24: "accepted"
        case 25: "accepted, but some triggers or accuracies are modified or not supported"
        case 26: "triggers not supported"
        case 27: "report complete"
        case 81: "position method failure"
        case 200: "insufficient GPS satellites"
        case 201: "bad GPS geometry"
        default: "reserved result code \(code)"
        }
    }

    public var description: String { text }
}

/// A terminal or location identification (type-5 element 17): 4-bit address type, then the
/// address.
public enum LIPIdentification: Hashable, Sendable {
    case none
    case ssi(Int)
    /// SSI and MNI (MCC 10 bits, MNC 14 bits).
    case tsi(ssi: Int, mcc: Int, mnc: Int)
    case ipv4([UInt8])
    case ipv6([UInt8])
    /// Another address type (external number, name …): its type and the bits after it.
    case other(type: Int, data: [UInt8])
}

/// A type-5 element after the fixed part of a LIP PDU: 5-bit identifier, 6-bit length (0 means a
/// 7-bit length extension follows), then `bitLength` bits of data (left-aligned in `data`).
public struct LIPElement: Hashable, Sendable {
    public var identifier: Int
    public var bitLength: Int
    public var data: [UInt8]

    public init(identifier: Int, bitLength: Int, data: [UInt8]) {
        self.identifier = identifier
        self.bitLength = bitLength
        self.data = data
    }

    public static let locationMessageReferenceID = 6
    public static let resultCodeID = 12
    public static let sdsType1ValueID = 13
    public static let statusValueID = 15
    public static let terminalOrLocationIdentificationID = 17
    public static let extendedUserDefinedDataID = 1

    /// The data as an unsigned number when it is at most 64 bits.
    public var value: UInt64? {
        var r = BitReader(data, bitCount: bitLength)
        return bitLength <= 64 ? r.read(bitLength) : nil
    }

    public var name: String {
        switch identifier {
        case 0: "direction of travel and accuracy"
        case 1: "extended user defined data"
        case 2: "horizontal position and accuracy"
        case 3: "horizontal velocity and accuracy"
        case 4: "location information destination"
        case 5: "location altitude and accuracy"
        case 6: "location message reference"
        case 7: "maximum information age"
        case 8: "maximum response time"
        case 9: "default enable/disable lifetime"
        case 11: "request priority"
        case 12: "result code"
        case 13: "SDS type-1 value"
        case 14: "start time"
        case 15: "status value"
        case 16: "stop time"
        case 17: "terminal or location identification"
        case 19: "trigger definition"
        case 20: "trigger removal"
        case 21: "vertical velocity and accuracy"
        case 22: "temporary control parameter definition"
        default: "reserved element \(identifier)"
        }
    }
}

/// Typed views of the type-5 elements a report or response carries.
public protocol LIPElementCarrier {
    var elements: [LIPElement] { get }
}

extension LIPElementCarrier {
    private func element(_ id: Int) -> LIPElement? { elements.first { $0.identifier == id } }

    public var locationMessageReference: UInt8? {
        element(LIPElement.locationMessageReferenceID).flatMap { $0.bitLength == 8 ? $0.value.map { UInt8($0) } : nil }
    }

    /// The result code element, when present.
    public var resultCodeElement: LIPResultCode? {
        element(LIPElement.resultCodeID).flatMap { $0.bitLength == 8 ? $0.value.map { LIPResultCode(code: Int($0)) } : nil }
    }

    public var sdsType1Value: UInt16? {
        element(LIPElement.sdsType1ValueID).flatMap { $0.bitLength == 16 ? $0.value.map { UInt16($0) } : nil }
    }

    public var statusValue: UInt16? {
        element(LIPElement.statusValueID).flatMap { $0.bitLength == 16 ? $0.value.map { UInt16($0) } : nil }
    }

    public var extendedUserDefinedData: [UInt8]? { element(LIPElement.extendedUserDefinedDataID)?.data }

    public var terminalOrLocationIdentification: LIPIdentification? {
        guard let e = element(LIPElement.terminalOrLocationIdentificationID) else { return nil }
        var r = BitReader(e.data, bitCount: e.bitLength)
        guard let type = r.int(4) else { return nil }
        switch type {
        case 0: return LIPIdentification.none
        case 1: return r.int(24).map { .ssi($0) }
        case 2:
            guard let ssi = r.int(24), let mcc = r.int(10), let mnc = r.int(14) else { return nil }
            return .tsi(ssi: ssi, mcc: mcc, mnc: mnc)
        case 3: return r.bytes(bits: 32).map { .ipv4($0) }
        case 4: return r.bytes(bits: 128).map { .ipv6($0) }
        default: return .other(type: type, data: r.bytes(bits: r.remaining) ?? [])
        }
    }
}

/// The long location report (PDU type 01, extension 0011), every field: time data, location
/// shape, velocity data, acknowledgement request, additional data, then type-5 elements
/// (location message reference, result code, SDS type-1 value, status value, terminal or
/// location identification …).
public struct LongLocationReport: Hashable, Sendable, LIPElementCarrier {
    /// 0 none, 1 time elapsed, 2 time of position, 3 reserved (the rest cannot be read).
    public var timeType: Int
    public var timeElapsed: LIPTimeElapsed?
    /// Nil when the report gives no time of position or an impossible one (day 0, hour 24 or
    /// more, minute or second 60 or more).
    public var timeOfPosition: LIPTimeOfPosition?
    public var shape: LIPLocationShape
    /// Nil when the shape (reserved, extension) or the time type (reserved) left the rest unreadable.
    public var velocityData: LIPVelocityData?
    public var acknowledgementRequested: Bool?
    public var additionalData: LIPAdditionalData?
    public var elements: [LIPElement]
    /// Bits after the additional data that were neither zero padding nor whole type-5 elements.
    public var undecodedTrailingBits: Int
    /// True when every mandatory field up to the additional data was decoded.
    public var isComplete: Bool

    public init(timeType: Int = 0, timeElapsed: LIPTimeElapsed? = nil, timeOfPosition: LIPTimeOfPosition? = nil, shape: LIPLocationShape,
                velocityData: LIPVelocityData? = LIPVelocityData.none, acknowledgementRequested: Bool? = false,
                additionalData: LIPAdditionalData? = .reason(LIPReason(code: 0)), elements: [LIPElement] = [],
                undecodedTrailingBits: Int = 0, isComplete: Bool = true) {
        self.timeType = timeType
        self.timeElapsed = timeElapsed
        self.timeOfPosition = timeOfPosition
        self.shape = shape
        self.velocityData = velocityData
        self.acknowledgementRequested = acknowledgementRequested
        self.additionalData = additionalData
        self.elements = elements
        self.undecodedTrailingBits = undecodedTrailingBits
        self.isComplete = isComplete
    }

    /// The 4-bit location shape code (0 no shape, 1 point, 2 circle …).
    public var locationShape: Int { shape.code }
    public var rawLongitude: Int? { shape.point?.rawLongitude }
    public var rawLatitude: Int? { shape.point?.rawLatitude }
    /// The 6-bit horizontal position uncertainty code of the circle shapes.
    public var horizontalUncertaintyCode: Int? {
        switch shape {
        case .circle(_, let u), .circleWithAltitude(_, let u, _), .circleWithAltitudeAndAltitudeUncertainty(_, let u, _, _): u.code
        default: nil
        }
    }
    /// The horizontal velocity, whatever the velocity type.
    public var velocity: LIPVelocity? { velocityData?.horizontal }

    /// No shape, an arc, 0,0, an incomplete report, or the reason "lost ability to determine
    /// location" mean no fix.
    public var fix: GeoFix? {
        guard isComplete, additionalData?.reason?.meansNoFix != true else { return nil }
        return shape.fix
    }

    /// The position at the report's time of position (resolved against `time`, see
    /// `LIPTimeOfPosition.resolved`), else at the receive time; altitude when the shape has one
    /// above the WGS-84 ellipsoid; speed; heading when the velocity type carries a direction of
    /// travel and the unit moves; accuracy from the shape's uncertainty.
    public func position(unit: String, receivedAt time: Timestamp) -> Position? {
        guard let fix else { return nil }
        let speed = velocity?.metresPerSecond
        let heading = (speed ?? 0) > 0 ? velocityData?.direction?.degrees : nil
        let altitude = shape.altitude.flatMap { $0.isUserDefined ? nil : $0.metres }
        return Position(unit: unit, time: timeOfPosition?.resolved(receivedAt: time) ?? time,
                        latitude: fix.latitude, longitude: fix.longitude, altitude: altitude,
                        speed: speed, heading: heading, accuracy: shape.accuracyMetres, source: .lip)
    }

    /// The report as user data (PI 0x0A first) and its length in bits, padded with zeros to
    /// whole bytes. Writes exactly the fields `LIPDecoder` reads.
    public var encodedWithBitLength: (bytes: [UInt8], bits: Int) {
        var w = BitWriter()
        w.write(0x0A, 8)
        w.write(1, 2)
        w.write(3, 4)
        w.write(UInt64(timeType & 3), 2)
        switch timeType {
        case 1: w.write(UInt64(timeElapsed?.rawValue ?? 3), 2)
        case 2:
            let t = timeOfPosition ?? LIPTimeOfPosition(day: 0, hour: 0, minute: 0, second: 0)
            w.write(UInt64(t.day & 31), 5)
            w.write(UInt64(t.hour & 31), 5)
            w.write(UInt64(t.minute & 63), 6)
            w.write(UInt64(t.second & 63), 6)
        default: break
        }
        w.write(UInt64(shape.code & 15), 4)
        LIPDecoder.encode(shape, into: &w)
        if let velocityData { LIPDecoder.encode(velocityData, into: &w) }
        if let acknowledgementRequested { w.write(acknowledgementRequested ? 1 : 0, 1) }
        additionalData?.encode(into: &w)
        for e in elements { LIPDecoder.encode(e, into: &w) }
        return (w.bytes, w.bitCount)
    }

    public var encoded: [UInt8] { encodedWithBitLength.bytes }
}

/// A LIP response PDU a radio sends to a dispatcher, decoded to its kind, result code and the
/// type-5 elements after the fixed part where that part is known.
public struct LIPResponse: Hashable, Sendable, LIPElementCarrier {
    /// The PDU type extension.
    public enum Kind: Int, Hashable, Sendable, CaseIterable {
        case locationReportAcknowledgement = 4
        case basicLocationParameters = 5
        case addModifyTrigger = 6
        case removeTrigger = 7
        case reportTrigger = 8
        case reportBasicLocationParameters = 9
        case reportingEnableDisable = 10
        case temporaryControl = 11
        case backlog = 12

        public var text: String {
            switch self {
            case .locationReportAcknowledgement: "location report acknowledgement"
            case .basicLocationParameters: "basic location parameters response"
            case .addModifyTrigger: "add/modify trigger response"
            case .removeTrigger: "remove trigger response"
            case .reportTrigger: "report trigger response"
            case .reportBasicLocationParameters: "report basic location parameters response"
            case .reportingEnableDisable: "location reporting enable/disable response"
            case .temporaryControl: "location reporting temporary control response"
            case .backlog: "backlog response"
            }
        }
    }

    public var kind: Kind
    /// The result code of the fixed part, or of a result code element when the fixed part has none.
    public var resultCode: LIPResultCode?
    public var elements: [LIPElement]
    /// Bits after the decoded part, kept undecoded (the fixed fields after the result code of
    /// the responses whose layout is not decoded here).
    public var remainder: [UInt8]
    public var remainderBits: Int

    public init(kind: Kind, resultCode: LIPResultCode?, elements: [LIPElement] = [], remainder: [UInt8] = [], remainderBits: Int = 0) {
        self.kind = kind
        self.resultCode = resultCode
        self.elements = elements
        self.remainder = remainder
        self.remainderBits = remainderBits
    }

    /// `add/modify trigger response: accepted` and so on.
    public var text: String { resultCode.map { "\(kind.text): \($0.text)" } ?? kind.text }
}

enum LIPDecoder {
    /// Decodes a LIP PDU; `bytes` starts with the PI byte 0x0A and `bitCount` bits are valid.
    static func decode(_ bytes: [UInt8], bitCount: Int) -> LocationReport {
        var r = BitReader(bytes, bitCount: bitCount)
        let bits = r.bitCount
        _ = r.read(8)
        guard let pduType = r.int(2) else { return .truncated(bits: bits) }
        switch pduType {
        case 0:
            return short(&r).map(LocationReport.short) ?? .truncated(bits: bits)
        case 1:
            guard let ext = r.int(4) else { return .truncated(bits: bits) }
            switch ext {
            case 3:
                return long(&r).map(LocationReport.long) ?? .truncated(bits: bits)
            case 4:
                return response(.locationReportAcknowledgement, &r).map(LocationReport.response) ?? .truncated(bits: bits)
            case 5...12:
                guard let isResponse = r.int(1) else { return .truncated(bits: bits) }
                guard isResponse == 1, let kind = LIPResponse.Kind(rawValue: ext) else { return .other(pduType: 1, pduTypeExtension: ext) }
                return response(kind, &r).map(LocationReport.response) ?? .truncated(bits: bits)
            default:
                return .other(pduType: 1, pduTypeExtension: ext)
            }
        default:
            return .other(pduType: pduType, pduTypeExtension: nil)
        }
    }

    private static func short(_ r: inout BitReader) -> ShortLocationReport? {
        guard let elapsed = r.int(2), let lon = r.signed(25), let lat = r.signed(24), let err = r.int(3),
              let vel = r.int(7), let dir = r.int(4), let data = additionalData(&r)
        else { return nil }
        return ShortLocationReport(
            timeElapsed: LIPTimeElapsed(rawValue: elapsed) ?? .notKnown, rawLongitude: lon, rawLatitude: lat,
            positionError: LIPPositionError(code: err), velocity: LIPVelocity(code: vel), directionCode: dir,
            additionalData: data)
    }

    private static func additionalData(_ r: inout BitReader) -> LIPAdditionalData? {
        guard let type = r.int(1), let data = r.int(8) else { return nil }
        return type == 0 ? .reason(LIPReason(code: data)) : .userDefined(UInt8(data))
    }

    /// Nil when the bits end before a mandatory field.
    private static func long(_ r: inout BitReader) -> LongLocationReport? {
        guard let timeType = r.int(2) else { return nil }
        var report = LongLocationReport(timeType: timeType, shape: .none, velocityData: nil, acknowledgementRequested: nil,
                                        additionalData: nil, isComplete: false)
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
        guard let shape = shape(&r) else { return nil }
        report.shape = shape
        switch shape {
        case .reserved, .shapeExtension: return report
        default: break
        }
        guard let velocity = velocity(&r), let ack = r.int(1), let data = additionalData(&r) else { return nil }
        report.velocityData = velocity
        report.acknowledgementRequested = ack == 1
        report.additionalData = data
        report.isComplete = true
        (report.elements, report.undecodedTrailingBits) = elements(&r)
        return report
    }

    private static func point(_ r: inout BitReader) -> LIPPoint? {
        guard let lon = r.signed(25), let lat = r.signed(24) else { return nil }
        return LIPPoint(rawLongitude: lon, rawLatitude: lat)
    }

    private static func ellipse(_ r: inout BitReader, confidence: Bool) -> LIPEllipse? {
        guard let major = r.int(6), let minor = r.int(6), let angle = r.int(8) else { return nil }
        var e = LIPEllipse(halfMajorAxis: LIPHorizontalUncertainty(code: major), halfMinorAxis: LIPHorizontalUncertainty(code: minor),
                           angleCode: angle, confidenceCode: 0)
        if confidence {
            guard let c = r.int(3) else { return nil }
            e.confidenceCode = c
        }
        return e
    }

    private static func altitude(_ r: inout BitReader) -> LIPAltitude? {
        guard let type = r.int(1), let code = r.int(11) else { return nil }
        return LIPAltitude(isUserDefined: type == 1, code: code)
    }

    private static func shape(_ r: inout BitReader) -> LIPLocationShape? {
        guard let code = r.int(4) else { return nil }
        switch code {
        case 0:
            return LIPLocationShape.none
        case 1:
            return point(&r).map { .point($0) }
        case 2:
            guard let p = point(&r), let u = r.int(6) else { return nil }
            return .circle(p, uncertainty: LIPHorizontalUncertainty(code: u))
        case 3:
            guard let p = point(&r), let e = ellipse(&r, confidence: true) else { return nil }
            return .ellipse(p, e)
        case 4:
            guard let p = point(&r), let a = altitude(&r) else { return nil }
            return .pointWithAltitude(p, altitude: a)
        case 5:
            guard let p = point(&r), let u = r.int(6), let a = altitude(&r) else { return nil }
            return .circleWithAltitude(p, uncertainty: LIPHorizontalUncertainty(code: u), altitude: a)
        case 6:
            guard let p = point(&r), var e = ellipse(&r, confidence: false), let a = altitude(&r), let c = r.int(3) else { return nil }
            e.confidenceCode = c
            return .ellipseWithAltitude(p, e, altitude: a)
        case 7:
            guard let p = point(&r), let u = r.int(6), let a = altitude(&r), let au = r.int(3) else { return nil }
            return .circleWithAltitudeAndAltitudeUncertainty(p, uncertainty: LIPHorizontalUncertainty(code: u), altitude: a, altitudeUncertaintyCode: au)
        case 8:
            guard let p = point(&r), var e = ellipse(&r, confidence: false), let a = altitude(&r), let au = r.int(3), let c = r.int(3)
            else { return nil }
            e.confidenceCode = c
            return .ellipseWithAltitudeAndAltitudeUncertainty(p, e, altitude: a, altitudeUncertaintyCode: au)
        case 9:
            guard let p = point(&r), let inner = r.int(16), let uncertainty = r.int(16), let offset = r.int(8), let included = r.int(8),
                  let c = r.int(3)
            else { return nil }
            return .arc(p, LIPArc(innerRadiusCode: inner, uncertaintyRadiusCode: uncertainty, offsetAngleCode: offset,
                                  includedAngleCode: included, confidenceCode: c))
        case 10:
            guard let p = point(&r), let e = r.int(3) else { return nil }
            return .pointWithPositionError(p, LIPPositionError(code: e))
        case 15:
            return .shapeExtension
        default:
            return .reserved(code: code)
        }
    }

    private static func vertical(_ r: inout BitReader) -> LIPVerticalVelocity? {
        guard let down = r.int(1), let v = r.int(7) else { return nil }
        return LIPVerticalVelocity(isDownward: down == 1, speed: LIPVelocity(code: v))
    }

    private static func velocity(_ r: inout BitReader) -> LIPVelocityData? {
        guard let type = r.int(3) else { return nil }
        if type == 0 { return LIPVelocityData.none }
        guard let h = r.int(7).map(LIPVelocity.init(code:)) else { return nil }
        switch type {
        case 1:
            return .horizontal(h)
        case 2:
            return r.int(3).map { .horizontalWithUncertainty(h, uncertaintyCode: $0) }
        case 3:
            return vertical(&r).map { .horizontalAndVertical(h, vertical: $0) }
        case 4:
            guard let hu = r.int(3), let v = vertical(&r), let vu = r.int(3) else { return nil }
            return .horizontalAndVerticalWithUncertainty(h, uncertaintyCode: hu, vertical: v, verticalUncertaintyCode: vu)
        case 5:
            return r.int(8).map { .horizontalWithDirection(h, direction: LIPDirectionExtended(code: $0)) }
        case 6:
            guard let hu = r.int(3), let d = r.int(8), let du = r.int(3) else { return nil }
            return .horizontalWithDirectionAndUncertainty(h, uncertaintyCode: hu, direction: LIPDirectionExtended(code: d), directionUncertaintyCode: du)
        default:
            guard let hu = r.int(3), let v = vertical(&r), let vu = r.int(3), let d = r.int(8), let du = r.int(3) else { return nil }
            return .horizontalAndVerticalWithDirectionAndUncertainty(h, uncertaintyCode: hu, vertical: v, verticalUncertaintyCode: vu,
                                                                      direction: LIPDirectionExtended(code: d), directionUncertaintyCode: du)
        }
    }

    /// Type-5 elements until the bits end. Trailing zero bits are padding; an element that
    /// runs past the end stops the reading and its bits count as undecoded.
    static func elements(_ r: inout BitReader) -> ([LIPElement], Int) {
        var found: [LIPElement] = []
        while r.remaining > 0, !r.allRemainingZero {
            let start = r.remaining
            guard let id = r.int(5), var length = r.int(6) else { return (found, start) }
            if length == 0 {
                guard let extended = r.int(7) else { return (found, start) }
                length = extended
            }
            guard let data = r.bytes(bits: length) else { return (found, start) }
            found.append(LIPElement(identifier: id, bitLength: length, data: data))
        }
        return (found, 0)
    }

    /// The fixed part after the request/response bit: a result code for every response, then
    /// the report trigger response's enable flags (8) and report type (2). Type-5 elements are
    /// read where the fixed part is known to end (report acknowledgement, remove trigger,
    /// report trigger, enable/disable); otherwise the rest is kept undecoded.
    private static func response(_ kind: LIPResponse.Kind, _ r: inout BitReader) -> LIPResponse? {
        var response = LIPResponse(kind: kind, resultCode: nil)
        switch kind {
        case .reportingEnableDisable:
            // Enable flags (8) and no result code in the fixed part; a result code element may follow.
            guard r.read(8) != nil else { return nil }
            (response.elements, _) = elements(&r)
            response.resultCode = response.resultCodeElement
            return response
        default:
            guard let code = r.int(8) else { return nil }
            response.resultCode = LIPResultCode(code: code)
        }
        switch kind {
        case .locationReportAcknowledgement, .removeTrigger:
            (response.elements, _) = elements(&r)
        case .reportTrigger:
            guard r.read(8) != nil, r.read(2) != nil else { return response }
            (response.elements, _) = elements(&r)
        default:
            response.remainderBits = r.remaining
            response.remainder = r.bytes(bits: r.remaining) ?? []
        }
        return response
    }

    // MARK: Encoding (the exact inverse of the decoding above)

    static func encode(_ p: LIPPoint, into w: inout BitWriter) {
        w.writeSigned(p.rawLongitude, 25)
        w.writeSigned(p.rawLatitude, 24)
    }

    static func encode(_ a: LIPAltitude, into w: inout BitWriter) {
        w.write(a.isUserDefined ? 1 : 0, 1)
        w.write(UInt64(a.code & 0x7FF), 11)
    }

    static func encodeAxes(_ e: LIPEllipse, into w: inout BitWriter) {
        w.write(UInt64(e.halfMajorAxis.code & 63), 6)
        w.write(UInt64(e.halfMinorAxis.code & 63), 6)
        w.write(UInt64(e.angleCode & 0xFF), 8)
    }

    static func encode(_ shape: LIPLocationShape, into w: inout BitWriter) {
        switch shape {
        case .none, .reserved, .shapeExtension:
            break
        case .point(let p):
            encode(p, into: &w)
        case .circle(let p, let u):
            encode(p, into: &w)
            w.write(UInt64(u.code & 63), 6)
        case .ellipse(let p, let e):
            encode(p, into: &w)
            encodeAxes(e, into: &w)
            w.write(UInt64(e.confidenceCode & 7), 3)
        case .pointWithAltitude(let p, let a):
            encode(p, into: &w)
            encode(a, into: &w)
        case .circleWithAltitude(let p, let u, let a):
            encode(p, into: &w)
            w.write(UInt64(u.code & 63), 6)
            encode(a, into: &w)
        case .ellipseWithAltitude(let p, let e, let a):
            encode(p, into: &w)
            encodeAxes(e, into: &w)
            encode(a, into: &w)
            w.write(UInt64(e.confidenceCode & 7), 3)
        case .circleWithAltitudeAndAltitudeUncertainty(let p, let u, let a, let au):
            encode(p, into: &w)
            w.write(UInt64(u.code & 63), 6)
            encode(a, into: &w)
            w.write(UInt64(au & 7), 3)
        case .ellipseWithAltitudeAndAltitudeUncertainty(let p, let e, let a, let au):
            encode(p, into: &w)
            encodeAxes(e, into: &w)
            encode(a, into: &w)
            w.write(UInt64(au & 7), 3)
            w.write(UInt64(e.confidenceCode & 7), 3)
        case .arc(let p, let arc):
            encode(p, into: &w)
            w.write(UInt64(arc.innerRadiusCode & 0xFFFF), 16)
            w.write(UInt64(arc.uncertaintyRadiusCode & 0xFFFF), 16)
            w.write(UInt64(arc.offsetAngleCode & 0xFF), 8)
            w.write(UInt64(arc.includedAngleCode & 0xFF), 8)
            w.write(UInt64(arc.confidenceCode & 7), 3)
        case .pointWithPositionError(let p, let e):
            encode(p, into: &w)
            w.write(UInt64(e.code & 7), 3)
        }
    }

    static func encode(_ v: LIPVerticalVelocity, into w: inout BitWriter) {
        w.write(v.isDownward ? 1 : 0, 1)
        w.write(UInt64(v.speed.code & 0x7F), 7)
    }

    static func encode(_ velocity: LIPVelocityData, into w: inout BitWriter) {
        w.write(UInt64(velocity.type), 3)
        if let h = velocity.horizontal { w.write(UInt64(h.code & 0x7F), 7) }
        switch velocity {
        case .none, .horizontal:
            break
        case .horizontalWithUncertainty(_, let u):
            w.write(UInt64(u & 7), 3)
        case .horizontalAndVertical(_, let v):
            encode(v, into: &w)
        case .horizontalAndVerticalWithUncertainty(_, let u, let v, let vu):
            w.write(UInt64(u & 7), 3)
            encode(v, into: &w)
            w.write(UInt64(vu & 7), 3)
        case .horizontalWithDirection(_, let d):
            w.write(UInt64(d.code & 0xFF), 8)
        case .horizontalWithDirectionAndUncertainty(_, let u, let d, let du):
            w.write(UInt64(u & 7), 3)
            w.write(UInt64(d.code & 0xFF), 8)
            w.write(UInt64(du & 7), 3)
        case .horizontalAndVerticalWithDirectionAndUncertainty(_, let u, let v, let vu, let d, let du):
            w.write(UInt64(u & 7), 3)
            encode(v, into: &w)
            w.write(UInt64(vu & 7), 3)
            w.write(UInt64(d.code & 0xFF), 8)
            w.write(UInt64(du & 7), 3)
        }
    }

    /// Writes at most 127 bits and no more than `data` holds, with the length it writes.
    static func encode(_ e: LIPElement, into w: inout BitWriter) {
        let length = max(0, min(e.bitLength, e.data.count * 8, 127))
        w.write(UInt64(e.identifier & 31), 5)
        if length >= 1 && length <= 63 {
            w.write(UInt64(length), 6)
        } else {
            w.write(0, 6)
            w.write(UInt64(length), 7)
        }
        var r = BitReader(e.data, bitCount: length)
        while let bit = r.read(1) { w.write(bit, 1) }
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

    /// Two's complement in `width` bits.
    mutating func writeSigned(_ value: Int, _ width: Int) {
        write(UInt64(bitPattern: Int64(value)) & (UInt64(1) << UInt64(width) - 1), width)
    }
}
