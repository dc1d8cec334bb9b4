// Fault scenarios of issue 7, scored the Jepsen way: what the broker acknowledged to the load
// generator against what the store (SQLite file or PostgreSQL) holds at the end. Each drives the real `tianyan serve`
// process, a real mosquitto (and the radio simulator), and prints one result line
// `SCENARIO: sent N, stored N, lost N, duplicated N, recovered in T s` plus a detail line.
// Exit status 0 when the scenario met its targets, 1 when not, 2 on a usage error.
//
// Usage: faults kill9  [--cycles 20] [--rate 3000] [--min-gap 1] [--max-gap 5] [--radios 500] [--radio-rate 2] [--seed 1]
//        faults broker [--rate 1000] [--down-seconds 60]
//        faults soak   [--minutes 60] [--rate 800] [--radios 5000] [--radio-rate 2] [--clients 50] [--warmup-minutes M] [--sample-seconds 10]
// Common: --database sqlite|postgres (default sqlite; postgres: a durable PostgreSQL cluster of
//         the rig's own, started with Debian's binaries, counted with psql), --tianyan PATH (default: next to this executable), --radio-sim PATH, --profiles DIR
//         (default firmware-profiles), --dir DIR (rigs go under it), --small 1 (short OSD
//         messages instead of the full documented ≈ 2.3 KB ones), --keep 1 (keep the rig).
import Foundation

let arguments = CommandLine.arguments.dropFirst()
guard let scenario = arguments.first, ["kill9", "broker", "soak"].contains(scenario) else {
    FileHandle.standardError.write(Data("usage: faults kill9|broker|soak [--option value ...] (see Sources/faults/main.swift)\n".utf8))
    exit(2)
}
// The rig's processes get the settings it passes on their command lines, nothing from this
// environment (tianyan refuses TIANYAN_* names it does not know, such as the tests' TIANYAN_IT).
for key in ProcessInfo.processInfo.environment.keys where key.hasPrefix("TIANYAN_") { unsetenv(key) }
let signals = Rig.stopAllOnSignal()
do {
    let options = try Options(arguments.dropFirst())
    let passed: Bool
    switch scenario {
    case "kill9": passed = try await kill9(options)
    case "broker": passed = try await brokerFaults(options)
    default: passed = try await soak(options)
    }
    if !passed { note("\(scenario): targets NOT met (rig kept for inspection)") }
    exit(passed ? 0 : 1)
} catch {
    note("\(scenario): \(error)")
    emit("\(scenario): error: \(error)")
    exit(1)
}
