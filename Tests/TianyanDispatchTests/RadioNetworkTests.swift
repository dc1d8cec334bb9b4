import Foundation
import Logging
import Synchronization
import Testing
@testable import TianyanDispatch
import TianyanModel
import TianyanTesting

/// Paging and dispatch over the radio port, on the fakes: an in-memory store as the sink and
/// scripted gateways. No pty, no socket, no file.
@Suite("Radio network and tasks on fake gateways")
struct RadioNetworkTests {
    static let registry = FleetSample.make()

    @Test("the radio port's conformance cases on the fake gateway", arguments: RadioGatewayConformance.names)
    func conformance(_ name: String) async throws {
        let store = InMemoryStore(registry: Self.registry)
        let gateway = FakeRadioGateway(name: "fake1", sink: store)
        try await RadioGatewayConformance.run(name, gateway: gateway) { id in try await store.page(id: id) }
    }

    @Test("a page to a radio alias goes through the ready gateway, is audited, and refusals say the field")
    func pagingAcrossGateways() async throws {
        let store = InMemoryStore(registry: Self.registry)
        let down = FakeRadioGateway(name: "down", sink: store)
        down.setReady(false)
        let up = FakeRadioGateway(name: "up", sink: store)
        let network = RadioNetwork(gateways: [down, up], directory: RadioDirectory(registry: Self.registry), sink: store)
        let radio = Self.registry.radios[0]

        let page = try network.page("Report to the north gate", to: radio.alias, requestedBy: "disp")
        #expect(page.gateway == "up" && page.destination == radio.issi && page.target == .radio, "\(page)")
        #expect(network.page(id: page.id) == page, "the network finds the page in its gateway")
        #expect(down.recentPages.isEmpty)

        let group = try #require(Self.registry.talkgroups.first)
        let toGroup = try network.sendStatus("on_scene", to: group.gssi, requestedBy: "disp", gateway: "down")
        #expect(toGroup.gateway == "down" && toGroup.target == .talkgroup && toGroup.status == 0x8005, "\(toGroup)")

        func refusal(_ body: () throws -> Page) -> DispatchError? {
            do { _ = try body() } catch let e as DispatchError { return e } catch { return nil }
            return nil
        }
        #expect(refusal { try network.page("  ", to: radio.alias, requestedBy: "disp") }?.field == "text")
        #expect(refusal { try network.page("x", to: "the big tower", requestedBy: "disp") }?.field == "to")
        #expect(refusal { try network.page("x", to: radio.issi, requestedBy: "disp", gateway: "nope") }?.field == "gateway")
        #expect(refusal { try network.sendStatus("0", to: radio.issi, requestedBy: "disp") }?.field == "status")
        #expect(refusal { try network.page("x", to: radio.issi, requestedBy: "") }?.field == "requested_by")
        let empty = RadioNetwork(gateways: [], directory: RadioDirectory(registry: Self.registry), sink: store)
        #expect(refusal { try empty.page("x", to: radio.issi, requestedBy: "disp") }?.kind == .unavailable)

        let audit = try await store.audit(limit: 100)
        #expect(audit.filter { $0.outcome == "queued" }.count == 2, "\(audit)")
        let refused = audit.filter { $0.outcome == "refused" }
        #expect(refused.count == 6, "\(refused)")
        #expect(refused.contains { $0.detail?.hasPrefix("text: the page text is empty") == true }, "the field leads the audit detail")
        #expect(try await store.page(id: page.id)?.text == "Report to the north gate", "the page reached the store through the sink")
    }

    @Test("a page goes out on the network that last heard the radio, else the first ready gateway")
    func pagingFollowsTheNetworkOfTheRadio() throws {
        let store = InMemoryStore(registry: Self.registry)
        let tetra = FakeRadioGateway(name: "tetra", sink: store)
        let hytera = FakeRadioGateway(name: "hytera", sink: store)
        let network = RadioNetwork(gateways: [tetra, hytera], directory: RadioDirectory(registry: Self.registry), sink: store)
        let (a, b) = (Self.registry.radios[0], Self.registry.radios[1])
        #expect(try network.page("x", to: a.alias, requestedBy: "disp").gateway == "tetra", "nobody heard it: the first ready gateway")
        hytera.hear(a.issi, at: Timestamp(milliseconds: 2_000))
        tetra.hear(a.issi, at: Timestamp(milliseconds: 1_000))
        tetra.hear(b.issi, at: Timestamp(milliseconds: 3_000))
        #expect(try network.page("x", to: a.alias, requestedBy: "disp").gateway == "hytera", "heard last on the Hytera network")
        #expect(try network.page("x", to: b.issi, requestedBy: "disp").gateway == "tetra")
        #expect(try network.page("x", to: a.issi, requestedBy: "disp", gateway: "tetra").gateway == "tetra", "a named gateway wins")
    }

    @Test("radio control goes to the gateway that heard the radio, is audited, and refusals name the field")
    func radioControl() async throws {
        let store = InMemoryStore(registry: Self.registry)
        let a = FakeRadioGateway(name: "a", sink: store)
        let b = FakeRadioGateway(name: "b", sink: store)
        let network = RadioNetwork(gateways: [a, b], directory: RadioDirectory(registry: Self.registry), sink: store)
        let radio = Self.registry.radios[5]
        b.hear(radio.issi)
        let c = try network.control("stun", to: radio.alias, requestedBy: "disp")
        #expect(c.gateway == "b" && c.radio == radio.issi && c.action == .stun && c.outcome == nil)
        b.answer(control: c.id, outcome: "ok")
        #expect(network.control(id: c.id)?.outcome == "ok")
        func refusal(_ body: () throws -> RadioControl) -> DispatchError? {
            do { _ = try body() } catch let e as DispatchError { return e } catch { return nil }
            return nil
        }
        #expect(refusal { try network.control("explode", to: radio.issi, requestedBy: "disp") }?.field == "action")
        #expect(refusal { try network.control("stun", to: Self.registry.talkgroups[0].gssi, requestedBy: "disp") }?.field == "to")
        #expect(refusal { try network.control("stun", to: radio.issi, requestedBy: "") }?.field == "requested_by")
        let audit = try await store.audit(limit: 100)
        #expect(audit.contains { $0.action == "radio stun" && $0.outcome == "queued" && $0.target == radio.issi })
        #expect(audit.filter { $0.outcome == "refused" }.count == 3, "\(audit)")
    }

    @Test("gateways started in the same millisecond never share a page run number")
    func pageRunNumbersAreUnique() {
        let runs = (0..<1000).map { _ in PageRun.next() }
        #expect(Set(runs).count == runs.count && runs == runs.sorted())
    }

    @Test("a task dispatched over the fake gateway follows its pages and the statuses the gateway hears")
    func taskFollowsTheGateway() async throws {
        let store = InMemoryStore(registry: Self.registry)
        let inbox = TaskInbox()
        let gateway = FakeRadioGateway(name: "g1", sink: store, observer: inbox.observe)
        let network = RadioNetwork(gateways: [gateway], directory: RadioDirectory(registry: Self.registry), sink: store)
        var logger = Logger(label: "test.dispatch.tasks")
        logger.logLevel = .warning
        let tasks = TaskService(store: store, sink: store, radios: network, inbox: inbox, logger: logger)
        let running = Task { try await tasks.run() }
        defer { running.cancel() }

        let radio = Self.registry.radios[0]
        let created = try await tasks.create(.init(title: "Smoke behind the market", priority: .high,
                                                   location: Coordinate(latitude: 22.80, longitude: 113.80), source: .init(kind: .point)),
                                             by: "disp")
        let (dispatched, outcomes) = try await tasks.dispatch(created.id, units: [radio.alias], by: "disp")
        #expect(dispatched.state == .dispatched)
        let page = try #require(outcomes.first?.page)
        #expect(gateway.page(id: page.id)?.text.hasPrefix(created.id) == true, "the gateway holds the task's page")

        gateway.advance(pageID: page.id, to: .received)
        gateway.hear([.radioMessage(RadioMessage(gateway: "g1", unit: radio.issi, time: .now(), kind: .status, status: 0x8005,
                                                 meaning: "en_route", text: "Status 3: en route"))])
        try await waitUntil("the task to follow its unit en route", timeout: .seconds(10)) {
            guard let t = try? await tasks.task(id: created.id) else { return false }
            return t.state == .enRoute && t.assignments.first?.pageState == .received
        }
    }
}
