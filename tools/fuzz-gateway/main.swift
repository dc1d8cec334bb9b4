// fuzz-gateway: hostile radio traffic through the whole controller. Starts `tianyan serve` (the
// binary in TIANYAN_BIN, else .build/debug/tianyan) with one gateway on a real byte link (TCP, or
// a pty with --transport pty) to a scripted radio, sends every SDS protocol identifier, truncated,
// over-long and mislabelled PDUs, headers without payload, wild call-control lines and noise
// (TianyanTesting/HostileRadioTraffic.swift), and after every round a canary LIP report from a
// fresh radio that must come back from the HTTP API with its position. The controller must
// neither die nor go deaf, and must stop cleanly on SIGTERM at the end.
//
//   swift build -c release --product tianyan --product fuzz-gateway
//   TIANYAN_BIN=.build/release/tianyan .build/release/fuzz-gateway --minutes 10
//
// Options: --minutes M (default 5), --seed S (default: the clock, printed), --per-round N (hostile
// inputs between canaries, default 200), --transport tcp|pty, --protocol tetra-pei|hytera-hrnp
// (hytera-hrnp: hostile HRNP/HDAP from TianyanTesting/HostileHyteraTraffic.swift, canaries as LP reports). Exit status 1 when the controller
// died, stopped storing or did not stop cleanly; the last inputs are printed as hex.

import Foundation
import MosquittoClient
import TianyanTesting

var minutes = 5.0
var seed = UInt64(Date().timeIntervalSince1970)
var perRound = 200
var transport = "tcp"
var profile = "generic-pei"
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    func value() -> String {
        guard let v = args.popFirst() else { FileHandle.standardError.write(Data("fuzz-gateway: \(arg) needs a value\n".utf8)); exit(2) }
        return v
    }
    switch arg {
    case "--minutes": minutes = Double(value()) ?? minutes
    case "--seed": seed = UInt64(value()) ?? seed
    case "--per-round": perRound = Int(value()) ?? perRound
    case "--transport": transport = value()
    case "--protocol":
        switch value() {
        case "tetra-pei": profile = "generic-pei"
        case "hytera-hrnp": profile = "hytera-hrnp"
        case let other: FileHandle.standardError.write(Data("fuzz-gateway: --protocol \(other): tetra-pei or hytera-hrnp\n".utf8)); exit(2)
        }
    case "-h", "--help":
        print("fuzz-gateway [--minutes M] [--seed S] [--per-round N] [--transport tcp|pty] [--protocol tetra-pei|hytera-hrnp]")
        exit(0)
    default:
        FileHandle.standardError.write(Data("fuzz-gateway: unknown option \(arg)\n".utf8))
        exit(2)
    }
}

func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

let started = ContinuousClock.now
let http = "127.0.0.1:\(try FreePort.loopback())"
let link: ScriptedRadio.Transport
let scratch = try TemporaryDirectory("fuzz-gateway-pty")
switch transport {
case "pty": link = .pty(link: scratch.file("pei"))
case "tcp": link = .tcp
default: FileHandle.standardError.write(Data("fuzz-gateway: --transport is tcp or pty\n".utf8)); exit(2)
}
say("fuzz-gateway: seed \(seed), \(minutes) min, \(perRound) inputs a round, \(transport), \(profile), controller \(tianyanExecutable())")
let controller = try await FuzzedController(http: http, transport: link, profilesDirectory: packageRoot() + "/firmware-profiles", profile: profile)
var status: Int32 = 0
do {
    try await controller.waitReady()
    var lastPrint = ContinuousClock.now
    let progress: (FuzzedController.Report) -> Void = { r in
        if ContinuousClock.now - lastPrint > .seconds(10) {
            lastPrint = ContinuousClock.now
            say("  \(r)")
        }
    }
    let deadline = started + .seconds(minutes * 60)
    let report: FuzzedController.Report
    if profile == "hytera-hrnp" {
        var traffic = HostileHyteraTraffic(seed: seed)
        report = try await controller.run(&traffic, rounds: 1, perRound: perRound, until: deadline, progress: progress)
    } else {
        var traffic = HostileRadioTraffic(seed: seed)
        report = try await controller.run(&traffic, rounds: 1, perRound: perRound, until: deadline, progress: progress)
    }
    let stop = try await controller.stop()
    let seconds = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
    if stop.status != 0 || stop.stderr.contains("Fatal error") {
        say("fuzz-gateway: FAILED: the controller did not stop cleanly (exit \(stop.status)): \(stop.stderr.suffix(2000))")
        status = 1
    } else {
        say("fuzz-gateway: \(report) in \(Int(seconds)) s; no crash, every canary stored, clean exit (seed \(seed))")
        say("  by kind: " + report.byKind.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; "))
    }
} catch {
    say("fuzz-gateway: FAILED (seed \(seed)): \(error)")
    _ = try? await controller.stop()
    status = 1
}
controller.remove()
scratch.remove()
exit(status)
