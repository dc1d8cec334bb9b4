import Logging

/// Opens the right kind of link for a gateway URL.
public struct SerialLinkFactory: Sendable {
    public var logger: Logger
    public var connectTimeout: Duration

    public init(logger: Logger = Logger(label: "tianyan.serial"), connectTimeout: Duration = .seconds(5)) {
        self.logger = logger
        self.connectTimeout = connectTimeout
    }

    /// `tcp://` → `TCPLink`; `udp://` → `UDPLink` (a `DatagramLink`); `serial://` → `LibSerialPortLink` when libserialport accepts the
    /// device, else `TermiosLink` (ptys, socat links), logging why.
    public func open(url: GatewayURL) async throws(SerialPortError) -> any ByteLink {
        switch url.endpoint {
        case .tcp(let host, let port):
            return try await TCPLink.connect(host: host, port: port, timeout: connectTimeout, logger: logger)
        case .udp(let host, let port, let localPort):
            return try await UDPLink.open(host: host, port: port, localPort: localPort, logger: logger)
        case .serial(let path, let settings):
            return try openSerial(path: path, settings: settings)
        case .listen(let scheme, _, _):
            throw SerialPortError(.invalidURL, "\(url) is a server the controller runs (\(scheme)://), not a line it opens")
        }
    }

    public func openSerial(path: String, settings: SerialSettings) throws(SerialPortError) -> any ByteLink {
        do {
            return try LibSerialPortLink.open(path: path, settings: settings, logger: logger)
        } catch where error.code == .refusedByLibrary {
            logger.info("using plain termios", metadata: ["serial.port": "\(path)", "reason": "\(error.message)"])
            return try TermiosLink.open(path: path, settings: settings, logger: logger)
        }
    }
}
