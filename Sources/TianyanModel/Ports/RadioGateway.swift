/// A radio gateway as the dispatch layer sees it, whatever its protocol (TETRA PEI today; Hytera,
/// JT/T 808 and MOTOTRBO plug in the same way): its state, paging and status callouts, the pages
/// it holds. What it hears goes to the `RecordSink` it was built with.
public protocol RadioGateway: Sendable {
    var name: String { get }
    var status: RadioGatewayStatus { get }
    /// Its Prometheus samples (`tianyan_gateway_*`, labelled `gateway=<name>`).
    var metrics: [Metric] { get }
    /// Whether it sends status callouts at all (TETRA status SDS; Hytera HDAP has none).
    var sendsStatusCallouts: Bool { get }
    /// When this gateway last heard `unit` (since the controller started), so that a page goes
    /// out on the network the radio is on.
    func lastHeard(_ unit: String) -> Timestamp?
    /// Is `text` an address this network can dial (an unregistered radio typed by number)?
    func isValidAddress(_ text: String) -> Bool
    /// Queues a text page. Refusals are `DispatchError.invalid` naming the field.
    func page(_ text: String, to destination: String, target: Page.Target, requestedBy: String) throws(DispatchError) -> Page
    /// Queues a status callout: `status` is a value (`32772`, `0x8004`) or a meaning or label of the
    /// gateway's profile. The emergency status is refused.
    func sendStatus(_ status: String, to destination: String, target: Page.Target, requestedBy: String) throws(DispatchError) -> Page
    /// Queues a radio check, remote monitor, stun or revive of `radio`. A network without radio
    /// control refuses it (`DispatchError.invalid`, field `action`).
    func control(_ action: RadioControlAction, radio: String, requestedBy: String) throws(DispatchError) -> RadioControl
    /// A control request it holds, with its outcome once the radio answered.
    func control(id: String) -> RadioControl?
    /// A page it still holds (fresher than the store, which the writer batches).
    func page(id: String) -> Page?
    var recentPages: [Page] { get }
    var openCalls: [VoiceCall] { get }
}

/// A gateway's state in neutral terms, plus what only its protocol knows (`details`: for TETRA
/// `own_issi`, `queued_commands`, `signal_dbm`, `counters`). `/healthz` and `/api/v1/gateways`
/// show the neutral fields and the details side by side.
public struct RadioGatewayStatus: Sendable, Hashable {
    public var name: String
    public var url: String
    public var profile: String
    /// The protocol it speaks (`tetra-pei`, `hytera-hrnp`).
    public var protocolName: String
    /// The line (serial port or socket) is open.
    public var connected: Bool
    /// The radio behind it is initialised and answering.
    public var ready: Bool
    public var since: Timestamp?
    public var lastError: String?
    public var openCalls: Int
    public var details: [String: JSONValue]

    public init(name: String, url: String, profile: String, protocolName: String, connected: Bool, ready: Bool, since: Timestamp? = nil,
                lastError: String? = nil, openCalls: Int = 0, details: [String: JSONValue] = [:]) {
        self.name = name
        self.url = url
        self.profile = profile
        self.protocolName = protocolName
        self.connected = connected
        self.ready = ready
        self.since = since
        self.lastError = lastError
        self.openCalls = openCalls
        self.details = details
    }
}
