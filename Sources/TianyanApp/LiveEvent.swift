import Foundation
import TianyanModel

/// One message of the live feed, encoded once and shared by every client that gets it:
/// `{"type": "position", "data": {…}}`. The topic, units and coordinate are what the
/// subscriptions filter on.
public struct LiveEvent: Sendable {
    /// nil for messages to one client (subscription acknowledgements and errors): never filtered.
    public var topic: LiveSubscription.Topic?
    public var type: String
    /// The units the event is about (empty: none in particular).
    public var units: [String]
    public var coordinate: Coordinate?
    /// The whole message as JSON text.
    public var text: String

    public init(topic: LiveSubscription.Topic?, type: String, units: [String] = [], coordinate: Coordinate? = nil, data: [String: Any]) {
        self.topic = topic
        self.type = type
        self.units = units
        self.coordinate = coordinate
        let object: [String: Any] = ["type": type, "data": data]
        let bytes = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        self.text = String(decoding: bytes, as: UTF8.self)
    }

    /// The event a stored record shows as, or nil for records the feed does not carry (audit,
    /// commands, maintenance, coverage).
    public init?(_ record: StoreRecord) {
        switch record {
        case .position(let p):
            self.init(topic: .positions, type: "position", units: [p.unit], coordinate: p.coordinate, data: RecordJSON.position(p))
        case .sighting(let s):
            self.init(topic: .units, type: "unit", units: [s.unit], data: RecordJSON.sighting(s))
        case .health(let h):
            self.init(topic: .units, type: "unit_health", units: [h.unit], data: RecordJSON.health(h))
        case .voiceCall(let c):
            var units = [c.caller, c.called]
            for t in c.transmissions where !units.contains(t.talker) { units.append(t.talker) }
            self.init(topic: .calls, type: "call", units: units, data: RecordJSON.call(c))
        case .alarm(let a):
            self.init(topic: .alarms, type: "alarm", units: [a.unit], data: RecordJSON.alarm(a))
        case .page(let p):
            self.init(topic: .pages, type: "page", units: [p.destination], data: RecordJSON.page(p))
        case .sortie(let s):
            self.init(topic: .sorties, type: "sortie", units: [s.drone, s.dock], data: RecordJSON.sortie(s, route: false))
        case .flightTask(let f):
            self.init(topic: .flightTasks, type: "flight_task", units: [f.dock], data: RecordJSON.flightTask(f))
        case .radioMessage(let m):
            self.init(topic: .radioMessages, type: "radio_message", units: [m.unit], data: RecordJSON.radioMessage(m))
        case .task(let t):
            self.init(topic: .tasks, type: "task", units: t.assignments.map(\.unit), data: RecordJSON.task(t))
        case .command, .audit, .maintenance, .cellCoverage:
            return nil
        }
    }

    /// `{"type": "error", "data": {"message", "field"}}`: a subscribe message that could not be used.
    public static func error(_ problem: LiveSubscription.Problem) -> LiveEvent {
        LiveEvent(topic: nil, type: "error", data: ["message": problem.message, "field": problem.field ?? NSNull()])
    }

    /// `{"type": "subscribed", "data": {"subscribe", "bbox", "units"}}`: the subscription now in force.
    public static func subscribed(_ subscription: LiveSubscription) -> LiveEvent {
        LiveEvent(topic: nil, type: "subscribed", data: subscription.json)
    }
}
