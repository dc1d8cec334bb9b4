import Foundation
import TianyanModel

/// Where a message came from, read off its topic: `thing/product/{sn}/osd` and friends.
public struct DockTopic: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case osd, state, services, servicesReply = "services_reply", events, eventsReply = "events_reply"
        case requests, requestsReply = "requests_reply", status, statusReply = "status_reply"
    }
    public var serial: String
    public var kind: Kind

    /// Parses a topic against the DJI layout (`thing/product/{sn}/<kind>`, `sys/product/{sn}/status`).
    /// The serial must be letters and digits (the DJI demo's pattern); anything else is nil.
    public init?(_ topic: String) {
        // Byte-wise: this runs for every message.
        var parts: [Substring.UTF8View] = []
        parts.reserveCapacity(4)
        var utf8 = Substring(topic).utf8
        while let slash = utf8.firstIndex(of: UInt8(ascii: "/")) {
            parts.append(utf8[utf8.startIndex..<slash])
            guard parts.count < 4 else { return nil }
            utf8 = utf8[utf8.index(after: slash)...]
        }
        parts.append(utf8)
        guard parts.count == 4, parts[1].elementsEqual("product".utf8),
              let kind = Kind(rawValue: String(Substring(parts[3]))) else { return nil }
        let sys = parts[0].elementsEqual("sys".utf8), thing = parts[0].elementsEqual("thing".utf8)
        switch kind {
        case .status, .statusReply: guard sys else { return nil }
        default: guard thing else { return nil }
        }
        let sn = String(Substring(parts[2]))
        guard Self.isSerial(sn) else { return nil }
        serial = sn
        self.kind = kind
    }

    /// A DJI serial number: 1-64 ASCII letters and digits.
    public static func isSerial(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64
            && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }
    }

    /// Filters the controller subscribes to: everything devices send.
    public static func subscriptions(for profiles: [DockProfile]) -> [String] {
        var out: [String] = []
        for p in profiles {
            for t in [p.topics.osd, p.topics.state, p.topics.servicesReply, p.topics.events, p.topics.requests, p.topics.status] {
                let filter = DockProfile.topic(t, serial: "+")
                if !out.contains(filter) { out.append(filter) }
            }
        }
        return out
    }
}

/// The common envelope: tid, bid, timestamp, gateway, method, need_reply, data.
struct Envelope<Payload: Decodable>: Decodable {
    var tid: String?
    var bid: String?
    var timestamp: Int64?
    var gateway: String?
    var method: String?
    var needReply: Int?
    var data: Payload?

    enum CodingKeys: String, CodingKey {
        case tid, bid, timestamp, gateway, method, data
        case needReply = "need_reply"
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tid = try? c.decodeIfPresent(String.self, forKey: .tid)
        bid = try? c.decodeIfPresent(String.self, forKey: .bid)
        // Timestamps arrive as integers; tolerate a float or a numeric string.
        if let t = try? c.decodeIfPresent(Int64.self, forKey: .timestamp) {
            timestamp = t
        } else if let t = try? c.decodeIfPresent(Double.self, forKey: .timestamp) {
            timestamp = t.isFinite ? Int64(exactly: t.rounded()) : nil
        } else if let s = try? c.decodeIfPresent(String.self, forKey: .timestamp) {
            timestamp = Int64(s)
        }
        gateway = try? c.decodeIfPresent(String.self, forKey: .gateway)
        method = try? c.decodeIfPresent(String.self, forKey: .method)
        needReply = (try? c.decodeIfPresent(Int.self, forKey: .needReply)) ?? nil
        // `data` is where the content is: a type error there is the message's error.
        data = try c.decodeIfPresent(Payload.self, forKey: .data)
    }
}

/// A message the controller sends to a device: services, and the replies to events, requests
/// and status. Encoded with sorted keys so a test can compare bytes.
public struct OutgoingMessage: Sendable, Hashable {
    public var topic: String
    public var payload: [UInt8]

    public init(topic: String, payload: [UInt8]) {
        self.topic = topic
        self.payload = payload
    }

    static func make(topic: String, tid: String, bid: String, method: String, timestamp: Timestamp, data: JSONValue, gateway: String? = nil) -> OutgoingMessage {
        var body: [String: JSONValue] = [
            "tid": .string(tid), "bid": .string(bid), "method": .string(method),
            "timestamp": .number(Double(timestamp.milliseconds)), "data": data,
        ]
        if let gateway { body["gateway"] = .string(gateway) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let bytes = (try? encoder.encode(JSONValue.object(body))) ?? Data("{}".utf8)
        return OutgoingMessage(topic: topic, payload: Array(bytes))
    }

    /// `{"result": code}` plus `output` when given.
    static func resultData(_ code: Int, output: JSONValue? = nil) -> JSONValue {
        var d: [String: JSONValue] = ["result": .number(Double(code))]
        if let output { d["output"] = output }
        return .object(d)
    }
}
