import TianyanModel

/// What the Hytera link learned, for the gateway service to store and show.
public enum HyteraEvent: Hashable, Sendable {
    /// The radio accepted the HRNP session.
    case sessionOpen(at: Timestamp)
    /// The session ended or the radio refused it.
    case sessionDown(reason: String, at: Timestamp)
    /// The connected radio's own ID (RCP radio ID query).
    case ownRadio(UInt32)
    /// A radio registered, went offline or answered an online check.
    case presence(radio: UInt32, online: Bool, reason: String, at: Timestamp)
    case position(Position, via: String)
    /// A location report without a usable fix (never drawn).
    case noFix(radio: UInt32, reason: String, at: Timestamp)
    /// An emergency: an LP emergency report or an RCP emergency or man-down status.
    case emergency(radio: UInt32, source: String, at: Timestamp)
    case text(from: UInt32, to: UInt32, group: Bool, text: String, at: Timestamp)
    case shortData(from: UInt32, to: UInt32, group: Bool, bytes: [UInt8], at: Timestamp)
    case page(HyteraPage)
    /// The connected radio's status changed (RCP `B0C8`): RSSI, channel, zone, …
    case radioStatus(target: UInt8, value: UInt16, at: Timestamp)
    /// A voice call seen in the repeater's transmit status (RCP `B845`).
    case call(VoiceCall)
    /// The radio answered a bring-up request (text forwarding, status broadcasts, status changes).
    case configured(what: String, ok: Bool)
    /// A radio-control request (radio check, remote monitor, stun, revive) was answered.
    case controlResult(HyteraControl)
    /// An answer to a location request (triggered, condition, stop) or a delivery state.
    case locationAnswer(radio: UInt32, what: String, result: String, at: Timestamp)
    /// A PDU that was read but not acted on (unknown layout, replies to configuration): counted
    /// and logged raw.
    case unhandled(service: String, opcode: UInt16, raw: [UInt8], reason: String)
    /// Bytes that are not a valid frame or PDU.
    case malformed(bytes: Int, reason: String)
}

/// A text page through a Hytera radio and where it stands: `queued` until the session is up,
/// `accepted` when the radio acknowledges the HRNP packet, then `received` when the destination
/// radio acknowledged it over the air (TMP ack result 0), `sent` for a group text, or `failed`
/// with the TMP result.
public struct HyteraPage: Hashable, Sendable {
    public var id: Int
    public var requestID: UInt32
    public var destination: UInt32
    public var group: Bool
    public var text: String
    public var history: [PageStep]

    public var state: PageState { history.last?.state ?? .queued }
    public var isFinished: Bool { state.isFinal || state == .received || (group && state == .sent) }

    mutating func advance(to next: PageState, at time: Timestamp, detail: String? = nil) -> Bool {
        guard !isFinished, next > state else { return false }
        // Receipt (a group: sending) is the last thing HDAP reports; the step says so.
        let last = next == .received || (group && next == .sent)
        history.append(PageStep(state: next, time: time, detail: detail, final: last ? true : nil))
        return true
    }
}

/// A radio-control request (RCP supplementary service) and its outcome.
public struct HyteraControl: Hashable, Sendable {
    public enum Action: String, Hashable, Sendable, CaseIterable {
        case radioCheck = "radio_check", remoteMonitor = "remote_monitor", stun, revive

        var request: RCPMessage.Kind {
            switch self {
            case .radioCheck: .radioCheck
            case .remoteMonitor: .remoteMonitor
            case .stun: .radioDisable
            case .revive: .radioEnable
            }
        }

        init?(reply: UInt16) {
            switch RCPMessage.Kind(rawValue: reply) {
            case .radioCheckAck: self = .radioCheck
            case .remoteMonitorAck: self = .remoteMonitor
            case .radioDisableAck: self = .stun
            case .radioEnableAck: self = .revive
            default: return nil
            }
        }
    }

    public var id: Int
    public var action: Action
    public var target: UInt32
    public var requested: Timestamp
    /// nil while waiting; then `ok` or why it failed.
    public var outcome: String?
    public var answered: Timestamp?
}

/// The HDAP application: what a Hytera radio or repeater says (presence, positions, texts,
/// emergencies, status, calls) turned into events, and the answers it expects (registration
/// answers, text acknowledgements). Pure: the transports (HRNP, HSTRP) feed it PDUs and send the
/// PDUs it returns.
public struct HyteraApplication: Sendable {
    public struct Configuration: Sendable {
        public var gateway: String
        /// Subnet byte of radio IPs this gateway writes (10 unless the codeplug says otherwise).
        public var subnet: UInt8
        /// The renew time given to registering radios.
        public var registrationRenewSeconds: UInt32
        /// An accepted page with no TMP answer after this long fails.
        public var pageAnswerSeconds: Double
        /// A voice call with no repeater status for this long is closed.
        public var callOrphanSeconds: Double

        public init(gateway: String, subnet: UInt8 = 10, registrationRenewSeconds: UInt32 = 1800, pageAnswerSeconds: Double = 60,
                    callOrphanSeconds: Double = 180) {
            self.gateway = gateway
            self.subnet = subnet
            self.registrationRenewSeconds = registrationRenewSeconds
            self.pageAnswerSeconds = pageAnswerSeconds
            self.callOrphanSeconds = callOrphanSeconds
        }
    }

    public enum Output: Hashable, Sendable {
        case send(HyteraPDU)
        case event(HyteraEvent)
    }

    public var configuration: Configuration
    public private(set) var pages: [Int: HyteraPage] = [:]
    public private(set) var controls: [Int: HyteraControl] = [:]
    public private(set) var ownRadio: UInt32?
    private var nextID = 1
    private var nextRequestID: UInt32 = 1
    private var pageByRequest: [UInt32: Int] = [:]
    /// Open voice calls by (call type, target).
    private var calls: [String: (call: VoiceCall, heard: Timestamp)] = [:]

    public init(configuration: Configuration) { self.configuration = configuration }

    public var openCalls: [VoiceCall] { calls.values.map(\.call).sorted { $0.start < $1.start } }

    private func ip(_ id: UInt32) -> RadioIP { RadioIP(subnet: configuration.subnet, id: id) }

    private mutating func requestID() -> UInt32 {
        defer { nextRequestID = nextRequestID == UInt32.max ? 1 : nextRequestID + 1 }
        return nextRequestID
    }

    // MARK: Requests

    /// A text page (UTF-16LE, so Chinese goes as it is) to a radio or a group, queued.
    public mutating func page(_ text: String, to destination: UInt32, group: Bool, at now: Timestamp) -> (HyteraPage, HyteraPDU) {
        let rid = requestID()
        let page = HyteraPage(id: nextID, requestID: rid, destination: destination, group: group, text: text,
                              history: [PageStep(state: .queued, time: now)])
        nextID += 1
        pages[page.id] = page
        pageByRequest[rid] = page.id
        let from = ip(ownRadio ?? 0)
        let to = group ? RadioIP(subnet: 0, id: destination) : ip(destination)
        return (page, .tmp(.text(text, group: group, requestID: rid, to: to, from: from)))
    }

    /// The radio took the packet carrying a page (HRNP DATA_ACK).
    public mutating func pageAccepted(_ id: Int, at now: Timestamp) -> [Output] {
        guard var p = pages[id], p.advance(to: .accepted, at: now) else { return [] }
        pages[id] = p
        return [.event(.page(p))]
    }

    /// A page that could not be handed to the radio (the session went down, the packet was never acknowledged).
    public mutating func pageFailed(_ id: Int, at now: Timestamp, reason: String) -> [Output] {
        guard var p = pages[id], p.advance(to: .failed, at: now, detail: reason) else { return [] }
        pages[id] = p
        return [.event(.page(p))]
    }

    /// A radio-control request.
    public mutating func control(_ action: HyteraControl.Action, target: UInt32, at now: Timestamp) -> (HyteraControl, HyteraPDU) {
        let c = HyteraControl(id: nextID, action: action, target: target, requested: now)
        nextID += 1
        controls[c.id] = c
        return (c, .rcp(RCPMessage(action.request, target: target)))
    }

    /// A location request: immediate, periodic (`interval`), or on distance or time (`distance`).
    public mutating func locationRequest(radio: UInt32, intervalSeconds: Int? = nil, distanceMetres: UInt32? = nil) -> HyteraPDU {
        let rid = requestID()
        let zero = String(repeating: "0", count: 14)
        if let distanceMetres {
            let every = LPMessage.interval(seconds: intervalSeconds ?? 60)
            return .lp(LPMessage(.conditionRequest, requestID: rid, radio: ip(radio), trigger: .distanceOrTime, distance: distanceMetres,
                                 start: zero, stop: zero, interval: every, maxInterval: every))
        }
        if let intervalSeconds {
            return .lp(LPMessage(.triggeredRequest, requestID: rid, radio: ip(radio), start: zero, stop: zero,
                                 interval: LPMessage.interval(seconds: intervalSeconds)))
        }
        return .lp(LPMessage(.immediateRequest, requestID: rid, radio: ip(radio)))
    }

    /// Forgets finished pages and answered controls (the service keeps its own copies).
    public mutating func forgetFinished() {
        for (id, p) in pages where p.isFinished {
            pages[id] = nil
            pageByRequest[p.requestID] = nil
        }
        controls = controls.filter { $0.value.outcome == nil }
    }

    // MARK: Time

    public mutating func tick(_ now: Timestamp) -> [Output] {
        var out: [Output] = []
        for (id, p) in pages where p.state == .accepted {
            if let t = p.history.last?.time, Double(now.milliseconds - t.milliseconds) / 1000 >= configuration.pageAnswerSeconds {
                out += pageFailed(id, at: now, reason: "no answer from the radio in \(Int(configuration.pageAnswerSeconds)) s")
            }
        }
        for (key, c) in calls where Double(now.milliseconds - c.heard.milliseconds) / 1000 >= configuration.callOrphanSeconds {
            calls[key] = nil
            out.append(.event(.call(Self.close(c.call, at: c.heard, cause: "timeout"))))
        }
        return out
    }

    /// The session went down: open calls end with "link lost".
    public mutating func sessionLost(at now: Timestamp) -> [Output] {
        defer { calls = [:] }
        return calls.values.map { .event(.call(Self.close($0.call, at: now, cause: "link lost"))) }
    }

    // MARK: Receiving

    public mutating func receive(_ pdu: HyteraPDU, at now: Timestamp) -> [Output] {
        switch pdu {
        case .rrs(let m): return receive(m, at: now)
        case .lp(let m): return receive(m, at: now)
        case .tmp(let m): return receive(m, at: now)
        case .rcp(let m): return receive(m, at: now)
        case .tp(let m):
            return [.event(.unhandled(service: "TP", opcode: m.opcode, raw: m.message.encoded(), reason: "telemetry is not acted on"))]
        case .dds(let m):
            let service = HDAPMessage.Service(rawValue: m.stateService)?.name ?? "service 0x\(String(m.stateService, radix: 16))"
            return [.event(.locationAnswer(radio: m.radio.id, what: "delivery state of \(service) 0x\(String(m.protocolOpcode, radix: 16))",
                                           result: Self.describeDelivery(m.result), at: now))]
        case .raw(let m):
            return [.event(.unhandled(service: "0x" + String(m.serviceByte, radix: 16), opcode: m.opcode, raw: m.encoded(),
                                      reason: "service not interpreted"))]
        }
    }

    static func describeDelivery(_ r: UInt8) -> String {
        switch r {
        case 0: "ok"
        case 1: "failed"
        case 4: "limited timeout"
        case 5: "no acknowledgement"
        case 6: "error acknowledgement"
        case 7: "repeater wake-up failed"
        case 8: "transmission interrupted"
        case 9: "transmission denied"
        case 10: "invalid parameters"
        default: "result \(r)"
        }
    }

    private mutating func receive(_ m: RRSMessage, at now: Timestamp) -> [Output] {
        switch m.kind {
        case .registration:
            // Always answered: a radio that hears nothing registers again and again and floods the channel.
            let answer = RRSMessage(reliable: m.reliable, .registrationAnswer, radio: m.radio, result: RRSMessage.resultOK,
                                    renewSeconds: configuration.registrationRenewSeconds)
            return [.send(.rrs(answer)), .event(.presence(radio: m.radio.id, online: true, reason: "registered", at: now))]
        case .offline:
            return [.event(.presence(radio: m.radio.id, online: false, reason: "deregistered (switched off)", at: now))]
        case .onlineCheckAnswer:
            let online = m.state == 0
            return [.event(.presence(radio: m.radio.id, online: online, reason: online ? "online check answered" : "online check: offline",
                                     at: now))]
        case .registrationAnswer, .onlineCheck, nil:
            return [.event(.unhandled(service: "RRS", opcode: m.opcode, raw: m.message.encoded(), reason: "not expected from a radio"))]
        }
    }

    private func located(_ m: LPMessage, at now: Timestamp, via: String) -> [Output] {
        guard let radio = m.radio?.id else { return [] }
        if let result = m.result, result != 0 {
            return [.event(.noFix(radio: radio, reason: LPMessage.describe(result: result), at: now))]
        }
        guard let gps = m.gps else { return [.event(.noFix(radio: radio, reason: "no GPS data", at: now))] }
        guard let p = gps.position(unit: String(radio), received: now) else {
            return [.event(.noFix(radio: radio, reason: gps.valid ? "position not readable" : "no fix (V)", at: gps.time ?? now))]
        }
        return [.event(.position(p, via: via))]
    }

    private mutating func receive(_ m: LPMessage, at now: Timestamp) -> [Output] {
        guard let kind = m.kind else {
            return [.event(.unhandled(service: "LP", opcode: m.opcode, raw: m.message.encoded(), reason: "unknown LP opcode"))]
        }
        switch kind {
        case .immediateReport, .immediateReportWithRSSI: return located(m, at: now, via: "immediate report")
        case .triggeredReport: return located(m, at: now, via: "periodic report")
        case .conditionReport, .conditionReportWithRSSI: return located(m, at: now, via: "condition report")
        case .emergencyReport:
            guard let radio = m.radio?.id else { return [] }
            return [.event(.emergency(radio: radio, source: "LP emergency report (type \(m.emergencyType ?? 0))", at: now))]
                + located(m, at: now, via: "emergency report")
        case .triggeredAnswer, .triggeredStopAnswer, .conditionAnswer, .quickGPSAnswer, .emergencyStopAnswer:
            return [.event(.locationAnswer(radio: m.radio?.id ?? 0, what: "\(kind)", result: LPMessage.describe(result: m.result ?? 0), at: now))]
        case .immediateRequest, .emergencyStopRequest, .triggeredRequest, .triggeredStopRequest, .conditionRequest, .quickGPSRequest,
             .immediateReportGPSBT, .rssiConfigRequest, .rssiConfigAnswer:
            return [.event(.unhandled(service: "LP", opcode: m.opcode, raw: m.message.encoded(), reason: "not acted on"))]
        }
    }

    private mutating func receive(_ m: TMPMessage, at now: Timestamp) -> [Output] {
        switch m.kind {
        case .privateText, .groupText:
            let from = m.source?.id ?? 0
            var out: [Output] = []
            if !m.isGroup {
                out.append(.send(.tmp(TMPMessage(reliable: m.reliable, ackFlag: true, .privateTextAck, requestID: m.requestID,
                                                 destination: m.source ?? ip(0), source: m.destination, result: 0))))
            }
            let text = m.text ?? "(\(m.data.count) bytes that are not UTF-16 text)"
            return out + [.event(.text(from: from, to: m.destination.id, group: m.isGroup, text: text, at: now))]
        case .privateShortData, .groupShortData:
            return [.event(.shortData(from: m.source?.id ?? 0, to: m.destination.id, group: m.isGroup, bytes: m.data, at: now))]
        case .privateTextAck, .groupTextAck:
            guard let id = pageByRequest[m.requestID], var p = pages[id] else {
                return [.event(.unhandled(service: "TMP", opcode: m.message.opcode, raw: m.message.encoded(),
                                          reason: "acknowledgement of no page of ours"))]
            }
            let result = m.result ?? 1
            let changed = result == 0
                ? p.advance(to: p.group ? .sent : .received, at: now, detail: p.group ? "sent to the group" : "acknowledged by the radio")
                : p.advance(to: .failed, at: now, detail: TMPMessage.describe(result: result))
            pages[id] = p
            return changed ? [.event(.page(p))] : []
        case .workOrderReport, .workOrderReportReply, .workOrderRequest, .workOrderReply, .privateShortDataAck, .groupShortDataAck, nil:
            return [.event(.unhandled(service: "TMP", opcode: m.message.opcode, raw: m.message.encoded(), reason: "not acted on"))]
        }
    }

    private mutating func receive(_ m: RCPMessage, at now: Timestamp) -> [Output] {
        let unhandled = Output.event(.unhandled(service: "RCP", opcode: m.opcode, raw: m.message.encoded(),
                                                reason: m.kind == nil ? "unknown RCP opcode" : "layout not public; logged raw"))
        switch m.kind {
        case .radioIDReply:
            guard m.result == 0, let id = m.radioIP?.id ?? m.target else { return [unhandled] }
            ownRadio = id
            return [.event(.ownRadio(id))]
        case .statusReport:
            guard let target = m.statusTarget, let value = m.statusValue else { return [unhandled] }
            var out: [Output] = [.event(.radioStatus(target: target, value: value, at: now))]
            let who = ownRadio ?? 0
            switch RCPMessage.StatusTarget(rawValue: target) {
            case .emergency where value != 0: out.append(.event(.emergency(radio: who, source: "RCP emergency status", at: now)))
            case .manDown where value != 0: out.append(.event(.emergency(radio: who, source: "RCP man-down status", at: now)))
            case .loneWorker where value != 0: out.append(.event(.emergency(radio: who, source: "RCP lone-worker status", at: now)))
            default: break
            }
            return out
        case .repeaterTransmitStatus:
            return repeaterStatus(m, at: now).map { .event(.call($0)) }
        case .broadcastMessageConfigReply:
            return [.event(.configured(what: "forwarding of texts and short data (RCP 1847)", ok: m.result == 0))]
        case .broadcastStatusConfigReply:
            return [.event(.configured(what: "transmit/receive status broadcasts (RCP 10C9)", ok: m.result == 0))]
        case .statusChangeConfigReply:
            return [.event(.configured(what: "status-change reports (RCP 10C7)", ok: m.result == 0))]
        case .radioCheckAck, .remoteMonitorAck, .radioDisableAck, .radioEnableAck:
            guard let action = HyteraControl.Action(reply: m.opcode),
                  let pending = controls.values.filter({ $0.action == action && $0.outcome == nil && (m.target == nil || $0.target == m.target) })
                      .min(by: { $0.id < $1.id })
            else { return [unhandled] }
            var c = pending
            c.outcome = m.result == 0 ? "ok" : "failed (result \(m.result ?? 1))"
            c.answered = now
            controls[c.id] = c
            return [.event(.controlResult(c))]
        default:
            return [unhandled]
        }
    }

    /// `B845`: a voice transmission on the repeater opens (repeating, PTT) or closes (hang time,
    /// end, sleep) a call keyed by call type and target.
    private mutating func repeaterStatus(_ m: RCPMessage, at now: Timestamp) -> [VoiceCall] {
        guard m.repeaterService == 1 || m.repeaterService == 0x1F, let status = m.repeaterStatus, let target = m.target else { return [] }
        let callType = m.callType ?? 0
        let key = "\(callType)-\(target)"
        let talker = String(m.sender ?? 0)
        switch status {
        case 0x00, 0x02, 0x06, 0x0B:
            if var open = calls[key] {
                if open.call.transmissions.last?.end == nil, open.call.transmissions.last?.talker == talker {
                    open.heard = now
                    calls[key] = open
                    return []
                }
                if let i = open.call.transmissions.indices.last, open.call.transmissions[i].end == nil {
                    open.call.transmissions[i].end = now
                }
                open.call.transmissions.append(Transmission(talker: talker, start: now, end: nil))
                open.heard = now
                calls[key] = open
                return [open.call]
            }
            let group = callType == 1 || callType == 2 || callType == 3 || callType == 7 || callType == 8
            let emergency = callType == 3 || callType == 5 || callType == 0x0C
            let call = VoiceCall(id: "\(configuration.gateway)-\(key)-\(now.milliseconds)", gateway: configuration.gateway,
                                 kind: group ? .group : .individual, called: String(target), caller: talker,
                                 priority: callType >= 6 && callType <= 8 ? 1 : 0, emergency: emergency, start: now, end: nil, cause: nil,
                                 transmissions: [Transmission(talker: talker, start: now, end: nil)])
            calls[key] = (call, now)
            return [call]
        case 0x01, 0x03, 0x04, 0x07, 0x0C, 0x08, 0x0D, 0x0A, 0x0F:
            guard var open = calls[key], let i = open.call.transmissions.indices.last, open.call.transmissions[i].end == nil else { return [] }
            open.call.transmissions[i].end = now
            open.heard = now
            calls[key] = open
            return [open.call]
        case 0x05:
            // The repeater sleeps: every call on it is over.
            defer { calls = [:] }
            return calls.values.map { Self.close($0.call, at: now, cause: "channel idle") }.sorted { $0.start < $1.start }
        default:
            return []
        }
    }

    static func close(_ call: VoiceCall, at time: Timestamp, cause: String) -> VoiceCall {
        var c = call
        if let i = c.transmissions.indices.last, c.transmissions[i].end == nil { c.transmissions[i].end = time }
        c.end = time
        c.cause = cause
        return c
    }
}
