import Foundation
import TianyanModel

/// What a live-feed client shows: the kinds of event it wants and, optionally, a map window and
/// a set of units. Parsed from the client's subscribe message; pure.
public struct LiveSubscription: Hashable, Sendable {
    public enum Topic: String, CaseIterable, Sendable {
        case positions, units, calls, alarms, pages, sorties, tasks
        case flightTasks = "flight_tasks"
        case radioMessages = "radio_messages"
    }

    /// A map window in degrees. `west > east` means the window crosses the antimeridian.
    public struct Box: Hashable, Sendable {
        public var south, west, north, east: Double

        public init(south: Double, west: Double, north: Double, east: Double) {
            self.south = south
            self.west = west
            self.north = north
            self.east = east
        }

        public func contains(latitude: Double, longitude: Double) -> Bool {
            guard latitude >= south, latitude <= north else { return false }
            return west <= east ? (longitude >= west && longitude <= east) : (longitude >= west || longitude <= east)
        }
    }

    /// A subscribe message that cannot be used, with the field that was wrong.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public var field: String?
        public var message: String
        public var description: String { field.map { "\($0): \(message)" } ?? message }

        public init(field: String?, message: String) {
            self.field = field
            self.message = message
        }
    }

    public var topics: Set<Topic>
    /// Positions outside the window are not sent (other events carry no position and pass).
    public var box: Box?
    /// Events about other units are not sent; events about no unit in particular pass.
    public var units: Set<String>?
    /// Several waiting events may go out as one `{"type": "batch", "data": [events]}` message.
    public var batch: Bool

    public init(topics: Set<Topic> = [], box: Box? = nil, units: Set<String>? = nil, batch: Bool = false) {
        self.topics = topics
        self.box = box
        self.units = units
        self.batch = batch
    }

    /// `{"subscribe": ["positions", …], "bbox": [south, west, north, east]?, "units": ["id", …]?, "batch": true?}`
    public init(parsing text: String) throws(Problem) {
        guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)), let object = value as? [String: Any] else {
            throw Problem(field: nil, message: #"send a JSON object such as {"subscribe": ["positions", "alarms"]}"#)
        }
        let known = Set(["subscribe", "bbox", "units", "batch"])
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw Problem(field: unknown, message: "unknown field; a subscribe message has subscribe, bbox, units and batch")
        }
        let names = Topic.allCases.map(\.rawValue).joined(separator: ", ")
        guard let list = object["subscribe"] as? [Any] else {
            throw Problem(field: "subscribe", message: "missing or not a list; give a list of \(names)")
        }
        var topics = Set<Topic>()
        for item in list {
            guard let name = item as? String, let topic = Topic(rawValue: name) else {
                throw Problem(field: "subscribe", message: "\"\(item)\" is not a topic; one of \(names)")
            }
            topics.insert(topic)
        }
        var box: Box?
        if let raw = object["bbox"], !(raw is NSNull) {
            let numbers = (raw as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue }
            guard let n = numbers, n.count == 4, (raw as? [Any])?.count == 4 else {
                throw Problem(field: "bbox", message: "must be four numbers [south, west, north, east] in degrees")
            }
            guard (-90...90).contains(n[0]), (-90...90).contains(n[2]), (-180...180).contains(n[1]), (-180...180).contains(n[3]) else {
                throw Problem(field: "bbox", message: "latitudes must lie in -90…90 and longitudes in -180…180")
            }
            guard n[0] <= n[2] else { throw Problem(field: "bbox", message: "south (\(n[0])) must not be north of north (\(n[2]))") }
            box = Box(south: n[0], west: n[1], north: n[2], east: n[3])
        }
        var units: Set<String>?
        if let raw = object["units"], !(raw is NSNull) {
            guard let list = raw as? [Any], list.allSatisfy({ $0 is String }) else {
                throw Problem(field: "units", message: "must be a list of unit ids (strings)")
            }
            units = Set(list.compactMap { $0 as? String })
        }
        var batch = false
        if let raw = object["batch"], !(raw is NSNull) {
            guard let flag = raw as? Bool else {
                throw Problem(field: "batch", message: "must be true or false")
            }
            batch = flag
        }
        self.init(topics: topics, box: box, units: units, batch: batch)
    }

    /// Whether a client with this subscription gets `event`.
    public func wants(_ event: LiveEvent) -> Bool {
        guard let topic = event.topic, topics.contains(topic) else { return false }
        if let box, let at = event.coordinate, !box.contains(latitude: at.latitude, longitude: at.longitude) { return false }
        if let units, !event.units.isEmpty, !event.units.contains(where: units.contains) { return false }
        return true
    }

    /// The subscription as the acknowledgement shows it.
    var json: [String: Any] {
        [
            "subscribe": topics.map(\.rawValue).sorted(),
            "bbox": box.map { [$0.south, $0.west, $0.north, $0.east] as Any } ?? NSNull(),
            "units": units.map { $0.sorted() as Any } ?? NSNull(),
            "batch": batch,
        ]
    }
}
