import TianyanModel

/// Everything the coverage scheduler plans from. Pure data; the same input always gives the same
/// `Schedule`.
///
/// Conventions (documented here because the validator checks exactly these):
/// - Only drones that live in a dock (`Drone.dock` names a dock in the registry) are scheduled;
///   hand-flown drones are left to their pilots.
/// - Flying a dock sortie needs a `bvlos` or `instructor` licence, valid on the local day of the
///   sortie (the expiry day itself still counts).
/// - A pilot's shift on a local day runs from the start of their first sortie to the end of their
///   last; its length must not exceed `maxDutyHoursPerDay`, and the gap from one shift's end to
///   the next shift's start must be at least `minRestHours`.
/// - A drone flies one sortie at a time and its dock recharges it for `chargeMinutes` after each.
/// - Without borrowing, a sortie's drone, dock and pilot all belong to one formation, and the cell
///   belongs to that formation's community. With borrowing, any docked drone may fly any cell and
///   any pilot any drone.
/// - Sorties lie inside the daily flying window (local time, `utcOffsetSeconds`), and every hour
///   they touch has a known forecast within the dock profile's wind and rain limits.
public struct ScheduleInput: Sendable {
    public var registry: FleetRegistry
    /// Capabilities per dock model (`Dock.model`, e.g. "DJI Dock 2").
    public var capabilitiesByDockModel: [String: DockProfile.Capabilities]
    /// When each cell was last fully covered; a missing cell was never covered and is due at once.
    public var lastCovered: [String: Timestamp]
    public var horizonStart: Timestamp
    public var horizonDays: Int
    /// Drones that may not fly, and when (grounded, due for maintenance).
    public var unavailability: [DroneUnavailability]
    public var forecast: WeatherForecast
    public var flyingHours: FlyingHours
    public var options: ScheduleOptions

    public init(registry: FleetRegistry, capabilitiesByDockModel: [String: DockProfile.Capabilities], lastCovered: [String: Timestamp] = [:],
                horizonStart: Timestamp, horizonDays: Int = 14, unavailability: [DroneUnavailability] = [], forecast: WeatherForecast,
                flyingHours: FlyingHours = FlyingHours(), options: ScheduleOptions = ScheduleOptions()) {
        self.registry = registry
        self.capabilitiesByDockModel = capabilitiesByDockModel
        self.lastCovered = lastCovered
        self.horizonStart = horizonStart
        self.horizonDays = horizonDays
        self.unavailability = unavailability
        self.forecast = forecast
        self.flyingHours = flyingHours
        self.options = options
    }

    public var horizonEnd: Timestamp { horizonStart.adding(seconds: Double(horizonDays) * 86_400) }
}

/// A drone that may not fly between `from` and `until` (nil: open-ended on that side).
public struct DroneUnavailability: Hashable, Sendable, Codable {
    public var drone: String
    public var from: Timestamp?
    public var until: Timestamp?
    public var reason: String

    public init(drone: String, from: Timestamp? = nil, until: Timestamp? = nil, reason: String) {
        self.drone = drone
        self.from = from
        self.until = until
        self.reason = reason
    }

    /// Every drone that is grounded or due for maintenance, unavailable for the whole horizon.
    public static func from(_ statuses: [MaintenanceStatus]) -> [DroneUnavailability] {
        statuses.filter { $0.kind == .drone && !$0.available }.map { s in
            DroneUnavailability(drone: s.unit, reason: s.grounded != nil ? "grounded" : "due for maintenance: " + s.due.joined(separator: "; "))
        }
    }

    func overlaps(_ start: Timestamp, _ end: Timestamp) -> Bool {
        (from.map { end > $0 } ?? true) && (until.map { start < $0 } ?? true)
    }
}

/// An hourly forecast for the town. Hour `i` covers `[start + i h, start + (i+1) h)`; hours before
/// the start, after the last entry, or given as nil are unknown, and unknown hours are not flown.
public struct WeatherForecast: Hashable, Sendable, Codable {
    public struct Hour: Hashable, Sendable, Codable {
        /// Mean wind (gusts if that is what the source gives), m/s.
        public var windMetresPerSecond: Double
        /// 0 none, 1 light, 2 moderate, 3 heavy (the dock profile's `max_rainfall` scale).
        public var rainfall: Int

        public init(windMetresPerSecond: Double, rainfall: Int) {
            self.windMetresPerSecond = windMetresPerSecond
            self.rainfall = rainfall
        }
    }

    public var start: Timestamp
    public var hours: [Hour?]

    public init(start: Timestamp, hours: [Hour?]) {
        self.start = start
        self.hours = hours
    }

    /// Calm and dry for `days` days from `start`.
    public static func fair(from start: Timestamp, days: Int, wind: Double = 3) -> WeatherForecast {
        WeatherForecast(start: start, hours: Array(repeating: Hour(windMetresPerSecond: wind, rainfall: 0), count: days * 24))
    }

    /// The forecast for the hour containing `t`, nil when unknown.
    public func hour(at t: Timestamp) -> Hour? {
        let ms = t.milliseconds - start.milliseconds
        guard ms >= 0 else { return nil }
        let i = Int(ms / 3_600_000)
        return i < hours.count ? hours[i] : nil
    }
}

/// The daily window in which sorties may fly, local time. Default 07:00–19:00 at UTC+8 (China
/// Standard Time, the sample town's zone), a simple stand-in for daylight in Guangdong (sunrise
/// 05:40–07:10, sunset 17:40–19:15 over the year).
public struct FlyingHours: Hashable, Sendable, Codable {
    public var utcOffsetSeconds: Int
    /// Seconds after local midnight; `start < end ≤ 86 400`.
    public var startSecondOfDay: Int
    public var endSecondOfDay: Int

    public init(utcOffsetSeconds: Int = 8 * 3_600, startHour: Int = 7, endHour: Int = 19) {
        self.utcOffsetSeconds = utcOffsetSeconds
        startSecondOfDay = max(0, min(24, startHour)) * 3_600
        endSecondOfDay = max(startSecondOfDay, min(24, endHour) * 3_600)
    }

    /// Local day number (days since 1970-01-01 local) of an instant given in seconds since the epoch.
    func localDay(_ epochSeconds: Int64) -> Int64 {
        let local = epochSeconds + Int64(utcOffsetSeconds)
        return local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
    }

    /// Does the hour `[t, t + 3600)` (epoch seconds) overlap its local day's window?
    func hourOverlapsWindow(_ t: Int64) -> Bool {
        let dayStart = localDay(t) * 86_400 - Int64(utcOffsetSeconds)
        return t < dayStart + Int64(endSecondOfDay) && t + 3_600 > dayStart + Int64(startSecondOfDay)
    }

    /// Is `[start, end]` (epoch seconds) inside one day's window?
    func contains(_ start: Int64, _ end: Int64) -> Bool {
        let day = localDay(start)
        let dayStart = day * 86_400 - Int64(utcOffsetSeconds)
        return start >= dayStart + Int64(startSecondOfDay) && end <= dayStart + Int64(endSecondOfDay)
    }
}

public struct ScheduleOptions: Hashable, Sendable, Codable {
    /// May a formation fly other communities' cells, and a pilot another formation's drone?
    public var allowBorrowing: Bool
    /// Sortie start times lie on this grid, seconds from the horizon start.
    public var slotSeconds: Int
    /// How many of the nearest docks are planned for each cell (of its own formations, and as many
    /// again among all docks when borrowing).
    public var docksPerCell: Int
    /// Survey settings passed to every SurveyPlanner.
    public var survey: SurveyPlanner.Configuration
    /// Run the improvement pass after the greedy construction.
    public var improve: Bool
    /// A visit is flown no earlier than this share of the cell's revisit period before its due
    /// date (flying sooner only shortens the cycle and costs visits).
    public var earliestShare: Double

    public init(allowBorrowing: Bool = false, slotSeconds: Int = 300, docksPerCell: Int = 3,
                survey: SurveyPlanner.Configuration = SurveyPlanner.Configuration(), improve: Bool = true, earliestShare: Double = 0.5) {
        self.allowBorrowing = allowBorrowing
        self.slotSeconds = max(60, slotSeconds)
        self.docksPerCell = max(1, docksPerCell)
        self.survey = survey
        self.improve = improve
        self.earliestShare = max(0, earliestShare)
    }
}

extension Pilot {
    /// May fly a dock sortie on the local civil day `day` (days since the epoch)?
    public func mayFlyDock(onLocalDay day: Int64) -> Bool {
        (licenceClass == .bvlos || licenceClass == .instructor) && licenceExpiry.daysSinceEpoch >= day
    }
}
