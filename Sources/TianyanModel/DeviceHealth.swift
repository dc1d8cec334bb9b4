/// One battery pack of an aircraft, as its OSD reports it.
public struct BatteryPack: Hashable, Sendable, Codable {
    public var serial: String?
    public var index: Int
    /// Charge cycles so far.
    public var cycles: Int?
    /// State of charge, percent.
    public var chargePercent: Double?
    /// Degrees Celsius.
    public var temperature: Double?
    /// Millivolts.
    public var voltage: Double?
    /// Days the pack was stored at high voltage (ages the cells).
    public var highVoltageStorageDays: Int?
    public var firmware: String?

    public init(serial: String?, index: Int, cycles: Int?, chargePercent: Double?, temperature: Double?, voltage: Double?, highVoltageStorageDays: Int?, firmware: String?) {
        self.serial = serial
        self.index = index
        self.cycles = cycles
        self.chargePercent = chargePercent
        self.temperature = temperature
        self.voltage = voltage
        self.highVoltageStorageDays = highVoltageStorageDays
        self.firmware = firmware
    }
}

/// What maintenance staff need about a dock or an aircraft, as last reported. Every figure has
/// its unit in the name; `time` is when the device reported it.
public struct DeviceHealth: Hashable, Sendable, Codable {
    public var unit: String
    public var kind: UnitKind
    public var time: Timestamp
    public var model: String?
    public var firmware: String?
    public var modeCode: Int?
    public var mode: String?
    /// Aircraft: total flight time, seconds; flights; distance, metres.
    public var flightSeconds: Double?
    public var flightCount: Int?
    public var flightDistanceMetres: Double?
    public var batteryPercent: Double?
    public var batteries: [BatteryPack]
    /// The dock an aircraft reports through, or the aircraft a dock holds.
    public var peer: String?
    // Dock environment and infrastructure.
    public var temperatureCelsius: Double?
    public var environmentTemperatureCelsius: Double?
    public var humidityPercent: Double?
    public var windSpeedMetresPerSecond: Double?
    /// 0 none, 1 light, 2 moderate, 3 heavy.
    public var rainfall: Int?
    public var storageUsedKilobytes: Double?
    public var storageTotalKilobytes: Double?
    /// `4G` or `ethernet`.
    public var networkType: String?
    /// 0 no signal … 5 good.
    public var networkQuality: Int?
    public var networkRateKilobytesPerSecond: Double?
    public var droneInDock: Bool?
    public var coverState: String?
    /// Dock: missions flown, seconds worked.
    public var jobCount: Int?
    public var workingSeconds: Double?
    public var supplyVoltage: Double?

    public init(unit: String, kind: UnitKind, time: Timestamp) {
        self.unit = unit
        self.kind = kind
        self.time = time
        self.batteries = []
    }

    /// The highest charge-cycle count over the packs.
    public var maxBatteryCycles: Int? { batteries.compactMap(\.cycles).max() }
}

/// A flight task's status as the dock reports it (`flighttask_progress` `output.status`). The raw
/// value is the dock's text, stored and shown as it came: a status this version does not name is
/// kept, not lost. Tests may write one as a string literal.
public struct FlightTaskStatus: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    public var description: String { rawValue }

    public static let sent = FlightTaskStatus(rawValue: "sent")
    public static let inProgress = FlightTaskStatus(rawValue: "in_progress")
    public static let ok = FlightTaskStatus(rawValue: "ok")
    public static let paused = FlightTaskStatus(rawValue: "paused")
    public static let rejected = FlightTaskStatus(rawValue: "rejected")
    public static let failed = FlightTaskStatus(rawValue: "failed")
    public static let canceled = FlightTaskStatus(rawValue: "canceled")
    public static let timeout = FlightTaskStatus(rawValue: "timeout")
    public static let partiallyDone = FlightTaskStatus(rawValue: "partially_done")

    /// The task is over: done, partly done, or it will never fly.
    public static let terminal: Set<FlightTaskStatus> = [.ok, .rejected, .failed, .canceled, .timeout, .partiallyDone]

    public var isTerminal: Bool { Self.terminal.contains(self) }
}

/// Progress of a flight task on a dock (`flighttask_progress`), keyed by flight id.
public struct FlightTaskUpdate: Hashable, Sendable, Codable {
    public var flightID: String
    public var dock: String
    public var time: Timestamp
    /// sent, in_progress, ok, paused, rejected, failed, canceled, timeout, partially_done.
    public var status: FlightTaskStatus
    public var percent: Double?
    public var step: Int?
    public var waypointIndex: Int?
    public var mediaCount: Int?
    public var trackID: String?
    public var resultCode: Int?
    public var resultText: String?

    public init(flightID: String, dock: String, time: Timestamp, status: FlightTaskStatus, percent: Double? = nil, step: Int? = nil, waypointIndex: Int? = nil, mediaCount: Int? = nil, trackID: String? = nil, resultCode: Int? = nil, resultText: String? = nil) {
        self.flightID = flightID
        self.dock = dock
        self.time = time
        self.status = status
        self.percent = percent
        self.step = step
        self.waypointIndex = waypointIndex
        self.mediaCount = mediaCount
        self.trackID = trackID
        self.resultCode = resultCode
        self.resultText = resultText
    }

    public var isTerminal: Bool { status.isTerminal }
}

/// A maintenance action on a unit: grounding, ungrounding, a service done. Audited separately.
public struct MaintenanceAction: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case ground, unground, serviced
    }
    public var unit: String
    public var time: Timestamp
    public var kind: Kind
    public var by: String
    public var note: String?
    /// The unit's total flight time when the action was taken, seconds (for "hours since service").
    public var flightSeconds: Double?

    public init(unit: String, time: Timestamp, kind: Kind, by: String, note: String?, flightSeconds: Double? = nil) {
        self.unit = unit
        self.time = time
        self.kind = kind
        self.by = by
        self.note = note
        self.flightSeconds = flightSeconds
    }
}
