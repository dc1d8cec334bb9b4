/// Where links hand what they decode. Implemented by the store's writer; links see only this.
public protocol RecordSink: Sendable {
    /// Hands records over without waiting; returns a ticket to wait on with `waitUntilCommitted`.
    @discardableResult
    func submit(_ records: [StoreRecord]) -> UInt64
    /// Returns when every record submitted up to `ticket` is committed (or throws the write error).
    func waitUntilCommitted(_ ticket: UInt64) async throws
}

// The read ports are in Ports/StorePorts.swift.
