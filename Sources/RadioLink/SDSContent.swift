/// What an incoming SDS carries, decoded.
public enum SDSContent: Hashable, Sendable {
    /// AI service 13: a 16-bit status value.
    case status(StatusValue)
    /// PI 0x0A: a LIP location report.
    case location(LocationReport)
    /// Simple text (PI 0x02, 0x09), an SDS-TL transfer carrying text (PI 0x82, 0x89), or text
    /// with a user data header (PI 0x8A; one part of a concatenated message until reassembled).
    case text(TextMessage)
    /// An SDS-TL transfer whose user data is not text (PI 0x83 location system, 0x84/0x85 WAP,
    /// 0x86 M-DMO, 0x88 end-to-end encrypted, 0x8C concatenated SDS, user-defined PIs …).
    case transfer(SDSTransfer)
    /// SDS-TL SDS-REPORT: delivery report for a message we sent.
    case report(DeliveryReport)
    /// SDS-TL SDS-ACK: acknowledgement of a report.
    case acknowledgement(DeliveryReport)
    /// Nothing we can decode; `reason` says why.
    case undecoded(protocolIdentifier: UInt8?, bytes: [UInt8], reason: String)
}

/// A 16-bit status value (EN 300 392-2 Table 14.72).
public struct StatusValue: Hashable, Sendable, CustomStringConvertible {
    public var value: UInt16

    public init(_ value: UInt16) { self.value = value }

    public enum Kind: Hashable, Sendable {
        /// 0: emergency.
        case emergency
        /// 1…31743: reserved.
        case reserved
        /// 0x7C00…0x7FFF: SDS-TL short report (type 2 bits, message reference 8 bits).
        case shortReport(ShortReport)
        /// 0x8000…0xFFFF: network or user specific.
        case userDefined
    }

    public var kind: Kind {
        switch value {
        case 0: .emergency
        case 0x7C00...0x7FFF: .shortReport(ShortReport(type: Int(value >> 8) & 3, reference: UInt8(value & 0xFF)))
        case 0x8000...: .userDefined
        default: .reserved
        }
    }

    public var isEmergency: Bool { value == 0 }

    /// German BOS FMS status 0…9, sent as 0x8002…0x800B.
    public var fmsStatus: Int? { (0x8002...0x800B).contains(value) ? Int(value - 0x8002) : nil }

    public var description: String {
        switch kind {
        case .emergency: "emergency"
        case .reserved: "reserved status \(value)"
        case .shortReport(let r): "short report \(r.typeText), reference \(r.reference)"
        case .userDefined: fmsStatus.map { "status \($0)" } ?? "status 0x\(Hex.encode([UInt8(value >> 8), UInt8(value & 0xFF)]))"
        }
    }
}

/// SDS-SHORT REPORT, carried as a status value 0x7C00…0x7FFF.
public struct ShortReport: Hashable, Sendable {
    /// 0 protocol or encoding not supported, 1 destination memory full, 2 received, 3 consumed.
    public var type: Int
    public var reference: UInt8

    public init(type: Int, reference: UInt8) {
        self.type = type
        self.reference = reference
    }

    public var typeText: String {
        switch type {
        case 0: "protocol or encoding not supported"
        case 1: "destination memory full"
        case 2: "message received"
        default: "message consumed"
        }
    }
}

/// Which delivery reports the sender of an SDS-TL transfer asks for.
public enum DeliveryReportRequest: Int, Hashable, Sendable {
    case none = 0, received = 1, consumed = 2, receivedAndConsumed = 3

    public var wantsReceived: Bool { self == .received || self == .receivedAndConsumed }
    public var wantsConsumed: Bool { self == .consumed || self == .receivedAndConsumed }
}

/// Store-and-forward control of an SDS-TL transfer or report.
public struct StoreForwardControl: Hashable, Sendable {
    public var validityPeriod: Int
    /// 0 short number, 1 SSI, 2 TSI, 3 external subscriber number, 7 none.
    public var forwardAddressType: Int
    /// The forward address digits, when the type carries one.
    public var forwardAddress: String?

    public init(validityPeriod: Int, forwardAddressType: Int, forwardAddress: String?) {
        self.validityPeriod = validityPeriod
        self.forwardAddressType = forwardAddressType
        self.forwardAddress = forwardAddress
    }
}

/// The SDS-TL SDS-TRANSFER header: byte1 = type 0 << 4 | report request << 2 | service
/// selection << 1 | storage, then the message reference.
public struct SDSTransferHeader: Hashable, Sendable {
    public var deliveryReport: DeliveryReportRequest
    /// Service selection / short form report bit (0x02).
    public var serviceSelection: Bool
    public var reference: UInt8
    public var storeForward: StoreForwardControl?

    public init(deliveryReport: DeliveryReportRequest, serviceSelection: Bool, reference: UInt8, storeForward: StoreForwardControl? = nil) {
        self.deliveryReport = deliveryReport
        self.serviceSelection = serviceSelection
        self.reference = reference
        self.storeForward = storeForward
    }
}

/// An SDS-TL transfer with user data we keep as bytes.
public struct SDSTransfer: Hashable, Sendable {
    public var protocolIdentifier: UInt8
    public var header: SDSTransferHeader
    public var userData: [UInt8]

    public init(protocolIdentifier: UInt8, header: SDSTransferHeader, userData: [UInt8]) {
        self.protocolIdentifier = protocolIdentifier
        self.header = header
        self.userData = userData
    }
}

/// Text coding scheme (low 7 bits of the first text byte).
public struct TextCoding: Hashable, Sendable, CustomStringConvertible {
    public var code: Int

    public init(code: Int) { self.code = code }

    public static let sevenBit = TextCoding(code: 0)
    public static let iso8859_1 = TextCoding(code: 1)
    public static let utf16BigEndian = TextCoding(code: 26)

    /// The character set name (iconv's) of the 8-bit codings of EN 300 392-2 table 29.29:
    /// 1…10 ISO 8859-1…10, 11 8859-13, 12 8859-14, 13 8859-15 (the table skips 8859-11 and -12),
    /// 14…25 the PC code pages 437, 737, 850, 852, 855, 857, 860, 861, 863, 865, 866, 869, 27
    /// VISCII. Nil for 0 (7-bit), 26 (UCS-2/UTF-16BE), 28…31 reserved, 32…126 user defined,
    /// 127 extension. The table has no Chinese coding (GB2312/GBK): Chinese comes as UCS-2.
    public var characterSet: String? {
        switch code {
        case 1...10: "ISO-8859-\(code)"
        case 11: "ISO-8859-13"
        case 12: "ISO-8859-14"
        case 13: "ISO-8859-15"
        case 14...25: "CP" + String([437, 737, 850, 852, 855, 857, 860, 861, 863, 865, 866, 869][code - 14])
        case 27: "VISCII"
        default: nil
        }
    }

    public var description: String {
        switch code {
        case 0: "7-bit alphabet"
        case 26: "UTF-16BE"
        case 28...31: "reserved text coding \(code)"
        case 32...126: "user-defined text coding \(code)"
        case 127: "text coding extension"
        case 1...13: "ISO 8859-" + String(characterSet?.dropFirst(9) ?? "")
        case 14...25: "code page " + String(characterSet?.dropFirst(2) ?? "")
        case 27: "VISCII"
        default: "text coding \(code)"
        }
    }
}

/// The 24-bit time stamp of an SDS-TL text: timeframe type (2), reserved (2), month (4), day
/// (5), hour (5), minute (6).
public struct SDSTimestamp: Hashable, Sendable, CustomStringConvertible {
    public enum Frame: Int, Hashable, Sendable {
        case applicationDependent = 0, utc = 1, local = 2, localDaylightSaving = 3
    }

    public var frame: Frame
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int

    public init(frame: Frame, month: Int, day: Int, hour: Int, minute: Int) {
        self.frame = frame
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
    }

    /// Nil unless 3 bytes hold a month 1…12, day 1…31, hour 0…23 and minute 0…59.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 3 else { return nil }
        let v = Int(bytes[0]) << 16 | Int(bytes[1]) << 8 | Int(bytes[2])
        let month = v >> 16 & 0x0F, day = v >> 11 & 0x1F, hour = v >> 6 & 0x1F, minute = v & 0x3F
        guard (1...12).contains(month), day >= 1, hour <= 23, minute <= 59, let frame = Frame(rawValue: v >> 22) else { return nil }
        self.init(frame: frame, month: month, day: day, hour: hour, minute: minute)
    }

    public var bytes: [UInt8] {
        let v = frame.rawValue << 22 | (month & 0x0F) << 16 | (day & 0x1F) << 11 | (hour & 0x1F) << 6 | (minute & 0x3F)
        return [UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }

    public var description: String {
        let zone = switch frame {
        case .applicationDependent: ""
        case .utc: " UTC"
        case .local: " local"
        case .localDaylightSaving: " local (daylight saving)"
        }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(two(day)).\(two(month)). \(two(hour)):\(two(minute))\(zone)"
    }
}

/// Where a message part sits in a concatenated message (user data header element 0x00 with an
/// 8-bit reference, or 0x08 with a 16-bit one).
public struct Concatenation: Hashable, Sendable {
    public var reference: UInt16
    public var referenceIs16Bit: Bool
    public var total: Int
    public var sequence: Int

    public init(reference: UInt16, referenceIs16Bit: Bool = false, total: Int, sequence: Int) {
        self.reference = reference
        self.referenceIs16Bit = referenceIs16Bit
        self.total = total
        self.sequence = sequence
    }
}

/// A user data header (PI 0x8A, as in GSM TS 23.040): length byte, then elements (identifier,
/// length, data).
public struct UserDataHeader: Hashable, Sendable {
    public struct Element: Hashable, Sendable {
        public var identifier: UInt8
        public var data: [UInt8]

        public init(identifier: UInt8, data: [UInt8]) {
            self.identifier = identifier
            self.data = data
        }
    }

    public var elements: [Element]

    public init(elements: [Element]) { self.elements = elements }

    /// The header for one part of a concatenated message.
    public init(concatenation c: Concatenation) {
        let data: [UInt8] = c.referenceIs16Bit
            ? [UInt8(c.reference >> 8), UInt8(c.reference & 0xFF), UInt8(c.total & 0xFF), UInt8(c.sequence & 0xFF)]
            : [UInt8(c.reference & 0xFF), UInt8(c.total & 0xFF), UInt8(c.sequence & 0xFF)]
        self.init(elements: [Element(identifier: c.referenceIs16Bit ? 0x08 : 0x00, data: data)])
    }

    /// The elements from the header's content (the bytes after the length byte); nil when an
    /// element runs past the end.
    public init?(content: [UInt8]) {
        var elements: [Element] = []
        var i = 0
        while i < content.count {
            guard i + 1 < content.count else { return nil }
            let length = Int(content[i + 1])
            guard i + 2 + length <= content.count else { return nil }
            elements.append(Element(identifier: content[i], data: Array(content[(i + 2)..<(i + 2 + length)])))
            i += 2 + length
        }
        self.init(elements: elements)
    }

    /// The concatenation element, when one is well formed (total 1…255, sequence 1…total).
    public var concatenation: Concatenation? {
        for e in elements {
            let c: Concatenation
            if e.identifier == 0x00, e.data.count == 3 {
                c = Concatenation(reference: UInt16(e.data[0]), total: Int(e.data[1]), sequence: Int(e.data[2]))
            } else if e.identifier == 0x08, e.data.count == 4 {
                c = Concatenation(reference: UInt16(e.data[0]) << 8 | UInt16(e.data[1]), referenceIs16Bit: true,
                                  total: Int(e.data[2]), sequence: Int(e.data[3]))
            } else {
                continue
            }
            return c.total >= 1 && (1...c.total).contains(c.sequence) ? c : nil
        }
        return nil
    }

    /// The length byte and the elements.
    public var encoded: [UInt8] {
        let content = elements.flatMap { [$0.identifier, UInt8($0.data.count)] + $0.data }
        return [UInt8(content.count)] + content
    }
}

/// A text SDS.
public struct TextMessage: Hashable, Sendable {
    public var protocolIdentifier: UInt8
    /// Nil for simple text (PI 0x02, 0x09), set for SDS-TL (PI 0x82, 0x89, 0x8A).
    public var transfer: SDSTransferHeader?
    public var coding: TextCoding
    /// The 3 timestamp bytes when the timestamp flag is set.
    public var timestamp: [UInt8]?
    /// The timestamp decoded; nil without one or when its fields are out of range.
    public var time: SDSTimestamp?
    /// PI 0x8A: the user data header before the text.
    public var userDataHeader: UserDataHeader?
    /// How many SDS the text arrived in (more than 1 for a reassembled concatenated message).
    public var parts: Int
    /// The text; nil when the coding is one we do not decode (see `textBytes`).
    public var text: String?
    public var textBytes: [UInt8]

    public init(protocolIdentifier: UInt8, transfer: SDSTransferHeader?, coding: TextCoding, timestamp: [UInt8]?, text: String?,
                textBytes: [UInt8], userDataHeader: UserDataHeader? = nil, parts: Int = 1) {
        self.protocolIdentifier = protocolIdentifier
        self.transfer = transfer
        self.coding = coding
        self.timestamp = timestamp
        self.time = timestamp.flatMap(SDSTimestamp.init(bytes:))
        self.userDataHeader = userDataHeader
        self.parts = parts
        self.text = text
        self.textBytes = textBytes
    }

    /// This SDS is one part of a longer message (its header has a concatenation element with
    /// more than one part).
    public var concatenation: Concatenation? {
        guard parts == 1, let c = userDataHeader?.concatenation, c.total > 1 else { return nil }
        return c
    }

    /// PI 0x09 and 0x89: to be shown at once.
    public var isImmediate: Bool { protocolIdentifier == 0x09 || protocolIdentifier == 0x89 }
}

/// SDS-TL delivery status (8 bits).
public struct DeliveryStatus: Hashable, Sendable, CustomStringConvertible {
    public var code: UInt8

    public init(code: UInt8) { self.code = code }

    public static let received = DeliveryStatus(code: 0x00)
    public static let receivedReportAcknowledged = DeliveryStatus(code: 0x01)
    public static let consumed = DeliveryStatus(code: 0x02)
    public static let consumedReportAcknowledged = DeliveryStatus(code: 0x03)

    public enum Category: Hashable, Sendable {
        /// 0x00…0x1F
        case success
        /// 0x20…0x3F: the message is held; a final report may follow.
        case temporaryError
        /// 0x40…0x5F: the transfer failed.
        case failed
        /// 0x60 and up.
        case flowControl
    }

    public var category: Category {
        switch code {
        case 0x00..<0x20: .success
        case 0x20..<0x40: .temporaryError
        case 0x40..<0x60: .failed
        default: .flowControl
        }
    }

    public var isReceived: Bool { code == 0x00 }
    public var isConsumed: Bool { code == 0x02 }

    public var text: String {
        switch code {
        case 0x00: "receipt acknowledged by destination"
        case 0x01: "receipt report acknowledgement"
        case 0x02: "consumed by destination"
        case 0x03: "consumed report acknowledgement"
        case 0x04: "message forwarded to external network"
        case 0x05: "sent to group, acknowledgement presented"
        case 0x4B: "destination not registered on system"
        case 0x5A: "destination not reachable, message delivery failed"
        default:
            switch category {
            case .success: "delivered (status 0x\(Hex.encode([code])))"
            case .temporaryError: "temporary error 0x\(Hex.encode([code]))"
            case .failed: "delivery failed 0x\(Hex.encode([code]))"
            case .flowControl: "flow control 0x\(Hex.encode([code]))"
            }
        }
    }

    public var description: String { text }
}

/// An SDS-REPORT or SDS-ACK: PI, message type (4 bits: 1 report, 2 ack), for a report the
/// acknowledgement-required bit, then delivery status and message reference.
public struct DeliveryReport: Hashable, Sendable {
    public var protocolIdentifier: UInt8
    /// SDS-REPORT only: the sender wants an SDS-ACK back.
    public var acknowledgementRequired: Bool
    public var status: DeliveryStatus
    public var reference: UInt8

    public init(protocolIdentifier: UInt8, acknowledgementRequired: Bool, status: DeliveryStatus, reference: UInt8) {
        self.protocolIdentifier = protocolIdentifier
        self.acknowledgementRequired = acknowledgementRequired
        self.status = status
        self.reference = reference
    }
}
