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
        let now = Timestamp.now()
        do {
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw Failure.badRequest(field: "text", "the page text is empty")
            }
            guard !requestedBy.isEmpty else { throw Failure.badRequest(field: "requested_by", "say who is paging") }
            let (to, target) = try directory.resolve(destination)
            let chosen: RadioGatewayService
            if let gateway {
                guard let g = gateways.first(where: { $0.name == gateway }) else {
                    throw Failure.badRequest(field: "gateway", "no gateway named \"\(gateway)\"; configured: \(gateways.map(\.name).joined(separator: ", "))")
                }
                chosen = g
            } else {
                guard let g = gateways.first(where: { $0.status.ready }) ?? gateways.first else {
                    throw Failure.unavailable("no radio gateway is configured; start the controller with --gateway NAME=URL")
                }
                chosen = g
            }
            let page: Page
            do { page = try chosen.page(text, to: to, target: target, requestedBy: requestedBy) } catch {
                throw Failure.badRequest(field: "text", error.description)
            }
            sink.submit([.audit(AuditEntry(time: now, actor: requestedBy, action: "page", target: to, outcome: "queued",
                                           detail: "\(page.id) via \(chosen.name): \(String(text.prefix(200)))"))])
            return page
        } catch let failure as Failure {
            sink.submit([.audit(AuditEntry(time: now, actor: requestedBy.isEmpty ? "unknown" : requestedBy, action: "page",
                                           target: String(destination.prefix(40)), outcome: "refused", detail: failure.description))])
            throw failure
        } catch {
            throw .unavailable("\(error)")
        }
    }

    /// A recent page held by a gateway (older ones are in the store).
    public func page(id: String) -> Page? {
        for g in gateways { if let p = g.page(id: id) { return p } }
        return nil
    }

    public var statuses: [RadioGatewayService.Status] { gateways.map(\.status) }
}
