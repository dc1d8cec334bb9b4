/// Errors of the store, in the swift-server shape: a stable code and a message that says what to do.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case openFailed, sqlite, unsupportedURL, invalidArgument
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public static let openFailed = Code(.openFailed)
        public static let sqlite = Code(.sqlite)
        public static let unsupportedURL = Code(.unsupportedURL)
        public static let invalidArgument = Code(.invalidArgument)
        public var description: String { String(describing: base) }
    }

    public var code: Code
    public var message: String
    /// The SQLite result code, when SQLite produced the error.
    public var sqliteCode: Int32?

    public init(code: Code, message: String, sqliteCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.sqliteCode = sqliteCode
    }

    public var description: String { message }
}
