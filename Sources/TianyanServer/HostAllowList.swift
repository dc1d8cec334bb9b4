import Foundation

/// The Host names requests may carry, against DNS rebinding: a page on another site whose name
/// is made to resolve to this controller's address would otherwise reach the API from a browser
/// behind the firewall. Such a request always names the attacker's host, so a request naming a
/// host not on the list is refused (421). IP address literals are always allowed (a rebinding
/// needs a name), and so is a request without Host (not a browser).
struct HostAllowList: Sendable {
    let names: Set<String>
    let anyHost: Bool

    /// `configured` is `http.allowed_hosts`; when it is empty: the listen address's host,
    /// localhost and the host of `http.public_url`.
    init(configured: [String], listenHost: String, publicURL: String) {
        if configured.contains("*") {
            names = []
            anyHost = true
            return
        }
        anyHost = false
        var set = Set(configured.map { Self.normalized($0) })
        if configured.isEmpty {
            set.insert("localhost")
            set.insert(Self.normalized(listenHost))
            if let host = URLComponents(string: publicURL)?.host, !host.isEmpty { set.insert(Self.normalized(host)) }
        }
        names = set
    }

    func allows(_ hostHeader: String?) -> Bool {
        guard !anyHost, let hostHeader else { return true }
        let host = Self.normalized(Self.withoutPort(hostHeader))
        return names.contains(host) || Self.isAddressLiteral(host)
    }

    /// `example.cn:8080` → `example.cn`; `[::1]:8080` → `[::1]`.
    static func withoutPort(_ text: String) -> String {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("[") { return t.firstIndex(of: "]").map { String(t[...$0]) } ?? t }
        if let colon = t.lastIndex(of: ":"), t.firstIndex(of: ":") == colon { return String(t[..<colon]) }
        return t
    }

    /// Lower case, without brackets and a trailing dot.
    static func normalized(_ host: String) -> String {
        var h = host.lowercased()
        if h.hasPrefix("["), h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h.hasSuffix(".") { h.removeLast() }
        return h
    }

    static func isAddressLiteral(_ host: String) -> Bool {
        if host.contains(":") { return host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." } }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCIIDigit) && Int(p)! <= 255 }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
