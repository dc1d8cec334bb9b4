import Synchronization

/// Where a page stands. The raw values are the stored and shown text; cases are in rank order
/// (a page only moves forward: `queued` … `read`, or `failed`). `retrying` is the controller's
/// own: refused before it went out, to be queued again.
public enum PageState: String, Hashable, Sendable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    /// Waiting for its turn on the PEI.
    case queued
    /// Refused before it went out; queued again after a pause.
    case retrying
    /// `+CMGS: n`: the radio took it.
    case accepted
    /// `+CMGS: n,4,ref`: it went out over the air.
    case sent
    /// SDS-REPORT "receipt acknowledged by destination".
    case received
    /// SDS-REPORT "consumed by destination": read.
    case read
    /// Refused by the radio, failed over the air, or reported undeliverable.
    case failed

    /// The position in the order above.
    public var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (a: PageState, b: PageState) -> Bool { a.rank < b.rank }

    /// Read or failed: nothing more will happen to the page.
    public var isFinal: Bool { self == .read || self == .failed }

    public var description: String { rawValue }
}

/// One step of a page's life: queued, accepted, sent, received, read or failed.
public struct PageStep: Hashable, Sendable, Codable {
    public var state: PageState
    public var time: Timestamp
    /// What the radio said, or why it failed.
    public var detail: String?
    /// Nothing follows this step: the network reports no further state (a Hytera radio
    /// acknowledges receipt but never reading). Nil on steps that say nothing about it.
    public var final: Bool?

    public init(state: PageState, time: Timestamp, detail: String? = nil, final: Bool? = nil) {
        self.state = state
        self.time = time
        self.detail = detail
        self.final = final
    }
}

/// A text page to a radio or a talkgroup, as stored and shown: who asked, through which
/// gateway, and every state it reached with its time.
public struct Page: Hashable, Sendable, Codable {
    public enum Target: String, Hashable, Sendable, Codable {
        case radio, talkgroup
    }

    /// Controller-wide id, e.g. `PG-1764021600123-1`.
    public var id: String
    public var gateway: String
    /// ISSI or GSSI.
    public var destination: String
    public var target: Target
    /// The text of a page, or the label of a status callout.
    public var text: String
    /// The 16-bit status value of a status callout; nil for a text page.
    public var status: Int?
    public var requestedBy: String
    public var requestedAt: Timestamp
    /// The latest state (`queued` … `read` or `failed`).
    public var state: PageState
    public var history: [PageStep]

    public init(id: String, gateway: String, destination: String, target: Target, text: String, status: Int? = nil,
                requestedBy: String, requestedAt: Timestamp, state: PageState, history: [PageStep]) {
        self.id = id
        self.gateway = gateway
        self.destination = destination
        self.target = target
        self.text = text
        self.status = status
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.state = state
        self.history = history
    }

    /// True once nothing more will happen to it (a talkgroup gives no per-member receipts and a
    /// status no receipts at all, so those are done once sent).
    public var isFinal: Bool {
        state.isFinal || history.last?.final == true || (state == .sent && (target == .talkgroup || status != nil))
    }

    /// When it last changed.
    public var updated: Timestamp { history.last?.time ?? requestedAt }
}

/// A status or text message a radio sent (a location report is a `Position` instead).
public struct RadioMessage: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable {
        case status, text
        /// A radio registered, deregistered or answered an online check (`meaning`: online or
        /// offline; `text` says why).
        case presence
    }

    public var gateway: String
    public var unit: String
    public var time: Timestamp
    public var kind: Kind
    /// The 16-bit status value, for a status.
    public var status: Int?
    /// What the status means in the gateway's profile (`accepted`, `en_route`, …), if it says.
    public var meaning: String?
    /// The dispatcher-facing label of a status, or the text of a text message.
    public var text: String?
    /// Who it was addressed to (an ISSI or GSSI), when known.
    public var called: String?

    public init(gateway: String, unit: String, time: Timestamp, kind: Kind, status: Int? = nil, meaning: String? = nil,
                text: String? = nil, called: String? = nil) {
        self.gateway = gateway
        self.unit = unit
        self.time = time
        self.kind = kind
        self.status = status
        self.meaning = meaning
        self.text = text
        self.called = called
    }
}

/// The run number in page ids (`PG-<run>-<n>`): each gateway takes one as it starts. It is the
/// time in milliseconds, moved on by one when another gateway of this process already took that
/// millisecond, so that two gateways started together never hand out the same page id.
public enum PageRun {
    private static let last = Mutex<Int64>(0)

    public static func next() -> Int64 {
        last.withLock { v in
            v = max(Timestamp.now().milliseconds, v + 1)
            return v
        }
    }
}

/// What a dispatcher may do to a radio over the air, where the network has it (Hytera RCP).
public enum RadioControlAction: String, Hashable, Sendable, Codable, CaseIterable {
    /// Is the radio there? (it answers without its user noticing)
    case radioCheck = "radio_check"
    /// Opens the radio's microphone for the dispatcher.
    case remoteMonitor = "remote_monitor"
    /// Disables the radio (遥晕) until it is revived.
    case stun
    /// Enables a stunned radio (复活).
    case revive
}

/// A radio-control request and what came of it.
public struct RadioControl: Hashable, Sendable, Codable {
    /// Controller-wide id, e.g. `RC-1764021600123-3`.
    public var id: String
    public var gateway: String
    public var radio: String
    public var action: RadioControlAction
    public var requestedBy: String
    public var requestedAt: Timestamp
    /// nil while waiting for the radio; then `ok` or why it failed.
    public var outcome: String?
    public var answeredAt: Timestamp?

    public init(id: String, gateway: String, radio: String, action: RadioControlAction, requestedBy: String, requestedAt: Timestamp,
                outcome: String? = nil, answeredAt: Timestamp? = nil) {
        self.id = id
        self.gateway = gateway
        self.radio = radio
        self.action = action
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.outcome = outcome
        self.answeredAt = answeredAt
    }
}
