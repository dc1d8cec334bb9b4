import CMosquitto
import Foundation
import Logging
import MessageJournal
import ServiceLifecycle
import Synchronization

/// `mosquitto_lib_init` is not thread-safe: it runs once, through this lazily initialised global.
private let libraryInitialised: Bool = {
    mosquitto_lib_init()
    return true
}()

public enum QoS: Int32, Sendable, Hashable {
    case atMostOnce = 0, atLeastOnce = 1, exactlyOnce = 2
}

public enum ProtocolVersion: Sendable, Hashable {
    case v311, v5
}

/// A message as the broker delivered it, copied out of libmosquitto's memory.
public struct MQTTMessage: Sendable, Hashable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int
    public var retained: Bool
    /// Journal sequence number; pass it to `acknowledge(through:)` once the message is stored.
    public var journalSequence: UInt64?
    /// True for a message replayed from the journal after a restart.
    public var replayed: Bool

    public init(topic: String, payload: [UInt8], qos: Int = 0, retained: Bool = false, journalSequence: UInt64? = nil, replayed: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retained = retained
        self.journalSequence = journalSequence
        self.replayed = replayed
    }
}

/// An async MQTT client over libmosquitto. libmosquitto runs its own network thread; the C
/// callbacks only copy, journal and hand off, so the broker is never kept waiting (a stalled
/// client loses messages at the broker's queue limit). Reconnects with backoff and resubscribes.
public final class MosquittoClient: Service, Sendable {
    public struct Subscription: Sendable, Hashable {
        public var filter: String
        public var qos: QoS
        public init(_ filter: String, qos: QoS = .atLeastOnce) {
            self.filter = filter
            self.qos = qos
        }
    }

    public struct Will: Sendable, Hashable {
        public var topic: String
        public var payload: [UInt8]
        public var qos: QoS
        public var retain: Bool
        public init(topic: String, payload: [UInt8], qos: QoS = .atLeastOnce, retain: Bool = true) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
        }
    }

    public struct Configuration: Sendable {
        public var broker: BrokerURL
        /// Stable across restarts, so that the broker keeps the persistent session's queue.
        public var clientID: String
        public var cleanSession: Bool
        public var keepAliveSeconds: Int32
        /// MQTT 5 by default, falling back to 3.1.1 when the broker refuses it.
        public var protocolVersion: ProtocolVersion
        public var subscriptions: [Subscription]
        public var will: Will?
        /// CA certificate file for mqtts://; nil uses the system's trusted certificates.
        public var caFile: String?
        public var reconnectDelayMinSeconds: UInt32
        public var reconnectDelayMaxSeconds: UInt32
        /// Where received messages are journaled before the callback returns; nil = no journal.
        public var journalDirectory: String?
        /// Journal segment size; the current segment and a spare are reserved on disk ahead.
        public var journalSegmentBytes: Int
        /// On replay, how long the store may make no progress (release nothing) before the rest of
        /// the backlog is handed on without waiting.
        public var replayWait: Duration
        /// How long the broker keeps a persistent session after a disconnect (MQTT 5).
        public var sessionExpirySeconds: UInt32 = 86_400

        public init(broker: BrokerURL, clientID: String, cleanSession: Bool = false, keepAliveSeconds: Int32 = 30, protocolVersion: ProtocolVersion = .v5, subscriptions: [Subscription] = [], will: Will? = nil, caFile: String? = nil, reconnectDelayMinSeconds: UInt32 = 1, reconnectDelayMaxSeconds: UInt32 = 30, journalDirectory: String? = nil, journalSegmentBytes: Int = 32 << 20, replayWait: Duration = .seconds(2)) {
            self.broker = broker
            self.clientID = clientID
            self.cleanSession = cleanSession
            self.keepAliveSeconds = keepAliveSeconds
            self.protocolVersion = protocolVersion
            self.subscriptions = subscriptions
            self.will = will
            self.caFile = caFile
            self.reconnectDelayMinSeconds = reconnectDelayMinSeconds
            self.reconnectDelayMaxSeconds = reconnectDelayMaxSeconds
            self.journalDirectory = journalDirectory
            self.journalSegmentBytes = journalSegmentBytes
            self.replayWait = replayWait
        }
    }

    public struct Status: Sendable, Hashable {
        public var connected: Bool
        public var connects: Int
        public var disconnects: Int
        public var received: UInt64
        public var replayed: UInt64
        public var journalFailures: UInt64
        /// Not taking messages from the broker because the journal has no disk room (since when).
        public var pausedForJournalSince: ContinuousClock.Instant?
        public var protocolVersion: ProtocolVersion
        public var lastError: String?
        /// Connected and every subscription acknowledged by the broker (SUBACK).
        public var ready: Bool
    }

    public let configuration: Configuration
    public let messages: AsyncStream<MQTTMessage>
    private let core: Core
    private let handle: Handle
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger = Logger(label: "tianyan.mqtt")) throws(MQTTError) {
        _ = libraryInitialised
        self.configuration = configuration
        self.logger = logger
        let journal = try configuration.journalDirectory.map { (dir) throws(MQTTError) in
            do throws(JournalError) {
                return try MessageJournal(directory: dir, segmentLimitBytes: configuration.journalSegmentBytes)
            } catch {
                throw MQTTError(.journal, error.message)
            }
        }
        let (stream, continuation) = AsyncStream.makeStream(of: MQTTMessage.self, bufferingPolicy: .unbounded)
        messages = stream
        core = Core(continuation: continuation, journal: journal, subscriptions: configuration.subscriptions,
                    version: configuration.protocolVersion, logger: logger)
        guard let mosq = mosquitto_new(configuration.clientID, configuration.cleanSession,
                                       Unmanaged.passUnretained(core).toOpaque()) else {
            throw MQTTError(.library, "mosquitto_new failed for client id \(configuration.clientID)")
        }
        handle = Handle(mosq)
        try configure(mosq)
    }

    private func configure(_ mosq: OpaquePointer) throws(MQTTError) {
        let c = configuration
        try check(mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION,
                                       c.protocolVersion == .v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311), "protocol version")
        try check(mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1), "TCP_NODELAY")
        if let user = c.broker.username {
            try check(mosquitto_username_pw_set(mosq, user, c.broker.password), "username/password")
        }
        if c.broker.tls {
            if let ca = c.caFile {
                try check(mosquitto_tls_set(mosq, ca, nil, nil, nil, nil), "TLS CA file \(ca)")
            } else {
                try check(mosquitto_int_option(mosq, MOSQ_OPT_TLS_USE_OS_CERTS, 1), "TLS system certificates")
            }
        }
        if let will = c.will {
            let rc = will.payload.withUnsafeBytes { p in
                mosquitto_will_set(mosq, will.topic, Int32(p.count), p.baseAddress, will.qos.rawValue, will.retain)
            }
            try check(rc, "will on \(will.topic)")
        }
        try check(mosquitto_reconnect_delay_set(mosq, c.reconnectDelayMinSeconds, c.reconnectDelayMaxSeconds, true), "reconnect delay")
        mosquitto_connect_callback_set(mosq) { mosq, obj, rc in
            Core.from(obj).connected(mosq, rc: rc)
        }
        mosquitto_disconnect_callback_set(mosq) { _, obj, rc in
            Core.from(obj).disconnected(rc: rc)
        }
        mosquitto_message_callback_set(mosq) { mosq, obj, message in
            guard let message else { return }
            Core.from(obj).received(message.pointee, on: mosq)
        }
        mosquitto_publish_callback_set(mosq) { _, obj, mid in
            Core.from(obj).published(mid: mid)
        }
        mosquitto_subscribe_callback_set(mosq) { _, obj, mid, _, _ in
            Core.from(obj).subscribed(mid: mid)
        }
        // libmosquitto says why a connection failed (TLS verification, DNS) only in its log.
        mosquitto_log_callback_set(mosq) { _, obj, level, text in
            guard level == MOSQ_LOG_ERR, let text else { return }
            Core.from(obj).noteError(String(cString: text))
        }
    }

    public var status: Status { core.status }

    /// Connects, hands messages to `messages` until graceful shutdown or cancellation, then
    /// disconnects and finishes the stream. Messages left in the journal are replayed first.
    public func run() async throws {
        if let journal = core.journal { await replay(journal) }
        let mosq = handle.pointer
        var version = configuration.protocolVersion
        while true {
            if let journal = core.journal, journal.isShortOfRoom || core.journalShortRequested {
                guard await waitForJournalRoom(journal) else { break }
            }
            core.resetProtocolRejection()
            let (rc, text) = await connect(version)
            if rc != Int32(MOSQ_ERR_SUCCESS.rawValue) {
                // Not fatal: the network thread keeps retrying with backoff.
                core.noteError("connect to \(configuration.broker): \(text)")
                logger.warning("broker not reachable yet; retrying", metadata: ["mqtt.broker": "\(configuration.broker)", "mqtt.error": "\(text)"])
            }
            try check(mosquitto_loop_start(mosq), "starting the network thread")
            let outcome = await core.waitForStopOrRejection()
            if outcome == .refused {
                // Refused (bad credentials, not authorised, server busy…): libmosquitto's thread
                // gives up on MQTT 5 refusals, so we stop it and try again after a backoff; the
                // reason stays in `status.lastError`.
                // Never force-cancel the network thread: it may hold our lock or be inside a
                // callback. Disconnect and let it end by itself.
                mosquitto_disconnect(mosq)
                mosquitto_loop_stop(mosq, false)
                let delay = core.nextRefusalDelay(max: configuration.reconnectDelayMaxSeconds)
                logger.warning("broker refused the connection; trying again", metadata: [
                    "mqtt.reason": "\(core.status.lastError ?? "-")", "mqtt.retry_in_s": "\(delay)"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(delay)) }
                if core.stopRequested || Task.isCancelled { break }
                continue
            }
            if outcome == .journalShort {
                // Disconnect; the top of the loop waits for room before connecting again.
                mosquitto_disconnect(mosq)
                mosquitto_loop_stop(mosq, false)
                continue
            }
            if outcome == .protocolRejected, version == .v5 {
                // The broker speaks only MQTT 3.1.1: reconnect with it.
                mosquitto_disconnect(mosq)
                mosquitto_loop_stop(mosq, false)
                version = .v311
                core.setVersion(.v311)
                _ = mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311)
                logger.info("broker refused MQTT 5; using MQTT 3.1.1")
                continue
            }
            break
        }
        stopNetworkThread()
        core.finish()
    }

    /// Disconnects and waits for libmosquitto's network thread to end. While the broker is
    /// unreachable that thread retries: it checks for a disconnect, then calls its own reconnect,
    /// which sets the state back to connecting, so a disconnect landing between the two is lost
    /// and the thread retries for ever (a stop hung, about 1 in 5 on a loaded machine, when the
    /// broker was not there). The disconnect is repeated until the thread has ended.
    private func stopNetworkThread() {
        let handle = self.handle
        let stopped = StopFlag()
        mosquitto_disconnect(handle.pointer)
        Thread.detachNewThread {
            while !stopped.isSet {
                usleep(100_000)
                if !stopped.isSet { mosquitto_disconnect(handle.pointer) }
            }
        }
        mosquitto_loop_stop(handle.pointer, false)
        stopped.set()
    }

    /// Shutdown or cancellation asked for (while replaying or waiting for journal room).
    private var isStopping: Bool { core.stopRequested || Task.isCancelled || Task.isShuttingDownGracefully }

    /// Hands the journal's unreleased messages on a segment at a time: before reading the next
    /// segment it waits until the previous one's messages are stored (released), so a large
    /// backlog (a database that refused writes for an hour, then a restart) is not all in memory
    /// at once. If the store makes no progress for `replayWait` (it is failing), the rest is
    /// handed on without waiting (in memory) rather than keeping the link off the broker.
    private func replay(_ journal: MessageJournal) async {
        let backlog = journal.statistics.unreleased
        guard backlog > 0 else { return }
        logger.info("replaying journaled messages", metadata: ["mqtt.replayed": "\(backlog)"])
        core.noteError("replaying \(backlog) journaled messages before connecting")
        var previous: UInt64?
        var pacing = true
        // On shutdown the rest stays in the journal for the next start.
        for first in journal.segmentStarts {
            if isStopping { return }
            if pacing, let previous {
                var released = journal.statistics.released, progressAt = ContinuousClock.now
                while released < previous, ContinuousClock.now - progressAt < configuration.replayWait, !isStopping {
                    try? await Task.sleep(for: .milliseconds(20))
                    let latest = journal.statistics.released
                    if latest > released { (released, progressAt) = (latest, .now) }
                }
                if isStopping { return }
                if journal.statistics.released < previous {
                    pacing = false
                    logger.warning("replay goes on without waiting: the store has stored nothing for a while", metadata: [
                        "mqtt.replay_wait_s": "\(configuration.replayWait.components.seconds)",
                        "mqtt.unreleased": "\(journal.statistics.unreleased)"])
                }
            }
            let entries = journal.unreleased(inSegment: first)
            guard let last = entries.last else { continue }
            core.replay(entries)
            previous = last.sequence
        }
    }

    /// The disk is full past the journal's reserve: a message taken now could not be journaled,
    /// and libmosquitto acknowledges it before we see it. So take none (stay disconnected; the
    /// broker queues them for this persistent session) until the journal has room. Returns false
    /// on shutdown.
    private func waitForJournalRoom(_ journal: MessageJournal) async -> Bool {
        let since = ContinuousClock.now
        core.notePaused(since: since, reason: journal.statistics.reserveError)
        logger.critical("the MQTT journal has no disk room: stopped taking dock messages; the broker queues them for this session until there is room", metadata: [
            "mqtt.journal": "\(journal.directory)", "mqtt.error": "\(journal.statistics.reserveError ?? "journal write failed")"])
        while !journal.replenish() {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            if isStopping { return false }
        }
        if isStopping { return false }
        core.resumeAfterPause()
        logger.notice("the MQTT journal has room again: taking dock messages", metadata: [
            "mqtt.paused_s": "\(String(format: "%.1f", (ContinuousClock.now - since) / .seconds(1)))"])
        return true
    }

    /// Starts the first connection. MQTT 5 needs a session-expiry property on CONNECT for the
    /// broker to keep the session (and its queue) after a disconnect; libmosquitto keeps the
    /// properties for its own reconnects. The connect call blocks on the TCP handshake, so it runs
    /// on a thread of its own, not on the cooperative pool.
    private func connect(_ version: ProtocolVersion) async -> (Int32, String) {
        let handle = self.handle
        let c = configuration
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                let mosq = handle.pointer
                var rc: Int32
                if version == .v5 {
                    var props: OpaquePointer? = nil
                    if !c.cleanSession {
                        mosquitto_property_add_int32(&props, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), c.sessionExpirySeconds)
                    }
                    rc = mosquitto_connect_bind_v5(mosq, c.broker.host, Int32(c.broker.port), c.keepAliveSeconds, nil, props)
                    mosquitto_property_free_all(&props)
                } else {
                    rc = mosquitto_connect_async(mosq, c.broker.host, Int32(c.broker.port), c.keepAliveSeconds)
                }
                // Read the reason on this thread: for MOSQ_ERR_ERRNO libmosquitto's text is this
                // thread's errno ("Connection refused"); read elsewhere it said "Success".
                continuation.resume(returning: (rc, String(cString: mosquitto_strerror(rc))))
            }
        }
    }

    /// Publishes and returns when the broker has the message (PUBACK/PUBCOMP for QoS 1/2; written
    /// to the socket for QoS 0). Throws `.notConnected` at once when there is no broker connection
    /// and `.timedOut` after `timeout`.
    ///
    /// Without a connection nothing is handed to libmosquitto: it would keep a QoS 1 message it
    /// could not send (while reporting "not connected") and send it after the next connect, so a
    /// dock command reported as failed would still reach the dock, maybe minutes later.
    public func publish(_ topic: String, payload: [UInt8], qos: QoS = .atLeastOnce, retain: Bool = false, timeout: Duration? = nil) async throws(MQTTError) {
        let mosq = handle.pointer
        let core = self.core
        let slot = Mutex<Int32?>(nil)
        if Task.isCancelled { throw MQTTError(.cancelled, "publish to \(topic) cancelled") }
        let status = core.status
        guard status.connected else {
            throw MQTTError(.notConnected, "not connected to the broker \(configuration.broker)"
                            + (status.lastError.map { " (\($0))" } ?? "") + "; \(topic) not sent")
        }
        let result: Result<Void, MQTTError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, MQTTError>, Never>) in
                var mid: Int32 = 0
                let rc = payload.withUnsafeBytes { p in
                    mosquitto_publish(mosq, &mid, topic, Int32(p.count), p.baseAddress, qos.rawValue, retain)
                }
                do throws(MQTTError) {
                    try check(rc, "publish to \(topic)")
                } catch {
                    continuation.resume(returning: .failure(error))
                    return
                }
                slot.withLock { $0 = mid }
                core.awaitPublish(mid: mid, continuation: continuation, timeout: timeout)
            }
        } onCancel: {
            if let mid = slot.withLock({ $0 }) { core.cancelPublish(mid: mid) }
        }
        try result.get()
    }

    /// Everything up to `sequence` is stored: the journal may drop it.
    public func acknowledge(through sequence: UInt64) {
        core.journal?.release(through: sequence)
    }

    public var journalStatistics: MessageJournal.Statistics? { core.journal?.statistics }
}

/// Owns the `struct mosquitto *`; destroyed exactly once.
/// Set once the network thread has ended (read by the thread that repeats the disconnect).
private final class StopFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

private final class Handle: @unchecked Sendable {
    // Invariant: the pointer is set once in init and freed only in deinit; libmosquitto's own
    // locking makes its functions safe to call from any thread once threaded mode is on.
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit {
        mosquitto_loop_stop(pointer, true)
        mosquitto_destroy(pointer)
    }
}

/// State shared with libmosquitto's network thread (the callbacks' userdata).
private final class Core: Sendable {
    enum Stop: Sendable { case shutdown, protocolRejected, refused, journalShort }

    struct State {
        var connected = false
        var connects = 0
        var disconnects = 0
        var received: UInt64 = 0
        var replayed: UInt64 = 0
        var journalFailures: UInt64 = 0
        var journalFailuresLogged: UInt64 = 0
        /// The journal is short of room: the run loop disconnects until it has room again.
        var journalShort = false
        var pausedSince: ContinuousClock.Instant?
        var lastJournalFailureLog: ContinuousClock.Instant?
        var lastError: String?
        var version: ProtocolVersion
        var protocolRejected = false
        var refused = false
        var refusalsInARow = 0
        /// SUBSCRIBEs sent since the last connect whose SUBACK has not come yet.
        var pendingSubacks: Set<Int32> = []
        /// Publishes given up (timeout, cancellation) whose PUBACK may still come.
        var abandonedMids: Set<Int32> = []
        var stopWaiter: CheckedContinuation<Stop, Never>?
        var stopRequested = false
        /// Publishes acknowledged before their waiter registered, and waiters by message id.
        var finishedMids: Set<Int32> = []
        var waiters: [Int32: CheckedContinuation<Result<Void, MQTTError>, Never>] = [:]
        /// Deadlines of publishes with a timeout; one reaper task expires them (a sleeping task
        /// per publish would cost a timer and its memory for every message).
        var deadlines: [Int32: (at: ContinuousClock.Instant, timeout: Duration)] = [:]
        var reaperRunning = false
        var subscriptions: [MosquittoClient.Subscription]
    }

    let continuation: AsyncStream<MQTTMessage>.Continuation
    let journal: MessageJournal?
    let logger: Logger
    let state: Mutex<State>

    init(continuation: AsyncStream<MQTTMessage>.Continuation, journal: MessageJournal?, subscriptions: [MosquittoClient.Subscription], version: ProtocolVersion, logger: Logger) {
        self.continuation = continuation
        self.journal = journal
        self.logger = logger
        state = Mutex(State(version: version, subscriptions: subscriptions))
    }

    static func from(_ obj: UnsafeMutableRawPointer?) -> Core {
        Unmanaged<Core>.fromOpaque(obj!).takeUnretainedValue()
    }

    var status: MosquittoClient.Status {
        state.withLock {
            .init(connected: $0.connected, connects: $0.connects, disconnects: $0.disconnects, received: $0.received,
                  replayed: $0.replayed, journalFailures: $0.journalFailures, pausedForJournalSince: $0.pausedSince,
                  protocolVersion: $0.version, lastError: $0.lastError,
                  ready: $0.connected && $0.pendingSubacks.isEmpty)
        }
    }

    // MARK: callbacks (network thread): copy, journal, hand off; never wait

    func connected(_ mosq: OpaquePointer?, rc: Int32) {
        guard rc == 0 else {
            let v5 = state.withLock { $0.version == .v5 }
            // MQTT 5 reason codes (128 and up) have their own texts; 3.1.1 uses CONNACK codes 1-5.
            let text = String(cString: v5 && rc >= 128 ? mosquitto_reason_string(rc) : mosquitto_connack_string(rc))
            // 1 (MQTT 3.1.1) or 132 (MQTT 5): unsupported protocol version.
            let protocolRejected = v5 && (rc == 1 || rc == 132)
            let (waiter, stop): (CheckedContinuation<Stop, Never>?, Stop) = state.withLock { s in
                s.lastError = "broker refused the connection: \(text)"
                if protocolRejected { s.protocolRejected = true } else { s.refused = true }
                defer { s.stopWaiter = nil }
                return (s.stopWaiter, protocolRejected ? .protocolRejected : .refused)
            }
            waiter?.resume(returning: stop)
            return
        }
        let subscriptions = state.withLock { s in
            s.connected = true
            s.connects += 1
            s.lastError = nil
            s.refusalsInARow = 0
            s.finishedMids.removeAll()
            s.pendingSubacks.removeAll()
            return s.subscriptions
        }
        for sub in subscriptions {
            var mid: Int32 = 0
            let rc = mosquitto_subscribe(mosq, &mid, sub.filter, sub.qos.rawValue)
            if rc != 0 {
                logger.error("subscribe failed", metadata: ["mqtt.filter": "\(sub.filter)", "mqtt.error": "\(String(cString: mosquitto_strerror(rc)))"])
            } else {
                state.withLock { _ = $0.pendingSubacks.insert(mid) }
            }
        }
        logger.info("connected to broker", metadata: ["mqtt.subscriptions": "\(subscriptions.count)"])
    }

    func disconnected(rc: Int32) {
        state.withLock { s in
            // After a refused CONNECT the refusal is the news, not the disconnect that follows it.
            if s.connected {
                s.disconnects += 1
                if rc != 0 { s.lastError = "connection lost: \(String(cString: mosquitto_strerror(rc)))" }
            } else if rc != 0, !(s.lastError?.hasPrefix("broker refused") ?? false) {
                s.lastError = "cannot connect: \(String(cString: mosquitto_strerror(rc)))"
            }
            s.connected = false
        }
        if rc != 0 { logger.warning("broker connection lost; reconnecting", metadata: ["mqtt.error": "\(String(cString: mosquitto_strerror(rc)))"]) }
    }

    func received(_ message: mosquitto_message, on mosq: OpaquePointer?) {
        let topicLength = strlen(message.topic)
        let payload = UnsafeRawBufferPointer(start: message.payload, count: Int(message.payloadlen))
        var sequence: UInt64?
        if let journal {
            do {
                sequence = try message.topic.withMemoryRebound(to: UInt8.self, capacity: topicLength) { (t) throws(JournalError) in
                    try journal.append(topic: UnsafeBufferPointer(start: t, count: topicLength), payload: payload)
                }
            } catch {
                // Still handed on: losing durability beats losing the message outright.
                // Logged at most every 10 s with the count meanwhile: a full disk fails every
                // message, and one log line each would flood the log (17,937 lines in 20 s,
                // tools/faults/storage) on the disk that is already full.
                let now = ContinuousClock.now
                let report = state.withLock { s -> UInt64? in
                    s.journalFailures += 1
                    s.lastError = error.message
                    if let last = s.lastJournalFailureLog, now - last < .seconds(10) { return nil }
                    s.lastJournalFailureLog = now
                    defer { s.journalFailuresLogged = s.journalFailures }
                    return s.journalFailures - s.journalFailuresLogged
                }
                if let report {
                    logger.error("journal append failed; messages are handed on without the journal until it succeeds", metadata: [
                        "mqtt.error": "\(error.message)", "mqtt.journal_failures": "\(report)"])
                }
            }
        }
        let copy = MQTTMessage(topic: String(cString: message.topic), payload: [UInt8](payload), qos: Int(message.qos),
                               retained: message.retain, journalSequence: sequence)
        state.withLock { $0.received += 1 }
        continuation.yield(copy)
        if journal?.isShortOfRoom == true, requestJournalPause() {
            // Disconnect here, on the network thread, so that libmosquitto reads (and
            // acknowledges) no further message: what is still in the socket stays unacknowledged
            // and the broker delivers it again after the reconnect.
            mosquitto_disconnect(mosq)
        }
    }

    /// Asks the run loop to stay disconnected until the journal has room; true the first time
    /// per shortage.
    private func requestJournalPause() -> Bool {
        let (first, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Stop, Never>?) in
            guard !s.journalShort else { return (false, nil) }
            s.journalShort = true
            defer { s.stopWaiter = nil }
            return (true, s.stopWaiter)
        }
        waiter?.resume(returning: .journalShort)
        return first
    }

    var journalShortRequested: Bool { state.withLock { $0.journalShort } }

    func notePaused(since: ContinuousClock.Instant, reason: String?) {
        state.withLock { s in
            s.pausedSince = since
            s.lastError = "paused: the MQTT journal has no disk room" + (reason.map { " (\($0))" } ?? "")
        }
    }

    func resumeAfterPause() {
        state.withLock { s in
            s.journalShort = false
            s.pausedSince = nil
            s.lastError = nil
        }
    }

    func subscribed(mid: Int32) {
        state.withLock { _ = $0.pendingSubacks.remove(mid) }
    }

    func published(mid: Int32) {
        let waiter = state.withLock { s -> CheckedContinuation<Result<Void, MQTTError>, Never>? in
            // A publish given up earlier is acknowledged late (libmosquitto resends it): not news,
            // and its id must not make a later publish with the same id look acknowledged.
            if s.abandonedMids.remove(mid) != nil { return nil }
            if let w = s.waiters.removeValue(forKey: mid) {
                s.deadlines[mid] = nil
                return w
            }
            s.finishedMids.insert(mid)
            return nil
        }
        waiter?.resume(returning: .success(()))
    }

    // MARK: Swift side

    func replay(_ entries: [MessageJournal.Entry]) {
        // Counted before they are handed on: a consumer never sees more replayed than counted.
        state.withLock { $0.replayed += UInt64(entries.count) }
        for e in entries {
            continuation.yield(MQTTMessage(topic: e.topic, payload: e.payload, qos: 1, journalSequence: e.sequence, replayed: true))
        }
    }

    func awaitPublish(mid: Int32, continuation: CheckedContinuation<Result<Void, MQTTError>, Never>, timeout: Duration?) {
        let (done, startReaper) = state.withLock { s -> (Bool, Bool) in
            if s.finishedMids.remove(mid) != nil { return (true, false) }
            s.waiters[mid] = continuation
            guard let timeout else { return (false, false) }
            s.deadlines[mid] = (ContinuousClock.now + timeout, timeout)
            defer { s.reaperRunning = true }
            return (false, !s.reaperRunning)
        }
        if done {
            continuation.resume(returning: .success(()))
            return
        }
        if startReaper {
            Task { [self] in await reap() }
        }
    }

    /// Fails publishes whose deadline passed; runs while any publish with a timeout waits.
    private func reap() async {
        while true {
            try? await Task.sleep(for: .milliseconds(50))
            let now = ContinuousClock.now
            let (expired, more) = state.withLock { s -> ([(CheckedContinuation<Result<Void, MQTTError>, Never>, Duration)], Bool) in
                var out: [(CheckedContinuation<Result<Void, MQTTError>, Never>, Duration)] = []
                for (mid, d) in s.deadlines where d.at <= now {
                    s.deadlines[mid] = nil
                    if let w = s.waiters.removeValue(forKey: mid) {
                        out.append((w, d.timeout))
                        s.abandonedMids.insert(mid)
                    }
                }
                if s.deadlines.isEmpty { s.reaperRunning = false }
                return (out, !s.deadlines.isEmpty)
            }
            for (w, timeout) in expired {
                w.resume(returning: .failure(MQTTError(.timedOut, "the broker did not acknowledge the publish within \(timeout)")))
            }
            if !more { return }
        }
    }

    func cancelPublish(mid: Int32) {
        let w = state.withLock { s in
            s.deadlines[mid] = nil
            let w = s.waiters.removeValue(forKey: mid)
            if w != nil { s.abandonedMids.insert(mid) }
            return w
        }
        w?.resume(returning: .failure(MQTTError(.cancelled, "publish cancelled")))
    }

    func cancelPublishes() {
        let waiters = state.withLock { s in
            defer {
                s.waiters.removeAll()
                s.deadlines.removeAll()
            }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume(returning: .failure(MQTTError(.cancelled, "publish cancelled"))) }
    }

    func noteError(_ text: String) {
        state.withLock { $0.lastError = text }
    }

    func setVersion(_ v: ProtocolVersion) { state.withLock { $0.version = v } }

    func resetProtocolRejection() {
        state.withLock { s in
            s.protocolRejected = false
            s.refused = false
        }
    }

    /// Seconds before trying again after a refusal: 1, 2, 4 … up to `max`.
    func nextRefusalDelay(max: UInt32) -> UInt32 {
        state.withLock { s in
            defer { s.refusalsInARow += 1 }
            return Swift.min(max, UInt32(1) << UInt32(Swift.min(s.refusalsInARow, 16)))
        }
    }

    var stopRequested: Bool { state.withLock { $0.stopRequested } }

    /// Returns on graceful shutdown or cancellation, or when the broker refused MQTT 5.
    func waitForStopOrRejection() async -> Stop {
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withCheckedContinuation { (c: CheckedContinuation<Stop, Never>) in
                    let immediate: Stop? = state.withLock { s in
                        if s.stopRequested { return .shutdown }
                        if s.protocolRejected { return .protocolRejected }
                        if s.refused { return .refused }
                        if s.journalShort { return .journalShort }
                        s.stopWaiter = c
                        return nil
                    }
                    if let immediate { c.resume(returning: immediate) }
                }
            } onGracefulShutdown: {
                self.requestStop()
            }
        } onCancel: {
            self.requestStop()
        }
    }

    private func requestStop() {
        let waiter = state.withLock { s in
            s.stopRequested = true
            defer { s.stopWaiter = nil }
            return s.stopWaiter
        }
        waiter?.resume(returning: .shutdown)
    }

    func finish() {
        cancelPublishes()
        continuation.finish()
    }
}
