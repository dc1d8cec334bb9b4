/// An alarm with how dispatchers handled it: acknowledged ("I have seen it"), cleared ("it is
/// over", with a note).
public struct HandledAlarm: Hashable, Sendable {
    public var alarm: Alarm
    public var acknowledgedAt: Timestamp?
    public var acknowledgedBy: String?
    public var clearedBy: String?
    public var note: String?

    public init(alarm: Alarm, acknowledgedAt: Timestamp? = nil, acknowledgedBy: String? = nil, clearedBy: String? = nil,
                note: String? = nil) {
        self.alarm = alarm
        self.acknowledgedAt = acknowledgedAt
        self.acknowledgedBy = acknowledgedBy
        self.clearedBy = clearedBy
        self.note = note
    }
}

/// A user account as stored. The password arrives already hashed; `role` is the role's name.
public struct UserAccount: Hashable, Sendable {
    public var name: String
    public var role: String
    public var created: Timestamp
    public var disabled: Bool
    public var passwordHash: String

    public init(name: String, role: String, created: Timestamp, disabled: Bool, passwordHash: String) {
        self.name = name
        self.role = role
        self.created = created
        self.disabled = disabled
        self.passwordHash = passwordHash
    }
}

/// One sample of a unit's maintenance figures (the health history), units in the names.
public struct HealthSample: Hashable, Sendable {
    public var time: Timestamp
    public var flightSeconds: Double?
    public var flightCount: Int?
    public var batteryCycles: Int?
    public var batteryPercent: Double?
    public var temperatureCelsius: Double?

    public init(time: Timestamp, flightSeconds: Double? = nil, flightCount: Int? = nil, batteryCycles: Int? = nil,
                batteryPercent: Double? = nil, temperatureCelsius: Double? = nil) {
        self.time = time
        self.flightSeconds = flightSeconds
        self.flightCount = flightCount
        self.batteryCycles = batteryCycles
        self.batteryPercent = batteryPercent
        self.temperatureCelsius = temperatureCelsius
    }

    /// The health history keeps at most one sample per unit in this many milliseconds.
    public static let spacingMilliseconds: Int64 = 600_000
}
