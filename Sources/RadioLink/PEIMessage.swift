/// One line (or, for `+CTSDSR`, one header-and-payload pair) from a radio's PEI, typed.
public enum PEIMessage: Hashable, Sendable {
    /// Final result `OK`.
    case ok
    /// Final result `ERROR`.
    case error
    /// Final result `+CME ERROR: n`.
    case cmeError(CMEError)
    /// Final result `+CMS ERROR: n`.
    case cmsError(code: Int)
    /// The `>` prompt after `AT+CMGS=…`, waiting for the hex user data.
    case prompt
    /// A command echoed back (`ATZ` before `ATE0` takes effect).
    case echo(String)
    /// `+CTICN`: incoming call set up.
    case callSetup(CallSetup)
    /// `+CTCC`: call connected.
    case callConnected(CallConnect)
    /// `+CTXG`: transmission granted (someone starts talking).
    case transmissionGranted(TransmissionGrant)
    /// `+CDTXC`: transmission ceased (the talker let go).
    case transmissionCeased(TransmissionCeased)
    /// `+CTCR`: call released.
    case callReleased(CallRelease)
    /// `+CTSDSR` header line whose payload line has not been seen yet (stateless parsing only).
    case sdsHeader(SDSHeader)
    /// `+CTSDSR` header together with the hex user data on the line after it.
    case sdsReceived(SDSIndication)
    /// `+CMGS: n`: the set-command result, the SDS was accepted by the MT as instance `n`.
    case sdsAccepted(instance: Int)
    /// `+CMGS: n,status,ref`: unsolicited, the SDS went out over the air (4) or failed (5).
    case sdsTransferStatus(SDSTransferStatus)
    /// `+CNUMF`: the radio's own identity.
    case ownNumber(OwnNumber)
    /// `+CTGS`: talkgroup selected or scanned.
    case groupSelection(GroupSelection)
    /// `+CSQ`: signal quality.
    case signalQuality(SignalQuality)
    /// `+CBC`: battery charge.
    case battery(BatteryCharge)
    /// Anything else, kept verbatim.
    case unknown(String)

    /// True for the lines that end the command in flight.
    public var isFinalResult: Bool {
        switch self {
        case .ok, .error, .cmeError, .cmsError: true
        default: false
        }
    }
}

/// `+CME ERROR: n` with its meaning from EN 300 392-5 (as tabulated in the research notes).
public struct CMEError: Hashable, Sendable, CustomStringConvertible {
    public var code: Int

    public init(code: Int) { self.code = code }

    public var text: String { Self.meaning(of: code) }

    /// Errors worth trying again later: out of service (30), no L2 ack (31), busy (42).
    public var isRetryable: Bool { [30, 31, 42].contains(code) }

    public var description: String { "+CME ERROR: \(code) (\(text))" }

    public static func meaning(of code: Int) -> String {
        switch code {
        case 0: "unable to send data over the air"
        case 1: "no reliable communication with the TE"
        case 2: "PEI link already in use"
        case 3: "not supported in the current state"
        case 4: "command not supported"
        case 5: "PIN required"
        case 10...18: "SIM error"
        case 20...23: "message stack full or index error"
        case 24: "status text too long"
        case 25: "status text invalid"
        case 26: "dial string longer than 25 digits"
        case 27: "invalid characters in dial string"
        case 30: "out of service"
        case 31: "no layer 2 acknowledgement from the SwMI"
        case 32: "user data decoding failed"
        case 33: "parameter of the wrong type"
        case 34: "parameter out of range"
        case 35: "syntax error"
        case 36: "user data received without AT+CMGS"
        case 37: "AT+CMGS timed out waiting for user data"
        case 38: "protocol identifier already registered"
        case 39: "SDS-TL registration table full"
        case 40: "not supported in DMO"
        case 41: "transmit inhibit active"
        case 42: "MT busy in signalling, retry later"
        case 43: "not supported in V+D"
        case 44: "unknown parameters"
        default: "error code \(code)"
        }
    }
}

/// `+CTICN: <CC instance>,<call status>,<AI service>,[<calling id type>],[<calling id>],[<hook>],
/// [<simplex>],[<e2ee>],[<comms type>],[<slots/codec>],[<called id type>],[<called id>],[<priority>]`
public struct CallSetup: Hashable, Sendable {
    public var instance: Int
    public var callStatus: Int?
    public var aiService: Int?
    public var callingType: Int?
    public var calling: TetraIdentity?
    public var hook: Int?
    public var simplex: Int?
    public var endToEndEncryption: Int?
    /// 0 point-to-point (individual call); 1 and up point-to-multipoint (group call).
    public var commsType: Int?
    public var slotsCodec: Int?
    public var calledType: Int?
    public var called: TetraIdentity?
    public var priority: Int?

    public init(instance: Int, callStatus: Int? = nil, aiService: Int? = nil, callingType: Int? = nil, calling: TetraIdentity? = nil, hook: Int? = nil, simplex: Int? = nil, endToEndEncryption: Int? = nil, commsType: Int? = nil, slotsCodec: Int? = nil, calledType: Int? = nil, called: TetraIdentity? = nil, priority: Int? = nil) {
        self.instance = instance
        self.callStatus = callStatus
        self.aiService = aiService
        self.callingType = callingType
        self.calling = calling
        self.hook = hook
        self.simplex = simplex
        self.endToEndEncryption = endToEndEncryption
        self.commsType = commsType
        self.slotsCodec = slotsCodec
        self.calledType = calledType
        self.called = called
        self.priority = priority
    }
}

/// `+CTCC: <CC instance>,…`. The field list after the instance is not confirmed against the
/// standard text, so the remaining numbers are kept in order, unnamed.
public struct CallConnect: Hashable, Sendable {
    public var instance: Int
    public var otherFields: [Int?]

    public init(instance: Int, otherFields: [Int?]) {
        self.instance = instance
        self.otherFields = otherFields
    }
}

/// `+CTXG: <CC instance>,<TxGrant>,<TxRqPrmsn>,<e2ee>,[<TPI type>],[<TPI>]`
public struct TransmissionGrant: Hashable, Sendable {
    public var instance: Int
    /// 0 granted, 1 not granted, 2 queued, 3 granted to another.
    public var grant: Int
    public var requestPermission: Int?
    public var endToEndEncryption: Int?
    public var talkerType: Int?
    /// The transmitting party; nil in the 4-field form, which reports our own transmission.
    public var talker: TetraIdentity?

    public init(instance: Int, grant: Int, requestPermission: Int? = nil, endToEndEncryption: Int? = nil, talkerType: Int? = nil, talker: TetraIdentity? = nil) {
        self.instance = instance
        self.grant = grant
        self.requestPermission = requestPermission
        self.endToEndEncryption = endToEndEncryption
        self.talkerType = talkerType
        self.talker = talker
    }

    /// Granted to us (0) or to another party (3): someone is now talking.
    public var startsTransmission: Bool { grant == 0 || grant == 3 }

    public var grantText: String {
        switch grant {
        case 0: "transmission granted"
        case 1: "transmission not granted"
        case 2: "transmission request queued"
        case 3: "transmission granted to another"
        default: "transmission grant \(grant)"
        }
    }
}

/// `+CDTXC: <CC instance>,<TxRqPrmsn>`
public struct TransmissionCeased: Hashable, Sendable {
    public var instance: Int
    public var requestPermission: Int?

    public init(instance: Int, requestPermission: Int? = nil) {
        self.instance = instance
        self.requestPermission = requestPermission
    }
}

/// `+CTCR: <CC instance>,<disconnect cause>`
public struct CallRelease: Hashable, Sendable {
    public var instance: Int
    public var cause: Int?

    public init(instance: Int, cause: Int?) {
        self.instance = instance
        self.cause = cause
    }

    public var causeText: String { cause.map(DisconnectCause.text(for:)) ?? "cause not given" }
}

/// Disconnect causes, EN 300 392-2 numbering (the PEI `+CTCR` table starts with the same values).
public enum DisconnectCause {
    public static func text(for cause: Int) -> String {
        switch cause {
        case 0: "cause not defined or unknown"
        case 1: "user requested disconnect"
        case 2: "called party busy"
        case 3: "called party not reachable"
        case 4: "called party does not support encryption"
        case 5: "congestion in infrastructure"
        case 6: "traffic case not allowed"
        case 7: "incompatible traffic case"
        case 8: "requested service not available"
        case 9: "pre-emptive use of resource"
        case 10: "invalid call identifier"
        case 11: "call rejected by the called party"
        case 12: "no idle CC entity"
        case 13: "timer expiry"
        case 14: "SwMI requested disconnection"
        case 15: "acknowledged service not completed"
        case 16: "unknown TETRA identity"
        case 17: "supplementary-service-specific disconnection"
        case 18: "unknown external subscriber identity"
        case 19: "call restoration of the other user failed"
        case 20: "called party requires encryption"
        case 21: "concurrent set-up not supported"
        case 22: "called party is under the same DM-GATE as the calling party"
        case 23: "non-call owner requested disconnection"
        default: "disconnect cause \(cause)"
        }
    }
}

/// `+CTSDSR: <AI service>,[<calling id>],[<calling id type>],<called id>,<called id type>,<length bits>,[<e2ee>]`
public struct SDSHeader: Hashable, Sendable {
    /// 9-12 SDS type 1-4 (12 = SDS-TL), 13 status.
    public var aiService: Int
    public var calling: TetraIdentity?
    public var callingType: Int?
    public var called: TetraIdentity?
    public var calledType: Int?
    /// User data length in bits as the header gives it.
    public var lengthBits: Int
    public var endToEndEncryption: Int?

    public init(aiService: Int, calling: TetraIdentity?, callingType: Int?, called: TetraIdentity?, calledType: Int?, lengthBits: Int, endToEndEncryption: Int? = nil) {
        self.aiService = aiService
        self.calling = calling
        self.callingType = callingType
        self.called = called
        self.calledType = calledType
        self.lengthBits = lengthBits
        self.endToEndEncryption = endToEndEncryption
    }

    /// AI service 13 carries a 16-bit status value.
    public var isStatus: Bool { aiService == 13 }
}

/// An incoming SDS: the header line and the hex user data line after it.
public struct SDSIndication: Hashable, Sendable {
    public var header: SDSHeader
    /// The payload line as sent (uppercase or lowercase hex, possibly with an odd digit count).
    public var payloadHex: String

    public init(header: SDSHeader, payloadHex: String) {
        self.header = header
        self.payloadHex = payloadHex
    }

    /// Why the payload does not fit the header's bit length: shorter than declared, or longer by
    /// a whole octet or more (less is padding). Nil when it fits.
    public var lengthMismatch: String? {
        let bits = payloadHex.utf8.count * 4
        let declared = header.lengthBits
        guard bits < declared || bits - declared >= 8 else { return nil }
        return "the header declares \(declared) bits but the payload has \(bits) (\(payloadHex.utf8.count) hex digits)"
    }

    /// Decodes the user data by the header's AI service and the protocol identifier.
    public var content: SDSContent { SDSCodec.decode(aiService: header.aiService, hex: payloadHex, lengthBits: header.lengthBits) }
}

/// `+CMGS: <SDS instance>,<SDS status>,<message reference>`
public struct SDSTransferStatus: Hashable, Sendable {
    public var instance: Int
    public var status: Int
    public var reference: Int

    public init(instance: Int, status: Int, reference: Int) {
        self.instance = instance
        self.status = status
        self.reference = reference
    }

    public var wasSent: Bool { status == 4 }
    public var hasFailed: Bool { status == 5 }

    public var statusText: String {
        switch status {
        case 4: "outgoing message successfully sent"
        case 5: "transmission failed"
        default: "SDS status \(status)"
        }
    }
}

/// `+CNUMF: <num type>,<identity>`; type 6 is the individual extended TSI.
public struct OwnNumber: Hashable, Sendable {
    public var numberType: Int
    public var identity: TetraIdentity

    public init(numberType: Int, identity: TetraIdentity) {
        self.numberType = numberType
        self.identity = identity
    }
}

/// `+CTGS: <group type>,<GTSI>`; type 0 none, 1 select, 2-7 scan with priority 1-6.
public struct GroupSelection: Hashable, Sendable {
    public var groupType: Int
    public var group: TetraIdentity

    public init(groupType: Int, group: TetraIdentity) {
        self.groupType = groupType
        self.group = group
    }
}

/// `+CSQ: <rssi>,…`. dBm = −113 + 2 × value; 99 means no network.
public struct SignalQuality: Hashable, Sendable {
    public var value: Int

    public init(value: Int) { self.value = value }

    public var dBm: Int? { value == 99 ? nil : -113 + 2 * value }
}

/// `+CBC: <status>,<charge %>`.
public struct BatteryCharge: Hashable, Sendable {
    public var status: Int
    public var chargePercent: Int?

    public init(status: Int, chargePercent: Int?) {
        self.status = status
        self.chargePercent = chargePercent
    }
}
