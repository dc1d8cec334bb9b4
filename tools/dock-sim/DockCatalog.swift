import Foundation
import TianyanModel
import Yams

/// The docks to simulate: the sample fleet's docks with their aircraft, model keys, firmware
/// and the HMS codes of their firmware profile.
struct DockCatalog {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// DJI device model keys (`domain-type-subtype`) by registry model name.
    static let modelKeys: [String: String] = [
        "DJI Dock": "3-1-0", "DJI Dock 2": "3-2-0", "DJI Dock 3": "3-3-0",
        "Matrice 30": "0-67-0", "Matrice 30T": "0-67-1", "Matrice 3D": "0-91-0", "Matrice 3TD": "0-91-1",
        "Matrice 4D": "0-100-0", "Matrice 4TD": "0-100-1",
    ]

    var profiles: [DockProfile]

    /// Loads every `*.yaml` under `directory/docks` (or `directory` itself).
    init(profilesDirectory directory: String) throws {
        let fm = FileManager.default
        let docksDir = (directory as NSString).appendingPathComponent("docks")
        let dir = fm.fileExists(atPath: docksDir) ? docksDir : directory
        guard let names = try? fm.contentsOfDirectory(atPath: dir) else {
            throw Failure(description: "cannot read firmware profiles in \(dir); pass --profiles DIR (the folder holding docks/*.yaml)")
        }
        var profiles: [DockProfile] = []
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let path = (dir as NSString).appendingPathComponent(name)
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                profiles.append(try YAMLDecoder().decode(DockProfile.self, from: text))
            } catch {
                throw Failure(description: "firmware profile \(path) does not decode: \(error)")
            }
        }
        guard !profiles.isEmpty else {
            throw Failure(description: "no *.yaml firmware profile in \(dir); pass --profiles DIR")
        }
        self.profiles = profiles
    }

    init(profiles: [DockProfile]) {
        self.profiles = profiles
    }

    /// The profile for a dock model; Dock 3 falls back to the Dock 2 profile while there is none.
    func profile(forDockModel model: String) -> DockProfile? {
        profiles.first { $0.dockModels.contains(model) }
            ?? profiles.first { $0.id == "dji-dock2" }
            ?? profiles.first
    }

    /// Identities for the first `count` docks of the fleet that have an aircraft.
    func identities(fleet: FleetRegistry, count: Int?) throws -> [DockIdentity] {
        var result: [DockIdentity] = []
        for dock in fleet.docks {
            if let count, result.count >= count { break }
            guard let drone = fleet.drones.first(where: { $0.dock == dock.serial }) else { continue }
            guard let dockKey = Self.modelKeys[dock.model], let aircraftKey = Self.modelKeys[drone.model] else {
                throw Failure(description: "no DJI model key known for \(dock.model) / \(drone.model)")
            }
            let profile = profile(forDockModel: dock.model)
            result.append(DockIdentity(
                dock: dock, aircraftSerial: drone.serial, dockModelKey: dockKey, aircraftModelKey: aircraftKey,
                dockFirmware: Self.djiVersion(dock.firmware), aircraftFirmware: Self.djiVersion(drone.firmware),
                dockHMSCodes: profile?.hms.dock.keys.sorted() ?? [], aircraftHMSCodes: profile?.hms.aircraft.keys.sorted() ?? []))
        }
        return result
    }

    /// The registry writes `v10.01.1804`; devices report `10.01.1804`.
    static func djiVersion(_ registry: String) -> String {
        registry.hasPrefix("v") ? String(registry.dropFirst()) : registry
    }
}
