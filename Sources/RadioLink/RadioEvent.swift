import TianyanModel

/// Something the radio link learned, for the rest of the controller.
public enum RadioEvent: Hashable, Sendable {
    /// The init sequence finished; `failedCommands` lists the ones the radio refused or ignored.
    case linkReady(ownIdentity: TetraIdentity?, failedCommands: [String])
    /// The link is down (the shell reported it); open calls were closed.
    case linkDown(reason: String, at: Timestamp)
    /// The `AT` keep-alive got no answer: the shell should close and reopen the port.
    case linkUnresponsive(at: Timestamp)
    case call(CallTracker.Event)
    /// A LIP report with a fix.
    case position(Position, report: LocationReport)
    /// A LIP report without a fix (never stored as a point).
    case locationWithoutFix(unit: String, report: LocationReport, at: Timestamp)
    case status(unit: String, value: StatusValue, at: Timestamp)
    case emergency(unit: String, source: EmergencySource, at: Timestamp)
    /// A LIP response from a radio to a dispatcher's request (trigger, parameters, reporting
    /// enable/disable, temporary control, backlog) or its acknowledgement of a location report.
    case locationResponse(unit: String, response: LIPResponse, at: Timestamp)
    /// A text; a concatenated text comes once, when all its parts have arrived (`message.parts`).
    case text(from: String, to: String?, message: TextMessage, at: Timestamp)
    case deliveryReport(from: String?, report: DeliveryReport, at: Timestamp)
    /// An SDS-ACK: the sender acknowledges an SDS-REPORT we sent.
    case acknowledgement(from: String?, report: DeliveryReport, at: Timestamp)
    /// A page changed state.
    case page(PageRecord)
    /// `+CMGS: n,s,ref` that matched no page of ours.
    case sdsTransferStatus(SDSTransferStatus, at: Timestamp)
    /// An SDS of another kind (non-text transfer, undecodable, an incomplete concatenated text
    /// given up).
    case sds(from: String?, content: SDSContent, raw: SDSIndication, at: Timestamp)
    case ownIdentity(TetraIdentity)
    case signalQuality(SignalQuality, at: Timestamp)
    case battery(BatteryCharge, at: Timestamp)
    case groupSelected(GroupSelection, at: Timestamp)
    /// A line we could not place (no command in flight and not a known result code).
    case unhandledLine(String, at: Timestamp)
}

/// Why a unit is in emergency.
public enum EmergencySource: Hashable, Sendable {
    /// Status SDS value 0.
    case status
    /// LIP reason for sending 2.
    case location
    /// A call with emergency priority.
    case call(priority: Int)
}
