/// How one family of TETRA radios is driven over its PEI: port settings, init sequence, timers,
/// paging policy, the meaning of its status values and the quirks the engine must allow for.
///
/// Profiles are YAML files in `firmware-profiles/radios/`, named by their file stem; see
/// `RadioProfiles.load(directory:)` and `firmware-profiles/README.md` for the schema.
public struct RadioProfile: Sendable, Hashable {
    /// The file stem, e.g. `motorola-mtm5400`.
    public var name: String
    public var vendor: String
    public var model: String
    public var description: String
    /// Where each value came from, keyed by setting (`serial`, `serial.baud`, `init_commands`,
    /// `statuses`, `statuses.0x8002`, `quirks.max_line_length` …). A note starting with
    /// `assumed` marks a value no source was found for.
    public var sources: [String: String]
    public var serial: RadioSerialSettings
    /// Sent after the `AT` probe, in order, on every start. Each passes `PEICommand(_:)`.
    public var initCommands: [String]
    /// Seconds without traffic before an `AT` keep-alive.
    public var keepAliveInterval: Double
    /// Seconds to wait for a final result.
    public var commandTimeout: Double
    /// `AT` probes at start while the radio answers with syntax errors.
    public var syncAttempts: Int
    /// Sent before each `AT+CMGS` to select SDS-TL (`AT+CTSDS=12,0,0,0,1`); nil sends none.
    public var sdsServiceCommand: String?
    /// Delivery reports asked for on pages.
    public var pageDeliveryReport: DeliveryReportRequest
    /// The most user data bits in one page.
    public var maximumPageBits: Int
    /// Answer incoming SDS-TL texts that ask for it with a "received" report.
    public var acknowledgeIncomingTexts: Bool
    /// Seconds after which a call with no traffic is closed.
    public var callOrphanTimeout: Double
    /// Calls at this priority level or above are emergencies.
    public var emergencyPriority: Int
    /// The controller may page a talkgroup (GSSI), not only single units.
    public var groupPagingAllowed: Bool
    /// The controller may send status values (AI service 13) as callouts.
    public var statusCalloutsAllowed: Bool
    /// Status value → meaning. Value 0 is always `emergency`.
    public var statuses: [UInt16: RadioStatusMeaning]
    public var quirks: RadioQuirks
    /// The protocol the gateway speaks (`protocol:`): `tetra-pei`, `hytera-hrnp`, `hytera-hstrp` or `jt808`.
    public var protocolName = "tetra-pei"
    /// The timers of a radio-over-IP protocol (set for `hytera-hrnp`; the PEI fields above are
    /// then unused).
    public var ip: RadioIPSettings?

    public init(name: String, vendor: String, model: String, description: String, sources: [String: String],
                serial: RadioSerialSettings, initCommands: [String], keepAliveInterval: Double, commandTimeout: Double,
                syncAttempts: Int, sdsServiceCommand: String?, pageDeliveryReport: DeliveryReportRequest,
                maximumPageBits: Int, acknowledgeIncomingTexts: Bool, callOrphanTimeout: Double, emergencyPriority: Int,
                groupPagingAllowed: Bool, statusCalloutsAllowed: Bool, statuses: [UInt16: RadioStatusMeaning],
                quirks: RadioQuirks) {
        self.name = name
        self.vendor = vendor
        self.model = model
        self.description = description
        self.sources = sources
        self.serial = serial
        self.initCommands = initCommands
        self.keepAliveInterval = keepAliveInterval
        self.commandTimeout = commandTimeout
        self.syncAttempts = syncAttempts
        self.sdsServiceCommand = sdsServiceCommand
        self.pageDeliveryReport = pageDeliveryReport
        self.maximumPageBits = maximumPageBits
        self.acknowledgeIncomingTexts = acknowledgeIncomingTexts
        self.callOrphanTimeout = callOrphanTimeout
        self.emergencyPriority = emergencyPriority
        self.groupPagingAllowed = groupPagingAllowed
        self.statusCalloutsAllowed = statusCalloutsAllowed
        self.statuses = statuses
        self.quirks = quirks
    }

    /// The engine settings for a radio of this kind on `gateway`.
    public func engineConfiguration(gateway: String) -> PEIEngine.Configuration {
        var configuration = PEIEngine.Configuration(
            gateway: gateway, initCommands: initCommands, commandTimeout: commandTimeout,
            keepAliveInterval: keepAliveInterval, syncAttempts: syncAttempts, sdsServiceCommand: sdsServiceCommand,
            pageDeliveryReport: pageDeliveryReport, maximumPageBits: maximumPageBits,
            acknowledgeIncomingTexts: acknowledgeIncomingTexts, callOrphanTimeout: callOrphanTimeout,
            emergencyPriority: emergencyPriority, maximumLineLength: quirks.maximumLineLength)
        configuration.toleratesSDSLengthMismatch = quirks.sdsLengthMismatchTolerated
        return configuration
    }

    /// What status `value` means on this radio, or nil when the profile does not list it.
    public func status(_ value: UInt16) -> RadioStatusMeaning? { statuses[value] }

    /// True when the source note for `key` (or for the section holding it) says `assumed`.
    public func isAssumed(_ key: String) -> Bool {
        let section = key.split(separator: ".").first.map(String.init) ?? key
        guard let note = sources[key] ?? sources[section] else { return true }
        return note.lowercased().hasPrefix("assumed")
    }
}

/// A radio-over-IP profile's settings (Hytera HRNP and HSTRP): the session timers, the renew time given
/// to registering radios, how long a page waits for its answer, the radios' subnet byte.
public struct RadioIPSettings: Sendable, Hashable {
    public var retransmitSeconds: Double
    public var attempts: Int
    public var connectRetrySeconds: Double
    public var keepAliveSeconds: Double
    public var registrationRenewSeconds: Int
    public var pageAnswerSeconds: Double
    public var radioSubnet: UInt8
    /// A repeater feed (`hytera-hstrp`): each service (`rrs`, `gps`, `telemetry`, `tms`,
    /// `call_control`) → its port offsets for slots 1 and 2 from the URL's port. Empty for HRNP.
    /// For a feed, `keepAliveSeconds` is the silence after which the repeater counts as down.
    public var portOffsets: [String: [Int]]
    /// JT/T 808: reports only after authentication; the most connections; how long a text waits
    /// for its terminal to connect. (For JT/T 808 `keepAliveSeconds` is the idle limit,
    /// `retransmitSeconds` how long packages of one message wait for the rest.)
    public var requireAuthentication: Bool
    public var maxConnections: Int
    public var pendingPageSeconds: Double

    public init(retransmitSeconds: Double, attempts: Int, connectRetrySeconds: Double, keepAliveSeconds: Double,
                registrationRenewSeconds: Int, pageAnswerSeconds: Double, radioSubnet: UInt8, portOffsets: [String: [Int]] = [:],
                requireAuthentication: Bool = true, maxConnections: Int = 0, pendingPageSeconds: Double = 0) {
        self.portOffsets = portOffsets
        self.requireAuthentication = requireAuthentication
        self.maxConnections = maxConnections
        self.pendingPageSeconds = pendingPageSeconds
        self.retransmitSeconds = retransmitSeconds
        self.attempts = attempts
        self.connectRetrySeconds = connectRetrySeconds
        self.keepAliveSeconds = keepAliveSeconds
        self.registrationRenewSeconds = registrationRenewSeconds
        self.pageAnswerSeconds = pageAnswerSeconds
        self.radioSubnet = radioSubnet
    }
}

/// One entry of a profile's status table.
public struct RadioStatusMeaning: Sendable, Hashable {
    /// What a status means to the controller: a fixed vocabulary, whatever the site calls it.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case emergency
        case accepted
        case enRoute = "en_route"
        case onScene = "on_scene"
        case done
        case unavailable
        case available
        case other
    }

    public var value: UInt16
    public var meaning: Kind
    /// What the dispatcher sees, e.g. "Status 3: en route".
    public var label: String

    public init(value: UInt16, meaning: Kind, label: String) {
        self.value = value
        self.meaning = meaning
        self.label = label
    }
}

/// Serial port settings as plain values (the serial shell maps them to its port type).
public struct RadioSerialSettings: Sendable, Hashable {
    public enum Parity: String, Sendable, Hashable, CaseIterable {
        case none, even, odd
    }

    public enum FlowControl: String, Sendable, Hashable, CaseIterable {
        case none
        case rtsCts = "rtscts"
    }

    public var baudRate: Int
    public var dataBits: Int
    public var parity: Parity
    public var stopBits: Int
    public var flowControl: FlowControl

    public init(baudRate: Int, dataBits: Int = 8, parity: Parity = .none, stopBits: Int = 1, flowControl: FlowControl = .none) {
        self.baudRate = baudRate
        self.dataBits = dataBits
        self.parity = parity
        self.stopBits = stopBits
        self.flowControl = flowControl
    }

    /// Rates a PEI port is set to in practice.
    public static let supportedBaudRates = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400]
}

/// Radio behaviour that changes what the engine does.
public struct RadioQuirks: Sendable, Hashable {
    /// The radio declares an SDS bit length that does not match the hex it sends (84 bits
    /// announced, 22 digits sent). When false, a payload shorter than the header's length, or
    /// longer by a whole octet, is reported undecoded instead of decoded.
    public var sdsLengthMismatchTolerated: Bool
    /// `AT+CMGS` is refused unless `AT+CTSDS` selected the service first; the profile must then
    /// give `sds_service_command`.
    public var cmgsNeedsServiceSelection: Bool
    /// The longest PEI line kept; longer lines are dropped and counted.
    public var maximumLineLength: Int

    public init(sdsLengthMismatchTolerated: Bool = true, cmgsNeedsServiceSelection: Bool = true, maximumLineLength: Int = 4096) {
        self.sdsLengthMismatchTolerated = sdsLengthMismatchTolerated
        self.cmgsNeedsServiceSelection = cmgsNeedsServiceSelection
        self.maximumLineLength = maximumLineLength
    }
}
