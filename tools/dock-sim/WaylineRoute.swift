import Foundation
import TianyanModel
#if canImport(FoundationXML)
import FoundationXML
#endif

/// One point of a simulated flight: where, how high above the take-off point, how fast on the
/// leg that starts here, and the photos on that leg.
struct RoutePoint: Sendable, Equatable {
    var coordinate: Coordinate
    /// Metres above the take-off point (the aircraft's `elevation` there).
    var height: Double
    /// m/s on the leg from this point to the next.
    var speed: Double
    /// A photo every this many metres on the leg that starts here (WPML `multipleDistance`).
    var photoEveryMetres: Double?
    /// A photo on arrival (WPML `reachPoint` + `takePhoto`).
    var photoOnArrival = false
}

/// The wayline of a DJI route file as the simulated dock flies it: the points of the first
/// `Folder` of `wpmz/waylines.wpml`, and the mission settings that shape the flight.
struct WaylineRoute: Sendable, Equatable {
    var points: [RoutePoint]
    /// `wpml:takeOffSecurityHeight`: the climb before heading for the first point.
    var takeOffSecurityHeight: Double?
    /// `wpml:globalTransitionalSpeed`: the speed to the first point.
    var transitionalSpeed: Double?

    struct Failure: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    static let waylinesPath = "wpmz/waylines.wpml"

    /// Unpacks a KMZ and reads its `wpmz/waylines.wpml`. `dockHeight` converts WGS84 heights to
    /// heights above the take-off point.
    static func read(kmz: [UInt8], dockHeight: Double) throws(Failure) -> WaylineRoute {
        let entries: [(path: String, bytes: [UInt8])]
        do {
            entries = try KMZArchive.entries(kmz)
        } catch {
            throw Failure(description: "KMZ: \(error.description)")
        }
        guard let waylines = entries.first(where: { $0.path == waylinesPath }) else {
            throw Failure(description: "KMZ has no \(waylinesPath) (entries: \(entries.map(\.path).joined(separator: ", ")))")
        }
        return try parse(wpml: waylines.bytes, dockHeight: dockHeight)
    }

    /// Reads a `waylines.wpml` document.
    static func parse(wpml: [UInt8], dockHeight: Double) throws(Failure) -> WaylineRoute {
        let reader = WPMLReader()
        let parser = XMLParser(data: Data(wpml))
        parser.shouldProcessNamespaces = true
        parser.delegate = reader
        guard parser.parse() else {
            throw Failure(description: "waylines.wpml is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "unknown error") at line \(parser.lineNumber)")
        }
        if let problem = reader.problem { throw Failure(description: problem) }
        guard reader.sawKML else { throw Failure(description: "waylines.wpml has no <kml> root in \(kmlNamespace)") }

        let mode = reader.folder["executeHeightMode"] ?? "relativeToStartPoint"
        let heightOffset: Double
        switch mode {
        case "relativeToStartPoint", "realTimeFollowSurface": heightOffset = 0
        case "WGS84": heightOffset = -dockHeight
        default: throw Failure(description: "unknown executeHeightMode \(mode)")
        }
        let folderSpeed = reader.folder["autoFlightSpeed"].flatMap(Double.init)
        let placemarks = reader.placemarks.sorted { $0.index < $1.index }
        guard !placemarks.isEmpty else { throw Failure(description: "waylines.wpml has no Placemark in its first Folder") }

        var points: [RoutePoint] = []
        for p in placemarks {
            let parts = p.coordinates.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            guard parts.count >= 2, let lon = parts[0], let lat = parts[1] else {
                throw Failure(description: "Placemark \(p.index): coordinates \"\(p.coordinates)\" are not \"longitude,latitude\"")
            }
            let coordinate = Coordinate(latitude: lat, longitude: lon)
            guard coordinate.isValid, !(lat == 0 && lon == 0) else {
                throw Failure(description: "Placemark \(p.index): \(lat), \(lon) is not a position")
            }
            guard let height = p.executeHeight, height.isFinite else {
                throw Failure(description: "Placemark \(p.index) has no wpml:executeHeight")
            }
            guard let speed = p.speed ?? folderSpeed, speed > 0, speed <= 30 else {
                throw Failure(description: "Placemark \(p.index) has no usable wpml:waypointSpeed or Folder wpml:autoFlightSpeed")
            }
            points.append(RoutePoint(coordinate: coordinate, height: height + heightOffset, speed: speed))
        }
        // Action groups are keyed by waypoint index; positions in `points` follow the sorted indices.
        let position = Dictionary(placemarks.enumerated().map { ($1.index, $0) }, uniquingKeysWith: { a, _ in a })
        for group in reader.groups where group.functions.contains("takePhoto") {
            guard let first = position[group.start] else { continue }
            let last = position[group.end] ?? first
            switch group.trigger {
            case "multipleDistance":
                guard let every = group.parameter, every > 0 else {
                    throw Failure(description: "action group \(group.id): multipleDistance without a positive actionTriggerParam")
                }
                for i in first..<max(first, last) { points[i].photoEveryMetres = every }
                if first == last { points[first].photoOnArrival = true }
            case "reachPoint":
                for i in first...max(first, last) { points[i].photoOnArrival = true }
            default:
                break
            }
        }
        return WaylineRoute(
            points: points,
            takeOffSecurityHeight: reader.mission["takeOffSecurityHeight"].flatMap(Double.init),
            transitionalSpeed: reader.mission["globalTransitionalSpeed"].flatMap(Double.init))
    }

    static let kmlNamespace = "http://www.opengis.net/kml/2.2"
    static let wpmlNamespacePrefix = "http://www.dji.com/wpmz/"
}

/// The XMLParser delegate behind `WaylineRoute.parse`: mission settings, the first Folder's
/// settings, its Placemarks and their action groups.
private final class WPMLReader: NSObject, XMLParserDelegate {
    struct Placemark {
        var index = -1
        var coordinates = ""
        var executeHeight: Double?
        var speed: Double?
    }

    struct ActionGroup {
        var id = ""
        var start = -1
        var end = -1
        var trigger = ""
        var parameter: Double?
        var functions: [String] = []
    }

    var sawKML = false
    var problem: String?
    var mission: [String: String] = [:]
    var folder: [String: String] = [:]
    var placemarks: [Placemark] = []
    var groups: [ActionGroup] = []

    private var path: [String] = []
    private var text = ""
    private var folders = 0
    /// 1 inside the first Folder, the only one flown; 0 outside any, more in later ones.
    private var inFolder = 0
    private var placemark: Placemark?
    private var group: ActionGroup?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        let ns = namespaceURI ?? ""
        if name == "kml", ns == WaylineRoute.kmlNamespace { sawKML = true }
        if ns != WaylineRoute.kmlNamespace, !ns.hasPrefix(WaylineRoute.wpmlNamespacePrefix), problem == nil {
            problem = "element <\(qualifiedName ?? name)> in unexpected namespace \"\(ns)\""
        }
        path.append(name)
        text = ""
        if name == "Folder" {
            folders += 1
            inFolder = folders
        }
        guard inFolder == 1 else { return }
        if name == "Placemark" { placemark = Placemark() }
        if name == "actionGroup" { group = ActionGroup() }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        defer {
            path.removeLast()
            text = ""
        }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parent = path.dropLast().last ?? ""
        if parent == "missionConfig" { mission[name] = value }
        if name == "Folder" {
            inFolder = 0
            return
        }
        guard inFolder == 1 else { return }
        if group != nil {
            switch name {
            case "actionGroupId": group?.id = value
            case "actionGroupStartIndex": group?.start = Int(value) ?? -1
            case "actionGroupEndIndex": group?.end = Int(value) ?? -1
            case "actionTriggerType": group?.trigger = value
            case "actionTriggerParam": group?.parameter = Double(value)
            case "actionActuatorFunc": group?.functions.append(value)
            case "actionGroup":
                if let g = group { groups.append(g) }
                group = nil
            default: break
            }
            return
        }
        if placemark != nil {
            switch name {
            case "coordinates": placemark?.coordinates = value
            case "index" where parent == "Placemark": placemark?.index = Int(value) ?? -1
            case "executeHeight": placemark?.executeHeight = Double(value)
            case "waypointSpeed": placemark?.speed = Double(value)
            case "Placemark":
                if let p = placemark {
                    if p.index < 0, problem == nil { problem = "a Placemark has no wpml:index" }
                    placemarks.append(p)
                }
                placemark = nil
            default: break
            }
            return
        }
        if parent == "Folder" { folder[name] = value }
    }
}
