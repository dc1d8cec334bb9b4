import Logging
import Synchronization

/// A link that reopens itself: when the connection closes (cable pulled, gateway restarted) it
/// waits with backoff and opens the URL again. For serial URLs whose device carried a USB serial
/// number, it looks for that adapter under a new device node when the old one is gone.
///
/// `bytes` carries the data of every successive connection as one stream; `events` says when
/// connections come and go. Call `run()` in a task of your own; it returns after `close()` or
/// when that task is cancelled, and both streams then finish.
public final class ReconnectingLink: ByteLink {
    public enum Event: Hashable, Sendable {
        /// A connection is open, to the device or address named.
        case connected(name: String)
        /// The connection closed, or an attempt to open one failed, for `reason`.
        case lost(reason: String)
        /// The next attempt comes after this delay.
        case reconnecting(in: Duration)
    }

    /// Delays between attempts: `initial`, doubling up to `maximum`; a connection that stayed up
    /// for `stableAfter` starts the sequence again from `initial`.
    public struct Backoff: Hashable, Sendable {
        public var initial: Duration
        public var maximum: Duration
        public var stableAfter: Duration

        public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30),
                    stableAfter: Duration = .seconds(60)) {
            self.initial = initial
            self.maximum = maximum
            self.stableAfter = stableAfter
        }

        /// The delay before the attempt that follows `failures` consecutive failures (0 → initial).
        public func delay(afterFailures failures: Int) -> Duration {
            var d = initial
            for _ in 0..<min(failures, 62) {
                d = d * 2
                if d >= maximum { return maximum }
            }
            return min(d, maximum)
        }
    }

    public typealias Opener = @Sendable (GatewayURL) async throws(SerialPortError) -> any ByteLink

    private struct State {
        var current: (any ByteLink)?
        var closed = false
        var lastReason = "not connected yet"
        /// The USB serial number of the adapter behind a serial URL, learnt on the first connect.
        var usbSerial: String?
    }

    public let url: GatewayURL
    public let backoff: Backoff
    public let bytes: AsyncStream<[UInt8]>
    public let events: AsyncStream<Event>
    private let bytesContinuation: AsyncStream<[UInt8]>.Continuation
    private let eventsContinuation: AsyncStream<Event>.Continuation
    private let shared = Mutex(State())
    private let customOpener: Opener?
    private let factory: SerialLinkFactory
    private let enumerator: SerialPortEnumerator
    private let logger: Logger

    public var name: String { url.description }

    public var state: LinkState {
        shared.withLock { s in
            if let c = s.current, c.state == .open { return .open }
            return .closed(reason: s.closed ? "closed by caller" : s.lastReason)
        }
    }

    public init(url: GatewayURL, backoff: Backoff = Backoff(), factory: SerialLinkFactory = SerialLinkFactory(),
                enumerator: SerialPortEnumerator = SerialPortEnumerator(), opener: Opener? = nil) {
        self.url = url
        self.backoff = backoff
        self.enumerator = enumerator
        self.logger = factory.logger
        self.factory = factory
        self.customOpener = opener
        (bytes, bytesContinuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .unbounded)
        (events, eventsContinuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(256))
    }

    /// Connects, forwards bytes and reconnects until `close()` or cancellation.
    public func run() async {
        var failures = 0
        defer {
            bytesContinuation.finish()
            eventsContinuation.finish()
        }
        while !isClosed, !Task.isCancelled {
            do {
                let link = try await openOnce()
                let keep = shared.withLock { s -> Bool in
                    guard !s.closed else { return false }
                    s.current = link
                    return true
                }
                guard keep else { link.close(); break }
                logger.info("gateway link connected", metadata: ["gateway.url": "\(url)", "serial.port": "\(link.name)"])
                eventsContinuation.yield(.connected(name: link.name))
                let started = ContinuousClock.now
                for await chunk in link.bytes { bytesContinuation.yield(chunk) }
                link.close()
                let reason: String
                if case .closed(let r) = link.state { reason = r } else { reason = "cancelled" }
                shared.withLock { s in
                    s.current = nil
                    s.lastReason = reason
                }
                if isClosed || Task.isCancelled { break }
                logger.info("gateway link lost", metadata: ["gateway.url": "\(url)", "reason": "\(reason)"])
                eventsContinuation.yield(.lost(reason: reason))
                if ContinuousClock.now - started >= backoff.stableAfter { failures = 0 }
            } catch {
                shared.withLock { $0.lastReason = error.message }
                logger.debug("gateway link attempt failed", metadata: ["gateway.url": "\(url)", "reason": "\(error.message)"])
                eventsContinuation.yield(.lost(reason: error.message))
            }
            let delay = backoff.delay(afterFailures: failures)
            failures += 1
            eventsContinuation.yield(.reconnecting(in: delay))
            await sleepUnlessClosed(delay)
        }
    }

    public func write(_ bytes: [UInt8]) async throws(SerialPortError) {
        let (link, reason) = shared.withLock { ($0.current, $0.closed ? "closed by caller" : $0.lastReason) }
        guard let link else {
            throw SerialPortError(.closed, "cannot write to \(url): not connected (\(reason)); it reconnects by itself")
        }
        try await link.write(bytes)
    }

    public func close() {
        let link = shared.withLock { s -> (any ByteLink)? in
            s.closed = true
            return s.current
        }
        link?.close()
    }

    /// Closes the current connection (an unresponsive radio, say) and lets `run()` open it again
    /// after the usual backoff. Does nothing when not connected.
    public func dropConnection() {
        let link = shared.withLock { $0.current }
        link?.close()
    }

    private var isClosed: Bool { shared.withLock { $0.closed } }

    private func sleepUnlessClosed(_ delay: Duration) async {
        let end = ContinuousClock.now + delay
        while !isClosed, !Task.isCancelled, ContinuousClock.now < end {
            let slice = min(end - ContinuousClock.now, .milliseconds(50))
            try? await Task.sleep(for: slice)
        }
    }

    /// Opens the URL; for a serial device that has gone, tries the adapter with the same USB
    /// serial number under whatever node it has now.
    private func openOnce() async throws(SerialPortError) -> any ByteLink {
        guard case .serial(let path, let settings) = url.endpoint else { return try await opener(url) }
        do {
            let link = try await opener(url)
            learnUSBSerial(path: path)
            return link
        } catch where error.code == .notFound {
            guard let serial = shared.withLock({ $0.usbSerial }),
                  let moved = try? enumerator.find(usbSerial: serial) else { throw error }
            logger.info("adapter renumbered; opening it under its new name",
                        metadata: ["gateway.url": "\(url)", "serial.port": "\(moved.name)", "usb.serial": "\(serial)"])
            return try await opener(GatewayURL(endpoint: .serial(path: moved.name, settings: settings), profile: url.profile))
        }
    }

    private func opener(_ url: GatewayURL) async throws(SerialPortError) -> any ByteLink {
        if let customOpener { return try await customOpener(url) }
        return try await factory.open(url: url)
    }

    private func learnUSBSerial(path: String) {
        guard shared.withLock({ $0.usbSerial }) == nil,
              let device = try? LibSerialPortLink.resolve(path),
              let info = try? enumerator.list().first(where: { $0.name == device }),
              let serial = info.serialNumber else { return }
        shared.withLock { $0.usbSerial = serial }
    }
}
