import TianyanModel

/// The PC end of a Hytera repeater's "Forward to PC" feed (HSTRP over UDP): every datagram is
/// acknowledged by echoing it with the ACK bit; connects and heartbeats need only the ACK; a
/// datagram the repeater sends again (our ACK was lost) is acknowledged again but acted on once;
/// HDAP inside goes to the HDAP application, whose answers (registration answers, text
/// acknowledgements) go back on the channel they came from. Pages go out on the text channel of
/// the slot the radio was last heard on, each datagram sent again until the repeater acknowledges
/// it. Pure: the shell maps each UDP port to a channel and each remote address to a `Peer`.
public struct HSTRPSession<Peer: Hashable & Sendable>: Sendable {
    /// What a port carries: the repeater sends each service of each slot to a port of its own.
    public enum Service: String, Hashable, Sendable, CaseIterable {
        case rrs, gps, telemetry, tms, callControl = "call_control"
    }

    public struct Channel: Hashable, Sendable, CustomStringConvertible {
        public var service: Service
        /// Time slot 1 or 2.
        public var slot: UInt8
        public init(_ service: Service, slot: UInt8) {
            self.service = service
            self.slot = slot
        }
        public var description: String { "\(service.rawValue)/slot \(slot)" }
    }

    public struct Configuration: Sendable {
        public var application: HyteraApplication.Configuration
        public var retransmitSeconds: Double
        public var attempts: Int
        /// The repeater counts as up while it was heard within this many seconds (it sends
        /// heartbeats when idle).
        public var silenceSeconds: Double

        public init(application: HyteraApplication.Configuration, retransmitSeconds: Double = 1, attempts: Int = 3, silenceSeconds: Double = 60) {
            self.application = application
            self.retransmitSeconds = retransmitSeconds
            self.attempts = attempts
            self.silenceSeconds = silenceSeconds
        }
    }

    public enum Action: Hashable, Sendable {
        case send([UInt8], channel: Channel, to: Peer)
        case event(HyteraEvent)
    }

    private struct Outgoing: Sendable {
        var pdu: HyteraPDU
        var channel: Channel
        var pageID: Int?
    }

    private struct InFlight: Sendable {
        var outgoing: Outgoing
        var peer: Peer
        var sequence: UInt16
        var bytes: [UInt8]
        var attempts: Int
        var lastSent: Timestamp
    }

    private struct Key: Hashable, Sendable {
        var channel: Channel
        var peer: Peer
        var sequence: UInt16
    }

    public let configuration: Configuration
    public private(set) var application: HyteraApplication
    public private(set) var lastHeard: Timestamp?
    public private(set) var retransmissions = 0
    public private(set) var duplicates = 0
    /// The repeater's ID from the datagrams' device option.
    public private(set) var repeaterID: UInt32?
    private var peers: [Channel: Peer] = [:]
    private var radioSlot: [UInt32: UInt8] = [:]
    private var waiting: [Outgoing] = []
    private var inFlight: [UInt16: InFlight] = [:]
    private var nextSequence: UInt16 = 0
    private var seen: [Key] = []
    private var seenSet: Set<Key> = []
    private var open = false

    public init(configuration: Configuration) {
        self.configuration = configuration
        application = HyteraApplication(configuration: configuration.application)
    }

    /// Heard from the repeater within the silence limit.
    public func isUp(at now: Timestamp) -> Bool {
        guard let lastHeard else { return false }
        return Double(now.milliseconds - lastHeard.milliseconds) / 1000 < configuration.silenceSeconds
    }

    public var queuedDatagrams: Int { waiting.count + inFlight.count }

    // MARK: Requests

    public mutating func page(_ text: String, to destination: UInt32, group: Bool, at now: Timestamp) -> (HyteraPage, [Action]) {
        let (page, pdu) = application.page(text, to: destination, group: group, at: now)
        let slot = radioSlot[destination] ?? 1
        return (page, enqueue(Outgoing(pdu: pdu, channel: Channel(.tms, slot: slot), pageID: page.id), at: now))
    }

    public mutating func control(_ action: HyteraControl.Action, target: UInt32, at now: Timestamp) -> (HyteraControl, [Action]) {
        let (c, pdu) = application.control(action, target: target, at: now)
        return (c, enqueue(Outgoing(pdu: pdu, channel: Channel(.callControl, slot: radioSlot[target] ?? 1)), at: now))
    }

    public mutating func requestLocation(radio: UInt32, intervalSeconds: Int? = nil, distanceMetres: UInt32? = nil, at now: Timestamp) -> [Action] {
        let pdu = application.locationRequest(radio: radio, intervalSeconds: intervalSeconds, distanceMetres: distanceMetres)
        return enqueue(Outgoing(pdu: pdu, channel: Channel(.gps, slot: radioSlot[radio] ?? 1)), at: now)
    }

    public mutating func forgetFinished() { application.forgetFinished() }

    /// The peer for `channel`: the repeater's address on that port, else on any port (the
    /// repeater is one host).
    private func peer(for channel: Channel) -> Peer? { peers[channel] ?? peers.values.first }

    private mutating func enqueue(_ o: Outgoing, at now: Timestamp) -> [Action] {
        waiting.append(o)
        return flush(at: now)
    }

    private mutating func flush(at now: Timestamp) -> [Action] {
        var out: [Action] = []
        var still: [Outgoing] = []
        for o in waiting {
            guard let peer = peer(for: o.channel) else {
                still.append(o)
                continue
            }
            nextSequence &+= 1
            let bytes = HSTRPDatagram(flags: [], sequence: nextSequence, payload: o.pdu.encoded()).encoded()
            inFlight[nextSequence] = InFlight(outgoing: o, peer: peer, sequence: nextSequence, bytes: bytes, attempts: 1, lastSent: now)
            out.append(.send(bytes, channel: o.channel, to: peer))
        }
        waiting = still
        return out
    }

    // MARK: Input

    public mutating func receive(_ bytes: [UInt8], on channel: Channel, from peer: Peer, at now: Timestamp) -> [Action] {
        let d: HSTRPDatagram
        do { d = try HSTRPDatagram(decoding: bytes) } catch {
            return [.event(.malformed(bytes: bytes.count, reason: error.message))]
        }
        var out: [Action] = []
        lastHeard = now
        peers[channel] = peer
        if let id = d.deviceID { repeaterID = id }
        if !open {
            open = true
            out.append(.event(.sessionOpen(at: now)))
        }
        if d.flags.contains(.ack) {
            guard let f = inFlight[d.sequence], f.peer == peer else { return out }
            inFlight[d.sequence] = nil
            if let id = f.outgoing.pageID { out += application.pageAccepted(id, at: now).map(Self.action) }
            return out + flush(at: now)
        }
        // Everything else is acknowledged, readable or not, so the repeater stops resending it.
        out.append(.send(d.acknowledgement().encoded(), channel: channel, to: peer))
        guard d.flags.isDisjoint(with: [.connect, .heartbeat, .close, .reject]), !d.payload.isEmpty else { return out + flush(at: now) }
        let key = Key(channel: channel, peer: peer, sequence: d.sequence)
        if seenSet.contains(key) {
            duplicates += 1
            return out
        }
        seen.append(key)
        seenSet.insert(key)
        if seen.count > 4096 { seenSet.remove(seen.removeFirst()) }
        do {
            let pdu = try HyteraPDU(decoding: d.payload)
            let slot = d.slot ?? channel.slot
            if let radio = Self.radio(of: pdu) { radioSlot[radio] = slot }
            for o in application.receive(pdu, at: now) {
                switch o {
                case .send(let reply): waiting.append(Outgoing(pdu: reply, channel: channel))
                case .event(let e): out.append(.event(e))
                }
            }
        } catch {
            out.append(.event(.malformed(bytes: d.payload.count, reason: error.message)))
        }
        return out + flush(at: now)
    }

    /// The radio a PDU comes from, to remember its slot.
    static func radio(of pdu: HyteraPDU) -> UInt32? {
        switch pdu {
        case .rrs(let m): m.radio.id
        case .lp(let m): m.radio?.id
        case .tmp(let m): m.source?.id
        default: nil
        }
    }

    // MARK: Time

    public mutating func tick(_ now: Timestamp) -> [Action] {
        var out = application.tick(now).map(Self.action)
        for (seq, var f) in inFlight where Double(now.milliseconds - f.lastSent.milliseconds) / 1000 >= configuration.retransmitSeconds {
            if f.attempts < configuration.attempts {
                f.attempts += 1
                f.lastSent = now
                inFlight[seq] = f
                retransmissions += 1
                out.append(.send(f.bytes, channel: f.outgoing.channel, to: f.peer))
            } else {
                inFlight[seq] = nil
                if let id = f.outgoing.pageID {
                    out += application.pageFailed(id, at: now, reason: "the repeater did not acknowledge it (\(f.attempts) attempts)").map(Self.action)
                }
            }
        }
        if open, !isUp(at: now) {
            open = false
            out += application.sessionLost(at: now).map(Self.action)
            out.append(.event(.sessionDown(reason: "nothing from the repeater for \(Int(configuration.silenceSeconds)) s", at: now)))
        }
        return out
    }

    /// The listener closed (the controller stops): open calls end.
    public mutating func stop(at now: Timestamp, reason: String) -> [Action] {
        open = false
        return application.sessionLost(at: now).map(Self.action)
    }

    private static func action(_ o: HyteraApplication.Output) -> Action {
        switch o {
        case .event(let e): .event(e)
        case .send: .event(.malformed(bytes: 0, reason: "internal: a reply outside a datagram"))
        }
    }
}
