import Foundation
import HTTPTypes
import Hummingbird
import TianyanModel
import TianyanDispatch

/// The voice-channel log and the status and text messages radios sent.
enum RadioLogRoutes {
    static let maxCalls = 1000
    static let maxMessages = 10_000

    static func add(_ on: SortieRoutes.On, parts: DispatchServices, sessions: Sessions) {
        let store = parts.store

        on(.get, "api/v1/voice-log") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            let w = try ListWindow(request, defaultLimit: 100, maxLimit: maxCalls)
            let talkgroup = request.uri.queryParameters["talkgroup"].map(String.init)
            let calls = try await store.voiceLog(talkgroup: talkgroup, since: w.since, limit: w.limit, until: w.until, offset: w.offset)
            return PageJSON.response(.ok, w.envelope("calls", calls.map(RecordJSON.call)))
        }

        on(.get, "api/v1/radio-messages") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            let w = try ListWindow(request, defaultLimit: 100, maxLimit: maxMessages)
            let unit = request.uri.queryParameters["unit"].map(String.init)
            let messages = try await store.radioMessages(unit: unit, since: w.since, limit: w.limit, until: w.until, offset: w.offset)
            return PageJSON.response(.ok, w.envelope("messages", messages.map(message)))
        }
    }

    static func message(_ m: RadioMessage) -> [String: Any] {
        [
            "gateway": m.gateway, "unit": m.unit, "time": m.time.iso8601, "kind": m.kind.rawValue, "status": m.status ?? NSNull(),
            "meaning": m.meaning ?? NSNull(), "text": m.text ?? NSNull(), "called": m.called ?? NSNull(),
        ]
    }
}
