/// Where a position came from.
public enum PositionSource: String, Sendable, Codable, CaseIterable {
    /// Aircraft or dock OSD over MQTT.
    case osd
    /// A LIP report from a radio (SDS).
    case lip
    /// Typed in or imported.
    case manual
    /// Produced by a simulator.
    case simulated
    /// A Hytera location-protocol (LP) report over HRNP or HSTRP.
    case hdap
    /// A JT/T 808 location report (PoC handsets, vehicle terminals).
    case jt808

    /// A radio's report (the unit it moves is a radio, whatever its network).
    public var isRadio: Bool { self == .lip || self == .hdap || self == .jt808 }
}

/// One position report of one unit. WGS-84, metres, m/s, degrees.
public struct Position: Hashable, Sendable, Codable {
    public var unit: String
    public var time: Timestamp
    public var latitude: Double
    public var longitude: Double
    /// Metres above the ellipsoid, when known.
    public var altitude: Double?
    /// Ground speed, m/s, when known.
    public var speed: Double?
    /// Heading, degrees clockwise from true north, when known.
    public var heading: Double?
    /// Horizontal position error, metres, when known.
    public var accuracy: Double?
    public var source: PositionSource

    public init(unit: String, time: Timestamp, latitude: Double, longitude: Double, altitude: Double? = nil, speed: Double? = nil, heading: Double? = nil, accuracy: Double? = nil, source: PositionSource) {
        self.unit = unit
        self.time = time
        self.latitude = latitude
        self.longitude = longitude
        self.altitude = altitude
        self.speed = speed
        self.heading = heading
        self.accuracy = accuracy
        self.source = source
    }

    public var coordinate: Coordinate { Coordinate(latitude: latitude, longitude: longitude) }
}

/// One over (a press of the talk key) inside a call.
public struct Transmission: Hashable, Sendable, Codable {
    public var talker: String
    public var start: Timestamp
    public var end: Timestamp?

    public init(talker: String, start: Timestamp, end: Timestamp?) {
        self.talker = talker
        self.start = start
        self.end = end
    }

    public var durationSeconds: Double? {
        end.map { Double($0.milliseconds - start.milliseconds) / 1000 }
    }
}

public enum CallKind: String, Sendable, Codable {
    case group, individual
}

/// A voice call as the voice-channel log keeps it.
public struct VoiceCall: Hashable, Sendable, Codable {
    /// Natural key: gateway, call instance and start time, so a replayed event is stored once.
    public var id: String
    public var gateway: String
    public var kind: CallKind
    /// GSSI for a group call, called ISSI for an individual call.
    public var called: String
    public var caller: String
    public var priority: Int
    public var emergency: Bool
    public var start: Timestamp
    public var end: Timestamp?
    /// Release cause, as text (e.g. `user requested disconnect`, `link lost`).
    public var cause: String?
    public var transmissions: [Transmission]

    public init(id: String, gateway: String, kind: CallKind, called: String, caller: String, priority: Int, emergency: Bool, start: Timestamp, end: Timestamp?, cause: String?, transmissions: [Transmission]) {
        self.id = id
        self.gateway = gateway
        self.kind = kind
        self.called = called
        self.caller = caller
        self.priority = priority
        self.emergency = emergency
        self.start = start
        self.end = end
        self.cause = cause
        self.transmissions = transmissions
    }
}

public enum AlarmSeverity: String, Sendable, Codable, CaseIterable {
    case info, warning, critical, emergency
}

public struct Alarm: Hashable, Sendable, Codable {
    /// Natural key from the device (e.g. `hms:{sn}:{code}:{time}`), so a redelivery is stored once.
    public var id: String
    public var unit: String
    public var time: Timestamp
    public var kind: String
    public var severity: AlarmSeverity
    public var code: String?
    public var text: String
    public var clearedAt: Timestamp?

    public init(id: String, unit: String, time: Timestamp, kind: String, severity: AlarmSeverity, code: String?, text: String, clearedAt: Timestamp? = nil) {
        self.id = id
        self.unit = unit
        self.time = time
        self.kind = kind
        self.severity = severity
        self.code = code
        self.text = text
        self.clearedAt = clearedAt
    }
}

public enum CommandOutcome: String, Sendable, Codable {
    case pending, succeeded, failed, timedOut = "timed_out", rejected
}

/// A command sent to a device (dock service, page), with who asked and what came back.
public struct CommandRecord: Hashable, Sendable, Codable {
    public var id: String
    public var unit: String
    public var method: String
    public var data: String?
    public var requestedBy: String
    public var requestedAt: Timestamp
    public var outcome: CommandOutcome
    public var resultCode: Int?
    public var resultText: String?
    public var completedAt: Timestamp?

    public init(id: String, unit: String, method: String, data: String?, requestedBy: String, requestedAt: Timestamp, outcome: CommandOutcome, resultCode: Int? = nil, resultText: String? = nil, completedAt: Timestamp? = nil) {
        self.id = id
        self.unit = unit
        self.method = method
        self.data = data
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.outcome = outcome
        self.resultCode = resultCode
        self.resultText = resultText
        self.completedAt = completedAt
    }
}

/// One line of the audit log: who did what, when, and how it ended.
public struct AuditEntry: Hashable, Sendable, Codable {
    public var time: Timestamp
    public var actor: String
    public var action: String
    public var target: String
    public var outcome: String
    public var detail: String?

    public init(time: Timestamp, actor: String, action: String, target: String, outcome: String, detail: String? = nil) {
        self.time = time
        self.actor = actor
        self.action = action
        self.target = target
        self.outcome = outcome
        self.detail = detail
    }
}

/// A unit was heard (any message), with or without a position.
public struct UnitSighting: Hashable, Sendable, Codable {
    public var unit: String
    public var kind: UnitKind
    public var time: Timestamp

    public init(unit: String, kind: UnitKind, time: Timestamp) {
        self.unit = unit
        self.kind = kind
        self.time = time
    }
}

/// Something a device produced or the controller decided that must be stored.
public enum StoreRecord: Sendable, Hashable {
    case position(Position)
    case sighting(UnitSighting)
    case voiceCall(VoiceCall)
    case alarm(Alarm)
    case command(CommandRecord)
    case audit(AuditEntry)
    /// Latest maintenance telemetry of a dock or aircraft (one row per unit, replaced).
    case health(DeviceHealth)
    case flightTask(FlightTaskUpdate)
    case maintenance(MaintenanceAction)
    /// A page's latest state (one row per page, replaced as it moves).
    case page(Page)
    case radioMessage(RadioMessage)
    /// A plan sortie's latest state (one row per sortie, replaced as it moves forward).
    case sortie(SortieRecord)
    /// What a finished sortie imaged of a cell; `lastCovered` only ever moves forward.
    case cellCoverage(CellCoverageRecord)
    /// A dispatch task's latest state (one row per task, replaced as it changes).
    case task(DispatchTask)
}

/// A unit as `tianyan units` shows it.
public struct UnitSummary: Hashable, Sendable, Codable {
    public var id: String
    public var kind: UnitKind
    public var name: String
    /// False for a device heard on the air or the broker but absent from the registry.
    public var registered: Bool
    public var formation: String?
    public var lastSeen: Timestamp?
    public var position: Position?

    public init(id: String, kind: UnitKind, name: String, registered: Bool, formation: String?, lastSeen: Timestamp?, position: Position?) {
        self.id = id
        self.kind = kind
        self.name = name
        self.registered = registered
        self.formation = formation
        self.lastSeen = lastSeen
        self.position = position
    }
}
