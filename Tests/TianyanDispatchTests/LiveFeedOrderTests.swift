import Foundation
import Testing
import TianyanModel
@testable import TianyanDispatch

/// The live feed's acknowledgement comes before any event of the subscription it acknowledges,
/// however busy the feed is (a console waits for it: once it came inside a batch behind 646
/// events and the console never saw itself connected).
@Suite struct LiveFeedOrderTests {
    @Test func theAcknowledgementPrecedesTheEventsItSubscribesTo() async throws {
        let feed = LiveFeed(configuration: .init(clientQueueLimit: 100_000, clientByteLimit: 1 << 30, roundInterval: .milliseconds(1)))
        let loop = Task { try await feed.run() }
        defer { loop.cancel() }
        let publisher = Task.detached {
            var i: Int64 = 0
            while !Task.isCancelled {
                i += 1
                feed.publish([.position(Position(unit: "R\(i % 50)", time: Timestamp(milliseconds: 1_796_000_000_000 + i), latitude: 22.8,
                                                 longitude: 113.8, altitude: nil, speed: nil, heading: nil, accuracy: nil, source: .lip))])
                await Task.yield()
            }
        }
        defer { publisher.cancel() }
        for _ in 0..<200 {
            let client = feed.connect()
            client.subscribe(LiveSubscription(topics: [.positions], batch: true))
            var iterator = client.outgoing.makeAsyncIterator()
            guard case .events(let pending)? = await iterator.next() else {
                Issue.record("the client got no events")
                feed.disconnect(client)
                return
            }
            #expect(pending.events.first?.type == "subscribed", "first: \(pending.events.first?.type ?? "none")")
            feed.disconnect(client)
        }
    }
}
