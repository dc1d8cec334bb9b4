import Foundation
import HTTPTypes
import Hummingbird
import TianyanModel
import TianyanDispatch

/// The audit log (admin only): who did what, when, and how it ended.
enum AuditRoutes {
    static let maxEntries = 10_000

    static func add(_ on: SortieRoutes.On, parts: DispatchServices, sessions: Sessions) {
        let store = parts.store

        on(.get, "api/v1/audit") { request, _ -> Response in
            _ = try sessions.authorize(request, role: .admin)
            let w = try ListWindow(request, defaultLimit: 100, maxLimit: maxEntries)
            let q = request.uri.queryParameters
            let entries = try await store.audit(limit: w.limit, actor: q["actor"].map(String.init), action: q["action"].map(String.init),
                                                since: w.since, until: w.until, offset: w.offset)
            return PageJSON.response(.ok, w.envelope("entries", entries.map { e -> [String: Any] in
                ["time": e.time.iso8601, "actor": e.actor, "action": e.action, "target": e.target, "outcome": e.outcome,
                 "detail": e.detail ?? NSNull()]
            }))
        }
    }
}
