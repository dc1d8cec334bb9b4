import Foundation

/// A point in time, UTC, with millisecond precision: the one time type inside Tianyan.
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public init(_ date: Date) {
        self.milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    public static func now() -> Timestamp { Timestamp(Date()) }

    public var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    public func adding(seconds: Double) -> Timestamp {
        Timestamp(milliseconds: milliseconds + Int64((seconds * 1000).rounded()))
    }

    /// `2026-11-24T17:31:32.123Z`
    public var iso8601: String {
        let (secs, ms) = milliseconds.floorDivided(by: 1000)
        let days = secs.floorDivided(by: 86_400)
        let (y, m, d) = CivilDate.fromDays(days.quotient)
        let s = days.remainder
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            y, m, d, Int(s / 3600), Int(s / 60 % 60), Int(s % 60), Int(ms)
        )
    }

    public var description: String { iso8601 }

    /// Parses ISO 8601 / RFC 3339 (`2026-11-24T17:31:32Z`, with optional fraction and offset),
    /// a bare date (`2026-11-24`, midnight UTC) or an integer of epoch milliseconds.
    public init?(parsing text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let ms = Int64(t), t.count >= 10 { self.milliseconds = ms; return }
        let bytes = Array(t.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var v = 0
            for b in bytes[range] {
                guard b >= 48, b <= 57 else { return nil }
                v = v * 10 + Int(b - 48)
            }
            return v
        }
        guard bytes.count >= 10, bytes[4] == 45, bytes[7] == 45,
              let y = number(0..<4), let mo = number(5..<7), let d = number(8..<10),
              let date = CivilDate(year: y, month: mo, day: d)
        else { return nil }
        var ms = Int64(date.daysSinceEpoch) * 86_400_000
        if bytes.count == 10 { self.milliseconds = ms; return }
        guard bytes.count >= 19, bytes[10] == 84 || bytes[10] == 116 || bytes[10] == 32,
              bytes[13] == 58, bytes[16] == 58,
              let h = number(11..<13), let mi = number(14..<16), let s = number(17..<19),
              h < 24, mi < 60, s < 61
        else { return nil }
        ms += Int64(h * 3600 + mi * 60 + s) * 1000
        var i = 19
        if i < bytes.count, bytes[i] == 46 {
            i += 1
            var scale: Int64 = 100
            var frac: Int64 = 0
            let start = i
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                frac += Int64(bytes[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
            ms += frac
        }
        if i == bytes.count { self.milliseconds = ms; return }
        if bytes[i] == 90 || bytes[i] == 122 {
            guard i + 1 == bytes.count else { return nil }
            self.milliseconds = ms
            return
        }
        guard bytes[i] == 43 || bytes[i] == 45, bytes.count == i + 6, bytes[i + 3] == 58,
              let oh = number(i + 1..<i + 3), let om = number(i + 4..<i + 6)
        else { return nil }
        let offset = Int64(oh * 60 + om) * 60_000
        self.milliseconds = bytes[i] == 43 ? ms - offset : ms + offset
    }
}

/// A calendar date without a time (licence expiry, maintenance dates), proleptic Gregorian.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= CivilDate.daysInMonth(year: year, month: month)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

    public static func < (a: CivilDate, b: CivilDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public var daysSinceEpoch: Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func fromDays(_ z0: Int64) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    public init(days: Int64) {
        let (y, m, d) = CivilDate.fromDays(days)
        self.year = y
        self.month = m
        self.day = d
    }

    public var midnightUTC: Timestamp { Timestamp(milliseconds: daysSinceEpoch * 86_400_000) }
}

extension Int64 {
    func floorDivided(by d: Int64) -> (quotient: Int64, remainder: Int64) {
        var q = self / d
        var r = self % d
        if r < 0 { q -= 1; r += d }
        return (q, r)
    }
}

extension CivilDate: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CivilDate(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\"\(text)\" is not a date (YYYY-MM-DD)"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
