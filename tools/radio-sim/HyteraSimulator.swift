import Foundation
import HyteraLink
import TianyanModel

/// A Hytera control-station radio on its HRNP cable (the radio side), with radios of the sample
/// fleet around it: it ACCEPTs the PC's CONNECT, answers the bring-up, acknowledges every DATA,
/// registers its radios (RRS), sends their positions (LP condition reports, with the fix time),
/// now and then a text in Chinese, an emergency report or a group call seen on the repeater
/// (RCP `B845`), and answers pages (TMP ack after a delay, `no contact` for some), radio checks
/// and location requests. Pure, like `RadioSimulator`: the shell drives it with a clock.
struct HyteraSimulator: SimulatedGateway {
    struct Counters: Hashable, Sendable {
        var packets = 0
        var registrations = 0
        var positions = 0
        var texts = 0
        var emergencies = 0
        var calls = 0
        var pagesAnswered = 0
        var pagesFailed = 0
        var controls = 0
        var unacknowledged = 0
        var garbage = 0
    }

    private enum Event: Hashable, Sendable {
        case register(Int), position(Int), text(Int), emergency(Int), callStart, callStatus(target: UInt32, sender: UInt32, status: UInt16, left: Int)
        case pageAnswer(requestID: UInt32, destination: RadioIP, source: RadioIP, group: Bool, result: UInt8)
        case garbage
    }

    private struct SimRadio: Sendable {
        var id: UInt32
        var walker: StreetWalker
        var talkgroup: UInt32
        var registered = false
    }

    static let texts = ["已到达现场", "请求支援", "收到，马上到", "北门有占道经营", "巡查完毕，无异常"]

    let configuration: SimConfiguration
    private(set) var counters = Counters()
    private(set) var lineActive = false
    let ownID: UInt32
    private var sessionOpen = false
    private var framer = HRNPFramer()
    private var packetNumber: UInt16 = 0
    private var radios: [SimRadio] = []
    private var queue: [(time: Timestamp, event: Event)] = []
    private var now: Timestamp
    private var traffic: SeededGenerator
    private var answers: SeededGenerator
    private let grid = StreetGrid()
    private var nextRequest: UInt32 = 0x5000_0001

    init(configuration: SimConfiguration, fleet: FleetRegistry = FleetSample.make(), start: Timestamp) {
        self.configuration = configuration
        ownID = UInt32(configuration.ownISSI & 0xFF_FFFF)
        now = start
        traffic = SeededGenerator(seed: configuration.seed ^ 0x4879_7465_7261)
        answers = SeededGenerator(seed: configuration.seed ^ 0x0F0F_1234)
        // Officers from the end of the registry, so that a TETRA simulation of the first radios
        // and a Hytera one can run side by side without sharing a radio.
        let officers = fleet.radios.filter { $0.pilot == nil }.suffix(max(1, configuration.radios))
        for radio in officers {
            guard let id = UInt32(radio.issi), id <= 0xFF_FCDF else { continue }
            let spot = grid.intersection(eastKm: Double.random(in: -6...6, using: &traffic), northKm: Double.random(in: -6...6, using: &traffic))
            let group = radio.talkgroups.compactMap { UInt32($0) }.first ?? 9001
            radios.append(SimRadio(id: id, walker: StreetWalker(x: spot.x, y: spot.y, at: start, rng: &traffic), talkgroup: group))
        }
    }

    var nextEventTime: Timestamp? { queue.map(\.time).min() }

    var statusLine: String {
        let c = counters
        return "radio-sim (hytera-hrnp): \(c.packets) packets, \(c.registrations) registrations, \(c.positions) positions, \(c.texts) texts, "
            + "\(c.emergencies) emergencies, \(c.calls) calls, pages \(c.pagesAnswered) answered / \(c.pagesFailed) failed, "
            + "\(c.controls) controls, \(c.unacknowledged) DATA not yet acknowledged, \(c.garbage) noise bursts"
    }

    private mutating func schedule(_ e: Event, in seconds: Double) { queue.append((now.adding(seconds: max(0, seconds)), e)) }

    private mutating func exponential(_ mean: Double) -> Double { -mean * log(1 - Double.random(in: 0..<1, using: &traffic)) }

    mutating func unplug(at time: Timestamp) {
        now = time
        lineActive = false
        sessionOpen = false
        framer = HRNPFramer()
        queue.removeAll()
        for i in radios.indices { radios[i].registered = false }
    }

    private mutating func data(_ pdu: HyteraPDU) -> SimWrite {
        packetNumber &+= 1
        counters.packets += 1
        counters.unacknowledged += 1
        let bytes = HRNPPacket(opcode: .data, source: HRNPPacket.radioAddress, destination: HRNPPacket.pcAddress, packetNumber: packetNumber,
                               payload: pdu.encoded()).encoded()
        return SimWrite(bytes: bytes, text: "DATA \(pdu.message.service?.name ?? "?") 0x\(String(pdu.message.opcode, radix: 16))")
    }

    mutating func receive(_ bytes: [UInt8], at time: Timestamp) -> [SimWrite] {
        now = time
        lineActive = true
        var out: [SimWrite] = []
        for item in framer.push(bytes) {
            guard case .packet(let p) = item else { continue }
            switch p.opcode {
            case .connect:
                out.append(SimWrite(bytes: HRNPPacket(version: p.version, opcode: .accept, source: HRNPPacket.radioAddress, destination: p.source,
                                                      packetNumber: 0).encoded(), text: "ACCEPT"))
                if !sessionOpen { startTraffic() }
                sessionOpen = true
            case .close:
                out.append(SimWrite(bytes: HRNPPacket(opcode: .closeAck, source: HRNPPacket.radioAddress, destination: p.source,
                                                      packetNumber: p.packetNumber).encoded(), text: "CLOSE_ACK"))
                sessionOpen = false
            case .dataAck:
                counters.unacknowledged = max(0, counters.unacknowledged - 1)
            case .data:
                out.append(SimWrite(bytes: HRNPPacket(version: p.version, opcode: .dataAck, source: HRNPPacket.radioAddress, destination: p.source,
                                                      packetNumber: p.packetNumber).encoded(), text: "DATA_ACK \(p.packetNumber)"))
                if let pdu = try? HyteraPDU(decoding: p.payload) { out += answer(pdu) }
            default:
                break
            }
        }
        return out
    }

    private mutating func startTraffic() {
        let rate = max(configuration.rate, 0)
        for i in radios.indices { schedule(.register(i), in: Double.random(in: 0...3, using: &traffic)) }
        guard rate > 0 else { return }
        for i in radios.indices {
            schedule(.position(i), in: Double.random(in: 3...30, using: &traffic) / rate)
            schedule(.text(i), in: Double.random(in: 300...3600, using: &traffic) / rate)
        }
        if radios.count >= 2 { schedule(.callStart, in: exponential(configuration.callInterval / rate)) }
        if configuration.garbageRate > 0 { schedule(.garbage, in: exponential(60 / configuration.garbageRate)) }
    }

    private func index(of id: UInt32) -> Int? { radios.firstIndex { $0.id == id } }

    private mutating func answer(_ pdu: HyteraPDU) -> [SimWrite] {
        switch pdu {
        case .rcp(let m):
            switch m.kind {
            case .radioIDQuery: return [data(.rcp(RCPMessage(.radioIDReply, result: 0, target: ownID, idTarget: 0)))]
            case .broadcastMessageConfig: return [data(.rcp(RCPMessage(.broadcastMessageConfigReply, result: 0)))]
            case .broadcastStatusConfig: return [data(.rcp(RCPMessage(.broadcastStatusConfigReply, result: 0)))]
            case .statusChangeConfig:
                return [data(.rcp(RCPMessage(.statusChangeConfigReply, result: 0))),
                        data(.rcp(RCPMessage(.statusReport, statusTarget: RCPMessage.StatusTarget.rssi.rawValue, statusValue: 4)))]
            case .radioCheck, .remoteMonitor, .radioDisable, .radioEnable:
                counters.controls += 1
                let reply: RCPMessage.Kind = switch m.kind {
                case .radioCheck: .radioCheckAck
                case .remoteMonitor: .remoteMonitorAck
                case .radioDisable: .radioDisableAck
                default: .radioEnableAck
                }
                let known = m.target.flatMap(index(of:)) != nil
                return [data(.rcp(RCPMessage(reply, result: known ? 0 : 1, target: m.target)))]
            default:
                return []
            }
        case .tmp(let m) where m.kind == .privateText || m.kind == .groupText:
            let known = m.isGroup || index(of: m.destination.id) != nil
            let fail = !known || Double.random(in: 0..<1, using: &answers) < configuration.failRate
            let delay = configuration.reportDelay * Double.random(in: 0.5...1.5, using: &answers)
            schedule(.pageAnswer(requestID: m.requestID, destination: m.destination, source: m.source ?? RadioIP(id: ownID), group: m.isGroup,
                                 result: fail ? 10 : 0), in: delay)
            return []
        case .lp(let m):
            guard let radio = m.radio, let i = index(of: radio.id) else { return [] }
            switch m.kind {
            case .immediateRequest:
                return [data(.lp(LPMessage(.immediateReport, requestID: m.requestID, radio: radio, result: 0, gps: gps(i))))]
            case .triggeredRequest:
                return [data(.lp(LPMessage(.triggeredAnswer, requestID: m.requestID, radio: radio, result: 0)))]
            case .conditionRequest:
                return [data(.lp(LPMessage(.conditionAnswer, requestID: m.requestID, radio: radio, result: 0, trigger: .distanceOrTime)))]
            default:
                return []
            }
        default:
            return []
        }
    }

    private mutating func gps(_ i: Int) -> HyteraGPS {
        let time = now
        let grid = self.grid
        radios[i].walker.move(to: time, grid: grid, rng: &traffic)
        if time >= radios[i].walker.modeUntil { radios[i].walker.chooseMode(at: time, pilot: false, rng: &traffic) }
        let c = grid.coordinate(x: radios[i].walker.x, y: radios[i].walker.y)
        return HyteraGPS(valid: true, time: Timestamp(milliseconds: time.milliseconds / 1000 * 1000), latitude: c.latitude, longitude: c.longitude,
                         speedKnots: radios[i].walker.kilometresPerHour / 1.852, direction: Int(radios[i].walker.headingDegrees))
    }

    mutating func advance(to time: Timestamp) -> [SimWrite] {
        var out: [SimWrite] = []
        while sessionOpen, let next = queue.indices.min(by: { queue[$0].time < queue[$1].time }), queue[next].time <= time {
            let (at, event) = queue.remove(at: next)
            now = at
            out += fire(event)
        }
        now = max(now, time)
        return out
    }

    private mutating func fire(_ event: Event) -> [SimWrite] {
        let rate = max(configuration.rate, 0.001)
        // Calls are quicker when the traffic is sped up (talk spurts of seconds at rate 1).
        let pace = min(1, 1 / rate)
        switch event {
        case .register(let i):
            radios[i].registered = true
            counters.registrations += 1
            return [data(.rrs(RRSMessage(.registration, radio: RadioIP(id: radios[i].id))))]
        case .position(let i):
            schedule(.position(i), in: 30 / rate * Double.random(in: 0.5...1.5, using: &traffic))
            counters.positions += 1
            if Double.random(in: 0..<1, using: &traffic) < configuration.emergencyRate { schedule(.emergency(i), in: 1) }
            return [data(.lp(LPMessage(.conditionReport, requestID: 0, radio: RadioIP(id: radios[i].id), gps: gps(i))))]
        case .emergency(let i):
            counters.emergencies += 1
            return [data(.lp(LPMessage(.emergencyReport, radio: RadioIP(id: radios[i].id), gps: gps(i), emergencyType: 0)))]
        case .text(let i):
            schedule(.text(i), in: Double.random(in: 300...3600, using: &traffic) / rate)
            counters.texts += 1
            let text = Self.texts[Int.random(in: 0..<Self.texts.count, using: &traffic)]
            return [data(.tmp(.text(text, group: false, requestID: nextRequestID(), to: RadioIP(id: ownID), from: RadioIP(id: radios[i].id))))]
        case .callStart:
            schedule(.callStart, in: exponential(configuration.callInterval / rate))
            let i = Int.random(in: 0..<radios.count, using: &traffic)
            counters.calls += 1
            schedule(.callStatus(target: radios[i].talkgroup, sender: radios[i].id, status: 0x04, left: 1),
                     in: Double.random(in: 2...8, using: &traffic) * pace)
            return [data(.rcp(repeater(status: 0x00, group: radios[i].talkgroup, sender: radios[i].id)))]
        case .callStatus(let target, let sender, let status, let left):
            if status == 0x04 {
                schedule(left > 0 ? .callStatus(target: target, sender: sender, status: 0x00, left: left - 1)
                                  : .callStatus(target: target, sender: sender, status: 0x05, left: 0),
                         in: Double.random(in: 1...3, using: &traffic) * pace)
            } else if status == 0x00 {
                schedule(.callStatus(target: target, sender: sender, status: 0x04, left: left), in: Double.random(in: 2...6, using: &traffic) * pace)
            }
            return [data(.rcp(repeater(status: status, group: target, sender: sender)))]
        case .pageAnswer(let requestID, let destination, let source, let group, let result):
            if result == 0 { counters.pagesAnswered += 1 } else { counters.pagesFailed += 1 }
            return [data(.tmp(TMPMessage(ackFlag: true, group ? .groupTextAck : .privateTextAck, requestID: requestID, destination: destination,
                                         source: group ? nil : source, result: result)))]
        case .garbage:
            schedule(.garbage, in: exponential(60 / max(configuration.garbageRate, 0.001)))
            counters.garbage += 1
            let n = Int.random(in: 3...40, using: &traffic)
            return [SimWrite(bytes: (0..<n).map { _ in UInt8.random(in: 0...255, using: &traffic) }, text: "noise")]
        }
    }

    private mutating func nextRequestID() -> UInt32 {
        defer { nextRequest &+= 1 }
        return nextRequest
    }

    private func repeater(status: UInt16, group: UInt32, sender: UInt32) -> RCPMessage {
        RCPMessage(.repeaterTransmitStatus, callType: 1, target: group, sender: sender, repeaterMode: 0, repeaterStatus: status, repeaterService: 1)
    }
}
