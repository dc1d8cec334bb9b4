// bench-radio: PEI lines per second through RadioLink's PEIEngine (bytes in, actions out), on
// realistic mixed traffic, against a reference measured in the same run on the same bytes.
//
//   tools/bench-radio.sh            (= swift run -c release bench-radio)
//   bench-radio [--lines N] [--passes P] [--chunk BYTES]
//
// Traffic: repeated blocks of call URCs (+CTICN, +CTXG, +CDTXC, +CTCR), +CTSDSR pairs carrying a
// LIP short report, a status and an SDS-TL text, OK, +CMGS and +CSQ lines, each framed
// `<CR><LF>line<CR><LF>` as radios send them, fed in chunks of --chunk bytes (a serial read).
// Reference: the same chunks through a loop that splits on CR/LF and only counts non-empty lines,
// the least any line-based consumer must do. Also printed: the framer alone and framer + parser,
// to show where the time goes. Best of --passes passes.

import Foundation
import RadioLink
import TianyanModel

func options() -> (lines: Int, passes: Int, chunk: Int) {
    var o = (lines: 1_000_000, passes: 5, chunk: 4096)
    var args = CommandLine.arguments.dropFirst()
    while let arg = args.popFirst() {
        switch arg {
        case "--lines": o.lines = Int(args.popFirst() ?? "") ?? o.lines
        case "--passes": o.passes = max(1, Int(args.popFirst() ?? "") ?? o.passes)
        case "--chunk": o.chunk = max(1, Int(args.popFirst() ?? "") ?? o.chunk)
        default:
            print("usage: bench-radio [--lines N] [--passes P] [--chunk BYTES]")
            exit(arg == "-h" || arg == "--help" ? 0 : 2)
        }
    }
    return o
}
let (lineTarget, passes, chunkSize) = options()

func block(_ i: Int) -> [String] {
    let cc = i % 8 + 1
    let issi = 6_101_600 + i % 50
    return [
        "+CTICN: \(cc),0,0,0,\(issi),1,1,0,1,1,0,4037009,0",
        "+CTXG: \(cc),3,0,0,0,\(issi)",
        "+CTSDSR: 12,\(2_269_001 + i % 20),0,9999,0,84",
        "0A00893E12472C51026810",
        "+CDTXC: \(cc),0",
        "+CTSDSR: 13,\(1_234_567 + i % 30),0,2345678,0,16",
        "8004",
        "+CTXG: \(cc),3,0,0,0,\(issi + 1)",
        "+CDTXC: \(cc),0",
        "+CTCR: \(cc),13",
        "+CTSDSR: 12,1234567,0,2345678,0,120",
        "82029C01746573746D657373616765",
        "OK",
        "+CMGS: 0,4,7",
        "+CSQ: 23,99",
        "OK",
    ]
}

var lines: [String] = []
var i = 0
while lines.count < lineTarget {
    lines += block(i)
    i += 1
}
let traffic = Array(lines.map { "\r\n\($0)\r\n" }.joined().utf8)
let chunks: [[UInt8]] = stride(from: 0, to: traffic.count, by: chunkSize).map { Array(traffic[$0..<min(traffic.count, $0 + chunkSize)]) }
let lineCount = lines.count

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

/// Best time of `passes` runs of `body`, which returns a count that must equal `expected`.
func measure(_ name: String, expected: Int, _ body: () -> Int) -> Double {
    var best = Double.infinity
    for _ in 0..<passes {
        let start = ContinuousClock.now
        let n = body()
        let t = seconds(ContinuousClock.now - start)
        if n != expected {
            print("\(name): counted \(n), expected \(expected)")
            exit(1)
        }
        best = min(best, t)
    }
    return best
}

let reference = measure("reference", expected: lineCount) {
    var count = 0
    var inLine = false
    for chunk in chunks {
        for byte in chunk {
            if byte == 0x0D || byte == 0x0A {
                if inLine { count += 1 }
                inLine = false
            } else {
                inLine = true
            }
        }
    }
    return count
}

let framerOnly = measure("framer", expected: lineCount) {
    var framer = PEILineFramer()
    var count = 0
    for chunk in chunks { count += framer.append(chunk).count }
    return count
}

let framerParser = measure("framer + parser", expected: lineCount) {
    var framer = PEILineFramer()
    var parser = PEIParser()
    var count = 0
    for chunk in chunks {
        for line in framer.append(chunk) {
            count += 1
            _ = parser.parse(line)
        }
    }
    return count
}

var actionsLastPass = 0
let engineTime = measure("engine", expected: lineCount) {
    var engine = PEIEngine(configuration: .init(gateway: "bench", initCommands: []))
    var now = Timestamp(milliseconds: 1_700_000_000_000)
    _ = engine.start(at: now)
    var actions = 0
    for chunk in chunks {
        now = now.adding(seconds: 0.001)
        actions += engine.handle(.bytesReceived(chunk, at: now)).count
    }
    actionsLastPass = actions
    // Every line was consumed by the engine; the count check is on the traffic we built.
    return engine.overlongLines == 0 && engine.orphanedSDSHeaders == 0 ? lineCount : -1
}

func rate(_ t: Double) -> String {
    let r = Double(lineCount) / t
    return r >= 1e6 ? String(format: "%.2f M lines/s", r / 1e6) : String(format: "%.0f k lines/s", r / 1e3)
}

print("bench-radio: \(lineCount) PEI lines, \(traffic.count) bytes, \(chunks.count) chunks of \(chunkSize) bytes, best of \(passes)")
print("  reference (CR/LF split, count only): \(rate(reference))  \(String(format: "%.1f", Double(traffic.count) / reference / 1e6)) MB/s")
print("  PEILineFramer:                       \(rate(framerOnly))")
print("  PEILineFramer + PEIParser:           \(rate(framerParser))")
print("  PEIEngine (bytes in, actions out):   \(rate(engineTime))  (\(actionsLastPass) actions per pass)")
print("  engine / reference: \(String(format: "%.3f", reference / engineTime)); target 1 M lines/s: \(Double(lineCount) / engineTime >= 1e6 ? "met" : "NOT met")")
