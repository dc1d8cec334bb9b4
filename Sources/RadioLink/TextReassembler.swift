import TianyanModel

/// Holds the parts of concatenated texts (PI 0x8A with a concatenation element in the user data
/// header) until all have arrived, in any order, duplicates ignored.
///
/// Sets are keyed by sender and concatenation reference and bounded in number and in bytes held;
/// the oldest set goes first when a bound is hit, and a set with no new part for `timeout`
/// seconds is given up. A set given up comes back as `.dropped` with what arrived, so the caller
/// can show it as undecodable with the reason.
public struct TextReassembler: Sendable {
    public struct Configuration: Sendable {
        public var timeout: Double
        public var maximumMessages: Int
        public var maximumBytes: Int

        public init(timeout: Double = 120, maximumMessages: Int = 32, maximumBytes: Int = 65_536) {
            self.timeout = timeout
            self.maximumMessages = maximumMessages
            self.maximumBytes = maximumBytes
        }
    }

    public enum Outcome: Hashable, Sendable {
        /// All parts arrived: one text, `parts` set to their number.
        case complete(from: String, to: String?, message: TextMessage)
        /// Given up: the parts that arrived (in sequence order), the last part's indication, why.
        case dropped(from: String, parts: [TextMessage], raw: SDSIndication, reason: String)
    }

    private struct Key: Hashable, Sendable {
        var sender: String
        var reference: UInt16
    }

    private struct Pending: Sendable {
        var total: Int
        var to: String?
        var parts: [Int: TextMessage] = [:]
        var raw: SDSIndication
        var firstAt: Timestamp
        var lastAt: Timestamp
        var bytes = 0
        var order: Int
    }

    public let configuration: Configuration
    private var pending: [Key: Pending] = [:]
    private var nextOrder = 0

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Sets waiting for parts.
    public var pendingMessages: Int { pending.count }
    /// Text bytes held.
    public var pendingBytes: Int { pending.values.reduce(0) { $0 + $1.bytes } }

    /// Takes one part. Returns the finished text when this was the last part missing, and any
    /// set given up to make room or because the sender reused the reference with another total.
    public mutating func add(_ message: TextMessage, part: Concatenation, from sender: String, to: String?,
                             raw: SDSIndication, at time: Timestamp) -> [Outcome] {
        var outcomes: [Outcome] = []
        let key = Key(sender: sender, reference: part.reference)
        if let existing = pending[key], existing.total != part.total {
            outcomes += drop(key, reason: "the sender started another concatenated message with reference \(part.reference) (\(part.total) parts instead of \(existing.total))")
        }
        if pending[key] == nil {
            while pending.count >= max(1, configuration.maximumMessages), let oldest = oldestKey() {
                outcomes += drop(oldest, reason: "more than \(configuration.maximumMessages) concatenated messages were incomplete at once")
            }
            pending[key] = Pending(total: part.total, to: to, raw: raw, firstAt: time, lastAt: time, order: nextOrder)
            nextOrder += 1
        }
        guard var set = pending[key] else { return outcomes }
        if set.parts[part.sequence] == nil {
            set.parts[part.sequence] = message
            set.bytes += message.textBytes.count
        }
        set.raw = raw
        set.lastAt = time
        pending[key] = set
        if set.parts.count == set.total {
            pending[key] = nil
            outcomes.append(.complete(from: sender, to: set.to, message: Self.join(set.parts.sorted { $0.key < $1.key }.map(\.value))))
            return outcomes
        }
        while pendingBytes > configuration.maximumBytes, let oldest = oldestKey() {
            outcomes += drop(oldest, reason: "incomplete concatenated messages held more than \(configuration.maximumBytes) bytes")
        }
        return outcomes
    }

    /// Gives up every set with no new part for `timeout` seconds.
    public mutating func expire(now: Timestamp) -> [Outcome] {
        let limit = now.adding(seconds: -configuration.timeout)
        let stale = pending.filter { $0.value.lastAt <= limit }.sorted { $0.value.order < $1.value.order }.map(\.key)
        return stale.flatMap { drop($0, reason: "no further part for \(Int(configuration.timeout)) s") }
    }

    private func oldestKey() -> Key? { pending.min { $0.value.order < $1.value.order }?.key }

    private mutating func drop(_ key: Key, reason: String) -> [Outcome] {
        guard let set = pending.removeValue(forKey: key) else { return [] }
        let have = set.parts.keys.sorted()
        let missing = (1...set.total).filter { set.parts[$0] == nil }
        let parts = have.compactMap { set.parts[$0] }
        let known = Self.join(parts).text.map { " Received text: \"\($0.count > 200 ? String($0.prefix(200)) + "…" : $0)\"" } ?? ""
        let text = "incomplete concatenated text (reference \(key.reference)): parts \(Self.list(have)) of \(set.total) arrived, "
            + "\(Self.list(missing)) missing; given up because \(reason).\(known)"
        return [.dropped(from: key.sender, parts: parts, raw: set.raw, reason: text)]
    }

    private static func list(_ numbers: [Int]) -> String {
        numbers.count > 12 ? numbers.prefix(12).map(String.init).joined(separator: ", ") + " …" : numbers.map(String.init).joined(separator: ", ")
    }

    /// One message from parts in sequence order: the bytes joined and decoded once when every
    /// part has the same 8- or 16-bit coding (a UTF-16 pair may straddle two parts), else each
    /// part's text joined (nil when one is undecodable).
    static func join(_ parts: [TextMessage]) -> TextMessage {
        guard let first = parts.first else {
            return TextMessage(protocolIdentifier: 0x8A, transfer: nil, coding: .iso8859_1, timestamp: nil, text: "", textBytes: [])
        }
        let bytes = parts.flatMap(\.textBytes)
        let sameCoding = parts.allSatisfy { $0.coding == first.coding }
        let text: String?
        if sameCoding, first.coding != .sevenBit {
            text = SDSCodec.decodeText(bytes, coding: first.coding)
        } else {
            let texts = parts.map(\.text)
            text = texts.contains(nil) ? nil : texts.compactMap { $0 }.joined()
        }
        return TextMessage(protocolIdentifier: first.protocolIdentifier, transfer: first.transfer, coding: first.coding,
                           timestamp: first.timestamp, text: text, textBytes: bytes, userDataHeader: first.userDataHeader,
                           parts: parts.count)
    }
}
