/// A request the radio link refuses, with what was wrong and how to fix it.
public struct RadioLinkError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case invalidIdentity, messageTooLong, invalidCommand
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A destination or group that is not 1 to 17 digits.
        public static let invalidIdentity = Code(.invalidIdentity)
        /// A text that does not fit one SDS.
        public static let messageTooLong = Code(.messageTooLong)
        /// A command text that would put more than one command on the line.
        public static let invalidCommand = Code(.invalidCommand)

        public var description: String {
            switch value {
            case .invalidIdentity: "invalid identity"
            case .messageTooLong: "message too long"
            case .invalidCommand: "invalid command"
            }
        }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
