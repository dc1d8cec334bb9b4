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
        if let header = pendingHeader {
            pendingHeader = nil
            let trimmed = line.trimmingSpaces
            if Self.isHex(trimmed) {
                return [.sdsReceived(SDSIndication(header: header, payloadHex: trimmed))]
            }
            orphanedSDSHeaders += 1
        }
        let message = Self.parseLine(line)
        if case .sdsHeader(let header) = message {
            pendingHeader = header
            return []
        }
        return [message]
    }

    /// Drops a waiting SDS header (the link went down); it counts as an orphan.
    public mutating func reset() {
        if pendingHeader != nil { orphanedSDSHeaders += 1 }
        pendingHeader = nil
    }

    /// Parses one line on its own. `+CTSDSR` gives `.sdsHeader`.
    public static func parseLine(_ line: String) -> PEIMessage {
        var text = Substring(line.trimmingSpaces)
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
        let name = text[text.index(after: text.startIndex)..<colon].uppercased().trimmingSpaces
        let fields = Fields(text[text.index(after: colon)...])
        return message(named: name, fields) ?? .unknown(line)
    }

    private static func message(named name: String, _ f: Fields) -> PEIMessage? {
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
    private static func sdsHeader(_ f: Fields) -> SDSHeader? {
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
private struct Fields {
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
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}
