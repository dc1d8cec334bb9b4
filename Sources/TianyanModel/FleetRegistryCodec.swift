import Foundation

/// One thing wrong with an import, located as `file:line`.
public struct ImportProblem: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}

/// Every problem found in an import; nothing is written when there is one.
public struct FleetImportError: Error, Sendable, CustomStringConvertible {
    public var problems: [ImportProblem]
    public var description: String {
        "the fleet import was refused, nothing was written (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
            + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// The registry's on-disk form: CSV tables and a GeoJSON file of grid cells.
/// Decoding validates everything and reports every problem with its file and line.
public enum FleetRegistryCodec {
    public enum File: String, CaseIterable, Sendable {
        case formations = "formations.csv"
        case pilots = "pilots.csv"
        case docks = "docks.csv"
        case drones = "drones.csv"
        case talkgroups = "talkgroups.csv"
        case radios = "radios.csv"
        case cells = "cells.geojson"

        public var columns: [String] {
            switch self {
            case .formations: ["id", "name", "community", "lead"]
            case .pilots: ["id", "name", "formation", "licence_class", "licence_expiry", "max_duty_hours_per_day", "min_rest_hours"]
            case .docks: ["serial", "name", "model", "formation", "lat", "lon", "altitude_m", "firmware"]
            case .drones: ["serial", "name", "model", "formation", "dock", "firmware"]
            case .talkgroups: ["gssi", "name"]
            case .radios: ["issi", "alias", "person", "pilot", "talkgroups"]
            case .cells: []
            }
        }
    }

    // MARK: Encoding

    /// The registry as file name → contents. Decoding the result gives back the same registry.
    public static func encode(_ r: FleetRegistry) -> [String: String] {
        var files: [String: String] = [:]
        func table(_ f: File, _ rows: [[String]]) { files[f.rawValue] = CSV.format([f.columns] + rows) }
        table(.formations, r.formations.map { [$0.id, $0.name, $0.community, $0.lead ?? ""] })
        table(.pilots, r.pilots.map {
            [$0.id, $0.name, $0.formation, $0.licenceClass.rawValue, $0.licenceExpiry.description,
             number($0.maxDutyHoursPerDay), number($0.minRestHours)]
        })
        table(.docks, r.docks.map {
            [$0.serial, $0.name, $0.model, $0.formation, number($0.location.latitude), number($0.location.longitude),
             number($0.altitudeMetres), $0.firmware]
        })
        table(.drones, r.drones.map { [$0.serial, $0.name, $0.model, $0.formation, $0.dock ?? "", $0.firmware] })
        table(.talkgroups, r.talkgroups.map { [$0.gssi, $0.name] })
        table(.radios, r.radios.map { [$0.issi, $0.alias, $0.person, $0.pilot ?? "", $0.talkgroups.joined(separator: " ")] })
        var geo = "{\"type\":\"FeatureCollection\",\"features\":[\n"
        for (i, cell) in r.cells.enumerated() {
            let ring = cell.polygon.map { "[\(number($0.longitude)),\(number($0.latitude))]" }.joined(separator: ",")
            geo += "{\"type\":\"Feature\",\"properties\":{\"id\":\(jsonString(cell.id)),\"community\":\(jsonString(cell.community)),"
            geo += "\"revisit_days\":\(cell.revisitDays)},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[\(ring)]]}}"
            geo += i == r.cells.count - 1 ? "\n" : ",\n"
        }
        geo += "]}\n"
        files[File.cells.rawValue] = geo
        return files
    }

    /// Shortest text that reads back as the same Double (`22.8`, `113.80125`, `8`).
    public static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    static func jsonString(_ s: String) -> String {
        var out = ""
        JSONText.appendString(s, to: &out)
        return out
    }

    // MARK: Decoding

    /// Decodes and validates a registry from file name → contents. Throws every problem at once.
    public static func decode(_ files: [String: String]) throws(FleetImportError) -> FleetRegistry {
        var d = Decoder()
        d.run(files)
        if !d.problems.isEmpty { throw FleetImportError(problems: d.problems) }
        return d.registry
    }

    struct Row {
        var file: File
        var line: Int
        var values: [String: String]
        subscript(_ key: String) -> String { values[key] ?? "" }
    }

    struct Decoder {
        var problems: [ImportProblem] = []
        var registry = FleetRegistry()

        mutating func problem(_ file: File, _ line: Int, _ message: String) {
            problems.append(ImportProblem(file: file.rawValue, line: line, message: message))
        }

        mutating func rows(_ file: File, _ files: [String: String]) -> [Row] {
            guard let text = files[file.rawValue] else {
                problem(file, 0, "the file is missing; a fleet directory holds \(File.allCases.map(\.rawValue).joined(separator: ", "))")
                return []
            }
            let records: [CSV.Record]
            do { records = try CSV.parse(text) } catch {
                problem(file, error.line, error.message)
                return []
            }
            guard let header = records.first else {
                problem(file, 1, "the file is empty; the first line must be the header \(file.columns.joined(separator: ","))")
                return []
            }
            let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            let missing = file.columns.filter { !names.contains($0) }
            let unknown = names.filter { !file.columns.contains($0) }
            if !missing.isEmpty || !unknown.isEmpty {
                var parts: [String] = []
                if !missing.isEmpty { parts.append("missing column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))") }
                if !unknown.isEmpty { parts.append("unknown column\(unknown.count > 1 ? "s" : "") \(unknown.joined(separator: ", "))") }
                problem(file, header.line, parts.joined(separator: "; ") + "; expected \(file.columns.joined(separator: ","))")
                return []
            }
            var out: [Row] = []
            for record in records.dropFirst() {
                guard record.fields.count == names.count else {
                    problem(file, record.line, "\(record.fields.count) fields, the header has \(names.count)")
                    continue
                }
                var values: [String: String] = [:]
                for (k, v) in zip(names, record.fields) { values[k] = v.trimmingCharacters(in: .whitespaces) }
                out.append(Row(file: file, line: record.line, values: values))
            }
            return out
        }

        mutating func required(_ row: Row, _ key: String) -> String? {
            let v = row[key]
            if v.isEmpty { problem(row.file, row.line, "\(key) is empty"); return nil }
            return v
        }

        mutating func double(_ row: Row, _ key: String, _ range: ClosedRange<Double>, unit: String) -> Double? {
            guard let text = required(row, key) else { return nil }
            guard let v = Double(text), v.isFinite else {
                problem(row.file, row.line, "\(key) \"\(text)\" is not a number"); return nil
            }
            guard range.contains(v) else {
                problem(row.file, row.line, "\(key) \(text) is out of range \(number(range.lowerBound))…\(number(range.upperBound)) \(unit)")
                return nil
            }
            return v
        }

        mutating func unique(_ seen: inout [String: Int], _ id: String, _ row: Row, what: String) -> Bool {
            if let first = seen[id] {
                problem(row.file, row.line, "duplicate \(what) \(id) (first at line \(first))")
                return false
            }
            seen[id] = row.line
            return true
        }

        static func isShortIdentity(_ s: String) -> Bool {
            !s.isEmpty && s.count <= 8 && s.allSatisfy(\.isASCII) && s.allSatisfy(\.isNumber) && (Int(s) ?? .max) <= 16_777_215
        }

        mutating func run(_ files: [String: String]) {
            let formationRows = rows(.formations, files)
            let pilotRows = rows(.pilots, files)
            let dockRows = rows(.docks, files)
            let droneRows = rows(.drones, files)
            let talkgroupRows = rows(.talkgroups, files)
            let radioRows = rows(.radios, files)

            var formationIDs: [String: Int] = [:]
            var pilotIDs: [String: Int] = [:]
            var pilotFormation: [String: String] = [:]
            for row in pilotRows where !row["id"].isEmpty { pilotFormation[row["id"]] = row["formation"] }
            for row in formationRows {
                guard let id = required(row, "id") else { continue }
                guard unique(&formationIDs, id, row, what: "formation id") else { continue }
                guard let name = required(row, "name"), let community = required(row, "community") else { continue }
                let lead = row["lead"].isEmpty ? nil : row["lead"]
                if let lead {
                    if pilotFormation[lead] == nil {
                        problem(row.file, row.line, "lead \(lead) is not a pilot in pilots.csv")
                    } else if pilotFormation[lead] != id {
                        problem(row.file, row.line, "lead \(lead) belongs to formation \(pilotFormation[lead]!), not \(id)")
                    }
                }
                registry.formations.append(Formation(id: id, name: name, community: community, lead: lead))
            }
            for row in pilotRows {
                guard let id = required(row, "id") else { continue }
                guard unique(&pilotIDs, id, row, what: "pilot id") else { continue }
                let name = required(row, "name")
                let formation = required(row, "formation")
                if let formation, formationIDs[formation] == nil {
                    problem(row.file, row.line, "formation \(formation) is not in formations.csv")
                }
                var licence: LicenceClass?
                if let text = required(row, "licence_class") {
                    licence = LicenceClass(rawValue: text)
                    if licence == nil {
                        problem(row.file, row.line, "licence_class \"\(text)\" is not one of \(LicenceClass.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                }
                var expiry: CivilDate?
                if let text = required(row, "licence_expiry") {
                    expiry = CivilDate(parsing: text)
                    if expiry == nil { problem(row.file, row.line, "licence_expiry \"\(text)\" is not a date (YYYY-MM-DD)") }
                }
                let duty = double(row, "max_duty_hours_per_day", 0.5...24, unit: "h")
                let rest = double(row, "min_rest_hours", 0...48, unit: "h")
                if let name, let formation, let licence, let expiry, let duty, let rest {
                    registry.pilots.append(Pilot(id: id, name: name, formation: formation, licenceClass: licence,
                                                 licenceExpiry: expiry, maxDutyHoursPerDay: duty, minRestHours: rest))
                }
            }

            var unitIDs: [String: String] = [:]
            func claimUnit(_ d: inout Decoder, _ id: String, _ row: Row) -> Bool {
                if let other = unitIDs[id] {
                    d.problem(row.file, row.line, "unit id \(id) is already used by \(other)")
                    return false
                }
                unitIDs[id] = "\(row.file.rawValue):\(row.line)"
                return true
            }
            var dockSerials: Set<String> = []
            for row in dockRows {
                guard let serial = required(row, "serial"), claimUnit(&self, serial, row) else { continue }
                dockSerials.insert(serial)
                let name = required(row, "name"), model = required(row, "model"), formation = required(row, "formation")
                if let formation, formationIDs[formation] == nil {
                    problem(row.file, row.line, "formation \(formation) is not in formations.csv")
                }
                let lat = double(row, "lat", -90...90, unit: "degrees")
                let lon = double(row, "lon", -180...180, unit: "degrees")
                let alt = double(row, "altitude_m", -500...9000, unit: "m")
                let firmware = required(row, "firmware")
                if let name, let model, let formation, let lat, let lon, let alt, let firmware {
                    registry.docks.append(Dock(serial: serial, name: name, model: model, formation: formation,
                                               location: Coordinate(latitude: lat, longitude: lon), altitudeMetres: alt, firmware: firmware))
                }
            }
            var dockedBy: [String: String] = [:]
            for row in droneRows {
                guard let serial = required(row, "serial"), claimUnit(&self, serial, row) else { continue }
                let name = required(row, "name"), model = required(row, "model"), formation = required(row, "formation")
                if let formation, formationIDs[formation] == nil {
                    problem(row.file, row.line, "formation \(formation) is not in formations.csv")
                }
                let dock = row["dock"].isEmpty ? nil : row["dock"]
                var dockOK = true
                if let dock {
                    if !dockSerials.contains(dock) {
                        problem(row.file, row.line, "dock \(dock) is not in docks.csv"); dockOK = false
                    } else if let other = dockedBy[dock] {
                        problem(row.file, row.line, "dock \(dock) already holds drone \(other)"); dockOK = false
                    } else {
                        dockedBy[dock] = serial
                    }
                }
                let firmware = required(row, "firmware")
                if let name, let model, let formation, let firmware, dockOK {
                    registry.drones.append(Drone(serial: serial, name: name, model: model, formation: formation, dock: dock, firmware: firmware))
                }
            }
            var gssis: [String: Int] = [:]
            for row in talkgroupRows {
                guard let gssi = required(row, "gssi") else { continue }
                guard Decoder.isShortIdentity(gssi) else {
                    problem(row.file, row.line, "gssi \"\(gssi)\" must be 1 to 8 digits, at most 16777215"); continue
                }
                guard unique(&gssis, gssi, row, what: "gssi"), let name = required(row, "name") else { continue }
                registry.talkgroups.append(Talkgroup(gssi: gssi, name: name))
            }
            for row in radioRows {
                guard let issi = required(row, "issi") else { continue }
                guard Decoder.isShortIdentity(issi) else {
                    problem(row.file, row.line, "issi \"\(issi)\" must be 1 to 8 digits, at most 16777215"); continue
                }
                guard claimUnit(&self, issi, row) else { continue }
                let alias = required(row, "alias"), person = required(row, "person")
                let pilot = row["pilot"].isEmpty ? nil : row["pilot"]
                if let pilot, pilotIDs[pilot] == nil { problem(row.file, row.line, "pilot \(pilot) is not in pilots.csv") }
                let groups = row["talkgroups"].split(separator: " ").map(String.init)
                var groupsOK = true
                for g in groups where gssis[g] == nil {
                    problem(row.file, row.line, "talkgroup \(g) is not in talkgroups.csv"); groupsOK = false
                }
                if let alias, let person, groupsOK, pilot == nil || pilotIDs[pilot!] != nil {
                    registry.radios.append(Radio(issi: issi, alias: alias, person: person, pilot: pilot, talkgroups: groups))
                }
            }
            decodeCells(files[File.cells.rawValue])
        }

        mutating func decodeCells(_ text: String?) {
            let file = File.cells
            guard let text else {
                problem(file, 0, "the file is missing; grid cells are a GeoJSON FeatureCollection of Polygons")
                return
            }
            let lines = GeoJSONLines.featureStartLines(in: text)
            let root: Any
            do {
                root = try JSONSerialization.jsonObject(with: Data(text.utf8))
            } catch {
                problem(file, GeoJSONLines.errorLine(in: text, error: error), "not valid JSON: \(error.localizedDescription)")
                return
            }
            guard let object = root as? [String: Any], object["type"] as? String == "FeatureCollection",
                  let features = object["features"] as? [Any]
            else {
                problem(file, 1, "expected a GeoJSON object with \"type\": \"FeatureCollection\" and a \"features\" array")
                return
            }
            var ids: [String: Int] = [:]
            for (index, item) in features.enumerated() {
                let line = index < lines.count ? lines[index] : 1
                func fail(_ m: String) { problems.append(ImportProblem(file: file.rawValue, line: line, message: "feature \(index + 1): \(m)")) }
                guard let feature = item as? [String: Any], feature["type"] as? String == "Feature" else {
                    fail("not a GeoJSON Feature"); continue
                }
                let props = feature["properties"] as? [String: Any] ?? [:]
                guard let id = props["id"] as? String, !id.isEmpty else { fail("properties.id (a string) is missing"); continue }
                if let first = ids[id] { fail("duplicate cell id \(id) (first at line \(first))"); continue }
                ids[id] = line
                guard let community = props["community"] as? String, !community.isEmpty else {
                    fail("cell \(id): properties.community (a string) is missing"); continue
                }
                let revisit = (props["revisit_days"] as? NSNumber)?.doubleValue ?? 14
                guard revisit == revisit.rounded(), (1...365).contains(revisit) else {
                    fail("cell \(id): revisit_days \(props["revisit_days"] ?? "") must be a whole number of days, 1…365"); continue
                }
                guard let geometry = feature["geometry"] as? [String: Any], geometry["type"] as? String == "Polygon",
                      let rings = geometry["coordinates"] as? [Any], let outer = rings.first as? [Any]
                else { fail("cell \(id): geometry must be a Polygon"); continue }
                if rings.count > 1 { fail("cell \(id): holes are not supported; give the outer ring only"); continue }
                var ring: [Coordinate] = []
                var bad = false
                for (k, p) in outer.enumerated() {
                    guard let pair = p as? [Any], pair.count >= 2,
                          let lon = (pair[0] as? NSNumber)?.doubleValue, let lat = (pair[1] as? NSNumber)?.doubleValue
                    else { fail("cell \(id): vertex \(k + 1) is not a [lon, lat] pair"); bad = true; break }
                    let c = Coordinate(latitude: lat, longitude: lon)
                    guard c.isValid else {
                        fail("cell \(id): vertex \(k + 1) [\(number(lon)), \(number(lat))] is out of range (lon −180…180, lat −90…90)")
                        bad = true; break
                    }
                    ring.append(c)
                }
                if bad { continue }
                guard ring.count >= 4 else { fail("cell \(id): a polygon ring needs at least 4 positions (3 corners and the closing one)"); continue }
                guard ring.first == ring.last else { fail("cell \(id): the ring is not closed; repeat the first vertex at the end"); continue }
                if let (a, b) = Geodesy.selfIntersection(of: ring) {
                    fail("cell \(id): the polygon intersects itself (edges \(a + 1) and \(b + 1) cross)"); continue
                }
                guard Geodesy.area(of: ring) > 1 else { fail("cell \(id): the polygon has no area"); continue }
                registry.cells.append(GridCell(id: id, community: community, polygon: ring, revisitDays: Int(revisit)))
            }
        }
    }
}

/// Finds line numbers inside GeoJSON text so that problems can be reported as `file:line`.
enum GeoJSONLines {
    /// The 1-based line on which each element of the root object's "features" array starts.
    static func featureStartLines(in text: String) -> [Int] {
        var lines: [Int] = []
        var line = 1
        var depth = 0
        var inString = false
        var escaped = false
        var lastString: [UInt8] = []
        var current: [UInt8] = []
        var featuresDepth: Int?
        var pendingKey: [UInt8] = []
        for b in text.utf8 {
            if b == 0x0A { line += 1 }
            if inString {
                if escaped { escaped = false; current.append(b); continue }
                if b == 0x5C { escaped = true; continue }
                if b == 0x22 { inString = false; lastString = current; continue }
                current.append(b)
                continue
            }
            switch b {
            case 0x22:
                inString = true
                current.removeAll(keepingCapacity: true)
            case 0x3A:
                pendingKey = lastString
            case 0x7B, 0x5B:
                if let fd = featuresDepth, depth == fd { lines.append(line) }
                if b == 0x5B, depth == 1, featuresDepth == nil, pendingKey == Array("features".utf8) { featuresDepth = depth + 1 }
                depth += 1
            case 0x7D, 0x5D:
                depth -= 1
                if let fd = featuresDepth, depth < fd { featuresDepth = nil; pendingKey = [] }
            default:
                break
            }
        }
        return lines
    }

    /// Best-effort line of a JSONSerialization error (it reports a character index).
    static func errorLine(in text: String, error: any Error) -> Int {
        let ns = error as NSError
        guard let index = ns.userInfo["NSJSONSerializationErrorIndex"] as? Int else { return 1 }
        return text.utf8.prefix(index).reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
    }
}
