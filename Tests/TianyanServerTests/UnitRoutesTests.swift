import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanServer
import TianyanSQLite
import TianyanTesting

/// Units, tracks, flight tasks, the voice log, radio messages and the registry over the API, on
/// the sample registry with records written by a running store writer.
@Suite("HTTP API units, tracks, voice log and registry")
struct UnitRoutesTests {
    @Test("units with state and last position, paged and filtered; a track in a time range, bounded; unknown units 404; bad input names the field")
    func unitsAndTracks() async throws {
        let f = try await APIRoutesTests.fixture()
        defer { f.dir.remove() }
        let writer = StoreWriter(database: f.parts.database!)
        let running = Task { try await writer.run() }
        defer { running.cancel() }
        let now = Timestamp.now()
        let radio = "2100001"
        let drone = FleetSample.make().drones[0]
        let minutesAgo = [120, 30, 20, 10]
        var records: [StoreRecord] = minutesAgo.map { m in
            .position(Position(unit: radio, time: now.adding(seconds: Double(-60 * m)), latitude: 34.2 + Double(m) / 1000, longitude: 108.9,
                               source: .lip))
        }
        records.append(.position(Position(unit: radio, time: now.adding(seconds: -5), latitude: 34.25, longitude: 108.95, altitude: 410, source: .lip)))
        records.append(.flightTask(FlightTaskUpdate(flightID: "F-1", dock: drone.dock ?? "", time: now.adding(seconds: -60), status: "in_progress",
                                                    percent: 40)))
        try await writer.waitUntilCommitted(writer.submit(records))
        var parts = f.parts
        parts.writer = writer

        let app = Application(router: APIServer.router(parts: parts.services))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/units", method: .get) { r in #expect(r.status == .unauthorized) }
            let auth = try await APIRoutesTests.login(client, "view")
            let radios = FleetSample.make().radios.count

            try await client.execute(uri: "/api/v1/units?kind=radio&limit=5", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                let body = APIRoutesTests.json(r.body)
                let units = body["units"] as? [[String: Any]] ?? []
                #expect(units.count == 5 && units.allSatisfy { $0["kind"] as? String == "radio" })
                #expect(body["total"] as? Int == radios && body["next_offset"] as? Int == 5)
            }
            try await client.execute(uri: "/api/v1/units?kind=radio&limit=10000&offset=\(radios - 1)", method: .get, headers: auth) { r in
                let body = APIRoutesTests.json(r.body)
                #expect((body["units"] as? [Any])?.count == 1 && body["next_offset"] is NSNull)
            }
            try await client.execute(uri: "/api/v1/units?online=true", method: .get, headers: auth) { r in
                let units = APIRoutesTests.json(r.body)["units"] as? [[String: Any]] ?? []
                #expect(units.map { $0["id"] as? String } == [radio], "only the radio heard 5 s ago is online")
                #expect(units.first?["online"] as? Bool == true)
            }
            try await client.execute(uri: "/api/v1/units/\(radio)", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                let unit = APIRoutesTests.json(r.body)
                let position = unit["position"] as? [String: Any] ?? [:]
                #expect(unit["kind"] as? String == "radio" && unit["registered"] as? Bool == true)
                #expect(position["lat"] as? Double == 34.25 && position["alt_m"] as? Double == 410 && position["source"] as? String == "lip")
                #expect((unit["age_s"] as? Double ?? -1) >= 0)
            }
            try await client.execute(uri: "/api/v1/units/\(drone.serial)", method: .get, headers: auth) { r in
                let unit = APIRoutesTests.json(r.body)
                #expect(unit["kind"] as? String == "drone" && unit["position"] is NSNull && unit["online"] as? Bool == false)
            }
            try await client.execute(uri: "/api/v1/units/NOPE-1", method: .get, headers: auth) { r in
                #expect(r.status == .notFound)
                #expect(APIRoutesTests.error(r.body).message.contains("NOPE-1"))
            }
            for (query, field) in [("kind=boat", "kind"), ("online=yes", "online"), ("limit=0", "limit"), ("limit=10001", "limit"), ("offset=-1", "offset")] {
                try await client.execute(uri: "/api/v1/units?\(query)", method: .get, headers: auth) { r in
                    #expect(r.status == .badRequest, "\(query)")
                    #expect(APIRoutesTests.error(r.body).field == field, "\(query)")
                }
            }

            // The track: the last hour by default (the point two hours ago is left out), oldest first.
            try await client.execute(uri: "/api/v1/units/\(radio)/track", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                let body = APIRoutesTests.json(r.body)
                let points = body["points"] as? [[String: Any]] ?? []
                #expect(points.count == 4 && body["truncated"] as? Bool == false && body["next_from"] is NSNull)
                let times = points.compactMap { $0["time"] as? String }
                #expect(times == times.sorted())
            }
            let from = now.adding(seconds: -3 * 3600).iso8601, to = now.iso8601
            try await client.execute(uri: "/api/v1/units/\(radio)/track?from=\(from)&to=\(to)&limit=2", method: .get, headers: auth) { r in
                let body = APIRoutesTests.json(r.body)
                let points = body["points"] as? [[String: Any]] ?? []
                #expect(points.count == 2 && body["truncated"] as? Bool == true)
                #expect(body["next_from"] as? String == now.adding(seconds: -20 * 60).iso8601, "the next page starts at the third point")
            }
            for (query, field) in [("from=yesterday", "from"), ("from=\(to)&to=\(from)", "from"),
                                   ("from=\(now.adding(seconds: -8 * 86_400).iso8601)&to=\(to)", "to"), ("limit=0", "limit"),
                                   ("to=2026-13-45T00:00:00Z", "to")] {
                try await client.execute(uri: "/api/v1/units/\(radio)/track?\(query)", method: .get, headers: auth) { r in
                    #expect(r.status == .badRequest, "\(query)")
                    #expect(APIRoutesTests.error(r.body).field == field, "\(query): \(String(buffer: r.body))")
                }
            }
            try await client.execute(uri: "/api/v1/units/NOPE-1/track", method: .get, headers: auth) { r in #expect(r.status == .notFound) }

            try await client.execute(uri: "/api/v1/flight-tasks?dock=\(drone.dock ?? "")", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                let tasks = APIRoutesTests.json(r.body)["flight_tasks"] as? [[String: Any]] ?? []
                #expect(tasks.count == 1 && tasks.first?["flight_id"] as? String == "F-1" && tasks.first?["percent"] as? Double == 40)
            }
            try await client.execute(uri: "/api/v1/flight-tasks?since=\(now.iso8601)", method: .get, headers: auth) { r in
                #expect((APIRoutesTests.json(r.body)["flight_tasks"] as? [Any])?.isEmpty == true, "the task was updated before since")
            }
        }
    }

    @Test("the voice log with talkers and the radio messages, paged by offset and since/until; until before since is 400")
    func voiceLogAndMessages() async throws {
        let f = try await APIRoutesTests.fixture()
        defer { f.dir.remove() }
        let writer = StoreWriter(database: f.parts.database!)
        let running = Task { try await writer.run() }
        defer { running.cancel() }
        let base = Timestamp(milliseconds: 1_800_000_000_000)
        var records: [StoreRecord] = (0..<3).map { i in
            let start = base.adding(seconds: Double(i * 600))
            return .voiceCall(VoiceCall(id: "g1-\(i)", gateway: "g1", kind: .group, called: "9001", caller: "2100001", priority: 0, emergency: false,
                                        start: start, end: start.adding(seconds: 20), cause: "user requested disconnect",
                                        transmissions: [Transmission(talker: "2100001", start: start, end: start.adding(seconds: 8)),
                                                        Transmission(talker: "2100002", start: start.adding(seconds: 10), end: start.adding(seconds: 18))]))
        }
        records.append(.voiceCall(VoiceCall(id: "g1-9", gateway: "g1", kind: .group, called: "9002", caller: "2100003", priority: 0, emergency: true,
                                            start: base, end: nil, cause: nil, transmissions: [])))
        records.append(.radioMessage(RadioMessage(gateway: "g1", unit: "2100001", time: base, kind: .status, status: 32777, meaning: "accepted",
                                                  text: "Accepted", called: "9001")))
        records.append(.radioMessage(RadioMessage(gateway: "g1", unit: "2100001", time: base.adding(seconds: 60), kind: .text, text: "on scene")))
        records.append(.radioMessage(RadioMessage(gateway: "g1", unit: "2100002", time: base.adding(seconds: 120), kind: .text, text: "copy")))
        try await writer.waitUntilCommitted(writer.submit(records))

        let app = Application(router: APIServer.router(parts: f.parts.services))
        try await app.test(.router) { client in
            let auth = try await APIRoutesTests.login(client, "view")
            try await client.execute(uri: "/api/v1/voice-log?talkgroup=9001&limit=2", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                let body = APIRoutesTests.json(r.body)
                let calls = body["calls"] as? [[String: Any]] ?? []
                #expect(calls.map { $0["id"] as? String } == ["g1-2", "g1-1"], "newest first")
                let talkers = calls.first?["transmissions"] as? [[String: Any]] ?? []
                #expect(talkers.map { $0["talker"] as? String } == ["2100001", "2100002"] && talkers.first?["duration_s"] as? Double == 8)
                #expect(body["next_offset"] as? Int == 2)
            }
            try await client.execute(uri: "/api/v1/voice-log?talkgroup=9001&limit=2&offset=2", method: .get, headers: auth) { r in
                let body = APIRoutesTests.json(r.body)
                #expect((body["calls"] as? [[String: Any]])?.map { $0["id"] as? String } == ["g1-0"] && body["next_offset"] is NSNull)
            }
            let since = base.adding(seconds: 300).iso8601, until = base.adding(seconds: 900).iso8601
            try await client.execute(uri: "/api/v1/voice-log?since=\(since)&until=\(until)", method: .get, headers: auth) { r in
                #expect((APIRoutesTests.json(r.body)["calls"] as? [[String: Any]])?.map { $0["id"] as? String } == ["g1-1"])
            }
            try await client.execute(uri: "/api/v1/voice-log?since=\(until)&until=\(since)", method: .get, headers: auth) { r in
                #expect(r.status == .badRequest && APIRoutesTests.error(r.body).field == "until")
            }
            try await client.execute(uri: "/api/v1/voice-log?limit=1001", method: .get, headers: auth) { r in
                #expect(r.status == .badRequest && APIRoutesTests.error(r.body).field == "limit")
            }
            try await client.execute(uri: "/api/v1/radio-messages?unit=2100001", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                let messages = APIRoutesTests.json(r.body)["messages"] as? [[String: Any]] ?? []
                #expect(messages.map { $0["kind"] as? String } == ["text", "status"])
                #expect(messages.last?["status"] as? Int == 32777 && messages.last?["meaning"] as? String == "accepted")
                #expect(messages.first?["text"] as? String == "on scene")
            }
            try await client.execute(uri: "/api/v1/radio-messages?since=\(base.adding(seconds: 60).iso8601)&limit=1", method: .get, headers: auth) { r in
                let body = APIRoutesTests.json(r.body)
                #expect((body["messages"] as? [[String: Any]])?.map { $0["unit"] as? String } == ["2100002"] && body["next_offset"] as? Int == 1)
            }
            try await client.execute(uri: "/api/v1/radio-messages?since=noon", method: .get, headers: auth) { r in
                #expect(r.status == .badRequest && APIRoutesTests.error(r.body).field == "since")
            }
        }
    }

    @Test("the registry: counts and lists of the sample fleet; the cells as a GeoJSON FeatureCollection")
    func registry() async throws {
        let f = try await APIRoutesTests.fixture()
        defer { f.dir.remove() }
        let sample = FleetSample.make()
        let app = Application(router: APIServer.router(parts: f.parts.services))
        try await app.test(.router) { client in
            let auth = try await APIRoutesTests.login(client, "view")
            try await client.execute(uri: "/api/v1/registry", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                let body = APIRoutesTests.json(r.body)
                #expect(body["counts"] as? [String: Int] == sample.counts)
                #expect((body["docks"] as? [[String: Any]])?.first?["serial"] as? String == sample.docks[0].serial)
                #expect((body["drones"] as? [Any])?.count == sample.drones.count && (body["radios"] as? [Any])?.count == sample.radios.count)
                #expect((body["pilots"] as? [[String: Any]])?.first?["licence_expiry"] as? String == sample.pilots[0].licenceExpiry.description)
                #expect((body["talkgroups"] as? [[String: Any]])?.first?["gssi"] as? String == "9001")
                #expect(body["cells"] == nil)
            }
            try await client.execute(uri: "/api/v1/registry/cells", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType]?.hasPrefix("application/geo+json") == true)
                let geo = APIRoutesTests.json(r.body)
                let features = geo["features"] as? [[String: Any]] ?? []
                #expect(geo["type"] as? String == "FeatureCollection" && features.count == sample.cells.count)
                #expect((features.first?["properties"] as? [String: Any])?["id"] as? String == sample.cells[0].id)
                #expect((features.first?["geometry"] as? [String: Any])?["type"] as? String == "Polygon")
            }
            try await client.execute(uri: "/api/v1/registry/cells", method: .get) { r in #expect(r.status == .unauthorized) }
        }
    }
}
