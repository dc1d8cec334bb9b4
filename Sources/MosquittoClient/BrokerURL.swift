import Foundation

/// `mqtt://[user[:password]@]host[:port]` or `mqtts://…` (TLS, default port 8883).
public struct BrokerURL: Hashable, Sendable, CustomStringConvertible {
    public var tls: Bool
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?

    public init(tls: Bool = false, host: String, port: Int? = nil, username: String? = nil, password: String? = nil) {
        self.tls = tls
        self.host = host
        self.port = port ?? (tls ? 8883 : 1883)
        self.username = username
        self.password = password
    }

    public init(parsing text: String) throws(MQTTError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw MQTTError(.invalidURL, "\"\(text)\" is not a broker URL; write mqtt://host:port or mqtts://host:port")
        }
        guard scheme == "mqtt" || scheme == "mqtts" else {
            throw MQTTError(.invalidURL, "\"\(text)\": the scheme must be mqtt:// or mqtts://, not \(scheme)://")
        }
        guard let host = components.host, !host.isEmpty else {
            throw MQTTError(.invalidURL, "\"\(text)\" has no host; write mqtt://host:port")
        }
        if let port = components.port, !(1...65_535).contains(port) {
            throw MQTTError(.invalidURL, "\"\(text)\": port \(port) is out of range 1-65535")
        }
        self.init(tls: scheme == "mqtts", host: host, port: components.port,
                  username: components.user?.removingPercentEncoding, password: components.password?.removingPercentEncoding)
    }

    /// The URL without the password, for logs and banners.
    public var description: String {
        let user = username.map { "\($0)@" } ?? ""
        return "\(tls ? "mqtts" : "mqtt")://\(user)\(host):\(port)"
    }
}
