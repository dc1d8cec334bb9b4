import RecordWriter
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanServer
import TianyanSQLite
import TianyanTesting

/// Dispatch tasks over the API: Hummingbird's test client, the sample registry, a real SQLite file
/// written by a running writer, a task service whose clock the test moves, and (for the live
/// feed) a real server with a WebSocket client. The gateway is configured but not connected:
/// pages are queued, never sent.
@Suite("HTTP API dispatch tasks", .timeLimit(.minutes(3)))
struct TaskRoutesTests {
    final class Clock: Sendable {
        private let time: Mutex<Timestamp>
        init(_ t: Timestamp) { time = Mutex(t) }
        var now: Timestamp { time.withLock { $0 } }
        func advance(minutes: Double) { time.withLock { $0 = $0.adding(seconds: minutes * 60) } }
    }

    struct Fixture {
        let base: APIRoutesTests.Fixture
        let parts: Controller.Parts
        let writer: StoreWriter
        let feed: LiveFeed
        let tasks: TaskService
        let clock: Clock
        let running: [Task<Void, any Error>]

        func close() {
            for r in running { r.cancel() }
            base.dir.remove()
        }
    }

    static func fixture() async throws -> Fixture {
        let base = try await APIRoutesTests.fixture(gateways: ["g1=tcp://127.0.0.1:1"])
        let writer = StoreWriter(database: base.parts.database!, configuration: .init(batchSize: 1000, maxDelay: .milliseconds(2)))
        let feed = LiveFeed(logger: Logger(label: "test.tasks.live"))
        let tee = RecordTee(writer: writer, feed: feed)
        let clock = Clock(.now())
        let tasks = TaskService(store: base.parts.store, sink: tee, radios: base.parts.radios, logger: Logger(label: "test.tasks"),
                                now: { clock.now })
        var parts = base.parts
        parts.writer = writer
        parts.live = feed
        parts.tasks = tasks
        let running = [Task { try await writer.run() }, Task { try await feed.run() }]
        return Fixture(base: base, parts: parts, writer: writer, feed: feed, tasks: tasks, clock: clock, running: running)
    }

    static func body(_ json: String) -> ByteBuffer { ByteBuffer(string: json) }
    static func json(_ b: ByteBuffer) -> [String: Any] { APIRoutesTests.json(b) }

    @Test("create, read, list, dispatch, move, cancel, reopen: shapes, statuses, errors naming the field, roles, audit")
    func lifecycle() async throws {
        let f = try await Self.fixture()
        defer { f.close() }
        let app = Application(router: APIServer.router(parts: f.parts.services))
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/tasks", method: .get) { r in #expect(r.status == .unauthorized) }
            let viewer = try await APIRoutesTests.login(client, "view")
            let auth = try await APIRoutesTests.login(client)
            let create = #"{"title": "Smoke behind the market", "priority": "urgent", "location": {"lat": 22.8, "lon": 113.8}, "source": {"kind": "point"}}"#
            try await client.execute(uri: "/api/v1/tasks", method: .post, headers: viewer, body: Self.body(create)) { r in
                #expect(r.status == .forbidden)
            }
            for (json, field) in [
                (#"{"priority": "high"}"#, "title"),
                (#"{"title": 5}"#, "title"),
                (#"{"title": "x", "priority": "asap", "location": {"lat": 1, "lon": 2}}"#, "priority"),
                (#"{"title": "x", "location": {"lat": "north", "lon": 2}}"#, "location.lat"),
                (#"{"title": "x", "location": {"lat": 1, "lon": 200}}"#, "location.lon"),
                (#"{"title": "x", "location": [1, 2]}"#, "location"),
                (#"{"title": "x"}"#, "location"),
                (#"{"title": "x", "source": {"kind": "rumour"}}"#, "source.kind"),
                (#"{"title": "x", "source": {"kind": "alarm", "alarm": "no-such"}}"#, "source.alarm"),
                (#"{"title": "x", "location": {"lat": 1, "lon": 2}, "team": "F999"}"#, "team"),
            ] {
                try await client.execute(uri: "/api/v1/tasks", method: .post, headers: auth, body: Self.body(json)) { r in
                    #expect(r.status == .badRequest, "\(json)")
                    #expect(APIRoutesTests.error(r.body).field == field, "\(json): \(String(buffer: r.body))")
                }
            }
            var id = ""
            try await client.execute(uri: "/api/v1/tasks", method: .post, headers: auth, body: Self.body(create)) { r in
                #expect(r.status == .created)
                let t = Self.json(r.body)
                id = t["id"] as? String ?? ""
                #expect(r.headers[.location] == "/api/v1/tasks/\(id)")
                #expect(t["state"] as? String == "open" && t["priority"] as? String == "urgent" && t["created_by"] as? String == "disp")
                let sla = t["sla"] as? [String: [String: Any]] ?? [:]
                #expect(sla["contact"]?["state"] as? String == "running" && sla["contact"]?["remaining_s"] as? Double == 1800)
                #expect(sla["on_site"]?["deadline"] as? String == f.clock.now.adding(seconds: 3600).iso8601)
                #expect((t["location"] as? [String: Double]) == ["lat": 22.8, "lon": 113.8])
            }
            try await client.execute(uri: "/api/v1/tasks/\(id)", method: .get, headers: viewer) { r in
                #expect(r.status == .ok && Self.json(r.body)["title"] as? String == "Smoke behind the market")
            }
            try await client.execute(uri: "/api/v1/tasks/TK-NOPE", method: .get, headers: viewer) { r in
                #expect(r.status == .notFound && APIRoutesTests.error(r.body).message.contains("TK-NOPE"))
            }
            for (query, field) in [("state=lost", "state"), ("limit=0", "limit"), ("from=yesterday", "from"), ("since=2026-01-01T00:00:00Z&from=2026-01-01T00:00:00Z", "from")] {
                try await client.execute(uri: "/api/v1/tasks?\(query)", method: .get, headers: viewer) { r in
                    #expect(r.status == .badRequest && APIRoutesTests.error(r.body).field == field, "\(query)")
                }
            }

            // Dispatch: a talkgroup and an unknown unit are refused naming the field; two radios are paged.
            for (json, status, field) in [(#"{}"#, HTTPResponse.Status.badRequest, "units"), (#"{"units": "2100001"}"#, .badRequest, "units"),
                                          (#"{"units": ["9001"]}"#, .badRequest, "units"), (#"{"units": ["2100001"], "force": "yes"}"#, .badRequest, "force")] {
                try await client.execute(uri: "/api/v1/tasks/\(id)/dispatch", method: .post, headers: auth, body: Self.body(json)) { r in
                    #expect(r.status == status && APIRoutesTests.error(r.body).field == field, "\(json): \(String(buffer: r.body))")
                }
            }
            var pageID = ""
            try await client.execute(uri: "/api/v1/tasks/\(id)/dispatch", method: .post, headers: auth,
                                     body: Self.body(#"{"units": ["CM-0001", "2100002"]}"#)) { r in
                #expect(r.status == .ok, "\(String(buffer: r.body))")
                let t = Self.json(r.body)
                #expect(t["state"] as? String == "dispatched")
                let units = t["units"] as? [[String: Any]] ?? []
                #expect(units.map { $0["unit"] as? String } == ["2100001", "2100002"])
                #expect(units.allSatisfy { $0["page_state"] as? String == "queued" && $0["active"] as? Bool == true })
                pageID = units.first?["page"] as? String ?? ""
                let outcomes = t["dispatch"] as? [[String: Any]] ?? []
                #expect(outcomes.count == 2 && outcomes.allSatisfy { $0["error"] is NSNull })
                #expect(((outcomes.first?["page"] as? [String: Any])?["text"] as? String)?.hasPrefix("\(id) URGENT Smoke") == true)
            }
            try await client.execute(uri: "/api/v1/pages/\(pageID)", method: .get, headers: viewer) { r in
                #expect(r.status == .ok && Self.json(r.body)["to"] as? String == "2100001", "the task's page is followed at /pages/{id}")
            }

            // A radio's status moves it; by hand only forward, with the state named.
            await f.tasks.handle([.radioMessage(RadioMessage(gateway: "g1", unit: "2100002", time: f.clock.now, kind: .status, status: 0x8005,
                                                             meaning: "en_route", text: "Status 3"))])
            for (json, status, field) in [(#"{"state": "teleported"}"#, HTTPResponse.Status.badRequest, "state"),
                                          (#"{"state": "open"}"#, .badRequest, "state"),
                                          (#"{"state": "accepted"}"#, .conflict, "state")] {
                try await client.execute(uri: "/api/v1/tasks/\(id)/state", method: .post, headers: auth, body: Self.body(json)) { r in
                    #expect(r.status == status && APIRoutesTests.error(r.body).field == field, "\(json): \(String(buffer: r.body))")
                }
            }
            f.clock.advance(minutes: 20)
            try await client.execute(uri: "/api/v1/tasks/\(id)/state", method: .post, headers: auth,
                                     body: Self.body(#"{"state": "on_scene", "note": "called in by phone"}"#)) { r in
                let t = Self.json(r.body)
                #expect(r.status == .ok && t["state"] as? String == "on_scene")
                let sla = t["sla"] as? [String: [String: Any]] ?? [:]
                #expect(sla["contact"]?["state"] as? String == "met" && sla["on_site"]?["state"] as? String == "met")
                let history = t["history"] as? [[String: Any]] ?? []
                #expect(history.map { $0["action"] as? String } == ["created", "dispatched", "status", "state"])
                #expect(history[2]["actor"] as? String == "radio 2100002" && history[3]["detail"] as? String == "set by hand: called in by phone")
            }
            try await client.execute(uri: "/api/v1/tasks/\(id)/reopen", method: .post, headers: auth, body: Self.body(#"{"reason": "x"}"#)) { r in
                #expect(r.status == .conflict, "only a done task is reopened")
            }
            try await client.execute(uri: "/api/v1/tasks/\(id)/state", method: .post, headers: auth, body: Self.body(#"{"state": "done"}"#)) { r in
                #expect(r.status == .ok && Self.json(r.body)["final"] as? Bool == true)
            }
            try await client.execute(uri: "/api/v1/tasks/\(id)/reopen", method: .post, headers: auth) { r in
                #expect(r.status == .badRequest && APIRoutesTests.error(r.body).field == "reason")
            }
            try await client.execute(uri: "/api/v1/tasks/\(id)/reopen", method: .post, headers: auth, body: Self.body(#"{"reason": "smoke again"}"#)) { r in
                let t = Self.json(r.body)
                #expect(r.status == .ok && t["state"] as? String == "open" && t["reopened"] as? Int == 1)
            }
            try await client.execute(uri: "/api/v1/tasks/\(id)/cancel", method: .post, headers: viewer, body: Self.body(#"{"reason": "x"}"#)) { r in
                #expect(r.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/tasks/\(id)/cancel", method: .post, headers: auth, body: Self.body(#"{"reason": "handled by police"}"#)) { r in
                #expect(r.status == .ok && Self.json(r.body)["state"] as? String == "canceled")
            }

            // A second task, still open; the list filters, pages and says where the next page starts.
            try await client.execute(uri: "/api/v1/tasks", method: .post, headers: auth,
                                     body: Self.body(#"{"title": "Fallen tree", "location": {"lat": 22.81, "lon": 113.81}, "team": "F001"}"#)) { r in
                #expect(r.status == .created && Self.json(r.body)["team"] as? String == "F001")
            }
            try await client.execute(uri: "/api/v1/tasks?limit=1", method: .get, headers: viewer) { r in
                let body = Self.json(r.body)
                #expect((body["tasks"] as? [[String: Any]])?.first?["title"] as? String == "Fallen tree" && body["next_offset"] as? Int == 1)
            }
            try await client.execute(uri: "/api/v1/tasks?state=canceled,done", method: .get, headers: viewer) { r in
                let list = Self.json(r.body)["tasks"] as? [[String: Any]] ?? []
                #expect(list.map { $0["id"] as? String } == [id])
            }
            try await client.execute(uri: "/api/v1/tasks?team=F001&state=open", method: .get, headers: viewer) { r in
                #expect((Self.json(r.body)["tasks"] as? [Any])?.count == 1)
            }
            try await client.execute(uri: "/api/v1/tasks?since=\(f.clock.now.adding(seconds: 60).iso8601)", method: .get, headers: viewer) { r in
                #expect((Self.json(r.body)["tasks"] as? [Any])?.isEmpty == true)
            }
        }
        // Every change audited, the refusals too (a viewer's, a bad body, a wrong state).
        try await f.writer.flush()
        let audit = try await f.parts.store.audit(limit: 500)
        for action in ["task.create", "task.dispatch", "task.state", "task.reopen", "task.cancel"] {
            #expect(audit.contains { $0.action == action && $0.outcome == "ok" }, "no successful \(action)")
            #expect(audit.contains { $0.action == action && $0.outcome == "refused" }, "no refused \(action)")
        }
        #expect(audit.contains { $0.action == "task.create" && $0.outcome == "refused" && $0.actor == "view" })
        #expect(audit.contains { $0.action == "task.status" && $0.actor == "radio 2100002" })
    }

    @Test("suggestions for a task and for a point; statistics per team; an SLA miss shows on the task and as an alarm")
    func suggestionsStatisticsAndEscalation() async throws {
        let f = try await Self.fixture()
        defer { f.close() }
        let now = f.clock.now
        try await f.writer.waitUntilCommitted(f.writer.submit([
            .position(Position(unit: "2100001", time: now.adding(seconds: -30), latitude: 22.801, longitude: 113.8, source: .lip)),
            .position(Position(unit: "2100002", time: now.adding(seconds: -30), latitude: 22.81, longitude: 113.8, source: .lip)),
        ]))
        let app = Application(router: APIServer.router(parts: f.parts.services))
        try await app.test(.router) { client in
            let auth = try await APIRoutesTests.login(client)
            var id = ""
            try await client.execute(uri: "/api/v1/tasks", method: .post, headers: auth,
                                     body: Self.body(#"{"title": "Leak", "location": {"lat": 22.8, "lon": 113.8}}"#)) { r in
                id = Self.json(r.body)["id"] as? String ?? ""
            }
            try await client.execute(uri: "/api/v1/tasks/\(id)/suggestions?kind=radio", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                let body = Self.json(r.body)
                let units = body["units"] as? [[String: Any]] ?? []
                #expect(units.map { $0["id"] as? String } == ["2100001", "2100002"])
                #expect(units.first?["distance_m"] as? Double == 111 && (units.first?["eta_s"] as? Double ?? 0) > 0)
                #expect((body["assumptions"] as? [String: Any])?["radio_road_speed_kmh"] as? Double == 30)
            }
            try await client.execute(uri: "/api/v1/units/available?lat=22.81&lon=113.8&limit=1", method: .get, headers: auth) { r in
                #expect(r.status == .ok && (Self.json(r.body)["units"] as? [[String: Any]])?.first?["id"] as? String == "2100002")
            }
            for (query, field) in [("lon=113", "lat"), ("lat=95&lon=113", "lat"), ("lat=22&lon=east", "lon"), ("lat=22&lon=113&kind=dock", "kind")] {
                try await client.execute(uri: "/api/v1/units/available?\(query)", method: .get, headers: auth) { r in
                    #expect(r.status == .badRequest && APIRoutesTests.error(r.body).field == field, "\(query)")
                }
            }
            try await client.execute(uri: "/api/v1/tasks/\(id)/dispatch", method: .post, headers: auth, body: Self.body(#"{"units": ["2100001"]}"#)) { r in
                #expect(r.status == .ok)
            }
            try await client.execute(uri: "/api/v1/tasks/\(id)/suggestions?kind=radio", method: .get, headers: auth) { r in
                #expect((Self.json(r.body)["units"] as? [[String: Any]])?.map { $0["id"] as? String } == ["2100002"], "the busy unit is left out")
            }

            // 31 minutes without contact: escalated.
            f.clock.advance(minutes: 31)
            #expect(await f.tasks.checkDeadlines().map(\.sla) == [.contact])
            try await client.execute(uri: "/api/v1/tasks/\(id)", method: .get, headers: auth) { r in
                let sla = Self.json(r.body)["sla"] as? [String: [String: Any]] ?? [:]
                #expect(sla["contact"]?["state"] as? String == "missed" && sla["contact"]?["escalated_at"] is String)
                #expect(sla["on_site"]?["state"] as? String == "running")
            }
            try await f.writer.flush()
            try await client.execute(uri: "/api/v1/alarms?open=true&kind=task_sla", method: .get, headers: auth) { r in
                let alarms = Self.json(r.body)["alarms"] as? [[String: Any]] ?? []
                #expect(alarms.map { $0["id"] as? String } == ["task-sla-\(id)-contact"])
            }
            // Done late: closed, not on time; the team is the unit's (none for an officer radio).
            try await client.execute(uri: "/api/v1/tasks/\(id)/state", method: .post, headers: auth, body: Self.body(#"{"state": "done"}"#)) { r in
                #expect(r.status == .ok)
            }
            let from = now.adding(seconds: -60).iso8601, to = f.clock.now.adding(seconds: 60).iso8601
            try await client.execute(uri: "/api/v1/tasks/stats?from=\(from)&to=\(to)", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                let teams = Self.json(r.body)["teams"] as? [[String: Any]] ?? []
                #expect(teams.count == 1 && teams.first?["team"] is NSNull)
                #expect(teams.first?["closed"] as? Int == 1 && teams.first?["on_time_rate"] as? Double == 0 && teams.first?["rework_rate"] as? Double == 0)
                #expect((teams.first?["mean_contact_s"] as? NSNumber)?.intValue == 31 * 60, "\(teams)")
            }
            try await client.execute(uri: "/api/v1/tasks/stats?from=\(to)&to=\(from)", method: .get, headers: auth) { r in
                #expect(r.status == .badRequest && APIRoutesTests.error(r.body).field == "from")
            }
        }
    }

    @Test("task changes reach the live feed on the tasks topic, in the API's shape")
    func liveFeed() async throws {
        let f = try await Self.fixture()
        defer { f.close() }
        let app = APIServer.application(parts: f.parts.services, host: "127.0.0.1", port: 0, logger: Logger(label: "test.tasks.http"))
        try await app.test(.live) { client in
            let auth = try await APIRoutesTests.login(client)
            let token = String(auth[.authorization]?.dropFirst("Bearer ".count) ?? "")
            let live = LiveFeedTests.LiveClient(port: try #require(client.port), query: "?token=\(token)")
            defer { live.close() }
            try await live.subscribe(#"{"subscribe": ["tasks"]}"#)
            var api: [String: Any] = [:]
            try await client.execute(uri: "/api/v1/tasks", method: .post, headers: auth,
                                     body: Self.body(#"{"title": "Live one", "location": {"lat": 22.8, "lon": 113.8}}"#)) { r in
                api = Self.json(r.body)
            }
            try await live.wait("the task event") { m in m.contains { $0.type == "task" } }
            let event = try #require(live.events(ofType: "task").first?["data"] as? [String: Any])
            #expect(Set(event.keys) == Set(api.keys))
            #expect(event["id"] as? String == api["id"] as? String && event["state"] as? String == "open")
            #expect((event["history"] as? [Any])?.count == 1)
            #expect(live.types.allSatisfy { $0 == "subscribed" || $0 == "task" }, "only what was subscribed to")
        }
    }
}
