import TianyanModel

/// Builds the voice-channel log from call URCs.
///
/// Calls are keyed by CC instance, so several calls can overlap. `+CTICN` opens a call, `+CTXG`
/// with a grant (0 or 3) opens a transmission (closing the one before it on that call), `+CDTXC`
/// closes it, `+CTCR` closes the call and whatever transmission is still open. A call with no URC
/// for `orphanTimeout` is closed by `expire(now:)` with cause "timeout", ending at the last time
/// it was heard; `linkLost(at:)` closes every call with cause "link lost".
public struct CallTracker: Sendable {
    public struct Configuration: Sendable {
        /// Gateway name, part of each call's id.
        public var gateway: String
        /// Seconds without a URC after which an open call is closed.
        public var orphanTimeout: Double
        /// Calls with at least this priority are emergencies (15 is emergency pre-emptive).
        public var emergencyPriority: Int
        /// Our own radio's ISSI, the talker of 4-field `+CTXG` (our own transmission).
        public var ownIdentity: String?

        public init(gateway: String, orphanTimeout: Double = 180, emergencyPriority: Int = 15, ownIdentity: String? = nil) {
            self.gateway = gateway
            self.orphanTimeout = orphanTimeout
            self.emergencyPriority = emergencyPriority
            self.ownIdentity = ownIdentity
        }
    }

    public enum Event: Hashable, Sendable {
        case callStarted(VoiceCall)
        /// The call with the new transmission as its last, still open.
        case transmissionStarted(VoiceCall)
        /// The call with the transmission just closed.
        case transmissionEnded(VoiceCall)
        /// The finished call with every transmission closed, ready to store.
        case callEnded(VoiceCall)

        public var call: VoiceCall {
            switch self {
            case .callStarted(let c), .transmissionStarted(let c), .transmissionEnded(let c), .callEnded(let c): c
            }
        }
    }

    /// Talker name for our own transmissions before `+CNUMF` told us who we are.
    public static let ownRadio = "own radio"

    public var configuration: Configuration
    private var active: [Int: ActiveCall] = [:]

    private struct ActiveCall: Sendable {
        var call: VoiceCall
        var lastHeard: Timestamp
        var openTransmission: Int?
    }

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Calls still open, oldest first.
    public var openCalls: [VoiceCall] {
        active.values.map(\.call).sorted { ($0.start, $0.id) < ($1.start, $1.id) }
    }

    /// Feeds one parsed message received at `time`; messages other than call URCs are ignored.
    public mutating func handle(_ message: PEIMessage, at time: Timestamp) -> [Event] {
        switch message {
        case .callSetup(let s): return opened(s, at: time)
        case .callConnected(let connect): return connected(connect, at: time)
        case .transmissionGranted(let grant): return granted(grant, at: time)
        case .transmissionCeased(let c): return ceased(c.instance, at: time)
        case .callReleased(let release): return released(release.instance, cause: release.causeText, at: time)
        default: return []
        }
    }

    /// Closes calls not heard from for `orphanTimeout` seconds.
    public mutating func expire(now: Timestamp) -> [Event] {
        let limit = Int64(configuration.orphanTimeout * 1000)
        let stale = active.filter { now.milliseconds - $0.value.lastHeard.milliseconds >= limit }
        return stale.keys.sorted().flatMap { instance in
            close(instance, cause: "timeout", at: active[instance]!.lastHeard)
        }
    }

    /// Closes every open call: the PEI link is gone, so nothing more will be heard about them.
    public mutating func linkLost(at time: Timestamp) -> [Event] {
        active.keys.sorted().flatMap { close($0, cause: "link lost", at: time) }
    }

    private mutating func opened(_ s: CallSetup, at time: Timestamp) -> [Event] {
        var events: [Event] = []
        if active[s.instance] != nil {
            events += close(s.instance, cause: "replaced by a new call on the same instance", at: time)
        }
        // Priority levels are 0…15 (EN 300 392-5); a value outside is line noise, never an emergency.
        let priority = s.priority.flatMap { (0...15).contains($0) ? $0 : nil } ?? 0
        let call = VoiceCall(
            id: callID(s.instance, time), gateway: configuration.gateway,
            kind: s.commsType == 0 ? .individual : .group,
            called: s.called?.issi ?? "", caller: s.calling?.issi ?? "",
            priority: priority, emergency: priority >= configuration.emergencyPriority,
            start: time, end: nil, cause: nil, transmissions: [])
        active[s.instance] = ActiveCall(call: call, lastHeard: time)
        events.append(.callStarted(call))
        return events
    }

    private mutating func connected(_ c: CallConnect, at time: Timestamp) -> [Event] {
        if active[c.instance] != nil {
            active[c.instance]!.lastHeard = time
            return []
        }
        return [openImplicit(c.instance, caller: configuration.ownIdentity ?? Self.ownRadio, at: time)]
    }

    private mutating func granted(_ g: TransmissionGrant, at time: Timestamp) -> [Event] {
        let talker = g.talker?.issi ?? configuration.ownIdentity ?? Self.ownRadio
        var events: [Event] = []
        if active[g.instance] == nil {
            events.append(openImplicit(g.instance, caller: talker, at: time))
        }
        active[g.instance]!.lastHeard = time
        guard g.startsTransmission else { return events }
        events += ceased(g.instance, at: time)
        // Changed in place in the dictionary, so the transmissions array is not copied.
        guard let index = active.index(forKey: g.instance) else { return events }
        active.values[index].call.transmissions.append(Transmission(talker: talker, start: time, end: nil))
        active.values[index].openTransmission = active.values[index].call.transmissions.count - 1
        events.append(.transmissionStarted(active.values[index].call))
        return events
    }

    private mutating func ceased(_ instance: Int, at time: Timestamp) -> [Event] {
        guard let index = active.index(forKey: instance) else { return [] }
        active.values[index].lastHeard = time
        guard let open = active.values[index].openTransmission else { return [] }
        active.values[index].call.transmissions[open].end = time
        active.values[index].openTransmission = nil
        return [.transmissionEnded(active.values[index].call)]
    }

    private mutating func released(_ instance: Int, cause: String, at time: Timestamp) -> [Event] {
        close(instance, cause: cause, at: time)
    }

    private mutating func close(_ instance: Int, cause: String, at time: Timestamp) -> [Event] {
        guard var entry = active.removeValue(forKey: instance) else { return [] }
        var events: [Event] = []
        if let open = entry.openTransmission {
            entry.call.transmissions[open].end = time
            events.append(.transmissionEnded(entry.call))
        }
        entry.call.end = time
        entry.call.cause = cause
        events.append(.callEnded(entry.call))
        return events
    }

    /// A call we first hear of through `+CTXG` or `+CTCC` (its `+CTICN` was missed, or it is our
    /// own outgoing call): the called party is unknown and left empty.
    private mutating func openImplicit(_ instance: Int, caller: String, at time: Timestamp) -> Event {
        let call = VoiceCall(id: callID(instance, time), gateway: configuration.gateway, kind: .group, called: "",
                             caller: caller, priority: 0, emergency: false, start: time, end: nil, cause: nil, transmissions: [])
        active[instance] = ActiveCall(call: call, lastHeard: time)
        return .callStarted(call)
    }

    private func callID(_ instance: Int, _ time: Timestamp) -> String {
        "\(configuration.gateway):\(instance):\(time.milliseconds)"
    }
}
