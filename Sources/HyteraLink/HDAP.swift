import Foundation
import TianyanModel

/// One HDAP PDU, the application layer inside HRNP and HSTRP:
/// `[reliable|service] [opcode:2] [length:2] [payload] [checksum] [0x03]`. Opcode and length are
/// big-endian except for RCP (service 0x02), where they and the payload are little-endian.
public struct HDAPMessage: Hashable, Sendable {
    public enum Service: UInt8, Hashable, Sendable, CaseIterable {
        case rcp = 0x02, lp = 0x08, tmp = 0x09, rrs = 0x11, tp = 0x12, dtp = 0x13, dds = 0x14

        public var name: String {
            switch self {
            case .rcp: "RCP"
            case .lp: "LP"
            case .tmp: "TMP"
            case .rrs: "RRS"
            case .tp: "TP"
            case .dtp: "DTP"
            case .dds: "DDS"
            }
        }
    }

    public static let terminator: UInt8 = 0x03

    public var reliable: Bool
    /// The service byte without the reliable flag (kept raw: a service outside the table is
    /// still framed and acknowledged, then counted as unknown).
    public var serviceByte: UInt8
    public var opcode: UInt16
    public var payload: [UInt8]

    public var service: Service? { Service(rawValue: serviceByte) }
    var littleEndian: Bool { serviceByte == Service.rcp.rawValue }

    public init(reliable: Bool = false, service: Service, opcode: UInt16, payload: [UInt8]) {
        self.init(reliable: reliable, serviceByte: service.rawValue, opcode: opcode, payload: payload)
    }

    public init(reliable: Bool, serviceByte: UInt8, opcode: UInt16, payload: [UInt8]) {
        self.reliable = reliable
        self.serviceByte = serviceByte & 0x7F
        self.opcode = opcode
        self.payload = payload
    }

    /// `((sum of opcode, length and payload bytes) & 0xFF ^ 0xFF) + 0x33`, modulo 256.
    public static func checksum(_ body: some Sequence<UInt8>) -> UInt8 {
        var sum: UInt8 = 0
        for b in body { sum &+= b }
        return (sum ^ 0xFF) &+ 0x33
    }

    public func encoded() -> [UInt8] {
        var body: [UInt8] = []
        if littleEndian {
            body.appendLE(opcode)
            body.appendLE(UInt16(payload.count))
        } else {
            body.appendBE(opcode)
            body.appendBE(UInt16(payload.count))
        }
        body += payload
        return [(reliable ? 0x80 : 0) | serviceByte] + body + [Self.checksum(body), Self.terminator]
    }

    /// Exactly one PDU; the checksum and terminator are checked.
    public init(decoding bytes: [UInt8]) throws(HyteraDecodeError) {
        var r = ByteReader(bytes)
        let head = try r.u8("HDAP header")
        let le = head & 0x7F == Service.rcp.rawValue
        let opcode = try r.u16("HDAP opcode", littleEndian: le)
        let length = Int(try r.u16("HDAP length", littleEndian: le))
        guard r.remaining >= length + 2 else {
            throw HyteraDecodeError("HDAP length says \(length) payload bytes, \(max(r.remaining - 2, 0)) are there")
        }
        let payload = try r.take(length, "HDAP payload")
        let sum = try r.u8("HDAP checksum")
        let end = try r.u8("HDAP terminator")
        let expected = Self.checksum(bytes[1..<(5 + length)])
        guard sum == expected else {
            throw HyteraDecodeError("HDAP checksum 0x\(String(sum, radix: 16)) does not match 0x\(String(expected, radix: 16))")
        }
        guard end == Self.terminator else { throw HyteraDecodeError("HDAP PDU does not end with 0x03") }
        guard r.isAtEnd else { throw HyteraDecodeError("\(r.remaining) bytes after the HDAP PDU") }
        self.init(reliable: head & 0x80 != 0, serviceByte: head, opcode: opcode, payload: payload)
    }
}

/// An HDAP PDU read into the fields of its service.
public enum HyteraPDU: Hashable, Sendable {
    case rrs(RRSMessage)
    case lp(LPMessage)
    case tmp(TMPMessage)
    case rcp(RCPMessage)
    case tp(TPMessage)
    case dds(DDSMessage)
    /// DTP (data transfer) and services outside the table: framed, not interpreted.
    case raw(HDAPMessage)

    public init(_ m: HDAPMessage) throws(HyteraDecodeError) {
        switch m.service {
        case .rrs: self = .rrs(try RRSMessage(m))
        case .lp: self = .lp(try LPMessage(m))
        case .tmp: self = .tmp(try TMPMessage(m))
        case .rcp: self = .rcp(try RCPMessage(m))
        case .tp: self = .tp(try TPMessage(m))
        case .dds: self = .dds(try DDSMessage(m))
        case .dtp, nil: self = .raw(m)
        }
    }

    public init(decoding bytes: [UInt8]) throws(HyteraDecodeError) {
        try self.init(try HDAPMessage(decoding: bytes))
    }

    public var message: HDAPMessage {
        switch self {
        case .rrs(let m): m.message
        case .lp(let m): m.message
        case .tmp(let m): m.message
        case .rcp(let m): m.message
        case .tp(let m): m.message
        case .dds(let m): m.message
        case .raw(let m): m
        }
    }

    public func encoded() -> [UInt8] { message.encoded() }
}

// MARK: RRS

/// Radio registration service (presence): registration, its answer with a renew time, going
/// offline, and the online check.
public struct RRSMessage: Hashable, Sendable {
    public enum Kind: UInt16, Hashable, Sendable {
        case offline = 0x0001, onlineCheck = 0x0002, registration = 0x0003, registrationAnswer = 0x0080, onlineCheckAnswer = 0x0082
    }
    /// Registration answer results.
    public static let resultOK: UInt8 = 0, resultFailure: UInt8 = 1, resultPasswordError: UInt8 = 2

    public var reliable: Bool
    public var opcode: UInt16
    public var radio: RadioIP
    /// A registration answer's result (0 ok, 1 failure, 2 password error).
    public var result: UInt8?
    /// A registration answer's renew time: the radio registers again before it runs out.
    public var renewSeconds: UInt32?
    /// An online-check answer: 0 online, 1 offline.
    public var state: UInt8?
    /// Bytes after the known fields.
    public var extra: [UInt8]

    public var kind: Kind? { Kind(rawValue: opcode) }

    public init(reliable: Bool = false, _ kind: Kind, radio: RadioIP, result: UInt8? = nil, renewSeconds: UInt32? = nil, state: UInt8? = nil) {
        self.reliable = reliable
        opcode = kind.rawValue
        self.radio = radio
        self.result = result
        self.renewSeconds = renewSeconds
        self.state = state
        extra = []
    }

    init(_ m: HDAPMessage) throws(HyteraDecodeError) {
        reliable = m.reliable
        opcode = m.opcode
        var r = ByteReader(m.payload)
        radio = try RadioIP.read(&r, "RRS radio IP")
        switch Kind(rawValue: m.opcode) {
        case .registrationAnswer:
            result = try r.u8("RRS result")
            renewSeconds = try r.u32("RRS renew time")
        case .onlineCheckAnswer:
            state = try r.u8("RRS online state")
        case .offline, .onlineCheck, .registration, nil:
            break
        }
        extra = r.rest()
    }

    public var message: HDAPMessage {
        var p = radio.bytes
        if let result { p.append(result) }
        if let renewSeconds { p.appendBE(renewSeconds) }
        if let state { p.append(state) }
        return HDAPMessage(reliable: reliable, service: .rrs, opcode: opcode, payload: p + extra)
    }
}

// MARK: LP

/// The 40 ASCII bytes of a Hytera position: `A|V`, `HHMMSS` (UTC), `DDMMYY`, `N|S`,
/// `DDMM.MMMM`, `E|W`, `DDDMM.MMMM`, speed in knots (3 characters), direction (3). Empty fields
/// are NUL bytes.
public struct HyteraGPS: Hashable, Sendable {
    public static let length = 40
    public var raw: [UInt8]

    public init(raw: [UInt8]) { self.raw = raw }

    /// Builds the 40 bytes from values (radio-sim and tests).
    public init(valid: Bool, time: Timestamp?, latitude: Double, longitude: Double, speedKnots: Double, direction: Int) {
        func field(_ text: String, _ width: Int) -> [UInt8] {
            let b = Array(text.utf8.prefix(width))
            return b + [UInt8](repeating: 0, count: width - b.count)
        }
        var out = field(valid ? "A" : "V", 1)
        if let time {
            let ms = time.milliseconds
            let days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
            let date = CivilDate(days: days)
            let s = Int((ms - days * 86_400_000) / 1000)
            out += field(String(format: "%02d%02d%02d", s / 3600, s / 60 % 60, s % 60), 6)
            out += field(String(format: "%02d%02d%02d", date.day, date.month, date.year % 100), 6)
        } else {
            out += field("", 12)
        }
        func dm(_ v: Double, _ degreeDigits: Int) -> String {
            let a = abs(v)
            var deg = Int(a)
            var minutes = ((a - Double(deg)) * 60 * 10_000).rounded() / 10_000
            if minutes >= 60 { deg += 1; minutes -= 60 }
            let m = String(format: "%07.4f", minutes)
            return String(format: "%0\(degreeDigits)d", deg) + m
        }
        out += field(latitude < 0 ? "S" : "N", 1) + field(dm(latitude, 2), 9)
        out += field(longitude < 0 ? "W" : "E", 1) + field(dm(longitude, 3), 10)
        let speed = speedKnots < 10 ? String(format: "%.1f", speedKnots) : String(Int(speedKnots.rounded()))
        out += field(String(speed.prefix(3)), 3) + field(String(format: "%03d", direction % 360), 3)
        raw = out
    }

    /// A decimal number written in `raw[offset..<offset+width]` (digits, at most one point;
    /// spaces and NULs around it ignored), read byte by byte: no strings on the hot path.
    private func number(_ offset: Int, _ width: Int) -> Double? {
        var whole: Int64 = 0, fraction: Int64 = 0, scale: Double = 1
        var digits = 0, point = false, started = false, ended = false
        for i in offset..<offset + width {
            let c = raw[i]
            switch c {
            case 0x30...0x39:
                guard !ended else { return nil }
                started = true
                digits += 1
                if point {
                    fraction = fraction * 10 + Int64(c - 0x30)
                    scale *= 10
                } else {
                    whole = whole * 10 + Int64(c - 0x30)
                }
            case 0x2E:
                guard !point, !ended else { return nil }
                point = true
                started = true
            case 0x00, 0x20:
                if started { ended = true }
            default:
                return nil
            }
        }
        guard digits > 0 else { return nil }
        return Double(whole) + Double(fraction) / scale
    }

    /// Exactly `width` digits at `offset`, as an integer.
    private func digits(_ offset: Int, _ width: Int) -> Int? {
        var v = 0
        for i in offset..<offset + width {
            let c = raw[i]
            guard c >= 0x30, c <= 0x39 else { return nil }
            v = v * 10 + Int(c - 0x30)
        }
        return v
    }

    /// `A`: the receiver had a fix.
    public var valid: Bool { raw[0] == UInt8(ascii: "A") }

    /// The fix time from the report's date and time (UTC), when both are there and sane.
    public var time: Timestamp? {
        guard let hms = digits(1, 6), let dmy = digits(7, 6) else { return nil }
        let (h, mi, s) = (hms / 10000, hms / 100 % 100, hms % 100)
        guard h < 24, mi < 60, s < 61, let date = CivilDate(year: 2000 + dmy % 100, month: dmy / 100 % 100, day: dmy / 10000) else { return nil }
        return Timestamp(milliseconds: date.daysSinceEpoch * 86_400_000 + Int64(h * 3600 + mi * 60 + min(s, 59)) * 1000)
    }

    private func degrees(_ offset: Int, _ width: Int, degreeDigits: Int, negative: UInt8) -> Double? {
        guard let deg = digits(offset + 1, degreeDigits), let minutes = number(offset + 1 + degreeDigits, width - degreeDigits),
              minutes >= 0, minutes < 60 else { return nil }
        let v = Double(deg) + minutes / 60
        return raw[offset] == negative ? -v : v
    }

    /// Degrees north; nil when the field is empty or malformed.
    public var latitude: Double? { degrees(13, 9, degreeDigits: 2, negative: UInt8(ascii: "S")).flatMap { abs($0) <= 90 ? $0 : nil } }
    /// Degrees east.
    public var longitude: Double? { degrees(23, 10, degreeDigits: 3, negative: UInt8(ascii: "W")).flatMap { abs($0) <= 180 ? $0 : nil } }
    /// Ground speed in knots.
    public var speedKnots: Double? { number(34, 3) }
    /// Degrees clockwise from north.
    public var direction: Int? { number(37, 3).flatMap { $0 == $0.rounded() && $0 < 360 ? Int($0) : nil } }

    /// A position when the report has a fix with a plausible latitude and longitude; the time is
    /// the fix time from the report, else `received`.
    public func position(unit: String, received: Timestamp) -> Position? {
        guard valid, let lat = latitude, let lon = longitude, !(lat == 0 && lon == 0) else { return nil }
        return Position(unit: unit, time: time ?? received, latitude: lat, longitude: lon,
                        speed: speedKnots.map { $0 * 1852 / 3600 }, heading: direction.map(Double.init), source: .hdap)
    }

    static func read(_ r: inout ByteReader) throws(HyteraDecodeError) -> HyteraGPS {
        HyteraGPS(raw: try r.take(length, "LP GPS data (40 bytes)"))
    }
}

/// Location protocol: immediate, emergency, triggered (periodic) and condition (distance/time)
/// requests and reports. Times are ASCII `yyyyMMddhhmmss`, intervals `ddhhmmss`.
public struct LPMessage: Hashable, Sendable {
    public enum Kind: UInt16, Hashable, Sendable, CaseIterable {
        case immediateRequest = 0xA001, immediateReport = 0xA002, immediateReportWithRSSI = 0xA003, immediateReportGPSBT = 0xA004
        case emergencyStopRequest = 0xB001, emergencyStopAnswer = 0xB002, emergencyReport = 0xB003
        case triggeredRequest = 0xC001, triggeredAnswer = 0xC002, triggeredReport = 0xC003
        case triggeredStopRequest = 0xC004, triggeredStopAnswer = 0xC005
        case conditionRequest = 0xD001, conditionAnswer = 0xD002, conditionReport = 0xD003, conditionReportWithRSSI = 0xD004
        case quickGPSRequest = 0xD011, quickGPSAnswer = 0xD012
        case rssiConfigRequest = 0xE001, rssiConfigAnswer = 0xE002
    }
    /// Condition triggers.
    public enum Trigger: UInt8, Hashable, Sendable { case cancel = 0, distance = 1, time = 2, distanceAndTime = 3, distanceOrTime = 4 }
    /// Result codes: 0 ok, 6 position method failure (no fix), 0x69 request format error.
    public static func describe(result: UInt16) -> String {
        switch result {
        case 0: "ok"
        case 6: "position method failure"
        case 0x69: "request format error"
        default: "result \(result)"
        }
    }

    public var reliable: Bool
    public var opcode: UInt16
    public var requestID: UInt32?
    public var radio: RadioIP?
    public var result: UInt16?
    public var gps: HyteraGPS?
    /// dBm, −240…0.
    public var rssi: Int16?
    public var emergencyType: UInt8?
    public var trigger: UInt8?
    /// Metres, for a distance trigger.
    public var distance: UInt32?
    public var start: String?
    public var stop: String?
    public var interval: String?
    public var maxInterval: String?
    public var timeRemaining: String?
    /// Quick GPS: 0 cancel, 1 start.
    public var command: UInt8?
    /// Quick GPS: milliseconds between radios, channel use (%), this radio's order.
    public var sendStepMilliseconds: UInt16?
    public var channelUsePercent: UInt8?
    public var sendOrder: UInt16?
    /// Bytes after the known fields (captured immediate requests end with an unexplained `01`)
    /// or the whole payload of an opcode without a known layout.
    public var extra: [UInt8]

    public var kind: Kind? { Kind(rawValue: opcode) }

    public init(reliable: Bool = false, _ kind: Kind, requestID: UInt32? = nil, radio: RadioIP? = nil, result: UInt16? = nil,
                gps: HyteraGPS? = nil, rssi: Int16? = nil, emergencyType: UInt8? = nil, trigger: Trigger? = nil, distance: UInt32? = nil,
                start: String? = nil, stop: String? = nil, interval: String? = nil, maxInterval: String? = nil,
                timeRemaining: String? = nil, command: UInt8? = nil, sendStepMilliseconds: UInt16? = nil,
                channelUsePercent: UInt8? = nil, sendOrder: UInt16? = nil, extra: [UInt8] = []) {
        self.reliable = reliable
        opcode = kind.rawValue
        self.requestID = requestID
        self.radio = radio
        self.result = result
        self.gps = gps
        self.rssi = rssi
        self.emergencyType = emergencyType
        self.trigger = trigger?.rawValue
        self.distance = distance
        self.start = start
        self.stop = stop
        self.interval = interval
        self.maxInterval = maxInterval
        self.timeRemaining = timeRemaining
        self.command = command
        self.sendStepMilliseconds = sendStepMilliseconds
        self.channelUsePercent = channelUsePercent
        self.sendOrder = sendOrder
        self.extra = extra
    }

    private static func ascii(_ r: inout ByteReader, _ n: Int, _ field: String) throws(HyteraDecodeError) -> String {
        String(decoding: try r.take(n, field), as: UTF8.self)
    }

    private static func asciiBytes(_ s: String?, _ n: Int) -> [UInt8] {
        let b = Array((s ?? "").utf8.prefix(n))
        return b + [UInt8](repeating: UInt8(ascii: "0"), count: n - b.count)
    }

    init(_ m: HDAPMessage) throws(HyteraDecodeError) {
        self.init(reliable: m.reliable, .immediateRequest)
        opcode = m.opcode
        var r = ByteReader(m.payload)
        guard let kind = Kind(rawValue: m.opcode) else {
            extra = r.rest()
            return
        }
        switch kind {
        case .emergencyReport:
            radio = try RadioIP.read(&r, "LP radio IP")
            emergencyType = try r.u8("LP emergency type")
            gps = try HyteraGPS.read(&r)
        case .immediateReportGPSBT, .rssiConfigRequest, .rssiConfigAnswer:
            extra = r.rest()
            return
        default:
            requestID = try r.u32("LP request id")
            radio = try RadioIP.read(&r, "LP radio IP")
        }
        switch kind {
        case .immediateRequest, .emergencyStopRequest, .triggeredStopRequest, .emergencyReport, .immediateReportGPSBT,
             .rssiConfigRequest, .rssiConfigAnswer:
            break
        case .immediateReport, .immediateReportWithRSSI, .conditionReportWithRSSI:
            result = try r.u16("LP result")
            if r.remaining >= HyteraGPS.length || result == 0 { gps = try HyteraGPS.read(&r) }
            if kind != .immediateReport, r.remaining >= 2 { rssi = Int16(bitPattern: try r.u16("LP RSSI")) }
        case .emergencyStopAnswer, .triggeredAnswer, .triggeredStopAnswer:
            result = try r.u16("LP result")
        case .triggeredRequest:
            start = try Self.ascii(&r, 14, "LP start time")
            stop = try Self.ascii(&r, 14, "LP stop time")
            interval = try Self.ascii(&r, 8, "LP interval")
        case .triggeredReport:
            timeRemaining = try Self.ascii(&r, 8, "LP time remaining")
            gps = try HyteraGPS.read(&r)
        case .conditionRequest:
            trigger = try r.u8("LP trigger")
            distance = try r.u32("LP distance")
            start = try Self.ascii(&r, 14, "LP start time")
            stop = try Self.ascii(&r, 14, "LP stop time")
            interval = try Self.ascii(&r, 8, "LP interval")
            maxInterval = try Self.ascii(&r, 8, "LP max interval")
        case .conditionAnswer:
            trigger = try r.u8("LP trigger")
            result = try r.u16("LP result")
        case .conditionReport:
            gps = try HyteraGPS.read(&r)
        case .quickGPSRequest:
            command = try r.u8("LP quick GPS command")
            if command == 1 {
                start = try Self.ascii(&r, 14, "LP start time")
                stop = try Self.ascii(&r, 14, "LP stop time")
                interval = try Self.ascii(&r, 8, "LP interval")
                sendStepMilliseconds = try r.u16("LP send step")
                channelUsePercent = try r.u8("LP channel use")
                sendOrder = try r.u16("LP send order")
            }
        case .quickGPSAnswer:
            command = try r.u8("LP quick GPS command")
            result = try r.u16("LP result")
        }
        extra = r.rest()
    }

    public var message: HDAPMessage {
        var p: [UInt8] = []
        let kind = Kind(rawValue: opcode)
        if kind == .emergencyReport {
            p += (radio ?? RadioIP(id: 0)).bytes
            p.append(emergencyType ?? 0)
        } else if let requestID, let radio {
            p.appendBE(requestID)
            p += radio.bytes
        }
        if kind == .conditionRequest || kind == .conditionAnswer, let trigger { p.append(trigger) }
        if kind == .quickGPSRequest || kind == .quickGPSAnswer, let command { p.append(command) }
        if let result { p.appendBE(result) }
        if let distance { p.appendBE(distance) }
        if let timeRemaining { p += Self.asciiBytes(timeRemaining, 8) }
        if let gps { p += gps.raw }
        if let rssi { p.appendBE(UInt16(bitPattern: rssi)) }
        if start != nil || stop != nil || interval != nil {
            p += Self.asciiBytes(start, 14) + Self.asciiBytes(stop, 14) + Self.asciiBytes(interval, 8)
        }
        if let maxInterval { p += Self.asciiBytes(maxInterval, 8) }
        if let sendStepMilliseconds { p.appendBE(sendStepMilliseconds) }
        if let channelUsePercent { p.append(channelUsePercent) }
        if let sendOrder { p.appendBE(sendOrder) }
        return HDAPMessage(reliable: reliable, service: .lp, opcode: opcode, payload: p + extra)
    }

    /// An interval as LP writes it (`ddhhmmss`).
    public static func interval(seconds: Int) -> String {
        let s = max(0, min(seconds, 99 * 86_400 + 86_399))
        return String(format: "%02d%02d%02d%02d", s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60)
    }

    /// Seconds of an LP interval (`ddhhmmss`), nil when malformed.
    public static func seconds(ofInterval text: String) -> Int? {
        guard text.utf8.count == 8, let v = Int(text) else { return nil }
        return v / 1_000_000 * 86_400 + v / 10_000 % 100 * 3600 + v / 100 % 100 * 60 + v % 100
    }
}

// MARK: TMP

/// Text message protocol (and short data): private and group texts in UTF-16LE, their
/// acknowledgements with a result, short data, and the work-order (工单) messages.
public struct TMPMessage: Hashable, Sendable {
    public enum Kind: UInt8, Hashable, Sendable, CaseIterable {
        case privateText = 0xA1, privateTextAck = 0xA2, groupText = 0xB1, groupTextAck = 0xB2
        case workOrderReport = 0xAA, workOrderReportReply = 0xAB, workOrderRequest = 0xAC, workOrderReply = 0xAD
        case privateShortData = 0xAE, privateShortDataAck = 0xAF, groupShortData = 0xBE, groupShortDataAck = 0xBF
    }

    public static func describe(result: UInt8) -> String {
        switch result {
        case 0: "ok"
        case 1: "failed"
        case 3: "invalid parameters"
        case 4: "channel busy"
        case 5: "radio is receive-only"
        case 6: "low battery"
        case 7: "PLL unlock"
        case 8: "private call not acknowledged"
        case 9: "repeater wake-up failed"
        case 10: "no contact"
        case 11: "transmission denied"
        case 12: "transmission interrupted"
        default: "result \(result)"
        }
    }

    public var reliable: Bool
    /// Opcode byte 0 bit 7. The sources disagree on its polarity (kaitai: set = no ACK needed;
    /// ok-dmrlib: set = confirmed); acknowledgements and group texts carry it set.
    public var ackFlag: Bool
    public var serviceType: UInt8
    public var requestID: UInt32
    public var destination: RadioIP
    /// Absent in a group text's acknowledgement.
    public var source: RadioIP?
    public var result: UInt8?
    /// The UTF-16LE text of a private or group text, or the raw bytes of short data and of the
    /// work-order messages (whose inner layout is not public).
    public var data: [UInt8]
    /// The option field (present when opcode bit 6 is set).
    public var option: [UInt8]?

    public var kind: Kind? { Kind(rawValue: serviceType) }
    public var isGroup: Bool { serviceType & 0xF0 == 0xB0 }

    public init(reliable: Bool = false, ackFlag: Bool = false, _ kind: Kind, requestID: UInt32, destination: RadioIP, source: RadioIP?,
                result: UInt8? = nil, data: [UInt8] = [], option: [UInt8]? = nil) {
        self.reliable = reliable
        self.ackFlag = ackFlag
        serviceType = kind.rawValue
        self.requestID = requestID
        self.destination = destination
        self.source = source
        self.result = result
        self.data = data
        self.option = option
    }

    /// A text message from `text` (UTF-16LE).
    public static func text(_ text: String, group: Bool, requestID: UInt32, to destination: RadioIP, from source: RadioIP,
                            reliable: Bool = false) -> TMPMessage {
        TMPMessage(reliable: reliable, ackFlag: group, group ? .groupText : .privateText, requestID: requestID, destination: destination,
                   source: source, data: utf16LE(text))
    }

    static func utf16LE(_ text: String) -> [UInt8] { text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }

    /// The text of a private or group text: UTF-16LE up to a NUL; nil when it is not valid
    /// UTF-16 (a lone surrogate) or the message is not a text.
    public var text: String? {
        guard kind == .privateText || kind == .groupText else { return nil }
        var units: [UInt16] = []
        var i = 0
        while i + 1 < data.count {
            let u = UInt16(data[i]) | UInt16(data[i + 1]) << 8
            if u == 0 { break }
            units.append(u)
            i += 2
        }
        var out = ""
        var it = units.makeIterator()
        var decoder = UTF16()
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let s): out.unicodeScalars.append(s)
            case .emptyInput: break loop
            case .error: return nil
            }
        }
        return out
    }

    init(_ m: HDAPMessage) throws(HyteraDecodeError) {
        reliable = m.reliable
        ackFlag = m.opcode & 0x8000 != 0
        serviceType = UInt8(m.opcode & 0xFF)
        let hasOption = m.opcode & 0x4000 != 0
        var r = ByteReader(m.payload)
        var optionLength = 0
        if hasOption { optionLength = Int(try r.u16("TMP option length")) }
        requestID = try r.u32("TMP request id")
        destination = try RadioIP.read(&r, "TMP destination")
        let kind = Kind(rawValue: serviceType)
        source = kind == .groupTextAck ? nil : try RadioIP.read(&r, "TMP source")
        let end = m.payload.count - optionLength
        guard end >= r.offset else { throw HyteraDecodeError("TMP option length \(optionLength) runs into the header") }
        switch kind {
        case .privateTextAck, .groupTextAck, .privateShortDataAck, .groupShortDataAck:
            result = try r.u8("TMP result")
            data = []
        default:
            result = nil
            data = end > r.offset ? Array(m.payload[r.offset..<end]) : []
        }
        option = hasOption ? Array(m.payload[end...]) : nil
    }

    public var message: HDAPMessage {
        var p: [UInt8] = []
        if let option { p.appendBE(UInt16(option.count)) }
        p.appendBE(requestID)
        p += destination.bytes
        if let source, kind != .groupTextAck { p += source.bytes }
        if let result { p.append(result) }
        p += data
        if let option { p += option }
        let opcode = UInt16(ackFlag ? 0x80 : 0) << 8 | UInt16(option != nil ? 0x40 : 0) << 8 | UInt16(serviceType)
        return HDAPMessage(reliable: reliable, service: .tmp, opcode: opcode, payload: p)
    }
}

// MARK: RCP

/// Radio control protocol (little-endian): call requests, the supplementary services (radio
/// check, remote monitor, stun/revive, alert), broadcast and status-change configuration, the
/// radio's status reports and the repeater's transmit status. Opcodes without a known payload
/// layout keep it raw (`extra`).
public struct RCPMessage: Hashable, Sendable {
    public enum Kind: UInt16, Hashable, Sendable, CaseIterable {
        case callRequest = 0x0841, callReply = 0x8841, removeCallRequest = 0x0842, removeCallReply = 0x8842
        case callRequestWithSender = 0x084C, callReplyWithSender = 0x884C
        case priorityInterruptMobile = 0x0456, priorityInterruptMobileReply = 0x8456
        case priorityInterruptRepeater = 0x0457, priorityInterruptRepeaterReply = 0x8457
        case radioCheck = 0x0833, radioCheckAck = 0x8833, remoteMonitor = 0x0834, remoteMonitorAck = 0x8834
        case alertCall = 0x0835, alertCallAck = 0x8835
        case radioDisable = 0x0849, radioDisableAck = 0x8849, radioEnable = 0x084A, radioEnableAck = 0x884A
        case emergencyAlarmWithSender = 0x0851, emergencyAlarmWithSenderReply = 0x8851
        case talkerAlias = 0x0852, talkerAliasReply = 0x8852
        case cancelEmergencyWithSender = 0x0853, cancelEmergencyWithSenderReply = 0x8853
        case broadcastStatusConfig = 0x10C9, broadcastStatusConfigReply = 0x80C9
        case transmitStatus = 0xB843, receiveStatus = 0xB844, transmitStatusWithAlias = 0xB84D, receiveStatusWithAlias = 0xB84E
        case repeaterTransmitStatus = 0xB845
        case statusChangeConfig = 0x10C7, statusChangeConfigReply = 0x80C7, statusReport = 0xB0C8
        case broadcastMessageConfig = 0x1847, broadcastMessageConfigReply = 0x8847
        case radioIDQuery = 0x0452, radioIDReply = 0x8452
        case zoneChannel = 0x00C4, zoneChannelReply = 0x80C4, volume = 0x0046, volumeReply = 0x8046
        case keyPress = 0x0041, keyPressReply = 0x8041, login = 0x00CA, loginReply = 0x80CA, logout = 0x00CB, logoutReply = 0x80CB
    }

    /// Status-change targets (`10C7`/`B0C8`).
    public enum StatusTarget: UInt8, Hashable, Sendable {
        case zone = 0x05, channel = 0x06, emergency = 0x09, rssi = 0x0B, manDown = 0x0E, radioDisable = 0x12, loneWorker = 0x17
    }

    public var opcode: UInt16
    public var reliable: Bool
    /// Replies: 0 success, 1 failure.
    public var result: UInt8?
    /// Call type (call request; u16 in the repeater transmit status).
    public var callType: UInt16?
    public var target: UInt32?
    public var sender: UInt32?
    /// Radio ID query and reply: 0 radio ID, 1 radio IP.
    public var idTarget: UInt8?
    public var radioIP: RadioIP?
    /// Broadcast message configuration bits: 1 TMP texts, 2 short data, 4 CSBK.
    public var broadcastType: UInt32?
    /// Configuration entries: (target, on) pairs of `10C9` and `10C7`.
    public var entries: [ConfigEntry]
    /// `B0C8`: the status that changed and its value.
    public var statusTarget: UInt8?
    public var statusValue: UInt16?
    /// `B845`: repeater mode, status and service.
    public var repeaterMode: UInt16?
    public var repeaterStatus: UInt16?
    public var repeaterService: UInt16?
    public var extra: [UInt8]

    public struct ConfigEntry: Hashable, Sendable {
        public var target: UInt8
        public var on: Bool
        public init(target: UInt8, on: Bool) {
            self.target = target
            self.on = on
        }
    }

    public var kind: Kind? { Kind(rawValue: opcode) }

    public init(reliable: Bool = false, _ kind: Kind, result: UInt8? = nil, callType: UInt16? = nil, target: UInt32? = nil,
                sender: UInt32? = nil, idTarget: UInt8? = nil, radioIP: RadioIP? = nil, broadcastType: UInt32? = nil,
                entries: [ConfigEntry] = [], statusTarget: UInt8? = nil, statusValue: UInt16? = nil, repeaterMode: UInt16? = nil,
                repeaterStatus: UInt16? = nil, repeaterService: UInt16? = nil, extra: [UInt8] = []) {
        opcode = kind.rawValue
        self.reliable = reliable
        self.result = result
        self.callType = callType
        self.target = target
        self.sender = sender
        self.idTarget = idTarget
        self.radioIP = radioIP
        self.broadcastType = broadcastType
        self.entries = entries
        self.statusTarget = statusTarget
        self.statusValue = statusValue
        self.repeaterMode = repeaterMode
        self.repeaterStatus = repeaterStatus
        self.repeaterService = repeaterService
        self.extra = extra
    }

    init(_ m: HDAPMessage) throws(HyteraDecodeError) {
        self.init(reliable: m.reliable, .callRequest)
        opcode = m.opcode
        var r = ByteReader(m.payload)
        switch Kind(rawValue: m.opcode) {
        case .callRequest, .priorityInterruptMobile, .priorityInterruptRepeater:
            callType = UInt16(try r.u8("RCP call type"))
            target = try r.u32("RCP target", littleEndian: true)
        case .callRequestWithSender:
            callType = UInt16(try r.u8("RCP call type"))
            target = try r.u32("RCP target", littleEndian: true)
            sender = try r.u32("RCP sender", littleEndian: true)
        case .radioCheck, .remoteMonitor, .alertCall, .radioDisable, .radioEnable:
            // Assumed: the target radio ID (u32, little-endian), as in the call request.
            target = try r.u32("RCP target", littleEndian: true)
        case .callReply, .removeCallReply, .callReplyWithSender, .priorityInterruptMobileReply, .priorityInterruptRepeaterReply,
             .broadcastStatusConfigReply, .statusChangeConfigReply, .broadcastMessageConfigReply, .emergencyAlarmWithSenderReply,
             .cancelEmergencyWithSenderReply, .talkerAliasReply, .zoneChannelReply, .volumeReply, .keyPressReply, .loginReply,
             .logoutReply:
            result = try r.u8("RCP result")
        case .radioCheckAck, .remoteMonitorAck, .alertCallAck, .radioDisableAck, .radioEnableAck:
            result = try r.u8("RCP result")
            if r.remaining >= 4 { target = try r.u32("RCP target", littleEndian: true) }
        case .broadcastStatusConfig, .statusChangeConfig:
            let count = Int(try r.u8("RCP entry count"))
            for _ in 0..<count {
                entries.append(ConfigEntry(target: try r.u8("RCP entry target"), on: try r.u8("RCP entry state") != 0))
            }
        case .statusReport:
            statusTarget = try r.u8("RCP status target")
            statusValue = try r.u16("RCP status value", littleEndian: true)
        case .repeaterTransmitStatus:
            repeaterMode = try r.u16("RCP repeater mode", littleEndian: true)
            repeaterStatus = try r.u16("RCP repeater status", littleEndian: true)
            repeaterService = try r.u16("RCP repeater service", littleEndian: true)
            callType = try r.u16("RCP call type", littleEndian: true)
            target = try r.u32("RCP target", littleEndian: true)
            sender = try r.u32("RCP sender", littleEndian: true)
        case .broadcastMessageConfig:
            broadcastType = try r.u32("RCP broadcast type", littleEndian: true)
            _ = try r.take(min(4, r.remaining), "RCP reserved")
        case .radioIDQuery:
            idTarget = try r.u8("RCP ID/IP target")
        case .radioIDReply:
            result = try r.u8("RCP result")
            idTarget = try r.u8("RCP ID/IP target")
            if idTarget == 1 { radioIP = try RadioIP.read(&r, "RCP radio IP") } else { target = try r.u32("RCP radio ID", littleEndian: true) }
        case .removeCallRequest, .transmitStatus, .receiveStatus, .transmitStatusWithAlias, .receiveStatusWithAlias,
             .emergencyAlarmWithSender, .cancelEmergencyWithSender, .talkerAlias, .zoneChannel, .volume, .keyPress, .login, .logout, nil:
            break
        }
        extra = r.rest()
    }

    public var message: HDAPMessage {
        var p: [UInt8] = []
        switch kind {
        case .repeaterTransmitStatus:
            p.appendLE(repeaterMode ?? 0)
            p.appendLE(repeaterStatus ?? 0)
            p.appendLE(repeaterService ?? 0)
            p.appendLE(callType ?? 0)
            p.appendLE(target ?? 0)
            p.appendLE(sender ?? 0)
        case .radioIDReply:
            p.append(result ?? 0)
            p.append(idTarget ?? 0)
            if let radioIP { p += radioIP.bytes } else { p.appendLE(target ?? 0) }
        case .broadcastStatusConfig, .statusChangeConfig:
            p.append(UInt8(entries.count))
            for e in entries { p += [e.target, e.on ? 1 : 0] }
        default:
            if let result { p.append(result) }
            if let callType { p.append(UInt8(callType & 0xFF)) }
            if let idTarget { p.append(idTarget) }
            if let target { p.appendLE(target) }
            if let sender { p.appendLE(sender) }
            if let broadcastType { p.appendLE(broadcastType); p += [0, 0, 0, 0] }
            if let statusTarget { p.append(statusTarget) }
            if let statusValue { p.appendLE(statusValue) }
        }
        return HDAPMessage(reliable: reliable, service: .rcp, opcode: opcode, payload: p + extra)
    }
}

// MARK: TP and DDS

/// Telemetry protocol: VIO status requests and reports (extended ones carry UTF-16LE text) and
/// remote control of the radio's outputs.
public struct TPMessage: Hashable, Sendable {
    public enum Kind: UInt16, Hashable, Sendable {
        case statusRequest = 0xA001, statusReport = 0xA081, extendedStatusReport = 0xA082
        case remoteControlRequest = 0xB001, remoteControlAnswer = 0xB081
    }

    public var reliable: Bool
    public var opcode: UInt16
    public var source: RadioIP?
    public var target: RadioIP?
    /// 0 the controller is a radio, 1 a telemetry application.
    public var pcFlag: UInt8?
    public var callType: UInt8?
    /// Bits 0–5: VIO1–VIO6.
    public var vioSelect: UInt8?
    /// Remote control: 0 set inactive, 1 set active, 2 toggle, 3 pulse.
    public var operation: UInt8?
    public var result: UInt8?
    public var text: String?
    public var extra: [UInt8]

    public var kind: Kind? { Kind(rawValue: opcode) }

    init(_ m: HDAPMessage) throws(HyteraDecodeError) {
        reliable = m.reliable
        opcode = m.opcode
        var r = ByteReader(m.payload)
        let known = Kind(rawValue: m.opcode)
        if known != nil {
            source = try RadioIP.read(&r, "TP source")
            target = try RadioIP.read(&r, "TP target")
            pcFlag = try r.u8("TP PC flag")
            callType = try r.u8("TP call type")
            vioSelect = try r.u8("TP VIO select")
        }
        switch known {
        case .statusReport, .remoteControlAnswer:
            result = try r.u8("TP result")
        case .remoteControlRequest:
            operation = try r.u8("TP operation")
        case .extendedStatusReport:
            result = try r.u8("TP result")
            let length = Int(try r.u16("TP text length"))
            let bytes = try r.take(length, "TP text")
            text = TMPMessage(.privateText, requestID: 0, destination: RadioIP(id: 0), source: nil, data: bytes).text
        case .statusRequest, nil:
            break
        }
        extra = r.rest()
    }

    public var message: HDAPMessage {
        var p: [UInt8] = []
        if let source, let target { p += source.bytes + target.bytes + [pcFlag ?? 1, callType ?? 0, vioSelect ?? 0] }
        if let operation { p.append(operation) }
        if let result { p.append(result) }
        if kind == .extendedStatusReport, let text {
            let b = TMPMessage.utf16LE(text)
            p.appendBE(UInt16(b.count))
            p += b
        }
        return HDAPMessage(reliable: reliable, service: .tp, opcode: opcode, payload: p + extra)
    }
}

/// Data delivery states: whether an LP, RRS, TP or DTP message reached the radio.
public struct DDSMessage: Hashable, Sendable {
    public var reliable: Bool
    /// The service of the message the state is about (opcode low byte).
    public var stateService: UInt8
    public var radio: RadioIP
    public var protocolOpcode: UInt16
    /// 0 ok, 1 fail, 4 limited timeout, 5 no ack, 6 error ack, 7 repeater wake-up fail,
    /// 8 TX interrupted, 9 TX deny, 10 invalid parameters.
    public var result: UInt8
    public var extra: [UInt8]

    public init(reliable: Bool = false, stateService: HDAPMessage.Service, radio: RadioIP, protocolOpcode: UInt16, result: UInt8) {
        self.reliable = reliable
        self.stateService = stateService.rawValue
        self.radio = radio
        self.protocolOpcode = protocolOpcode
        self.result = result
        extra = []
    }

    init(_ m: HDAPMessage) throws(HyteraDecodeError) {
        reliable = m.reliable
        stateService = UInt8(m.opcode & 0xFF)
        var r = ByteReader(m.payload)
        radio = try RadioIP.read(&r, "DDS radio IP")
        protocolOpcode = try r.u16("DDS protocol opcode")
        result = try r.u8("DDS result")
        extra = r.rest()
    }

    public var message: HDAPMessage {
        var p = radio.bytes
        p.appendBE(protocolOpcode)
        p.append(result)
        return HDAPMessage(reliable: reliable, service: .dds, opcode: UInt16(stateService), payload: p + extra)
    }
}
