import Foundation
import RadioLink
import TianyanModel

/// The radio (MT) side of a TETRA PEI, as a pure state machine driven by a clock.
///
/// `receive(_:at:)` takes the bytes the controller wrote and returns what the radio answers;
/// `advance(to:)` runs the simulated world (calls, locations, statuses, texts, delivery reports)
/// up to a time and returns the unsolicited lines due. Nothing here does I/O or sleeps: the shell
/// (`SimShell`) drives it with real time, tests with a hand-moved clock.
///
/// Two random streams come from the seed: one for the background traffic, one for the answers to
/// the controller, so the sequence of simulated events does not depend on what the controller
/// sends. URCs go out only while the line is active (bytes came in since the last unplug) and
/// the controller registered the service with `AT+CTSP` (unless `routeAll`).
struct RadioSimulator: Sendable {
    /// Something to write to the line.
    enum Output: Hashable, Sendable, CustomStringConvertible {
        /// A result line, framed as CR LF text CR LF.
        case line(String)
        /// Bytes as they are (command echo, noise).
        case raw([UInt8])

        var bytes: [UInt8] {
            switch self {
            case .line(let text): [0x0D, 0x0A] + Self.latin1(text) + [0x0D, 0x0A]
            case .raw(let bytes): bytes
            }
        }

        var description: String {
            switch self {
            case .line(let text): text
            case .raw(let bytes): "raw " + bytes.map { String(format: "%02X", $0) }.joined()
            }
        }

        static func latin1(_ text: String) -> [UInt8] {
            text.unicodeScalars.map { $0.value <= 0xFF ? UInt8($0.value) : 0x3F }
        }
    }

    /// What the radio has done, for the status line and tests.
    struct Counters: Hashable, Sendable {
        var commands = 0
        var unknownCommands = 0
        var sdsAccepted = 0
        var sdsSent = 0
        var sdsFailed = 0
        var sdsRefused = 0
        var deliveryReports = 0
        var acknowledgementsReceived = 0
        var calls = 0
        var emergencies = 0
        var locationReports = 0
        var statusMessages = 0
        var textMessages = 0
        var garbage = 0
        /// URCs the radio produced while the line was down or the service not registered.
        var notRouted = 0
    }

    enum Service: Hashable, Sendable { case calls, status, location, text, concatenatedText }

    let configuration: SimConfiguration
    let grid: StreetGrid
    private(set) var now: Timestamp
    private(set) var counters = Counters()
    private(set) var echo = true
    /// Bytes came in since the start or the last unplug: someone is listening.
    private(set) var lineActive = false
    private(set) var registrations: Set<[Int]> = []
    private(set) var radios: [SimRadio]
    private(set) var calls: [ActiveCall] = []

    private var traffic: SeededGenerator
    private var answers: SeededGenerator
    private var queue = EventQueue()
    private var commandBuffer: [UInt8] = []
    private var commandOverflow = false
    private var pdu: PendingPDU?
    private var pduToken = 0
    private var sdsService = 12
    private var nextInstance = 0
    private var nextCallID = 1
    private var selectedGroup = "9001"
    private let knownRadios: Set<String>
    private let talkgroups: [String: [Int]]
    private let allTalkgroups: Set<String>
    private let startedAt: Timestamp

    /// ISSIs of the simulated radios past the sample fleet's (`--radios` above its count).
    static let unregisteredISSIBase = 2_900_001

    init(configuration: SimConfiguration, fleet: FleetRegistry = FleetSample.make(), start: Timestamp) {
        self.configuration = configuration
        grid = StreetGrid()
        now = start
        startedAt = start
        traffic = SeededGenerator(seed: configuration.seed)
        answers = SeededGenerator(seed: configuration.seed ^ 0xA5A5_5A5A_0F0F_F0F0)
        allTalkgroups = Set(fleet.talkgroups.map(\.gssi))

        let pilots = fleet.radios.filter { $0.pilot != nil }
        let officers = fleet.radios.filter { $0.pilot == nil }
        let count = max(configuration.radios, 0)
        let pilotCount = min(pilots.count, count / 4)
        var chosen = Array(pilots.prefix(pilotCount)) + Array(officers.prefix(count - pilotCount))
        // Beyond the sample fleet: radios the registry does not know (visiting units, new issue),
        // each in the groups of an officer's radio, so a city-sized load can be simulated.
        for j in 0..<max(0, count - chosen.count) where !officers.isEmpty {
            let like = officers[j % officers.count]
            chosen.append(Radio(issi: String(Self.unregisteredISSIBase + j), alias: String(format: "XT-%04d", j + 1),
                                person: "visitor \(j + 1)", pilot: nil, talkgroups: like.talkgroups))
        }
        knownRadios = Set(fleet.radios.map(\.issi)).union(chosen.map(\.issi))
        var radios: [SimRadio] = []
        var groups: [String: [Int]] = [:]
        let communityNames = FleetSample.communities
        for (index, radio) in chosen.enumerated() {
            let communityGroup = radio.talkgroups.compactMap(Int.init).first { $0 >= 9101 } ?? 9101
            let community = communityNames[min(max(communityGroup - 9101, 0), communityNames.count - 1)]
            let east = community.east + Double.random(in: -1.2...1.2, using: &traffic)
            let north = community.north + Double.random(in: -1.2...1.2, using: &traffic)
            let spot = grid.intersection(eastKm: east, northKm: north)
            let walker = StreetWalker(x: spot.x, y: spot.y, at: start, rng: &traffic)
            let losesFix = Double.random(in: 0..<1, using: &traffic) < configuration.noFixFraction
            radios.append(SimRadio(issi: radio.issi, pilot: radio.pilot != nil, talkgroups: radio.talkgroups,
                                   walker: walker, losesFix: losesFix,
                                   nextTextReference: UInt8.random(in: 1...200, using: &traffic)))
            for g in radio.talkgroups { groups[g, default: []].append(index) }
        }
        self.radios = radios
        talkgroups = groups

        if configuration.rate > 0 {
            let rate = configuration.rate
            for i in radios.indices {
                schedule(.location(i, reason: nil), in: Double.random(in: 0...30, using: &traffic) / rate)
                schedule(.status(i), in: Double.random(in: 60...900, using: &traffic) / rate)
                schedule(.text(i), in: Double.random(in: 300...3600, using: &traffic) / rate)
            }
            if radios.count >= 2 { schedule(.callStart, in: exponential(mean: configuration.callInterval / rate)) }
        }
        if configuration.garbageRate > 0 {
            schedule(.garbage, in: exponential(mean: 60 / configuration.garbageRate))
        }
    }

    /// `MCC(4) MNC(5) ISSI(8)`, the 17-digit extended TSI of the gateway radio.
    var ownTSI: String {
        String(format: "%04d%05d%08d", configuration.mobileCountryCode, configuration.mobileNetworkCode, configuration.ownISSI)
    }

    var ownISSI: String { String(configuration.ownISSI) }

    /// True while the radio waits for the hex user data of an `AT+CMGS`.
    var awaitingUserData: Bool { pdu != nil }

    /// When the next simulated event is due, if any.
    var nextEventTime: Timestamp? { queue.earliest }

    // MARK: Line

    /// The line was pulled: calls in progress are cut (the controller never hears their end),
    /// a half-typed command or SDS is forgotten, and URCs stop until bytes come in again.
    mutating func unplug(at time: Timestamp) {
        now = max(now, time)
        lineActive = false
        commandBuffer.removeAll()
        commandOverflow = false
        pdu = nil
        for i in calls.indices { calls[i].visible = false }
    }

    /// Bytes from the controller. Commands end at CR or LF; after `AT+CMGS=…` the radio takes
    /// hex digits up to Ctrl-Z (send) or ESC (abort).
    mutating func receive(_ bytes: [UInt8], at time: Timestamp) -> [Output] {
        now = max(now, time)
        if !bytes.isEmpty { lineActive = true }
        var out: [Output] = []
        for byte in bytes {
            if pdu != nil {
                switch byte {
                case 0x1A: out += finishUserData()
                case 0x1B:
                    pdu = nil
                    out.append(.line("OK"))
                case 0x0D, 0x0A, 0x20: continue
                default:
                    if pdu!.hex.count < 4096 { pdu!.hex.append(byte) } else { pdu!.overflow = true }
                }
                continue
            }
            switch byte {
            case 0x0D, 0x0A:
                guard !commandBuffer.isEmpty || commandOverflow else { continue }
                let line = commandBuffer
                let overflow = commandOverflow
                commandBuffer.removeAll()
                commandOverflow = false
                if echo { out.append(.raw(line + [0x0D])) }
                out += overflow ? [.line("+CME ERROR: 35")] : command(String(decoding: line, as: UTF8.self))
            case 0x1A:
                // User data with no AT+CMGS before it.
                commandBuffer.removeAll()
                out.append(.line("+CME ERROR: 36"))
            case 0x1B:
                commandBuffer.removeAll()
            case 0x08, 0x7F:
                if !commandBuffer.isEmpty { commandBuffer.removeLast() }
            case 0x20..<0x7F:
                if commandBuffer.count < 512 { commandBuffer.append(byte) } else { commandOverflow = true }
            default:
                continue
            }
        }
        return out
    }

    // MARK: Commands

    private mutating func command(_ line: String) -> [Output] {
        counters.commands += 1
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.count >= 2, trimmed.prefix(2).uppercased() == "AT" else { return [.line("+CME ERROR: 35")] }
        let body = String(trimmed.dropFirst(2))
        let upper = body.uppercased()
        let ok = Output.line("OK")
        switch upper {
        case "": return [ok]
        case "Z", "Z0":
            echo = true
            registrations.removeAll()
            sdsService = 12
            return [ok]
        case "E0", "E": echo = false; return [ok]
        case "E1": echo = true; return [ok]
        case "H", "H0": return [ok]
        default: break
        }
        guard upper.hasPrefix("+") else { return unknown() }
        let nameEnd = upper.firstIndex { $0 == "=" || $0 == "?" } ?? upper.endIndex
        let name = String(upper[..<nameEnd])
        let rest = String(body[nameEnd...])
        let query = rest == "?"
        let argument: String? = rest.hasPrefix("=") ? String(rest.dropFirst()) : nil
        let numbers = argument.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) } } ?? []
        switch name {
        case "+CSCS":
            if query { return [.line("+CSCS: \"8859-1\""), ok] }
            return argument != nil ? [ok] : unknown()
        case "+CTSP":
            guard let argument, argument != "?" else { return query ? [ok] : [.line("+CME ERROR: 35")] }
            guard numbers.count >= 2, numbers.allSatisfy({ $0 != nil }) else { return [.line("+CME ERROR: 35")] }
            let values = numbers.map { $0! }
            registrations.insert(Array(values.dropFirst().prefix(2)))
            return [ok]
        case "+CNUMF":
            guard query || rest.isEmpty else { return [.line("+CME ERROR: 35")] }
            return [.line("+CNUMF: 6,\(ownTSI)"), ok]
        case "+CTSDS":
            if query { return [.line("+CTSDS: \(sdsService),0,0,0,1"), ok] }
            guard let service = numbers.first ?? nil else { return [.line("+CME ERROR: 35")] }
            guard (9...13).contains(service) else { return [.line("+CME ERROR: 34")] }
            sdsService = service
            return [ok]
        case "+CMGS":
            if rest == "=?" { return [.line("+CMGS: (1-2047)"), ok] }
            guard let argument else { return [.line("+CME ERROR: 35")] }
            let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let destination = parts.first ?? ""
            let bits = parts.count == 2 ? Int(parts[1]) : nil
            let valid = TetraIdentity.isValidDialDigits(destination) && bits != nil
            pduToken += 1
            pdu = PendingPDU(destination: destination, bits: valid ? bits : nil, service: sdsService, token: pduToken)
            schedule(.userDataTimeout(pduToken), in: configuration.pduTimeout)
            return []
        case "+CTGS":
            if query { return [.line("+CTGS: 1,\(selectedGroup)"), ok] }
            guard numbers.count == 2, let type = numbers[0], (0...7).contains(type), let group = argument?.split(separator: ",").last,
                  TetraIdentity.isValidDialDigits(group.trimmingCharacters(in: .whitespaces))
            else { return [.line("+CME ERROR: 35")] }
            if type == 1 { selectedGroup = TetraIdentity(group.trimmingCharacters(in: .whitespaces))!.issi }
            return [ok]
        case "+CSQ":
            guard query || rest.isEmpty else { return [.line("+CME ERROR: 35")] }
            return [.line("+CSQ: \(Int.random(in: 17...26, using: &answers)),99"), ok]
        case "+CBC":
            guard query || rest.isEmpty else { return [.line("+CME ERROR: 35")] }
            let hours = Double(now.milliseconds - startedAt.milliseconds) / 3_600_000
            return [.line("+CBC: 1,\(max(20, 100 - Int(hours * 5)))"), ok]
        case "+CREG":
            guard query else { return [ok] }
            return [.line(String(format: "+CREG: 1,1102,%04d%05d", configuration.mobileCountryCode, configuration.mobileNetworkCode)), ok]
        case "+CTOM":
            if query { return [.line("+CTOM: 0"), ok] }
            guard let mode = numbers.first ?? nil, (0...6).contains(mode) else { return [.line("+CME ERROR: 34")] }
            return [ok]
        case "+CPIN":
            return query ? [.line("+CPIN: MT PIN-UNLOCKED"), ok] : [ok]
        case "+CLVL":
            return query ? [.line("+CLVL: 5"), ok] : [ok]
        case "+CTSDC":
            return [ok]
        case "+GMI": return [.line("+GMI: TIANYAN"), ok]
        case "+GMM": return [.line("+GMM: radio-sim,PEI simulator,1.0"), ok]
        case "+GMR": return [.line("+GMR: radio-sim 1.0"), ok]
        default:
            return unknown()
        }
    }

    private mutating func unknown() -> [Output] {
        counters.unknownCommands += 1
        return [.line("+CME ERROR: 4")]
    }

    /// Ctrl-Z ended the user data of an `AT+CMGS`.
    private mutating func finishUserData() -> [Output] {
        guard let pending = pdu else { return [] }
        pdu = nil
        guard let bits = pending.bits else { return [.line("+CME ERROR: 35")] }
        let hexDigits = pending.hex
        guard !pending.overflow, !hexDigits.isEmpty, hexDigits.allSatisfy(Self.isHexDigit), bits > 0,
              hexDigits.count * 4 >= bits, hexDigits.count * 4 - bits < 8
        else {
            counters.sdsRefused += 1
            return [.line("+CME ERROR: 32")]
        }
        if Double.random(in: 0..<1, using: &answers) < configuration.busyRate {
            counters.sdsRefused += 1
            return [.line("+CME ERROR: 42")]
        }
        let hex = String(decoding: hexDigits, as: UTF8.self).uppercased()
        let content = SDSCodec.decode(aiService: pending.service, hex: hex, lengthBits: bits)
        let destination = TetraIdentity(pending.destination)!.issi
        let instance = nextInstance
        nextInstance = (nextInstance + 1) % 64
        counters.sdsAccepted += 1

        var reference = 0
        var reports: DeliveryReportRequest = .none
        var protocolIdentifier: UInt8 = 0x82
        switch content {
        case .text(let message):
            protocolIdentifier = message.protocolIdentifier
            if let transfer = message.transfer {
                reference = Int(transfer.reference)
                reports = transfer.deliveryReport
            }
        case .transfer(let transfer):
            protocolIdentifier = transfer.protocolIdentifier
            reference = Int(transfer.header.reference)
            reports = transfer.header.deliveryReport
        case .report(let report):
            reference = Int(report.reference)
            counters.acknowledgementsReceived += 1
        default:
            break
        }
        let isGroup = allTalkgroups.contains(destination)
        let known = isGroup || knownRadios.contains(destination)
        let fails = !known || Double.random(in: 0..<1, using: &answers) < configuration.failRate
        let outcome = SendOutcome(instance: instance, reference: reference, destination: destination, isGroup: isGroup,
                                  failed: fails, reports: fails ? .none : reports, protocolIdentifier: protocolIdentifier)
        scheduleAnswer(.sendResult(outcome), in: jitter(configuration.sendDelay))
        return [.line("+CMGS: \(instance)"), .line("OK")]
    }

    private static func isHexDigit(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }

    // MARK: Time

    /// Runs the world up to `time` and returns every line due, oldest first.
    mutating func advance(to time: Timestamp) -> [Output] {
        var out: [Output] = []
        while let next = queue.popDue(at: time) {
            now = max(now, next.time)
            out += fire(next.event)
        }
        now = max(now, time)
        return out
    }

    private mutating func fire(_ event: SimEvent) -> [Output] {
        switch event {
        case .userDataTimeout(let token):
            guard let pending = pdu, pending.token == token else { return [] }
            pdu = nil
            return [.line("+CME ERROR: 37")]
        case .sendResult(let outcome):
            return sendResult(outcome)
        case .deliveryReport(let from, let pi, let status, let reference):
            counters.deliveryReports += 1
            let payload = String(format: "%02X10%02X%02X", pi, status, reference)
            return route(.text, [.line("+CTSDSR: 12,\(from),0,\(ownISSI),0,32"), .line(payload)])
        case .location(let index, let reason):
            return location(index, reason: reason)
        case .status(let index):
            return status(index)
        case .text(let index):
            return text(index)
        case .callStart:
            schedule(.callStart, in: exponential(mean: configuration.callInterval / configuration.rate))
            return startCall()
        case .callStep(let id):
            return callStep(id)
        case .garbage:
            schedule(.garbage, in: exponential(mean: 60 / configuration.garbageRate))
            return garbage()
        }
    }

    private mutating func sendResult(_ o: SendOutcome) -> [Output] {
        if o.failed {
            counters.sdsFailed += 1
            return route(nil, [.line("+CMGS: \(o.instance),5,\(o.reference)")])
        }
        counters.sdsSent += 1
        let out = route(nil, [.line("+CMGS: \(o.instance),4,\(o.reference)")])
        guard o.reports != .none, let reference = UInt8(exactly: o.reference) else { return out }
        if o.isGroup {
            if configuration.groupReport {
                scheduleAnswer(.deliveryReport(from: o.destination, pi: o.protocolIdentifier, status: 0x05, reference: reference),
                               in: jitter(configuration.reportDelay))
            }
            return out
        }
        let late = Double.random(in: 0..<1, using: &answers) < configuration.lateFraction
            ? Double.random(in: 30...120, using: &answers) : 0
        let neverRead = Double.random(in: 0..<1, using: &answers) < configuration.neverReadFraction
        var at = late
        if o.reports.wantsReceived {
            at += jitter(configuration.reportDelay)
            scheduleAnswer(.deliveryReport(from: o.destination, pi: o.protocolIdentifier, status: 0x00, reference: reference), in: at)
        }
        if o.reports.wantsConsumed, !neverRead {
            at += configuration.readDelay * Double.random(in: 0.5...2, using: &answers) + 0.001
            scheduleAnswer(.deliveryReport(from: o.destination, pi: o.protocolIdentifier, status: 0x02, reference: reference), in: at)
        }
        return out
    }

    /// Lines for `service` go out only while the line is active and the service is registered;
    /// nil is always routed (answers to our own SDS).
    private mutating func route(_ service: Service?, _ lines: [Output]) -> [Output] {
        guard lineActive, service.map(isRegistered) ?? true else {
            counters.notRouted += 1
            return []
        }
        return lines
    }

    func isRegistered(_ service: Service) -> Bool {
        if configuration.routeAll { return true }
        return registrations.contains { r in
            guard let layer1 = r.first else { return false }
            let layer2 = r.count > 1 ? r[1] : 0
            switch service {
            case .calls: return layer1 == 0
            case .status: return layer1 == 2 && layer2 == 20
            case .location: return layer1 == 3 && (layer2 == 10 || layer2 == 24)
            case .text: return layer1 == 3 && (layer2 == 130 || layer2 == 25)
            case .concatenatedText: return layer1 == 3 && (layer2 == 138 || layer2 == 25)
            }
        }
    }

    // MARK: Scheduling

    private mutating func schedule(_ event: SimEvent, in seconds: Double) {
        queue.insert(event, at: now.adding(seconds: max(0, seconds)))
    }

    /// Same, for answers to the controller (kept apart from the background traffic).
    private mutating func scheduleAnswer(_ event: SimEvent, in seconds: Double) {
        queue.insert(event, at: now.adding(seconds: max(0, seconds)))
    }

    private mutating func jitter(_ mean: Double) -> Double {
        mean <= 0 ? 0 : mean * Double.random(in: 0.5...1.5, using: &answers)
    }

    mutating func exponential(mean: Double) -> Double {
        let u = Double.random(in: 0..<1, using: &traffic)
        return -log(1 - u) * mean
    }

    mutating func trafficRandom(_ range: ClosedRange<Double>) -> Double { Double.random(in: range, using: &traffic) }
    mutating func trafficChance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &traffic) < p }
    mutating func trafficIndex(_ count: Int) -> Int { Int.random(in: 0..<count, using: &traffic) }
    mutating func scheduleTraffic(_ event: SimEvent, in seconds: Double) { schedule(event, in: seconds) }
    mutating func routed(_ service: Service, _ lines: [Output]) -> [Output] { route(service, lines) }
    mutating func count(_ change: (inout Counters) -> Void) { change(&counters) }
    func members(of group: String) -> [Int] { talkgroups[group] ?? [] }
    var groupsWithTalkers: [String] { talkgroups.keys.filter { (talkgroups[$0]?.count ?? 0) >= 2 }.sorted() }
    mutating func updateRadio(_ index: Int, _ change: (inout SimRadio, inout SeededGenerator) -> Void) {
        change(&radios[index], &traffic)
    }
    mutating func updateCalls(_ change: (inout [ActiveCall]) -> Void) { change(&calls) }
    mutating func allocateCallID() -> Int {
        defer { nextCallID += 1 }
        return nextCallID
    }
}

/// One simulated radio of the fleet.
struct SimRadio: Hashable, Sendable {
    var issi: String
    var pilot: Bool
    var talkgroups: [String]
    var walker: StreetWalker
    /// This radio loses its GPS fix now and then.
    var losesFix: Bool
    var hasFix = true
    var reported = false
    var statusStep = 0
    var nextTextReference: UInt8
}

/// A group call in progress.
struct ActiveCall: Hashable, Sendable {
    enum Phase: Hashable, Sendable { case setUp, talking, pause }
    var id: Int
    var instance: Int
    var group: String
    var priority: Int
    var caller: Int
    var spurtsLeft: Int
    var phase: Phase = .setUp
    /// False for calls the controller cannot hear (started while the line was down, or cut by an unplug).
    var visible: Bool
}

struct SendOutcome: Hashable, Sendable {
    var instance: Int
    var reference: Int
    var destination: String
    var isGroup: Bool
    var failed: Bool
    var reports: DeliveryReportRequest
    var protocolIdentifier: UInt8
}

struct PendingPDU: Hashable, Sendable {
    var destination: String
    /// Nil when the command line was malformed (answered at Ctrl-Z with `+CME ERROR: 35`).
    var bits: Int?
    var service: Int
    var token: Int
    var hex: [UInt8] = []
    var overflow = false
}

enum SimEvent: Hashable, Sendable {
    case userDataTimeout(Int)
    case sendResult(SendOutcome)
    case deliveryReport(from: String, pi: UInt8, status: UInt8, reference: UInt8)
    /// A location report; `reason` overrides the periodic reasons (PTT, emergency) and does not
    /// move the periodic schedule.
    case location(Int, reason: Int?)
    case status(Int)
    case text(Int)
    case callStart
    case callStep(Int)
    case garbage
}

/// Events by due time; equal times keep insertion order, so a run is reproducible.
struct EventQueue: Sendable {
    struct Entry: Sendable {
        var time: Timestamp
        var order: Int
        var event: SimEvent
    }

    /// Latest first, so the next due is at the end.
    private var entries: [Entry] = []
    private var counter = 0

    var earliest: Timestamp? { entries.last?.time }
    var count: Int { entries.count }

    mutating func insert(_ event: SimEvent, at time: Timestamp) {
        counter += 1
        let entry = Entry(time: time, order: counter, event: event)
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            let e = entries[mid]
            if (e.time, e.order) > (time, counter) { low = mid + 1 } else { high = mid }
        }
        entries.insert(entry, at: low)
    }

    mutating func popDue(at time: Timestamp) -> Entry? {
        guard let last = entries.last, last.time <= time else { return nil }
        return entries.removeLast()
    }
}
