import Foundation

/// One scenario's result, scored the Jepsen way: what was sent, what the SQLite file holds,
/// what is missing, what is there twice, and how long the controller took to recover. The
/// long versions (tools/faults) print the same line.
struct FaultScore: CustomStringConvertible {
    var scenario: String
    var sent: Int
    var stored: Int
    var duplicated: Int
    var recoveredSeconds: Double
    var lost: Int { max(0, sent - (stored - duplicated)) }

    var description: String {
        "\(scenario): sent \(sent), stored \(stored), lost \(lost), duplicated \(duplicated), recovered in \(String(format: "%.2f", recoveredSeconds)) s"
    }

    /// Prints the line (the long runs grep it) and returns it for the test's expectations.
    @discardableResult
    func report() -> FaultScore {
        print(description)
        if let path = ProcessInfo.processInfo.environment["TIANYAN_FAULT_REPORT"],
           let handle = FileHandle(forWritingAtPath: path) ?? (FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil) {
            handle.seekToEndOfFile()
            handle.write(Data((description + "\n").utf8))
            try? handle.close()
        }
        return self
    }
}

/// Scales a scenario: the suite runs the short version, `tools/faults/*` sets
/// TIANYAN_FAULT_SCALE (a multiplier on counts and fault durations) for the long one.
enum FaultScale {
    static var factor: Int { Int(ProcessInfo.processInfo.environment["TIANYAN_FAULT_SCALE"] ?? "") ?? 1 }
    static func count(_ n: Int) -> Int { n * factor }
    static func seconds(_ s: Double) -> Duration { .milliseconds(Int(s * 1000) * factor) }
}
