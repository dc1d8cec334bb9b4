import RadioLink
import TianyanModel
import Testing

/// SDS-TL text codings, timestamps, user data headers, SDS-ACK, and every protocol identifier
/// truncated and over-long (EN 300 392-2 §29).
@Suite struct SDSTextTests {
    private func text(_ hex: String, lengthBits: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation) -> TextMessage? {
        guard case .text(let t) = SDSCodec.decode(aiService: 12, hex: hex, lengthBits: lengthBits) else {
            Issue.record("not a text: \(SDSCodec.decode(aiService: 12, hex: hex, lengthBits: lengthBits))", sourceLocation: sourceLocation)
            return nil
        }
        return t
    }

    /// PI 0x82, transfer without report, reference 5, coding byte, text bytes (worked out from
    /// the ISO 8859 code charts: Ł A3, ó F3, ź BC; П BF, р E0 …).
    @Test(arguments: [
        (2, "A3F364BC", "Łódź"),
        (5, "BFE0D8D2D5E2", "Привет"),
        (7, "C3E5E9DC", "Γειά"),
        (8, "F9ECE5ED", "שלום"),
        (11, "D06B6F6461", "Škoda"),
        (12, "D0616C6573", "Ŵales"),
        (13, "A475726F", "€uro"),
        (14, "477294E165", "Größe"),
        (1, "A475726F", "¤uro"),
    ])
    func eightBitCodings(code: Int, body: String, expected: String) throws {
        let codingHex = String(code, radix: 16, uppercase: true)
        let t = try #require(text("820005" + (codingHex.count == 1 ? "0" : "") + codingHex + body))
        #expect(t.coding.code == code)
        #expect(t.text == expected)
    }

    @Test func codingNamesFollowTheTETRATable() {
        #expect(TextCoding(code: 10).characterSet == "ISO-8859-10")
        #expect(TextCoding(code: 11).characterSet == "ISO-8859-13")  // the table skips 8859-11 and -12
        #expect(TextCoding(code: 13).characterSet == "ISO-8859-15")
        #expect(TextCoding(code: 24).characterSet == "CP866")
        #expect(TextCoding(code: 27).characterSet == "VISCII")
        #expect(TextCoding(code: 26).characterSet == nil && TextCoding(code: 0).characterSet == nil)
        #expect(TextCoding(code: 11).description == "ISO 8859-13")
        #expect(TextCoding(code: 14).description == "code page 437")
        #expect(TextCoding(code: 40).description == "user-defined text coding 40")
        for code in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27] {
            guard case .text(let t) = SDSCodec.decode([0x82, 0x00, 0x01, UInt8(code), 0x41, 0x42]) else { Issue.record("\(code)"); continue }
            #expect(t.text == "AB", "coding \(code) decodes ASCII letters")
        }
    }

    @Test func undefinedBytesBecomeReplacementCharacters() throws {
        // 0xA5 is not assigned in ISO 8859-3.
        let t = try #require(text("82000503" + "41A542"))
        #expect(t.text == "A\u{FFFD}B")
    }

    /// 7-bit, septets most significant bit first: "Hello" = 1001000 1100101 1101100 1101100
    /// 1101111 (35 bits) + 5 pad bits = 91 97 66 CD E0.
    @Test func sevenBitText() throws {
        let hello = try #require(text("82000500" + "919766CDE0"))
        #expect(hello.coding == .sevenBit && hello.text == "Hello")
        // "Kosten 5€ @Müller": € is ESC 0x65, @ is 0x00, ü 0x7E.
        #expect(text("82000500" + "97BF9F4CBB903537950009BFB66CCBC8")?.text == "Kosten 5€ @Müller")
        // 7 characters fill 49 bits of 7 bytes: the last 7 pad bits are not an "@".
        #expect(text("82000500" + "830A1C48B1A380")?.text == "ABCDEFG")
        // With the header's exact bit length (4 header bytes + 49 bits) no guessing is needed.
        #expect(text("82000500" + "830A1C48B1A380", lengthBits: 32 + 49)?.text == "ABCDEFG")
        let (bytes, bits) = TextCoding.encodeSevenBit("Grüße {1} [x] ~ € \\ |")
        #expect(bits > 0 && text("82000500" + hex(bytes), lengthBits: 32 + bits)?.text == "Grüße {1} [x] ~ € \\ |")
    }

    /// 0x81 coding byte: timestamp flag + ISO 8859-1; AA BB CC = frame 2 (local), month 10,
    /// day 23, hour 15, minute 12.
    @Test func timestampIsDecoded() throws {
        let t = try #require(text("82000581AABBCC4869"))
        #expect(t.timestamp == [0xAA, 0xBB, 0xCC])
        #expect(t.time == SDSTimestamp(frame: .local, month: 10, day: 23, hour: 15, minute: 12))
        #expect(t.time?.description == "23.10. 15:12 local")
        #expect(t.time?.bytes == [0x8A, 0xBB, 0xCC], "the two reserved bits are written as zero")
        #expect(t.text == "Hi")
        // Month 0 is not a time: the bytes stay, the decoded time is nil.
        #expect(text("82000581000000" + "4869")?.time == nil)
        if case .undecoded(_, _, let reason) = SDSCodec.decode(aiService: 12, hex: "82000581AABB") {
            #expect(reason.contains("timestamp"))
        } else {
            Issue.record("a timestamp flag with 2 bytes decoded")
        }
    }

    /// PI 0x8A: 8A 04 2A 01 | 05 00 03 07 02 01 | 4869: received report asked, reference 0x2A,
    /// ISO 8859-1, header of 5 bytes (element 00: reference 7, 2 parts, this is part 1), "Hi".
    @Test func userDataHeaderText() throws {
        let t = try #require(text("8A042A01" + "0500030702" + "01" + "4869"))
        #expect(t.protocolIdentifier == 0x8A && t.transfer?.reference == 0x2A && t.transfer?.deliveryReport == .received)
        #expect(t.concatenation == Concatenation(reference: 7, total: 2, sequence: 1))
        #expect(t.text == "Hi")
        // 16-bit reference (element 08).
        let t16 = try #require(text("8A000901" + "06080412340302" + "4869"))
        #expect(t16.concatenation == Concatenation(reference: 0x1234, referenceIs16Bit: true, total: 3, sequence: 2))
        // A header with other elements only, or a part number outside 1…total, is a plain text.
        #expect(text("8A000901" + "03240100" + "4869")?.concatenation == nil)
        #expect(text("8A000901" + "0500030703" + "4869")?.concatenation == nil)
        // A header longer than the message is undecodable, not a trap.
        guard case .undecoded(0x8A, _, let reason) = SDSCodec.decode(aiService: 12, hex: "8A00090109000307") else {
            Issue.record("overlong header decoded"); return
        }
        #expect(reason.contains("user data header"))
    }

    @Test func sdsAckAndReportWithAcknowledgementRequired() {
        // T10: SDS-ACK, status 0x01 "receipt report acknowledgement", reference 0xC9.
        #expect(SDSCodec.decode(aiService: 12, hex: "822001C9", lengthBits: 32)
            == .acknowledgement(DeliveryReport(protocolIdentifier: 0x82, acknowledgementRequired: false, status: .receivedReportAcknowledged, reference: 0xC9)))
        #expect(DeliveryStatus(code: 0x01).text == "receipt report acknowledgement")
        #expect(DeliveryStatus(code: 0x03).text == "consumed report acknowledgement")
        // T9: SDS-REPORT asking for an SDS-ACK.
        #expect(SDSCodec.decode(aiService: 12, hex: "821800CA", lengthBits: 32)
            == .report(DeliveryReport(protocolIdentifier: 0x82, acknowledgementRequired: true, status: .received, reference: 0xCA)))
        let ack = try? SDSCodec.acknowledgementSubmission(to: "1234567", status: .receivedReportAcknowledged, reference: 0xCA)
        #expect(ack?.wireBytes == Array("AT+CMGS=1234567,32\r\n822001CA".utf8) + [0x1A])
    }

    @Test func reservedAndApplicationMessageTypes() {
        guard case .undecoded(_, _, let reserved) = SDSCodec.decode(aiService: 12, hex: "82300000"),
              case .undecoded(_, _, let application) = SDSCodec.decode(aiService: 12, hex: "82F00000")
        else { Issue.record("decoded"); return }
        #expect(reserved == "SDS-TL message type 3 is reserved")
        #expect(application == "SDS-TL message type 15 is defined by the application")
        guard case .undecoded(0x0C, _, let concatenated) = SDSCodec.decode(aiService: 12, hex: "0C0102") else { Issue.record("0x0C"); return }
        #expect(concatenated.contains("not reassembled"))
        #expect(SDSCodec.decode(aiService: 12, hex: "8C000701AA") == .transfer(SDSTransfer(
            protocolIdentifier: 0x8C, header: SDSTransferHeader(deliveryReport: .none, serviceSelection: false, reference: 7), userData: [0x01, 0xAA])))
    }

    @Test func concatenatedSubmissionsSplitAndCarryHeaders() throws {
        let long = String(repeating: "Einsatz Brand Lagerhalle Süd, ", count: 9)
        let parts = try SDSCodec.concatenatedTextSubmissions(long, to: "2269001", firstReference: 255, concatenationReference: 9)
        #expect(parts.count == 4)
        #expect(parts.allSatisfy { $0.lengthBits <= SDSCodec.defaultMaximumBits })
        #expect(parts.map { $0.userData[2] } == [255, 1, 2, 3])
        var joined = ""
        for (i, p) in parts.enumerated() {
            guard case .text(let t) = SDSCodec.decode(p.userData) else { Issue.record("part \(i)"); continue }
            #expect(t.concatenation == Concatenation(reference: 9, total: 4, sequence: i + 1))
            joined += t.text ?? "?"
        }
        #expect(joined == long)
    }

    // MARK: Every protocol identifier, truncated and over-long

    @Test func everyProtocolIdentifierTruncatedAndOverlongNeverTraps() {
        var rng = SeededGenerator(seed: 392)
        let samples: [[UInt8]] = [
            [0x82, 0x04, 0x08, 0x01] + Array("Gjatjajgja".utf8),
            [0x8A, 0x04, 0x2A, 0x81, 0xAA, 0xBB, 0xCC, 0x05, 0x00, 0x03, 0x07, 0x02, 0x01, 0x48, 0x69],
            [0x82, 0x01, 0x07, 0x19, 0x22, 0x9F, 0x49, 0x00, 0x48],
            [0x82, 0x18, 0x00, 0xCA], [0x82, 0x20, 0x01, 0xC9],
            [0x0A, 0x4E, 0x3B, 0x83, 0x25, 0x35, 0x9E, 0xFD, 0x19, 0xD9, 0x25, 0xA1, 0xC5, 0x54, 0x20, 0x50, 0x26, 0x20, 0xA8],
            [0x02, 0x01, 0x74, 0x65], [0x89, 0x00, 0x05, 0x1A, 0x4E, 0x2D], [0x82, 0x00, 0x05, 0x00, 0x91, 0x97],
        ]
        for pi in 0...255 {
            for sample in samples {
                var bytes = sample
                bytes[0] = UInt8(pi)
                for cut in 0...bytes.count {
                    let part = Array(bytes.prefix(cut))
                    check(SDSCodec.decode(part))
                    check(SDSCodec.decode(part, bitCount: max(0, cut * 8 - Int.random(in: 0...9, using: &rng))))
                }
                let longer = bytes + (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                check(SDSCodec.decode(longer))
                check(SDSCodec.decode(aiService: 12, hex: hex(longer), lengthBits: Int.random(in: -10...3000, using: &rng)))
            }
        }
        for _ in 0..<20_000 {
            var bytes = (0..<Int.random(in: 0...60, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if !bytes.isEmpty { bytes[0] = [0x0A, 0x82, 0x89, 0x8A, 0x8C, 0x02, 0x09, 0x0C].randomElement(using: &rng)! }
            if bytes.count > 4, Bool.random(using: &rng) { bytes[1] = [0x00, 0x04, 0x01, 0x10, 0x18, 0x20].randomElement(using: &rng)! }
            check(SDSCodec.decode(bytes, bitCount: Int.random(in: -5...600, using: &rng)))
        }
    }

    private func check(_ content: SDSContent, sourceLocation: SourceLocation = #_sourceLocation) {
        var failures: [String] = []
        PEIInvariants.checkContent(content, &failures)
        #expect(failures.isEmpty, "\(failures) for \(content)", sourceLocation: sourceLocation)
    }

    private func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }
}
