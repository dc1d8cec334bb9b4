import CMosquitto

/// What went wrong talking to the broker, with libmosquitto's code and text where there is one.
public struct MQTTError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case invalidURL, library, notConnected, journal, cancelled, timedOut
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The broker URL could not be understood.
        public static let invalidURL = Code(.invalidURL)
        /// libmosquitto returned an error code.
        public static let library = Code(.library)
        public static let notConnected = Code(.notConnected)
        /// The message journal could not be written or read.
        public static let journal = Code(.journal)
        public static let cancelled = Code(.cancelled)
        public static let timedOut = Code(.timedOut)

        public var description: String { "\(value)" }
    }

    public var code: Code
    /// libmosquitto's return code, when the error came from it.
    public var libraryCode: Int32?
    public var message: String

    public init(_ code: Code, _ message: String, libraryCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.libraryCode = libraryCode
    }

    public var description: String { message }
}

/// Turns a libmosquitto return code into an error, reading its text at once on this thread.
@inline(__always)
func check(_ rc: Int32, _ what: @autoclosure () -> String) throws(MQTTError) {
    guard rc != Int32(MOSQ_ERR_SUCCESS.rawValue) else { return }
    let text = String(cString: mosquitto_strerror(rc))
    if rc == Int32(MOSQ_ERR_NO_CONN.rawValue) {
        throw MQTTError(.notConnected, "\(what()): \(text)", libraryCode: rc)
    }
    throw MQTTError(.library, "\(what()): \(text)", libraryCode: rc)
}
