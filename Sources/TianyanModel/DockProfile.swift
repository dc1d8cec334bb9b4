import Foundation

/// A dock firmware profile: everything the controller needs to speak to one dock family and to
/// plan with it, loaded from `firmware-profiles/docks/*.yaml`. Pure data; the YAML loader and the
/// codec that applies it live in DockLink.
public struct DockProfile: Hashable, Sendable, Codable {
    /// Short identifier used in configuration and logs, e.g. `dji-dock2`.
    public var id: String
    /// Human name, e.g. `DJI Dock 2`.
    public var name: String
    /// Registry model names this profile serves (`DJI Dock 2`) and its aircraft models (`Matrice 3TD`).
    public var dockModels: [String]
    public var aircraftModels: [String]
    /// DJI device model keys (`domain-type-subtype`, e.g. `3-2-0`) reported in `update_topo`.
    public var dockModelKeys: [String]
    public var aircraftModelKeys: [String]
    public var topics: Topics
    /// OSD/state key paths (dotted) for each model field, per device kind.
    public var dockFields: [String: String]
    public var aircraftFields: [String: String]
    /// `mode_code` meanings.
    public var dockModes: [Int: String]
    public var aircraftModes: [Int: String]
    /// Aircraft mode codes that mean the aircraft is in the air.
    public var airborneModes: [Int]
    /// Services the controller may send, with their reply timeouts and retry rules.
    public var methods: [String: Method]
    /// `data.result` meanings; codes not listed are shown raw as unknown.
    public var resultCodes: [Int: String]
    /// HMS texts by code (`0x16100083`), for dock and aircraft.
    public var hms: HMSTexts
    public var capabilities: Capabilities

    public init(id: String, name: String, dockModels: [String], aircraftModels: [String], dockModelKeys: [String], aircraftModelKeys: [String], topics: Topics, dockFields: [String: String], aircraftFields: [String: String], dockModes: [Int: String], aircraftModes: [Int: String], airborneModes: [Int], methods: [String: Method], resultCodes: [Int: String], hms: HMSTexts, capabilities: Capabilities) {
        self.id = id
        self.name = name
        self.dockModels = dockModels
        self.aircraftModels = aircraftModels
        self.dockModelKeys = dockModelKeys
        self.aircraftModelKeys = aircraftModelKeys
        self.topics = topics
        self.dockFields = dockFields
        self.aircraftFields = aircraftFields
        self.dockModes = dockModes
        self.aircraftModes = aircraftModes
        self.airborneModes = airborneModes
        self.methods = methods
        self.resultCodes = resultCodes
        self.hms = hms
        self.capabilities = capabilities
    }

    enum CodingKeys: String, CodingKey {
        case id, name, topics, methods, hms, capabilities
        case dockModels = "dock_models", aircraftModels = "aircraft_models"
        case dockModelKeys = "dock_model_keys", aircraftModelKeys = "aircraft_model_keys"
        case dockFields = "dock_fields", aircraftFields = "aircraft_fields"
        case dockModes = "dock_modes", aircraftModes = "aircraft_modes", airborneModes = "airborne_modes"
        case resultCodes = "result_codes"
    }

    /// Topic templates; `{sn}` stands for the device serial number.
    public struct Topics: Hashable, Sendable, Codable {
        public var osd: String
        public var state: String
        public var services: String
        public var servicesReply: String
        public var events: String
        public var eventsReply: String
        public var requests: String
        public var requestsReply: String
        public var status: String
        public var statusReply: String

        public init(osd: String, state: String, services: String, servicesReply: String, events: String, eventsReply: String, requests: String, requestsReply: String, status: String, statusReply: String) {
            self.osd = osd
            self.state = state
            self.services = services
            self.servicesReply = servicesReply
            self.events = events
            self.eventsReply = eventsReply
            self.requests = requests
            self.requestsReply = requestsReply
            self.status = status
            self.statusReply = statusReply
        }

        enum CodingKeys: String, CodingKey {
            case osd, state, services, events, requests, status
            case servicesReply = "services_reply", eventsReply = "events_reply"
            case requestsReply = "requests_reply", statusReply = "status_reply"
        }

        public var all: [String] {
            [osd, state, services, servicesReply, events, eventsReply, requests, requestsReply, status, statusReply]
        }
    }

    public struct Method: Hashable, Sendable, Codable {
        /// How long to wait for `services_reply` (replies can take 20 s on real docks).
        public var timeoutSeconds: Double
        /// Whether resending with a fresh tid after a timeout cannot do harm.
        public var retrySafe: Bool
        public var description: String

        public init(timeoutSeconds: Double, retrySafe: Bool, description: String) {
            self.timeoutSeconds = timeoutSeconds
            self.retrySafe = retrySafe
            self.description = description
        }

        enum CodingKeys: String, CodingKey {
            case description
            case timeoutSeconds = "timeout_seconds", retrySafe = "retry_safe"
        }
    }

    public struct HMSTexts: Hashable, Sendable, Codable {
        public var dock: [String: String]
        public var aircraft: [String: String]

        public init(dock: [String: String], aircraft: [String: String]) {
            self.dock = dock
            self.aircraft = aircraft
        }
    }

    public struct Capabilities: Hashable, Sendable, Codable {
        /// Flight time on a full battery, minutes.
        public var enduranceMinutes: Double
        /// Battery kept in reserve for landing, percent.
        public var reservePercent: Double
        public var cruiseSpeedMetresPerSecond: Double
        public var climbSpeedMetresPerSecond: Double
        public var maxAltitudeMetres: Double
        /// Operating radius around the dock, km.
        public var rangeKilometres: Double
        /// Highest wind at which the dock launches, m/s.
        public var maxWindMetresPerSecond: Double
        /// Highest `rainfall` level (0 none, 1 light, 2 moderate, 3 heavy) at which it launches.
        public var maxRainfall: Int
        /// Least battery percent to take off.
        public var minTakeoffBatteryPercent: Double
        /// Minutes to charge from the reserve back to full.
        public var chargeMinutes: Double
        public var camera: Camera

        public init(enduranceMinutes: Double, reservePercent: Double, cruiseSpeedMetresPerSecond: Double, climbSpeedMetresPerSecond: Double, maxAltitudeMetres: Double, rangeKilometres: Double, maxWindMetresPerSecond: Double, maxRainfall: Int, minTakeoffBatteryPercent: Double, chargeMinutes: Double, camera: Camera) {
            self.enduranceMinutes = enduranceMinutes
            self.reservePercent = reservePercent
            self.cruiseSpeedMetresPerSecond = cruiseSpeedMetresPerSecond
            self.climbSpeedMetresPerSecond = climbSpeedMetresPerSecond
            self.maxAltitudeMetres = maxAltitudeMetres
            self.rangeKilometres = rangeKilometres
            self.maxWindMetresPerSecond = maxWindMetresPerSecond
            self.maxRainfall = maxRainfall
            self.minTakeoffBatteryPercent = minTakeoffBatteryPercent
            self.chargeMinutes = chargeMinutes
            self.camera = camera
        }

        enum CodingKeys: String, CodingKey {
            case camera
            case enduranceMinutes = "endurance_minutes", reservePercent = "reserve_percent"
            case cruiseSpeedMetresPerSecond = "cruise_speed_mps", climbSpeedMetresPerSecond = "climb_speed_mps"
            case maxAltitudeMetres = "max_altitude_m", rangeKilometres = "range_km"
            case maxWindMetresPerSecond = "max_wind_mps", maxRainfall = "max_rainfall"
            case minTakeoffBatteryPercent = "min_takeoff_battery_percent", chargeMinutes = "charge_minutes"
        }
    }

    public struct Camera: Hashable, Sendable, Codable {
        public var name: String
        public var sensorWidthMillimetres: Double
        public var sensorHeightMillimetres: Double
        public var focalLengthMillimetres: Double
        public var imageWidthPixels: Int
        public var imageHeightPixels: Int
        /// Shortest interval between two photos, seconds.
        public var minPhotoIntervalSeconds: Double

        public init(name: String, sensorWidthMillimetres: Double, sensorHeightMillimetres: Double, focalLengthMillimetres: Double, imageWidthPixels: Int, imageHeightPixels: Int, minPhotoIntervalSeconds: Double) {
            self.name = name
            self.sensorWidthMillimetres = sensorWidthMillimetres
            self.sensorHeightMillimetres = sensorHeightMillimetres
            self.focalLengthMillimetres = focalLengthMillimetres
            self.imageWidthPixels = imageWidthPixels
            self.imageHeightPixels = imageHeightPixels
            self.minPhotoIntervalSeconds = minPhotoIntervalSeconds
        }

        enum CodingKeys: String, CodingKey {
            case name
            case sensorWidthMillimetres = "sensor_width_mm", sensorHeightMillimetres = "sensor_height_mm"
            case focalLengthMillimetres = "focal_length_mm"
            case imageWidthPixels = "image_width_px", imageHeightPixels = "image_height_px"
            case minPhotoIntervalSeconds = "min_photo_interval_s"
        }
    }

    /// Model fields an OSD mapping may fill. A profile naming any other field is refused.
    public static let dockFieldNames: Set<String> = [
        "latitude", "longitude", "altitude", "mode_code", "temperature", "environment_temperature",
        "humidity", "wind_speed", "rainfall", "storage_total", "storage_used", "network_type",
        "network_quality", "network_rate", "drone_in_dock", "drone_battery_percent", "drone_charging",
        "cover_state", "job_number", "working_seconds", "firmware", "sub_device_sn", "flighttask_step_code",
        "emergency_stop", "working_voltage", "working_current", "supply_voltage", "backup_battery_voltage",
    ]
    public static let aircraftFieldNames: Set<String> = [
        "latitude", "longitude", "altitude", "elevation", "heading", "horizontal_speed", "vertical_speed",
        "battery_percent", "remaining_flight_seconds", "mode_code", "total_flight_seconds",
        "total_flight_distance", "flight_count", "firmware", "track_id", "batteries", "home_distance",
        "wind_speed",
    ]

    /// Text for a result code: the profile's text, or `unknown code N` kept raw.
    public func resultText(_ code: Int) -> String {
        if code == 0 { return "success" }
        return resultCodes[code] ?? "unknown code \(code)"
    }

    /// The concrete topic for a serial number.
    public static func topic(_ template: String, serial: String) -> String {
        template.replacingOccurrences(of: "{sn}", with: serial)
    }
}
