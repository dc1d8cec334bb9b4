import Foundation
import TianyanModel

/// Every configured radio gateway, and paging across them.
public final class RadioNetwork: Sendable {
    public typealias Failure = DispatchError

    public let gateways: [any RadioGateway]
    public let directory: RadioDirectory
    private let sink: any RecordSink

    public init(gateways: [any RadioGateway], directory: RadioDirectory, sink: any RecordSink) {
        self.gateways = gateways
        self.directory = directory
        self.sink = sink
    }

    /// Queues a page through `gateway` (by name) or the first gateway that is ready (else the first
    /// one: it goes out when the line comes up). Every request, refused or not, is audited.
    public func page(_ text: String, to destination: String, requestedBy: String, gateway: String? = nil) throws(Failure) -> Page {
        try audited(action: "page", destination: destination, requestedBy: requestedBy, what: String(text.prefix(200))) { () throws(Failure) in
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw DispatchError.invalid("the page text is empty", field: "text")
            }
            let (to, target) = try directory.resolve(destination, dialable: dialable)
            return try choose(gateway, for: to).page(text, to: to, target: target, requestedBy: requestedBy)
        }
    }

    /// Queues a status callout: `status` is a value (`32772`, `0x8004`) or a meaning or label of the
    /// gateway's profile (`en_route`, `On scene`). The emergency status is never sent.
    public func sendStatus(_ status: String, to destination: String, requestedBy: String, gateway: String? = nil) throws(Failure) -> Page {
        try audited(action: "status callout", destination: destination, requestedBy: requestedBy, what: status) { () throws(Failure) in
            let (to, target) = try directory.resolve(destination, dialable: dialable)
            return try choose(gateway, for: to).sendStatus(status, to: to, target: target, requestedBy: requestedBy)
        }
    }

    /// Queues a radio check, remote monitor, stun or revive of a radio (by ID or alias) through
    /// `gateway` or the one that last heard it. Audited, refusals too.
    public func control(_ action: String, to destination: String, requestedBy: String, gateway: String? = nil) throws(Failure) -> RadioControl {
        let now = Timestamp.now()
        let trimmed = action.trimmingCharacters(in: .whitespaces).lowercased()
        do throws(DispatchError) {
            guard !requestedBy.isEmpty else { throw DispatchError.invalid("say who asks", field: "requested_by") }
            guard let a = RadioControlAction(rawValue: trimmed) else {
                throw DispatchError.invalid("\"\(action)\" is not a radio control; use one of \(RadioControlAction.allCases.map(\.rawValue).joined(separator: ", "))",
                                            field: "action")
            }
            let (to, target) = try directory.resolve(destination, dialable: dialable)
            guard target == .radio else { throw DispatchError.invalid("radio control is for one radio, not a talkgroup", field: "to") }
            let c = try choose(gateway, for: to).control(a, radio: to, requestedBy: requestedBy)
            sink.submit([.audit(AuditEntry(time: now, actor: requestedBy, action: "radio \(a.rawValue)", target: to, outcome: "queued",
                                           detail: "\(c.id) via \(c.gateway)"))])
            return c
        } catch {
            sink.submit([.audit(AuditEntry(time: now, actor: requestedBy.isEmpty ? "unknown" : requestedBy, action: "radio \(trimmed.prefix(40))",
                                           target: String(destination.prefix(40)), outcome: "refused", detail: error.detail))])
            throw error
        }
    }

    /// A control request a gateway holds.
    public func control(id: String) -> RadioControl? {
        for g in gateways { if let c = g.control(id: id) { return c } }
        return nil
    }

    /// An address one of the gateways can dial (any digits when none is configured: the refusal
    /// is then that no gateway is configured).
    private func dialable(_ text: String) -> Bool {
        gateways.isEmpty ? RadioDirectory.isDigits(text) : gateways.contains { $0.isValidAddress(text) }
    }

    /// The named gateway; else, among the gateways that can dial `destination`, the one that
    /// heard it last (the network the radio is on), else the first ready one, else the first.
    private func choose(_ gateway: String?, for destination: String) throws(Failure) -> any RadioGateway {
        if gateway == nil {
            let able = gateways.filter { $0.isValidAddress(destination) }
            let heard = able.compactMap { g in g.lastHeard(destination).map { (g, $0) } }.max { $0.1 < $1.1 }?.0
            if let g = heard ?? able.first(where: { $0.status.ready }) ?? able.first { return g }
        }
        if let gateway {
            guard let g = gateways.first(where: { $0.name == gateway }) else {
                throw .invalid("no gateway named \"\(gateway)\"; configured: \(gateways.map(\.name).joined(separator: ", "))", field: "gateway")
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
            throw .invalid("say who is paging", field: "requested_by")
        }
        do {
            let page = try body()
            sink.submit([.audit(AuditEntry(time: now, actor: requestedBy, action: action, target: page.destination, outcome: "queued",
                                           detail: "\(page.id) via \(page.gateway): \(what)"))])
            return page
        } catch {
            sink.submit([.audit(AuditEntry(time: now, actor: requestedBy, action: action, target: String(destination.prefix(40)),
                                           outcome: "refused", detail: error.detail))])
            throw error
        }
    }

    /// A recent page held by a gateway (older ones are in the store).
    public func page(id: String) -> Page? {
        for g in gateways { if let p = g.page(id: id) { return p } }
        return nil
    }

    public var statuses: [RadioGatewayStatus] { gateways.map(\.status) }

    /// Every gateway's samples, for `/metrics`.
    public var metrics: [Metric] { gateways.flatMap(\.metrics) }
}
