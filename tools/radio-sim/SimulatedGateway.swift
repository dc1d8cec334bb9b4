import TianyanModel

/// Bytes the simulated radio writes, with a short text for `--log-lines`.
struct SimWrite: Hashable, Sendable {
    var bytes: [UInt8]
    var text: String
}

/// The radio side of a gateway protocol as a pure state machine driven by a clock: the shell
/// (`SimShell`) feeds it the controller's bytes and real time, and writes what it returns.
protocol SimulatedGateway: Sendable {
    /// Bytes came in since the last unplug.
    var lineActive: Bool { get }
    var nextEventTime: Timestamp? { get }
    /// One line for stderr: what it has done so far.
    var statusLine: String { get }
    mutating func unplug(at time: Timestamp)
    mutating func receive(_ bytes: [UInt8], at time: Timestamp) -> [SimWrite]
    mutating func advance(to time: Timestamp) -> [SimWrite]
}

/// The TETRA PEI radio as a simulated gateway.
extension RadioSimulator: SimulatedGateway {
    var statusLine: String {
        let c = counters
        return "radio-sim: \(c.commands) commands, SDS \(c.sdsAccepted) accepted / \(c.sdsSent) sent / \(c.sdsFailed) failed / "
            + "\(c.sdsRefused) refused, \(c.deliveryReports) delivery reports, \(c.calls) calls, \(c.locationReports) locations, "
            + "\(c.statusMessages) statuses, \(c.textMessages) texts, \(c.emergencies) emergencies, \(c.garbage) noise bursts, "
            + "\(c.notRouted) URCs not routed (line down or service not registered)"
    }

    mutating func receive(_ bytes: [UInt8], at time: Timestamp) -> [SimWrite] {
        let out: [Output] = receive(bytes, at: time)
        return out.map { SimWrite(bytes: $0.bytes, text: $0.description) }
    }

    mutating func advance(to time: Timestamp) -> [SimWrite] {
        let out: [Output] = advance(to: time)
        return out.map { SimWrite(bytes: $0.bytes, text: $0.description) }
    }
}
