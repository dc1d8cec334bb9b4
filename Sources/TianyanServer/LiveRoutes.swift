import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import TianyanModel
import TianyanDispatch

/// The request context of the live feed's WebSocket router. It keeps the connection's channel
/// so that a dropped client that has stopped reading can be cut off.
struct LiveRequestContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<LiveRequestContext>
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}

/// `GET /api/v1/live`: the live feed over a WebSocket. The client logs in first and passes the
/// session token as `?token=` (browsers cannot set headers on a WebSocket) or as
/// `Authorization: Bearer`; then it sends subscribe messages and receives events (see
/// `LiveSubscription` and `LiveEvent`). A client that falls too far behind is closed with
/// code 1008 and the reason.
enum LiveRoutes {
    static let path = "api/v1/live"
    /// Longest subscribe message accepted.
    static let maxMessageBytes = 64 * 1024
    /// Most events in one batch message.
    static let maxBatch = 500
    /// How long a dropped client has to read up to its close frame before the connection is cut.
    static let dropGrace: Duration = .seconds(10)

    /// The decoder takes frames up to a whole message, so that a frame over `frameSize` reaches
    /// `pump`, which closes with 1009 and a reason (the decoder itself would close without one).
    static let serverConfiguration = HTTP1WebSocketUpgradeChannel.Configuration(
        ws: .init(maxFrameSize: maxMessageBytes, autoPing: .enabled(timePeriod: .seconds(30)), closeTimeout: .seconds(5)))

    /// The close reason of a frame over `frameSize`.
    static let frameTooLarge = "frame too large: at most 16384 bytes a frame"
    /// The close reason of a message over `maxMessageBytes`.
    static let messageTooLarge = "message too large: at most 65536 bytes"

    /// Would this request head be upgraded: a GET of the feed's path with a valid session, and
    /// the feed running? Others are not upgraded, and the API route answers them (401 with JSON).
    static func mayUpgrade(_ head: HTTPRequestHead, parts: DispatchServices, sessions: Sessions) -> Bool {
        guard parts.live != nil, head.method == .GET else { return false }
        let uri = URI(head.uri)
        guard uri.path == "/" + path else { return false }
        let authorization = head.headers.first(name: "authorization")
        let token = authorization == nil ? uri.queryParameters["token"].map(String.init) : Sessions.bearer(authorization: authorization)
        guard let token else { return false }
        return sessions.session(for: token) != nil
    }

    /// The session's token and user, from `?token=` or the Authorization header; 401 otherwise.
    static func authorize(_ request: Request, sessions: Sessions) throws -> (token: String, user: User) {
        if request.headers[.authorization] == nil, let token = request.uri.queryParameters["token"].map(String.init) {
            guard let session = sessions.session(for: token) else {
                throw APIError(.unauthorized, "the session has expired or does not exist; log in again", field: "token")
            }
            return (token, session.user)
        }
        guard request.headers[.authorization] != nil else {
            throw APIError(.unauthorized, "log in first: POST /api/v1/session, then connect with ?token=<token> or Authorization: Bearer <token>")
        }
        let user = try sessions.authorize(request, role: nil)
        return (Sessions.bearer(request) ?? "", user)
    }

    /// The plain-HTTP side of the route: requests that were not upgraded (no session, no
    /// `Upgrade: websocket`, or no feed running) get an error that says why.
    static func add(_ on: SortieRoutes.On, parts: DispatchServices, sessions: Sessions) {
        on(.get, path) { request, _ -> Response in
            _ = try authorize(request, sessions: sessions)
            guard parts.live != nil else { throw APIError(.serviceUnavailable, "the live feed is not running") }
            throw APIError(HTTPResponse.Status(code: 426, reasonPhrase: "Upgrade Required"),
                           "this is a WebSocket: connect with Upgrade: websocket, e.g. ws://HOST:PORT/api/v1/live?token=<token>")
        }
    }

    /// The router the WebSocket upgrade is tried against: upgrades only with a valid session.
    static func router(parts: DispatchServices, sessions: Sessions) -> Router<LiveRequestContext> {
        let router = Router(context: LiveRequestContext.self)
        router.ws(RouterPath(path), shouldUpgrade: { request, _ in
            guard parts.live != nil, (try? authorize(request, sessions: sessions)) != nil else { return .dontUpgrade }
            return .upgrade([:])
        }, onUpgrade: { inbound, outbound, context in
            guard let feed = parts.live else { return }
            // The session was valid at the upgrade; if it ended since, the watch below says so.
            let token = context.request.headers[.authorization] == nil
                ? context.request.uri.queryParameters["token"].map(String.init) ?? "" : Sessions.bearer(context.request) ?? ""
            try await serve(feed: feed, inbound: inbound, outbound: outbound, channel: context.requestContext.channel, logger: context.logger,
                            session: (sessions, token))
        })
        return router
    }

    /// One connection: reads subscribe messages, writes what the feed queues for it, and closes
    /// with the reason when the feed drops it.
    static func serve(feed: LiveFeed, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel,
                      logger: Logger, session: (sessions: Sessions, token: String)? = nil) async throws {
        let client = feed.connect()
        defer { feed.disconnect(client) }
        // When the session ends (logout, expiry, user disabled, password changed) so does this.
        if let session {
            let watch = session.sessions.watch(session.token) { client.drop(reason: sessionEnded) }
            defer { session.sessions.unwatch(session.token, watch) }
            try await pump(feed: feed, client: client, inbound: inbound, outbound: outbound, channel: channel, logger: logger)
        } else {
            try await pump(feed: feed, client: client, inbound: inbound, outbound: outbound, channel: channel, logger: logger)
        }
    }

    /// The close reason of a connection whose session ended.
    static let sessionEnded = "session ended"

    static func pump(feed: LiveFeed, client: LiveFeed.Client, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
                     channel: any Channel, logger: Logger) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    // Frames by hand, so that one over `frameSize` is closed with a reason.
                    var message: (text: Bool, data: ByteBuffer)?
                    for try await frame in inbound {
                        guard frame.data.readableBytes <= frameSize else {
                            try await outbound.close(.messageTooLarge, reason: frameTooLarge)
                            break
                        }
                        switch frame.opcode {
                        case .text, .binary: message = (frame.opcode == .text, frame.data)
                        case .continuation:
                            guard message != nil else { continue }
                            var more = frame.data
                            message?.data.writeBuffer(&more)
                        }
                        guard let whole = message, whole.data.readableBytes <= maxMessageBytes else {
                            try await outbound.close(.messageTooLarge, reason: messageTooLarge)
                            break
                        }
                        guard frame.fin else { continue }
                        message = nil
                        guard whole.text else {
                            client.send(.error(.init(field: nil, message: "send subscribe messages as JSON text, not binary")))
                            continue
                        }
                        let text = String(buffer: whole.data)
                        do throws(LiveSubscription.Problem) { client.subscribe(try LiveSubscription(parsing: text)) } catch { client.send(.error(error)) }
                    }
                } catch {
                    logger.debug("live client stopped reading", metadata: ["live.client": "\(client.id)", "error": "\(error)"])
                }
                // The peer closed: end the writer below.
                feed.disconnect(client)
            }
            group.addTask {
                // A dropped client that does not read its close frame is cut off after a grace.
                for await _ in client.drops {
                    try await Task.sleep(for: dropGrace)
                    channel.close(promise: nil)
                }
            }
            for await item in client.outgoing {
                switch item {
                case .events(let pending) where pending.count > 1 && client.subscription.batch:
                    for message in batchMessages(pending) { try await writeText(message, to: outbound) }
                    client.didSend(pending.count)
                case .events(let pending):
                    for piece in pending.pieces {
                        switch piece {
                        case .batch(let round):
                            for message in round.shared({ SingleMessages(round.events) }).buffers { try await writeText(message, to: outbound) }
                        case .events(let events, _):
                            for e in events { try await writeText(ByteBuffer(string: e.text), to: outbound) }
                        }
                    }
                    client.didSend(pending.count)
                case .close(let reason):
                    logger.info("live client closed", metadata: ["live.client": "\(client.id)", "reason": "\(reason)"])
                    try await outbound.close(.policyViolation, reason: reason)
                }
            }
            group.cancelAll()
        }
    }

    /// Largest frame written (HummingbirdWSClient and others accept 16 KiB by default); longer
    /// messages go out in continuation frames.
    static let frameSize = 1 << 14

    /// The round's events, one message each, encoded once for every client.
    struct SingleMessages: Sendable {
        let buffers: [ByteBuffer]
        init(_ events: [LiveEvent]) { buffers = events.map { ByteBuffer(string: $0.text) } }
    }

    /// The round as one batch message, encoded once for every client that gets all of it.
    struct BatchMessage: Sendable {
        let buffer: ByteBuffer
    }

    /// `{"data":[events],"type":"batch"}` messages of at most `maxBatch` events. A client that
    /// has exactly one whole round waiting (the usual case) gets the round's shared message;
    /// others get theirs made from the events' encoded text.
    static func batchMessages(_ pending: LiveFeed.Pending) -> [ByteBuffer] {
        if pending.pieces.count == 1, case .batch(let round) = pending.pieces[0], round.count <= maxBatch {
            return [round.shared { BatchMessage(buffer: batchMessage(round.events[...], bytes: round.bytes)) }.buffer]
        }
        let events = pending.events
        var out: [ByteBuffer] = []
        var start = 0
        while start < events.count {
            let part = events[start..<min(start + maxBatch, events.count)]
            out.append(batchMessage(part, bytes: part.reduce(0) { $0 + $1.text.utf8.count }))
            start += part.count
        }
        return out
    }

    static func batchMessage(_ events: ArraySlice<LiveEvent>, bytes: Int) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes + events.count + 32)
        buffer.writeStaticString(#"{"data":["#)
        var first = true
        for e in events {
            if !first { buffer.writeInteger(UInt8(ascii: ",")) }
            first = false
            buffer.writeString(e.text)
        }
        buffer.writeStaticString(#"],"type":"batch"}"#)
        return buffer
    }

    /// Writes one text message, in frames of at most `frameSize` (slices of the same bytes).
    static func writeText(_ message: ByteBuffer, to outbound: WebSocketOutboundWriter) async throws {
        let total = message.readableBytes
        guard total > frameSize else {
            try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: message)))
            return
        }
        var offset = 0
        while offset < total {
            let length = min(frameSize, total - offset)
            let slice = message.getSlice(at: message.readerIndex + offset, length: length)!
            try await outbound.write(.custom(WebSocketFrame(fin: offset + length == total, opcode: offset == 0 ? .text : .continuation, data: slice)))
            offset += length
        }
    }
}
