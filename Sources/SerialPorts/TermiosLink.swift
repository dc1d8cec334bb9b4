import Foundation
import Logging

/// A serial link through plain termios: for ptys, socat links and any tty that libserialport
/// refuses. Raw mode, the URL's baud rate, data bits, parity, stop bits and RTS/CTS.
public final class TermiosLink: ByteLink {
    private let core: LinkCore

    public var name: String { core.name }
    public var bytes: AsyncStream<[UInt8]> { core.bytes }
    public var state: LinkState { core.linkState }

    private init(core: LinkCore) { self.core = core }

    /// Opens `path` (following symlinks) and applies `settings`.
    public static func open(path: String, settings: SerialSettings = SerialSettings(),
                            logger: Logger = Logger(label: "tianyan.serial")) throws(SerialPortError) -> TermiosLink {
        let fd = Glibc.open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            let code: SerialPortError.Code = switch e {
            case ENOENT, ENODEV, ENXIO: .notFound
            case EACCES, EPERM: .permissionDenied
            default: .io
            }
            throw SerialPortError(code, "cannot open \(path): \(errnoText(e))\(advice(forOpenErrno: e))", systemError: e)
        }
        do {
            try configure(fd: fd, path: path, settings: settings)
        } catch {
            Glibc.close(fd)
            throw error
        }
        let core = LinkCore(name: path, handle: DescriptorHandle(descriptor: fd), logger: logger)
        core.start()
        logger.debug("termios link open", metadata: ["serial.port": "\(path)"])
        return TermiosLink(core: core)
    }

    public func write(_ bytes: [UInt8]) async throws(SerialPortError) { try await core.write(bytes) }

    public func close() { core.markClosed("closed by caller") }

    private static func configure(fd: Int32, path: String, settings: SerialSettings) throws(SerialPortError) {
        var t = termios()
        guard tcgetattr(fd, &t) == 0 else {
            let e = errno
            throw SerialPortError(.notATerminal, "\(path) is not a serial device or terminal (\(errnoText(e))); give the path of a tty such as /dev/ttyUSB0", systemError: e)
        }
        cfmakeraw(&t)
        guard let speed = termiosSpeed(settings.baudRate) else {
            throw SerialPortError(.configuration, "cannot set \(settings.baudRate) baud on \(path): termios has no such rate")
        }
        guard cfsetspeed(&t, speed) == 0 else {
            let e = errno
            throw SerialPortError(.configuration, "cannot set \(settings.baudRate) baud on \(path): \(errnoText(e))", systemError: e)
        }
        t.c_cflag &= ~tcflag_t(CSIZE)
        switch settings.dataBits {
        case 5: t.c_cflag |= tcflag_t(CS5)
        case 6: t.c_cflag |= tcflag_t(CS6)
        case 7: t.c_cflag |= tcflag_t(CS7)
        default: t.c_cflag |= tcflag_t(CS8)
        }
        switch settings.parity {
        case .none: t.c_cflag &= ~tcflag_t(PARENB | PARODD)
        case .even: t.c_cflag |= tcflag_t(PARENB); t.c_cflag &= ~tcflag_t(PARODD)
        case .odd: t.c_cflag |= tcflag_t(PARENB | PARODD)
        }
        if settings.stopBits == 2 { t.c_cflag |= tcflag_t(CSTOPB) } else { t.c_cflag &= ~tcflag_t(CSTOPB) }
        if settings.flowControl == .rtscts { t.c_cflag |= tcflag_t(CRTSCTS) } else { t.c_cflag &= ~tcflag_t(CRTSCTS) }
        t.c_cflag |= tcflag_t(CLOCAL | CREAD)
        // Non-blocking reads driven by poll: VMIN/VTIME play no part.
        withUnsafeMutableBytes(of: &t.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(fd, TCSANOW, &t) == 0 else {
            let e = errno
            throw SerialPortError(.configuration, "cannot apply line settings to \(path): \(errnoText(e))", systemError: e)
        }
        tcflush(fd, TCIOFLUSH)
    }

    static func termiosSpeed(_ baud: Int) -> speed_t? {
        let table: [Int: Int32] = [
            1200: B1200, 2400: B2400, 4800: B4800, 9600: B9600, 19200: B19200, 38400: B38400,
            57600: B57600, 115200: B115200, 230400: B230400, 460800: B460800, 500000: B500000,
            576000: B576000, 921600: B921600, 1000000: B1000000, 1152000: B1152000,
            1500000: B1500000, 2000000: B2000000,
        ]
        return table[baud].map { speed_t($0) }
    }
}
