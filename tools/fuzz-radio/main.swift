// fuzz-radio: throws random and mutated PEI input at RadioLink (line framer, parser, SDS and LIP
// decoders, engine) and checks the invariants in PEIInvariants.swift, the same file the unit
// tests run on a short fixed-seed sample.
//
//   swift run -c release --scratch-path .build fuzz-radio --minutes 10
//   swift run -c release --scratch-path .build fuzz-radio --iterations 5000000 --seed 42
//
// Options: --iterations N (default 1,000,000; 0 = no limit), --minutes M (stop after M minutes),
// --seed S (default: from the clock, printed so a run can be repeated), --max-failures K (stop
// after K failing inputs, default 10). It prints inputs/s every 10 s and every failing input as
// hex with its kind and what went wrong; paste the hex into a test (PEIRobustnessTests) to keep
// it. Exit status 1 when an input failed.
//
// A crash (trap) is a failure too: with --trace every input is printed as hex before it is
// checked, so the last one printed is the one that crashed; --seed S --skip I replays from input I.
//
// Coverage-guided: tools/libfuzzer-radio/run.sh builds the same invariants with
// `swiftc -sanitize=fuzzer` (it works on this toolchain) and runs libFuzzer, e.g.
// `tools/libfuzzer-radio/run.sh -max_total_time=600`; crashing inputs are saved as crash-<sha1>.

import Foundation
import RadioLink
import TianyanModel

struct Options {
    var iterations = 1_000_000
    var minutes: Double?
    var seed = UInt64(Date().timeIntervalSince1970 * 1000)
    var maxFailures = 10
    var skip = 0
    var trace = false
}

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst()
    func value(_ name: String) -> String {
        guard let v = args.popFirst() else {
            FileHandle.standardError.write(Data("fuzz-radio: \(name) needs a value\n".utf8))
            exit(2)
        }
        return v
    }
    while let arg = args.popFirst() {
        switch arg {
        case "--iterations": o.iterations = Int(value(arg)) ?? o.iterations
        case "--minutes": o.minutes = Double(value(arg))
        case "--seed": o.seed = UInt64(value(arg)) ?? o.seed
        case "--max-failures": o.maxFailures = Int(value(arg)) ?? o.maxFailures
        case "--skip": o.skip = Int(value(arg)) ?? 0
        case "--trace": o.trace = true
        case "-h", "--help":
            print("usage: fuzz-radio [--iterations N] [--minutes M] [--seed S] [--max-failures K] [--skip I] [--trace]")
            exit(0)
        default:
            FileHandle.standardError.write(Data("fuzz-radio: unknown option \(arg); see --help\n".utf8))
            exit(2)
        }
    }
    return o
}

let options = parseOptions()
/// Written straight to the file descriptor, so progress shows at once when piped to a file.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

say("fuzz-radio: seed \(options.seed), iterations \(options.iterations == 0 ? "unlimited" : String(options.iterations))\(options.minutes.map { ", at most \($0) min" } ?? "")")
var rng = SeededGenerator(seed: options.seed)
let clock = ContinuousClock()
let started = clock.now
var lastReport = started
var checked = 0
var bytesChecked = 0
var failures = 0
var perKind: [PEIFuzzKind: Int] = [:]
let deadline = options.minutes.map { started.advanced(by: .milliseconds(Int64($0 * 60_000))) }

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

var index = 0
while options.iterations == 0 || index < options.iterations {
    let input = PEIInvariants.generate(&rng)
    defer { index += 1 }
    if index < options.skip { continue }
    if options.trace { say("input \(index) (\(input.kind.rawValue)): \(PEIInvariants.hexString(input.bytes))") }
    let problems = PEIInvariants.check(input.bytes)
    checked += 1
    bytesChecked += input.bytes.count
    perKind[input.kind, default: 0] += 1
    if !problems.isEmpty {
        failures += 1
        say("FAIL input \(index) (\(input.kind.rawValue), \(input.bytes.count) bytes)")
        for p in Set(problems).sorted() { say("  \(p)") }
        say("  hex: \(PEIInvariants.hexString(input.bytes))")
        if failures >= options.maxFailures { break }
    }
    if index & 0x3FF == 0 {
        let now = clock.now
        if let deadline, now >= deadline { break }
        if seconds(now - lastReport) >= 10 {
            say("  \(checked) inputs, \(Int(Double(checked) / seconds(now - started))) inputs/s, \(failures) failing")
            lastReport = now
        }
    }
}

let elapsed = seconds(clock.now - started)
say("fuzz-radio: \(checked) inputs (\(bytesChecked) bytes) in \(String(format: "%.1f", elapsed)) s, \(Int(Double(checked) / max(elapsed, 1e-9))) inputs/s, \(failures) failing")
say("  by kind: " + PEIFuzzKind.allCases.map { "\($0.rawValue) \(perKind[$0, default: 0])" }.joined(separator: ", "))
exit(failures == 0 ? 0 : 1)
