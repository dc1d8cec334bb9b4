import Foundation
import TianyanModel

/// Model fields an OSD or state message can carry (the union over docks and aircraft; profiles
/// map their JSON key paths onto these names).
public enum OSDField: String, CaseIterable, Sendable {
    case latitude, longitude, altitude, elevation, heading, horizontalSpeed = "horizontal_speed"
    case verticalSpeed = "vertical_speed", batteryPercent = "battery_percent"
    case remainingFlightSeconds = "remaining_flight_seconds", modeCode = "mode_code"
    case totalFlightSeconds = "total_flight_seconds", totalFlightDistance = "total_flight_distance"
    case flightCount = "flight_count", firmware, trackID = "track_id", batteries, homeDistance = "home_distance"
    case windSpeed = "wind_speed", temperature, environmentTemperature = "environment_temperature", humidity
    case rainfall, storageTotal = "storage_total", storageUsed = "storage_used", networkType = "network_type"
    case networkQuality = "network_quality", networkRate = "network_rate", droneInDock = "drone_in_dock"
    case droneBatteryPercent = "drone_battery_percent", droneCharging = "drone_charging", coverState = "cover_state"
    case jobNumber = "job_number", workingSeconds = "working_seconds", subDeviceSerial = "sub_device_sn"
    case flighttaskStepCode = "flighttask_step_code", emergencyStop = "emergency_stop"
    case workingVoltage = "working_voltage", workingCurrent = "working_current", supplyVoltage = "supply_voltage"
    case backupBatteryVoltage = "backup_battery_voltage"

    var isText: Bool { self == .firmware || self == .trackID || self == .subDeviceSerial }
}

/// The values one OSD/state message carried: absent fields stay absent, so that the split dock
/// OSD merges part by part.
public struct OSDValues: Sendable, Hashable {
    var numbers = [Double](repeating: .nan, count: OSDField.allCases.count)
    var texts: [OSDField: String] = [:]
    public var batteries: [BatteryPack]?
    /// Fields present with a type the profile did not expect (counted, then ignored).
    public var fieldErrors = 0

    public init() {}

    public subscript(_ field: OSDField) -> Double? {
        get {
            let v = numbers[field.index]
            return v.isNaN ? nil : v
        }
        set { numbers[field.index] = newValue ?? .nan }
    }

    public func text(_ field: OSDField) -> String? { texts[field] }
    public mutating func setText(_ field: OSDField, _ value: String?) { texts[field] = value }
    public func int(_ field: OSDField) -> Int? { self[field].flatMap { $0.isFinite && abs($0) < 1e15 ? Int($0) : nil } }

    public var isEmpty: Bool { numbers.allSatisfy(\.isNaN) && texts.isEmpty && batteries == nil }

    /// Overlays what `newer` carries onto these values.
    public mutating func merge(_ newer: OSDValues) {
        for i in numbers.indices where !newer.numbers[i].isNaN { numbers[i] = newer.numbers[i] }
        texts.merge(newer.texts) { _, new in new }
        if let b = newer.batteries { batteries = b }
    }
}

extension OSDField {
    /// Position in `allCases`, without a dictionary lookup (this runs for every field of every message).
    public var index: Int {
        switch self {
        case .latitude: 0
        case .longitude: 1
        case .altitude: 2
        case .elevation: 3
        case .heading: 4
        case .horizontalSpeed: 5
        case .verticalSpeed: 6
        case .batteryPercent: 7
        case .remainingFlightSeconds: 8
        case .modeCode: 9
        case .totalFlightSeconds: 10
        case .totalFlightDistance: 11
        case .flightCount: 12
        case .firmware: 13
        case .trackID: 14
        case .batteries: 15
        case .homeDistance: 16
        case .windSpeed: 17
        case .temperature: 18
        case .environmentTemperature: 19
        case .humidity: 20
        case .rainfall: 21
        case .storageTotal: 22
        case .storageUsed: 23
        case .networkType: 24
        case .networkQuality: 25
        case .networkRate: 26
        case .droneInDock: 27
        case .droneBatteryPercent: 28
        case .droneCharging: 29
        case .coverState: 30
        case .jobNumber: 31
        case .workingSeconds: 32
        case .subDeviceSerial: 33
        case .flighttaskStepCode: 34
        case .emergencyStop: 35
        case .workingVoltage: 36
        case .workingCurrent: 37
        case .supplyVoltage: 38
        case .backupBatteryVoltage: 39
        }
    }
}

/// A profile's key paths as a tree, walked while decoding so that only mapped keys are read.
final class FieldTree: Sendable {
    let leaves: [(key: AnyKey, field: OSDField)]
    let nodes: [(key: AnyKey, tree: FieldTree)]

    init(leaves: [(key: AnyKey, field: OSDField)], nodes: [(key: AnyKey, tree: FieldTree)]) {
        self.leaves = leaves
        self.nodes = nodes
    }

    /// `mapping` is model field name → dotted JSON key path, as in the profile.
    convenience init(_ mapping: [String: String]) {
        var leaves: [(AnyKey, OSDField)] = []
        var children: [String: [String: String]] = [:]
        for (name, path) in mapping.sorted(by: { $0.key < $1.key }) {
            guard let field = OSDField(rawValue: name) else { continue }
            let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
            if parts.count == 1 {
                leaves.append((AnyKey(parts[0]), field))
            } else {
                children[parts[0], default: [:]][name] = parts[1]
            }
        }
        self.init(leaves: leaves.map { (key: $0.0, field: $0.1) },
                  nodes: children.sorted { $0.key < $1.key }.map { (key: AnyKey($0.key), tree: FieldTree($0.value)) })
    }
}

struct AnyKey: CodingKey, Sendable {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
