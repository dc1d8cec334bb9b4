import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1

/// How long the HTTP edge waits for a client (`http.idle_timeout_seconds`,
/// `http.header_timeout_seconds`).
public struct HTTPLimits: Sendable {
    /// A connection with no request in progress is closed after this long.
    public var idle: TimeAmount
    /// A request head must arrive whole within this long of its first byte, and a request body
    /// may pause no longer than this; otherwise 408 and the connection is closed.
    public var read: TimeAmount
    /// After the controller has closed its side, how long what the client still sends is read
    /// and dropped before the connection is closed (so that the answer is not lost to a reset).
    public var linger: TimeAmount

    public init(idleSeconds: Int = 60, readSeconds: Int = 10, linger: TimeAmount = .seconds(2)) {
        idle = .seconds(Int64(idleSeconds))
        read = .seconds(Int64(readSeconds))
        self.linger = linger
    }
}

/// The deadlines of one HTTP connection, as a pure state machine over what was read and written:
/// bytes from the socket, request heads and ends (from the decoder), response heads and ends,
/// and whether the socket takes what is written (a client that stops reading its answer is
/// closed after the idle time).
/// `deadline` says when the next check is due and `expired` what to do then.
struct ConnectionDeadlines {
    enum Expiry: Equatable {
        /// Nothing to do (yet).
        case none
        /// Close without an answer (an idle connection, or one already answered).
        case close
        /// Answer 408 and close.
        case requestTimeout
    }

    let limits: HTTPLimits
    /// A request head was read and its end not yet.
    private(set) var requestOpen = false
    /// Requests whose response has not ended.
    private(set) var unanswered = 0
    /// A response head was written for the oldest unanswered request.
    private(set) var responseStarted = false
    /// Bytes arrived while no request was open: a head is coming, since then.
    private(set) var headSince: NIODeadline?
    private(set) var lastRead: NIODeadline
    private(set) var lastActivity: NIODeadline
    /// Switched to the WebSocket protocol: its own pings watch the connection.
    private(set) var upgraded = false
    /// The socket would not take more of the answer (the client does not read), since then.
    private(set) var writeStalledSince: NIODeadline?

    init(limits: HTTPLimits, now: NIODeadline) {
        self.limits = limits
        lastRead = now
        lastActivity = now
    }

    mutating func bytesRead(now: NIODeadline) {
        lastRead = now
        lastActivity = now
        if !requestOpen, headSince == nil { headSince = now }
    }

    mutating func headRead(now: NIODeadline) {
        requestOpen = true
        headSince = nil
        unanswered += 1
        lastActivity = now
    }

    mutating func endRead(now: NIODeadline) {
        requestOpen = false
        lastActivity = now
    }

    mutating func responseHeadWritten(status: Int) {
        if status == 101 { upgraded = true } else if status >= 200 { responseStarted = true }
    }

    /// The socket stopped (or started again) taking what is written.
    mutating func writability(_ writable: Bool, now: NIODeadline) {
        writeStalledSince = writable ? nil : (writeStalledSince ?? now)
    }

    mutating func responseEnded(now: NIODeadline) {
        unanswered = max(0, unanswered - 1)
        responseStarted = false
        lastActivity = now
    }

    /// When the next check is due; nil while the controller is answering or after an upgrade.
    var deadline: NIODeadline? {
        if upgraded { return nil }
        if let stalled = writeStalledSince { return stalled + limits.idle }
        if requestOpen { return lastRead + limits.read }
        if unanswered > 0 { return nil }
        if let headSince { return headSince + limits.read }
        return lastActivity + limits.idle
    }

    /// What to do at `now` (the deadline may have moved since the check was scheduled).
    func expired(now: NIODeadline) -> Expiry {
        guard let deadline, deadline <= now else { return .none }
        // A client that stopped reading its answer gets no other.
        if writeStalledSince != nil { return .close }
        if requestOpen { return unanswered > 0 && !responseStarted ? .requestTimeout : .close }
        if headSince != nil { return .requestTimeout }
        return .close
    }

    /// An answer of the controller's own (400, 408) may be written now: no response is in flight.
    var mayAnswer: Bool { unanswered == 0 || (requestOpen && unanswered == 1 && !responseStarted) }
}

/// The first handler of every HTTP connection, next to the socket: enforces the deadlines of
/// `ConnectionDeadlines`, answers requests the decoder refused (400) and requests that took too
/// long (408) with a JSON error and `Connection: close`, and closes by first shutting its own
/// side and reading (and dropping) what the client still sends for `limits.linger`, so that the
/// answer reaches the client instead of being lost to a TCP reset. `RequestObserver`, behind the
/// HTTP decoder, tells it about requests and responses.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    private var state: ConnectionDeadlines
    private let logger: Logger
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    private var timerAt: NIODeadline?
    /// The controller's side is shut; reading and dropping until the client closes or linger ends.
    private var lingering = false
    /// An answer waiting for the response in flight to end.
    private var pendingAnswer: ByteBuffer?

    init(limits: HTTPLimits, logger: Logger) {
        state = ConnectionDeadlines(limits: limits, now: .now())
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        reschedule()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        state.writability(context.channel.isWritable, now: .now())
        reschedule()
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if lingering { return }
        state.bytesRead(now: .now())
        reschedule()
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Remote half-closure is allowed (Hummingbird): the client's end of input while
        // lingering means it has read what it wanted.
        if lingering, let e = event as? ChannelEvent, e == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .output:
            context.close(mode: .output, promise: promise)
            linger(context)
        case .all where state.upgraded && !lingering && context.channel.isActive:
            // A WebSocket closed by the controller (a protocol error such as a frame too large):
            // the close frame goes out, then the socket after the client has read it.
            context.flush()
            context.close(mode: .output, promise: nil)
            linger(context)
            if let promise { context.channel.closeFuture.cascade(to: promise) }
        default:
            context.close(mode: mode, promise: promise)
        }
    }

    // MARK: what the observer behind the decoder reports

    func headRead() {
        state.headRead(now: .now())
        reschedule()
    }

    func endRead() {
        state.endRead(now: .now())
        reschedule()
    }

    func responseHeadWritten(status: Int) {
        state.responseHeadWritten(status: status)
        reschedule()
    }

    func responseEnded() {
        state.responseEnded(now: .now())
        if let answer = pendingAnswer, state.mayAnswer {
            pendingAnswer = nil
            answerAndClose(answer)
            return
        }
        reschedule()
    }

    /// The decoder refused the request: 400 (431 for a head too large) once no response is in flight.
    func malformed(_ error: HTTPParserError) {
        let answer: ByteBuffer
        switch error {
        case .headerOverflow:
            answer = Self.answer(431, "Request Header Fields Too Large", "the request head is larger than the server accepts")
        default:
            answer = Self.answer(400, "Bad Request", "the request is not valid HTTP/1.1 (\(error)); it was not acted on")
        }
        logger.debug("malformed request refused", metadata: ["http.error": "\(error)"])
        if state.mayAnswer { answerAndClose(answer) } else { pendingAnswer = answer }
    }

    // MARK: timing

    private func reschedule() {
        guard let context, !lingering else { return }
        guard let deadline = state.deadline else { return }
        if let at = timerAt, timer != nil, at <= deadline { return }
        timer?.cancel()
        timerAt = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerAt = nil
            check()
        }
    }

    private func check() {
        guard let context, !lingering else { return }
        switch state.expired(now: .now()) {
        case .none:
            reschedule()
        case .close:
            logger.trace("idle connection closed")
            context.close(promise: nil)
        case .requestTimeout:
            logger.debug("request too slow; answered 408")
            answerAndClose(Self.answer(408, "Request Timeout", "the request did not arrive in time; send it whole, without pauses"))
        }
    }

    private func answerAndClose(_ answer: ByteBuffer) {
        guard let context, !lingering else { return }
        context.writeAndFlush(NIOAny(answer), promise: nil)
        context.close(mode: .output, promise: nil)
        linger(context)
    }

    /// Drops what the client still sends; closes when it does, or after `linger`.
    private func linger(_ context: ChannelHandlerContext) {
        guard !lingering else { return }
        lingering = true
        timer?.cancel()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: state.limits.linger) {
            context.close(promise: nil)
        }
        timerAt = nil
    }

    /// A whole HTTP/1.1 answer with a JSON error body, as the API's errors are.
    static func answer(_ status: Int, _ reason: String, _ message: String) -> ByteBuffer {
        let body = (try? JSONSerialization.data(withJSONObject: ["error": ["message": message, "status": status]], options: [.sortedKeys])) ?? Data()
        var buffer = ByteBufferAllocator().buffer(capacity: 256 + body.count)
        buffer.writeString("HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: \(body.count)\r\n"
            + "Connection: close\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n\r\n")
        buffer.writeBytes(body)
        return buffer
    }
}

/// Sits right behind the HTTP decoder: tells the `ConnectionGuard` about request heads and ends,
/// response heads and ends, and hands it the decoder's errors (a malformed request). A WebSocket
/// upgrade that would be refused (no session, another path, a Host not allowed) has its
/// `Upgrade` header taken off, so that the API's own route answers it with the JSON error.
/// After an upgrade it passes everything through untouched.
final class RequestObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let edge: ConnectionGuard
    private let mayUpgrade: @Sendable (HTTPRequestHead) -> Bool
    private var upgraded = false

    init(edge: ConnectionGuard, mayUpgrade: @escaping @Sendable (HTTPRequestHead) -> Bool) {
        self.edge = edge
        self.mayUpgrade = mayUpgrade
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if upgraded {
            context.fireChannelRead(data)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(var head):
            edge.headRead()
            if head.headers.contains(name: "upgrade"), !mayUpgrade(head) {
                head.headers.remove(name: "upgrade")
                context.fireChannelRead(wrapInboundOut(.head(head)))
                return
            }
        case .body:
            break
        case .end:
            edge.endRead()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if upgraded {
            context.write(data, promise: promise)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.status == .switchingProtocols { upgraded = true }
            context.write(data, promise: promise)
            edge.responseHeadWritten(status: Int(head.status.code))
        case .body:
            context.write(data, promise: promise)
        case .end:
            context.write(data, promise: promise)
            edge.responseEnded()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parse = error as? HTTPParserError, !upgraded {
            edge.malformed(parse)
            return
        }
        context.fireErrorCaught(error)
    }
}

/// HTTP/1.1 with the live feed's WebSocket upgrade (Hummingbird's channel), with the
/// `ConnectionGuard` in front of it and the `RequestObserver` behind its decoder.
struct GuardedHTTPChannel: ServerChildChannel {
    typealias Value = HTTP1WebSocketUpgradeChannel.Value
    let inner: HTTP1WebSocketUpgradeChannel
    let limits: HTTPLimits
    let mayUpgrade: @Sendable (HTTPRequestHead) -> Bool

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let edge = ConnectionGuard(limits: limits, logger: logger)
        do {
            try channel.pipeline.syncOperations.addHandler(edge, position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let value = inner.setup(channel: channel, logger: logger)
        // Hummingbird configures the pipeline synchronously: the decoder is there now.
        do {
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(RequestObserver(edge: edge, mayUpgrade: mayUpgrade), position: .after(decoder))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return value
    }

    func handle(value: Value, logger: Logger) async {
        // A connection the guard closed before its first request (idle, malformed) ends
        // Hummingbird's wait for the upgrade decision with an error it logs as such; here it is
        // the expected end of that connection, logged at debug.
        var quiet = logger
        quiet.handler = ExpectedEndsLogHandler(inner: logger.handler)
        await inner.handle(value: value, logger: quiet)
    }

    /// The server builder for `Application(server:)`.
    static func builder<Live: HTTPResponderBuilder>(live: Live, configuration: HTTP1WebSocketUpgradeChannel.Configuration, limits: HTTPLimits,
                                                    mayUpgrade: @escaping @Sendable (HTTPRequestHead) -> Bool) -> HTTPServerBuilder
        where Live.Responder.Context: WebSocketRequestContext {
        let responder = live.buildResponder()
        return HTTPServerBuilder { http in
            GuardedHTTPChannel(inner: HTTP1WebSocketUpgradeChannel(responder: http, webSocketResponder: responder, configuration: configuration),
                               limits: limits, mayUpgrade: mayUpgrade)
        }
    }
}

/// Logs through `inner`, but "Error handling upgrade result" (a connection closed before its
/// first request was decided) at debug instead of error.
struct ExpectedEndsLogHandler: LogHandler {
    var inner: any LogHandler

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let expected = message.description == "Error handling upgrade result"
        let shown = expected ? Logger.Level.debug : level
        guard shown >= inner.logLevel else { return }
        inner.log(level: shown, message: message, metadata: metadata, source: source, file: file, function: function, line: line)
    }
}
