import Foundation
import Yams

/// Every problem found in radio profiles, each as `file: message`.
public struct RadioProfileErrors: Error, Hashable, Sendable, CustomStringConvertible {
    public var problems: [String]

    public init(problems: [String]) { self.problems = problems }

    public var description: String { problems.joined(separator: "\n") }
}

/// Loads and validates the radio profiles in `firmware-profiles/radios/`.
///
/// The YAML is read node by node, not through `Decodable`, so that an unknown key (a typo) is an
/// error and every problem can name its key and line.
public enum RadioProfiles {
    /// The profile a gateway uses when its configuration names none.
    public static let defaultProfileName = "generic-pei"

    /// Every `*.yaml` in `directory/radios` (or in `directory` itself when it has no `radios`
    /// folder), keyed by file stem. Throws `RadioProfileErrors` listing every problem of every
    /// file as `file: message`.
    public static func load(directory: String) throws -> [String: RadioProfile] {
        let (profiles, problems) = scan(directory: directory)
        guard problems.isEmpty else { throw RadioProfileErrors(problems: problems) }
        return profiles
    }

    /// What is wrong with the profiles in `directory`, as `file: message` lines; empty when all load.
    public static func problems(directory: String) -> [String] {
        scan(directory: directory).problems
    }

    /// Parses one profile from YAML text; `name` is its file stem and `file` names it in problems.
    public static func parse(yaml: String, name: String, file: String? = nil) throws -> RadioProfile {
        let file = file ?? "\(name).yaml"
        var reader = ProfileReader(file: file)
        let profile = reader.profile(yaml: yaml, name: name)
        guard let profile, reader.problems.isEmpty else { throw RadioProfileErrors(problems: reader.problems) }
        return profile
    }

    private static func scan(directory: String) -> (profiles: [String: RadioProfile], problems: [String]) {
        let radios = (directory as NSString).appendingPathComponent("radios")
        var isDirectory: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: radios, isDirectory: &isDirectory) && isDirectory.boolValue ? radios : directory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            return ([:], ["\(folder): no such directory; pass the firmware-profiles directory (profiles_dir)"])
        }
        let files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        guard !files.isEmpty else { return ([:], ["\(folder): no radio profiles (*.yaml) found"]) }
        var profiles: [String: RadioProfile] = [:]
        var problems: [String] = []
        for file in files {
            let path = (folder as NSString).appendingPathComponent(file)
            let name = (file as NSString).deletingPathExtension
            if profiles[name] != nil {
                problems.append("\(path): profile name \(name) is already used by another file (\(name).yaml and \(name).yml)")
                continue
            }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                problems.append("\(path): cannot be read as UTF-8 text")
                continue
            }
            do {
                profiles[name] = try parse(yaml: text, name: name, file: path)
            } catch let error as RadioProfileErrors {
                problems += error.problems
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        return (profiles, problems)
    }
}

/// Walks one profile's YAML tree, collecting problems instead of stopping at the first.
private struct ProfileReader {
    let file: String
    var problems: [String] = []

    init(file: String) { self.file = file }

    /// The protocols a profile may name (`protocol:`); `tetra-pei` when it names none.
    static let protocols = ["tetra-pei", "hytera-hrnp", "hytera-hstrp", "jt808"]
    /// The keys of a JT/T 808 profile (a platform for PoC handsets and vehicle terminals).
    static let jt808Keys: [String] = [
        "vendor", "model", "description", "sources", "protocol", "idle_seconds", "package_seconds", "page_answer_seconds",
        "pending_page_seconds", "require_authentication", "max_connections",
    ]
    /// The keys of a Hytera HRNP profile (a radio on a cable or a socket).
    static let hrnpKeys: [String] = [
        "vendor", "model", "description", "sources", "protocol", "serial", "retransmit_seconds", "attempts", "connect_retry_seconds",
        "keep_alive_seconds", "registration_renew_seconds", "page_answer_seconds", "call_orphan_timeout_seconds", "group_paging_allowed",
        "radio_subnet",
    ]
    /// The keys of a Hytera HSTRP profile (a repeater's feed over UDP).
    static let hstrpKeys: [String] = [
        "vendor", "model", "description", "sources", "protocol", "port_offsets", "retransmit_seconds", "attempts", "silence_seconds",
        "registration_renew_seconds", "page_answer_seconds", "call_orphan_timeout_seconds", "group_paging_allowed", "radio_subnet",
    ]
    /// The services of a repeater feed, each on one port per slot.
    static let feedServices = ["rrs", "gps", "telemetry", "tms", "call_control"]
    /// The keys of this profile, by its protocol.
    var topLevelKeys: [String] = Self.peiKeys

    static let peiKeys: [String] = [
        "vendor", "model", "description", "sources", "protocol", "serial", "init_commands", "keep_alive_seconds",
        "command_timeout_seconds", "sync_attempts", "sds_service_command", "page_delivery_report", "max_page_bits",
        "acknowledge_incoming_texts", "call_orphan_timeout_seconds", "emergency_priority", "group_paging_allowed",
        "status_callouts_allowed", "statuses", "quirks",
    ]
    static let serialKeys = ["baud", "data_bits", "parity", "stop_bits", "flow_control"]
    static let quirkKeys = ["sds_length_mismatch_tolerated", "cmgs_needs_ctsds", "max_line_length"]
    /// Keys that are descriptions, not settings: they need no source note.
    static let unsourcedKeys: Set<String> = ["vendor", "model", "description", "sources", "protocol"]
    static let deliveryReports: [String: DeliveryReportRequest] = [
        "none": DeliveryReportRequest.none, "received": .received, "consumed": .consumed, "received_and_consumed": .receivedAndConsumed,
    ]

    mutating func problem(_ key: String, _ message: String, _ node: Node? = nil) {
        let line = node?.mark.map { " (line \($0.line))" } ?? ""
        problems.append("\(file): \(key.isEmpty ? "" : key + ": ")\(message)\(line)")
    }

    mutating func profile(yaml: String, name: String) -> RadioProfile? {
        if name.isEmpty || !name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) {
            problem("", "the file name \"\(name)\" must be lower-case letters, digits and dashes (it is the profile name)")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            problem("", "not valid YAML: \(String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " "))")
            return nil
        }
        guard let root, let top = mapping(root, key: "the document") else {
            if root == nil { problem("", "the file is empty") }
            return nil
        }
        var protocolName = "tetra-pei"
        if let node = top.first(where: { $0.key.scalar?.string == "protocol" })?.value, let name = text(node, key: "protocol") {
            if Self.protocols.contains(name) { protocolName = name } else {
                problem("protocol", "\"\(name)\" is not a protocol Tianyan speaks; use one of \(Self.protocols.joined(separator: ", "))", node)
            }
        }
        topLevelKeys = switch protocolName {
        case "hytera-hrnp": Self.hrnpKeys
        case "hytera-hstrp": Self.hstrpKeys
        case "jt808": Self.jt808Keys
        default: Self.peiKeys
        }
        let fields = entries(top, allowed: topLevelKeys, prefix: "")
        func required(_ key: String) -> Node? {
            if let node = fields[key] { return node }
            problem(key, "is missing (every profile must give it; see firmware-profiles/README.md)")
            return nil
        }
        if protocolName != "tetra-pei" {
            return ipProfile(name: name, protocolName: protocolName, fields: fields)
        }

        let vendor = required("vendor").flatMap { text($0, key: "vendor") } ?? ""
        let model = required("model").flatMap { text($0, key: "model") } ?? ""
        let description = required("description").flatMap { text($0, key: "description") } ?? ""
        let serial = required("serial").flatMap { serialSettings($0) }
        let initCommands = required("init_commands").flatMap { commands($0) }
        let keepAlive = required("keep_alive_seconds").flatMap { seconds($0, key: "keep_alive_seconds", 1...3600) }
        let commandTimeout = required("command_timeout_seconds").flatMap { seconds($0, key: "command_timeout_seconds", 0.1...300) }
        let syncAttempts = required("sync_attempts").flatMap { integer($0, key: "sync_attempts", 1...20) }
        let service: String?? = required("sds_service_command").flatMap { serviceCommand($0) }
        let deliveryReport = required("page_delivery_report").flatMap { choice($0, key: "page_delivery_report", Self.deliveryReports) }
        let maxBits = required("max_page_bits").flatMap { integer($0, key: "max_page_bits", 40...2047) }
        let acknowledge = required("acknowledge_incoming_texts").flatMap { boolean($0, key: "acknowledge_incoming_texts") }
        let orphan = required("call_orphan_timeout_seconds").flatMap { seconds($0, key: "call_orphan_timeout_seconds", 10...86_400) }
        let priority = required("emergency_priority").flatMap { integer($0, key: "emergency_priority", 0...15) }
        let groupPaging = required("group_paging_allowed").flatMap { boolean($0, key: "group_paging_allowed") }
        let statusCallouts = required("status_callouts_allowed").flatMap { boolean($0, key: "status_callouts_allowed") }
        let statuses = required("statuses").flatMap { statusTable($0) }
        let quirks = required("quirks").flatMap { quirkSettings($0) }
        let sources = required("sources").flatMap { sourceNotes($0, fields: fields, statuses: statuses) }

        if let quirks, quirks.cmgsNeedsServiceSelection, case .some(.none) = service {
            problem("sds_service_command", "is none, but quirks.cmgs_needs_ctsds says this radio refuses AT+CMGS without AT+CTSDS first; give the command (e.g. AT+CTSDS=12,0,0,0,1)", fields["sds_service_command"])
        }

        guard problems.isEmpty, let serial, let initCommands, let keepAlive, let commandTimeout, let syncAttempts,
              let service, let deliveryReport, let maxBits, let acknowledge, let orphan, let priority, let groupPaging,
              let statusCallouts, let statuses, let quirks, let sources
        else { return nil }
        return RadioProfile(
            name: name, vendor: vendor, model: model, description: description, sources: sources, serial: serial,
            initCommands: initCommands, keepAliveInterval: keepAlive, commandTimeout: commandTimeout,
            syncAttempts: syncAttempts, sdsServiceCommand: service, pageDeliveryReport: deliveryReport,
            maximumPageBits: maxBits, acknowledgeIncomingTexts: acknowledge, callOrphanTimeout: orphan,
            emergencyPriority: priority, groupPagingAllowed: groupPaging, statusCalloutsAllowed: statusCallouts,
            statuses: statuses, quirks: quirks)
    }

    /// A radio-over-IP profile (Hytera HRNP): its timers and paging policy, and the serial
    /// settings for a radio on an accessory cable.
    mutating func ipProfile(name: String, protocolName: String, fields: [String: Node]) -> RadioProfile? {
        for key in topLevelKeys where fields[key] == nil && key != "protocol" {
            problem(key, "is missing (every \(protocolName) profile must give it; see firmware-profiles/README.md)")
        }
        func required(_ key: String) -> Node? { fields[key] }
        if protocolName == "jt808" { return jt808Profile(name: name, fields: fields) }
        let feed = protocolName == "hytera-hstrp"
        let vendor = required("vendor").flatMap { text($0, key: "vendor") } ?? ""
        let model = required("model").flatMap { text($0, key: "model") } ?? ""
        let description = required("description").flatMap { text($0, key: "description") } ?? ""
        let serial = feed ? RadioSerialSettings(baudRate: 115_200) : required("serial").flatMap { serialSettings($0) }
        let retransmit = required("retransmit_seconds").flatMap { seconds($0, key: "retransmit_seconds", 0.1...60) }
        let attempts = required("attempts").flatMap { integer($0, key: "attempts", 1...10) }
        let connectRetry = feed ? 5 : required("connect_retry_seconds").flatMap { seconds($0, key: "connect_retry_seconds", 0.5...300) }
        let keepAlive = feed ? required("silence_seconds").flatMap { seconds($0, key: "silence_seconds", 5...3600) }
            : required("keep_alive_seconds").flatMap { seconds($0, key: "keep_alive_seconds", 1...3600) }
        let offsets: [String: [Int]]? = feed ? required("port_offsets").flatMap { portOffsets($0) } : [:]
        let renew = required("registration_renew_seconds").flatMap { integer($0, key: "registration_renew_seconds", 60...86_400) }
        let pageAnswer = required("page_answer_seconds").flatMap { seconds($0, key: "page_answer_seconds", 1...3600) }
        let orphan = required("call_orphan_timeout_seconds").flatMap { seconds($0, key: "call_orphan_timeout_seconds", 10...86_400) }
        let groupPaging = required("group_paging_allowed").flatMap { boolean($0, key: "group_paging_allowed") }
        let subnet = required("radio_subnet").flatMap { integer($0, key: "radio_subnet", 0...255) }
        let sources = required("sources").flatMap { sourceNotes($0, fields: fields, statuses: nil) }
        guard problems.isEmpty, let serial, let retransmit, let attempts, let connectRetry, let keepAlive, let renew, let pageAnswer,
              let orphan, let groupPaging, let subnet, let sources, let offsets
        else { return nil }
        var profile = RadioProfile(
            name: name, vendor: vendor, model: model, description: description, sources: sources, serial: serial, initCommands: [],
            keepAliveInterval: keepAlive, commandTimeout: retransmit, syncAttempts: attempts, sdsServiceCommand: nil,
            pageDeliveryReport: .none, maximumPageBits: 2047, acknowledgeIncomingTexts: true, callOrphanTimeout: orphan,
            emergencyPriority: 15, groupPagingAllowed: groupPaging, statusCalloutsAllowed: false, statuses: [:], quirks: RadioQuirks())
        profile.protocolName = protocolName
        profile.ip = RadioIPSettings(retransmitSeconds: retransmit, attempts: attempts, connectRetrySeconds: connectRetry,
                                     keepAliveSeconds: keepAlive, registrationRenewSeconds: renew, pageAnswerSeconds: pageAnswer,
                                     radioSubnet: UInt8(subnet), portOffsets: offsets)
        return profile
    }

    /// A JT/T 808 platform profile: connection timers, authentication, the connection limit.
    mutating func jt808Profile(name: String, fields: [String: Node]) -> RadioProfile? {
        let vendor = fields["vendor"].flatMap { text($0, key: "vendor") } ?? ""
        let model = fields["model"].flatMap { text($0, key: "model") } ?? ""
        let description = fields["description"].flatMap { text($0, key: "description") } ?? ""
        let idle = fields["idle_seconds"].flatMap { seconds($0, key: "idle_seconds", 10...86_400) }
        let package = fields["package_seconds"].flatMap { seconds($0, key: "package_seconds", 1...3600) }
        let pageAnswer = fields["page_answer_seconds"].flatMap { seconds($0, key: "page_answer_seconds", 1...3600) }
        let pending = fields["pending_page_seconds"].flatMap { seconds($0, key: "pending_page_seconds", 0...86_400) }
        let auth = fields["require_authentication"].flatMap { boolean($0, key: "require_authentication") }
        let maxConnections = fields["max_connections"].flatMap { integer($0, key: "max_connections", 1...1_000_000) }
        let sources = fields["sources"].flatMap { sourceNotes($0, fields: fields, statuses: nil) }
        guard problems.isEmpty, let idle, let package, let pageAnswer, let pending, let auth, let maxConnections, let sources else { return nil }
        var profile = RadioProfile(
            name: name, vendor: vendor, model: model, description: description, sources: sources, serial: RadioSerialSettings(baudRate: 115_200),
            initCommands: [], keepAliveInterval: idle, commandTimeout: package, syncAttempts: 1, sdsServiceCommand: nil, pageDeliveryReport: .none,
            maximumPageBits: 2047, acknowledgeIncomingTexts: true, callOrphanTimeout: 180, emergencyPriority: 15, groupPagingAllowed: false,
            statusCalloutsAllowed: false, statuses: [:], quirks: RadioQuirks())
        profile.protocolName = "jt808"
        profile.ip = RadioIPSettings(retransmitSeconds: package, attempts: 1, connectRetrySeconds: 0, keepAliveSeconds: idle,
                                     registrationRenewSeconds: 0, pageAnswerSeconds: pageAnswer, radioSubnet: 0,
                                     requireAuthentication: auth, maxConnections: maxConnections, pendingPageSeconds: pending)
        return profile
    }

    /// `port_offsets`: each feed service → `[slot 1 offset, slot 2 offset]` from the URL's port
    /// (0-99), every offset used once.
    mutating func portOffsets(_ node: Node) -> [String: [Int]]? {
        guard let map = mapping(node, key: "port_offsets") else { return nil }
        let f = entries(map, allowed: Self.feedServices, prefix: "port_offsets.")
        var out: [String: [Int]] = [:]
        var used: Set<Int> = []
        for service in Self.feedServices {
            guard let n = f[service] else {
                problem("port_offsets.\(service)", "is missing: give [slot 1 offset, slot 2 offset]", node)
                continue
            }
            guard let seq = n.sequence, seq.count == 2, let a = seq[0].int, let b = seq[1].int, (0...99).contains(a), (0...99).contains(b) else {
                problem("port_offsets.\(service)", "must be two offsets 0-99 from the URL's port, [slot 1, slot 2]", n)
                continue
            }
            for o in [a, b] where !used.insert(o).inserted {
                problem("port_offsets.\(service)", "offset \(o) is used twice; each service and slot needs a port of its own", n)
            }
            out[service] = [a, b]
        }
        return out.count == Self.feedServices.count && problems.isEmpty ? out : nil
    }

    // MARK: Sections

    mutating func serialSettings(_ node: Node) -> RadioSerialSettings? {
        guard let map = mapping(node, key: "serial") else { return nil }
        let f = entries(map, allowed: Self.serialKeys, prefix: "serial.")
        for key in Self.serialKeys where f[key] == nil { problem("serial.\(key)", "is missing", node) }
        var baud = f["baud"].flatMap { integer($0, key: "serial.baud", 1...10_000_000) }
        if let rate = baud, !RadioSerialSettings.supportedBaudRates.contains(rate) {
            problem("serial.baud", "\(rate) is not a standard rate; use one of \(RadioSerialSettings.supportedBaudRates.map(String.init).joined(separator: ", "))", f["baud"])
            baud = nil
        }
        let dataBits = f["data_bits"].flatMap { integer($0, key: "serial.data_bits", 7...8) }
        let parity = f["parity"].flatMap { choice($0, key: "serial.parity", Dictionary(uniqueKeysWithValues: RadioSerialSettings.Parity.allCases.map { ($0.rawValue, $0) })) }
        let stopBits = f["stop_bits"].flatMap { integer($0, key: "serial.stop_bits", 1...2) }
        let flow = f["flow_control"].flatMap { choice($0, key: "serial.flow_control", Dictionary(uniqueKeysWithValues: RadioSerialSettings.FlowControl.allCases.map { ($0.rawValue, $0) })) }
        guard let baud, let dataBits, let parity, let stopBits, let flow else { return nil }
        return RadioSerialSettings(baudRate: baud, dataBits: dataBits, parity: parity, stopBits: stopBits, flowControl: flow)
    }

    mutating func commands(_ node: Node) -> [String]? {
        guard case .sequence(let list) = node else {
            problem("init_commands", "must be a list of AT commands", node)
            return nil
        }
        var out: [String] = []
        var ok = true
        for (index, item) in list.enumerated() {
            let key = "init_commands[\(index)]"
            guard let command = text(item, key: key) else {
                ok = false
                continue
            }
            do {
                _ = try PEICommand(command)
            } catch {
                problem(key, "\(error.message)", item)
                ok = false
                continue
            }
            if command.uppercased().hasPrefix("AT+CMGS") {
                problem(key, "AT+CMGS sends an SDS and needs user data; it cannot be an init command", item)
                ok = false
            }
            out.append(command)
        }
        return ok ? out : nil
    }

    /// `none` (or YAML null) for no command, else an `AT+CTSDS=…` command.
    mutating func serviceCommand(_ node: Node) -> String?? {
        guard case .scalar(let scalar) = node else {
            problem("sds_service_command", "must be an AT+CTSDS command or none", node)
            return nil
        }
        if scalar.string == "none" || (scalar.style == .plain && ["", "~", "null"].contains(scalar.string)) { return .some(nil) }
        do {
            _ = try PEICommand(scalar.string)
        } catch {
            problem("sds_service_command", "\(error.message)", node)
            return nil
        }
        guard scalar.string.uppercased().hasPrefix("AT+CTSDS=") else {
            problem("sds_service_command", "\"\(scalar.string)\" must be an AT+CTSDS=… command (or none)", node)
            return nil
        }
        return .some(scalar.string)
    }

    mutating func statusTable(_ node: Node) -> [UInt16: RadioStatusMeaning]? {
        guard let map = mapping(node, key: "statuses") else { return nil }
        var table: [UInt16: RadioStatusMeaning] = [:]
        var written: [UInt16: String] = [:]
        var ok = true
        let meanings = Dictionary(uniqueKeysWithValues: RadioStatusMeaning.Kind.allCases.map { ($0.rawValue, $0) })
        for (keyNode, valueNode) in map {
            let raw = keyNode.scalar?.string ?? "?"
            let key = "statuses.\(raw)"
            guard let value = Self.statusValue(raw) else {
                problem(key, "\"\(raw)\" is not a 16-bit status value; write it in decimal (32770) or hex (0x8002), 0 to 0xFFFF", keyNode)
                ok = false
                continue
            }
            if let other = written[value] {
                problem(key, "is the same value as statuses.\(other)", keyNode)
                ok = false
                continue
            }
            written[value] = raw
            if (1...0x7BFF).contains(value) {
                problem(key, "values 1-0x7BFF are reserved (EN 300 392-2 Table 14.72); user statuses are 0x8000-0xFFFF", keyNode)
                ok = false
            } else if (0x7C00...0x7FFF).contains(value) {
                problem(key, "values 0x7C00-0x7FFF carry SDS-TL short reports, not statuses; user statuses are 0x8000-0xFFFF", keyNode)
                ok = false
            }
            guard let entry = mapping(valueNode, key: key) else {
                ok = false
                continue
            }
            let e = entries(entry, allowed: ["meaning", "label"], prefix: key + ".")
            let meaning = e["meaning"].flatMap { choice($0, key: key + ".meaning", meanings) }
            if e["meaning"] == nil { problem(key + ".meaning", "is missing (one of \(RadioStatusMeaning.Kind.allCases.map(\.rawValue).joined(separator: ", ")))", valueNode) }
            let label = e["label"].flatMap { text($0, key: key + ".label") }
            if e["label"] == nil { problem(key + ".label", "is missing (the text the dispatcher sees)", valueNode) }
            if let label, label.count > 64 || label.contains(where: \.isNewline) {
                problem(key + ".label", "must be one line of at most 64 characters", e["label"])
                ok = false
            }
            guard let meaning, let label else {
                ok = false
                continue
            }
            table[value] = RadioStatusMeaning(value: value, meaning: meaning, label: label)
        }
        if let zero = table[0], zero.meaning != .emergency {
            problem("statuses.\(written[0] ?? "0").meaning", "status 0 is the emergency status (EN 300 392-2 Table 14.72); its meaning must be emergency, not \(zero.meaning.rawValue)", node)
            ok = false
        } else if written[0] == nil {
            problem("statuses", "must list status 0 with meaning emergency (EN 300 392-2 Table 14.72)", node)
            ok = false
        }
        return ok ? table : nil
    }

    mutating func quirkSettings(_ node: Node) -> RadioQuirks? {
        guard let map = mapping(node, key: "quirks") else { return nil }
        let f = entries(map, allowed: Self.quirkKeys, prefix: "quirks.")
        for key in Self.quirkKeys where f[key] == nil { problem("quirks.\(key)", "is missing", node) }
        let tolerated = f["sds_length_mismatch_tolerated"].flatMap { boolean($0, key: "quirks.sds_length_mismatch_tolerated") }
        let needsCTSDS = f["cmgs_needs_ctsds"].flatMap { boolean($0, key: "quirks.cmgs_needs_ctsds") }
        let lineLength = f["max_line_length"].flatMap { integer($0, key: "quirks.max_line_length", 256...65_536) }
        guard let tolerated, let needsCTSDS, let lineLength else { return nil }
        return RadioQuirks(sdsLengthMismatchTolerated: tolerated, cmgsNeedsServiceSelection: needsCTSDS, maximumLineLength: lineLength)
    }

    /// Source notes: keys name settings (`serial`, `serial.baud`, `statuses.0x8002`); every setting
    /// must be covered by its own note or by its section's.
    mutating func sourceNotes(_ node: Node, fields: [String: Node], statuses: [UInt16: RadioStatusMeaning]?) -> [String: String]? {
        guard let map = mapping(node, key: "sources") else { return nil }
        var notes: [String: String] = [:]
        var ok = true
        for (keyNode, valueNode) in map {
            let key = keyNode.scalar?.string ?? "?"
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            let known: Bool = switch parts.count == 2 ? parts[0] : "" {
            case "serial": Self.serialKeys.contains(parts[1])
            case "quirks": Self.quirkKeys.contains(parts[1])
            case "statuses": Self.statusValue(parts[1]).map { statuses == nil || statuses?[$0] != nil } ?? false
            default: parts.count == 1 && topLevelKeys.contains(key) && !Self.unsourcedKeys.contains(key)
            }
            if !known {
                problem("sources.\(key)", "names no setting of this profile (use a setting key such as serial, serial.baud, init_commands, statuses, statuses.0x8002, quirks.max_line_length)", keyNode)
                ok = false
            }
            guard let note = text(valueNode, key: "sources.\(key)") else {
                ok = false
                continue
            }
            notes[key] = note
        }
        var uncovered: [String] = []
        for key in topLevelKeys where !Self.unsourcedKeys.contains(key) && fields[key] != nil && notes[key] == nil {
            let leaves: [String] = switch key {
            case "serial": Self.serialKeys.map { "serial.\($0)" }
            case "quirks": Self.quirkKeys.map { "quirks.\($0)" }
            case "statuses": (statuses?.keys.sorted() ?? []).map { value in
                    notes.keys.first { $0.hasPrefix("statuses.") && Self.statusValue(String($0.dropFirst(9))) == value } ?? "statuses.0x\(String(value, radix: 16, uppercase: true))"
                }
            default: [key]
            }
            uncovered += leaves.filter { notes[$0] == nil }
        }
        if !uncovered.isEmpty {
            problem("sources", "no source note for \(uncovered.joined(separator: ", ")); say where each value came from, or write \"assumed: why\"", node)
            ok = false
        }
        return ok ? notes : nil
    }

    // MARK: Values

    static func statusValue(_ text: String) -> UInt16? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.lowercased().hasPrefix("0x") { return UInt16(t.dropFirst(2), radix: 16) }
        guard !t.isEmpty, t.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt16(t)
    }

    mutating func mapping(_ node: Node, key: String) -> Node.Mapping? {
        if case .mapping(let map) = node { return map }
        problem(key == "the document" ? "" : key, key == "the document" ? "the file must be a YAML mapping of profile keys" : "must be a mapping of keys to values", node)
        return nil
    }

    /// The mapping's entries by key; unknown keys are problems.
    mutating func entries(_ map: Node.Mapping, allowed: [String], prefix: String) -> [String: Node] {
        var out: [String: Node] = [:]
        for (keyNode, value) in map {
            let key = keyNode.scalar?.string ?? "?"
            if allowed.contains(key) {
                out[key] = value
            } else {
                let near = allowed.first { Self.closeEnough($0, key) }.map { " (did you mean \(prefix)\($0)?)" } ?? ""
                problem(prefix + key, "unknown key\(near); known keys here: \(allowed.joined(separator: ", "))", keyNode)
            }
        }
        return out
    }

    mutating func text(_ node: Node, key: String) -> String? {
        guard case .scalar(let scalar) = node, !scalar.string.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            problem(key, "must be a non-empty text", node)
            return nil
        }
        return scalar.string
    }

    mutating func integer(_ node: Node, key: String, _ range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node, let value = Int(scalar.string.replacingOccurrences(of: "_", with: "")) else {
            problem(key, "\"\(node.scalar?.string ?? "a list or mapping")\" must be a whole number", node)
            return nil
        }
        guard range.contains(value) else {
            problem(key, "\(value) is outside \(range.lowerBound)-\(range.upperBound)", node)
            return nil
        }
        return value
    }

    mutating func seconds(_ node: Node, key: String, _ range: ClosedRange<Double>) -> Double? {
        guard case .scalar(let scalar) = node, let value = Double(scalar.string), value.isFinite else {
            problem(key, "\"\(node.scalar?.string ?? "a list or mapping")\" must be a number of seconds", node)
            return nil
        }
        guard range.contains(value) else {
            problem(key, "\(value) s is outside \(range.lowerBound)-\(range.upperBound) s", node)
            return nil
        }
        return value
    }

    mutating func boolean(_ node: Node, key: String) -> Bool? {
        switch node.scalar?.string {
        case "true": return true
        case "false": return false
        default:
            problem(key, "\"\(node.scalar?.string ?? "a list or mapping")\" must be true or false", node)
            return nil
        }
    }

    mutating func choice<T>(_ node: Node, key: String, _ options: [String: T]) -> T? {
        if let word = node.scalar?.string, let value = options[word] { return value }
        problem(key, "\"\(node.scalar?.string ?? "a list or mapping")\" must be one of \(options.keys.sorted().joined(separator: ", "))", node)
        return nil
    }

    /// A likely typo of `a`: a few edits apart, or a prefix of it (`keep_alive_secs`), ignoring
    /// case and dash versus underscore.
    static func closeEnough(_ a: String, _ b: String) -> Bool {
        let x = Array(a.lowercased().replacingOccurrences(of: "-", with: "_"))
        let y = Array(b.lowercased().replacingOccurrences(of: "-", with: "_"))
        if min(x.count, y.count) >= 4, x.starts(with: y) || y.starts(with: x) { return true }
        var row = Array(0...y.count)
        for i in 1...max(x.count, 1) where !x.isEmpty {
            var next = [i] + [Int](repeating: 0, count: y.count)
            for j in 1...max(y.count, 1) where !y.isEmpty {
                next[j] = min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            row = next
        }
        return row[y.count] <= max(2, min(x.count, y.count) / 5)
    }
}
