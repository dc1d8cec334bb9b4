import RadioLink
import TianyanModel
import Testing

@Suite struct SDSCodecTests {
    private func text(_ content: SDSContent, sourceLocation: SourceLocation = #_sourceLocation) -> TextMessage? {
        guard case .text(let t) = content else {
            Issue.record("not a text: \(content)", sourceLocation: sourceLocation)
            return nil
        }
        return t
    }

    private func short(_ hex: String, sourceLocation: SourceLocation = #_sourceLocation) -> ShortLocationReport? {
        guard case .location(.short(let r)) = SDSCodec.decode(aiService: 12, hex: hex) else {
            Issue.record("not a short location report: \(hex)", sourceLocation: sourceLocation)
            return nil
        }
        return r
    }

    // MARK: Vectors T1-T10 (tetra-pei-vectors §2)

    @Test func t1TextWithReceivedReportRequested() throws {
        let t = try #require(text(SDSCodec.decode(aiService: 12, hex: "82040801476A61746A616A676A61", lengthBits: 112)))
        #expect(t.protocolIdentifier == 0x82)
        #expect(t.transfer == SDSTransferHeader(deliveryReport: .received, serviceSelection: false, reference: 0x08))
        #expect(t.coding == .iso8859_1)
        #expect(t.timestamp == nil)
        #expect(t.text == "Gjatjajgja")
        #expect(!t.isImmediate)
    }

    @Test func t2Text() throws {
        let t = try #require(text(SDSCodec.decode(aiService: 12, hex: "82041D014164676A6D707477", lengthBits: 96)))
        #expect(t.transfer == SDSTransferHeader(deliveryReport: .received, serviceSelection: false, reference: 0x1D))
        #expect(t.coding.code == 1)
        #expect(t.text == "Adgjmptw")
    }

    @Test func t3ReceivedReport() {
        let content = SDSCodec.decode(aiService: 12, hex: "82100002", lengthBits: 32)
        #expect(content == .report(DeliveryReport(protocolIdentifier: 0x82, acknowledgementRequired: false, status: .received, reference: 0x02)))
        #expect(DeliveryStatus.received.text == "receipt acknowledged by destination")
        #expect(DeliveryStatus.received.category == .success)
    }

    @Test func t4Status() {
        let content = SDSCodec.decode(aiService: 13, hex: "8004", lengthBits: 16)
        #expect(content == .status(StatusValue(0x8004)))
        #expect(StatusValue(0x8004).kind == .userDefined)
        #expect(StatusValue(0x8004).fmsStatus == 2)
        #expect(StatusValue(0x800B).fmsStatus == 9)
        #expect(StatusValue(0x8004).description == "status 2")
        #expect(!StatusValue(0x8004).isEmergency)
    }

    @Test func t5SimpleText() throws {
        let t = try #require(text(SDSCodec.decode(aiService: 12, hex: "0201746573746D657373616765", lengthBits: 104)))
        #expect(t.protocolIdentifier == 0x02)
        #expect(t.transfer == nil)
        #expect(t.coding == .iso8859_1)
        #expect(t.text == "testmessage")
    }

    @Test func t6TextWithServiceSelection() throws {
        let t = try #require(text(SDSCodec.decode(aiService: 12, hex: "82029C01746573746D657373616765", lengthBits: 120)))
        #expect(t.transfer == SDSTransferHeader(deliveryReport: .none, serviceSelection: true, reference: 0x9C))
        #expect(t.text == "testmessage")
    }

    @Test func t9ReportWithAcknowledgementRequired() {
        #expect(SDSCodec.decode(aiService: 12, hex: "821800CA", lengthBits: 32)
            == .report(DeliveryReport(protocolIdentifier: 0x82, acknowledgementRequired: true, status: DeliveryStatus(code: 0), reference: 0xCA)))
    }

    @Test func t10Acknowledgement() {
        #expect(SDSCodec.decode(aiService: 12, hex: "822001C9", lengthBits: 32)
            == .acknowledgement(DeliveryReport(protocolIdentifier: 0x82, acknowledgementRequired: false, status: DeliveryStatus(code: 1), reference: 0xC9)))
        #expect(DeliveryStatus(code: 1).text == "receipt report acknowledgement")
    }

    // MARK: Status values

    @Test func statusRanges() {
        #expect(SDSCodec.decode(aiService: 13, hex: "0000") == .status(StatusValue(0)))
        #expect(StatusValue(0).kind == .emergency)
        #expect(StatusValue(0).description == "emergency")
        #expect(StatusValue(1).kind == .reserved)
        #expect(StatusValue(0x7E07).kind == .shortReport(ShortReport(type: 2, reference: 7)))
        #expect(ShortReport(type: 3, reference: 1).typeText == "message consumed")
        #expect(StatusValue(0xFFFF).kind == .userDefined)
        #expect(SDSCodec.decode(aiService: 13, hex: "80") == .undecoded(protocolIdentifier: nil, bytes: [0x80], reason: "status SDS shorter than 16 bits"))
    }

    // MARK: Other text forms

    @Test func consumedAndFailedReports() {
        #expect(SDSCodec.decode(aiService: 12, hex: "82100207") == .report(DeliveryReport(protocolIdentifier: 0x82, acknowledgementRequired: false, status: .consumed, reference: 7)))
        #expect(DeliveryStatus(code: 0x4B).category == .failed)
        #expect(DeliveryStatus(code: 0x4B).text == "destination not registered on system")
        #expect(DeliveryStatus(code: 0x21).category == .temporaryError)
    }

    @Test func utf16ImmediateText() throws {
        let t = try #require(text(SDSCodec.decode(aiService: 12, hex: "8900051A4E2D6587")))
        #expect(t.isImmediate)
        #expect(t.coding == .utf16BigEndian)
        #expect(t.text == "中文")
    }

    @Test func textWithTimestamp() throws {
        let t = try #require(text(SDSCodec.decode(aiService: 12, hex: "82000581AABBCC4869")))
        #expect(t.timestamp == [0xAA, 0xBB, 0xCC])
        #expect(t.text == "Hi")
    }

    @Test func textWithStoreAndForwardToAnSSI() throws {
        // validity 3, forward address type 1 (SSI) 2269001 = 0x229F49.
        let t = try #require(text(SDSCodec.decode(aiService: 12, hex: "820107" + "19" + "229F49" + "01" + "4869")))
        #expect(t.transfer?.storeForward == StoreForwardControl(validityPeriod: 3, forwardAddressType: 1, forwardAddress: "2269001"))
        #expect(t.transfer?.reference == 7)
        #expect(t.text == "Hi")
    }

    @Test func unknownCodingKeepsTheBytes() throws {
        // 30: reserved coding (2, the old example, is ISO 8859-2 and now decodes).
        let t = try #require(text(SDSCodec.decode(aiService: 12, hex: "8200011E41")))
        #expect(t.coding.code == 30)
        #expect(t.text == nil)
        #expect(t.textBytes == [0x41])
        #expect(t.coding.description == "reserved text coding 30")
    }

    @Test func nonTextTransferKeepsUserData() {
        #expect(SDSCodec.decode(aiService: 12, hex: "830003AABB") == .transfer(SDSTransfer(
            protocolIdentifier: 0x83, header: SDSTransferHeader(deliveryReport: .none, serviceSelection: false, reference: 3), userData: [0xAA, 0xBB])))
    }

    @Test func undecodable() {
        #expect(SDSCodec.decode(aiService: 12, hex: "XYZ") == .undecoded(protocolIdentifier: nil, bytes: [], reason: "user data is not hex"))
        #expect(SDSCodec.decode(aiService: 12, hex: "0601") == .undecoded(protocolIdentifier: 0x06, bytes: [0x06, 0x01], reason: "protocol identifier 0x06 is not decoded"))
        #expect(SDSCodec.decode(aiService: 12, hex: "8204") == .undecoded(protocolIdentifier: 0x82, bytes: [0x82, 0x04], reason: "SDS-TL PDU shorter than 4 bytes"))
    }

    // MARK: LIP short reports (§3)

    @Test func lipL1BadDurrenberg() throws {
        let r = try #require(short("0A00893E12472C51026810"))
        #expect(r.timeElapsed == .lessThan5Seconds)
        #expect(r.rawLongitude == 1_124_290)
        #expect(r.rawLatitude == 4_777_354)
        let fix = try #require(r.fix)
        #expect(abs(fix.longitude - 12.0623231) < 5e-8)
        #expect(abs(fix.latitude - 51.2554479) < 5e-8)
        #expect(r.positionError.code == 1 && r.positionError.metres == 20)
        #expect(r.velocity.code == 1 && r.velocity.kilometresPerHour == 1)
        #expect(r.directionCode == 3 && r.directionDegrees == 67.5)
        #expect(r.additionalData == .reason(LIPReason(code: 129)))
        #expect(LIPReason(code: 129).text == "maximum reporting interval exceeded since last report")
        let p = try #require(r.position(unit: "2269001", receivedAt: Timestamp(milliseconds: 1_000)))
        #expect(p.source == .lip && p.accuracy == 20 && p.heading == 67.5)
        #expect(abs(p.speed! - 1 / 3.6) < 1e-12)
    }

    @Test func lipYO9ION() throws {
        let r = try #require(short("0A112853A9FF4D4FFFE810"))
        #expect(r.timeElapsed == .lessThan5Minutes)
        let fix = try #require(r.fix)
        #expect(abs(fix.longitude - 26.0443461) < 5e-8)
        #expect(abs(fix.latitude - 44.9386418) < 5e-8)
        #expect(r.positionError.code == 7 && r.positionError.metres == nil)
        #expect(r.velocity.code == 127 && r.velocity.kilometresPerHour == nil)
        #expect(r.directionCode == 15)
        #expect(r.additionalData.reason?.code == 129)
        let p = try #require(r.position(unit: "2269001", receivedAt: Timestamp(milliseconds: 0)))
        #expect(p.speed == nil && p.heading == nil && p.accuracy == nil)
    }

    @Test func lipShortReportPDU() throws {
        let r = try #require(short("0A0088BD4247F737FFE810"))
        #expect(r.timeElapsed == .lessThan5Seconds)
        #expect(abs(r.fix!.longitude - 12.0180988) < 5e-8)
        #expect(abs(r.fix!.latitude - 51.3250995) < 5e-8)
        #expect(r.positionError.code == 7 && r.velocity.code == 127 && r.directionCode == 15)
        #expect(r.additionalData.reason?.code == 129)
    }

    /// Own vector: Melbourne (tetra-kit sanity values lat 0xCA1959, lon 0x0CE6C98), 21 hex
    /// digits without padding, speed code 40, emergency.
    @Test func lipNegativeLatitudeUnpaddedEmergency() throws {
        let r = try #require(short("0A067364C650CACA51402"))
        #expect(r.rawLongitude == 0x0CE6C98)
        #expect(r.rawLatitude == 0xCA1959 - (1 << 24))
        #expect(abs(r.fix!.latitude - -37.899131) < 1e-6)
        #expect(abs(r.fix!.longitude - 145.142012) < 1e-6)
        #expect(r.positionError.metres == 200)
        #expect(abs(r.velocity.kilometresPerHour! - 43.797419946641696) < 1e-9)
        #expect(r.directionDegrees == 225)
        #expect(r.additionalData.reason?.isEmergency == true)
    }

    /// Own vector: Buenos Aires (both negative), time unknown, user-defined additional data 0x5A.
    @Test func lipNegativeLongitudeUserData() throws {
        let r = try #require(short("0A3D67BF4676496FFE15A0"))
        #expect(r.timeElapsed == .notKnown)
        #expect(r.rawLongitude == -5_441_560 && r.rawLatitude == -3_225_299)
        #expect(abs(r.fix!.longitude - -58.3816) < 1e-5)
        #expect(abs(r.fix!.latitude - -34.6037) < 1e-5)
        #expect(r.additionalData == .userDefined(0x5A))
        #expect(r.additionalData.reason == nil)
    }

    @Test func lipWithoutFixIsNoPosition() throws {
        let r = try #require(short("0A30000000000007FE0150"))
        #expect(r.fix == nil)
        #expect(r.position(unit: "1", receivedAt: Timestamp(milliseconds: 0)) == nil)
        #expect(r.additionalData.reason == LIPReason(code: 21))
        #expect(LIPReason(code: 21).text == "lost ability to determine location")
    }

    @Test func lipVelocityTable() {
        #expect(LIPVelocity(code: 0).kilometresPerHour == 0)
        #expect(LIPVelocity(code: 28).kilometresPerHour == 28)
        #expect(abs(LIPVelocity(code: 29).kilometresPerHour! - 29.058797521986314) < 1e-9)
        #expect(abs(LIPVelocity(code: 126).kilometresPerHour! - 1082.4826134585908) < 1e-6)
        #expect(LIPVelocity(code: 127).kilometresPerHour == nil)
    }

    @Test func lipEncoderRoundTrip() {
        let raw = ShortLocationReport.rawCoordinates(latitude: 51.2554479, longitude: 12.0623231)
        #expect(raw.longitude == 1_124_290 && raw.latitude == 4_777_354)
        let report = ShortLocationReport(timeElapsed: .lessThan5Seconds, rawLongitude: raw.longitude, rawLatitude: raw.latitude,
                                         positionError: LIPPositionError(code: 1), velocity: LIPVelocity(code: 1), directionCode: 3,
                                         additionalData: .reason(LIPReason(code: 129)))
        #expect(report.encoded == [0x0A, 0x00, 0x89, 0x3E, 0x12, 0x47, 0x2C, 0x51, 0x02, 0x68, 0x10])
        #expect(SDSCodec.decode(report.encoded) == .location(.short(report)))
    }

    @Test func lipTruncated() {
        #expect(SDSCodec.decode(aiService: 12, hex: "0A00893E") == .location(.truncated(bits: 32)))
    }

    // MARK: LIP long reports (own vectors; layout per TS 100 392-18-1 as far as implemented)

    @Test func lipLongReportPointWithTimeOfPosition() throws {
        guard case .location(.long(let r)) = SDSCodec.decode(aiService: 12, hex: "0A4EC35D604224F8491CB144A040") else {
            Issue.record("not a long report"); return
        }
        #expect(r.timeOfPosition == LIPTimeOfPosition(day: 24, hour: 13, minute: 29, second: 24))
        #expect(r.timeElapsed == nil)
        #expect(r.locationShape == 1)
        #expect(r.rawLongitude == 1_124_290 && r.rawLatitude == 4_777_354)
        #expect(r.velocity == LIPVelocity(code: 20))
        #expect(r.acknowledgementRequested == false)
        #expect(r.additionalData == .reason(LIPReason(code: 32)))
        #expect(r.isComplete)
        let p = try #require(r.position(unit: "7", receivedAt: Timestamp(milliseconds: 5)))
        #expect(abs(p.latitude - 51.2554479) < 5e-8 && abs(p.longitude - 12.0623231) < 5e-8)
    }

    /// Found by the property tests: the 5- and 6-bit time fields hold values no clock has (hour 31
    /// here); the decoder passed them on as a time of position.
    @Test func lipLongReportWithImpossibleTimeKeepsThePositionOnly() throws {
        guard case .location(.long(let r)) = SDSCodec.decode(aiService: 12, hex: "0A4EC7DD604224F8491CB144A040") else {
            Issue.record("not a long report"); return
        }
        #expect(r.timeOfPosition == nil)
        #expect(r.rawLongitude == 1_124_290 && r.rawLatitude == 4_777_354)
        #expect(r.velocity == LIPVelocity(code: 20))
        #expect(r.isComplete)
    }

    @Test func lipLongReportWithoutShapeIsNoPosition() {
        guard case .location(let report) = SDSCodec.decode(aiService: 12, hex: "0A4C000A80"), case .long(let r) = report else {
            Issue.record("not a long report"); return
        }
        #expect(r.locationShape == 0 && r.isComplete)
        #expect(report.fix == nil)
        #expect(report.reason == LIPReason(code: 21))
        #expect(report.position(unit: "1", receivedAt: Timestamp(milliseconds: 0)) == nil)
    }

    @Test func lipLongReportAtZeroZeroIsNoPosition() {
        guard case .location(.long(let r)) = SDSCodec.decode(aiService: 12, hex: "0A4D4400000000000000A0") else {
            Issue.record("not a long report"); return
        }
        #expect(r.timeElapsed == .lessThan5Minutes)
        #expect(r.locationShape == 1 && r.rawLongitude == 0 && r.rawLatitude == 0)
        #expect(r.fix == nil)
        #expect(r.additionalData?.reason?.code == 10)
    }

    /// Shape 4 (point with altitude) with its position but without the altitude, velocity and
    /// additional data its layout needs: the old decoder drew the position; it is truncated.
    @Test func lipLongReportMissingFieldsAfterThePositionIsTruncated() {
        #expect(SDSCodec.decode(aiService: 12, hex: "0A4D1359EFD19D925AFFE0") == .location(.truncated(bits: 88)))
    }

    @Test func lipOtherPDU() {
        #expect(SDSCodec.decode(aiService: 12, hex: "0A4591C128293D") == .location(.other(pduType: 1, pduTypeExtension: 1)))
    }

    // MARK: Encoding and injection (§4)

    @Test func pageEncodingMatchesTheHandDecodedVectorAndCannotInject() throws {
        let sds = try SDSCodec.textSubmission("Hi;\r\nATH\u{1A}", to: "2269001", reference: 0x2A, deliveryReport: .received)
        #expect(sds.userData == [0x82, 0x04, 0x2A, 0x01, 0x48, 0x69, 0x3B, 0x0D, 0x0A, 0x41, 0x54, 0x48, 0x1A])
        #expect(sds.lengthBits == 104)
        #expect(sds.commandLine == "AT+CMGS=2269001,104")
        #expect(sds.wireBytes == Array("AT+CMGS=2269001,104\r\n82042A0148693B0D0A4154481A".utf8) + [0x1A])
        // Exactly one CR LF (after the command) and one Ctrl-Z (the last byte); hex in between.
        let bytes = sds.wireBytes
        #expect(bytes.filter { $0 == 0x0D }.count == 1 && bytes.filter { $0 == 0x0A }.count == 1)
        #expect(bytes.filter { $0 == 0x1A }.count == 1 && bytes.last == 0x1A)
        #expect(!bytes.contains(0x3B))
    }

    @Test func hostileTextsStayHexOnly() throws {
        var random = SeededGenerator(seed: 99)
        let nasty: [Unicode.Scalar] = ["\r", "\n", ";", "\u{1A}", "\u{1B}", "A", "T", "+", "ü", "中", "😀", "\0", "\""]
        for _ in 0..<500 {
            var text = ""
            for _ in 0..<Int.random(in: 0...15, using: &random) { text.unicodeScalars.append(nasty.randomElement(using: &random)!) }
            let reference = UInt8.random(in: 0...255, using: &random)
            let sds = try SDSCodec.textSubmission(text, to: "2269001", reference: reference, deliveryReport: .receivedAndConsumed)
            let bytes = sds.wireBytes
            let head = Array("\(sds.commandLine)\r\n".utf8)
            #expect(Array(bytes.prefix(head.count)) == head)
            let payload = bytes.dropFirst(head.count).dropLast()
            #expect(payload.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x46) })
            #expect(payload.count % 2 == 0 && payload.count / 2 * 8 == sds.lengthBits)
            #expect(bytes.last == 0x1A)
            // And it decodes back to the same text.
            let decoded = SDSCodec.decode(aiService: 12, hex: sds.payloadHex)
            guard case .text(let t) = decoded else { Issue.record("round trip failed for \(text.debugDescription)"); continue }
            #expect(t.text == text)
            #expect(t.transfer == SDSTransferHeader(deliveryReport: .receivedAndConsumed, serviceSelection: false, reference: reference))
        }
    }

    @Test func nonLatinTextUsesUTF16() throws {
        let sds = try SDSCodec.textSubmission("中文", to: "1000", reference: 1, deliveryReport: .none)
        #expect(sds.payloadHex == "820001" + "1A" + "4E2D6587")
    }

    @Test func destinationsMustBeDigits() {
        for bad in ["", "2269001;ATH", "2269001\r", "22690O1", "123456789012345678", "+49", " 1"] {
            #expect(throws: RadioLinkError(code: .invalidIdentity, message: "destination \"\(bad)\" must be 1 to 17 digits (an ISSI, GSSI or TSI)")) {
                try SDSCodec.textSubmission("x", to: bad, reference: 1, deliveryReport: .received)
            }
        }
        #expect((try? SDSCodec.textSubmission("x", to: "09011638302269001", reference: 1, deliveryReport: .received)) != nil)
    }

    @Test func tooLongTextIsRefused() throws {
        #expect(throws: RadioLinkError.self) {
            try SDSCodec.textSubmission(String(repeating: "a", count: 80), to: "1", reference: 1, deliveryReport: .received)
        }
        let fits = try SDSCodec.textSubmission(String(repeating: "a", count: 79), to: "1", reference: 1, deliveryReport: .received)
        #expect(fits.lengthBits == 664)
    }

    @Test func reportEncoding() throws {
        let sds = try SDSCodec.reportSubmission(to: "23404", status: .received, reference: 0x08)
        #expect(sds.wireBytes == Array("AT+CMGS=23404,32\r\n82100008".utf8) + [0x1A])
    }

    // MARK: Robustness

    @Test func randomUserDataNeverCrashes() {
        var random = SeededGenerator(seed: 7)
        let firstBytes: [UInt8] = [0x0A, 0x02, 0x09, 0x82, 0x89, 0x83, 0x8A, 0x00, 0xFF]
        for _ in 0..<5_000 {
            var bytes = (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            if !bytes.isEmpty, Bool.random(using: &random) { bytes[0] = firstBytes.randomElement(using: &random)! }
            var hex = bytes.map { String($0, radix: 16, uppercase: true) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
            if Bool.random(using: &random), !hex.isEmpty { hex.removeLast() }
            let service = [12, 13, 9, 10].randomElement(using: &random)!
            let content = SDSCodec.decode(aiService: service, hex: hex, lengthBits: Int.random(in: -5...1000, using: &random))
            if case .location(.short(let r)) = content {
                if let fix = r.fix {
                    #expect(abs(fix.latitude) <= 90 && abs(fix.longitude) <= 180)
                }
            }
        }
    }
}
