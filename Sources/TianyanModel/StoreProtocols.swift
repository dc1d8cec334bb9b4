/// Where links hand what they decode. Implemented by the store's writer; links see only this.
public protocol RecordSink: Sendable {
    /// Hands records over without waiting; returns a ticket to wait on with `waitUntilCommitted`.
    @discardableResult
    func submit(_ records: [StoreRecord]) -> UInt64
    /// Returns when every record submitted up to `ticket` is committed (or throws the write error).
    func waitUntilCommitted(_ ticket: UInt64) async throws
}

/// Read side of the store used by the CLI, the server and the planner.
public protocol FleetQueries: Sendable {
    func registry() async throws -> FleetRegistry
    func units() async throws -> [UnitSummary]
    func track(unit: String, from: Timestamp, to: Timestamp, limit: Int?) async throws -> [Position]
    func voiceLog(talkgroup: String?, since: Timestamp?, limit: Int, until: Timestamp?, offset: Int) async throws -> [VoiceCall]
}

/// Replacing the registry happens in one transaction: all of it or none of it.
public protocol FleetRegistryStore: Sendable {
    func replaceRegistry(_ registry: FleetRegistry) async throws
}
