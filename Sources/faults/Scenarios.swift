import Foundation
import MosquittoClient
import Synchronization
import TianyanModel

/// The load's device timestamps start a day back (inside the controller's plausibility window,
/// outside anything a simulator sends now), one millisecond apart per message.
func loadBase() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) - 86_000_000 }

func radioSimPath(_ options: Options, _ rig: Rig) -> String {
    options.string("radio-sim", (rig.tianyan as NSString).deletingLastPathComponent + "/radio-sim")
}

/// Sums `mqtt.replayed=N` over the controller logs: messages replayed from the journal on start.
func replayedFromJournal(_ rig: Rig) -> Int {
    var total = 0
    for run in 1...max(1, rig.serveRuns) {
        let text = (try? String(contentsOfFile: rig.dir + "/serve-\(run).log", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") where line.contains("replaying journaled messages") {
            if let r = line.range(of: "mqtt.replayed=") {
                total += Int(line[r.upperBound...].prefix { $0.isNumber }) ?? 0
            }
        }
    }
    return total
}

/// Scenario 1: kill -9 of the controller at random moments under load, restarted at once.
func kill9(_ options: Options) async throws -> Bool {
    let rate = try options.double("rate", 3000)
    let cycles = try options.int("cycles", 20)
    let minGap = try options.double("min-gap", 1), maxGap = try options.double("max-gap", 5)
    let radios = try options.int("radios", 500)
    var rng = SeededGenerator(seed: UInt64(try options.int("seed", 1)))
    let rig = try Rig(options: options, label: "kill9")
    var ok = false
    defer { rig.shutdown(keep: !ok || options.string("keep", "0") == "1") }
    if radios > 0 { try rig.startRadio(radioSim: radioSimPath(options, rig), radios: radios, rate: try options.double("radio-rate", 2)) }
    let drops = try BrokerDrops(broker: rig.broker)
    defer { drops.close() }
    try rig.startServe()
    try await rig.waitUntilConnected()
    let load = try await Load(broker: rig.broker, id: "faults-load-\(getpid())", base: loadBase(), full: options.string("small", "0") != "1")
    defer { load.close() }
    let publisher = Task { await load.run(rate: rate) }
    _ = try await rig.waitUntilConsuming(connections: 1, beyond: 0, since: .now)
    let firstCounted = load.published
    note("kill9: controller consuming; \(cycles) kill -9 cycles at \(Int(rate)) msg/s, \(radios) radios; rig in \(rig.dir)")
    var recoveries: [Double] = []
    for cycle in 1...max(1, cycles) {
        let gap = Double.random(in: minGap...max(minGap, maxGap), using: &rng)
        try await Task.sleep(for: .milliseconds(Int64(gap * 1000)))
        rig.kill9()
        let mark = rig.released()
        let restarted = ContinuousClock.now
        try rig.startServe()
        let t = try await rig.waitUntilConsuming(connections: 1, beyond: mark, since: restarted)
        recoveries.append(t)
        note("kill9: cycle \(cycle): killed after \(String(format: "%.1f", gap)) s, consuming again \(String(format: "%.2f", t)) s after the restart; \(load.published) published so far")
    }
    try await Task.sleep(for: .seconds(1))
    load.stop()
    await publisher.value
    while load.inFlight.load(ordering: .relaxed) > 0 { try await Task.sleep(for: .milliseconds(50)) }
    let score = try await Score.drain(load: load, rig: rig, from: firstCounted)
    let worst = recoveries.max() ?? 0
    let mean = recoveries.reduce(0, +) / Double(max(1, recoveries.count))
    emit("kill9: \(score), recovered in \(String(format: "%.2f", worst)) s")
    let radioRows = rig.count("SELECT COUNT(*) FROM radio_messages") + rig.count("SELECT COUNT(*) FROM positions WHERE source = 'lip'")
        + rig.count("SELECT COUNT(*) FROM voice_calls")
    emit("kill9: detail: \(recoveries.count) kill -9 cycles, recovery mean \(String(format: "%.2f", mean)) s, each \(recoveries.map { String(format: "%.2f", $0) }.joined(separator: " ")); "
         + "\(Int(rate)) msg/s offered; \(score.detail); replayed from the journal on restarts \(replayedFromJournal(rig)); broker dropped \(drops.dropped); radio rows stored \(radioRows)")
    ok = score.lost == 0 && score.duplicated == 0 && score.unexpected == 0 && worst <= 5
    return ok
}

/// Scenario 2: the broker restarted under load, then unreachable from the controller for a
/// while (a cut TCP path; the broker keeps queueing for the persistent session), with a dock
/// command tried during the outage.
func brokerFaults(_ options: Options) async throws -> Bool {
    let rate = try options.double("rate", 1000)
    let down = try options.double("down-seconds", 60)
    let rig = try Rig(options: options, label: "broker")
    var ok = false
    defer { rig.shutdown(keep: !ok || options.string("keep", "0") == "1") }
    let proxy = try Proxy(port: try FreePort.loopback(), target: rig.broker.port)
    defer { proxy.cut() }
    rig.controllerBroker = proxy.url
    try rig.startServe()
    try await rig.waitUntilConnected()
    let load = try await Load(broker: rig.broker, id: "faults-load-\(getpid())", base: loadBase(), full: options.string("small", "0") != "1")
    defer { load.close() }
    let publisher = Task { await load.run(rate: rate) }
    _ = try await rig.waitUntilConsuming(connections: 1, beyond: 0, since: .now)
    let firstCounted = load.published
    note("broker: controller consuming at \(Int(rate)) msg/s via the proxy on \(proxy.port); rig in \(rig.dir)")

    // 1. Broker restart: SIGTERM (it saves the sessions), started again at once.
    try await Task.sleep(for: .seconds(3))
    rig.broker.stop()
    try rig.broker.start()
    let restarted = ContinuousClock.now
    let restart = try await rig.waitUntilConsuming(connections: 2, beyond: rig.released(), since: restarted)
    note("broker: restart: consuming again \(String(format: "%.2f", restart)) s after the broker came back")

    // 2. The path to the broker cut for `down` seconds; devices keep publishing meanwhile.
    try await Task.sleep(for: .seconds(3))
    proxy.cut()
    let cutAt = ContinuousClock.now
    let markAtCut = rig.released()
    note("broker: path to the broker cut for \(Int(down)) s")
    // A dock command asked for during the outage must fail clearly within its timeout.
    let dock = FleetSample.make().docks[0].serial
    let command = try await rig.runDetached(rig.tianyan, ["dock", "command", dock, "return_home", "--by", "faults", "--mqtt", proxy.url,
                                            "--database", rig.database, "--set", "profiles_dir=\(rig.profiles)"], timeout: 60)
    let commandLine = command.output.split(separator: "\n").last.map(String.init) ?? ""
    let commandClear = command.status != 0 && commandLine.contains("not reachable")
    note("broker: dock command during the outage: exit \(command.status) after \(String(format: "%.1f", command.seconds)) s: \(commandLine)")
    let remaining = down - (ContinuousClock.now - cutAt).seconds
    if remaining > 0 { try await Task.sleep(for: .milliseconds(Int64(remaining * 1000))) }
    let queuedDuringCut = load.published
    try proxy.heal()
    let healed = ContinuousClock.now
    let outage = try await rig.waitUntilConsuming(connections: 3, beyond: max(markAtCut, rig.released()), since: healed)
    note("broker: consuming again \(String(format: "%.2f", outage)) s after the path came back")

    try await Task.sleep(for: .seconds(3))
    load.stop()
    await publisher.value
    while load.inFlight.load(ordering: .relaxed) > 0 { try await Task.sleep(for: .milliseconds(50)) }
    let score = try await Score.drain(load: load, rig: rig, from: firstCounted)
    let worst = max(restart, outage)
    emit("broker: \(score), recovered in \(String(format: "%.2f", worst)) s")
    emit("broker: detail: broker restart recovered in \(String(format: "%.2f", restart)) s; \(Int(down)) s cut recovered in \(String(format: "%.2f", outage)) s "
         + "(\(queuedDuringCut) messages published by then); dock command during the cut: exit \(command.status) in \(String(format: "%.1f", command.seconds)) s (\(commandLine)); \(score.detail)")
    ok = score.lost == 0 && score.duplicated == 0 && score.unexpected == 0 && restart <= 5 && outage <= 5 && commandClear
    return ok
}
