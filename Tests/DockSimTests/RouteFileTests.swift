import DockLink
import Foundation
import Logging
import MosquittoClient
import Synchronization
import Testing
import TianyanModel
import TianyanTesting
@testable import dock_sim

/// A throwaway HTTP server (Python's http.server on a free loopback port) serving files from a
/// temporary folder. Started with `SpawnedProcess` (Foundation's Process would hand it a blocked
/// SIGTERM); it exits on `stop()`, and by itself after two minutes whatever happens.
final class RouteFileServer: Sendable {
    let port: Int
    private let process: SpawnedProcess
    private let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("dock-sim-routes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let portFile = directory.appendingPathComponent(".port").path
        let script = """
        import http.server, os, sys, threading
        os.chdir(sys.argv[1])
        threading.Timer(120, os._exit, [0]).start()
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args): pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
        with open(sys.argv[2] + ".tmp", "w") as f: f.write(str(server.server_address[1]))
        os.rename(sys.argv[2] + ".tmp", sys.argv[2])
        server.serve_forever()
        """
        process = try SpawnedProcess("/usr/bin/env", ["python3", "-c", script, directory.path, portFile])
        var port: Int?
        for _ in 0..<200 where port == nil {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
            if port == nil { usleep(50_000) }
        }
        guard let port else {
            process.stop()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "python3 http.server did not start within 10 s"])
        }
        self.port = port
    }

    /// Serves `bytes` as `/name` and returns the URL.
    func serve(_ bytes: [UInt8], as name: String) throws -> String {
        try Data(bytes).write(to: directory.appendingPathComponent(name))
        return "http://127.0.0.1:\(port)/\(name)"
    }

    func stop() {
        process.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A mission near the first sample dock: interval photos every 20 m from waypoint 1 to 3.
enum RouteFixture {
    static func mission(around dock: Coordinate) -> WaylineMission {
        // (metres north, metres east, height, speed)
        let legs: [(Double, Double, Double, Double)] = [(60, 0, 30, 6), (60, 150, 45, 9), (-90, 150, 45, 7), (-90, -40, 25, 5)]
        let waypoints = legs.enumerated().map { i, leg in
            let north = Geodesy.destination(from: dock, bearing: leg.0 >= 0 ? 0 : 180, distance: abs(leg.0))
            let point = Geodesy.destination(from: north, bearing: leg.1 >= 0 ? 90 : 270, distance: abs(leg.1))
            let action: WaylineMission.Action? = i == 1 ? .startIntervalPhotos(everyMetres: 20) : i == 3 ? .stopIntervalPhotos : nil
            return WaylineMission.Waypoint(coordinate: point, height: leg.2, speed: leg.3, action: action)
        }
        return WaylineMission(takeOffSecurityHeight: 20, globalSpeed: 8, returnHomeHeight: 60, waypoints: waypoints)
    }

    static func prepare(_ flightID: String, url: String, fingerprint: String) -> dock_sim.JSONValue {
        .obj(("flight_id", .string(flightID)), ("task_type", 0), ("rth_altitude", 60),
             ("file", .obj(("url", .string(url)), ("fingerprint", .string(fingerprint)))))
    }

    /// Distance in metres from `p` to the segment a-b, on a local flat projection (fine at this scale).
    static func distance(_ p: Coordinate, toSegment a: Coordinate, _ b: Coordinate) -> Double {
        let metresPerDegree = Geodesy.earthRadius * .pi / 180
        let k = cos(a.latitude * .pi / 180)
        func xy(_ c: Coordinate) -> (Double, Double) {
            ((c.longitude - a.longitude) * metresPerDegree * k, (c.latitude - a.latitude) * metresPerDegree)
        }
        let (bx, by) = xy(b), (px, py) = xy(p)
        let length2 = bx * bx + by * by
        let t = length2 == 0 ? 0 : max(0, min(1, (px * bx + py * by) / length2))
        let dx = px - t * bx, dy = py - t * by
        return (dx * dx + dy * dy).squareRoot()
    }
}

extension Harness {
    /// Carries out the downloads the dock asked for, over the network, and hands it the results.
    mutating func completeFetches() async {
        let pending = fetches
        fetches = []
        for fetch in pending {
            let result = await WaylineDownload.fetch(fetch.url, timeout: 5)
            dock.waylineFetched(fetch, result: result, now: now)
        }
    }

    var requests: [dock_sim.JSONValue] {
        published.filter { $0.topic == dock.topic("requests") }.map(\.payload)
    }
}

@Suite(.serialized, .timeLimit(.minutes(2)))
struct RouteFileTests {
    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"),
    ])
    func simulatorMD5MatchesRFC1321(input: String, expected: String) {
        #expect(Fingerprint.md5Hex(Array(input.utf8)) == expected)
    }

    @Test func theSimulatorReadsTheControllersKMZ() throws {
        let dock = try Harness().dock.identity.dock
        let mission = RouteFixture.mission(around: dock.location)
        let kmz = try WaylineFile.kmz(for: mission)
        #expect(Fingerprint.md5Hex(kmz.bytes) == kmz.md5Hex)
        let route = try WaylineRoute.read(kmz: kmz.bytes, dockHeight: dock.altitudeMetres)
        #expect(route.points.count == 4)
        #expect(route.points.map(\.height) == [30, 45, 45, 25])
        #expect(route.points.map(\.speed) == [6, 9, 7, 5])
        #expect(route.points.map(\.photoEveryMetres) == [nil, 20, 20, nil])
        #expect(route.takeOffSecurityHeight == 20 && route.transitionalSpeed == 8)
        for (read, planned) in zip(route.points, mission.waypoints) {
            #expect(Geodesy.distance(read.coordinate, planned.coordinate) < 0.001)
        }
    }

    @Test func storedZipFromPythonIsReadAndDeflatedIsRefused() throws {
        let wpml = try WaylineFile.waylinesWPML(for: RouteFixture.mission(around: Coordinate(latitude: 22.5, longitude: 114.0)))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dock-sim-zip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent("waylines.wpml")
        try Data(wpml.utf8).write(to: source)
        func pythonZip(_ method: String, _ name: String) throws -> [UInt8] {
            let out = dir.appendingPathComponent(name)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", """
                import sys, zipfile
                with zipfile.ZipFile(sys.argv[1], "w", zipfile.\(method)) as z:
                    z.writestr("wpmz/", "")
                    z.writestr("wpmz/res/readme.txt", "resources")
                    z.write(sys.argv[2], "wpmz/waylines.wpml")
                """, out.path, source.path]
            try process.run()
            process.waitUntilExit()
            return Array(try Data(contentsOf: out))
        }
        let stored = try WaylineRoute.read(kmz: try pythonZip("ZIP_STORED", "stored.kmz"), dockHeight: 0)
        #expect(stored.points.count == 4)
        do {
            _ = try WaylineRoute.read(kmz: try pythonZip("ZIP_DEFLATED", "deflated.kmz"), dockHeight: 0)
            Issue.record("a deflated KMZ was read")
        } catch {
            #expect("\(error)".contains("compressed"))
        }
        #expect(throws: WaylineRoute.Failure.self) { try WaylineRoute.read(kmz: Array("not a zip".utf8), dockHeight: 0) }
        #expect(throws: WaylineRoute.Failure.self) { try WaylineRoute.parse(wpml: Array("<kml><Document>".utf8), dockHeight: 0) }
    }

    @Test func preparedWithARouteFileTheDockFliesItsWaypointsAtTheirHeightsAndSpeeds() async throws {
        let server = try RouteFileServer()
        defer { server.stop() }
        var h = try Harness(osdInterval: 0.5)
        let dock = h.dock.identity.dock
        let mission = RouteFixture.mission(around: dock.location)
        let kmz = try WaylineFile.kmz(for: mission)
        let url = try server.serve(kmz.bytes, as: "F-file.kmz")

        let prepare = h.service("flighttask_prepare", data: RouteFixture.prepare("F-file", url: url, fingerprint: kmz.md5Hex))
        h.run(for: 6)
        #expect(h.reply(tid: prepare) == nil, "the reply waits for the download")
        #expect(h.fetches == [WaylineFetch(flightID: "F-file", url: url)])
        await h.completeFetches()
        h.run(for: 1)
        #expect(h.reply(tid: prepare)?.value(at: "data.result")?.intValue == 0)
        #expect(h.requests.contains { $0["method"]?.stringValue == "flighttask_resource_get" })

        let execute = h.service("flighttask_execute", data: .obj(("flight_id", "F-file")))
        h.run(for: 20 * 60)
        #expect(h.reply(tid: execute)?.value(at: "data.result")?.intValue == 0)
        #expect(h.progress.last?.value(at: "data.output.status")?.stringValue == "ok")
        #expect(h.progress.compactMap { $0.value(at: "data.output.ext.current_waypoint_index")?.intValue }.max() == 3)

        let wayline = h.aircraftOSD.filter { $0["mode_code"]?.intValue == 5 }
        #expect(wayline.count > 50)
        func position(_ osd: dock_sim.JSONValue) -> Coordinate {
            Coordinate(latitude: osd["latitude"]!.doubleValue!, longitude: osd["longitude"]!.doubleValue!)
        }
        // It passes through every waypoint at the waypoint's height above the dock.
        for w in mission.waypoints {
            let nearest = try #require(wayline.min { Geodesy.distance(position($0), w.coordinate) < Geodesy.distance(position($1), w.coordinate) })
            #expect(Geodesy.distance(position(nearest), w.coordinate) < 5)
            let elevation = try #require(nearest["elevation"]?.doubleValue)
            #expect(abs(elevation - w.height) < 1.5, "elevation \(elevation) near a waypoint at \(w.height) m")
            #expect(abs((nearest["height"]?.doubleValue ?? 0) - (dock.altitudeMetres + elevation)) < 0.11)
        }
        // Every wayline position lies on the route (dock, then the legs), never on the lawnmower.
        let path = [dock.location] + mission.waypoints.map(\.coordinate)
        for osd in wayline {
            let off = zip(path, path.dropFirst()).map { RouteFixture.distance(position(osd), toSegment: $0, $1) }.min()!
            #expect(off < 1, "\(off) m off the route")
        }
        // Leg speeds: transit 8 m/s to the first waypoint, then 6, 9 and 7.
        let speeds = Set(wayline.compactMap { $0["horizontal_speed"]?.doubleValue }.filter { $0 > 0 })
        #expect(speeds.isSubset(of: [8, 6, 9, 7]) && speeds.isSuperset(of: [6, 9, 7]))
        // Heights never leave the range the file planned.
        let elevations = wayline.compactMap { $0["elevation"]?.doubleValue }
        #expect(elevations.min()! >= 25 - 0.1 && elevations.max()! <= 45 + 0.1)
        // Photos every 20 m from waypoint 1 to 3: one at 1, then along 150 m + 150 m.
        let media = h.progress.last?.value(at: "data.output.ext.media_count")?.intValue ?? 0
        let run = Geodesy.distance(mission.waypoints[1].coordinate, mission.waypoints[2].coordinate)
            + Geodesy.distance(mission.waypoints[2].coordinate, mission.waypoints[3].coordinate)
        #expect(abs(media - (1 + Int(run / 20))) <= 1, "\(media) photos over \(Int(run)) m")
    }

    @Test func aWrongFingerprintIsRefusedWith314016AndNothingFlies() async throws {
        let server = try RouteFileServer()
        defer { server.stop() }
        var h = try Harness()
        let kmz = try WaylineFile.kmz(for: RouteFixture.mission(around: h.dock.identity.dock.location))
        let url = try server.serve(kmz.bytes, as: "F-bad.kmz")
        let wrong = String(kmz.md5Hex.reversed())

        let prepare = h.service("flighttask_prepare", data: RouteFixture.prepare("F-bad", url: url, fingerprint: wrong))
        h.run(for: 6)
        await h.completeFetches()
        h.run(for: 1)
        #expect(h.reply(tid: prepare)?.value(at: "data.result")?.intValue == 314016)
        #expect(!h.requests.contains { $0["method"]?.stringValue == "flighttask_resource_get" })
        let execute = h.service("flighttask_execute", data: .obj(("flight_id", "F-bad")))
        h.run(for: 60)
        #expect(h.reply(tid: execute)?.value(at: "data.result")?.intValue == 314013)
        #expect(!h.dock.flightInProgress && h.dock.prepared.isEmpty)
        #expect(h.aircraftOSD.allSatisfy { $0["mode_code"]?.intValue == 0 })
    }

    @Test(arguments: ["unreachable", "missing"])
    func aFailedDownloadIsRefusedWith314013AndNothingFlies(kind: String) async throws {
        let server = try RouteFileServer()
        defer { server.stop() }
        var h = try Harness()
        // Port 1 on loopback refuses connections; the server answers 404 for a file it lacks.
        let url = kind == "unreachable" ? "http://127.0.0.1:1/F-none.kmz" : "http://127.0.0.1:\(server.port)/no-such-file.kmz"
        let prepare = h.service("flighttask_prepare", data: RouteFixture.prepare("F-none", url: url, fingerprint: MD5.hex([])))
        h.run(for: 6)
        await h.completeFetches()
        h.run(for: 1)
        #expect(h.reply(tid: prepare)?.value(at: "data.result")?.intValue == 314013)
        let execute = h.service("flighttask_execute", data: .obj(("flight_id", "F-none")))
        h.run(for: 60)
        #expect(h.reply(tid: execute)?.value(at: "data.result")?.intValue == 314013)
        #expect(!h.dock.flightInProgress)
        #expect(h.aircraftOSD.allSatisfy { $0["mode_code"]?.intValue == 0 })
    }

    @Test func aFileThatIsNotAWaylineIsRefusedWith314017() async throws {
        let server = try RouteFileServer()
        defer { server.stop() }
        var h = try Harness()
        let junk = Array("<html>not a route</html>".utf8)
        let url = try server.serve(junk, as: "junk.kmz")
        let prepare = h.service("flighttask_prepare", data: RouteFixture.prepare("F-junk", url: url, fingerprint: MD5.hex(junk).uppercased()))
        h.run(for: 6)
        await h.completeFetches()
        h.run(for: 1)
        #expect(h.reply(tid: prepare)?.value(at: "data.result")?.intValue == 314017)
        #expect(h.dock.prepared.isEmpty)
    }

    @Test func overMQTTThePrepareRepliesAfterTheDownloadAndTheFlightUsesTheFileHeights() async throws {
        let server = try RouteFileServer()
        defer { server.stop() }
        let broker = try LocalBroker()
        defer { broker.shutdown() }
        let url = try BrokerURL(parsing: broker.url)
        let identity = try DockCatalog(profiles: []).identities(fleet: FleetSample.make(), count: 1)[0]
        var parameters = SimulationParameters()
        parameters.osdInterval = 0.5
        parameters.hmsPerHour = 0
        let dock = SimulatedDock(identity: identity, parameters: parameters, seed: 5, now: Date().timeIntervalSince1970, battery: 90)
        let connection = DockConnection(dock: dock, broker: url, counters: SimulationCounters(), flyOnStart: false,
                                        logger: Logger(label: "test"), fetchTimeout: 5)
        // A short route: 40 m north at 18 m, then 40 m east at 22 m.
        let north = Geodesy.destination(from: identity.dock.location, bearing: 0, distance: 40)
        let mission = WaylineMission(takeOffSecurityHeight: 10, globalSpeed: 10, returnHomeHeight: 40, waypoints: [
            .init(coordinate: north, height: 18, speed: 10),
            .init(coordinate: Geodesy.destination(from: north, bearing: 90, distance: 40), height: 22, speed: 10),
        ])
        let kmz = try WaylineFile.kmz(for: mission)
        let fileURL = try server.serve(kmz.bytes, as: "mqtt.kmz")

        let watcher = try MosquittoClient(configuration: .init(broker: url, clientID: "watcher", cleanSession: true,
                                                               subscriptions: [.init("#")]))
        let capture = Capture(watcher)
        let watcherTask = Task { try await watcher.run() }
        defer { watcherTask.cancel() }
        try await waitUntil("the watcher to connect") { watcher.status.connected }
        let run = Task { await connection.run() }
        defer { run.cancel() }
        let sn = identity.dock.serial
        try await waitUntil("the dock to connect") { !capture.json(on: "thing/product/\(sn)/osd").isEmpty }

        try await watcher.publish("thing/product/\(sn)/services", payload: dock_sim.JSONValue.obj(
            ("tid", "tid-prepare"), ("bid", "bid-file"), ("timestamp", 1), ("method", "flighttask_prepare"),
            ("data", RouteFixture.prepare("F-mqtt", url: fileURL, fingerprint: kmz.md5Hex))).bytes)
        try await waitUntil("the prepare reply", timeout: .seconds(20)) {
            capture.json(on: "thing/product/\(sn)/services_reply").contains { $0["tid"]?.stringValue == "tid-prepare" }
        }
        let reply = try #require(capture.json(on: "thing/product/\(sn)/services_reply").first { $0["tid"]?.stringValue == "tid-prepare" })
        #expect(reply.value(at: "data.result")?.intValue == 0)

        try await watcher.publish("thing/product/\(sn)/services", payload: dock_sim.JSONValue.obj(
            ("tid", "tid-execute"), ("bid", "bid-file"), ("timestamp", 1), ("method", "flighttask_execute"),
            ("data", .obj(("flight_id", "F-mqtt")))).bytes)
        let aircraftOSD = "thing/product/\(identity.aircraftSerial)/osd"
        try await waitUntil("the aircraft on its wayline", timeout: .seconds(40)) {
            capture.json(on: aircraftOSD).contains { $0.value(at: "data.mode_code")?.intValue == 5 }
        }
        let first = try #require(capture.json(on: aircraftOSD).first { $0.value(at: "data.mode_code")?.intValue == 5 })
        let elevation = try #require(first.value(at: "data.elevation")?.doubleValue)
        #expect(elevation >= 17.9 && elevation <= 22.1, "the file's heights (18-22 m), not the 100 m cruise: \(elevation)")
    }
}
