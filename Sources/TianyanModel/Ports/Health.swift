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
