/// Whether a link can carry bytes.
public enum LinkState: Hashable, Sendable, CustomStringConvertible {
    case open
    case closed(reason: String)

    public var isOpen: Bool { self == .open }

    public var description: String {
        switch self {
        case .open: "open"
        case .closed(let reason): "closed (\(reason))"
        }
    }
}

/// A bidirectional byte pipe to a gateway: a serial port or a TCP connection.
///
/// `bytes` yields chunks as they were read and finishes when the link closes, for whatever
/// reason; `state` then says why. A link is used once: to try again, open a new one (or use
/// `ReconnectingLink`).
public protocol ByteLink: AnyObject, Sendable {
    /// What the link is connected to, for logs and errors (a device path or host:port).
    var name: String { get }
    var bytes: AsyncStream<[UInt8]> { get }
    var state: LinkState { get }
    /// Writes all of `bytes`, or throws naming the link (closed, write failed, stalled).
    func write(_ bytes: [UInt8]) async throws(SerialPortError)
    /// Closes the link; `bytes` finishes soon after. Safe to call more than once.
    func close()
}
