import Foundation
import HTTPTypes
import Hummingbird
import TianyanModel
import TianyanDispatch

/// Dispatch tasks: list, create, dispatch (pages the units), move by hand, cancel, reopen; the
/// nearest available units; team statistics. Changes need the dispatcher role and are audited,
/// refusals too.
enum TaskRoutes {
    static let maxTasks = 10_000

    static func add(_ on: SortieRoutes.On, parts: DispatchServices, sessions: Sessions) {
        let store = parts.store
        let audit = AuditTrail(parts: parts)
        let onlineSeconds = parts.configuration.onlineSeconds

        @Sendable func service() throws -> TaskService {
            guard let tasks = parts.tasks else { throw APIError(.serviceUnavailable, "the task service is not running") }
            return tasks
        }

        /// A change: the dispatcher role (a refusal audited), the service's failures as JSON errors.
        @Sendable func change(_ request: Request, _ context: APIRequestContext, action: String, target: String,
                              _ body: @Sendable (TaskService, User) async throws -> Response) async throws -> Response {
            let user = try await audit.authorize(request, sessions: sessions, role: .dispatcher, action: action, target: target,
                                                 logger: context.logger)
            let tasks = try service()
            do { return try await body(tasks, user) } catch let f as TaskService.Failure {
                throw APIError(f)
            } catch let e as APIError {
                // A request the route itself refused (bad JSON, a missing field): audited as well.
                await audit.refused(user.name, action, target, "\(e.field.map { "\($0): " } ?? "")\(e.message)", logger: context.logger)
                throw e
            }
        }

        @Sendable func suggestions(_ request: Request, near point: Coordinate, tasks: TaskService, task: String?) async throws -> Response {
            let q = request.uri.queryParameters
            let limit = try QueryValue.int(q["limit"].map(String.init), name: "limit", default: 10, range: 1...500)
            var kinds: Set<UnitKind> = [.radio, .drone]
            if let text = q["kind"].map(String.init) {
                guard let k = UnitKind(rawValue: text), k != .dock else {
                    throw APIError(.badRequest, "\"\(text)\" is not a kind of unit that can be sent; radio or drone", field: "kind")
                }
                kinds = [k]
            }
            let list = try await tasks.suggestions(near: point, kinds: kinds, limit: limit)
            let now = Timestamp.now()
            let s = tasks.settings
            return PageJSON.response(.ok, [
                "task": task.map { $0 as Any } ?? NSNull(), "location": ["lat": point.latitude, "lon": point.longitude],
                "assumptions": [
                    "radio_road_speed_kmh": s.roadSpeedKmh, "radio_road_detour": s.roadDetour, "drone_speed_mps": s.droneSpeedMetresPerSecond,
                    "position_max_age_s": s.positionMaxAgeSeconds,
                ],
                "units": list.map { x -> [String: Any] in
                    var u = UnitReport.unitObject(x.unit, now: now, onlineSeconds: onlineSeconds)
                    u["distance_m"] = x.distanceMetres.rounded()
                    u["eta_s"] = x.etaSeconds.rounded()
                    u["position_age_s"] = x.positionAgeSeconds.rounded()
                    return u
                },
            ])
        }

        on(.get, "api/v1/tasks") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            let q = request.uri.queryParameters
            let w = try window(request)
            let states = try states(q["state"].map(String.init))
            let team = q["team"].map(String.init)
            let list = try await store.tasks(states: states, team: team, since: w.since, until: w.until, limit: w.limit, offset: w.offset)
            let now = parts.tasks?.now() ?? .now()
            // Memory holds fresher copies of unfinished tasks than the store (the writer batches).
            let fresh = await parts.tasks?.freshest(list) ?? list
            return PageJSON.response(.ok, w.envelope("tasks", fresh.map { RecordJSON.task($0, now: now) }))
        }

        on(.post, "api/v1/tasks") { request, context -> Response in
            try await change(request, context, action: "task.create", target: "tasks") { tasks, user in
                let body = try await JSONBody.read(request)
                let new = try newTask(body)
                let task = try await tasks.create(new, by: user.name)
                var headers = HTTPFields()
                headers[.location] = "/api/v1/tasks/\(task.id)"
                return PageJSON.response(.created, RecordJSON.task(task, now: tasks.now()), headers: headers)
            }
        }

        on(.get, "api/v1/tasks/stats") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            let q = request.uri.queryParameters
            let to = try QueryValue.time(q["to"].map(String.init), name: "to") ?? .now()
            let from = try QueryValue.time(q["from"].map(String.init), name: "from") ?? to.adding(seconds: -30 * 86_400)
            guard from <= to else { throw APIError(.badRequest, "from (\(from.iso8601)) is after to (\(to.iso8601))", field: "from") }
            guard Double(to.milliseconds - from.milliseconds) <= 366 * 86_400_000 else {
                throw APIError(.badRequest, "the range is longer than 366 days; ask for it in parts", field: "to")
            }
            let stats = try await service().statistics(from: from, to: to)
            let names = Dictionary(try await store.registry().formations.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
            return PageJSON.response(.ok, [
                "from": from.iso8601, "to": to.iso8601,
                "teams": stats.map { s -> [String: Any] in
                    [
                        "team": s.team ?? NSNull(), "name": s.team.flatMap { names[$0] } ?? NSNull(),
                        "created": s.created, "closed": s.closed, "closed_on_time": s.closedOnTime, "reworked": s.reworked,
                        "canceled": s.canceled, "on_time_rate": s.onTimeRate ?? NSNull(), "rework_rate": s.reworkRate ?? NSNull(),
                        "mean_contact_s": s.meanContactSeconds.map { $0.rounded() } ?? NSNull(),
                        "mean_on_site_s": s.meanOnSiteSeconds.map { $0.rounded() } ?? NSNull(),
                    ]
                },
            ])
        }

        on(.get, "api/v1/tasks/:id") { request, context -> Response in
            _ = try sessions.authorize(request, role: nil)
            let id = try context.parameters.require("id")
            guard let task = try await service().task(id: id) else { throw APIError(.notFound, "no task \(id.prefix(64)); GET /api/v1/tasks lists them") }
            return PageJSON.response(.ok, RecordJSON.task(task, now: try service().now()))
        }

        on(.get, "api/v1/tasks/:id/suggestions") { request, context -> Response in
            _ = try sessions.authorize(request, role: nil)
            let id = try context.parameters.require("id")
            let tasks = try service()
            guard let task = try await tasks.task(id: id) else { throw APIError(.notFound, "no task \(id.prefix(64)); GET /api/v1/tasks lists them") }
            return try await suggestions(request, near: task.location, tasks: tasks, task: task.id)
        }

        on(.get, "api/v1/units/available") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            let q = request.uri.queryParameters
            guard let latText = q["lat"].map(String.init) else { throw APIError(.badRequest, "missing: give lat and lon (WGS-84 degrees)", field: "lat") }
            guard let lonText = q["lon"].map(String.init) else { throw APIError(.badRequest, "missing: give lat and lon (WGS-84 degrees)", field: "lon") }
            guard let lat = Double(latText), (-90...90).contains(lat) else { throw APIError(.badRequest, "\"\(latText)\" must be a latitude in -90…90", field: "lat") }
            guard let lon = Double(lonText), (-180...180).contains(lon) else { throw APIError(.badRequest, "\"\(lonText)\" must be a longitude in -180…180", field: "lon") }
            return try await suggestions(request, near: Coordinate(latitude: lat, longitude: lon), tasks: try service(), task: nil)
        }

        on(.post, "api/v1/tasks/:id/dispatch") { request, context -> Response in
            let id = try context.parameters.require("id")
            return try await change(request, context, action: "task.dispatch", target: id) { tasks, user in
                let body = try await JSONBody.read(request)
                guard let raw = body.object["units"] else { throw APIError(.badRequest, "missing: the units to send (ISSIs, radio aliases, drone serials)", field: "units") }
                guard let units = raw as? [String] else { throw APIError(.badRequest, "must be a list of unit ids (strings)", field: "units") }
                var force = false
                if let f = body.object["force"], !(f is NSNull) {
                    guard let flag = f as? Bool else { throw APIError(.badRequest, "must be true or false", field: "force") }
                    force = flag
                }
                let (task, outcomes) = try await tasks.dispatch(id, units: units, by: user.name, force: force)
                var object = RecordJSON.task(task, now: tasks.now())
                object["dispatch"] = outcomes.map { o -> [String: Any] in
                    ["unit": o.unit, "page": o.page.map { RecordJSON.page($0) } ?? NSNull(), "error": o.error ?? NSNull()]
                }
                return PageJSON.response(.ok, object)
            }
        }

        on(.post, "api/v1/tasks/:id/state") { request, context -> Response in
            let id = try context.parameters.require("id")
            return try await change(request, context, action: "task.state", target: id) { tasks, user in
                let body = try await JSONBody.read(request)
                let text = try body.string("state")
                let manual: [TaskState] = [.accepted, .enRoute, .onScene, .done]
                guard let state = TaskState(rawValue: text), manual.contains(state) else {
                    throw APIError(.badRequest, "\"\(text.prefix(40))\" is not a state a task is moved to by hand; one of \(manual.map(\.rawValue).joined(separator: ", ")) (cancel and reopen have their own routes)", field: "state")
                }
                let note = try body.optionalString("note")
                return PageJSON.response(.ok, RecordJSON.task(try await tasks.setState(id, to: state, by: user.name, note: note), now: tasks.now()))
            }
        }

        for action in ["cancel", "reopen"] {
            on(.post, "api/v1/tasks/:id/\(action)") { request, context -> Response in
                let id = try context.parameters.require("id")
                return try await change(request, context, action: "task.\(action)", target: id) { tasks, user in
                    guard let body = try await JSONBody.readIfAny(request) else {
                        throw APIError(.badRequest, "missing: say why the task is \(action == "cancel" ? "canceled" : "reopened")", field: "reason")
                    }
                    let reason = try body.string("reason")
                    let task = action == "cancel" ? try await tasks.cancel(id, by: user.name, reason: reason)
                        : try await tasks.reopen(id, by: user.name, reason: reason)
                    return PageJSON.response(.ok, RecordJSON.task(task, now: tasks.now()))
                }
            }
        }
    }

    /// The list window, with `from`/`to` taken for `since`/`until` (creation time).
    static func window(_ request: Request) throws -> ListWindow {
        var w = try ListWindow(request, defaultLimit: 100, maxLimit: maxTasks)
        let q = request.uri.queryParameters
        if let from = try QueryValue.time(q["from"].map(String.init), name: "from") {
            guard w.since == nil else { throw APIError(.badRequest, "give since or from, not both", field: "from") }
            w.since = from
        }
        if let to = try QueryValue.time(q["to"].map(String.init), name: "to") {
            guard w.until == nil else { throw APIError(.badRequest, "give until or to, not both", field: "to") }
            w.until = to
        }
        if let s = w.since, let u = w.until, u < s { throw APIError(.badRequest, "the end (\(u.iso8601)) is before the start (\(s.iso8601))", field: "to") }
        return w
    }

    static func states(_ text: String?) throws -> Set<TaskState>? {
        guard let text else { return nil }
        var set = Set<TaskState>()
        for part in text.split(separator: ",") {
            guard let s = TaskState(rawValue: String(part)) else {
                throw APIError(.badRequest, "\"\(part.prefix(40))\" is not a task state; one of \(TaskState.allCases.map(\.rawValue).joined(separator: ", "))", field: "state")
            }
            set.insert(s)
        }
        return set.isEmpty ? nil : set
    }

    /// A new task from the request body, each problem naming its field.
    static func newTask(_ body: JSONBody) throws -> TaskService.NewTask {
        let title = try body.string("title")
        let description = try body.optionalString("description") ?? ""
        var priority = TaskPriority.normal
        if let text = try body.optionalString("priority") {
            guard let p = TaskPriority(rawValue: text) else {
                throw APIError(.badRequest, "\"\(text.prefix(40))\" is not a priority; one of \(TaskPriority.allCases.map(\.rawValue).joined(separator: ", "))", field: "priority")
            }
            priority = p
        }
        var location: Coordinate?
        if let raw = body.object["location"], !(raw is NSNull) {
            guard let o = raw as? [String: Any] else { throw APIError(.badRequest, "must be an object {\"lat\": …, \"lon\": …} (WGS-84 degrees)", field: "location") }
            guard let lat = (o["lat"] as? NSNumber)?.doubleValue else { throw APIError(.badRequest, "missing or not a number", field: "location.lat") }
            guard let lon = (o["lon"] as? NSNumber)?.doubleValue else { throw APIError(.badRequest, "missing or not a number", field: "location.lon") }
            guard (-90...90).contains(lat) else { throw APIError(.badRequest, "\(lat) is not a latitude in -90…90", field: "location.lat") }
            guard (-180...180).contains(lon) else { throw APIError(.badRequest, "\(lon) is not a longitude in -180…180", field: "location.lon") }
            location = Coordinate(latitude: lat, longitude: lon)
        }
        var source = TaskSource(kind: .point)
        if let raw = body.object["source"], !(raw is NSNull) {
            guard let o = raw as? [String: Any] else { throw APIError(.badRequest, "must be an object {\"kind\": \"alarm\"|\"point\"|\"drone\", …}", field: "source") }
            let kinds = TaskSource.Kind.allCases.map(\.rawValue).joined(separator: ", ")
            guard let k = o["kind"] as? String, let kind = TaskSource.Kind(rawValue: k) else {
                throw APIError(.badRequest, "missing or not one of \(kinds)", field: "source.kind")
            }
            func text(_ key: String) throws -> String? {
                guard let v = o[key], !(v is NSNull) else { return nil }
                guard let s = v as? String else { throw APIError(.badRequest, "must be a string", field: "source.\(key)") }
                return s
            }
            source = TaskSource(kind: kind, alarm: try text("alarm"), drone: try text("drone"), note: try text("note"))
        }
        let team = try body.optionalString("team")
        return TaskService.NewTask(title: title, description: description, priority: priority, location: location, source: source, team: team)
    }
}
