import RadioLink
import TianyanModel
import Testing

@Suite struct PEIParserTests {
    // MARK: Nødnett examples (tetra-pei-vectors §1b)

    @Test func callSetupFromNodnett() throws {
        let message = PEIParser.parseLine("+CTICN: 1,0,0,0,6101629,1,1,0,1,1,0,4037009,0")
        guard case .callSetup(let s) = message else { Issue.record("got \(message)"); return }
        #expect(s.instance == 1)
        #expect(s.callStatus == 0)
        #expect(s.aiService == 0)
        #expect(s.callingType == 0)
        #expect(s.calling?.issi == "6101629")
        #expect(s.hook == 1)
        #expect(s.simplex == 1)
        #expect(s.endToEndEncryption == 0)
        #expect(s.commsType == 1)
        #expect(s.slotsCodec == 1)
        #expect(s.calledType == 0)
        #expect(s.called?.issi == "4037009")
        #expect(s.priority == 0)
    }

    @Test func transmissionGrantAndCeaseFromNodnett() {
        #expect(PEIParser.parseLine("+CTXG: 2,3,0,0,0,6101629") == .transmissionGranted(TransmissionGrant(
            instance: 2, grant: 3, requestPermission: 0, endToEndEncryption: 0, talkerType: 0, talker: TetraIdentity("6101629"))))
        #expect(PEIParser.parseLine("+CDTXC: 3,0") == .transmissionCeased(TransmissionCeased(instance: 3, requestPermission: 0)))
    }

    // MARK: TetraLogic examples (§1c)

    @Test func callSetupWithExtendedTSI() {
        guard case .callSetup(let s) = PEIParser.parseLine("+CTICN: 1,0,0,5,09011638300023404,1,1,0,1,1,5,09011638300000001,0") else {
            Issue.record("not a call setup"); return
        }
        #expect(s.callingType == 5)
        #expect(s.calling?.raw == "09011638300023404")
        #expect(s.calling?.issi == "23404")
        #expect(s.calling?.mcc == 901)
        #expect(s.calling?.mnc == 16383)
        #expect(s.calledType == 5)
        #expect(s.called?.issi == "1")
        #expect(s.priority == 0)
    }

    @Test func callSetupWithShortIdentities() {
        guard case .callSetup(let s) = PEIParser.parseLine("+CTICN: 1,0,0,5,23404,1,1,0,1,1,5,1000,0") else {
            Issue.record("not a call setup"); return
        }
        #expect(s.calling?.issi == "23404")
        #expect(s.calling?.mcc == nil)
        #expect(s.called?.issi == "1000")
    }

    @Test func otherTetraLogicLines() {
        #expect(PEIParser.parseLine("+CTXG: 1,3,0,0,3,09011638300023404") == .transmissionGranted(TransmissionGrant(
            instance: 1, grant: 3, requestPermission: 0, endToEndEncryption: 0, talkerType: 3, talker: TetraIdentity("09011638300023404"))))
        #expect(PEIParser.parseLine("+CDTXC: 1,0") == .transmissionCeased(TransmissionCeased(instance: 1, requestPermission: 0)))
        #expect(PEIParser.parseLine("+CTCR: 1,13") == .callReleased(CallRelease(instance: 1, cause: 13)))
        #expect(CallRelease(instance: 1, cause: 13).causeText == "timer expiry")
        #expect(CallRelease(instance: 1, cause: 1).causeText == "user requested disconnect")
        #expect(PEIParser.parseLine("+CTCC: 1,1,1,0,0,1,1") == .callConnected(CallConnect(instance: 1, otherFields: [1, 1, 0, 0, 1, 1])))
        guard case .groupSelection(let g) = PEIParser.parseLine("+CTGS: 1,09011638300000001") else { Issue.record("no CTGS"); return }
        #expect(g.groupType == 1 && g.group.issi == "1" && g.group.mcc == 901)
        guard case .ownNumber(let n) = PEIParser.parseLine("+CNUMF: 6,09011638300023401") else { Issue.record("no CNUMF"); return }
        #expect(n.numberType == 6 && n.identity.issi == "23401" && n.identity.mnc == 16383)
        #expect(PEIParser.parseLine("+CTDGR: 2,1001,90116383,0") == .unknown("+CTDGR: 2,1001,90116383,0"))
        #expect(PEIParser.parseLine("+CREG: 1,1,90109999") == .unknown("+CREG: 1,1,90109999"))
        #expect(PEIParser.parseLine("+GMI: MOTOROLA") == .unknown("+GMI: MOTOROLA"))
        #expect(PEIParser.parseLine("+GMM: 54007,M83PF-----AN,88.2.0.0") == .unknown("+GMM: 54007,M83PF-----AN,88.2.0.0"))
    }

    @Test func tetraLogicSDSPairs() {
        var parser = PEIParser()
        let lines = [
            "+CTSDSR: 12,23404,0,23401,0,112", "82040801476A61746A616A676A61",
            "+CTSDSR: 12,23404,0,23401,0,96", "82041D014164676A6D707477",
            "+CTSDSR: 12,23404,0,23401,0,32", "82100002",
            "+CTSDSR: 12,2269001,0,9999,0,84", "0A112853A9FF4D4FFFE810",
        ]
        let messages = lines.flatMap { parser.parse($0) }
        let header = { (calling: String, called: String, bits: Int) in
            SDSHeader(aiService: 12, calling: TetraIdentity(calling), callingType: 0, called: TetraIdentity(called), calledType: 0, lengthBits: bits)
        }
        #expect(messages == [
            .sdsReceived(SDSIndication(header: header("23404", "23401", 112), payloadHex: "82040801476A61746A616A676A61")),
            .sdsReceived(SDSIndication(header: header("23404", "23401", 96), payloadHex: "82041D014164676A6D707477")),
            .sdsReceived(SDSIndication(header: header("23404", "23401", 32), payloadHex: "82100002")),
            .sdsReceived(SDSIndication(header: header("2269001", "9999", 84), payloadHex: "0A112853A9FF4D4FFFE810")),
        ])
        #expect(parser.orphanedSDSHeaders == 0)
        #expect(!parser.isAwaitingSDSPayload)
    }

    @Test func ptyStatusSDS() {
        var parser = PEIParser()
        #expect(parser.parse("+CTSDSR: 13,9876543,0,1234567,0,16").isEmpty)
        #expect(parser.isAwaitingSDSPayload)
        guard case .sdsReceived(let sds) = parser.parse("8004").first else { Issue.record("no SDS"); return }
        #expect(sds.header.aiService == 13 && sds.header.calling?.issi == "9876543" && sds.header.called?.issi == "1234567")
        #expect(sds.header.lengthBits == 16)
        #expect(sds.content == .status(StatusValue(0x8004)))
    }

    @Test func shortSDSHeaderForms() {
        #expect(PEIParser.parseLine("+CTSDSR: 12,1234,96") == .sdsHeader(SDSHeader(aiService: 12, calling: nil, callingType: nil, called: TetraIdentity("1234"), calledType: nil, lengthBits: 96)))
        #expect(PEIParser.parseLine("+CTSDSR: 12,1234,0,96") == .sdsHeader(SDSHeader(aiService: 12, calling: nil, callingType: nil, called: TetraIdentity("1234"), calledType: 0, lengthBits: 96)))
        #expect(PEIParser.parseLine("+CTSDSR: 12,5,0,1234,0,96,1") == .sdsHeader(SDSHeader(aiService: 12, calling: TetraIdentity("5"), callingType: 0, called: TetraIdentity("1234"), calledType: 0, lengthBits: 96, endToEndEncryption: 1)))
    }

    // MARK: +CMGS, transcript §1a

    @Test func sdsSendTranscript() {
        var parser = PEIParser()
        let lines = ["OK", "+CMGS: 0", "OK", "+CMGS: 0,4,7", "OK"]
        #expect(lines.flatMap { parser.parse($0) } == [
            .ok, .sdsAccepted(instance: 0), .ok,
            .sdsTransferStatus(SDSTransferStatus(instance: 0, status: 4, reference: 7)), .ok,
        ])
        #expect(SDSTransferStatus(instance: 0, status: 4, reference: 7).statusText == "outgoing message successfully sent")
        #expect(SDSTransferStatus(instance: 0, status: 5, reference: 7).hasFailed)
    }

    // MARK: Results and leniency

    @Test func finalResultsAndErrors() {
        #expect(PEIParser.parseLine("OK") == .ok)
        #expect(PEIParser.parseLine("ERROR") == .error)
        #expect(PEIParser.parseLine("+CME ERROR: 35") == .cmeError(CMEError(code: 35)))
        #expect(CMEError(code: 35).text == "syntax error")
        #expect(CMEError(code: 32).text == "user data decoding failed")
        #expect(CMEError(code: 42).isRetryable && !CMEError(code: 35).isRetryable)
        #expect(CMEError(code: 99).text == "error code 99")
        #expect(PEIParser.parseLine("+CMS ERROR: 500") == .cmsError(code: 500))
        #expect(PEIParser.parseLine("+CME ERROR: 30").isFinalResult)
        #expect(!PEIParser.parseLine("+CTCR: 1,1").isFinalResult)
    }

    @Test func lenientSpacingAndTrailingFields() {
        #expect(PEIParser.parseLine("+CTXG:2,3,0,0,0,6101629,9,9") == PEIParser.parseLine("+CTXG: 2,3,0,0,0,6101629"))
        #expect(PEIParser.parseLine("+CME ERROR:42") == .cmeError(CMEError(code: 42)))
        #expect(PEIParser.parseLine("+CTCR:  4 , 1 ,7") == .callReleased(CallRelease(instance: 4, cause: 1)))
        #expect(PEIParser.parseLine("+CMGS:3") == .sdsAccepted(instance: 3))
        #expect(PEIParser.parseLine("+CTGS: 1,\"1000\"") == .groupSelection(GroupSelection(groupType: 1, group: TetraIdentity("1000")!)))
    }

    @Test func ownTransmissionHasNoTalker() {
        #expect(PEIParser.parseLine("+CTXG: 1,0,0,0") == .transmissionGranted(TransmissionGrant(instance: 1, grant: 0, requestPermission: 0, endToEndEncryption: 0)))
    }

    @Test func signalAndBattery() {
        #expect(PEIParser.parseLine("+CSQ: 20,99") == .signalQuality(SignalQuality(value: 20)))
        #expect(SignalQuality(value: 20).dBm == -73)
        #expect(SignalQuality(value: 99).dBm == nil)
        #expect(PEIParser.parseLine("+CBC: 0,80") == .battery(BatteryCharge(status: 0, chargePercent: 80)))
    }

    @Test func promptEchoAndUnknown() {
        #expect(PEIParser.parseLine(">") == .prompt)
        #expect(PEIParser.parseLine("> ") == .prompt)
        #expect(PEIParser.parseLine("> OK") == .ok)
        #expect(PEIParser.parseLine("ATE0") == .echo("ATE0"))
        #expect(PEIParser.parseLine("+CTICN: x") == .unknown("+CTICN: x"))
        #expect(PEIParser.parseLine("hello") == .unknown("hello"))
        #expect(PEIParser.parseLine("8004") == .unknown("8004"))
    }

    @Test func identityNormalisation() {
        #expect(TetraIdentity("02269001")?.issi == "2269001")
        #expect(TetraIdentity("09011638302269001")?.issi == "2269001")
        #expect(TetraIdentity("00000000")?.issi == "0")
        #expect(TetraIdentity("123456789012345678") == nil)
        #expect(TetraIdentity("12a") == nil)
        #expect(TetraIdentity("") == nil)
    }

    // MARK: Orphaned SDS headers

    @Test func headerFollowedByAURCIsAnOrphan() {
        var parser = PEIParser()
        #expect(parser.parse("+CTSDSR: 12,23404,0,23401,0,112").isEmpty)
        #expect(parser.parse("+CTXG: 2,3,0,0,0,6101629") == [PEIParser.parseLine("+CTXG: 2,3,0,0,0,6101629")])
        #expect(parser.orphanedSDSHeaders == 1)
        #expect(parser.parse("OK") == [.ok])
    }

    @Test func headerFollowedByAnotherHeaderKeepsTheSecond() {
        var parser = PEIParser()
        _ = parser.parse("+CTSDSR: 12,23404,0,23401,0,112")
        #expect(parser.parse("+CTSDSR: 13,1234567,0,2345678,0,16").isEmpty)
        #expect(parser.orphanedSDSHeaders == 1)
        guard case .sdsReceived(let sds) = parser.parse("0000").first else { Issue.record("no SDS"); return }
        #expect(sds.header.aiService == 13)
        #expect(sds.content == .status(StatusValue(0)))
        #expect(StatusValue(0).isEmergency)
    }

    @Test func headerThenFinalResultIsAnOrphan() {
        var parser = PEIParser()
        _ = parser.parse("+CTSDSR: 12,23404,0,23401,0,112")
        #expect(parser.parse("OK") == [.ok])
        #expect(parser.orphanedSDSHeaders == 1)
        _ = parser.parse("+CTSDSR: 12,23404,0,23401,0,112")
        parser.reset()
        #expect(parser.orphanedSDSHeaders == 2)
        #expect(parser.parse("8004") == [.unknown("8004")])
    }

    @Test func randomLinesNeverCrashTheParser() {
        var random = SeededGenerator(seed: 42)
        let alphabet = Array("+CTICNXGDSRMEOK:, 0123456789ABCDEF>\"-".unicodeScalars)
        var parser = PEIParser()
        for _ in 0..<5_000 {
            let prefixes = ["+CTICN:", "+CTXG:", "+CDTXC:", "+CTCR:", "+CTSDSR:", "+CMGS:", "+CNUMF:", "+CTGS:", "+CSQ:", "+CBC:", "+CME ERROR:", "+CTCC:", ""]
            var line = prefixes.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 0...40, using: &random) {
                line.unicodeScalars.append(alphabet.randomElement(using: &random)!)
            }
            for message in parser.parse(line) {
                if case .unknown(let text) = message { #expect(text == line) }
            }
        }
    }
}
