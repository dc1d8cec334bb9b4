import HyteraLink
import SerialPorts
import TianyanModel

/// The two ways into a Hytera network behind one face for the gateway service: an HRNP session
/// with a mobile or control-station radio (a byte link), or the HSTRP feed of a repeater (UDP
/// datagrams, one port per service and slot).
enum HyteraEngine: Sendable {
    typealias Repeater = HSTRPSession<UDPListener.Peer>

    case hrnp(HRNPSession)
    case hstrp(Repeater, channels: [UInt16: Repeater.Channel])

    /// What the engine asks for.
    enum Out: Sendable {
        case bytes([UInt8])
        case datagram([UInt8], port: UInt16, to: UDPListener.Peer)
        case event(HyteraEvent)
    }

    var application: HyteraApplication {
        switch self {
        case .hrnp(let s): s.application
        case .hstrp(let s, _): s.application
        }
    }

    var protocolName: String {
        switch self {
        case .hrnp: "hytera-hrnp"
        case .hstrp: "hytera-hstrp"
        }
    }

    private func port(of channel: Repeater.Channel) -> UInt16? {
        guard case .hstrp(_, let channels) = self else { return nil }
        return channels.first { $0.value == channel }?.key
    }

    private func map(_ actions: [HRNPSession.Action]) -> [Out] {
        actions.map {
            switch $0 {
            case .write(let b): .bytes(b)
            case .event(let e): .event(e)
            }
        }
    }

    private func map(_ actions: [Repeater.Action]) -> [Out] {
        actions.map {
            switch $0 {
            case .send(let b, let channel, let peer):
                if let port = port(of: channel) { .datagram(b, port: port, to: peer) } else {
                    .event(.malformed(bytes: b.count, reason: "no port is configured for \(channel); check the profile's port offsets"))
                }
            case .event(let e): .event(e)
            }
        }
    }

    private mutating func withHRNP(_ body: (inout HRNPSession) -> [HRNPSession.Action]) -> [Out] {
        guard case .hrnp(var s) = self else { return [] }
        let a = body(&s)
        self = .hrnp(s)
        return map(a)
    }

    private mutating func withHSTRP(_ body: (inout Repeater) -> [Repeater.Action]) -> [Out] {
        guard case .hstrp(var s, let channels) = self else { return [] }
        let a = body(&s)
        self = .hstrp(s, channels: channels)
        return map(a)
    }

    // MARK: Inputs

    mutating func start(at now: Timestamp) -> [Out] { withHRNP { $0.start(at: now) } }

    mutating func receive(_ bytes: [UInt8], at now: Timestamp) -> [Out] { withHRNP { $0.receive(bytes, at: now) } }

    mutating func receive(datagram bytes: [UInt8], port: UInt16, from peer: UDPListener.Peer, at now: Timestamp) -> [Out] {
        guard case .hstrp(_, let channels) = self else { return [] }
        guard let channel = channels[port] else {
            return [.event(.malformed(bytes: bytes.count, reason: "a datagram on port \(port), which carries no service"))]
        }
        return withHSTRP { $0.receive(bytes, on: channel, from: peer, at: now) }
    }

    mutating func linkLost(at now: Timestamp, reason: String) -> [Out] {
        switch self {
        case .hrnp: withHRNP { $0.linkLost(at: now, reason: reason) }
        case .hstrp: withHSTRP { $0.stop(at: now, reason: reason) }
        }
    }

    mutating func tick(_ now: Timestamp) -> [Out] {
        switch self {
        case .hrnp: withHRNP { $0.tick(now) }
        case .hstrp: withHSTRP { $0.tick(now) }
        }
    }

    mutating func page(_ text: String, to id: UInt32, group: Bool, at now: Timestamp) -> (HyteraPage?, [Out]) {
        var page: HyteraPage?
        let out: [Out]
        switch self {
        case .hrnp: out = withHRNP { s in let (p, a) = s.page(text, to: id, group: group, at: now); page = p; return a }
        case .hstrp: out = withHSTRP { s in let (p, a) = s.page(text, to: id, group: group, at: now); page = p; return a }
        }
        return (page, out)
    }

    mutating func control(_ action: HyteraControl.Action, target: UInt32, at now: Timestamp) -> (HyteraControl?, [Out]) {
        var made: HyteraControl?
        let out: [Out]
        switch self {
        case .hrnp: out = withHRNP { s in let (c, a) = s.control(action, target: target, at: now); made = c; return a }
        case .hstrp: out = withHSTRP { s in let (c, a) = s.control(action, target: target, at: now); made = c; return a }
        }
        return (made, out)
    }

    mutating func forgetFinished() {
        switch self {
        case .hrnp: _ = withHRNP { $0.forgetFinished(); return [] }
        case .hstrp: _ = withHSTRP { $0.forgetFinished(); return [] }
        }
    }

    // MARK: State

    func isReady(at now: Timestamp) -> Bool {
        switch self {
        case .hrnp(let s): s.state == .open
        case .hstrp(let s, _): s.isUp(at: now)
        }
    }

    var details: [String: JSONValue] {
        switch self {
        case .hrnp(let s):
            ["session": .string(s.state.rawValue), "queued_packets": .int(s.queuedPackets), "retransmissions": .int(s.retransmissions)]
        case .hstrp(let s, let channels):
            ["repeater_id": s.repeaterID.map { .int(UInt64($0)) } ?? .null, "queued_datagrams": .int(s.queuedDatagrams),
             "retransmissions": .int(s.retransmissions), "duplicates": .int(s.duplicates),
             "last_heard": s.lastHeard.map { .string($0.iso8601) } ?? .null,
             "ports": .object(Dictionary(uniqueKeysWithValues: channels.map { (String($0.key), JSONValue.string($0.value.description)) }))]
        }
    }
}
