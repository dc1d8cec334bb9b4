// fuzz-dock: throws random and mutated DJI Cloud API input (topics, JSON envelopes, OSD, events,
// replies) at DockIngest, and mutated dock and radio profile YAML at the profile loaders, and
// checks the invariants in DockInvariants.swift (the file the suite runs on a short seeded
// sample, Tests/FaultTests).
//
//   swift run -c release fuzz-dock --minutes 10
//   swift run -c release fuzz-dock --iterations 200000 --seed 42
//
// Options as fuzz-radio: --iterations N (default 1,000,000; 0 = no limit), --minutes M,
// --seed S (default from the clock, printed), --max-failures K (default 10), --trace (print
// each input before checking it, so the last one printed is the one a trap died on),
// --skip I, --kind K (one kind of input only, e.g. wrongTypes). Exit status 1 when an input failed. Run from the package root or set TIANYAN_ROOT.

import Foundation
import TianyanModel

var iterations = 1_000_000
var minutes: Double?
var seed = UInt64(Date().timeIntervalSince1970 * 1000)
var maxFailures = 10
var skip = 0
var trace = false
var onlyKind: DockFuzzKind?
var args = CommandLine.arguments.dropFirst()
@MainActor func value(_ name: String) -> String {
    guard let v = args.popFirst() else {
        FileHandle.standardError.write(Data("fuzz-dock: \(name) needs a value\n".utf8))
        exit(2)
    }
    return v
}
while let arg = args.popFirst() {
    switch arg {
    case "--iterations": iterations = Int(value(arg)) ?? iterations
    case "--minutes": minutes = Double(value(arg))
    case "--seed": seed = UInt64(value(arg)) ?? seed
    case "--max-failures": maxFailures = Int(value(arg)) ?? maxFailures
    case "--skip": skip = Int(value(arg)) ?? 0
    case "--trace": trace = true
    case "--kind":
        let name = value(arg)
        guard let k = DockFuzzKind.allCases.first(where: { $0.rawValue == name || "\($0)" == name }) else {
            FileHandle.standardError.write(Data("fuzz-dock: no kind \(name); one of \(DockFuzzKind.allCases.map { "\($0)" })\n".utf8))
            exit(2)
        }
        onlyKind = k
    case "-h", "--help":
        print("usage: fuzz-dock [--iterations N] [--minutes M] [--seed S] [--max-failures K] [--skip I] [--trace] [--kind K]")
        exit(0)
    default:
        FileHandle.standardError.write(Data("fuzz-dock: unknown option \(arg); see --help\n".utf8))
        exit(2)
    }
}
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

say("fuzz-dock: seed \(seed), iterations \(iterations == 0 ? "unlimited" : String(iterations))\(minutes.map { ", at most \($0) min" } ?? "")")
_ = DockInvariants.profiles
var rng = SeededGenerator(seed: seed)
let clock = ContinuousClock()
let started = clock.now
var lastReport = started
let deadline = minutes.map { started.advanced(by: .milliseconds(Int64($0 * 60_000))) }
var checked = 0, failures = 0, index = 0
var perKind: [DockFuzzKind: Int] = [:]
while iterations == 0 || index < iterations {
    let input = onlyKind.map { DockInvariants.make($0, &rng) } ?? DockInvariants.generate(&rng)
    defer { index += 1 }
    if index < skip { continue }
    if trace { say("input \(index) (\(input.kind.rawValue)) topic \(input.topic.debugDescription): \(DockInvariants.hex(input.payload))") }
    let problems = DockInvariants.check(input)
    checked += 1
    perKind[input.kind, default: 0] += 1
    if !problems.isEmpty {
        failures += 1
        say("FAIL input \(index) (\(input.kind.rawValue), topic \(input.topic.debugDescription), \(input.payload.count) bytes)")
        for p in Set(problems).sorted() { say("  \(p)") }
        say("  hex: \(DockInvariants.hex(input.payload))")
        if failures >= maxFailures { break }
    }
    if index & 0xFF == 0 {
        let now = clock.now
        if let deadline, now >= deadline { break }
        if seconds(now - lastReport) >= 10 {
            say("  \(checked) inputs, \(Int(Double(checked) / seconds(now - started))) inputs/s, \(failures) failing")
            lastReport = now
        }
    }
}
let elapsed = seconds(clock.now - started)
say("fuzz-dock: \(checked) inputs in \(String(format: "%.1f", elapsed)) s, \(Int(Double(checked) / max(elapsed, 1e-9))) inputs/s, \(failures) failing")
say("  by kind: " + DockFuzzKind.allCases.map { "\($0.rawValue) \(perKind[$0, default: 0])" }.joined(separator: ", "))
exit(failures == 0 ? 0 : 1)
