import Foundation
import RadioLink
import TianyanModel

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
    /// GSSI. Unregistered ISSIs are accepted (digits only); anything else is refused with a reason.
    public func resolve(_ text: String) throws(RadioNetwork.Failure) -> (destination: String, target: Page.Target) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if talkgroups[trimmed] != nil { return (trimmed, .talkgroup) }
        if radios[trimmed] != nil { return (trimmed, .radio) }
        if let issi = aliases[trimmed.lowercased()] { return (issi, .radio) }
        if TetraIdentity.isValidDialDigits(trimmed) { return (trimmed, .radio) }
        throw .badRequest(field: "to", "\"\(text)\" is not a radio ISSI, a radio alias or a talkgroup GSSI of the registry; an identity is 1 to 17 digits")
    }
}

/// Every configured radio gateway, and paging across them.
public final class RadioNetwork: Sendable {
    public enum Failure: Error, CustomStringConvertible, Equatable {
        /// The request is wrong (`field` names what).
        case badRequest(field: String, String)
        /// No such page or gateway.
        case notFound(String)
        /// The request is right but cannot be carried out now.
        case unavailable(String)

        public var description: String {
            switch self {
            case .badRequest(let field, let message): "\(field): \(message)"
            case .notFound(let message), .unavailable(let message): message
            }
        }
    }

    public let gateways: [RadioGatewayService]
    public let directory: RadioDirectory
    private let sink: any RecordSink

    public init(gateways: [RadioGatewayService], directory: RadioDirectory, sink: any RecordSink) {
        self.gateways = gateways
        self.directory = directory
        self.sink = sink
    }

    /// Queues a page through `gateway` (by name) or the first gateway that is ready (else the first
    /// one: it goes out when the line comes up). Every request, refused or not, is audited.
    public func page(_ text: String, to destination: String, requestedBy: String, gateway: String? = nil) throws(Failure) -> Page {
        try audited(action: "page", destination: destination, requestedBy: requestedBy, what: String(text.prefix(200))) { () throws(Failure) in
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw Failure.badRequest(field: "text", "the page text is empty")
            }
            let (to, target) = try directory.resolve(destination)
            let chosen = try choose(gateway)
            do throws(RadioGatewayService.PageError) { return try chosen.page(text, to: to, target: target, requestedBy: requestedBy) } catch {
                throw Failure.badRequest(field: "text", error.description)
            }
        }
    }

    /// Queues a status callout: `status` is a value (`32772`, `0x8004`) or a meaning or label of the
    /// gateway's profile (`en_route`, `On scene`). The emergency status is never sent.
    public func sendStatus(_ status: String, to destination: String, requestedBy: String, gateway: String? = nil) throws(Failure) -> Page {
        try audited(action: "status callout", destination: destination, requestedBy: requestedBy, what: status) { () throws(Failure) in
            let (to, target) = try directory.resolve(destination)
            let chosen = try choose(gateway)
            let value = try Self.statusValue(status, in: chosen.settings.statuses)
            do throws(RadioGatewayService.PageError) {
                return try chosen.sendStatus(value, to: to, target: target, requestedBy: requestedBy)
            } catch {
                throw Failure.badRequest(field: "status", error.description)
            }
        }
    }

    static func statusValue(_ text: String, in table: [UInt16: RadioStatusMeaning]) throws(Failure) -> UInt16 {
        let t = text.trimmingCharacters(in: .whitespaces)
        let value: UInt16?
        if t.lowercased().hasPrefix("0x") { value = UInt16(t.dropFirst(2), radix: 16) } else if let n = UInt16(t) { value = n } else {
            value = table.values.first { $0.meaning.rawValue == t.lowercased() || $0.label.lowercased() == t.lowercased() }?.value
        }
        let known = table.values.filter { $0.meaning != .emergency }.sorted { $0.value < $1.value }
            .map { "\(PEIEngine.statusText($0.value)) \($0.meaning.rawValue) (\($0.label))" }.joined(separator: ", ")
        guard let value else {
            throw .badRequest(field: "status", "\"\(text)\" is not a status value or a status of the gateway's profile; known: \(known)")
        }
        guard value != 0, table[value]?.meaning != .emergency else {
            throw .badRequest(field: "status", "the emergency status is sent by radios, never by a dispatcher")
        }
        return value
    }

    private func choose(_ gateway: String?) throws(Failure) -> RadioGatewayService {
        if let gateway {
            guard let g = gateways.first(where: { $0.name == gateway }) else {
                throw .badRequest(field: "gateway", "no gateway named \"\(gateway)\"; configured: \(gateways.map(\.name).joined(separator: ", "))")
            }
            return g
        }
        guard let g = gateways.first(where: { $0.status.ready }) ?? gateways.first else {
            throw .unavailable("no radio gateway is configured; start the controller with --gateway NAME=URL")
        }
        return g
    }

    /// Runs `body` and writes an audit line whatever the outcome.
    private func audited(action: String, destination: String, requestedBy: String, what: String,
                         _ body: () throws(Failure) -> Page) throws(Failure) -> Page {
        let now = Timestamp.now()
        guard !requestedBy.isEmpty else {
            sink.submit([.audit(AuditEntry(time: now, actor: "unknown", action: action, target: String(destination.prefix(40)),
                                           outcome: "refused", detail: "no requester"))])
            throw .badRequest(field: "requested_by", "say who is paging")
        }
        do {
            let page = try body()
            sink.submit([.audit(AuditEntry(time: now, actor: requestedBy, action: action, target: page.destination, outcome: "queued",
                                           detail: "\(page.id) via \(page.gateway): \(what)"))])
            return page
        } catch {
            sink.submit([.audit(AuditEntry(time: now, actor: requestedBy, action: action, target: String(destination.prefix(40)),
                                           outcome: "refused", detail: error.description))])
            throw error
        }
    }

    /// A recent page held by a gateway (older ones are in the store).
    public func page(id: String) -> Page? {
        for g in gateways { if let p = g.page(id: id) { return p } }
        return nil
    }

    public var statuses: [RadioGatewayService.Status] { gateways.map(\.status) }
}
