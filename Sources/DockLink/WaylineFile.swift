import TianyanModel

/// Writes a `WaylineMission` as a DJI WPML 1.0.2 route file: a KMZ (ZIP) holding
/// `wpmz/template.kml` (the editable template) and `wpmz/waylines.wpml` (what the aircraft
/// executes), and the MD5 fingerprint that goes with its URL into `flighttask_prepare`
/// (`data.file.fingerprint`). Pure: the bytes depend on the mission only.
///
/// Element names, enum values and file layout follow the DJI WPML reference in
/// dji-sdk/Cloud-API-Doc (docs/en/60.api-reference/00.dji-wpml/{10.overview,20.template-kml,
/// 30.waylines-wpml,40.common-element}.md; https://developer.dji.com/doc/cloud-api-tutorial/en/api-reference/dji-wpml/overview.html):
/// - KMZ = ZIP with `wpmz/template.kml` and `wpmz/waylines.wpml` (overview).
/// - Namespaces `http://www.opengis.net/kml/2.2` and `wpml` = `http://www.dji.com/wpmz/1.0.2`.
/// - `droneEnumValue` 91 = M3D/M3TD with `droneSubEnumValue` 0 = M3D, 1 = M3TD;
///   `payloadEnumValue` 80 = Matrice 3D camera, 81 = Matrice 3TD camera (common-element, CN
///   40.common-element.md has the payload values the EN page lacks). Matrice 4D/4TD (Dock 3):
///   `droneEnumValue` 100, sub 0/1, payload 98/99 — assumed from DJI's numbering, not confirmed
///   in the documents here; check against a real Dock 3 before relying on it.
/// - Interval photos: an `actionGroup` from the start waypoint to the stop waypoint with
///   `actionTriggerType` `multipleDistance`, `actionTriggerParam` the distance in metres, and one
///   `takePhoto` action (common-element: "multipleDistance: Same distance trigger"; "When
///   actionTriggerType is multipleDistance, this element indicates the interval distance in m").
///   WPML 1.0.2 has no separate stop action: the group's `actionGroupEndIndex` is where it stops.
/// - A single photo: `reachPoint` trigger with `takePhoto`.
public enum WaylineFile {
    public static let kmlNamespace = "http://www.opengis.net/kml/2.2"
    public static let wpmlNamespace = "http://www.dji.com/wpmz/1.0.2"
    public static let templatePath = "wpmz/template.kml"
    public static let waylinesPath = "wpmz/waylines.wpml"

    /// The KMZ bytes and their MD5 as 32 lower-case hex digits.
    public static func kmz(for mission: WaylineMission) throws(WaylineMissionError) -> (bytes: [UInt8], md5Hex: String) {
        let template = try templateKML(for: mission)
        let waylines = try waylinesWPML(for: mission)
        let bytes = StoredZIP.archive([
            .init(path: templatePath, bytes: Array(template.utf8)),
            .init(path: waylinesPath, bytes: Array(waylines.utf8)),
        ])
        return (bytes, MD5.hex(bytes))
    }

    /// `wpmz/template.kml`: a `waypoint` template with heights relative to the take-off point.
    public static func templateKML(for mission: WaylineMission) throws(WaylineMissionError) -> String {
        let runs = try mission.validated()
        var x = XMLText()
        x.open()
        missionConfig(mission, into: &x)
        x.start("Folder")
        x.element("wpml:templateType", "waypoint")
        x.element("wpml:templateId", "0")
        x.start("wpml:waylineCoordinateSysParam")
        x.element("wpml:coordinateMode", "WGS84")
        x.element("wpml:heightMode", "relativeToStartPoint")
        x.element("wpml:positioningType", "GPS")
        x.end("wpml:waylineCoordinateSysParam")
        x.element("wpml:autoFlightSpeed", number(mission.globalSpeed))
        x.element("wpml:globalHeight", number(mission.waypoints[0].height))
        x.element("wpml:caliFlightEnable", "0")
        x.element("wpml:gimbalPitchMode", "manual")
        x.start("wpml:globalWaypointHeadingParam")
        x.element("wpml:waypointHeadingMode", "followWayline")
        x.element("wpml:waypointHeadingPathMode", "followBadArc")
        x.end("wpml:globalWaypointHeadingParam")
        x.element("wpml:globalWaypointTurnMode", "toPointAndStopWithDiscontinuityCurvature")
        x.element("wpml:globalUseStraightLine", "1")
        for (i, w) in mission.waypoints.enumerated() {
            x.start("Placemark")
            point(w.coordinate, into: &x)
            x.element("wpml:index", String(i))
            // Heights are relative to the take-off point; the ellipsoid height is not known when
            // planning, so it repeats the relative height as DJI Pilot 2 does in this mode.
            x.element("wpml:ellipsoidHeight", number(w.height))
            x.element("wpml:height", number(w.height))
            x.element("wpml:useGlobalHeight", "0")
            x.element("wpml:useGlobalSpeed", "0")
            x.element("wpml:waypointSpeed", number(w.speed))
            x.element("wpml:useGlobalHeadingParam", "1")
            x.element("wpml:useGlobalTurnParam", "1")
            actionGroups(at: i, mission: mission, runs: runs, into: &x)
            x.end("Placemark")
        }
        x.end("Folder")
        x.close()
        return x.text
    }

    /// `wpmz/waylines.wpml`: the executable wayline, one `Folder`, heights relative to the start point.
    public static func waylinesWPML(for mission: WaylineMission) throws(WaylineMissionError) -> String {
        let runs = try mission.validated()
        var x = XMLText()
        x.open()
        missionConfig(mission, into: &x)
        x.start("Folder")
        x.element("wpml:templateId", "0")
        x.element("wpml:executeHeightMode", "relativeToStartPoint")
        x.element("wpml:waylineId", "0")
        x.element("wpml:autoFlightSpeed", number(mission.globalSpeed))
        for (i, w) in mission.waypoints.enumerated() {
            x.start("Placemark")
            point(w.coordinate, into: &x)
            x.element("wpml:index", String(i))
            x.element("wpml:executeHeight", number(w.height))
            x.element("wpml:waypointSpeed", number(w.speed))
            x.start("wpml:waypointHeadingParam")
            x.element("wpml:waypointHeadingMode", "followWayline")
            x.end("wpml:waypointHeadingParam")
            x.start("wpml:waypointTurnParam")
            x.element("wpml:waypointTurnMode", "toPointAndStopWithDiscontinuityCurvature")
            x.element("wpml:waypointTurnDampingDist", "0")
            x.end("wpml:waypointTurnParam")
            actionGroups(at: i, mission: mission, runs: runs, into: &x)
            x.end("Placemark")
        }
        x.end("Folder")
        x.close()
        return x.text
    }

    // MARK: parts

    private static func missionConfig(_ m: WaylineMission, into x: inout XMLText) {
        x.start("wpml:missionConfig")
        x.element("wpml:flyToWaylineMode", "safely")
        x.element("wpml:finishAction", m.finishAction.rawValue)
        switch m.linkLostAction {
        case .continueWayline:
            x.element("wpml:exitOnRCLost", "goContinue")
            x.element("wpml:executeRCLostAction", "goBack")
        case .goBack, .landing, .hover:
            x.element("wpml:exitOnRCLost", "executeLostAction")
            x.element("wpml:executeRCLostAction", m.linkLostAction.rawValue)
        }
        x.element("wpml:takeOffSecurityHeight", number(m.takeOffSecurityHeight))
        x.element("wpml:globalTransitionalSpeed", number(m.globalSpeed))
        x.element("wpml:globalRTHHeight", number(m.returnHomeHeight))
        x.start("wpml:droneInfo")
        let series4 = m.aircraft == .matrice4D || m.aircraft == .matrice4TD
        x.element("wpml:droneEnumValue", series4 ? "100" : "91")
        x.element("wpml:droneSubEnumValue", m.aircraft.hasThermal ? "1" : "0")
        x.end("wpml:droneInfo")
        x.start("wpml:payloadInfo")
        x.element("wpml:payloadEnumValue", series4 ? (m.aircraft.hasThermal ? "99" : "98") : (m.aircraft.hasThermal ? "81" : "80"))
        x.element("wpml:payloadSubEnumValue", "0")
        x.element("wpml:payloadPositionIndex", "0")
        x.end("wpml:payloadInfo")
        x.end("wpml:missionConfig")
    }

    private static func point(_ c: Coordinate, into x: inout XMLText) {
        x.start("Point")
        // KML order: longitude first.
        x.element("coordinates", "\(number(c.longitude, decimals: 9)),\(number(c.latitude, decimals: 9))")
        x.end("Point")
    }

    /// The action groups that start at waypoint `i`. Group ids count up through the file in
    /// waypoint order, so template and waylines carry the same ids.
    private static func actionGroups(at i: Int, mission: WaylineMission, runs: [WaylineMission.IntervalRun], into x: inout XMLText) {
        var groupID = 0
        for j in 0..<i { groupID += groupsStarting(at: j, mission: mission, runs: runs) }
        let lens = mission.aircraft.hasThermal ? "wide,ir" : "wide"
        func takePhoto(suffix: String) {
            x.start("wpml:action")
            x.element("wpml:actionId", "0")
            x.element("wpml:actionActuatorFunc", "takePhoto")
            x.start("wpml:actionActuatorFuncParam")
            x.element("wpml:payloadPositionIndex", "0")
            x.element("wpml:fileSuffix", suffix)
            x.element("wpml:payloadLensIndex", lens)
            x.element("wpml:useGlobalPayloadLensIndex", "0")
            x.end("wpml:actionActuatorFuncParam")
            x.end("wpml:action")
        }
        func group(start: Int, end: Int, trigger: String, parameter: Double?, suffix: String) {
            x.start("wpml:actionGroup")
            x.element("wpml:actionGroupId", String(groupID))
            x.element("wpml:actionGroupStartIndex", String(start))
            x.element("wpml:actionGroupEndIndex", String(end))
            x.element("wpml:actionGroupMode", "sequence")
            x.start("wpml:actionTrigger")
            x.element("wpml:actionTriggerType", trigger)
            if let parameter { x.element("wpml:actionTriggerParam", number(parameter)) }
            x.end("wpml:actionTrigger")
            takePhoto(suffix: suffix)
            x.end("wpml:actionGroup")
            groupID += 1
        }
        if mission.waypoints[i].action == .takePhoto {
            group(start: i, end: i, trigger: "reachPoint", parameter: nil, suffix: "wp\(i)")
        }
        for run in runs where run.start == i {
            group(start: run.start, end: run.end, trigger: "multipleDistance", parameter: run.everyMetres, suffix: "interval\(i)")
        }
    }

    private static func groupsStarting(at i: Int, mission: WaylineMission, runs: [WaylineMission.IntervalRun]) -> Int {
        (mission.waypoints[i].action == .takePhoto ? 1 : 0) + runs.filter { $0.start == i }.count
    }

    /// A decimal with at most `decimals` places, trailing zeros dropped, never an exponent, the
    /// same on every machine and locale: "116.57", "20", "-0.5".
    static func number(_ value: Double, decimals: Int = 3) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (value * scale).rounded()
        if scaled == 0 { return "0" }
        let negative = scaled < 0
        let magnitude = UInt64(abs(scaled))
        let whole = magnitude / UInt64(scale)
        var fraction = String(magnitude % UInt64(scale))
        fraction = String(repeating: "0", count: decimals - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return (negative ? "-" : "") + String(whole) + (fraction.isEmpty ? "" : "." + fraction)
    }
}

/// An indented XML writer for the WPML files; element text is escaped.
struct XMLText {
    private(set) var text = ""
    private var depth = 0

    mutating func open() {
        text += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        text += "<kml xmlns=\"\(WaylineFile.kmlNamespace)\" xmlns:wpml=\"\(WaylineFile.wpmlNamespace)\">\n"
        depth = 1
        start("Document")
    }

    mutating func close() {
        end("Document")
        text += "</kml>\n"
    }

    mutating func start(_ name: String) {
        indent()
        text += "<\(name)>\n"
        depth += 1
    }

    mutating func end(_ name: String) {
        depth -= 1
        indent()
        text += "</\(name)>\n"
    }

    mutating func element(_ name: String, _ value: String) {
        indent()
        text += "<\(name)>\(Self.escape(value))</\(name)>\n"
    }

    private mutating func indent() { text += String(repeating: "  ", count: depth) }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
