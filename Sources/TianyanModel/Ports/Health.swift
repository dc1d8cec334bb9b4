/// What a component (the store, the broker, a gateway) says about itself for `/healthz`:
/// the problems it has (empty when healthy) and the fields it reports.
public struct ComponentHealth: Hashable, Sendable {
    /// A health field: any JSON value (the broker's journal is an object of its own).
    public typealias Value = JSONValue

    /// Short names of what is wrong (`database`, `database writes`, `broker`), as `/healthz` lists them.
    public var problems: [String]
    public var fields: [String: Value]

    public init(problems: [String] = [], fields: [String: Value] = [:]) {
        self.problems = problems
        self.fields = fields
    }

    public var isHealthy: Bool { problems.isEmpty }
}

/// One Prometheus sample a component exposes for `/metrics`.
public struct Metric: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case counter, gauge
    }

    public var name: String
    public var help: String
    public var kind: Kind
    public var labels: [String: String]
    public var value: Double

    public init(name: String, help: String, kind: Kind, labels: [String: String] = [:], value: Double) {
        self.name = name
        self.help = help
        self.kind = kind
        self.labels = labels
        self.value = value
    }
}

extension Metric {
    /// A gauge sample.
    public static func gauge(_ name: String, _ help: String, labels: [String: String], _ value: Double) -> Metric {
        Metric(name: name, help: help, kind: .gauge, labels: labels, value: value)
    }

    /// A counter sample.
    public static func counter(_ name: String, _ help: String, labels: [String: String], _ value: UInt64) -> Metric {
        Metric(name: name, help: help, kind: .counter, labels: labels, value: Double(value))
    }
}

/// Says whether a log line of a kind may be written now: at most once per `interval` per key,
/// so a flood of bad input is counted in full but logged once in a while.
public struct LogThrottle: Sendable {
    private var last: [String: ContinuousClock.Instant] = [:]
    public let interval: Duration

    public init(interval: Duration = .seconds(10)) { self.interval = interval }

    public mutating func allows(_ key: String, now: ContinuousClock.Instant = .now) -> Bool {
        if let l = last[key], now - l < interval { return false }
        last[key] = now
        return true
    }
}
