import Foundation
import HTTPTypes
import Hummingbird
import TianyanModel
import TianyanDispatch

/// What is due for maintenance and what is grounded; grounding, ungrounding and recording a
/// service (the maintenance role), each audited.
enum MaintenanceRoutes {
    static func add(_ on: SortieRoutes.On, parts: DispatchServices, sessions: Sessions) {
        let store = parts.store
        let rules = parts.configuration.maintenance
        let audit = AuditTrail(parts: parts)

        on(.get, "api/v1/maintenance") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            let all = try QueryValue.bool(request.uri.queryParameters["all"].map(String.init), name: "all") ?? false
            let statuses = try await MaintenanceReport.statuses(store: store, rules: rules, now: .now())
            // As `tianyan maintenance`: without all, only units due, grounded or with a critical HMS alarm.
            let shown = all ? statuses : statuses.filter { !$0.due.isEmpty || $0.grounded != nil || $0.openAlarms.contains { $0.severity == .critical } }
            return PageJSON.response(.ok, [
                "units": shown.map(status), "total": statuses.count,
                "due": statuses.filter { !$0.due.isEmpty }.count, "grounded": statuses.filter { $0.grounded != nil }.count,
                "rules": ["flight_hours": rules.flightHours, "battery_cycles": rules.batteryCycles, "months": rules.months],
            ])
        }

        for kind in MaintenanceAction.Kind.allCases {
            on(.post, "api/v1/maintenance/:id/\(kind.rawValue)") { request, context -> Response in
                let id = try context.parameters.require("id")
                let action = "maintenance.\(kind.rawValue)"
                let user = try await audit.authorize(request, sessions: sessions, role: .maintenance, action: action, target: id,
                                                     logger: context.logger)
                let body = try await JSONBody.readIfAny(request)
                let note: String?
                if kind == .ground {
                    // As the CLI: grounding needs a reason.
                    guard let body else { throw APIError(.badRequest, "missing: say why the unit is grounded", field: "reason") }
                    note = try body.string("reason").trimmingCharacters(in: .whitespacesAndNewlines)
                    guard note?.isEmpty == false else { throw APIError(.badRequest, "say why the unit is grounded", field: "reason") }
                } else {
                    note = try body?.optionalString("note")
                }
                do {
                    _ = try await MaintenanceReport.record(kind, unit: id, by: user.name, note: note, store: store, sink: parts.sink,
                                                           rules: rules, now: .now())
                } catch let f as DispatchError {
                    await audit.refused(user.name, action, id, f.message, logger: context.logger)
                    throw APIError(f)
                }
                let now = Timestamp.now()
                guard let s = try await MaintenanceReport.statuses(store: store, rules: rules, now: now).first(where: { $0.unit == id }) else {
                    throw APIError(.notFound, "\(id) is not a registered drone or dock")
                }
                return PageJSON.response(.ok, status(s))
            }
        }
    }

    static func status(_ s: MaintenanceStatus) -> [String: Any] {
        func action(_ a: MaintenanceAction?) -> Any {
            guard let a else { return NSNull() }
            let object: [String: Any] = ["time": a.time.iso8601, "by": a.by, "note": a.note ?? NSNull(), "kind": a.kind.rawValue]
            return object
        }
        return [
            "unit": s.unit, "kind": s.kind.rawValue, "model": s.model ?? NSNull(),
            "state": s.grounded != nil ? "grounded" : s.due.isEmpty ? "ok" : "due", "available": s.available,
            "flight_hours": s.flightHours ?? NSNull(), "flight_hours_since_service": s.flightHoursSinceService ?? NSNull(),
            "battery_cycles": s.health?.maxBatteryCycles ?? NSNull(), "firmware": s.health?.firmware ?? NSNull(),
            "health_reported": s.health?.time.iso8601 ?? NSNull(),
            "last_service": action(s.lastService), "grounded": action(s.grounded), "due": s.due,
            "open_alarms": s.openAlarms.map { a -> [String: Any] in
                ["id": a.id, "time": a.time.iso8601, "severity": a.severity.rawValue, "code": a.code ?? NSNull(), "text": a.text]
            },
            "alarms_last_30_days": s.alarmsLast30Days,
        ]
    }
}
