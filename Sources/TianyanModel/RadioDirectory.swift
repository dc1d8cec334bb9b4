import Foundation

/// Radios and talkgroups of the registry, for naming units and resolving page destinations.
public struct RadioDirectory: Sendable {
    private var radios: [String: Radio] = [:]
    private var aliases: [String: String] = [:]
    private var talkgroups: [String: Talkgroup] = [:]

    public init(registry: FleetRegistry) {
        for r in registry.radios {
            radios[r.issi] = r
            aliases[r.alias.lowercased()] = r.issi
        }
        for g in registry.talkgroups { talkgroups[g.gssi] = g }
    }

    /// "alias, person" for a registered radio.
    public func name(ofRadio issi: String) -> String? {
        radios[issi].map { "\($0.alias), \($0.person)" }
    }

    public func talkgroupName(_ gssi: String) -> String? { talkgroups[gssi]?.name }

    /// A destination as a dispatcher types it: an ISSI, a radio alias (`CM-0001`), or a talkgroup
    /// GSSI. Unregistered identities are accepted where `dialable` (the gateway's protocol) says
    /// so; anything else is refused with a reason.
    public func resolve(_ text: String, dialable: (String) -> Bool = RadioDirectory.isDigits)
        throws(DispatchError) -> (destination: String, target: Page.Target) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if talkgroups[trimmed] != nil { return (trimmed, .talkgroup) }
        if radios[trimmed] != nil { return (trimmed, .radio) }
        if let issi = aliases[trimmed.lowercased()] { return (issi, .radio) }
        if dialable(trimmed) { return (trimmed, .radio) }
        throw .invalid("\"\(text)\" is not a radio ISSI, a radio alias or a talkgroup GSSI of the registry; an identity is 1 to 17 digits",
                       field: "to")
    }

    /// 1 to 17 digits: a radio identity any of the networks can dial.
    public static func isDigits(_ text: String) -> Bool {
        (1...17).contains(text.utf8.count) && text.utf8.allSatisfy { (48...57).contains($0) }
    }
}
