import Foundation

/// Where a radio gateway is reached: a serial device or a TCP address, with the line settings
/// and the firmware profile to speak.
///
/// `serial:///dev/ttyUSB0?baud=38400&bits=8&parity=none&stop=1&flow=rtscts&profile=NAME`
/// `tcp://host:port?profile=NAME`
/// `udp://host:port?local_port=N&profile=NAME` (datagrams: each message one datagram)
public struct GatewayURL: Hashable, Sendable, CustomStringConvertible {
    public enum Endpoint: Hashable, Sendable {
        case serial(path: String, settings: SerialSettings)
        case tcp(host: String, port: UInt16)
        /// A gateway reached by UDP; `localPort` is the port it sends to (nil: any free port).
        case udp(host: String, port: UInt16, localPort: UInt16?)
        /// A server the controller runs for terminals that connect to it (`jt808://0.0.0.0:7611`);
        /// port 0 lets the system choose.
        case listen(scheme: String, host: String, port: UInt16)
    }

    public var endpoint: Endpoint
    /// The gateway firmware profile named by `profile=`, if any.
    public var profile: String?
    /// The line settings the URL gave explicitly (`baud`, `bits`, `parity`, `stop`, `flow`); the
    /// others may come from the profile (`withDefaults`).
    public var givenSettings: Set<String> = []

    public init(endpoint: Endpoint, profile: String? = nil) {
        self.endpoint = endpoint
        self.profile = profile
    }

    /// Parses a gateway URL; the error names the part that is wrong and shows a correct form.
    public init(parsing text: String) throws(SerialPortError) {
        func bad(_ why: String) -> SerialPortError {
            SerialPortError(.invalidURL, "gateway URL \(text): \(why)")
        }
        guard let schemeEnd = text.range(of: "://") else {
            throw bad("no scheme; write serial:///dev/ttyUSB0?baud=38400 or tcp://host:port")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        let rest = text[schemeEnd.upperBound...]
        let location: Substring
        var query: [(String, String)] = []
        if let q = rest.firstIndex(of: "?") {
            location = rest[..<q]
            for pair in rest[rest.index(after: q)...].split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty else {
                    throw bad("query item '\(pair)' is not name=value")
                }
                let key = String(parts[0]).lowercased()
                if query.contains(where: { $0.0 == key }) { throw bad("'\(key)' is given twice") }
                query.append((key, String(parts[1]).removingPercentEncodingIfAny))
            }
        } else {
            location = rest
        }
        func value(_ key: String) -> String? { query.first { $0.0 == key }?.1 }

        var profile: String?
        if let p = value("profile") {
            guard !p.isEmpty else { throw bad("profile= is empty; name a gateway profile or leave it out") }
            profile = p
        }

        switch scheme {
        case "serial":
            let allowed: Set = ["baud", "bits", "parity", "stop", "flow", "profile"]
            if let unknown = query.first(where: { !allowed.contains($0.0) }) {
                throw bad("unknown setting '\(unknown.0)'; serial URLs take baud, bits, parity, stop, flow and profile")
            }
            guard location.hasPrefix("/") else {
                throw bad("the device path must be absolute, after three slashes: serial:///dev/ttyUSB0")
            }
            let path = String(location).removingPercentEncodingIfAny
            guard path.count > 1, !path.hasSuffix("/") else { throw bad("no device path; write serial:///dev/ttyUSB0") }
            var s = SerialSettings()
            if let b = value("baud") {
                guard let n = Int(b), SerialSettings.supportedBaudRates.contains(n) else {
                    throw bad("baud=\(b) is not a supported rate; use one of \(SerialSettings.supportedBaudRates.map(String.init).joined(separator: ", "))")
                }
                s.baudRate = n
            }
            if let b = value("bits") {
                guard let n = Int(b), (5...8).contains(n) else { throw bad("bits=\(b) must be 5, 6, 7 or 8") }
                s.dataBits = n
            }
            if let p = value("parity") {
                guard let v = SerialSettings.Parity(rawValue: p.lowercased()) else {
                    throw bad("parity=\(p) must be none, odd or even")
                }
                s.parity = v
            }
            if let st = value("stop") {
                guard let n = Int(st), n == 1 || n == 2 else { throw bad("stop=\(st) must be 1 or 2") }
                s.stopBits = n
            }
            if let f = value("flow") {
                guard let v = SerialSettings.FlowControl(rawValue: f.lowercased()) else {
                    throw bad("flow=\(f) must be rtscts or none")
                }
                s.flowControl = v
            }
            self.init(endpoint: .serial(path: path, settings: s), profile: profile)
            givenSettings = Set(query.map(\.0)).subtracting(["profile"])

        case "tcp", "udp", "jt808":
            let allowed: Set = scheme == "udp" ? ["profile", "local_port"] : ["profile"]
            if let unknown = query.first(where: { !allowed.contains($0.0) }) {
                throw bad(scheme == "udp" ? "unknown setting '\(unknown.0)'; udp URLs take local_port and profile"
                                          : "unknown setting '\(unknown.0)'; tcp URLs take only profile (line settings belong to the gateway)")
            }
            var hostPart: Substring
            var portPart: Substring?
            var loc = location
            if loc.hasSuffix("/") { loc = loc.dropLast() }
            if loc.hasPrefix("[") {
                guard let close = loc.firstIndex(of: "]") else { throw bad("IPv6 address has no closing ]") }
                hostPart = loc[loc.index(after: loc.startIndex)..<close]
                let after = loc[loc.index(after: close)...]
                if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty { throw bad("unexpected '\(after)' after the IPv6 address") }
            } else if let colon = loc.lastIndex(of: ":") {
                hostPart = loc[..<colon]
                portPart = loc[loc.index(after: colon)...]
            } else {
                hostPart = loc
            }
            guard !hostPart.isEmpty else { throw bad("no host; write \(scheme)://host:port") }
            guard !hostPart.contains("/") else { throw bad("\(scheme) URLs have no path; write \(scheme)://host:port") }
            guard let portText = portPart, !portText.isEmpty else {
                throw bad("no port; write \(scheme)://\(hostPart):PORT (gateways have no default port)")
            }
            guard let port = UInt16(portText), port > 0 || scheme == "jt808" else { throw bad("port \(portText) must be a number from 1 to 65535") }
            if scheme == "jt808" {
                self.init(endpoint: .listen(scheme: scheme, host: String(hostPart), port: port), profile: profile ?? "jt808")
            } else if scheme == "udp" {
                var local: UInt16?
                if let l = value("local_port") {
                    guard let n = UInt16(l), n > 0 else { throw bad("local_port=\(l) must be a number from 1 to 65535") }
                    local = n
                }
                self.init(endpoint: .udp(host: String(hostPart), port: port, localPort: local), profile: profile)
            } else {
                self.init(endpoint: .tcp(host: String(hostPart), port: port), profile: profile)
            }

        default:
            throw bad("scheme '\(scheme)' is not serial, tcp, udp or jt808")
        }
    }

    /// The URL with every line setting it did not give taken from `defaults` (a profile's).
    public func withDefaults(_ defaults: SerialSettings) -> GatewayURL {
        guard case .serial(let path, var s) = endpoint else { return self }
        if !givenSettings.contains("baud") { s.baudRate = defaults.baudRate }
        if !givenSettings.contains("bits") { s.dataBits = defaults.dataBits }
        if !givenSettings.contains("parity") { s.parity = defaults.parity }
        if !givenSettings.contains("stop") { s.stopBits = defaults.stopBits }
        if !givenSettings.contains("flow") { s.flowControl = defaults.flowControl }
        var copy = self
        copy.endpoint = .serial(path: path, settings: s)
        return copy
    }

    public var description: String {
        var out: String
        var items: [String] = []
        switch endpoint {
        case .serial(let path, let s):
            out = "serial://\(path)"
            items = ["baud=\(s.baudRate)", "bits=\(s.dataBits)", "parity=\(s.parity.rawValue)",
                     "stop=\(s.stopBits)", "flow=\(s.flowControl.rawValue)"]
        case .tcp(let host, let port):
            out = host.contains(":") ? "tcp://[\(host)]:\(port)" : "tcp://\(host):\(port)"
        case .udp(let host, let port, let local):
            out = host.contains(":") ? "udp://[\(host)]:\(port)" : "udp://\(host):\(port)"
            if let local { items.append("local_port=\(local)") }
        case .listen(let scheme, let host, let port):
            out = host.contains(":") ? "\(scheme)://[\(host)]:\(port)" : "\(scheme)://\(host):\(port)"
        }
        if let profile { items.append("profile=\(profile)") }
        if !items.isEmpty { out += "?" + items.joined(separator: "&") }
        return out
    }
}

/// Line settings of a serial link. Defaults are 38400 8N1 without flow control.
public struct SerialSettings: Hashable, Sendable {
    public enum Parity: String, Hashable, Sendable, CaseIterable { case none, odd, even }
    public enum FlowControl: String, Hashable, Sendable, CaseIterable { case none, rtscts }

    public var baudRate: Int
    public var dataBits: Int
    public var parity: Parity
    public var stopBits: Int
    public var flowControl: FlowControl

    public init(baudRate: Int = 38400, dataBits: Int = 8, parity: Parity = .none, stopBits: Int = 1,
                flowControl: FlowControl = .none) {
        self.baudRate = baudRate
        self.dataBits = dataBits
        self.parity = parity
        self.stopBits = stopBits
        self.flowControl = flowControl
    }

    /// Rates that both termios (as a Bnnn constant) and libserialport can set.
    public static let supportedBaudRates: [Int] = [
        1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600,
        1000000, 1152000, 1500000, 2000000,
    ]
}

extension String {
    /// Percent-decodes `%XX` sequences; other text is left as it is.
    var removingPercentEncodingIfAny: String {
        guard contains("%") else { return self }
        let u = Array(utf8)
        var bytes: [UInt8] = []
        var k = 0
        while k < u.count {
            if u[k] == UInt8(ascii: "%"), k + 2 < u.count,
               let v = UInt8(String(decoding: u[(k + 1)...(k + 2)], as: UTF8.self), radix: 16) {
                bytes.append(v)
                k += 3
            } else {
                bytes.append(u[k])
                k += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
