import TianyanModel

/// The PC end of an HRNP session with a Hytera mobile or control-station radio, on a serial
/// cable or a TCP socket: CONNECT until the radio ACCEPTs, bring-up (radio ID query, forwarding
/// of texts and short data, transmit/receive status broadcasts, status-change reports), a
/// DATA_ACK for every DATA the radio sends, and the PC's DATA packets one at a time, each sent
/// again until the radio acknowledges it. Pure: bytes and clock ticks in, bytes and events out.
public struct HRNPSession: Sendable {
    public struct Configuration: Sendable {
        public var application: HyteraApplication.Configuration
        /// Seconds before an unacknowledged DATA packet is sent again, and how often it is sent.
        public var retransmitSeconds: Double
        public var attempts: Int
        /// Seconds between CONNECTs while the radio does not accept.
        public var connectRetrySeconds: Double
        /// Seconds without traffic before a radio ID query checks that the radio still answers.
        public var keepAliveSeconds: Double
        /// RCP `1847` broadcast bits: 1 texts, 2 short data, 4 CSBK.
        public var broadcastMessages: UInt32
        /// RCP `10C9`: transmit (0), receive (1) and repeater transmit (2) status broadcasts.
        public var broadcastStatus: [UInt8]
        /// RCP `10C7`: status-change reports asked for (RSSI, channel, zone, emergency, …).
        public var statusChanges: [UInt8]

        public init(application: HyteraApplication.Configuration, retransmitSeconds: Double = 2, attempts: Int = 3,
                    connectRetrySeconds: Double = 5, keepAliveSeconds: Double = 30, broadcastMessages: UInt32 = 0x07,
                    broadcastStatus: [UInt8] = [0, 1, 2], statusChanges: [UInt8] = [0x0B, 0x06, 0x05, 0x09, 0x0E, 0x12, 0x17]) {
            self.application = application
            self.retransmitSeconds = retransmitSeconds
            self.attempts = attempts
            self.connectRetrySeconds = connectRetrySeconds
            self.keepAliveSeconds = keepAliveSeconds
            self.broadcastMessages = broadcastMessages
            self.broadcastStatus = broadcastStatus
            self.statusChanges = statusChanges
        }
    }

    public enum Action: Hashable, Sendable {
        case write([UInt8])
        case event(HyteraEvent)
    }

    public enum State: String, Hashable, Sendable {
        case closed, connecting, open
    }

    private struct Outgoing: Sendable {
        var pdu: HyteraPDU
        var pageID: Int?
        var keepAlive = false
    }

    private struct InFlight: Sendable {
        var outgoing: Outgoing
        var packetNumber: UInt16
        var bytes: [UInt8]
        var attempts: Int
        var lastSent: Timestamp
    }

    public let configuration: Configuration
    public private(set) var application: HyteraApplication
    public private(set) var state: State = .closed
    public private(set) var retransmissions = 0
    private var framer = HRNPFramer()
    private var queue: [Outgoing] = []
    private var inFlight: InFlight?
    private var nextPacket: UInt16 = 0
    private var lastConnect: Timestamp?
    private var lastHeard: Timestamp?
    /// When bytes last arrived, to drop a packet the radio never finishes.
    private var lastBytes: Timestamp?
    private var peer: UInt8 = HRNPPacket.radioAddress
    private var version: UInt8 = 4

    public init(configuration: Configuration) {
        self.configuration = configuration
        application = HyteraApplication(configuration: configuration.application)
    }

    public var queuedPackets: Int { queue.count + (inFlight == nil ? 0 : 1) }

    // MARK: Link

    /// The line opened: ask the radio for a session.
    public mutating func start(at now: Timestamp) -> [Action] {
        framer = HRNPFramer()
        state = .connecting
        return connect(at: now)
    }

    private mutating func connect(at now: Timestamp) -> [Action] {
        lastConnect = now
        return [.write(HRNPPacket(version: version, opcode: .connect, source: HRNPPacket.pcAddress, destination: peer, packetNumber: 0).encoded())]
    }

    /// The line closed. A page whose packet the radio had not acknowledged fails (it may or may
    /// not have gone out, and is never sent twice); queued ones wait for the next session.
    public mutating func linkLost(at now: Timestamp, reason: String) -> [Action] {
        let was = state
        state = .closed
        var out: [Action] = []
        if let f = inFlight {
            inFlight = nil
            if let id = f.outgoing.pageID {
                out += application.pageFailed(id, at: now, reason: "\(reason) before the radio acknowledged it").map(Self.action)
            }
        }
        queue.removeAll { $0.pageID == nil }
        out += application.sessionLost(at: now).map(Self.action)
        if was != .closed { out.append(.event(.sessionDown(reason: reason, at: now))) }
        return out
    }

    // MARK: Requests

    public mutating func page(_ text: String, to destination: UInt32, group: Bool, at now: Timestamp) -> (HyteraPage, [Action]) {
        let (page, pdu) = application.page(text, to: destination, group: group, at: now)
        return (page, enqueue(Outgoing(pdu: pdu, pageID: page.id), at: now))
    }

    public mutating func control(_ action: HyteraControl.Action, target: UInt32, at now: Timestamp) -> (HyteraControl, [Action]) {
        let (c, pdu) = application.control(action, target: target, at: now)
        return (c, enqueue(Outgoing(pdu: pdu), at: now))
    }

    public mutating func requestLocation(radio: UInt32, intervalSeconds: Int? = nil, distanceMetres: UInt32? = nil, at now: Timestamp) -> [Action] {
        enqueue(Outgoing(pdu: application.locationRequest(radio: radio, intervalSeconds: intervalSeconds, distanceMetres: distanceMetres)), at: now)
    }

    public mutating func forgetFinished() { application.forgetFinished() }

    private mutating func enqueue(_ o: Outgoing, at now: Timestamp) -> [Action] {
        queue.append(o)
        return sendNext(at: now)
    }

    private mutating func sendNext(at now: Timestamp) -> [Action] {
        guard state == .open, inFlight == nil, !queue.isEmpty else { return [] }
        let o = queue.removeFirst()
        nextPacket &+= 1
        let bytes = HRNPPacket(version: version, opcode: .data, source: HRNPPacket.pcAddress, destination: peer, packetNumber: nextPacket,
                               payload: o.pdu.encoded()).encoded()
        inFlight = InFlight(outgoing: o, packetNumber: nextPacket, bytes: bytes, attempts: 1, lastSent: now)
        return [.write(bytes)]
    }

    // MARK: Input

    public mutating func receive(_ bytes: [UInt8], at now: Timestamp) -> [Action] {
        lastBytes = now
        return frame(framer.push(bytes), at: now)
    }

    private mutating func frame(_ items: [HRNPFramer.Output], at now: Timestamp) -> [Action] {
        var out: [Action] = []
        for item in items {
            switch item {
            case .garbage(let n, let reason): out.append(.event(.malformed(bytes: n, reason: reason)))
            case .packet(let p): out += handle(p, at: now)
            }
        }
        return out
    }

    private mutating func handle(_ p: HRNPPacket, at now: Timestamp) -> [Action] {
        lastHeard = now
        switch p.opcode {
        case .accept:
            guard state != .open else { return [] }
            state = .open
            peer = p.source
            version = p.version
            var out: [Action] = [.event(.sessionOpen(at: now))]
            // Bring-up goes ahead of anything queued while the session was down.
            let bringUp: [Outgoing] = [
                Outgoing(pdu: .rcp(RCPMessage(.radioIDQuery, idTarget: 0))),
                Outgoing(pdu: .rcp(RCPMessage(.broadcastMessageConfig, broadcastType: configuration.broadcastMessages))),
                Outgoing(pdu: .rcp(RCPMessage(.broadcastStatusConfig, entries: configuration.broadcastStatus.map { .init(target: $0, on: true) }))),
                Outgoing(pdu: .rcp(RCPMessage(.statusChangeConfig, entries: configuration.statusChanges.map { .init(target: $0, on: true) }))),
            ]
            queue = bringUp + queue
            out += sendNext(at: now)
            return out
        case .reject:
            state = .connecting
            return [.event(.sessionDown(reason: "the radio rejected the HRNP connection", at: now))]
        case .close:
            var out: [Action] = [.write(HRNPPacket(version: version, opcode: .closeAck, source: HRNPPacket.pcAddress, destination: p.source,
                                                   packetNumber: p.packetNumber).encoded())]
            out += linkLost(at: now, reason: "the radio closed the HRNP session")
            state = .connecting
            lastConnect = now
            return out
        case .closeAck, .connect, .other:
            return []
        case .dataAck:
            guard let f = inFlight, f.packetNumber == p.packetNumber else { return [] }
            inFlight = nil
            var out: [Action] = []
            if let id = f.outgoing.pageID { out += application.pageAccepted(id, at: now).map(Self.action) }
            return out + sendNext(at: now)
        case .data:
            // Every DATA is acknowledged, readable or not: the radio sends it again otherwise.
            var out: [Action] = [.write(HRNPPacket(version: p.version, opcode: .dataAck, source: HRNPPacket.pcAddress, destination: p.source,
                                                   packetNumber: p.packetNumber).encoded())]
            if state != .open {
                // A radio that lost our session keeps talking; take it as open again.
                state = .open
                peer = p.source
                out.append(.event(.sessionOpen(at: now)))
            }
            do {
                let pdu = try HyteraPDU(decoding: p.payload)
                for o in application.receive(pdu, at: now) {
                    switch o {
                    case .send(let reply): queue.append(Outgoing(pdu: reply))
                    case .event(let e): out.append(.event(e))
                    }
                }
            } catch {
                out.append(.event(.malformed(bytes: p.payload.count, reason: error.message)))
            }
            return out + sendNext(at: now)
        }
    }

    // MARK: Time

    public mutating func tick(_ now: Timestamp) -> [Action] {
        var out = application.tick(now).map(Self.action)
        // Half a packet and a second of silence: the rest is not coming.
        if framer.buffered > 0, let last = lastBytes, seconds(from: last, to: now) >= 1 {
            lastBytes = now
            out += frame(framer.dropIncomplete(), at: now)
        }
        switch state {
        case .closed:
            break
        case .connecting:
            if let last = lastConnect, seconds(from: last, to: now) >= configuration.connectRetrySeconds { out += connect(at: now) }
        case .open:
            if var f = inFlight, seconds(from: f.lastSent, to: now) >= configuration.retransmitSeconds {
                if f.attempts < configuration.attempts {
                    f.attempts += 1
                    f.lastSent = now
                    inFlight = f
                    retransmissions += 1
                    out.append(.write(f.bytes))
                } else {
                    inFlight = nil
                    if let id = f.outgoing.pageID {
                        out += application.pageFailed(id, at: now, reason: "the radio did not acknowledge it (\(f.attempts) attempts)")
                            .map(Self.action)
                    }
                    if f.outgoing.keepAlive {
                        out += linkLost(at: now, reason: "the radio does not answer")
                        state = .connecting
                        out += connect(at: now)
                        return out
                    }
                    out += sendNext(at: now)
                }
            } else if inFlight == nil, queue.isEmpty, let heard = lastHeard ?? lastConnect,
                      seconds(from: heard, to: now) >= configuration.keepAliveSeconds {
                lastHeard = now
                out += enqueue(Outgoing(pdu: .rcp(RCPMessage(.radioIDQuery, idTarget: 0)), keepAlive: true), at: now)
            }
        }
        return out
    }

    private func seconds(from a: Timestamp, to b: Timestamp) -> Double { Double(b.milliseconds - a.milliseconds) / 1000 }

    private static func action(_ o: HyteraApplication.Output) -> Action {
        switch o {
        case .event(let e): .event(e)
        case .send: .event(.malformed(bytes: 0, reason: "internal: a reply outside a session"))
        }
    }
}
