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
        // Written directly (sorted keys, slashes not escaped): JSONSerialization took ~100 µs per
        // event here, most of the live feed's CPU at city load.
        var text = ""
        text.reserveCapacity(320)
        text += #"{"data":"#
        LiveJSON.write(data, into: &text)
        text += #","type":"#
        LiveJSON.write(type, into: &text)
        text += "}"
        self.text = text
    }

    init(topic: LiveSubscription.Topic?, type: String, units: [String], coordinate: Coordinate?, text: String) {
        self.topic = topic
        self.type = type
        self.units = units
        self.coordinate = coordinate
        self.text = text
    }

    /// The event a stored record shows as, or nil for records the feed does not carry (audit,
    /// commands, maintenance, coverage).
    public init?(_ record: StoreRecord) {
        switch record {
        case .position(let p):
            // Most of the feed at city load: written straight from the record (the same fields
            // as RecordJSON.position, which a test compares).
            var t = ""
            t.reserveCapacity(288)
            t += #"{"data":{"accuracy_m":"#
            LiveJSON.number(p.accuracy, into: &t)
            t += #","alt_m":"#
            LiveJSON.number(p.altitude, into: &t)
            t += #","heading_deg":"#
            LiveJSON.number(p.heading, into: &t)
            t += #","lat":"#
            LiveJSON.number(p.latitude, into: &t)
            t += #","lon":"#
            LiveJSON.number(p.longitude, into: &t)
            t += #","source":"#
            LiveJSON.string(p.source.rawValue, into: &t)
            t += #","speed_mps":"#
            LiveJSON.number(p.speed, into: &t)
            t += #","time":"#
            LiveJSON.string(p.time.iso8601, into: &t)
            t += #","unit":"#
            LiveJSON.string(p.unit, into: &t)
            t += #"},"type":"position"}"#
            self.init(topic: .positions, type: "position", units: [p.unit], coordinate: p.coordinate, text: t)
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

/// The JSON text of the values the feed's events are made of (`RecordJSON`): strings, numbers,
/// booleans, NSNull, nil, arrays and string-keyed dictionaries (keys sorted). Anything else is
/// written as its description, quoted.
public enum LiveJSON {
    /// The JSON text of `value` (as `write`).
    public static func text(_ value: Any?) -> String {
        var out = ""
        out.reserveCapacity(4096)
        write(value, into: &out)
        return out
    }

    static func write(_ value: Any?, into out: inout String) {
        guard let value else {
            out += "null"
            return
        }
        switch value {
        case let v as String: string(v, into: &out)
        case let v as Int: out += String(v)
        case let v as Double: number(v, into: &out)
        case let v as Bool: out += v ? "true" : "false"
        case is NSNull: out += "null"
        case let v as [String: Any]:
            out += "{"
            var first = true
            for key in v.keys.sorted() {
                if !first { out += "," }
                first = false
                string(key, into: &out)
                out += ":"
                write(v[key]!, into: &out)
            }
            out += "}"
        case let v as [Any]:
            out += "["
            for (i, item) in v.enumerated() {
                if i > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case let v as Int64: out += String(v)
        case let v as Int32: out += String(v)
        case let v as UInt64: out += String(v)
        case let v as Float: number(Double(v), into: &out)
        case let v as NSNumber: number(v.doubleValue, into: &out)
        case let v as any CustomStringConvertible: string(v.description, into: &out)
        default: string("\(value)", into: &out)
        }
    }

    static func number(_ v: Double?, into out: inout String) {
        guard let v, v.isFinite else {
            out += "null"
            return
        }
        if v == v.rounded(), abs(v) < 1e15 { out += String(Int64(v)) } else { out += "\(v)" }
    }

    static func string(_ s: String, into out: inout String) {
        JSONText.appendString(s, to: &out)
    }
}
