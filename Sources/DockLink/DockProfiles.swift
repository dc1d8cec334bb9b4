import Foundation
import TianyanModel
import Yams

/// A profile problem, as `file: what is wrong`.
public struct ProfileProblem: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var message: String
    public init(file: String, message: String) {
        self.file = file
        self.message = message
    }
    public var description: String { "\(file): \(message)" }
}

/// Every problem found in a profile directory, reported together.
public struct ProfileErrors: Error, Sendable, CustomStringConvertible {
    public var problems: [ProfileProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// The dock profiles the controller knows, and which one speaks for a device.
public struct DockProfiles: Sendable {
    public let profiles: [DockProfile]

    public init(_ profiles: [DockProfile]) {
        self.profiles = profiles
    }

    /// Loads and validates every `*.yaml` in `directory/docks` (or `directory` itself when it
    /// holds the YAML files). Throws `ProfileErrors` listing every problem of every file.
    public static func load(directory: String) throws -> DockProfiles {
        let docks = (directory as NSString).appendingPathComponent("docks")
        var isDir: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: docks, isDirectory: &isDir) && isDir.boolValue ? docks : directory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw ProfileErrors(problems: [ProfileProblem(file: folder, message: "no such directory; pass the firmware-profiles directory (profiles_dir)")])
        }
        let files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        guard !files.isEmpty else {
            throw ProfileErrors(problems: [ProfileProblem(file: folder, message: "no dock profiles (*.yaml) found")])
        }
        var loaded: [DockProfile] = []
        var problems: [ProfileProblem] = []
        for name in files {
            let path = (folder as NSString).appendingPathComponent(name)
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let profile = try parse(yaml: text)
                let found = validate(profile)
                problems += found.map { ProfileProblem(file: path, message: $0) }
                if found.isEmpty { loaded.append(profile) }
            } catch let error as DecodingError {
                problems.append(ProfileProblem(file: path, message: describe(error)))
            } catch {
                problems.append(ProfileProblem(file: path, message: "\(error)"))
            }
        }
        let ids = Dictionary(grouping: loaded, by: \.id).filter { $0.value.count > 1 }.keys.sorted()
        for id in ids { problems.append(ProfileProblem(file: folder, message: "profile id \(id) is used by more than one file")) }
        guard problems.isEmpty else { throw ProfileErrors(problems: problems) }
        return DockProfiles(loaded)
    }

    /// Decodes one profile from its YAML text (not yet validated: see `validate`).
    public static func parse(yaml text: String) throws -> DockProfile {
        try YAMLDecoder().decode(DockProfile.self, from: text)
    }

    /// What is wrong with a decoded profile, one line per problem (empty when it is fine).
    public static func validate(_ p: DockProfile) -> [String] {
        var out: [String] = []
        if p.id.isEmpty || p.id.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-") }) {
            out.append("id \"\(p.id)\" must be letters, digits and dashes")
        }
        if p.dockModels.isEmpty { out.append("dock_models is empty: name the registry models this profile serves") }
        for (kind, keys) in [("dock_model_keys", p.dockModelKeys), ("aircraft_model_keys", p.aircraftModelKeys)] {
            for key in keys where key.split(separator: "-").count != 3 || key.split(separator: "-").contains(where: { Int($0) == nil }) {
                out.append("\(kind): \"\(key)\" is not a domain-type-subtype key such as 3-2-0")
            }
        }
        for (name, template) in zip(["osd", "state", "services", "services_reply", "events", "events_reply",
                                     "requests", "requests_reply", "status", "status_reply"], p.topics.all) {
            if !template.contains("{sn}") { out.append("topics.\(name) \"\(template)\" lacks the {sn} placeholder") }
            if template.contains("+") || template.contains("#") { out.append("topics.\(name) must not contain MQTT wildcards") }
        }
        for (field, path) in p.dockFields.sorted(by: { $0.key < $1.key }) {
            if !DockProfile.dockFieldNames.contains(field) { out.append("dock_fields: unknown model field \"\(field)\" (known: \(DockProfile.dockFieldNames.sorted().joined(separator: ", ")))") }
            if path.isEmpty || path.split(separator: ".").contains(where: \.isEmpty) { out.append("dock_fields.\(field): bad key path \"\(path)\"") }
        }
        for (field, path) in p.aircraftFields.sorted(by: { $0.key < $1.key }) {
            if !DockProfile.aircraftFieldNames.contains(field) { out.append("aircraft_fields: unknown model field \"\(field)\" (known: \(DockProfile.aircraftFieldNames.sorted().joined(separator: ", ")))") }
            if path.isEmpty || path.split(separator: ".").contains(where: \.isEmpty) { out.append("aircraft_fields.\(field): bad key path \"\(path)\"") }
        }
        for needed in ["latitude", "longitude", "mode_code"] where p.aircraftFields[needed] == nil {
            out.append("aircraft_fields must map \(needed)")
        }
        for code in p.airborneModes where p.aircraftModes[code] == nil {
            out.append("airborne_modes: \(code) is not in aircraft_modes")
        }
        for method in DockCommand.Method.allCases where p.methods[method.rawValue] == nil {
            out.append("methods: \(method.rawValue) is missing (every profile must give its reply timeout)")
        }
        for (name, m) in p.methods.sorted(by: { $0.key < $1.key }) where !(m.timeoutSeconds > 0 && m.timeoutSeconds <= 600) {
            out.append("methods.\(name).timeout_seconds \(m.timeoutSeconds) must be in 0-600 s")
        }
        for code in p.resultCodes.keys.sorted() where code <= 0 {
            out.append("result_codes: \(code) is not an error code (0 means success)")
        }
        for (side, table) in [("dock", p.hms.dock), ("aircraft", p.hms.aircraft)] {
            for code in table.keys.sorted() where !(code.hasPrefix("0x") && UInt64(code.dropFirst(2), radix: 16) != nil) {
                out.append("hms.\(side): \"\(code)\" is not a hex code such as 0x16100083")
            }
        }
        let c = p.capabilities
        let checks: [(String, Double, ClosedRange<Double>)] = [
            ("endurance_minutes", c.enduranceMinutes, 1...180), ("reserve_percent", c.reservePercent, 0...80),
            ("cruise_speed_mps", c.cruiseSpeedMetresPerSecond, 1...40), ("climb_speed_mps", c.climbSpeedMetresPerSecond, 0.5...20),
            ("max_altitude_m", c.maxAltitudeMetres, 10...500), ("range_km", c.rangeKilometres, 0.5...50),
            ("max_wind_mps", c.maxWindMetresPerSecond, 1...30), ("min_takeoff_battery_percent", c.minTakeoffBatteryPercent, 0...100),
            ("charge_minutes", c.chargeMinutes, 1...300),
            ("camera.sensor_width_mm", c.camera.sensorWidthMillimetres, 1...100), ("camera.sensor_height_mm", c.camera.sensorHeightMillimetres, 1...100),
            ("camera.focal_length_mm", c.camera.focalLengthMillimetres, 1...500),
            ("camera.image_width_px", Double(c.camera.imageWidthPixels), 100...20_000), ("camera.image_height_px", Double(c.camera.imageHeightPixels), 100...20_000),
            ("camera.min_photo_interval_s", c.camera.minPhotoIntervalSeconds, 0.1...60),
        ]
        for (name, value, range) in checks where !range.contains(value) {
            out.append("capabilities.\(name) \(value) is outside \(range.lowerBound)-\(range.upperBound)")
        }
        if !(0...3).contains(c.maxRainfall) { out.append("capabilities.max_rainfall must be 0-3 (none, light, moderate, heavy)") }
        return out
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ ctx: DecodingError.Context) -> String {
            let p = ctx.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "the document" : p
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            let parent = path(ctx)
            return "missing key \(parent == "the document" ? "" : parent + ".")\(key.stringValue)"
        case .typeMismatch(let type, let ctx): return "\(path(ctx)): expected \(type) (\(ctx.debugDescription))"
        case .valueNotFound(let type, let ctx): return "\(path(ctx)): expected a \(type), found nothing"
        case .dataCorrupted(let ctx): return "\(path(ctx)): \(ctx.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// The profile for a registry model name (`DJI Dock 2`, `Matrice 3TD`).
    public func profile(forModel model: String) -> DockProfile? {
        profiles.first { $0.dockModels.contains(model) || $0.aircraftModels.contains(model) }
    }

    /// The profile for a DJI model key (`3-2-0`, `0-91-1`).
    public func profile(forModelKey key: String) -> DockProfile? {
        profiles.first { $0.dockModelKeys.contains(key) || $0.aircraftModelKeys.contains(key) }
    }

    public func profile(id: String) -> DockProfile? { profiles.first { $0.id == id } }
}
