import DockLink
import Foundation
import Testing
import TianyanModel
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A three-leg survey near Shenzhen: interval photos every 25 m from waypoint 1 to 3, one photo at 4.
enum WaylineFixture {
    static let origin = Coordinate(latitude: 22.543_096, longitude: 114.057_865)

    static func mission(aircraft: WaylineMission.Aircraft = .matrice3D) -> WaylineMission {
        let points = [(0.0, 0.0), (0.0015, 0.0), (0.0015, 0.002), (0.0, 0.002), (-0.0005, 0.001)]
        let heights = [60.0, 80, 80, 95.5, 40]
        let speeds = [10.0, 8, 8, 12, 5]
        let actions: [WaylineMission.Action?] = [nil, .startIntervalPhotos(everyMetres: 25), nil, .stopIntervalPhotos, .takePhoto]
        let waypoints = points.indices.map { i in
            WaylineMission.Waypoint(
                coordinate: Coordinate(latitude: origin.latitude + points[i].0, longitude: origin.longitude + points[i].1),
                height: heights[i], speed: speeds[i], action: actions[i])
        }
        return WaylineMission(takeOffSecurityHeight: 40, globalSpeed: 10, returnHomeHeight: 100, aircraft: aircraft, waypoints: waypoints)
    }

    /// Writes `bytes` to a fresh temporary file and returns its path.
    static func temporaryFile(_ bytes: [UInt8], name: String = "mission.kmz") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tianyan-wayline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Removes what `temporaryFile` made.
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    /// Runs a tool and returns its exit status and standard output.
    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

/// Collects what the wayline checks need from a WPML document, with namespaces resolved.
final class WPMLCollector: NSObject, XMLParserDelegate {
    struct Element { var namespace: String?; var name: String; var text: String }
    var elements: [Element] = []
    private var stack: [(String?, String, String)] = []

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        stack.append((namespaceURI, elementName, ""))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if !stack.isEmpty { stack[stack.count - 1].2 += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        let (ns, name, text) = stack.removeLast()
        elements.append(Element(namespace: ns, name: name, text: text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    static func parse(_ bytes: [UInt8]) throws -> [Element] {
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = true
        let collector = WPMLCollector()
        parser.delegate = collector
        guard parser.parse() else { throw parser.parserError ?? CocoaError(.coderReadCorrupt) }
        return collector.elements
    }
}

extension [WPMLCollector.Element] {
    func texts(_ name: String, namespace: String = WaylineFile.wpmlNamespace) -> [String] {
        filter { $0.name == name && $0.namespace == namespace }.map(\.text)
    }
}

@Suite struct WaylineFileTests {
    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        ("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"),
    ])
    func md5MatchesTheRFC1321TestSuite(input: String, expected: String) {
        #expect(MD5.hex(Array(input.utf8)) == expected)
    }

    @Test func md5AtBlockBoundariesMatchesMd5sum() throws {
        // 55, 56, 63, 64 and 65 bytes straddle the padding boundary; md5sum is the reference.
        for count in [55, 56, 63, 64, 65, 1000] {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let path = try WaylineFixture.temporaryFile(bytes, name: "block.bin")
            defer { WaylineFixture.remove(path) }
            let reference = try WaylineFixture.run("md5sum", [path]).output.prefix(32)
            #expect(MD5.hex(bytes) == String(reference), "\(count) bytes")
        }
    }

    @Test func crc32CheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
    }

    @Test func kmzListsAndExtractsWithUnzip() throws {
        let mission = WaylineFixture.mission()
        let kmz = try WaylineFile.kmz(for: mission)
        let path = try WaylineFixture.temporaryFile(kmz.bytes)
        defer { WaylineFixture.remove(path) }

        let test = try WaylineFixture.run("unzip", ["-t", path])
        #expect(test.status == 0, "unzip -t: \(test.output)")
        #expect(test.output.contains("No errors detected"))
        let listing = try WaylineFixture.run("unzip", ["-Z1", path])
        #expect(listing.output.split(separator: "\n") == ["wpmz/template.kml", "wpmz/waylines.wpml"])
        let waylines = try WaylineFixture.run("unzip", ["-p", path, "wpmz/waylines.wpml"])
        #expect(waylines.output == (try WaylineFile.waylinesWPML(for: mission)))
        let template = try WaylineFixture.run("unzip", ["-p", path, "wpmz/template.kml"])
        #expect(template.output == (try WaylineFile.templateKML(for: mission)))
        let sum = try WaylineFixture.run("md5sum", [path])
        #expect(sum.output.hasPrefix(kmz.md5Hex + " "), "the fingerprint is the MD5 of the file the dock downloads")
    }

    @Test func kmzReadsWithPythonZipfile() throws {
        let mission = WaylineFixture.mission()
        let kmz = try WaylineFile.kmz(for: mission)
        let path = try WaylineFixture.temporaryFile(kmz.bytes)
        defer { WaylineFixture.remove(path) }
        let script = """
        import sys, zipfile
        z = zipfile.ZipFile(sys.argv[1])
        assert z.testzip() is None
        for i in z.infolist():
            assert i.compress_type == zipfile.ZIP_STORED, i
            print(i.filename, i.file_size, i.date_time == (1980, 1, 1, 0, 0, 0))
        sys.stdout.write(z.read('wpmz/waylines.wpml').decode('utf-8'))
        """
        let result = try WaylineFixture.run("python3", ["-c", script, path])
        #expect(result.status == 0)
        let waylines = try WaylineFile.waylinesWPML(for: mission)
        let template = try WaylineFile.templateKML(for: mission)
        #expect(result.output == """
        wpmz/template.kml \(template.utf8.count) True
        wpmz/waylines.wpml \(waylines.utf8.count) True

        """ + waylines)
    }

    @Test func waylinesParseAsWPMLWithPlacemarksInLonLatOrderAndTheirHeights() throws {
        let mission = WaylineFixture.mission()
        let elements = try WPMLCollector.parse(Array(try WaylineFile.waylinesWPML(for: mission).utf8))
        let kml = WaylineFile.kmlNamespace

        #expect(elements.filter { $0.name == "Placemark" && $0.namespace == kml }.count == 5)
        let coordinates = elements.texts("coordinates", namespace: kml)
        #expect(coordinates.count == 5)
        for (text, w) in zip(coordinates, mission.waypoints) {
            let parts = text.split(separator: ",").compactMap { Double($0) }
            #expect(parts.count == 2)
            #expect(abs(parts[0] - w.coordinate.longitude) < 1e-9 && abs(parts[1] - w.coordinate.latitude) < 1e-9, "lon,lat: \(text)")
        }
        #expect(coordinates[0] == "114.057865,22.543096")
        #expect(elements.texts("executeHeight") == ["60", "80", "80", "95.5", "40"])
        #expect(elements.texts("waypointSpeed") == ["10", "8", "8", "12", "5"])
        #expect(elements.texts("index") == ["0", "1", "2", "3", "4"])
        #expect(elements.texts("executeHeightMode") == ["relativeToStartPoint"])
        #expect(elements.texts("templateId") == ["0"] && elements.texts("waylineId") == ["0"])
        #expect(elements.texts("autoFlightSpeed") == ["10"])

        // Mission configuration.
        #expect(elements.texts("flyToWaylineMode") == ["safely"])
        #expect(elements.texts("finishAction") == ["goHome"])
        #expect(elements.texts("exitOnRCLost") == ["executeLostAction"])
        #expect(elements.texts("executeRCLostAction") == ["goBack"])
        #expect(elements.texts("takeOffSecurityHeight") == ["40"])
        #expect(elements.texts("globalTransitionalSpeed") == ["10"])
        #expect(elements.texts("globalRTHHeight") == ["100"])
        #expect(elements.texts("droneEnumValue") == ["91"] && elements.texts("droneSubEnumValue") == ["0"])
        #expect(elements.texts("payloadEnumValue") == ["80"] && elements.texts("payloadPositionIndex").first == "0")

        // Interval photos from 1 to 3 every 25 m, one photo on reaching 4.
        #expect(elements.texts("actionGroupId") == ["0", "1"])
        #expect(elements.texts("actionGroupStartIndex") == ["1", "4"])
        #expect(elements.texts("actionGroupEndIndex") == ["3", "4"])
        #expect(elements.texts("actionTriggerType") == ["multipleDistance", "reachPoint"])
        #expect(elements.texts("actionTriggerParam") == ["25"])
        #expect(elements.texts("actionActuatorFunc") == ["takePhoto", "takePhoto"])
        #expect(elements.texts("payloadLensIndex") == ["wide", "wide"])
    }

    @Test func templateIsAWaypointTemplateRelativeToTheStartPoint() throws {
        let mission = WaylineFixture.mission(aircraft: .matrice3TD)
        let elements = try WPMLCollector.parse(Array(try WaylineFile.templateKML(for: mission).utf8))
        #expect(elements.texts("templateType") == ["waypoint"])
        #expect(elements.texts("heightMode") == ["relativeToStartPoint"])
        #expect(elements.texts("height") == ["60", "80", "80", "95.5", "40"])
        #expect(elements.texts("droneSubEnumValue") == ["1"] && elements.texts("payloadEnumValue") == ["81"])
        #expect(elements.texts("payloadLensIndex") == ["wide,ir", "wide,ir"])
        #expect(elements.filter { $0.name == "Placemark" }.count == 5)
    }

    @Test func sameMissionGivesTheSameBytesAndFingerprint() throws {
        let a = try WaylineFile.kmz(for: WaylineFixture.mission())
        let b = try WaylineFile.kmz(for: WaylineFixture.mission())
        #expect(a.bytes == b.bytes && a.md5Hex == b.md5Hex)
        #expect(a.md5Hex.count == 32 && a.md5Hex == MD5.hex(a.bytes))
        var changed = WaylineFixture.mission()
        changed.waypoints[2].height += 0.5
        #expect(try WaylineFile.kmz(for: changed).md5Hex != a.md5Hex)
    }

    @Test func unwritableMissionsAreRefusedWithWhatToFix() throws {
        var one = WaylineFixture.mission()
        one.waypoints = [one.waypoints[0]]
        #expect(throws: WaylineMissionError.self) { try WaylineFile.kmz(for: one) }

        var fast = WaylineFixture.mission()
        fast.waypoints[2].speed = 20
        do {
            _ = try WaylineFile.kmz(for: fast)
            Issue.record("a 20 m/s leg was accepted")
        } catch {
            #expect(error.description.contains("waypoint 2") && error.description.contains("15"))
        }

        var stray = WaylineFixture.mission()
        stray.waypoints[1].action = nil
        do {
            _ = try WaylineFile.kmz(for: stray)
            Issue.record("a stop without a start was accepted")
        } catch {
            #expect(error.description.contains("waypoint 3 stops interval photos"))
        }

        var nowhere = WaylineFixture.mission()
        nowhere.waypoints[0].coordinate = Coordinate(latitude: 0, longitude: 0)
        #expect(throws: WaylineMissionError.self) { try WaylineFile.kmz(for: nowhere) }
    }

    @Test func openIntervalRunsToTheLastWaypoint() throws {
        var mission = WaylineFixture.mission()
        mission.waypoints[3].action = nil
        mission.waypoints[4].action = nil
        let elements = try WPMLCollector.parse(Array(try WaylineFile.waylinesWPML(for: mission).utf8))
        #expect(elements.texts("actionGroupStartIndex") == ["1"] && elements.texts("actionGroupEndIndex") == ["4"])
    }
}
