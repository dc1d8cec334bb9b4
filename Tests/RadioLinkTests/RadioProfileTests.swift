import Foundation
import RadioLink
import TianyanModel
import Testing

/// The repository's `firmware-profiles` directory, found from this file's path.
private let profilesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("firmware-profiles").path

private let shippedNames = ["generic-pei", "hytera-hrnp", "hytera-hstrp", "jt808", "motorola-mtm5400", "sepura-srg"]

/// A valid profile to break one piece at a time.
private let goodYAML = """
vendor: Test
model: T1
description: a radio for tests
sources:
  serial: "assumed: test"
  init_commands: "assumed: test"
  keep_alive_seconds: "assumed: test"
  command_timeout_seconds: "assumed: test"
  sync_attempts: "assumed: test"
  sds_service_command: "assumed: test"
  page_delivery_report: "assumed: test"
  max_page_bits: "assumed: test"
  acknowledge_incoming_texts: "assumed: test"
  call_orphan_timeout_seconds: "assumed: test"
  emergency_priority: "assumed: test"
  group_paging_allowed: "assumed: test"
  status_callouts_allowed: "assumed: test"
  statuses: "EN 300 392-2 Table 14.72"
  quirks: "assumed: test"
serial: { baud: 9600, data_bits: 8, parity: even, stop_bits: 2, flow_control: rtscts }
init_commands: [ATE0, "AT+CTSP=1,3,10"]
keep_alive_seconds: 20
command_timeout_seconds: 2.5
sync_attempts: 4
sds_service_command: AT+CTSDS=12,0
page_delivery_report: received
max_page_bits: 400
acknowledge_incoming_texts: false
call_orphan_timeout_seconds: 60
emergency_priority: 14
group_paging_allowed: false
status_callouts_allowed: true
statuses:
  0: { meaning: emergency, label: Emergency }
  0x8003: { meaning: en_route, label: "Status 1" }
  32772: { meaning: on_scene, label: "Status 2" }
quirks: { sds_length_mismatch_tolerated: false, cmgs_needs_ctsds: true, max_line_length: 1024 }

"""

/// `goodYAML` with `old` replaced by `new` (which must occur exactly once).
private func variant(_ old: String, _ new: String) -> String {
    precondition(goodYAML.components(separatedBy: old).count == 2, "\(old) must occur once")
    return goodYAML.replacingOccurrences(of: old, with: new)
}

private func problems(_ yaml: String) -> [String] {
    do {
        _ = try RadioProfiles.parse(yaml: yaml, name: "test-radio")
        return []
    } catch let error as RadioProfileErrors {
        return error.problems
    } catch {
        return ["\(error)"]
    }
}

@Suite struct RadioProfileTests {
    @Test func everyShippedProfileLoads() throws {
        #expect(RadioProfiles.problems(directory: profilesDirectory) == [])
        let profiles = try RadioProfiles.load(directory: profilesDirectory)
        #expect(profiles.keys.sorted() == shippedNames)
        #expect(profiles[RadioProfiles.defaultProfileName] != nil)
        for (name, profile) in profiles where profile.protocolName == "tetra-pei" {
            #expect(profile.name == name)
            #expect(profile.status(0)?.meaning == .emergency, "\(name): status 0")
            for command in profile.initCommands { #expect(throws: Never.self) { try PEICommand(command) } }
            // Every setting carries a source note.
            for key in ["serial.baud", "init_commands", "keep_alive_seconds", "max_page_bits", "quirks.max_line_length", "statuses.0"] {
                #expect(profile.sources[key] != nil || profile.sources[String(key.split(separator: ".")[0])] != nil, "\(name): \(key)")
            }
        }
        // The NDA-covered Sepura values are marked as assumptions, status 0 is not.
        let sepura = try #require(profiles["sepura-srg"])
        #expect(sepura.isAssumed("serial.baud"))
        #expect(sepura.isAssumed("init_commands"))
        #expect(!sepura.isAssumed("statuses.0"))
        let motorola = try #require(profiles["motorola-mtm5400"])
        #expect(motorola.serial == RadioSerialSettings(baudRate: 115_200, dataBits: 8, parity: .none, stopBits: 1, flowControl: .none))
        #expect(!motorola.isAssumed("serial.baud"))
        #expect(motorola.initCommands.contains("AT+CTSP=1,3,10"))
        #expect(motorola.status(0x8005)?.meaning == .enRoute)
        #expect(motorola.status(0x8005)?.label == "Status 3: call accepted, en route")
        #expect(motorola.status(0x1234) == nil)
        // The Hytera profile: every value sourced or marked assumed; the session timers as written.
        let hytera = try #require(profiles["hytera-hrnp"])
        #expect(hytera.protocolName == "hytera-hrnp" && hytera.serial.baudRate == 115_200)
        #expect(hytera.ip == RadioIPSettings(retransmitSeconds: 2, attempts: 3, connectRetrySeconds: 5, keepAliveSeconds: 30,
                                             registrationRenewSeconds: 1800, pageAnswerSeconds: 60, radioSubnet: 10))
        #expect(!hytera.isAssumed("registration_renew_seconds") && hytera.isAssumed("retransmit_seconds"))
    }

    @Test func ipProfilesAreCheckedKeyByKey() {
        let base = """
        protocol: hytera-hrnp
        vendor: Hytera
        model: M
        description: d
        sources: {serial: s, retransmit_seconds: s, attempts: s, connect_retry_seconds: s, keep_alive_seconds: s,
                  registration_renew_seconds: s, page_answer_seconds: s, call_orphan_timeout_seconds: s, group_paging_allowed: s, radio_subnet: s}
        serial: {baud: 115200, data_bits: 8, parity: none, stop_bits: 1, flow_control: none}
        retransmit_seconds: 2
        attempts: 3
        connect_retry_seconds: 5
        keep_alive_seconds: 30
        registration_renew_seconds: 1800
        page_answer_seconds: 60
        call_orphan_timeout_seconds: 180
        group_paging_allowed: true
        radio_subnet: 10
        """
        #expect(problems(base) == [])
        #expect(problems(base.replacingOccurrences(of: "protocol: hytera-hrnp", with: "protocol: hytera-udp")).contains {
            $0.contains("protocol") && $0.contains("hytera-hrnp")
        })
        #expect(problems(base.replacingOccurrences(of: "attempts: 3", with: "attempts: 0")).contains { $0.contains("attempts") })
        #expect(problems(base.replacingOccurrences(of: "\nradio_subnet: 10", with: "")).contains { $0.contains("radio_subnet: is missing") })
        #expect(problems(base + "\ninit_commands: [ATZ]").contains { $0.contains("init_commands") }, "a PEI key in an HRNP profile is an error")
        #expect(problems(base.replacingOccurrences(of: ", radio_subnet: s}", with: "}")).contains { $0.contains("radio_subnet") },
                "every setting needs a source")
    }

    @Test func genericProfileIsTheEngineDefault() throws {
        let generic = try #require(try RadioProfiles.load(directory: profilesDirectory)[RadioProfiles.defaultProfileName])
        let fromProfile = generic.engineConfiguration(gateway: "gw-1")
        let defaults = PEIEngine.Configuration(gateway: "gw-1")
        #expect(fromProfile.gateway == "gw-1")
        #expect(fromProfile.initCommands == defaults.initCommands)
        #expect(fromProfile.commandTimeout == defaults.commandTimeout)
        #expect(fromProfile.keepAliveInterval == defaults.keepAliveInterval)
        #expect(fromProfile.syncAttempts == defaults.syncAttempts)
        #expect(fromProfile.sdsServiceCommand == defaults.sdsServiceCommand)
        #expect(fromProfile.pageDeliveryReport == defaults.pageDeliveryReport)
        #expect(fromProfile.maximumPageBits == defaults.maximumPageBits)
        #expect(fromProfile.acknowledgeIncomingTexts == defaults.acknowledgeIncomingTexts)
        #expect(fromProfile.callOrphanTimeout == defaults.callOrphanTimeout)
        #expect(fromProfile.emergencyPriority == defaults.emergencyPriority)
        #expect(fromProfile.maximumLineLength == defaults.maximumLineLength)
        #expect(fromProfile.toleratesSDSLengthMismatch == defaults.toleratesSDSLengthMismatch)
        #expect(generic.serial == RadioSerialSettings(baudRate: 38_400, dataBits: 8, parity: .none, stopBits: 1, flowControl: .rtsCts))
        #expect((0x8002...0x800B).allSatisfy { generic.status(UInt16($0)) != nil })
    }

    @Test func everyValueReachesTheEngineConfiguration() throws {
        let profile = try RadioProfiles.parse(yaml: goodYAML, name: "test-radio")
        #expect(profile.serial == RadioSerialSettings(baudRate: 9600, dataBits: 8, parity: .even, stopBits: 2, flowControl: .rtsCts))
        #expect(profile.groupPagingAllowed == false)
        #expect(profile.statusCalloutsAllowed == true)
        #expect(profile.status(0x8003) == RadioStatusMeaning(value: 0x8003, meaning: .enRoute, label: "Status 1"))
        #expect(profile.status(0x8004)?.meaning == .onScene, "32772 in decimal is 0x8004")
        let c = profile.engineConfiguration(gateway: "gw-2")
        #expect(c.gateway == "gw-2")
        #expect(c.initCommands == ["ATE0", "AT+CTSP=1,3,10"])
        #expect(c.keepAliveInterval == 20)
        #expect(c.commandTimeout == 2.5)
        #expect(c.syncAttempts == 4)
        #expect(c.sdsServiceCommand == "AT+CTSDS=12,0")
        #expect(c.pageDeliveryReport == .received)
        #expect(c.maximumPageBits == 400)
        #expect(c.acknowledgeIncomingTexts == false)
        #expect(c.callOrphanTimeout == 60)
        #expect(c.emergencyPriority == 14)
        #expect(c.maximumLineLength == 1024)
        #expect(c.toleratesSDSLengthMismatch == false)
        let none = try RadioProfiles.parse(yaml: variant("sds_service_command: AT+CTSDS=12,0", "sds_service_command: none")
            .replacingOccurrences(of: "cmgs_needs_ctsds: true", with: "cmgs_needs_ctsds: false"), name: "test-radio")
        #expect(none.engineConfiguration(gateway: "g").sdsServiceCommand == nil)
    }

    @Test func strictLengthQuirkReportsMismatchedSDSUndecoded() throws {
        let profile = try RadioProfiles.parse(yaml: goodYAML, name: "test-radio")
        var engine = PEIEngine(configuration: profile.engineConfiguration(gateway: "gw"))
        let now = Timestamp(milliseconds: 0)
        // 84 bits declared, 22 digits (88 bits): octet padding, still decoded.
        var actions = engine.handle(.lineReceived("+CTSDSR: 12,2269001,0,9999,0,84", at: now))
        actions += engine.handle(.lineReceived("0A00893E12472C51026810", at: now))
        #expect(actions.contains { if case .emit(.position) = $0 { true } else { false } })
        // 112 bits declared, 88 sent: undecoded with the reason.
        actions = engine.handle(.lineReceived("+CTSDSR: 12,2269001,0,9999,0,112", at: now))
        actions += engine.handle(.lineReceived("0A00893E12472C51026810", at: now))
        let reasons = actions.compactMap { action -> String? in
            if case .emit(.sds(_, .undecoded(_, _, let reason), _, _)) = action { return reason }
            return nil
        }
        #expect(reasons == ["the header declares 112 bits but the payload has 88 (22 hex digits)"])
        // The tolerant default decodes the same pair.
        var tolerant = PEIEngine(configuration: .init(gateway: "gw"))
        actions = tolerant.handle(.lineReceived("+CTSDSR: 12,2269001,0,9999,0,112", at: now))
        actions += tolerant.handle(.lineReceived("0A00893E12472C51026810", at: now))
        #expect(actions.contains { if case .emit(.position) = $0 { true } else { false } })
    }

    @Test(arguments: [
        // (what is broken, the YAML, text every problem list must contain)
        ("unknown top-level key", variant("keep_alive_seconds: 20", "keep_alive_secs: 20"),
         "test-radio.yaml: keep_alive_secs: unknown key (did you mean keep_alive_seconds?)"),
        ("unknown nested key", variant("stop_bits: 2", "stopbits: 2"), "serial.stopbits: unknown key (did you mean serial.stop_bits?)"),
        ("unknown status key", variant("label: Emergency", "label: Emergency, colour: red"), "statuses.0.colour: unknown key"),
        ("AT command with ;", variant("[ATE0,", "[\"ATE0;ATH\","), "init_commands[0]: command \"ATE0;ATH\" must be a single AT command of printable ASCII without ';'"),
        ("AT command with CR", variant("[ATE0,", "[\"ATE0\\rATH\","), "init_commands[0]: command \"ATE0\\rATH\" must be a single AT command"),
        ("not an AT command", variant("[ATE0,", "[reboot,"), "init_commands[0]: command \"reboot\" must be a single AT command"),
        ("status 0 not emergency", variant("0: { meaning: emergency, label: Emergency }", "0: { meaning: available, label: Free }"),
         "statuses.0.meaning: status 0 is the emergency status (EN 300 392-2 Table 14.72); its meaning must be emergency, not available"),
        ("status 0 missing", variant("  0: { meaning: emergency, label: Emergency }\n", ""), "statuses: must list status 0 with meaning emergency"),
        ("bad baud", variant("baud: 9600", "baud: 9601"), "serial.baud: 9601 is not a standard rate; use one of 1200, 2400"),
        ("baud not a number", variant("baud: 9600", "baud: fast"), "serial.baud: \"fast\" must be a whole number"),
        ("missing required field", variant("max_page_bits: 400\n", ""), "test-radio.yaml: max_page_bits: is missing"),
        ("missing serial field", variant("parity: even, ", ""), "serial.parity: is missing"),
        ("bad hex status", variant("0x8003:", "0x8G03:"), "statuses.0x8G03: \"0x8G03\" is not a 16-bit status value; write it in decimal (32770) or hex (0x8002)"),
        ("status beyond 16 bits", variant("0x8003:", "0x18003:"), "statuses.0x18003: \"0x18003\" is not a 16-bit status value"),
        ("same status twice", variant("32772:", "0x8003:").replacingOccurrences(of: "0x8003: { meaning: en_route", with: "32771: { meaning: en_route"),
         "statuses.0x8003: is the same value as statuses.32771"),
        ("short-report range", variant("0x8003:", "0x7C03:"), "statuses.0x7C03: values 0x7C00-0x7FFF carry SDS-TL short reports"),
        ("unknown meaning", variant("meaning: en_route", "meaning: enroute"), "statuses.0x8003.meaning: \"enroute\" must be one of accepted, available, done"),
        ("bad flow control", variant("flow_control: rtscts", "flow_control: xonxoff"), "serial.flow_control: \"xonxoff\" must be one of none, rtscts"),
        ("bool as text", variant("group_paging_allowed: false", "group_paging_allowed: nope"), "group_paging_allowed: \"nope\" must be true or false"),
        ("priority out of range", variant("emergency_priority: 14", "emergency_priority: 16"), "emergency_priority: 16 is outside 0-15"),
        ("service command not CTSDS", variant("sds_service_command: AT+CTSDS=12,0", "sds_service_command: ATH"), "sds_service_command: \"ATH\" must be an AT+CTSDS=… command"),
        ("quirk needs service command", variant("sds_service_command: AT+CTSDS=12,0", "sds_service_command: none"), "quirks.cmgs_needs_ctsds says this radio refuses AT+CMGS without AT+CTSDS"),
        ("no source note", variant("  max_page_bits: \"assumed: test\"\n", ""), "sources: no source note for max_page_bits"),
        ("source for no setting", variant("  quirks: \"assumed: test\"", "  quirks: \"assumed: test\"\n  serial.speed: x"), "sources.serial.speed: names no setting"),
        ("not YAML", "vendor: [unclosed", "test-radio.yaml: not valid YAML"),
        ("duplicate key", variant("vendor: Test", "vendor: Test\nvendor: Other"), "test-radio.yaml: not valid YAML"),
    ])
    func badProfileGivesAClearProblem(_ broken: String, _ yaml: String, _ expected: String) {
        let found = problems(yaml)
        #expect(found.contains { $0.contains(expected) }, "\(broken): \(found)")
        #expect(found.allSatisfy { $0.hasPrefix("test-radio.yaml: ") }, "\(broken): every problem names the file")
    }

    @Test func directoryProblemsNameEveryFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("radio-profiles-\(UUID().uuidString)")
        let radios = dir.appendingPathComponent("radios")
        try FileManager.default.createDirectory(at: radios, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try goodYAML.write(to: radios.appendingPathComponent("good-radio.yaml"), atomically: true, encoding: .utf8)
        try variant("baud: 9600", "baud: 9601").write(to: radios.appendingPathComponent("bad-baud.yaml"), atomically: true, encoding: .utf8)
        try variant("keep_alive_seconds: 20", "keepalive: 20").write(to: radios.appendingPathComponent("typo.yaml"), atomically: true, encoding: .utf8)
        try goodYAML.write(to: radios.appendingPathComponent("Bad_Name.yaml"), atomically: true, encoding: .utf8)

        let found = RadioProfiles.problems(directory: dir.path)
        let badBaud = radios.appendingPathComponent("bad-baud.yaml").path
        let typo = radios.appendingPathComponent("typo.yaml").path
        #expect(found.contains { $0.hasPrefix("\(badBaud): serial.baud: 9601") })
        #expect(found.contains { $0.hasPrefix("\(typo): keepalive: unknown key") })
        #expect(found.contains { $0.hasPrefix("\(typo): keep_alive_seconds: is missing") })
        #expect(found.contains { $0.contains("Bad_Name.yaml: the file name \"Bad_Name\" must be lower-case") })
        #expect(!found.contains { $0.contains("good-radio.yaml") })
        #expect(throws: RadioProfileErrors.self) { try RadioProfiles.load(directory: dir.path) }

        // The radios folder itself works too, and a good directory loads.
        for name in ["bad-baud.yaml", "typo.yaml", "Bad_Name.yaml"] { try FileManager.default.removeItem(at: radios.appendingPathComponent(name)) }
        #expect(try RadioProfiles.load(directory: radios.path).keys.sorted() == ["good-radio"])
        #expect(RadioProfiles.problems(directory: dir.appendingPathComponent("nowhere").path).first?.contains("no such directory") == true)
    }
}
