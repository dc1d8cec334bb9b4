/// Decodes SDS user data and encodes the SDS we send.
///
/// Input is the hex line after a `+CTSDSR` header. Radios declare a bit length that does not
/// always match the digits (84 bits announced, 22 digits sent): the bits that count are the
/// fewer of the two. Bit-exact PDUs (LIP, 7-bit text) are read only that far, so a report one
/// bit short of its layout is refused, never read into the padding; octet PDUs go by the bytes.
public enum SDSCodec {
    /// The most user data bits we put in one SDS (ftl: "the value that seems to work in practice").
    public static let defaultMaximumBits = 668

    // MARK: Decoding

    /// `lengthBits` is the header's declared length; nil or negative means "not known".
    public static func decode(aiService: Int, hex: String, lengthBits: Int? = nil) -> SDSContent {
        guard let bytes = Hex.decode(hex) else {
            return .undecoded(protocolIdentifier: nil, bytes: [], reason: "user data is not hex")
        }
        var bits = hex.utf8.count * 4
        if let declared = lengthBits, declared >= 0 { bits = min(bits, declared) }
        if aiService == 13 {
            var r = BitReader(bytes, bitCount: bits)
            guard let value = r.read(16) else {
                return .undecoded(protocolIdentifier: nil, bytes: bytes, reason: "status SDS shorter than 16 bits")
            }
            return .status(StatusValue(UInt16(value)))
        }
        return decode(bytes, bitCount: bits)
    }

    /// Decodes user data that starts with a protocol identifier byte; `bitCount` bits are valid
    /// (all of `bytes` when nil).
    public static func decode(_ bytes: [UInt8], bitCount: Int? = nil) -> SDSContent {
        guard let pi = bytes.first else {
            return .undecoded(protocolIdentifier: nil, bytes: bytes, reason: "empty user data")
        }
        let bits = min(max(bitCount ?? bytes.count * 8, 0), bytes.count * 8)
        switch pi {
        case 0x0A:
            return .location(LIPDecoder.decode(bytes, bitCount: bits))
        case 0x02, 0x09:
            guard bytes.count >= 2 else { return .undecoded(protocolIdentifier: pi, bytes: bytes, reason: "simple text without a coding byte") }
            return text(pi: pi, transfer: nil, sdu: Array(bytes[1...]), sduBits: bits - 8, timestampAllowed: false, userDataHeader: false, all: bytes)
        case 0x0C:
            return .undecoded(protocolIdentifier: pi, bytes: bytes,
                              reason: "simple concatenated SDS (protocol identifier 0x0C) is not reassembled: its layout is not decoded")
        case 0x80...:
            return sdsTL(pi: pi, bytes, bits: bits)
        default:
            return .undecoded(protocolIdentifier: pi, bytes: bytes, reason: "protocol identifier 0x\(Hex.encode([pi])) is not decoded")
        }
    }

    private static func sdsTL(pi: UInt8, _ bytes: [UInt8], bits: Int) -> SDSContent {
        guard bytes.count >= 4 else {
            return .undecoded(protocolIdentifier: pi, bytes: bytes, reason: "SDS-TL PDU shorter than 4 bytes")
        }
        let b1 = bytes[1]
        switch b1 >> 4 {
        case 0:
            var header = SDSTransferHeader(deliveryReport: DeliveryReportRequest(rawValue: Int(b1 >> 2) & 3) ?? .none,
                                           serviceSelection: b1 & 0x02 != 0, reference: bytes[2])
            var offset = 3
            if b1 & 0x01 != 0 {
                guard let (control, used) = storeForward(Array(bytes[3...])) else {
                    return .undecoded(protocolIdentifier: pi, bytes: bytes, reason: "store-and-forward control not decodable")
                }
                header.storeForward = control
                offset += used
            }
            let userData = offset < bytes.count ? Array(bytes[offset...]) : []
            switch pi {
            case 0x82, 0x89, 0x8A:
                guard !userData.isEmpty else {
                    return .undecoded(protocolIdentifier: pi, bytes: bytes, reason: "text transfer without a coding byte")
                }
                return text(pi: pi, transfer: header, sdu: userData, sduBits: bits - offset * 8, timestampAllowed: true,
                            userDataHeader: pi == 0x8A, all: bytes)
            default:
                return .transfer(SDSTransfer(protocolIdentifier: pi, header: header, userData: userData))
            }
        case 1:
            return .report(DeliveryReport(protocolIdentifier: pi, acknowledgementRequired: b1 & 0x08 != 0,
                                          status: DeliveryStatus(code: bytes[2]), reference: bytes[3]))
        case 2:
            return .acknowledgement(DeliveryReport(protocolIdentifier: pi, acknowledgementRequired: false,
                                                   status: DeliveryStatus(code: bytes[2]), reference: bytes[3]))
        case 3...7:
            return .undecoded(protocolIdentifier: pi, bytes: bytes, reason: "SDS-TL message type \(b1 >> 4) is reserved")
        default:
            return .undecoded(protocolIdentifier: pi, bytes: bytes, reason: "SDS-TL message type \(b1 >> 4) is defined by the application")
        }
    }

    /// Validity period (5 bits), forward address type (3 bits), then the address. Returns the
    /// control and the bytes it used.
    private static func storeForward(_ bytes: [UInt8]) -> (StoreForwardControl, Int)? {
        var r = BitReader(bytes)
        guard let validity = r.int(5), let type = r.int(3) else { return nil }
        var address: String?
        switch type {
        case 0:
            guard let v = r.read(8) else { return nil }
            address = String(v)
        case 1:
            guard let v = r.read(24) else { return nil }
            address = String(v)
        case 2:
            guard r.read(24) != nil, let ssi = r.read(24) else { return nil }
            address = String(ssi)
        case 3:
            guard let count = r.int(8) else { return nil }
            var digits = ""
            for _ in 0..<count {
                guard let d = r.int(4) else { return nil }
                digits += d < 10 ? String(d) : (d == 10 ? "*" : d == 11 ? "#" : d == 12 ? "+" : "?")
            }
            address = digits
        case 7:
            address = nil
        default:
            return nil
        }
        return (StoreForwardControl(validityPeriod: validity, forwardAddressType: type, forwardAddress: address), (r.position + 7) / 8)
    }

    /// The text SDU: timestamp flag and coding (1 byte), the 3-byte timestamp when flagged
    /// (SDS-TL only), the user data header for PI 0x8A (length byte and elements), the text.
    private static func text(pi: UInt8, transfer: SDSTransferHeader?, sdu: [UInt8], sduBits: Int, timestampAllowed: Bool,
                             userDataHeader hasHeader: Bool, all: [UInt8]) -> SDSContent {
        let codingByte = sdu[0]
        let coding = TextCoding(code: Int(codingByte & 0x7F))
        var offset = 1
        var timestamp: [UInt8]?
        if timestampAllowed, codingByte & 0x80 != 0 {
            guard sdu.count >= 4 else {
                return .undecoded(protocolIdentifier: pi, bytes: all, reason: "text with the timestamp flag but fewer than 3 timestamp bytes")
            }
            timestamp = Array(sdu[1...3])
            offset = 4
        }
        var header: UserDataHeader?
        if hasHeader {
            guard offset < sdu.count else {
                return .undecoded(protocolIdentifier: pi, bytes: all, reason: "text with user data header but no header length")
            }
            let length = Int(sdu[offset])
            guard offset + 1 + length <= sdu.count, let parsed = UserDataHeader(content: Array(sdu[(offset + 1)..<(offset + 1 + length)])) else {
                return .undecoded(protocolIdentifier: pi, bytes: all, reason: "user data header of \(length) bytes does not fit the message or is malformed")
            }
            header = parsed
            offset += 1 + length
        }
        let body = offset < sdu.count ? Array(sdu[offset...]) : []
        let bodyBits = max(0, min(sduBits - offset * 8, body.count * 8))
        return .text(TextMessage(protocolIdentifier: pi, transfer: transfer, coding: coding, timestamp: timestamp,
                                 text: decodeText(body, coding: coding, bitCount: bodyBits), textBytes: body,
                                 userDataHeader: header))
    }

    /// 7-bit (the first `bitCount` bits), ISO 8859-1 byte for code point, UTF-16BE (an odd last
    /// byte is dropped, bad surrogates become U+FFFD), the other 8-bit codings through iconv.
    /// Nil for reserved and user-defined codings, and when the C library lacks the character set.
    static func decodeText(_ bytes: [UInt8], coding: TextCoding, bitCount: Int? = nil) -> String? {
        switch coding.code {
        case 0:
            return TextCoding.decodeSevenBit(bytes, bitCount: bitCount)
        case 1:
            var scalars = String.UnicodeScalarView()
            for b in bytes { scalars.append(Unicode.Scalar(b)) }
            return String(scalars)
        case 26:
            var units: [UInt16] = []
            var i = 0
            while i + 1 < bytes.count {
                units.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]))
                i += 2
            }
            return String(decoding: units, as: UTF16.self)
        default:
            return coding.characterSet.flatMap { CharacterSetConverter.decode(bytes, from: $0) }
        }
    }

    // MARK: Encoding

    /// A text SDS (PI 0x82, SDS-TRANSFER) for `destination`, asking for `deliveryReport`.
    ///
    /// The text is ISO 8859-1 when every character fits, UTF-16BE otherwise. The payload is always
    /// hex, so nothing in the text (CR, LF, `;`, Ctrl-Z, ESC) can end the command or start another.
    public static func textSubmission(_ text: String, to destination: String, reference: UInt8,
                                      deliveryReport: DeliveryReportRequest,
                                      maximumBits: Int = defaultMaximumBits) throws(RadioLinkError) -> SDSSubmission {
        var body: [UInt8] = []
        var coding = TextCoding.iso8859_1
        if text.unicodeScalars.allSatisfy({ $0.value <= 0xFF }) {
            body = text.unicodeScalars.map { UInt8($0.value) }
        } else {
            coding = .utf16BigEndian
            for unit in text.utf16 { body += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
        }
        let firstByte = UInt8(deliveryReport.rawValue << 2)
        let userData: [UInt8] = [0x82, firstByte, reference, UInt8(coding.code)] + body
        guard userData.count * 8 <= maximumBits else {
            let perChar = coding == .iso8859_1 ? 1 : 2
            let room = max(0, (maximumBits / 8 - 4) / perChar)
            throw RadioLinkError(code: .messageTooLong, message: "the text is \(text.count) characters but one SDS holds at most \(room) in \(coding); shorten it or send it in several pages")
        }
        return try SDSSubmission(destination: destination, userData: userData)
    }

    /// A status SDS (AI service 13: 16 bits, no SDS-TL header) carrying `value` to `destination`.
    /// Value 0 is the emergency status and is never sent by a dispatcher.
    public static func statusSubmission(_ value: UInt16, to destination: String) throws(RadioLinkError) -> SDSSubmission {
        guard value != 0 else {
            throw RadioLinkError(code: .invalidCommand, message: "status 0 is the emergency status; a dispatcher does not send it")
        }
        return try SDSSubmission(destination: destination, userData: [UInt8(value >> 8), UInt8(value & 0xFF)])
    }

    /// An SDS-ACK (PI `protocolIdentifier`, type 2) for the SDS-REPORT `reference` that asked
    /// for one: status 0x01 (receipt report acknowledged) or 0x03 (consumed report acknowledged).
    public static func acknowledgementSubmission(to destination: String, status: DeliveryStatus, reference: UInt8,
                                                 protocolIdentifier: UInt8 = 0x82) throws(RadioLinkError) -> SDSSubmission {
        try SDSSubmission(destination: destination, userData: [protocolIdentifier, 0x20, status.code, reference])
    }

    /// A text in as many PI 0x8A SDS-TL transfers as it needs, each with a user data header
    /// (element 0x00: 8-bit `concatenationReference`, total, sequence) and its own message
    /// reference (`firstReference`, then the next ones, skipping 0). Used by the simulator and
    /// tests; pages still go as one PI 0x82 SDS.
    public static func concatenatedTextSubmissions(_ text: String, to destination: String, firstReference: UInt8,
                                                   concatenationReference: UInt8, deliveryReport: DeliveryReportRequest = .none,
                                                   coding: TextCoding = .iso8859_1,
                                                   maximumBits: Int = defaultMaximumBits) throws(RadioLinkError) -> [SDSSubmission] {
        var units: [[UInt8]] = []
        for ch in text {
            switch coding.code {
            case 26: units.append(ch.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
            default: units.append(ch.unicodeScalars.map { $0.value <= 0xFF ? UInt8($0.value) : 0x3F })
            }
        }
        let room = maximumBits / 8 - 4 - 6
        guard room >= 2 else { throw RadioLinkError(code: .messageTooLong, message: "maximumBits \(maximumBits) leaves no room for text") }
        var chunks: [[UInt8]] = [[]]
        for u in units {
            if chunks[chunks.count - 1].count + u.count > room { chunks.append([]) }
            chunks[chunks.count - 1] += u
        }
        guard chunks.count <= 255 else {
            throw RadioLinkError(code: .messageTooLong, message: "the text needs \(chunks.count) parts; at most 255 fit a concatenated message")
        }
        var reference = firstReference
        var out: [SDSSubmission] = []
        for (i, chunk) in chunks.enumerated() {
            let header = UserDataHeader(concatenation: Concatenation(reference: UInt16(concatenationReference), total: chunks.count, sequence: i + 1))
            let userData: [UInt8] = [0x8A, UInt8(deliveryReport.rawValue << 2), reference, UInt8(coding.code)] + header.encoded + chunk
            out.append(try SDSSubmission(destination: destination, userData: userData))
            reference = reference == 255 ? 1 : reference + 1
        }
        return out
    }

    /// An SDS-REPORT (PI `protocolIdentifier`, type 1) telling `destination` that its message
    /// `reference` reached us (`.received`) or was read (`.consumed`).
    public static func reportSubmission(to destination: String, status: DeliveryStatus, reference: UInt8,
                                        protocolIdentifier: UInt8 = 0x82) throws(RadioLinkError) -> SDSSubmission {
        try SDSSubmission(destination: destination, userData: [protocolIdentifier, 0x10, status.code, reference])
    }
}

/// One SDS ready to go: `AT+CMGS=<destination>,<bits>` CR LF, the user data as uppercase hex,
/// then Ctrl-Z (0x1A).
public struct SDSSubmission: Hashable, Sendable {
    public var destination: String
    public var userData: [UInt8]

    /// Throws `invalidIdentity` unless `destination` is 1 to 17 digits.
    public init(destination: String, userData: [UInt8]) throws(RadioLinkError) {
        guard TetraIdentity.isValidDialDigits(destination) else {
            throw RadioLinkError(code: .invalidIdentity, message: "destination \"\(destination)\" must be 1 to 17 digits (an ISSI, GSSI or TSI)")
        }
        self.destination = destination
        self.userData = userData
    }

    public var lengthBits: Int { userData.count * 8 }
    public var payloadHex: String { Hex.encode(userData) }
    public var commandLine: String { "AT+CMGS=\(destination),\(lengthBits)" }

    /// The exact bytes for the port.
    public var wireBytes: [UInt8] { Array(commandLine.utf8) + [0x0D, 0x0A] + Array(payloadHex.utf8) + [0x1A] }
}
