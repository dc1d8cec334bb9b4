import Foundation
import TianyanModel

/// Message ids used here.
public enum JT808ID {
    public static let terminalResponse: UInt16 = 0x0001, heartbeat: UInt16 = 0x0002, logout: UInt16 = 0x0003
    public static let registration: UInt16 = 0x0100, authentication: UInt16 = 0x0102, location: UInt16 = 0x0200
    public static let queryResponse: UInt16 = 0x0201, batchLocation: UInt16 = 0x0704
    public static let platformResponse: UInt16 = 0x8001, registrationResponse: UInt16 = 0x8100, positionQuery: UInt16 = 0x8201
    public static let temporaryTracking: UInt16 = 0x8202, text: UInt16 = 0x8300
}

struct Reader {
    let b: [UInt8]
    var i = 0
    init(_ b: [UInt8]) { self.b = b }
    var remaining: Int { b.count - i }
    mutating func u8(_ f: String) throws(JT808Error) -> UInt8 {
        guard remaining >= 1 else { throw JT808Error("truncated: \(f) missing") }
        defer { i += 1 }
        return b[i]
    }
    mutating func u16(_ f: String) throws(JT808Error) -> UInt16 {
        guard remaining >= 2 else { throw JT808Error("truncated: \(f) missing") }
        defer { i += 2 }
        return UInt16(b[i]) << 8 | UInt16(b[i + 1])
    }
    mutating func u32(_ f: String) throws(JT808Error) -> UInt32 {
        guard remaining >= 4 else { throw JT808Error("truncated: \(f) missing") }
        defer { i += 4 }
        return UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }
    mutating func take(_ n: Int, _ f: String) throws(JT808Error) -> [UInt8] {
        guard n >= 0, remaining >= n else { throw JT808Error("truncated: \(f) needs \(n) bytes, \(max(remaining, 0)) left") }
        defer { i += n }
        return Array(b[i..<i + n])
    }
    mutating func rest() -> [UInt8] { defer { i = b.count }; return Array(b[i...]) }
}

extension Array where Element == UInt8 {
    mutating func put16(_ v: UInt16) { append(UInt8(v >> 8)); append(UInt8(v & 0xFF)) }
    mutating func put32(_ v: UInt32) { for s in [24, 16, 8, 0] { append(UInt8(v >> UInt32(s) & 0xFF)) } }
}

/// `0x0001` and `0x8001`: the answer to a message, by its serial and id.
public struct JT808Response: Hashable, Sendable {
    /// 0 ok, 1 failed, 2 wrong message, 3 not supported, 4 alarm acknowledged (platform).
    public var serial: UInt16
    public var id: UInt16
    public var result: UInt8
    public init(serial: UInt16, id: UInt16, result: UInt8) {
        self.serial = serial
        self.id = id
        self.result = result
    }
    public init(body: [UInt8]) throws(JT808Error) {
        var r = Reader(body)
        serial = try r.u16("response serial")
        id = try r.u16("response id")
        result = try r.u8("response result")
    }
    public var body: [UInt8] { var b: [UInt8] = []; b.put16(serial); b.put16(id); b.append(result); return b }
}

/// `0x0100`: a terminal registers (2011, 2013 and 2019 layouts, told apart by length and version).
public struct JT808Registration: Hashable, Sendable {
    public var province: UInt16
    public var city: UInt16
    public var manufacturer: String
    public var model: String
    public var terminalID: String
    /// 0 no plate; 1 blue, 2 yellow, 3 black, 4 white, 9 other.
    public var plateColor: UInt8
    /// The plate (vehicles) or the VIN when there is no plate; GBK.
    public var plate: String

    public init(province: UInt16, city: UInt16, manufacturer: String, model: String, terminalID: String, plateColor: UInt8, plate: String) {
        self.province = province
        self.city = city
        self.manufacturer = manufacturer
        self.model = model
        self.terminalID = terminalID
        self.plateColor = plateColor
        self.plate = plate
    }

    static func field(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }

    public init(body: [UInt8], version: JT808Message.Version) throws(JT808Error) {
        var r = Reader(body)
        province = try r.u16("province")
        city = try r.u16("city")
        let (m, t, d): (Int, Int, Int) = if case .v2019 = version { (11, 30, 30) } else if body.count >= 4 + 5 + 20 + 7 + 1 { (5, 20, 7) } else { (5, 8, 7) }
        manufacturer = Self.field(try r.take(m, "manufacturer"))
        model = Self.field(try r.take(t, "terminal model"))
        terminalID = Self.field(try r.take(d, "terminal ID"))
        plateColor = try r.u8("plate colour")
        plate = GBK.decode(r.rest()).text
    }

    public func body(version: JT808Message.Version) -> [UInt8] {
        func fixed(_ s: String, _ n: Int) -> [UInt8] { let b = Array(s.utf8.prefix(n)); return b + [UInt8](repeating: 0, count: n - b.count) }
        var b: [UInt8] = []
        b.put16(province)
        b.put16(city)
        if case .v2019 = version { b += fixed(manufacturer, 11) + fixed(model, 30) + fixed(terminalID, 30) } else {
            b += fixed(manufacturer, 5) + fixed(model, 20) + fixed(terminalID, 7)
        }
        b.append(plateColor)
        return b + (GBK.encode(plate) ?? Array(plate.utf8))
    }
}

/// `0x0102`: authentication with the code the registration answer gave (2019: with IMEI and
/// software version).
public struct JT808Authentication: Hashable, Sendable {
    public var code: String
    public var imei: String?
    public var software: String?

    public init(code: String, imei: String? = nil, software: String? = nil) {
        self.code = code
        self.imei = imei
        self.software = software
    }

    public init(body: [UInt8], version: JT808Message.Version) throws(JT808Error) {
        if case .v2019 = version {
            var r = Reader(body)
            let n = Int(try r.u8("authentication code length"))
            code = GBK.decode(try r.take(n, "authentication code")).text
            imei = JT808Registration.field(try r.take(15, "IMEI"))
            software = JT808Registration.field(try r.take(20, "software version"))
        } else {
            code = GBK.decode(body).text
        }
    }

    public func body(version: JT808Message.Version) -> [UInt8] {
        let c = GBK.encode(code) ?? Array(code.utf8)
        guard case .v2019 = version else { return c }
        func fixed(_ s: String?, _ n: Int) -> [UInt8] { let b = Array((s ?? "").utf8.prefix(n)); return b + [UInt8](repeating: 0, count: n - b.count) }
        return [UInt8(min(c.count, 255))] + c.prefix(255) + fixed(imei, 15) + fixed(software, 20)
    }
}

/// `0x0200`: a location report: alarm and status words, position (10⁻⁶ degrees, hemisphere in
/// the status word), altitude, speed, direction, time (BCD, GMT+8) and the additional items.
public struct JT808Location: Hashable, Sendable {
    public var alarm: UInt32
    public var status: UInt32
    /// Degrees, signed by the status word's south/west bits.
    public var latitude: Double
    public var longitude: Double
    /// Metres.
    public var altitude: UInt16
    /// 1/10 km/h.
    public var speedTenthsKmh: UInt16
    /// Degrees from north, 0-359.
    public var direction: UInt16
    /// The fix time (the report's BCD time, which is GMT+8), nil when not a valid time.
    public var time: Timestamp?
    /// The raw BCD time.
    public var timeBCD: [UInt8]
    /// Additional items in order: id and value.
    public var extras: [Extra]

    public struct Extra: Hashable, Sendable {
        public var id: UInt8
        public var value: [UInt8]
        public init(id: UInt8, value: [UInt8]) {
            self.id = id
            self.value = value
        }
    }

    /// Status bit 1: the position is a fix.
    public var positioned: Bool { status & 0x02 != 0 }
    public var accOn: Bool { status & 0x01 != 0 }

    public init(alarm: UInt32 = 0, status: UInt32 = 0x02, latitude: Double, longitude: Double, altitude: UInt16 = 0, speedTenthsKmh: UInt16 = 0,
                direction: UInt16 = 0, time: Timestamp, extras: [Extra] = []) {
        self.alarm = alarm
        var s = status & ~UInt32(0x0C)
        if latitude < 0 { s |= 0x04 }
        if longitude < 0 { s |= 0x08 }
        self.status = s
        self.latitude = latitude
        self.longitude = longitude
        self.altitude = altitude
        self.speedTenthsKmh = speedTenthsKmh
        self.direction = direction
        self.time = time
        timeBCD = Self.bcd(time)
        self.extras = extras
    }

    /// `YYMMDDhhmmss` in BCD, GMT+8.
    static func bcd(_ t: Timestamp) -> [UInt8] {
        let ms = t.milliseconds + 8 * 3_600_000
        let days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let d = CivilDate(days: days)
        let s = Int((ms - days * 86_400_000) / 1000)
        return [d.year % 100, d.month, d.day, s / 3600, s / 60 % 60, s % 60].map { UInt8(($0 / 10) << 4 | ($0 % 10)) }
    }

    static func time(_ b: [UInt8]) -> Timestamp? {
        var v: [Int] = []
        for x in b {
            guard x >> 4 < 10, x & 0x0F < 10 else { return nil }
            v.append(Int(x >> 4) * 10 + Int(x & 0x0F))
        }
        guard v.count == 6, v[3] < 24, v[4] < 60, v[5] < 61, let date = CivilDate(year: 2000 + v[0], month: v[1], day: v[2]) else { return nil }
        let local = date.daysSinceEpoch * 86_400_000 + Int64(v[3] * 3600 + v[4] * 60 + min(v[5], 59)) * 1000
        return Timestamp(milliseconds: local - 8 * 3_600_000)
    }

    public init(body: [UInt8]) throws(JT808Error) {
        var r = Reader(body)
        alarm = try r.u32("alarm word")
        status = try r.u32("status word")
        let lat = try r.u32("latitude"), lon = try r.u32("longitude")
        latitude = Double(lat) / 1_000_000 * (status & 0x04 != 0 ? -1 : 1)
        longitude = Double(lon) / 1_000_000 * (status & 0x08 != 0 ? -1 : 1)
        altitude = try r.u16("altitude")
        speedTenthsKmh = try r.u16("speed")
        direction = try r.u16("direction")
        timeBCD = try r.take(6, "time")
        time = Self.time(timeBCD)
        extras = []
        while r.remaining > 0 {
            let id = try r.u8("additional item id")
            let n = Int(try r.u8("additional item length"))
            extras.append(Extra(id: id, value: try r.take(n, "additional item 0x\(String(id, radix: 16))")))
        }
    }

    public var body: [UInt8] {
        var b: [UInt8] = []
        b.put32(alarm)
        b.put32(status)
        b.put32(UInt32((abs(latitude) * 1_000_000).rounded()))
        b.put32(UInt32((abs(longitude) * 1_000_000).rounded()))
        b.put16(altitude)
        b.put16(speedTenthsKmh)
        b.put16(direction)
        b += timeBCD
        for e in extras { b += [e.id, UInt8(e.value.count)] + e.value }
        return b
    }

    private func extra(_ id: UInt8) -> [UInt8]? { extras.first { $0.id == id }?.value }
    private static func be(_ v: [UInt8]) -> UInt64 { v.reduce(0) { $0 << 8 | UInt64($1) } }

    /// `0x01`: odometer, km (DWORD, 1/10 km).
    public var mileageKm: Double? { extra(0x01).flatMap { $0.count == 4 ? Double(Self.be($0)) / 10 : nil } }
    /// `0x02`: fuel, litres (WORD, 1/10 L).
    public var fuelLitres: Double? { extra(0x02).flatMap { $0.count == 2 ? Double(Self.be($0)) / 10 : nil } }
    /// `0x03`: speed from the tachograph, km/h (WORD, 1/10 km/h).
    public var recorderSpeedKmh: Double? { extra(0x03).flatMap { $0.count == 2 ? Double(Self.be($0)) / 10 : nil } }
    /// `0x04`: id of an alarm event that needs a person's confirmation.
    public var alarmEventID: UInt16? { extra(0x04).flatMap { $0.count == 2 ? UInt16(Self.be($0)) : nil } }
    /// `0x06` (2019): compartment temperature, °C (signed WORD).
    public var compartmentTemperature: Int16? { extra(0x06).flatMap { $0.count == 2 ? Int16(bitPattern: UInt16(Self.be($0))) : nil } }
    /// `0x11`: overspeed alarm: location type (0 none, 1 circle, 2 rectangle, 3 polygon, 4 route) and area id.
    public var overspeed: (type: UInt8, area: UInt32?)? {
        extra(0x11).flatMap { v in v.count == 1 ? (v[0], nil) : v.count == 5 ? (v[0], UInt32(Self.be(Array(v[1...])))) : nil }
    }
    /// `0x12`: area or route entry/exit alarm: location type, area id, direction (0 in, 1 out).
    public var areaAlarm: (type: UInt8, area: UInt32, out: Bool)? {
        extra(0x12).flatMap { v in v.count == 6 ? (v[0], UInt32(Self.be(Array(v[1..<5]))), v[5] == 1) : nil }
    }
    /// `0x13`: route driving time alarm: section id, driving time s, 0 too short / 1 too long.
    public var routeTime: (section: UInt32, seconds: UInt16, tooLong: Bool)? {
        extra(0x13).flatMap { v in v.count == 7 ? (UInt32(Self.be(Array(v[0..<4]))), UInt16(Self.be(Array(v[4..<6]))), v[6] == 1) : nil }
    }
    /// `0x25`: extended vehicle signal bits.
    public var vehicleSignals: UInt32? { extra(0x25).flatMap { $0.count == 4 ? UInt32(Self.be($0)) : nil } }
    /// `0x2A`: IO status bits (bit 0 deep sleep, bit 1 sleep).
    public var ioStatus: UInt16? { extra(0x2A).flatMap { $0.count == 2 ? UInt16(Self.be($0)) : nil } }
    /// `0x2B`: analog inputs (AD0 low word, AD1 high word).
    public var analog: UInt32? { extra(0x2B).flatMap { $0.count == 4 ? UInt32(Self.be($0)) : nil } }
    /// `0x30`: mobile network signal strength.
    public var signalStrength: UInt8? { extra(0x30).flatMap { $0.count == 1 ? $0[0] : nil } }
    /// `0x31`: GNSS satellites in view.
    public var satellites: UInt8? { extra(0x31).flatMap { $0.count == 1 ? $0[0] : nil } }

    /// The alarm bits set, by name (JT/T 808 Table 24).
    public var alarms: [String] {
        (0..<32).filter { alarm & (1 << UInt32($0)) != 0 }.map { Self.alarmNames[$0] }
    }

    public static let alarmNames: [String] = [
        "emergency", "overspeed", "fatigue driving", "danger warning", "GNSS module fault", "GNSS antenna disconnected",
        "GNSS antenna short-circuited", "main power undervoltage", "main power off", "display fault", "TTS module fault", "camera fault",
        "IC card module fault", "overspeed warning", "fatigue warning", "alarm bit 15", "alarm bit 16", "alarm bit 17",
        "driving time exceeded today", "parking overtime", "area entry/exit", "route entry/exit", "route driving time",
        "route deviation", "VSS fault", "fuel abnormal", "vehicle stolen", "illegal ignition", "illegal displacement",
        "collision warning", "rollover warning", "illegal door opening",
    ]

    /// A position, when the report is a fix with a plausible place (the time is the report's).
    public func position(unit: String, received: Timestamp) -> Position? {
        guard positioned, abs(latitude) <= 90, abs(longitude) <= 180, !(latitude == 0 && longitude == 0) else { return nil }
        return Position(unit: unit, time: time ?? received, latitude: latitude, longitude: longitude, altitude: Double(altitude),
                        speed: Double(speedTenthsKmh) / 36, heading: direction < 360 ? Double(direction) : nil, source: .jt808)
    }
}

/// `0x0704`: several location reports at once (0 normal, 1 blind-area backlog).
public struct JT808Batch: Hashable, Sendable {
    public var backlog: Bool
    public var items: [JT808Location]
    /// Items that could not be read, with why.
    public var broken: [String]

    public init(body: [UInt8]) throws(JT808Error) {
        var r = Reader(body)
        let count = Int(try r.u16("item count"))
        backlog = try r.u8("batch type") == 1
        items = []
        broken = []
        for k in 0..<count {
            let n = Int(try r.u16("item \(k + 1) length"))
            let bytes = try r.take(n, "item \(k + 1)")
            do { items.append(try JT808Location(body: bytes)) } catch { broken.append("item \(k + 1): \(error.message)") }
        }
    }

    public static func body(_ items: [JT808Location], backlog: Bool) -> [UInt8] {
        var b: [UInt8] = []
        b.put16(UInt16(items.count))
        b.append(backlog ? 1 : 0)
        for i in items {
            let x = i.body
            b.put16(UInt16(x.count))
            b += x
        }
        return b
    }
}

/// Platform → terminal bodies.
public enum JT808Platform {
    /// `0x8100`: 0 ok (with the authentication code), 1 vehicle registered, 2 no such vehicle,
    /// 3 terminal registered, 4 no such terminal.
    public static func registrationResponse(serial: UInt16, result: UInt8, code: String?) -> [UInt8] {
        var b: [UInt8] = []
        b.put16(serial)
        b.append(result)
        if result == 0, let code { b += GBK.encode(code) ?? Array(code.utf8) }
        return b
    }

    /// `0x8202`: report every `interval` seconds for `validity` seconds.
    public static func temporaryTracking(interval: UInt16, validity: UInt32) -> [UInt8] {
        var b: [UInt8] = []
        b.put16(interval)
        b.put32(validity)
        return b
    }

    /// `0x8300`: a text in GBK; flag bits: 0 emergency, 2 show, 3 speak (TTS), 5 (2013) advertising
    /// screen; 2019 adds a type byte (1 notice, 2 service). Nil when the text is not GBK-writable.
    public static func text(_ text: String, flags: UInt8 = 0x0C, version: JT808Message.Version) -> [UInt8]? {
        guard let t = GBK.encode(text) else { return nil }
        if case .v2019 = version { return [flags, 1] + t }
        return [flags] + t
    }
}
