import TianyanModel

/// The sink every producer writes to: the store's writer, and a copy of each batch to the live
/// feed. The writer's tickets and commits are untouched; the feed never makes `submit` wait.
public struct RecordTee: RecordSink {
    public let writer: any RecordSink
    public let feed: LiveFeed

    public init(writer: any RecordSink, feed: LiveFeed) {
        self.writer = writer
        self.feed = feed
    }

    @discardableResult
    public func submit(_ records: [StoreRecord]) -> UInt64 {
        let ticket = writer.submit(records)
        feed.publish(records)
        return ticket
    }

    public func waitUntilCommitted(_ ticket: UInt64) async throws {
        try await writer.waitUntilCommitted(ticket)
    }
}
