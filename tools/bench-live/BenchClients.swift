import Dispatch
import Foundation
import HummingbirdWSClient
import NIOCore
import Logging
import Synchronization

/// The client side of bench-live, run as its own process (`bench-live --clients N --url URL`):
/// N WebSocket connections subscribed to positions. Each one only looks for the `"alt_m":`
/// numbers in what it receives (the publish time on the monotonic clock, in ms) and counts
/// receive time minus that into its histogram; no JSON is decoded. It prints
/// `subscribed N` once every connection has its acknowledgement, and when its standard input
/// closes it prints `result {json}` and exits.
enum BenchClients {
    /// Counts by latency: 0.1 ms steps to 100 ms, then 1 ms steps to 10 s, then one last bucket.
    struct Buckets {
        static let count = 1000 + 9900 + 1
        static func index(_ ms: Double) -> Int {
            if ms < 100 { return max(0, Int(ms * 10)) }
            if ms < 10_000 { return 1000 + Int(ms - 100) }
            return count - 1
        }
        /// The upper edge of bucket `i` in ms.
        static func upper(_ i: Int) -> Double {
            if i < 1000 { return Double(i + 1) / 10 }
            if i < count - 1 { return 100 + Double(i - 1000 + 1) }
            return .infinity
        }
        static func percentile(_ counts: [Int], _ p: Double) -> Double {
            let total = counts.reduce(0, +)
            guard total > 0 else { return .nan }
            var seen = 0
            for (i, n) in counts.enumerated() {
                seen += n
                if Double(seen) >= p * Double(total) { return upper(i) }
            }
            return .infinity
        }
    }

    /// One connection's counts; locked once per frame.
    final class Stats: Sendable {
        let counts = Mutex([UInt32](repeating: 0, count: Buckets.count))
        let frames = Atomic<Int>(0)
    }

    final class Counters: Sendable {
        let subscribed = Atomic<Int>(0)
        let ended = Atomic<Int>(0)
    }

    static func run(clients: Int, url: String, batch: Bool) async throws {
        let logger = Logger(label: "bench-clients", factory: { _ in SwiftLogNoOpLogHandler() })
        let counters = Counters()
        let stats = (0..<clients).map { _ in Stats() }
        let marker = Array(#""alt_m":"#.utf8)
        for s in stats {
            Task.detached {
                _ = try? await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                    try await outbound.write(.text(#"{"subscribe": ["positions"], "batch": \#(batch)}"#))
                    var first = true
                    // A message longer than one frame is put together before it is scanned.
                    var partial: ByteBuffer?
                    for try await frame in inbound {
                        s.frames.add(1, ordering: .relaxed)
                        guard frame.fin, partial == nil else {
                            partial = (partial ?? ByteBuffer()).appending(frame.data)
                            guard frame.fin else { continue }
                            let whole = partial!
                            partial = nil
                            let now = monotonicMilliseconds()
                            _ = whole.withUnsafeReadableBytes { bytes in
                                s.counts.withLock { c in sentTimes(in: bytes, marker: marker) { c[Buckets.index(now - $0)] += 1 } }
                            }
                            continue
                        }
                        let now = monotonicMilliseconds()
                        let found = frame.data.withUnsafeReadableBytes { bytes in
                            s.counts.withLock { c in sentTimes(in: bytes, marker: marker) { c[Buckets.index(now - $0)] += 1 } }
                        }
                        if first {
                            // The acknowledgement comes before any event.
                            first = false
                            if found == 0 { counters.subscribed.add(1, ordering: .relaxed) }
                        }
                    }
                }
                counters.ended.add(1, ordering: .relaxed)
            }
        }
        // Report when everyone is subscribed (or after a minute, whatever was reached).
        let deadline = ContinuousClock.now + .seconds(60)
        while counters.subscribed.load(ordering: .relaxed) < clients, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        emit("subscribed \(counters.subscribed.load(ordering: .relaxed))")
        // Wait for the controller side to close our standard input.
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                while let line = readLine(), !line.isEmpty {}
                done.resume()
            }
        }
        var total = [Int](repeating: 0, count: Buckets.count)
        var frames = 0
        for s in stats {
            s.counts.withLock { c in for i in c.indices where c[i] != 0 { total[i] += Int(c[i]) } }
            frames += s.frames.load(ordering: .relaxed)
        }
        let sparse = total.indices.filter { total[$0] != 0 }.map { [$0, total[$0]] }
        let result: [String: Any] = [
            "received": total.reduce(0, +), "frames": frames, "hist": sparse, "cpu_s": cpuSeconds(),
            "peak_rss_kib": procStatus("VmHWM"), "ended": counters.ended.load(ordering: .relaxed),
            "subscribed": counters.subscribed.load(ordering: .relaxed),
        ]
        let data = try JSONSerialization.data(withJSONObject: result)
        emit("result " + String(decoding: data, as: UTF8.self))
        exit(0)
    }

    /// Calls `body` with each number after `"alt_m":` in `bytes`; returns how many it found.
    @inline(__always)
    static func sentTimes(in bytes: UnsafeRawBufferPointer, marker: [UInt8], _ body: (Double) -> Void) -> Int {
        let n = bytes.count, m = marker.count
        guard n >= m, let base = bytes.baseAddress else { return 0 }
        var found = 0
        var i = 0
        let first = marker[0]
        while i + m <= n {
            // memchr for the quote, then compare the rest.
            guard let hit = memchr(base + i, Int32(first), n - m + 1 - i) else { break }
            i = base.distance(to: UnsafeRawPointer(hit))
            if memcmp(base + i, marker, m) != 0 {
                i += 1
                continue
            }
            var end = i + m
            var value = 0.0, scale = 0.0
            while end < n {
                let c = bytes[end]
                if c == UInt8(ascii: ",") || c == UInt8(ascii: "}") { break }
                if c == UInt8(ascii: ".") { scale = 1 } else if c >= 48, c <= 57 {
                    if scale == 0 { value = value * 10 + Double(c - 48) } else { scale /= 10; value += Double(c - 48) * scale }
                }
                end += 1
            }
            body(value)
            found += 1
            i = end
        }
        return found
    }
}

/// Milliseconds on the system's monotonic clock (Dispatch's uptime): one clock for every
/// process on the machine.
func monotonicMilliseconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e6 }

/// A line on standard output, unbuffered (the other process waits for it).
func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// User + system CPU time of this process so far.
func cpuSeconds() -> Double {
    var u = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}

/// A `kB` field of /proc/self/status (VmHWM: peak resident set, VmRSS: now).
func procStatus(_ field: String) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }
    return 0
}

extension ByteBuffer {
    fileprivate func appending(_ other: ByteBuffer) -> ByteBuffer {
        var copy = self
        var other = other
        copy.writeBuffer(&other)
        return copy
    }
}
