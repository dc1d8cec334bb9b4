import Logging
import ServiceLifecycle
import Synchronization
import TianyanModel

/// The live feed's fan-out. Producers hand it every record they store (through `RecordTee`);
/// `publish` only appends to an inbox and never waits. The feed's own task turns each record
/// into one encoded `LiveEvent` and offers it to every connected client, each of which keeps a
/// bounded queue: a client whose queue overflows is dropped with a reason, and nothing else
/// notices.
public final class LiveFeed: Service, Sendable {
    public struct Configuration: Sendable {
        /// Events one client may have waiting before it is dropped as too slow.
        public var clientQueueLimit: Int
        /// Bytes of events one client may have waiting before it is dropped as too slow.
        public var clientByteLimit: Int
        /// Records waiting for the feed's task; beyond this the feed skips records (the store
        /// still gets them) rather than grow without bound.
        public var inboxLimit: Int
        /// Shortest time between two fan-out rounds. What arrives meanwhile goes out together in
        /// the next round, so that many small submits do not wake every client for each one.
        public var roundInterval: Duration

        public init(clientQueueLimit: Int = 1000, clientByteLimit: Int = 4 << 20, inboxLimit: Int = 200_000,
                    roundInterval: Duration = .milliseconds(20)) {
            self.clientQueueLimit = clientQueueLimit
            self.clientByteLimit = clientByteLimit
            self.inboxLimit = inboxLimit
            self.roundInterval = roundInterval
        }
    }

    public struct Statistics: Sendable, Hashable {
        public var clients: Int
        public var connects: UInt64
        /// Events made from records (once each, whatever the number of clients).
        public var eventsPublished: UInt64
        /// Messages written to clients.
        public var eventsSent: UInt64
        public var clientsDroppedSlow: UInt64
        /// Records the feed skipped because its own task fell behind.
        public var recordsSkipped: UInt64
    }

    private struct State {
        var inbox: [[StoreRecord]] = []
        var inboxCount = 0
        var clients: [Int: Client] = [:]
        var nextID = 0
        var stopped = false
        var connects: UInt64 = 0
        var published: UInt64 = 0
        var dropped: UInt64 = 0
        var skipped: UInt64 = 0
    }

    public let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())
    private let doorbell: AsyncStream<Void>
    private let bell: AsyncStream<Void>.Continuation
    private let counters = Counters()

    public init(configuration: Configuration = .init(), logger: Logger = Logger(label: "tianyan.live")) {
        self.configuration = configuration
        self.logger = logger
        (doorbell, bell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public var statistics: Statistics {
        let sent = counters.sent.load(ordering: .relaxed)
        return state.withLock { s in
            Statistics(clients: s.clients.count, connects: s.connects, eventsPublished: s.published, eventsSent: sent,
                       clientsDroppedSlow: s.dropped, recordsSkipped: s.skipped)
        }
    }

    /// Hands records to the feed. Never waits: with no client connected it does nothing.
    public func publish(_ records: [StoreRecord]) {
        guard !records.isEmpty else { return }
        let ring = state.withLock { s -> Bool in
            guard !s.stopped, !s.clients.isEmpty else { return false }
            guard s.inboxCount + records.count <= configuration.inboxLimit else {
                s.skipped += UInt64(records.count)
                return false
            }
            s.inbox.append(records)
            s.inboxCount += records.count
            return true
        }
        if ring { bell.yield() }
    }

    /// A new client, subscribed to nothing until it says what it shows.
    public func connect() -> Client {
        let client = state.withLock { s -> Client in
            s.nextID += 1
            s.connects += 1
            let c = Client(id: s.nextID, queueLimit: configuration.clientQueueLimit, byteLimit: configuration.clientByteLimit,
                           counters: counters)
            if s.stopped { c.drop(reason: "the controller is shutting down") } else { s.clients[c.id] = c }
            return c
        }
        return client
    }

    /// Forgets a client that went away.
    public func disconnect(_ client: Client) {
        client.end()
        _ = state.withLock { $0.clients.removeValue(forKey: client.id) }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            let clock = ContinuousClock()
            var last = clock.now - configuration.roundInterval
            for await _ in doorbell {
                // At most one round per interval: what comes meanwhile waits in the inbox.
                if clock.now < last + configuration.roundInterval { try? await clock.sleep(until: last + configuration.roundInterval) }
                last = clock.now
                fanOut()
            }
        } onGracefulShutdown: {
            self.bell.finish()
        }
        let clients = state.withLock { s -> [Client] in
            s.stopped = true
            s.inbox = []
            defer { s.clients = [:] }
            return Array(s.clients.values)
        }
        for c in clients { c.drop(reason: "the controller is shutting down") }
    }

    private func fanOut() {
        let (batches, clients) = state.withLock { s -> ([[StoreRecord]], [Client]) in
            defer {
                s.inbox = []
                s.inboxCount = 0
            }
            return (s.inbox, Array(s.clients.values))
        }
        var events: [LiveEvent] = []
        for batch in batches {
            for record in batch { if let e = LiveEvent(record) { events.append(e) } }
        }
        guard !events.isEmpty else { return }
        // Encoded once; every client that wants all of it shares it.
        let round = LiveBatch(events)
        var dropped: [Client] = []
        for c in clients where !c.offer(round) { dropped.append(c) }
        state.withLock { s in
            s.published += UInt64(events.count)
            for c in dropped where s.clients.removeValue(forKey: c.id) != nil { s.dropped += 1 }
        }
        for c in dropped {
            logger.info("live client dropped", metadata: ["live.client": "\(c.id)", "reason": "\(c.dropReason ?? "")"])
        }
    }

    final class Counters: Sendable {
        let sent = Atomic<UInt64>(0)
    }

    /// One connected client: its subscription and its bounded queue of outgoing messages.
    public final class Client: Sendable {
        /// What the connection should do next.
        public enum Outgoing: Sendable {
            /// Events to write, in order.
            case events(Pending)
            /// Close the connection with this reason; nothing more is sent.
            case close(reason: String)
        }

        private struct State {
            var subscription = LiveSubscription()
            var queue = Pending()
            var dropReason: String?
            var closeDelivered = false
            var ended = false
        }

        public let id: Int
        private let queueLimit: Int
        private let byteLimit: Int
        private let counters: Counters
        private let state = Mutex(State())
        private let doorbell: AsyncStream<Void>
        private let bell: AsyncStream<Void>.Continuation
        /// Yields the reason once when the client is dropped; finishes when it ends.
        public let drops: AsyncStream<String>
        private let dropSignal: AsyncStream<String>.Continuation

        init(id: Int, queueLimit: Int, byteLimit: Int, counters: Counters) {
            self.id = id
            self.queueLimit = queueLimit
            self.byteLimit = byteLimit
            self.counters = counters
            (doorbell, bell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
            (drops, dropSignal) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        }

        public var subscription: LiveSubscription { state.withLock { $0.subscription } }
        public var dropReason: String? { state.withLock { $0.dropReason } }

        /// Replaces the subscription and queues the acknowledgement, in one step: no event the new
        /// subscription wants can be queued ahead of the acknowledgement (a console waits for it).
        public func subscribe(_ subscription: LiveSubscription) {
            let result = state.withLock { s -> Enqueued in
                s.subscription = subscription
                return Self.enqueue(&s, LiveBatch([.subscribed(subscription)]), filter: false, queueLimit: queueLimit, byteLimit: byteLimit)
            }
            if result == .dropped { dropSignal.yield(dropReason ?? ""); dropSignal.finish() }
            bell.yield()
        }

        /// Queues a message for this client alone (acknowledgements, errors).
        public func send(_ event: LiveEvent) {
            if enqueue(LiveBatch([event]), filter: false) == .dropped { dropSignal.yield(dropReason ?? ""); dropSignal.finish() }
            bell.yield()
        }

        /// Queues the events of `round` the subscription wants; false when that overflowed the
        /// queue and the client is now dropped.
        func offer(_ round: LiveBatch) -> Bool {
            switch enqueue(round, filter: true) {
            case .nothing: return true
            case .queued:
                bell.yield()
                return true
            case .dropped:
                bell.yield()
                dropSignal.yield(dropReason ?? "")
                dropSignal.finish()
                return false
            }
        }

        private enum Enqueued { case nothing, queued, dropped }

        private func enqueue(_ round: LiveBatch, filter: Bool) -> Enqueued {
            state.withLock { s in Self.enqueue(&s, round, filter: filter, queueLimit: queueLimit, byteLimit: byteLimit) }
        }

        private static func enqueue(_ s: inout State, _ round: LiveBatch, filter: Bool, queueLimit: Int, byteLimit: Int) -> Enqueued {
            guard s.dropReason == nil, !s.ended else { return .nothing }
            // The usual case: the client wants the whole round and shares it.
            let piece: Pending.Piece
            if !filter || s.subscription.wantsAll(of: round) {
                piece = .batch(round)
            } else {
                let subscription = s.subscription
                let wanted = round.events.filter { subscription.wants($0) }
                guard !wanted.isEmpty else { return .nothing }
                piece = wanted.count == round.count ? .batch(round) : .events(wanted, bytes: wanted.reduce(0) { $0 + $1.text.utf8.count })
            }
            if s.queue.count + piece.count > queueLimit || s.queue.bytes + piece.bytes > byteLimit {
                // Reported as if the events had been queued one by one until one did not fit.
                var count = s.queue.count, bytes = s.queue.bytes
                for e in piece.events {
                    let size = e.text.utf8.count
                    if count >= queueLimit || bytes + size > byteLimit { break }
                    count += 1
                    bytes += size
                }
                s.dropReason = "too slow: \(count) events (\(bytes / 1024) KiB) queued"
                s.queue = Pending()
                return .dropped
            }
            s.queue.append(piece)
            return .queued
        }

        /// Drops the client with `reason` (the connection closes with it).
        public func drop(reason: String) {
            let first = state.withLock { s -> Bool in
                guard s.dropReason == nil, !s.ended else { return false }
                s.dropReason = reason
                s.queue = Pending()
                return true
            }
            guard first else { return }
            bell.yield()
            dropSignal.yield(reason)
            dropSignal.finish()
        }

        /// Counts messages the connection wrote.
        public func didSend(_ count: Int) { counters.sent.add(UInt64(count), ordering: .relaxed) }

        func end() {
            state.withLock { s in
                s.ended = true
                s.queue = Pending()
            }
            bell.finish()
            dropSignal.finish()
        }

        private func take() -> Outgoing? {
            state.withLock { s -> Outgoing? in
                if let reason = s.dropReason {
                    guard !s.closeDelivered else { return nil }
                    s.closeDelivered = true
                    return .close(reason: reason)
                }
                guard s.queue.count > 0 else { return nil }
                defer { s.queue = Pending() }
                return .events(s.queue)
            }
        }

        /// What to write, in order; ends after a close or when the client ends. One reader only.
        public var outgoing: OutgoingSequence { OutgoingSequence(client: self) }

        public struct OutgoingSequence: AsyncSequence, Sendable {
            let client: Client

            public func makeAsyncIterator() -> Iterator { Iterator(client: client, bell: client.doorbell.makeAsyncIterator()) }

            public struct Iterator: AsyncIteratorProtocol {
                let client: Client
                var bell: AsyncStream<Void>.Iterator
                var finished = false

                public mutating func next() async -> Outgoing? {
                    while !finished {
                        if let item = client.take() {
                            if case .close = item { finished = true }
                            return item
                        }
                        if await bell.next() == nil {
                            finished = true
                            return client.take()
                        }
                    }
                    return nil
                }
            }
        }
    }

    /// What a client has waiting: whole rounds it shares with other clients, and events picked
    /// for it alone, in order.
    public struct Pending: Sendable {
        public enum Piece: Sendable {
            /// A whole round, shared.
            case batch(LiveBatch)
            /// Some events of a round (the subscription's filter), with their size.
            case events([LiveEvent], bytes: Int)

            public var count: Int {
                switch self {
                case .batch(let b): b.count
                case .events(let e, _): e.count
                }
            }

            public var bytes: Int {
                switch self {
                case .batch(let b): b.bytes
                case .events(_, let n): n
                }
            }

            public var events: [LiveEvent] {
                switch self {
                case .batch(let b): b.events
                case .events(let e, _): e
                }
            }
        }

        public private(set) var pieces: [Piece] = []
        /// Events in all pieces.
        public private(set) var count = 0
        /// Bytes of their text.
        public private(set) var bytes = 0

        mutating func append(_ piece: Piece) {
            pieces.append(piece)
            count += piece.count
            bytes += piece.bytes
        }

        /// Every event, in order.
        public var events: [LiveEvent] { pieces.flatMap(\.events) }
    }
}

/// The events of one fan-out round, encoded once and shared by every client that gets all of
/// them. The transport may keep its own wire form of the round here, made once (`shared`).
public final class LiveBatch: Sendable {
    public let events: [LiveEvent]
    public let count: Int
    /// Bytes of the events' text.
    public let bytes: Int
    /// The topics of the events (nil for messages to one client).
    let topics: Set<LiveSubscription.Topic?>
    /// Whether any event is about particular units or places (then filters must look).
    let located: Bool
    private let memo = Mutex<[ObjectIdentifier: any Sendable]>([:])

    init(_ events: [LiveEvent]) {
        self.events = events
        count = events.count
        bytes = events.reduce(0) { $0 + $1.text.utf8.count }
        topics = Set(events.map(\.topic))
        located = events.contains { !$0.units.isEmpty || $0.coordinate != nil }
    }

    /// `make()`'s value, made by the first caller and then shared by all (one per type).
    public func shared<T: Sendable>(_ make: () -> T) -> T {
        memo.withLock { m in
            if let v = m[ObjectIdentifier(T.self)] as? T { return v }
            let v = make()
            m[ObjectIdentifier(T.self)] = v
            return v
        }
    }
}

extension LiveSubscription {
    /// True when the subscription wants every event of `round` (checked without looking at each).
    func wantsAll(of round: LiveBatch) -> Bool {
        for t in round.topics {
            guard let t, topics.contains(t) else { return false }
        }
        return (box == nil && units == nil) || !round.located
    }
}
