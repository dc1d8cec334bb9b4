import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
import TianyanModel
import TianyanDispatch

/// Sorties, coverage and the route files the docks fetch.
enum SortieRoutes {
    typealias On = (HTTPRequest.Method, String, @escaping @Sendable (Request, APIRequestContext) async throws -> Response) -> Void

    static func add(_ on: On, parts: DispatchServices, sessions: Sessions) {
        let store = parts.store
        let service = parts.sorties

        @Sendable func scheduler() throws -> SortieService {
            guard let service else { throw APIError(.serviceUnavailable, "the scheduler service is not running") }
            return service
        }

        on(.get, "api/v1/sorties") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            let q = request.uri.queryParameters
            let limit = try QueryValue.int(q["limit"].map(String.init), name: "limit", default: 500, range: 1...10_000)
            let from = try QueryValue.time(q["from"].map(String.init), name: "from")
            let to = try QueryValue.time(q["to"].map(String.init), name: "to")
            var states: Set<SortieState>?
            if let text = q["state"].map(String.init) {
                var set = Set<SortieState>()
                for part in text.split(separator: ",") {
                    guard let s = SortieState(rawValue: String(part)) else {
                        throw APIError(.badRequest, "\"\(part)\" is not a sortie state; one of \(SortieState.allCases.map(\.rawValue).joined(separator: ", "))", field: "state")
                    }
                    set.insert(s)
                }
                states = set
            }
            let list = try await store.sorties(from: from, to: to, states: states, drone: q["drone"].map(String.init), limit: limit)
            return PageJSON.response(.ok, ["sorties": list.map { SortieJSON.sortie($0, route: false) }])
        }

        on(.get, "api/v1/sorties/:id") { request, context -> Response in
            _ = try sessions.authorize(request, role: nil)
            let id = try context.parameters.require("id")
            guard let s = try await store.sortie(id: id) else { throw APIError(.notFound, "no sortie \(id)") }
            return PageJSON.response(.ok, SortieJSON.sortie(s, route: true))
        }

        on(.post, "api/v1/sorties") { request, _ -> Response in
            let user = try sessions.authorize(request, role: .lead)
            let body = try await JSONBody.read(request)
            guard let cells = body.object["cells"] as? [String] else {
                throw APIError(.badRequest, "must be a list of cell ids", field: "cells")
            }
            let drone = try body.optionalString("drone")
            let list = try await mapFailure { try await scheduler().addUrgent(cells: cells, drone: drone, by: user.name) }
            return PageJSON.response(.created, ["sorties": list.map { SortieJSON.sortie($0, route: false) }])
        }

        for action in ["pause", "resume", "cancel"] {
            on(.post, "api/v1/sorties/:id/\(action)") { request, context -> Response in
                let user = try sessions.authorize(request, role: .lead)
                let id = try context.parameters.require("id")
                let note = try await JSONBody.readIfAny(request)?.optionalString("note")
                let s = try await mapFailure {
                    let service = try scheduler()
                    switch action {
                    case "pause": return try await service.pause(id, by: user.name)
                    case "resume": return try await service.resume(id, by: user.name)
                    default: return try await service.cancel(id, by: user.name, note: note)
                    }
                }
                return PageJSON.response(.ok, SortieJSON.sortie(s, route: false))
            }
        }

        let planning = OneAtATime()
        on(.post, "api/v1/plan") { request, _ -> Response in
            let user = try sessions.authorize(request, role: .lead)
            let note = try await JSONBody.readIfAny(request)?.optionalString("note")
            // One re-plan at a time: a second while one runs is refused, not queued.
            guard planning.begin() else {
                throw APIError(.conflict, "a re-plan is running; ask again when it has finished (its outcome is in GET /api/v1/sorties)")
            }
            defer { planning.end() }
            let outcome = try await mapFailure { try await scheduler().plan(reason: note.map { "re-plan by \(user.name): \($0)" } ?? "re-plan by \(user.name)", by: user.name) }
            return PageJSON.response(.ok, [
                "added": outcome.added, "replaced": outcome.replaced, "kept": outcome.kept, "overdue_cells": outcome.overdueCells,
                "seconds": outcome.seconds, "summary": outcome.summary,
            ])
        }

        on(.get, "api/v1/coverage") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            let now = Timestamp.now()
            var cells = try await CoverageReport.cells(store: store, now: now)
            if let status = request.uri.queryParameters["status"].map(String.init) {
                guard ["covered", "overdue", "never"].contains(status) else {
                    throw APIError(.badRequest, "\"\(status)\" must be covered, overdue or never", field: "status")
                }
                cells = cells.filter { $0.status == status }
            }
            let threshold = service?.settings.coverageThreshold ?? 0.95
            let summary = CoverageReport.summary(cells, now: now, threshold: threshold)
            return try SortieJSON.encoded(.ok, CoverageBody(summary: summary, cells: cells))
        }

        // Route files for the docks: no session (a dock has none); the name is the file's MD5,
        // told only to the dock in its flighttask_prepare. Anything else is 404.
        on(.get, "files/routes/:name") { _, context -> Response in
            let name = try context.parameters.require("name")
            guard let bytes = parts.docks.routeFile(named: name) else { throw APIError(.notFound, "no route file \(name.prefix(64))") }
            return Response(status: .ok, headers: [.contentType: "application/vnd.google-earth.kmz", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// A flag that one request at a time may hold.
    final class OneAtATime: Sendable {
        private let busy = Mutex(false)
        func begin() -> Bool { busy.withLock { b in b ? false : { b = true; return true }() } }
        func end() { busy.withLock { $0 = false } }
    }

    struct CoverageBody: Encodable {
        var summary: CoverageReport.Summary
        var cells: [CoverageReport.Cell]
    }

    private static func mapFailure<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let f as DispatchError {
            throw APIError(f)
        }
    }
}

enum SortieJSON {
    static func sortie(_ s: SortieRecord, route: Bool) -> [String: Any] { RecordJSON.sortie(s, route: route) }

    static func encoded(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
