import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import NIOCore
import NIOWebSocket
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

/// The live feed end to end: a real server on a loopback port, real WebSocket clients, records
/// submitted through the tee the producers use.
@Suite("Live feed over WebSocket", .timeLimit(.minutes(3)))
struct LiveFeedTests {
    /// Stands in for the store's writer: counts what it is handed, never waits.
    final class CountingSink: RecordSink {
        let count = Mutex(0)
        func submit(_ records: [StoreRecord]) -> UInt64 {
            count.withLock { n in
                n += records.count
                return UInt64(n)
            }
        }

        func waitUntilCommitted(_ ticket: UInt64) async throws {}
    }

    struct Harness {
        let port: Int
        let token: String
        let tee: RecordTee
        let feed: LiveFeed
        let client: any TestClientProtocol
    }

    /// Runs `body` against a live server with a running feed.
    static func withServer(_ configuration: LiveFeed.Configuration = .init(),
                           _ body: @escaping @Sendable (Harness) async throws -> Void) async throws {
        let f = try await APIRoutesTests.fixture()
        defer { f.dir.remove() }
        let feed = LiveFeed(configuration: configuration, logger: Logger(label: "test.live"))
        let running = Task { try await feed.run() }
        defer { running.cancel() }
        var parts = f.parts
        parts.live = feed
        let tee = RecordTee(writer: CountingSink(), feed: feed)
        let app = APIServer.application(parts: parts.services, host: "127.0.0.1", port: 0, logger: Logger(label: "test.live.http"))
        try await app.test(.live) { client in
            let auth = try await APIRoutesTests.login(client, "view")
            let token = String(auth[.authorization]?.dropFirst("Bearer ".count) ?? "")
            try await body(Harness(port: try #require(client.port), token: token, tee: tee, feed: feed, client: client))
        }
    }

    /// A WebSocket client that records every text message it gets. With `gate`, it stops reading
    /// after the first `subscribed` acknowledgement until the gate opens.
    final class LiveClient: Sendable {
        /// Every text message with its type, in order.
        let received = Received()
        let outbox: AsyncStream<String>.Continuation
        let connection: Task<WebSocketCloseFrame?, any Error>

        final class Received: Sendable {
            let messages = Mutex<[(type: String, text: String)]>([])
            /// WebSocket messages, counting a batch once.
            let wireMessages = Atomic<Int>(0)
        }

        init(port: Int, query: String, headers: HTTPFields = [:], gate: AsyncStream<Void>? = nil) {
            let (outgoing, outbox) = AsyncStream.makeStream(of: String.self)
            self.outbox = outbox
            let received = self.received
            connection = Task {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/api/v1/live\(query)",
                                                  configuration: .init(additionalHeaders: headers),  // the default 16 KiB frames
                                                  logger: Logger(label: "test.live.client")) { inbound, outbound, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in outgoing { try await outbound.write(.text(text)) }
                        }
                        var gated = gate != nil
                        for try await message in inbound.messages(maxSize: 1 << 22) {
                            guard case .text(let text) = message else { continue }
                            let type = LiveClient.type(of: text)
                            received.wireMessages.add(1, ordering: .relaxed)
                            if type == "batch" {
                                // Unwrapped, so that the tests see each event in order whichever way it came.
                                let inner = ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any])?["data"] as? [Any] ?? []
                                let texts = inner.compactMap { e -> String? in
                                    (try? JSONSerialization.data(withJSONObject: e, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) }
                                }
                                received.messages.withLock { m in for t in texts { m.append((LiveClient.type(of: t), t)) } }
                                continue
                            }
                            received.messages.withLock { $0.append((type, text)) }
                            if gated, type == "subscribed" {
                                gated = false
                                for await _ in gate! { break }
                            }
                        }
                        group.cancelAll()
                    }
                }
            }
        }

        /// The `type` of a message (the server sorts keys: it is the last one).
        static func type(of text: String) -> String {
            guard let range = text.range(of: #""type":""#, options: .backwards) else { return "?" }
            return String(text[range.upperBound...].prefix { $0 != "\"" })
        }

        func send(_ text: String) { outbox.yield(text) }

        /// The types of the messages received so far.
        var types: [String] { received.messages.withLock { $0.map(\.type) } }
        var texts: [String] { received.messages.withLock { $0.map(\.text) } }

        /// The messages received so far, decoded.
        var events: [[String: Any]] {
            texts.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        }

        func events(ofType type: String) -> [[String: Any]] { events.filter { $0["type"] as? String == type } }

        func count(_ type: String) -> Int { received.messages.withLock { $0.count { $0.type == type } } }

        /// Waits (bounded) until `done` holds for the messages received so far (type and text).
        func wait(_ what: String, within seconds: Double = 10, until done: ([(type: String, text: String)]) -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline {
                if done(received.messages.withLock { $0 }) { return }
                try await Task.sleep(for: .milliseconds(10))
            }
            let got = types
            Issue.record("waited \(seconds) s for \(what); got \(got.count) messages: \(got.suffix(20))")
            throw CancellationError()
        }

        func subscribe(_ json: String) async throws {
            let before = events(ofType: "subscribed").count + events(ofType: "error").count
            send(json)
            try await wait("the answer to \(json)") { m in m.count { ["subscribed", "error"].contains($0.type) } > before }
        }

        func close() {
            outbox.finish()
            connection.cancel()
        }
    }

    static let now = Timestamp(milliseconds: 1_800_000_000_000)

    static func position(_ unit: String, _ lat: Double, _ lon: Double) -> StoreRecord {
        .position(Position(unit: unit, time: now, latitude: lat, longitude: lon, altitude: 120, speed: 8, heading: 90, source: .osd))
    }

    static func alarm(_ id: String, unit: String = "2100003") -> StoreRecord {
        .alarm(Alarm(id: id, unit: unit, time: now, kind: "emergency", severity: .emergency, code: "status-0", text: "Emergency from CM-0003"))
    }

    static func page(_ id: String, text: String = "Stand by") -> StoreRecord {
        .page(Page(id: id, gateway: "g1", destination: "2100002", target: .radio, text: text, requestedBy: "disp", requestedAt: now,
                   state: .sent, history: [PageStep(state: .queued, time: now), PageStep(state: .sent, time: now, detail: "radio ok")]))
    }

    static func sortie(_ id: String) -> StoreRecord {
        .sortie(SortieRecord(id: id, drone: "DR-01", dock: "DK-01", pilot: "P1", formation: "F1", cells: ["C1"], start: now,
                             end: now.adding(seconds: 1_200), state: .executing, urgent: false,
                             route: SortieRoute(points: [], surveySpeedMetresPerSecond: 10, transitSpeedMetresPerSecond: 15,
                                                photoTriggerDistanceMetres: 50, distanceMetres: 4_000, durationSeconds: 1_200),
                             percent: 40, history: [SortieStep(state: .planned, time: now), SortieStep(state: .executing, time: now)]))
    }

    @Test("a subscribed client gets positions, alarms, pages, sorties and calls with the API's shapes; one not subscribed to positions gets none")
    func subscribedEvents() async throws {
        try await Self.withServer { h in
            let all = LiveClient(port: h.port, query: "?token=\(h.token)")
            let alarmsOnly = LiveClient(port: h.port, query: "", headers: [.authorization: "Bearer \(h.token)"])
            defer {
                all.close()
                alarmsOnly.close()
            }
            try await all.subscribe(#"{"subscribe": ["positions", "alarms", "pages", "sorties", "calls"]}"#)
            try await alarmsOnly.subscribe(#"{"subscribe": ["alarms"]}"#)
            let ack = try #require(alarmsOnly.events(ofType: "subscribed").first?["data"] as? [String: Any])
            #expect(ack["subscribe"] as? [String] == ["alarms"] && ack["bbox"] is NSNull)

            let call = VoiceCall(id: "g1-7-1", gateway: "g1", kind: .group, called: "9001", caller: "2100001", priority: 0, emergency: false,
                                 start: Self.now, end: nil, cause: nil,
                                 transmissions: [Transmission(talker: "2100001", start: Self.now, end: Self.now.adding(seconds: 4)),
                                                 Transmission(talker: "2100002", start: Self.now.adding(seconds: 5), end: nil)])
            h.tee.submit([Self.position("DR-01", 34.26, 108.94), Self.alarm("A1"), Self.page("PG-1"), Self.sortie("S-1"), .voiceCall(call),
                          .audit(AuditEntry(time: Self.now, actor: "disp", action: "login", target: "api", outcome: "ok"))])

            try await all.wait("position, alarm, page, sortie and call") { m in
                ["position", "alarm", "page", "sortie", "call"].allSatisfy { t in m.contains { $0.type == t } }
            }
            #expect(all.types == ["subscribed", "position", "alarm", "page", "sortie", "call"], "audit entries are not on the feed")
            let position = try #require(all.events(ofType: "position").first?["data"] as? [String: Any])
            #expect(position["unit"] as? String == "DR-01" && position["lat"] as? Double == 34.26 && position["lon"] as? Double == 108.94)
            #expect(position["time"] as? String == "2027-01-15T08:00:00.000Z" && position["source"] as? String == "osd")
            #expect(position["speed_mps"] as? Double == 8 && position["accuracy_m"] is NSNull)
            let alarm = try #require(all.events(ofType: "alarm").first?["data"] as? [String: Any])
            #expect(alarm["id"] as? String == "A1" && alarm["severity"] as? String == "emergency" && alarm["cleared_at"] is NSNull)
            let page = try #require(all.events(ofType: "page").first?["data"] as? [String: Any])
            #expect(page["to"] as? String == "2100002" && page["requested_by"] as? String == "disp" && page["state"] as? String == "sent" && page["final"] as? Bool == false)
            #expect((page["history"] as? [[String: Any]])?.last?["detail"] as? String == "radio ok")
            let sortie = try #require(all.events(ofType: "sortie").first?["data"] as? [String: Any])
            #expect(sortie["state"] as? String == "executing" && sortie["percent"] as? Double == 40 && sortie["route"] == nil)
            let voice = try #require(all.events(ofType: "call").first?["data"] as? [String: Any])
            #expect(voice["talking"] as? String == "2100002", "the open transmission's talker holds the channel")
            #expect((voice["transmissions"] as? [[String: Any]])?.count == 2)

            try await alarmsOnly.wait("the alarm") { m in m.contains { $0.type == "alarm" } }
            // The alarm was submitted after the position in the same batch: had the position been
            // sent to this client, it would have arrived first.
            #expect(alarmsOnly.types == ["subscribed", "alarm"])
        }
    }

    @Test("bbox keeps positions inside the window, units keeps events about those units; a bad subscribe gets an error naming the field and the connection stays")
    func filters() async throws {
        try await Self.withServer { h in
            let c = LiveClient(port: h.port, query: "?token=\(h.token)")
            defer { c.close() }
            try await c.subscribe(#"{"subscribe": ["positions"], "bbox": [34.0, 108.5, 34.5, 109.2]}"#)
            h.tee.submit([Self.position("OUT-BEIJING", 39.9, 116.4), Self.position("IN-XIAN", 34.26, 108.94), Self.position("OUT-WEST", 34.26, 108.0)])
            try await c.wait("the position inside the box") { m in m.contains { $0.type == "position" } }
            h.tee.submit([Self.position("IN-XIAN-2", 34.3, 109.0)])
            try await c.wait("the second position inside the box") { m in m.count { $0.type == "position" } == 2 }
            let units = c.events(ofType: "position").compactMap { ($0["data"] as? [String: Any])?["unit"] as? String }
            #expect(units == ["IN-XIAN", "IN-XIAN-2"])

            for (message, field) in [(#"{"subscribe": ["positions"], "bbox": [1, 2, 3]}"#, "bbox"),
                                     (#"{"subscribe": ["positons"]}"#, "subscribe"),
                                     (#"{"subscribe": ["alarms"], "units": "2100003"}"#, "units"),
                                     (#"{"subscribe": ["alarms"], "bbox": [35, 108, 34, 109]}"#, "bbox"),
                                     (#"{"topics": ["alarms"]}"#, "topics")] {
                let errors = c.events(ofType: "error").count
                try await c.subscribe(message)
                let error = try #require(c.events(ofType: "error").dropFirst(errors).first?["data"] as? [String: Any], "\(message)")
                #expect(error["field"] as? String == field, "\(message): \(error)")
                #expect((error["message"] as? String ?? "").count > 10)
            }
            try await c.subscribe("not json")
            #expect(c.events(ofType: "error").last.flatMap { ($0["data"] as? [String: Any])?["field"] } is NSNull)

            // Still connected, and the last good subscription can be replaced.
            try await c.subscribe(#"{"subscribe": ["positions", "alarms"], "units": ["2100003", "DR-07"]}"#)
            h.tee.submit([Self.position("DR-01", 34.26, 108.94), Self.alarm("A-other", unit: "2100009"), Self.position("DR-07", 39.9, 116.4),
                          Self.alarm("A-mine")])
            try await c.wait("the alarm about 2100003") { m in m.contains { $0.text.contains(#""id":"A-mine""#) } }
            let tail = c.events.suffix(2).compactMap { e -> String? in
                let d = e["data"] as? [String: Any]
                return (d?["id"] ?? d?["unit"]) as? String
            }
            #expect(tail == ["DR-07", "A-mine"], "only the listed units, and without a bbox anywhere")
        }
    }

    @Test("with batch: true, events waiting together come as one batch message, in order, in frames a default client accepts")
    func batches() async throws {
        try await Self.withServer { h in
            let c = LiveClient(port: h.port, query: "?token=\(h.token)")
            defer { c.close() }
            try await c.subscribe(#"{"subscribe": ["positions"], "batch": true}"#)
            let ack = try #require(c.events(ofType: "subscribed").first?["data"] as? [String: Any])
            #expect(ack["batch"] as? Bool == true)
            let before = c.received.wireMessages.load(ordering: .relaxed)
            // 300 positions: a batch of about 70 KiB, more than one 16 KiB frame.
            h.tee.submit((0..<300).map { Self.position("U-\($0)", 34.2, 108.9) })
            try await c.wait("300 positions") { m in m.count { $0.type == "position" } == 300 }
            let units = c.events(ofType: "position").compactMap { ($0["data"] as? [String: Any])?["unit"] as? String }
            #expect(units == (0..<300).map { "U-\($0)" })
            let messages = c.received.wireMessages.load(ordering: .relaxed) - before
            #expect(messages < 10, "300 positions handed over together came in \(messages) messages")
        }
    }

    @Test("no session, no upgrade: the WebSocket is refused; plain GET says 401 or 426")
    func refusedWithoutSession() async throws {
        try await Self.withServer { h in
            for query in ["", "?token=nonsense"] {
                let c = LiveClient(port: h.port, query: query)
                await #expect(throws: (any Error).self, "query \(query)") { try await c.connection.value }
            }
            try await h.client.execute(uri: "/api/v1/live", method: .get) { r in
                #expect(r.status == .unauthorized)
                #expect(APIRoutesTests.error(r.body).message.contains("token"))
            }
            try await h.client.execute(uri: "/api/v1/live?token=nonsense", method: .get) { r in
                #expect(r.status == .unauthorized)
                #expect(APIRoutesTests.error(r.body).field == "token")
            }
            try await h.client.execute(uri: "/api/v1/live?token=\(h.token)", method: .get) { r in
                #expect(r.status.code == 426)
                #expect(APIRoutesTests.error(r.body).message.contains("WebSocket"))
            }
        }
    }

    @Test("a client that stops reading is dropped with the reason; another keeps getting everything; submit never waits")
    func slowClientDropped() async throws {
        try await Self.withServer(.init(clientQueueLimit: 50)) { h in
            let (gate, opener) = AsyncStream.makeStream(of: Void.self)
            let slow = LiveClient(port: h.port, query: "?token=\(h.token)", gate: gate)
            let fast = LiveClient(port: h.port, query: "?token=\(h.token)")
            defer {
                slow.close()
                fast.close()
            }
            try await slow.subscribe(#"{"subscribe": ["pages"]}"#)
            try await fast.subscribe(#"{"subscribe": ["pages", "alarms"]}"#)

            // Pages of 4 KiB: the slow client's socket buffers fill, then its queue of 50.
            let text = String(repeating: "x", count: 4096)
            var sent = 0
            var slowest: Duration = .zero
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(60)
            while h.feed.statistics.clientsDroppedSlow == 0 {
                #expect(clock.now < deadline && sent < 50_000, "the slow client was not dropped after \(sent) pages")
                guard clock.now < deadline, sent < 50_000 else { return }
                let batch = (0..<10).map { Self.page("PG-\(sent + $0)", text: text) }
                let took = try clock.measure { h.tee.submit(batch) }
                slowest = max(slowest, took)
                sent += batch.count
                // Let the fast client keep up, as a reading browser would.
                try await fast.wait("page \(sent)", within: 30) { m in m.count { $0.type == "page" } >= sent }
            }
            #expect(slowest < .milliseconds(500), "submit took \(slowest) at its slowest")
            #expect(h.feed.statistics.clientsDroppedSlow == 1)

            // The slow client reads again: what was on the wire, then the close frame with the reason.
            opener.yield()
            let close = try await slow.connection.value
            #expect(close?.closeCode == .policyViolation)
            #expect(close?.reason?.hasPrefix("too slow: 50 events") == true, "\(String(describing: close?.reason))")

            // The fast client got every page, in order, and is still served.
            h.tee.submit([Self.alarm("after-drop")])
            try await fast.wait("the alarm after the drop") { m in m.contains { $0.type == "alarm" } }
            let ids = fast.events(ofType: "page").compactMap { ($0["data"] as? [String: Any])?["id"] as? String }
            #expect(ids == (0..<sent).map { "PG-\($0)" })
            #expect(h.feed.statistics.clients == 1)

            try await h.client.execute(uri: "/metrics", method: .get) { r in
                let metrics = String(buffer: r.body)
                for line in ["tianyan_live_clients 1", "tianyan_live_clients_dropped_total 1", "# TYPE tianyan_live_events_sent_total counter"] {
                    #expect(metrics.contains(line), "missing \(line)")
                }
            }
        }
    }

    @Test("an event's JSON text decodes to what JSONSerialization makes of the same record: escapes, unicode, numbers, null, nesting")
    func eventText() throws {
        let text = "say \"hi\" \\ back/slash\nline\ttab \u{01}\u{1F} 北京 🚁 end"
        let records = [Self.page("PG-1", text: text), Self.position("U-1", 34.123456789, 108.987654321), Self.sortie("S-1"),
                       .position(Position(unit: "U-2", time: Self.now, latitude: -0.000001, longitude: 1e-7, altitude: 1234567.875,
                                          speed: nil, heading: 0, source: .lip))]
        for record in records {
            let event = try #require(LiveEvent(record))
            let decoded = try #require(try JSONSerialization.jsonObject(with: Data(event.text.utf8)) as? NSDictionary)
            let reference = try JSONSerialization.data(withJSONObject: ["type": event.type, "data": Self.data(of: record)], options: [.sortedKeys])
            let expected = try #require(try JSONSerialization.jsonObject(with: reference) as? NSDictionary)
            #expect(decoded == expected, "\(event.text)")
            #expect(event.text.hasSuffix(#","type":"\#(event.type)"}"#), "the type comes last: \(event.text)")
        }
    }

    static func data(of record: StoreRecord) -> [String: Any] {
        switch record {
        case .page(let p): RecordJSON.page(p)
        case .position(let p): RecordJSON.position(p)
        case .sortie(let s): RecordJSON.sortie(s, route: false)
        default: [:]
        }
    }

    @Test("subscribe messages: topics, bbox and units parsed; what is wrong names the field", arguments: [
        (#"{"subscribe": []}"#, nil),
        (#"{"subscribe": ["flight_tasks", "radio_messages", "units"], "bbox": [-10, 170, 10, -170], "units": null}"#, nil),
        (#"{"subscribe": "positions"}"#, "subscribe"),
        (#"{"subscribe": ["positions"], "bbox": [91, 0, 92, 1]}"#, "bbox"),
        (#"{"subscribe": ["positions"], "bbox": ["a", 0, 1, 1]}"#, "bbox"),
        (#"{"subscribe": ["positions"], "units": [1, 2]}"#, "units"),
        (#"{"subscribe": ["positions"], "extra": 1}"#, "extra"),
        (#"{"subscribe": ["positions"], "batch": "yes"}"#, "batch"),
    ] as [(String, String?)])
    func subscriptionParsing(message: String, field: String?) {
        do {
            let s = try LiveSubscription(parsing: message)
            #expect(field == nil, "accepted \(message)")
            if let box = s.box {
                #expect(box.contains(latitude: 0, longitude: 179) && box.contains(latitude: 0, longitude: -179) && !box.contains(latitude: 0, longitude: 0),
                        "a window across the antimeridian")
            }
        } catch {
            #expect(error.field == field, "\(message): \(error)")
        }
    }
}
