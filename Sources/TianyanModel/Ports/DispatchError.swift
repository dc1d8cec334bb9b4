/// The one error the dispatch layer and the store ports throw for what a caller did or asked:
/// the server maps it to HTTP in one place (not found 404, conflict 409, invalid 400,
/// unavailable 503).
public struct DispatchError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// The thing named does not exist.
        case notFound = "not_found"
        /// It exists, but its state does not allow this (already cleared, a name taken).
        case conflict
        /// The request itself is wrong; `field` names the part.
        case invalid
        /// A component needed for it is down (a gateway, the broker, the database).
        case unavailable
    }

    public var kind: Kind
    public var message: String
    /// The request field at fault, for `invalid`.
    public var field: String?

    public init(_ kind: Kind, _ message: String, field: String? = nil) {
        self.kind = kind
        self.message = message
        self.field = field
    }

    public static func notFound(_ message: String) -> DispatchError { DispatchError(.notFound, message) }
    public static func conflict(_ message: String) -> DispatchError { DispatchError(.conflict, message) }
    public static func invalid(_ message: String, field: String? = nil) -> DispatchError { DispatchError(.invalid, message, field: field) }
    public static func unavailable(_ message: String) -> DispatchError { DispatchError(.unavailable, message) }

    public var description: String { message }

    /// The message with the field it names in front (`to: "x" is not a radio …`), for audit lines.
    public var detail: String { field.map { "\($0): \(message)" } ?? message }
}
