import CLibSerialPort
import Glibc

/// What went wrong opening, configuring or using a byte link, naming the device or address
/// and, where one exists, what to do about it.
public struct SerialPortError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case invalidURL, notFound, permissionDenied, refusedByLibrary, notATerminal
            case configuration, connectFailed, timedOut, closed, io, enumeration
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// A gateway URL could not be understood; the message names the bad part.
        public static let invalidURL = Code(.invalidURL)
        /// The device node does not exist (adapter unplugged or renumbered).
        public static let notFound = Code(.notFound)
        /// The device exists but this user may not open it.
        public static let permissionDenied = Code(.permissionDenied)
        /// libserialport does not accept this path (a pty, a socat link, no /sys/class/tty entry).
        /// Plain termios may still open it; `SerialLinkFactory` falls back to that.
        public static let refusedByLibrary = Code(.refusedByLibrary)
        /// The path opened but is not a terminal device.
        public static let notATerminal = Code(.notATerminal)
        /// Baud rate, data bits, parity, stop bits or flow control could not be applied.
        public static let configuration = Code(.configuration)
        public static let connectFailed = Code(.connectFailed)
        public static let timedOut = Code(.timedOut)
        /// The link is closed; the message carries the reason.
        public static let closed = Code(.closed)
        /// A read or write failed.
        public static let io = Code(.io)
        /// Listing serial ports failed.
        public static let enumeration = Code(.enumeration)

        public var description: String { "\(value)" }
    }

    public var code: Code
    public var message: String
    /// The errno behind the failure, when there is one.
    public var systemError: Int32?

    public init(_ code: Code, _ message: String, systemError: Int32? = nil) {
        self.code = code
        self.message = message
        self.systemError = systemError
    }

    public var description: String { message }
}

/// Advice for an errno from opening a device node.
func advice(forOpenErrno e: Int32) -> String {
    switch e {
    case EACCES, EPERM: return " (add the user to group dialout, or check the device's permissions)"
    case ENOENT, ENODEV, ENXIO: return " (is the adapter plugged in? `tianyan ports` lists the serial ports)"
    case EBUSY: return " (another program holds the port; find it with `fuser`)"
    default: return ""
    }
}

func errnoText(_ e: Int32) -> String { String(cString: strerror(e)) }

/// Turns a libserialport return code into an error, reading `sp_last_error_message` at once on
/// this thread and freeing it.
func check(_ rc: sp_return, _ what: @autoclosure () -> String,
           code: SerialPortError.Code = .configuration) throws(SerialPortError) {
    guard rc.rawValue < 0 else { return }
    throw libraryError(rc, what(), code: code)
}

/// The error for a failed libserialport call, with the library's own text (and errno for
/// SP_ERR_FAIL), captured immediately.
func libraryError(_ rc: sp_return, _ what: String, code: SerialPortError.Code) -> SerialPortError {
    switch rc {
    case SP_ERR_FAIL:
        let e = sp_last_error_code()
        var text = "system error \(e)"
        if let m = sp_last_error_message() {
            text = String(cString: m)
            sp_free_error_message(m)
        }
        return SerialPortError(code, "\(what): \(text)\(advice(forOpenErrno: e))", systemError: e)
    case SP_ERR_ARG: return SerialPortError(code, "\(what): invalid argument (libserialport SP_ERR_ARG)")
    case SP_ERR_MEM: return SerialPortError(code, "\(what): out of memory (libserialport SP_ERR_MEM)")
    case SP_ERR_SUPP: return SerialPortError(code, "\(what): not supported by this device or platform (libserialport SP_ERR_SUPP)")
    default: return SerialPortError(code, "\(what): libserialport error \(rc.rawValue)")
    }
}
