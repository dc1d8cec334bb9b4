import Foundation
import Synchronization
import TianyanModel

/// A radio gateway without a radio: pages and status callouts are kept and their states moved by
/// the test (`advance`), records it "hears" are handed to its sink and observer (`hear`). Refuses
/// as a profile can (no group paging, no status callouts) and always refuses the emergency status.
public final class FakeRadioGateway: RadioGateway, Sendable {
    public struct Settings: Sendable {
        public var name: String
        public var groupPaging = true
        public var statusCallouts = true
        /// Status values a callout may name, by meaning or label (`en_route` → 0x8004).
        public var statuses: [String: Int] = ["accepted": 0x8003, "en_route": 0x8004, "on_scene": 0x8005, "done": 0x8006]
        public var emergencyStatus = 0
        public init(name: String) { self.name = name }
    }

    private struct State {
        var ready = true
        var pages: [String: Page] = [:]
        var order: [String] = []
        var openCalls: [VoiceCall] = []
        var next = 1
        var heard: [String: Timestamp] = [:]
    }

    public let settings: Settings
    private let sink: any RecordSink
    private let observer: (@Sendable ([StoreRecord]) -> Void)?
    private let state = Mutex(State())

    public init(settings: Settings, sink: any RecordSink, observer: (@Sendable ([StoreRecord]) -> Void)? = nil) {
        self.settings = settings
        self.sink = sink
        self.observer = observer
    }

    public convenience init(name: String, sink: any RecordSink, observer: (@Sendable ([StoreRecord]) -> Void)? = nil) {
        self.init(settings: Settings(name: name), sink: sink, observer: observer)
    }

    public var name: String { settings.name }
    public var sendsStatusCallouts: Bool { settings.statusCallouts }

    public func control(_ action: RadioControlAction, radio: String, requestedBy: String) throws(DispatchError) -> RadioControl {
        guard isValidAddress(radio) else { throw .invalid("\"\(radio)\" is not a radio identity", field: "to") }
        let c = state.withLock { s -> RadioControl in
            s.next += 1
            return RadioControl(id: "RC-\(name)-\(s.next)", gateway: name, radio: radio, action: action, requestedBy: requestedBy,
                                requestedAt: .now())
        }
        controls.withLock { $0[c.id] = c }
        return c
    }

    public func control(id: String) -> RadioControl? { controls.withLock { $0[id] } }

    /// Answers a control request as the radio would.
    public func answer(control id: String, outcome: String) {
        controls.withLock { $0[id]?.outcome = outcome; $0[id]?.answeredAt = .now() }
    }

    private let controls = Mutex<[String: RadioControl]>([:])
    public func lastHeard(_ unit: String) -> Timestamp? { state.withLock { $0.heard[unit] } }
    /// Makes the fake say it heard `unit` at `time` (paging goes to the network a radio is on).
    public func hear(_ unit: String, at time: Timestamp = .now()) { state.withLock { $0.heard[unit] = time } }

    public func setReady(_ ready: Bool) { state.withLock { $0.ready = ready } }

    public var status: RadioGatewayStatus {
        let s = state.withLock { ($0.ready, $0.openCalls.count, $0.pages.count) }
        return RadioGatewayStatus(name: name, url: "fake://\(name)", profile: "fake", protocolName: "fake", connected: s.0, ready: s.0,
                                  openCalls: s.1, details: ["pages_held": .int(s.2)])
    }

    public var metrics: [Metric] {
        [Metric(name: "tianyan_gateway_ready", help: "1 while the gateway's radio is initialised and answering", kind: .gauge,
                labels: ["gateway": name], value: status.ready ? 1 : 0)]
    }

    public func isValidAddress(_ text: String) -> Bool { RadioDirectory.isDigits(text) }

    public func page(_ text: String, to destination: String, target: Page.Target, requestedBy: String) throws(DispatchError) -> Page {
        try queue(text: text, status: nil, to: destination, target: target, requestedBy: requestedBy, field: "text")
    }

    public func sendStatus(_ status: String, to destination: String, target: Page.Target, requestedBy: String) throws(DispatchError) -> Page {
        guard settings.statusCallouts else { throw .invalid("gateway \(name) does not allow status callouts", field: "status") }
        let t = status.trimmingCharacters(in: .whitespaces).lowercased()
        let value = t.hasPrefix("0x") ? Int(t.dropFirst(2), radix: 16) : (Int(t) ?? settings.statuses[t])
        guard let value else { throw .invalid("\"\(status)\" is not a status of gateway \(name)", field: "status") }
        guard value != settings.emergencyStatus else {
            throw .invalid("the emergency status is sent by radios, never by a dispatcher", field: "status")
        }
        let label = settings.statuses.first { $0.value == value }?.key ?? "status \(value)"
        return try queue(text: label, status: value, to: destination, target: target, requestedBy: requestedBy, field: "status")
    }

    private func queue(text: String, status: Int?, to destination: String, target: Page.Target, requestedBy: String,
                       field: String) throws(DispatchError) -> Page {
        guard target == .radio || settings.groupPaging else {
            throw .invalid("gateway \(name) does not allow group paging", field: field)
        }
        let now = Timestamp.now()
        let page = state.withLock { s -> Page in
            let p = Page(id: "FK-\(name)-\(s.next)", gateway: name, destination: destination, target: target, text: text, status: status,
                         requestedBy: requestedBy, requestedAt: now, state: .queued, history: [PageStep(state: .queued, time: now)])
            s.next += 1
            s.pages[p.id] = p
            s.order.append(p.id)
            return p
        }
        hear([.page(page)])
        return page
    }

    /// Moves a page to `state`, as the radio would report it; the change reaches the sink and the observer.
    @discardableResult
    public func advance(pageID: String, to pageState: PageState, detail: String? = nil) -> Page? {
        let page = state.withLock { s -> Page? in
            guard var p = s.pages[pageID] else { return nil }
            p.state = pageState
            p.history.append(PageStep(state: pageState, time: .now(), detail: detail))
            s.pages[pageID] = p
            return p
        }
        if let page { hear([.page(page)]) }
        return page
    }

    /// Records as the gateway would decode them from its radio (statuses, positions, calls).
    public func hear(_ records: [StoreRecord]) {
        sink.submit(records)
        observer?(records)
    }

    public func setOpenCalls(_ calls: [VoiceCall]) { state.withLock { $0.openCalls = calls } }

    public func page(id: String) -> Page? { state.withLock { $0.pages[id] } }

    public var recentPages: [Page] { state.withLock { s in s.order.reversed().compactMap { s.pages[$0] } } }

    public var openCalls: [VoiceCall] { state.withLock { $0.openCalls } }
}
