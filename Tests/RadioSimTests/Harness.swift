import RadioLink
import TianyanModel
@testable import radio_sim

let t0 = Timestamp(milliseconds: 1_800_000_000_000)

/// A quiet configuration: no background traffic, no random failures, short delays.
func quietConfiguration(_ change: (inout SimConfiguration) -> Void = { _ in }) -> SimConfiguration {
    var c = SimConfiguration()
    c.radios = 20
    c.rate = 0
    c.sendDelay = 1
    c.reportDelay = 2
    c.readDelay = 5
    c.lateFraction = 0
    c.neverReadFraction = 0
    c.failRate = 0
    c.busyRate = 0
    change(&c)
    return c
}

/// The simulator alone, with a hand-moved clock; its output is framed into lines the way a
/// controller's framer would see them.
struct SimHarness {
    var sim: RadioSimulator
    var now = t0
    var framer = PEILineFramer()

    init(_ configuration: SimConfiguration = quietConfiguration()) {
        sim = RadioSimulator(configuration: configuration, start: t0)
    }

    mutating func lines(_ outputs: [RadioSimulator.Output]) -> [String] {
        framer.append(outputs.flatMap(\.bytes))
    }

    /// Writes `text` (CR LF appended unless it ends in Ctrl-Z or ESC) and returns the answer lines.
    mutating func send(_ text: String) -> [String] {
        var bytes = Array(text.utf8)
        if let last = bytes.last, last != 0x1A, last != 0x1B { bytes += [0x0D, 0x0A] }
        return lines(sim.receive(bytes, at: now))
    }

    mutating func advance(by seconds: Double) -> [String] {
        now = now.adding(seconds: seconds)
        return lines(sim.advance(to: now))
    }

    /// Registers every service, as PEIEngine's default init list does, with echo off.
    mutating func initialise() {
        for c in ["ATE0", "AT+CTSP=2,0,0", "AT+CTSP=1,2,20", "AT+CTSP=1,3,10", "AT+CTSP=1,3,130"] { _ = send(c) }
    }
}

/// A PEIEngine wired straight to the simulator: every write goes to `receive`, every answer
/// back to the engine, with a clock moved by hand. No I/O, no sleeping.
struct Loopback {
    var engine: PEIEngine
    var sim: RadioSimulator
    var now = t0
    var events: [RadioEvent] = []
    var simLines: [String] = []
    var completions: [PEIEngine.CommandCompletion] = []
    private var framer = PEILineFramer()

    init(_ configuration: SimConfiguration = quietConfiguration()) {
        engine = PEIEngine(configuration: .init(gateway: "sim"))
        sim = RadioSimulator(configuration: configuration, start: t0)
    }

    mutating func start() { deliver(engine.start(at: now)) }

    mutating func run(for seconds: Double, step: Double = 0.1) {
        let end = now.adding(seconds: seconds)
        while now < end {
            now = now.adding(seconds: step)
            toEngine(sim.advance(to: now))
            deliver(engine.handle(.tick(now)))
        }
    }

    /// Runs until `condition` holds or `limit` simulated seconds pass; false if it never held.
    mutating func run(until limit: Double, step: Double = 0.1, _ condition: (Loopback) -> Bool) -> Bool {
        let end = now.adding(seconds: limit)
        while now < end {
            if condition(self) { return true }
            run(for: step, step: step)
        }
        return condition(self)
    }

    mutating func page(_ text: String, to destination: String) throws -> Int {
        let (record, actions) = try engine.page(text, to: destination, at: now)
        deliver(actions)
        return record.id
    }

    mutating func unplug() {
        sim.unplug(at: now)
        deliver(engine.linkLost(at: now))
    }

    private mutating func deliver(_ actions: [PEIEngine.Action]) {
        for action in actions {
            switch action {
            case .write(let bytes): toEngine(sim.receive(bytes, at: now))
            case .emit(let event): events.append(event)
            case .commandFinished(let c), .timedOut(let c): completions.append(c)
            }
        }
    }

    private mutating func toEngine(_ outputs: [RadioSimulator.Output]) {
        guard !outputs.isEmpty else { return }
        let bytes = outputs.flatMap(\.bytes)
        simLines += framer.append(bytes)
        deliver(engine.handle(.bytesReceived(bytes, at: now)))
    }

    var isReady: Bool { engine.isReady }

    var callEvents: [CallTracker.Event] { events.compactMap { if case .call(let e) = $0 { e } else { nil } } }
    var unhandled: [String] { events.compactMap { if case .unhandledLine(let l, _) = $0 { l } else { nil } } }
}
