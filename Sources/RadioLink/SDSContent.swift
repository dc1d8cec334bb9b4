/// What an incoming SDS carries, decoded.
public enum SDSContent: Hashable, Sendable {
    /// AI service 13: a 16-bit status value.
    case status(StatusValue)
    /// PI 0x0A: a LIP location report.
    case location(LocationReport)
    /// Simple text (PI 0x02, 0x09) or an SDS-TL transfer carrying text (PI 0x82, 0x89).
    case text(TextMessage)
    /// An SDS-TL transfer whose user data is not text (PI 0x83, 0x8A, 0x8C …).
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

    public var description: String {
        switch code {
        case 0: "7-bit alphabet"
        case 1: "ISO 8859-1"
        case 2...13: "ISO 8859 part table \(code)"
        case 26: "UTF-16BE"
        default: "text coding \(code)"
        }
    }
}

/// A text SDS.
public struct TextMessage: Hashable, Sendable {
    public var protocolIdentifier: UInt8
    /// Nil for simple text (PI 0x02, 0x09), set for SDS-TL (PI 0x82, 0x89).
    public var transfer: SDSTransferHeader?
    public var coding: TextCoding
    /// The 3 timestamp bytes when the timestamp flag is set, undecoded.
    public var timestamp: [UInt8]?
    /// The text; nil when the coding is one we do not decode (see `textBytes`).
    public var text: String?
    public var textBytes: [UInt8]

    public init(protocolIdentifier: UInt8, transfer: SDSTransferHeader?, coding: TextCoding, timestamp: [UInt8]?, text: String?, textBytes: [UInt8]) {
        self.protocolIdentifier = protocolIdentifier
        self.transfer = transfer
        self.coding = coding
        self.timestamp = timestamp
        self.text = text
        self.textBytes = textBytes
    }

    /// PI 0x09 and 0x89: to be shown at once.
    public var isImmediate: Bool { protocolIdentifier == 0x09 || protocolIdentifier == 0x89 }
}

/// SDS-TL delivery status (8 bits).
public struct DeliveryStatus: Hashable, Sendable, CustomStringConvertible {
    public var code: UInt8

    public init(code: UInt8) { self.code = code }

    public static let received = DeliveryStatus(code: 0x00)
    public static let consumed = DeliveryStatus(code: 0x02)

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

/// An SDS-REPORT or SDS-ACK.
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
