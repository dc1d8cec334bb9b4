import TianyanModel

/// Where a page (a text SDS asking for delivery reports) stands: the model's type, so the
/// engine's states are stored and shown as they are. The engine never uses `retrying`.
public typealias PageState = TianyanModel.PageState

/// One step in a page's life.
public struct PageTransition: Hashable, Sendable {
    public var state: PageState
    public var time: Timestamp
    /// Why it failed, or what the radio said.
    public var detail: String?

    public init(state: PageState, time: Timestamp, detail: String? = nil) {
        self.state = state
        self.time = time
        self.detail = detail
    }
}

/// A page and its history.
public struct PageRecord: Hashable, Sendable {
    /// Engine-assigned, increasing from 1.
    public var id: Int
    public var destination: String
    public var text: String
    /// The SDS-TL message reference in the PDU; delivery reports carry it back.
    public var reference: UInt8
    /// The SDS instance from `+CMGS: n`.
    public var sdsInstance: Int?
    /// A status callout (status SDS) rather than a text: no SDS-TL reference, no delivery reports,
    /// done once sent.
    public var status: UInt16?
    public var history: [PageTransition]

    public init(id: Int, destination: String, text: String, reference: UInt8, sdsInstance: Int? = nil, history: [PageTransition]) {
        self.id = id
        self.destination = destination
        self.text = text
        self.reference = reference
        self.sdsInstance = sdsInstance
        self.history = history
    }

    public var state: PageState { history.last?.state ?? .queued }

    /// Nothing more will happen: read or failed, or sent for a status callout.
    public var isFinished: Bool { state.isFinal || (status != nil && state == .sent) }

    /// When the page reached `state`, if it did.
    public func time(of state: PageState) -> Timestamp? { history.first { $0.state == state }?.time }

    /// Moves forward only: a late "sent" after "received" is not recorded, nothing follows "failed"
    /// or "read". Returns whether the state changed.
    mutating func advance(to next: PageState, at time: Timestamp, detail: String? = nil) -> Bool {
        guard !state.isFinal, next > state else { return false }
        history.append(PageTransition(state: next, time: time, detail: detail))
        return true
    }
}
