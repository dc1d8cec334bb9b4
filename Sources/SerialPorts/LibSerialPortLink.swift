import CLibSerialPort
import Foundation
import Logging

/// The one owner of an `sp_port`: closed and freed on release.
final class SerialPortHandle: LinkHandle, @unchecked Sendable {
    // Invariant: `port` is used for writes only under LinkCore's lock while the handle is live,
    // and released exactly once by the reader thread.
    private let port: OpaquePointer
    let descriptor: Int32

    init(port: OpaquePointer, descriptor: Int32) {
        self.port = port
        self.descriptor = descriptor
    }

    func writeSome(_ buffer: UnsafeRawBufferPointer) -> WriteOutcome {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .wrote(0) }
        let rc = sp_nonblocking_write(port, base, buffer.count)
        if rc.rawValue > 0 { return .wrote(Int(rc.rawValue)) }
        if rc.rawValue == 0 { return .wouldBlock }
        return .failed(libraryError(rc, "write", code: .io).message)
    }

    func release() {
        sp_close(port)
        sp_free_port(port)
    }
}

/// A real serial port through libserialport. It refuses ptys and anything without an entry in
/// /sys/class/tty (code `.refusedByLibrary`); `SerialLinkFactory` then uses `TermiosLink`.
public final class LibSerialPortLink: ByteLink {
    private let core: LinkCore

    public var name: String { core.name }
    public var bytes: AsyncStream<[UInt8]> { core.bytes }
    public var state: LinkState { core.linkState }

    private init(core: LinkCore) { self.core = core }

    /// Opens `path` (symlinks such as /dev/serial/by-id/… are resolved first) and applies
    /// `settings`. Every libserialport failure carries its own message.
    public static func open(path: String, settings: SerialSettings = SerialSettings(),
                            logger: Logger = Logger(label: "tianyan.serial")) throws(SerialPortError) -> LibSerialPortLink {
        let device = try resolve(path)
        var found: OpaquePointer?
        let rc = sp_get_port_by_name(device, &found)
        guard rc == SP_OK, let port = found else {
            // libserialport 0.1.1 answers SP_ERR_ARG for any name without a /sys/class/tty entry.
            let detail = rc == SP_ERR_ARG ? "\(device) has no entry in /sys/class/tty"
                : libraryError(rc, "sp_get_port_by_name", code: .refusedByLibrary).message
            throw SerialPortError(.refusedByLibrary, "\(path) refused by libserialport (\(detail)); ptys and socat links need plain termios")
        }
        var opened = false
        defer { if !opened { sp_free_port(port) } }
        let openRC = sp_open(port, SP_MODE_READ_WRITE)
        guard openRC == SP_OK else {
            let e = libraryError(openRC, "cannot open \(path)", code: .io)
            switch e.systemError {
            case EACCES, EPERM: throw SerialPortError(.permissionDenied, e.message, systemError: e.systemError)
            case ENOTTY, EINVAL: throw SerialPortError(.refusedByLibrary, "\(path) refused by libserialport (\(e.message)); ptys have no modem-control lines and need plain termios", systemError: e.systemError)
            case ENOENT, ENODEV, ENXIO: throw SerialPortError(.notFound, e.message, systemError: e.systemError)
            default: throw e
            }
        }
        do {
            try apply(settings, to: port, path: path)
        } catch {
            sp_close(port)
            throw error
        }
        var fd: Int32 = -1
        do {
            try check(withUnsafeMutableBytes(of: &fd) { sp_get_port_handle(port, $0.baseAddress) }, "cannot get the descriptor of \(path)", code: .io)
        } catch {
            sp_close(port)
            throw error
        }
        opened = true
        // libserialport does not open close-on-exec: a child the controller spawns (a simulator,
        // the demo's broker) would inherit the port and hold it open after we close it.
        _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
        let core = LinkCore(name: path, handle: SerialPortHandle(port: port, descriptor: fd), logger: logger)
        core.start()
        logger.debug("libserialport link open", metadata: ["serial.port": "\(path)", "serial.device": "\(device)"])
        return LibSerialPortLink(core: core)
    }

    public func write(_ bytes: [UInt8]) async throws(SerialPortError) { try await core.write(bytes) }

    public func close() { core.markClosed("closed by caller") }

    /// The real device behind `path`, or `.notFound` naming it.
    static func resolve(_ path: String) throws(SerialPortError) -> String {
        guard let real = realpath(path, nil) else {
            let e = errno
            throw SerialPortError(e == EACCES ? .permissionDenied : .notFound,
                                  "cannot open \(path): \(errnoText(e))\(advice(forOpenErrno: e))", systemError: e)
        }
        defer { free(real) }
        return String(cString: real)
    }

    private static func apply(_ s: SerialSettings, to port: OpaquePointer, path: String) throws(SerialPortError) {
        try check(sp_set_baudrate(port, Int32(s.baudRate)), "cannot set \(s.baudRate) baud on \(path)")
        try check(sp_set_bits(port, Int32(s.dataBits)), "cannot set \(s.dataBits) data bits on \(path)")
        let parity: sp_parity = switch s.parity {
        case .none: SP_PARITY_NONE
        case .odd: SP_PARITY_ODD
        case .even: SP_PARITY_EVEN
        }
        try check(sp_set_parity(port, parity), "cannot set parity \(s.parity.rawValue) on \(path)")
        try check(sp_set_stopbits(port, Int32(s.stopBits)), "cannot set \(s.stopBits) stop bits on \(path)")
        let flow: sp_flowcontrol = s.flowControl == .rtscts ? SP_FLOWCONTROL_RTSCTS : SP_FLOWCONTROL_NONE
        try check(sp_set_flowcontrol(port, flow), "cannot set flow control \(s.flowControl.rawValue) on \(path)")
    }
}
