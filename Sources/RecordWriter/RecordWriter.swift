import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TianyanModel

/// What a store adapter gives the writer: one batch of records written in one transaction.
/// The writer calls it from one place at a time (never two batches at once), and retries a
/// batch that throws with backoff.
public protocol BatchCommitter: Sendable {
    /// Writes `batch` in one transaction, all of it or none of it. Records are idempotent
    /// upserts on their natural keys, so a batch retried after an unclear failure is stored once.
    func commit(_ batch: [StoreRecord]) async throws
    /// Where the store is (a file path, a database URL without its password), for logs.
    var location: String { get }
    /// The error a waiter gets when the writer stopped without committing its records.
    func stoppedError(_ message: String) -> any Error
}

extension BatchCommitter {
    public func stoppedError(_ message: String) -> any Error { DispatchError.unavailable(message) }
}

/// The one writer of a store (every adapter's: SQLite, PostgreSQL). Links hand it records without waiting (`submit`); it commits
/// them in batched transactions off the hot path: a batch closes when it reaches `batchSize`
/// rows or `maxDelay` after its first record, whichever comes first. On graceful shutdown it
/// commits everything it was given before returning. A failed commit keeps the batch and retries
/// with backoff, so nothing accepted is dropped while the queue stays under its bound
/// (`maxPending`). Past the bound (a disk full for longer than the bound covers) new positions
/// are refused and counted (`dropped`); every other record (calls, pages, alarms, audit) is
/// still kept. A failing store is reported once when it starts failing and once when it
/// recovers, and `statistics.failingSince` says so meanwhile (`/healthz`, metrics). A shutdown
/// while commits fail retries for `shutdownGrace`, then stops and says what was not written.
///
/// Without its run loop (a one-shot CLI command, a test fixture) the writer still stores: a
/// caller that waits (`waitUntilCommitted`, `flush`, `transact`) commits what is pending itself,
/// in batches of at most `batchSize`, one batch at a time. Once `run()` has begun only
/// the loop commits, with everything said above.
public final class RecordWriter: RecordSink, Service, Sendable {
    public struct Configuration: Sendable {
        /// Most rows in one transaction.
        public var batchSize: Int
        /// Longest a record waits for its batch to fill before the batch is committed anyway.
        public var maxDelay: Duration
        /// Most records held in memory while commits fail. Past it new positions are refused
        /// (counted in `dropped`); other records are kept. The default covers about half an
        /// hour of a stressed city (≈ 500 positions/s); tools/faults/storage measured the
        /// controller growing by 1–2 KB per message held (the record, the journal release it
        /// waits for, the MQTT copy), so about 1–2 GB at the bound.
        public var maxPending: Int
        /// On shutdown with commits failing (a full disk), how long to keep retrying before
        /// stopping without what is left (an operator's stop must not hang for good).
        public var shutdownGrace: Duration
        public init(batchSize: Int = 100_000, maxDelay: Duration = .milliseconds(20), maxPending: Int = 1_000_000,
                    shutdownGrace: Duration = .seconds(30)) {
            self.batchSize = batchSize
            self.maxDelay = maxDelay
            self.maxPending = maxPending
            self.shutdownGrace = shutdownGrace
        }
    }

    /// Counters for metrics and health.
    public struct Statistics: Sendable, Hashable {
        public var submitted: UInt64
        public var committed: UInt64
        public var transactions: UInt64
        public var failedCommits: UInt64
        public var pending: Int
        public var lastError: String?
        /// Positions refused because the queue was at `maxPending` while commits failed.
        public var dropped: UInt64
        /// When commits started failing (nil while they succeed).
        public var failingSince: Date?

        public init(submitted: UInt64 = 0, committed: UInt64 = 0, transactions: UInt64 = 0, failedCommits: UInt64 = 0, pending: Int = 0,
                    lastError: String? = nil, dropped: UInt64 = 0, failingSince: Date? = nil) {
            self.submitted = submitted
            self.committed = committed
            self.transactions = transactions
            self.failedCommits = failedCommits
            self.pending = pending
            self.lastError = lastError
            self.dropped = dropped
            self.failingSince = failingSince
        }
    }

    struct State {
        var pending: [StoreRecord] = []
        var submitted: UInt64 = 0
        var committed: UInt64 = 0
        var transactions: UInt64 = 0
        var failedCommits: UInt64 = 0
        var lastError: String?
        var dropped: UInt64 = 0
        var failingSince: Date?
        var firstPendingAt: ContinuousClock.Instant?
        /// The run loop parked, waiting for work or for its batch to fill.
        var parked: CheckedContinuation<Void, Never>?
        var wakeRequested = false
        var shuttingDown = false
        /// Stopped with records not written (shutdown grace ran out): nothing more will commit.
        var abandoned: String?
        /// Records of the batch being committed (out of `pending`, not yet committed).
        var inFlight = 0
        var commitWaiters: [(ticket: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        /// `run()` has begun: from then on only its loop commits (no inline commits).
        var started = false
        /// Records of an inline commit (no run loop) being written.
        var inlineInFlight = 0
        /// An inline commit loop is running (one at a time, so batches keep their order).
        var inlineRunning = false
    }

    private let committer: any BatchCommitter
    private let configuration: Configuration
    private let logger: Logger
    private let state = Mutex(State())

    /// `run()` has begun (tests wait for it).
    public var hasStarted: Bool { state.withLock { $0.started } }

    public init(committer: any BatchCommitter, configuration: Configuration = .init(), logger: Logger = Logger(label: "tianyan.store.writer")) {
        self.committer = committer
        self.configuration = configuration
        self.logger = logger
    }

    /// The last commit error while commits fail (nil while they succeed): a change that must
    /// not wait behind a failing store (`transact`) is refused with it at once.
    public var failingError: String? { state.withLock { $0.failingSince == nil ? nil : $0.lastError } }

    public var statistics: Statistics {
        state.withLock {
            Statistics(submitted: $0.submitted, committed: $0.committed, transactions: $0.transactions,
                       failedCommits: $0.failedCommits, pending: $0.pending.count + $0.inFlight + $0.inlineInFlight, lastError: $0.lastError,
                       dropped: $0.dropped, failingSince: $0.failingSince)
        }
    }

    // MARK: RecordSink

    @discardableResult
    public func submit(_ records: [StoreRecord]) -> UInt64 {
        guard !records.isEmpty else { return state.withLock { $0.submitted } }
        let limit = configuration.maxPending
        let (ticket, wake, refused) = state.withLock { s -> (UInt64, CheckedContinuation<Void, Never>?, Int) in
            var records = records
            var refused = 0
            if s.pending.count + s.inFlight + s.inlineInFlight + records.count > limit {
                // Over the bound: keep what is not a position, refuse the positions past it.
                var room = max(0, limit - s.pending.count - s.inFlight - s.inlineInFlight)
                records = records.filter { r in
                    guard case .position = r else { return true }
                    if room > 0 { room -= 1; return true }
                    refused += 1
                    return false
                }
                s.dropped += UInt64(refused)
                if records.isEmpty { return (s.submitted, nil, refused) }
            }
            if s.pending.isEmpty { s.firstPendingAt = .now }
            s.pending.append(contentsOf: records)
            s.submitted += UInt64(records.count)
            // Wake the loop when it idles with nothing, or when a batch is full.
            var wake: CheckedContinuation<Void, Never>?
            if s.pending.count == records.count || s.pending.count >= configuration.batchSize {
                wake = s.parked
                s.parked = nil
                if wake == nil { s.wakeRequested = true }
            }
            return (s.submitted, wake, refused)
        }
        wake?.resume()
        if refused > 0 { noteDropped(refused) }
        return ticket
    }

    /// Logs refused positions at most once a second (a full disk refuses thousands a second).
    private func noteDropped(_ count: Int) {
        let now = ContinuousClock.now
        let due = lastDropLog.withLock { last -> Bool in
            if let l = last, now - l < .seconds(1) { return false }
            last = now
            return true
        }
        if due {
            logger.critical("store queue full while the database refuses writes: positions are being dropped", metadata: [
                "store.max_pending": "\(configuration.maxPending)", "store.dropped": "\(statistics.dropped)",
            ])
        }
    }

    private let lastDropLog = Mutex<ContinuousClock.Instant?>(nil)

    public func waitUntilCommitted(_ ticket: UInt64) async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let (ready, abandoned, inline) = state.withLock { s -> (Bool, String?, Bool) in
                if s.committed >= ticket { return (true, nil, false) }
                if let reason = s.abandoned { return (false, reason, false) }
                s.commitWaiters.append((ticket, c))
                guard !s.started, !s.inlineRunning else { return (false, nil, false) }
                s.inlineRunning = true
                return (false, nil, true)
            }
            if ready { c.resume() }
            if let abandoned { c.resume(throwing: stoppedBeforeCommit(abandoned)) }
            if inline { Task.detached { await self.commitInline() } }
        }
    }

    /// Commits what is pending when no run loop does (see the type's description): one loop at
    /// a time, one batch of at most `batchSize` after the other; stops as soon as `run()` has
    /// begun. A failed commit keeps its records (the next wait tries again) and fails the waiters.
    private func commitInline() async {
        while true {
            let batch = state.withLock { s -> [StoreRecord]? in
                guard !s.started, s.abandoned == nil, !s.pending.isEmpty else {
                    s.inlineRunning = false
                    return nil
                }
                let n = min(s.pending.count, configuration.batchSize)
                let batch = Array(s.pending.prefix(n))
                s.pending.removeFirst(n)
                s.inlineInFlight = n
                if s.pending.isEmpty { s.firstPendingAt = nil }
                return batch
            }
            guard let batch else { return }
            do {
                try await committer.commit(batch)
            } catch {
                let failure = error
                let waiters = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
                    s.pending.insert(contentsOf: batch, at: 0)
                    if s.firstPendingAt == nil { s.firstPendingAt = .now }
                    s.inlineInFlight = 0
                    s.inlineRunning = false
                    s.failedCommits += 1
                    s.lastError = "\(failure)"
                    defer { s.commitWaiters = [] }
                    return s.commitWaiters.map(\.continuation)
                }
                logger.error("store commit failed; the records are kept for the next attempt", metadata: [
                    "store.batch_rows": "\(batch.count)", "error": "\(failure)",
                ])
                for w in waiters { w.resume(throwing: failure) }
                return
            }
            let ready = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
                s.committed += UInt64(batch.count)
                s.transactions += 1
                s.inlineInFlight = 0
                s.lastError = nil
                var ready: [CheckedContinuation<Void, any Error>] = []
                s.commitWaiters.removeAll { w in
                    if w.ticket <= s.committed { ready.append(w.continuation); return true }
                    return false
                }
                return ready
            }
            for c in ready { c.resume() }
        }
    }

    /// Returns when everything submitted before the call is committed.
    public func flush() async throws {
        try await waitUntilCommitted(state.withLock { $0.submitted })
    }

    // MARK: Service

    public func run() async throws {
        state.withLock { $0.started = true }
        logger.debug("store writer started", metadata: ["store.path": "\(committer.location)"])
        await withTaskCancellationHandler {
          await withGracefulShutdownHandler {
            while true {
                await waitForWork()
                let (batch, stop) = takeBatch()
                if batch.isEmpty {
                    if stop { break }
                    continue
                }
                if await !commit(batch) {
                    abandon(batch)
                    break
                }
            }
          } onGracefulShutdown: {
            self.requestShutdown()
          }
        } onCancel: {
            self.requestShutdown()
        }
        logger.debug("store writer stopped", metadata: ["store.committed": "\(statistics.committed)"])
    }

    private func requestShutdown() {
        let wake = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.shuttingDown = true
            let c = s.parked
            s.parked = nil
            if c == nil { s.wakeRequested = true }
            return c
        }
        wake?.resume()
    }

    /// Parks until there is work; then, unless the batch is already full, until it fills or its
    /// first record has waited `maxDelay`.
    private func waitForWork() async {
        await park { s in !s.pending.isEmpty || s.shuttingDown || Task.isCancelled }
        let deadline = state.withLock { s -> ContinuousClock.Instant? in
            guard !s.shuttingDown, s.pending.count < configuration.batchSize, let first = s.firstPendingAt else { return nil }
            return first + configuration.maxDelay
        }
        guard let deadline, deadline > .now else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                // A batch that filled first cancels this timer; do not leave a stale wake behind.
                if !Task.isCancelled { self.wake() }
            }
            await park { [batchSize = configuration.batchSize] s in s.pending.count >= batchSize || s.shuttingDown || Task.isCancelled }
            group.cancelAll()
        }
    }

    private func wake() {
        let c = state.withLock { s -> CheckedContinuation<Void, Never>? in
            let c = s.parked
            s.parked = nil
            if c == nil { s.wakeRequested = true }
            return c
        }
        c?.resume()
    }

    private func park(unless ready: @escaping @Sendable (inout State) -> Bool) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if ready(&s) || s.wakeRequested {
                    s.wakeRequested = false
                    return true
                }
                s.parked = c
                return false
            }
            if resumeNow { c.resume() }
        }
        state.withLock { $0.wakeRequested = false }
    }

    private func takeBatch() -> ([StoreRecord], Bool) {
        state.withLock { s in
            let stop = s.shuttingDown || Task.isCancelled
            if s.pending.count <= configuration.batchSize {
                let batch = s.pending
                s.pending = []
                s.inFlight = batch.count
                s.firstPendingAt = nil
                return (batch, stop && batch.isEmpty)
            }
            let batch = Array(s.pending.prefix(configuration.batchSize))
            s.pending.removeFirst(configuration.batchSize)
            s.inFlight = batch.count
            s.firstPendingAt = .now
            s.wakeRequested = true
            return (batch, false)
        }
    }

    /// A shutting-down writer still waits between retries rather than spinning.
    static func sleepIgnoringCancellation(_ d: Duration) async {
        let ns = Int(d.components.seconds) * 1_000_000_000 + Int(d.components.attoseconds / 1_000_000_000)
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(ns)) { c.resume() }
        }
    }

    /// Shutting down with commits still failing after the grace: what is left is not written.
    /// Waiters for a commit get an error instead of waiting for good.
    private func abandon(_ batch: [StoreRecord]) {
        let (left, waiters, reason) = state.withLock { s in
            let reason = s.lastError ?? "database writes failing"
            defer {
                s.pending = []
                s.inFlight = 0
                s.commitWaiters = []
                s.abandoned = reason
            }
            return (batch.count + s.pending.count, s.commitWaiters.map(\.continuation), reason)
        }
        logger.critical("stopped with records not written: database writes still failing after the shutdown grace; messages from the docks among them stay in the MQTT journal and are stored at the next start, the rest are lost", metadata: [
            "store.not_written": "\(left)", "store.shutdown_grace_s": "\(configuration.shutdownGrace.components.seconds)", "error": "\(reason)",
        ])
        for w in waiters { w.resume(throwing: stoppedBeforeCommit(reason)) }
    }

    private func stoppedBeforeCommit(_ reason: String) -> any Error {
        committer.stoppedError("the store writer stopped before this was committed: \(reason)")
    }

    /// Commits one batch, retrying with backoff until it is stored (a full disk, a locked file).
    /// The adapter puts the last state of each unit in the batch into its unit table in the same
    /// transaction, so a committed ticket also means `units` shows it. Returns false when it gave up: shutting
    /// down and still failing `shutdownGrace` after the shutdown began.
    private func commit(_ batch: [StoreRecord]) async -> Bool {
        var backoff = Duration.milliseconds(50)
        var giveUpAt: ContinuousClock.Instant?
        while true {
            do {
                try await committer.commit(batch)
                break
            } catch {
                let message = "\(error)"
                let first = state.withLock { s -> Bool in
                    s.failedCommits += 1
                    s.lastError = message
                    if s.failingSince == nil { s.failingSince = Date(); return true }
                    return false
                }
                // Loud once when the store starts failing, then at debug level per retry.
                if first {
                    logger.critical("database writes are failing; records are kept in memory and retried", metadata: [
                        "store.batch_rows": "\(batch.count)", "store.max_pending": "\(configuration.maxPending)", "error": "\(message)",
                    ])
                } else {
                    logger.debug("store commit failed again; retrying", metadata: ["store.batch_rows": "\(batch.count)", "error": "\(message)"])
                }
                if state.withLock({ $0.shuttingDown }) {
                    let now = ContinuousClock.now
                    if let giveUpAt {
                        if now >= giveUpAt { return false }
                    } else {
                        giveUpAt = now + configuration.shutdownGrace
                        let waiting = batch.count + state.withLock { $0.pending.count }
                        logger.critical("shutting down while database writes fail: retrying a while longer before stopping without them", metadata: [
                            "store.waiting": "\(waiting)", "store.shutdown_grace_s": "\(configuration.shutdownGrace.components.seconds)", "error": "\(message)",
                        ])
                    }
                }
                await RecordWriter.sleepIgnoringCancellation(backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        let (ready, recovered) = state.withLock { s -> ([CheckedContinuation<Void, any Error>], (Date, UInt64)?) in
            s.committed += UInt64(batch.count)
            s.transactions += 1
            s.inFlight = 0
            s.lastError = nil
            let recovered = s.failingSince.map { ($0, s.dropped) }
            s.failingSince = nil
            var ready: [CheckedContinuation<Void, any Error>] = []
            s.commitWaiters.removeAll { w in
                if w.ticket <= s.committed { ready.append(w.continuation); return true }
                return false
            }
            return (ready, recovered)
        }
        if let (since, dropped) = recovered {
            logger.notice("database writes succeed again", metadata: [
                "store.failed_for_s": "\(String(format: "%.1f", Date().timeIntervalSince(since)))", "store.dropped": "\(dropped)",
            ])
        }
        for c in ready { c.resume() }
        return true
    }
}
