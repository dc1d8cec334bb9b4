import TianyanModel

/// The radio port's contract as named cases, run against every gateway adapter (the fake here;
/// TETRA PEI and Hytera HRNP over sockets in IntegrationTests). Each case
/// gets a gateway that is up, with a profile where `on_scene` is a status a dispatcher may send
/// and group paging is allowed, and `stored`, which returns a page as the store has it once
/// everything handed to the sink is committed.
public enum RadioGatewayConformance {
    public typealias Stored = @Sendable (String) async throws -> Page?
    public typealias Run = @Sendable (any RadioGateway, Stored) async throws -> Void
    public typealias Case = (name: String, run: Run)

    public static var names: [String] { cases.map(\.name) }

    public static func run(_ name: String, gateway: any RadioGateway, stored: @escaping Stored) async throws {
        guard let c = cases.first(where: { $0.name == name }) else { throw TestFailure("no radio gateway conformance case \(name)") }
        try await c.run(gateway, stored)
    }

    public static let cases: [Case] = [
        ("a page is queued under the gateway's name and held by id", pageQueued),
        ("a page reaches the store through the sink", pageStored),
        ("a talkgroup page keeps its target", talkgroupPage),
        ("a status callout by meaning carries its value", statusByMeaning),
        ("the emergency status is refused, naming the field", emergencyRefused),
        ("an unknown status is refused, naming the field", unknownStatusRefused),
        ("addresses: digits are dialable, words are not", addresses),
        ("status and metrics name the gateway", statusAndMetrics),
    ]

    static func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw TestFailure(message()) }
    }

    static func pageQueued(_ g: any RadioGateway, _ stored: Stored) async throws {
        let page = try g.page("Report to the north gate", to: "2100001", target: .radio, requestedBy: "disp")
        try check(page.gateway == g.name, "page gateway \(page.gateway), gateway \(g.name)")
        try check(page.state == .queued && page.history.first?.state == .queued, "a new page is queued: \(page.state) \(page.history)")
        try check(page.destination == "2100001" && page.target == .radio && page.requestedBy == "disp" && page.status == nil,
                  "the page says what was asked: \(page)")
        try check(g.page(id: page.id)?.id == page.id, "page(id:) holds the page")
        try check(g.recentPages.contains { $0.id == page.id }, "recent pages hold the page")
        let second = try g.page("Second", to: "2100002", target: .radio, requestedBy: "disp")
        try check(second.id != page.id, "each page has its own id")
    }

    static func pageStored(_ g: any RadioGateway, _ stored: Stored) async throws {
        let page = try g.page("Stored page", to: "2100003", target: .radio, requestedBy: "disp")
        guard let s = try await stored(page.id) else { throw TestFailure("page \(page.id) is not in the store") }
        try check(s.text == "Stored page" && s.destination == "2100003" && s.gateway == g.name, "stored as asked: \(s)")
    }

    static func talkgroupPage(_ g: any RadioGateway, _ stored: Stored) async throws {
        let page = try g.page("All units: road closed", to: "9001", target: .talkgroup, requestedBy: "disp")
        try check(page.target == .talkgroup && page.destination == "9001", "a talkgroup page: \(page)")
    }

    static func statusByMeaning(_ g: any RadioGateway, _ stored: Stored) async throws {
        guard g.sendsStatusCallouts else {
            // A protocol without status messages refuses every callout, naming the field and why.
            do {
                _ = try g.sendStatus("on_scene", to: "2100001", target: .radio, requestedBy: "disp")
                throw TestFailure("a gateway without status callouts sent one")
            } catch let e as DispatchError {
                try check(e.kind == .invalid && e.field == "status" && !e.message.isEmpty, "refused as invalid, field status: \(e)")
            }
            return
        }
        let page = try g.sendStatus("on_scene", to: "2100001", target: .radio, requestedBy: "disp")
        try check(page.status != nil && page.status != 0, "a status callout carries its value: \(page)")
        try check(page.gateway == g.name && page.state == .queued, "queued through the gateway: \(page)")
    }

    static func emergencyRefused(_ g: any RadioGateway, _ stored: Stored) async throws {
        do {
            _ = try g.sendStatus("0", to: "2100001", target: .radio, requestedBy: "disp")
            throw TestFailure("the emergency status was sent")
        } catch let e as DispatchError {
            try check(e.kind == .invalid && e.field == "status", "refused as invalid, field status: \(e.kind) \(e.field ?? "nil")")
            // (A gateway without status callouts says that instead.)
            try check(e.message.contains("emergency") || !g.sendsStatusCallouts, "says why: \(e.message)")
        }
    }

    static func unknownStatusRefused(_ g: any RadioGateway, _ stored: Stored) async throws {
        do {
            _ = try g.sendStatus("teleported", to: "2100001", target: .radio, requestedBy: "disp")
            throw TestFailure("an unknown status was sent")
        } catch let e as DispatchError {
            try check(e.kind == .invalid && e.field == "status", "refused as invalid, field status: \(e.kind) \(e.field ?? "nil")")
        }
    }

    static func addresses(_ g: any RadioGateway, _ stored: Stored) async throws {
        try check(g.isValidAddress("2100001"), "an ISSI is dialable")
        try check(!g.isValidAddress("north gate") && !g.isValidAddress(""), "words and empty text are not")
    }

    static func statusAndMetrics(_ g: any RadioGateway, _ stored: Stored) async throws {
        let s = g.status
        try check(s.name == g.name && !s.url.isEmpty && !s.protocolName.isEmpty && !s.profile.isEmpty, "neutral fields: \(s)")
        try check(s.ready && s.connected, "the gateway under test is up: \(s)")
        let m = g.metrics
        try check(!m.isEmpty && m.allSatisfy { $0.labels["gateway"] == g.name && $0.name.hasPrefix("tianyan_gateway_") },
                  "metrics labelled gateway=\(g.name): \(m.map(\.name))")
        try check(m.contains { $0.name == "tianyan_gateway_ready" && $0.value == 1 }, "ready = 1 in the metrics")
    }
}
