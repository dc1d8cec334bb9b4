/// Turns PEI lines into `PEIMessage` values.
///
/// Parsing is lenient: a space after the colon is optional, spaces and quotes around fields are
/// ignored, and trailing fields beyond the ones we know are ignored. `+CTSDSR` is a two-line
/// result (header, then hex user data); the parser keeps the header until the next line. If that
/// line is not hex, the header is an orphan: it is counted in `orphanedSDSHeaders` and the line is
/// parsed as a line of its own.
public struct PEIParser: Sendable {
    /// `+CTSDSR` headers whose payload line never came.
    public private(set) var orphanedSDSHeaders: Int = 0
    private var pendingHeader: SDSHeader?

    public init() {}

    /// True while a `+CTSDSR` header waits for its payload line.
    public var isAwaitingSDSPayload: Bool { pendingHeader != nil }

    /// Parses one line; returns nothing for an SDS header (its payload comes next) and one
    /// message otherwise.
    public mutating func parse(_ line: String) -> [PEIMessage] {
        parseOne(line).map { [$0] } ?? []
    }

    /// `parse` without the array: nil for an SDS header.
    mutating func parseOne(_ line: String) -> PEIMessage? {
        if let header = pendingHeader {
            pendingHeader = nil
            if let payload = Self.hexPayload(line) {
                return .sdsReceived(SDSIndication(header: header, payloadHex: payload))
            }
            orphanedSDSHeaders += 1
        }
        let message = Self.parseLine(line)
        if case .sdsHeader(let header) = message {
            pendingHeader = header
            return nil
        }
        return message
    }

    /// Drops a waiting SDS header (the link went down); it counts as an orphan.
    public mutating func reset() {
        if pendingHeader != nil { orphanedSDSHeaders += 1 }
        pendingHeader = nil
    }

    /// Parses one line on its own. `+CTSDSR` gives `.sdsHeader`.
    ///
    /// Works on the line's UTF-8 bytes: every byte that matters (`+`, `:`, `,`, digits, letters
    /// of result names) is ASCII, so no character-level string work is needed on the hot path.
    public static func parseLine(_ line: String) -> PEIMessage {
        var text = line
        return text.withUTF8 { parseLine(bytes: $0, line: line) }
    }

    private static func parseLine(bytes: UnsafeBufferPointer<UInt8>, line: String) -> PEIMessage {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        if start < end, bytes[start] == 0x3E {  // ">"
            start += 1
            while start < end, bytes[start] == 0x20 { start += 1 }
            if start == end { return .prompt }
        }
        let count = end - start
        if count == 2, bytes[start] | 0x20 == 0x6F, bytes[start + 1] | 0x20 == 0x6B { return .ok }
        if count == 5, equalsUppercased(bytes, start, "ERROR") { return .error }
        if count >= 2, bytes[start] | 0x20 == 0x61, bytes[start + 1] | 0x20 == 0x74 {
            return .echo(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
        }
        guard count > 0, bytes[start] == 0x2B else { return .unknown(line) }  // "+"
        var colon = start + 1
        while colon < end, bytes[colon] != 0x3A { colon += 1 }
        guard colon < end else { return .unknown(line) }
        var nameStart = start + 1
        var nameEnd = colon
        while nameStart < nameEnd, bytes[nameStart] == 0x20 || bytes[nameStart] == 0x09 { nameStart += 1 }
        while nameEnd > nameStart, bytes[nameEnd - 1] == 0x20 || bytes[nameEnd - 1] == 0x09 { nameEnd -= 1 }
        guard let name = ResultName(bytes, nameStart, nameEnd) else { return .unknown(line) }
        let fields = Fields(bytes, from: colon + 1, to: end)
        return message(named: name, fields) ?? .unknown(line)
    }

    /// True when `bytes[at...]` is `word` (upper-case ASCII) in any letter case.
    private static func equalsUppercased(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int, _ word: StaticString) -> Bool {
        let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard at + w.count <= bytes.count else { return false }
        for k in 0..<w.count {
            var b = bytes[at + k]
            if b >= 0x61 && b <= 0x7A { b -= 0x20 }
            if b != w[k] { return false }
        }
        return true
    }

    /// The trimmed line when it is hex digits only (the `+CTSDSR` payload), else nil.
    static func hexPayload(_ line: String) -> String? {
        var start = line.utf8.startIndex
        var end = line.utf8.endIndex
        let utf8 = line.utf8
        while start < end, utf8[start] == 0x20 || utf8[start] == 0x09 { start = utf8.index(after: start) }
        while end > start, utf8[utf8.index(before: end)] == 0x20 || utf8[utf8.index(before: end)] == 0x09 { end = utf8.index(before: end) }
        guard start < end, utf8[start..<end].allSatisfy(isHexDigit) else { return nil }
        return start == utf8.startIndex && end == utf8.endIndex ? line : String(line[start..<end])
    }

    static func isHexDigit(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
    }

    private static func message(named name: ResultName, _ fields: Fields) -> PEIMessage? {
        var f = fields
        switch name {
        case .cmeError:
            return f.int(0).map { .cmeError(CMEError(code: $0)) }
        case .cmsError:
            return f.int(0).map { .cmsError(code: $0) }
        case .cticn:
            guard let instance = f.int(0) else { return nil }
            return .callSetup(CallSetup(
                instance: instance, callStatus: f.int(1), aiService: f.int(2), callingType: f.int(3),
                calling: f.identity(4), hook: f.int(5), simplex: f.int(6), endToEndEncryption: f.int(7),
                commsType: f.int(8), slotsCodec: f.int(9), calledType: f.int(10), called: f.identity(11),
                priority: f.int(12)))
        case .ctcc:
            guard let instance = f.int(0) else { return nil }
            return .callConnected(CallConnect(instance: instance, otherFields: (1..<max(f.count, 1)).map { f.int($0) }))
        case .ctxg:
            guard let instance = f.int(0), let grant = f.int(1) else { return nil }
            return .transmissionGranted(TransmissionGrant(
                instance: instance, grant: grant, requestPermission: f.int(2), endToEndEncryption: f.int(3),
                talkerType: f.int(4), talker: f.identity(5)))
        case .cdtxc:
            guard let instance = f.int(0) else { return nil }
            return .transmissionCeased(TransmissionCeased(instance: instance, requestPermission: f.int(1)))
        case .ctcr:
            guard let instance = f.int(0) else { return nil }
            return .callReleased(CallRelease(instance: instance, cause: f.int(1)))
        case .ctsdsr:
            return sdsHeader(f).map { .sdsHeader($0) }
        case .cmgs:
            guard let instance = f.int(0) else { return nil }
            if f.count >= 3, let status = f.int(1), let reference = f.int(2) {
                return .sdsTransferStatus(SDSTransferStatus(instance: instance, status: status, reference: reference))
            }
            return .sdsAccepted(instance: instance)
        case .cnumf:
            guard let type = f.int(0), let identity = f.identity(1) else { return nil }
            return .ownNumber(OwnNumber(numberType: type, identity: identity))
        case .ctgs:
            guard let type = f.int(0), let group = f.identity(1) else { return nil }
            return .groupSelection(GroupSelection(groupType: type, group: group))
        case .csq:
            return f.int(0).map { .signalQuality(SignalQuality(value: $0)) }
        case .cbc:
            guard let status = f.int(0) else { return nil }
            return .battery(BatteryCharge(status: status, chargePercent: f.int(1)))
        }
    }

    /// ftl accepts 3, 4, 6 or 7 header fields. With 6 or 7 the calling party is present; with 3
    /// or 4 it is left out: `<AI service>,<called id>,[<called id type>,]<length>`.
    private static func sdsHeader(_ fields: Fields) -> SDSHeader? {
        var f = fields
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
        !text.isEmpty && text.utf8.allSatisfy(isHexDigit)
    }
}

/// The result names the parser knows, matched on the bytes between `+` and `:` in any case.
private enum ResultName {
    case cmeError, cmsError, cticn, ctcc, ctxg, cdtxc, ctcr, ctsdsr, cmgs, cnumf, ctgs, csq, cbc

    init?(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) {
        let length = end - start
        guard length >= 3, length <= 9 else { return nil }
        if length == 9 {
            // "CME ERROR" / "CMS ERROR": one byte too long for the packed key.
            guard Self.matches(bytes, start, "CM"), Self.matches(bytes, start + 3, " ERROR") else { return nil }
            switch bytes[start + 2] | 0x20 {
            case 0x65: self = .cmeError
            case 0x73: self = .cmsError
            default: return nil
            }
            return
        }
        // Up to 8 letters, upper-cased and packed into one integer, compared as a whole. Only
        // letters: a NUL byte would pack to nothing and "\0CBC" would match CBC.
        var key: UInt64 = 0
        for i in start..<end {
            var b = bytes[i]
            if b >= 0x61 && b <= 0x7A { b -= 0x20 }
            guard b >= 0x41 && b <= 0x5A else { return nil }
            key = key << 8 | UInt64(b)
        }
        switch key {
        case 0x43_54_49_43_4E: self = .cticn      // CTICN
        case 0x43_54_43_43: self = .ctcc          // CTCC
        case 0x43_54_58_47: self = .ctxg          // CTXG
        case 0x43_44_54_58_43: self = .cdtxc      // CDTXC
        case 0x43_54_43_52: self = .ctcr          // CTCR
        case 0x43_54_53_44_53_52: self = .ctsdsr  // CTSDSR
        case 0x43_4D_47_53: self = .cmgs          // CMGS
        case 0x43_4E_55_4D_46: self = .cnumf      // CNUMF
        case 0x43_54_47_53: self = .ctgs          // CTGS
        case 0x43_53_51: self = .csq              // CSQ
        case 0x43_42_43: self = .cbc              // CBC
        default: return nil
        }
    }

    /// `bytes[at...]` starts with `word` (upper-case ASCII) in any letter case.
    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int, _ word: StaticString) -> Bool {
        guard at + word.utf8CodeUnitCount <= bytes.count else { return false }
        for k in 0..<word.utf8CodeUnitCount {
            var b = bytes[at + k]
            if b >= 0x61 && b <= 0x7A { b -= 0x20 }
            if b != word.utf8Start[k] { return false }
        }
        return true
    }
}

/// The comma-separated fields after a result code's colon, read from the line's bytes without
/// copying. Fields are found by scanning forward from the last one read (results are read in
/// field order), so no array of ranges is allocated per line.
private struct Fields {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let start: Int
    private let end: Int
    /// The number of fields (commas + 1).
    let count: Int
    private var cursorIndex = 0
    private var cursorStart: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) {
        self.bytes = bytes
        self.start = start
        self.end = end
        var commas = 0
        for i in start..<end where bytes[i] == 0x2C { commas += 1 }
        count = commas + 1
        cursorStart = start
    }

    /// Field `index` without surrounding spaces and quotes, as a byte range.
    private mutating func range(_ index: Int) -> Range<Int>? {
        guard index < count else { return nil }
        if index < cursorIndex {
            cursorIndex = 0
            cursorStart = start
        }
        while cursorIndex < index {
            while bytes[cursorStart] != 0x2C { cursorStart += 1 }
            cursorStart += 1
            cursorIndex += 1
        }
        var fieldEnd = cursorStart
        while fieldEnd < end, bytes[fieldEnd] != 0x2C { fieldEnd += 1 }
        var a = cursorStart
        var b = fieldEnd
        while a < b, bytes[a] == 0x20 || bytes[a] == 0x22 { a += 1 }
        while b > a, bytes[b - 1] == 0x20 || bytes[b - 1] == 0x22 { b -= 1 }
        return a..<b
    }

    /// The field as a decimal number: optional sign, then digits; at most 18 bytes.
    mutating func int(_ index: Int) -> Int? {
        guard let r = range(index), !r.isEmpty, r.count <= 18 else { return nil }
        var i = r.lowerBound
        var negative = false
        if bytes[i] == 0x2B || bytes[i] == 0x2D {
            negative = bytes[i] == 0x2D
            i += 1
            guard i < r.upperBound else { return nil }
        }
        var value = 0
        while i < r.upperBound {
            let d = bytes[i] &- 0x30
            guard d < 10 else { return nil }
            value = value * 10 + Int(d)
            i += 1
        }
        return negative ? -value : value
    }

    mutating func identity(_ index: Int) -> TetraIdentity? {
        guard let r = range(index), !r.isEmpty, r.count <= 17, bytes[r].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return TetraIdentity(String(decoding: UnsafeBufferPointer(rebasing: bytes[r]), as: UTF8.self))
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
