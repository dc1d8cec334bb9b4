import Foundation
import HTTPTypes
import Hummingbird
import TianyanModel
import TianyanDispatch

/// Units (docks, drones, radios) with state and last position, a unit's track, and the docks'
/// flight tasks (`/api/v1/flight-tasks`; dispatch tasks are `/api/v1/tasks`).
enum UnitRoutes {
    /// Most units one list answer holds, and most points one track answer holds.
    static let maxUnits = 10_000
    static let maxTrackPoints = 100_000
    /// The longest time range one track request may ask for.
    static let maxTrackDays = 7.0

    static func add(_ on: SortieRoutes.On, parts: DispatchServices, sessions: Sessions) {
        let store = parts.store
        let onlineSeconds = parts.configuration.onlineSeconds

        @Sendable func unit(_ id: String) async throws -> UnitSummary {
            guard let u = try await store.units().first(where: { $0.id == id }) else {
                throw APIError(.notFound, "no unit \(id.prefix(64)); GET /api/v1/units lists them")
            }
            return u
        }

        on(.get, "api/v1/units") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            let q = request.uri.queryParameters
            var kind: UnitKind?
            if let text = q["kind"].map(String.init) {
                guard let k = UnitKind(rawValue: text) else {
                    throw APIError(.badRequest, "\"\(text)\" is not a unit kind; one of dock, drone, radio", field: "kind")
                }
                kind = k
            }
            let online = try QueryValue.bool(q["online"].map(String.init), name: "online")
            let window = try ListWindow(request, defaultLimit: 1000, maxLimit: maxUnits)
            let now = Timestamp.now()
            var units = try await store.units()
            if let kind { units = units.filter { $0.kind == kind } }
            if let online { units = units.filter { UnitReport.isOnline($0, now: now, onlineSeconds: onlineSeconds) == online } }
            let page = units.dropFirst(window.offset).prefix(window.limit)
            var body = window.envelope("units", page.map { UnitReport.unitObject($0, now: now, onlineSeconds: onlineSeconds) })
            body["total"] = units.count
            body["online_seconds"] = onlineSeconds
            // The console loads every unit at start: written directly (JSONSerialization took
            // about half a second for the sample's 2,815 units).
            return PageJSON.response(.ok, text: LiveJSON.text(body))
        }

        on(.get, "api/v1/units/:id") { request, context -> Response in
            _ = try sessions.authorize(request, role: nil)
            let u = try await unit(try context.parameters.require("id"))
            return PageJSON.response(.ok, UnitReport.unitObject(u, now: .now(), onlineSeconds: onlineSeconds))
        }

        on(.get, "api/v1/units/:id/track") { request, context -> Response in
            _ = try sessions.authorize(request, role: nil)
            let id = try context.parameters.require("id")
            let q = request.uri.queryParameters
            let limit = try QueryValue.int(q["limit"].map(String.init), name: "limit", default: 10_000, range: 1...maxTrackPoints)
            let fromText = q["from"].map(String.init), toText = q["to"].map(String.init)
            var from = try QueryValue.time(fromText, name: "from")
            var to = try QueryValue.time(toText, name: "to")
            // Without a range: the last hour; with one end only: the hour from or up to it.
            switch (from, to) {
            case (nil, nil): to = .now(); from = to!.adding(seconds: -3600)
            case (let f?, nil): to = f.adding(seconds: 3600)
            case (nil, let t?): from = t.adding(seconds: -3600)
            default: break
            }
            guard let from, let to else { throw APIError(.badRequest, "give from and to", field: "from") }
            guard from <= to else { throw APIError(.badRequest, "from (\(from.iso8601)) is after to (\(to.iso8601))", field: "from") }
            guard Double(to.milliseconds - from.milliseconds) <= maxTrackDays * 86_400_000 else {
                throw APIError(.badRequest, "the range is longer than \(Int(maxTrackDays)) days; ask for it in parts", field: "to")
            }
            _ = try await unit(id)
            var points = try await store.track(unit: id, from: from, to: to, limit: limit + 1)
            var next: Any = NSNull()
            if points.count > limit {
                next = points[limit].time.iso8601
                points.removeLast(points.count - limit)
            }
            return PageJSON.response(.ok, [
                "unit": id, "from": from.iso8601, "to": to.iso8601, "limit": limit, "truncated": next is String,
                "next_from": next, "points": points.map(RecordJSON.position),
            ])
        }

        on(.get, "api/v1/units/:id/health") { request, context -> Response in
            _ = try sessions.authorize(request, role: nil)
            let id = try context.parameters.require("id")
            let q = request.uri.queryParameters
            let limit = try QueryValue.int(q["limit"].map(String.init), name: "limit", default: 5000, range: 1...maxTrackPoints)
            let to = try QueryValue.time(q["to"].map(String.init), name: "to") ?? .now()
            let from = try QueryValue.time(q["from"].map(String.init), name: "from") ?? to.adding(seconds: -30 * 86_400)
            guard from <= to else { throw APIError(.badRequest, "from (\(from.iso8601)) is after to (\(to.iso8601))", field: "from") }
            _ = try await unit(id)
            let samples = try await store.healthHistory(unit: id, from: from, to: to, limit: limit)
            return PageJSON.response(.ok, [
                "unit": id, "from": from.iso8601, "to": to.iso8601, "sample_minutes": 10,
                "samples": samples.map { h -> [String: Any] in
                    ["time": h.time.iso8601, "flight_seconds": h.flightSeconds ?? NSNull(), "flight_count": h.flightCount ?? NSNull(),
                     "battery_cycles": h.batteryCycles ?? NSNull(), "battery_percent": h.batteryPercent ?? NSNull(),
                     "temperature_c": h.temperatureCelsius ?? NSNull()]
                },
            ])
        }

        on(.get, "api/v1/flight-tasks") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            let w = try ListWindow(request, defaultLimit: 100, maxLimit: 10_000)
            let tasks = try await store.flightTasks(dock: request.uri.queryParameters["dock"].map(String.init), limit: w.limit,
                                                    since: w.since, until: w.until, offset: w.offset)
            return PageJSON.response(.ok, w.envelope("flight_tasks", tasks.map(task)))
        }
    }

    static func task(_ t: FlightTaskUpdate) -> [String: Any] {
        [
            "flight_id": t.flightID, "dock": t.dock, "updated": t.time.iso8601, "status": t.status.rawValue, "percent": t.percent ?? NSNull(),
            "step": t.step ?? NSNull(), "waypoint_index": t.waypointIndex ?? NSNull(), "media_count": t.mediaCount ?? NSNull(),
            "track_id": t.trackID ?? NSNull(), "result_code": t.resultCode ?? NSNull(), "result_text": t.resultText ?? NSNull(),
        ]
    }
}
