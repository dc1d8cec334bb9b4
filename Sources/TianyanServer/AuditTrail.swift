import Foundation
import Hummingbird
import Logging
import TianyanModel
import TianyanDispatch

/// The audit log as the mutating routes write it: who, when, what, outcome. A refusal (wrong role,
/// unknown target, wrong state) is written as well as a success.
struct AuditTrail: Sendable {
    let writer: any RecordSink

    init(parts: DispatchServices) {
        writer = parts.sink
    }

    /// Writes `entry` and waits until it is committed. A failure to write is logged, not thrown:
    /// the request's answer does not depend on it.
    func record(_ entry: AuditEntry, logger: Logger) async {
        do {
            try await writer.waitUntilCommitted(writer.submit([.audit(entry)]))
        } catch {
            logger.error("cannot write the audit entry", metadata: ["audit.action": "\(entry.action)", "error": "\(error)"])
        }
    }

    func refused(_ actor: String, _ action: String, _ target: String, _ why: String, logger: Logger) async {
        await record(AuditEntry(time: .now(), actor: actor, action: action, target: target, outcome: "refused", detail: why), logger: logger)
    }

    /// The session's user (401 without one); a user whose role does not allow `role` is refused
    /// with 403 and the refusal is audited under `action` and `target`.
    func authorize(_ request: Request, sessions: Sessions, role: Role, action: String, target: String, logger: Logger) async throws -> User {
        let user = try sessions.authorize(request, role: nil)
        guard user.role.allows(role) else {
            let message = "this needs the \(role.rawValue) role; \(user.name) is \(user.role.rawValue)"
            await refused(user.name, action, target, message, logger: logger)
            throw APIError(.forbidden, message)
        }
        return user
    }
}

/// The paging window of a list: `limit` (1...maxLimit) and `offset`, with `since`/`until` where
/// the list is in time.
struct ListWindow {
    static let maxOffset = 1_000_000

    var limit: Int
    var offset: Int
    var since: Timestamp?
    var until: Timestamp?

    init(_ request: Request, defaultLimit: Int, maxLimit: Int) throws {
        let query = request.uri.queryParameters
        limit = try QueryValue.int(query["limit"].map(String.init), name: "limit", default: defaultLimit, range: 1...maxLimit)
        offset = try QueryValue.int(query["offset"].map(String.init), name: "offset", default: 0, range: 0...Self.maxOffset)
        since = try QueryValue.time(query["since"].map(String.init), name: "since")
        until = try QueryValue.time(query["until"].map(String.init), name: "until")
        if let since, let until, until < since {
            throw APIError(.badRequest, "until (\(until.iso8601)) is before since (\(since.iso8601))", field: "until")
        }
    }

    /// The list fields every paged answer carries; `next_offset` is null on the last page.
    func envelope(_ key: String, _ items: [Any]) -> [String: Any] {
        [key: items, "limit": limit, "offset": offset, "next_offset": items.count == limit ? offset + limit : NSNull()]
    }
}

extension QueryValue {
    static func bool(_ text: String?, name: String) throws -> Bool? {
        switch text {
        case nil: return nil
        case "true"?: return true
        case "false"?: return false
        case let other?: throw APIError(.badRequest, "\"\(other)\" must be true or false", field: name)
        }
    }
}
