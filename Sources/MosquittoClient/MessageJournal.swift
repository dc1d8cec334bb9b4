#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// An append-only file journal of received messages, written from the network thread before the
/// message callback returns, so that a message libmosquitto has already acknowledged survives a
/// crash of the process. The consumer releases what it has stored; on start the rest is replayed.
///
/// Layout: `segment-<first sequence, 16 hex>.jnl` files plus `released` (8 bytes, little endian:
/// the highest sequence whose message and every earlier one are stored). A record is
/// `u32 length | u32 checksum of the rest | u64 sequence | u16 topic length | topic | payload`.
/// A torn record at the end of the last segment (a crash in the middle of `write`) is cut off.
public final class MessageJournal: Sendable {
    public struct Entry: Sendable, Hashable {
        public var sequence: UInt64
        public var topic: String
        public var payload: [UInt8]
    }

    public struct Statistics: Sendable, Hashable {
        public var appended: UInt64
        public var released: UInt64
        public var segments: Int
        public var tornRecordsCut: Int
    }

    private struct State {
        var fd: Int32 = -1
        var segmentBytes = 0
        var nextSequence: UInt64 = 1
        var released: UInt64 = 0
        /// First sequence of each open segment file, ascending; the last one is being written.
        var segments: [UInt64] = []
        var appended: UInt64 = 0
        var tornRecordsCut = 0
        var releasedFD: Int32 = -1
    }

    public let directory: String
    private let segmentLimit: Int
    private let state: Mutex<State>

    /// Opens (creating if needed) the journal in `directory`. Entries not yet released are
    /// returned by `unreleased()`.
    public init(directory: String, segmentLimitBytes: Int = 32 << 20) throws(MQTTError) {
        self.directory = directory
        self.segmentLimit = segmentLimitBytes
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw MQTTError(.journal, "cannot create the journal directory \(directory): \(error.localizedDescription)")
        }
        var s = State()
        let releasedPath = directory + "/released"
        s.releasedFD = open(releasedPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard s.releasedFD >= 0 else {
            throw MQTTError(.journal, "cannot open \(releasedPath): \(String(cString: strerror(errno)))")
        }
        var raw: UInt64 = 0
        if pread(s.releasedFD, &raw, 8, 0) == 8 { s.released = UInt64(littleEndian: raw) }
        s.segments = Self.segmentFiles(in: directory)
        s.nextSequence = s.released + 1
        state = Mutex(s)
        // Scan every segment to find the next sequence and cut a torn tail.
        let last = try scan { _ in }
        state.withLock { $0.nextSequence = max($0.nextSequence, last + 1) }
        try openWritableSegment()
    }

    deinit {
        state.withLock { s in
            if s.fd >= 0 { close(s.fd) }
            if s.releasedFD >= 0 { close(s.releasedFD) }
        }
    }

    /// Messages appended but not released, in order.
    public func unreleased() throws(MQTTError) -> [Entry] {
        let released = state.withLock { $0.released }
        var out: [Entry] = []
        _ = try scan { entry in
            if entry.sequence > released { out.append(entry) }
        }
        return out
    }

    /// Appends one message with a single `write`; returns its sequence number. Called on the
    /// network thread: it never waits for anything but the file system.
    public func append(topic: UnsafeBufferPointer<UInt8>, payload: UnsafeRawBufferPointer) throws(MQTTError) -> UInt64 {
        try state.withLock { (s: inout State) throws(MQTTError) -> UInt64 in
            if s.segmentBytes >= segmentLimit { try rotate(&s) }
            let sequence = s.nextSequence
            let bodyCount = 8 + 2 + topic.count + payload.count
            // Header: length, checksum, sequence, topic length. Written with the topic and the
            // payload in one writev: no copy of the payload, one system call.
            var header = (UInt32(bodyCount).littleEndian, UInt32(0), sequence.littleEndian, UInt16(topic.count).littleEndian)
            let total = 18 + topic.count + payload.count
            let written: Bool = withUnsafeMutableBytes(of: &header) { h in
                let sum = Self.checksum([UnsafeRawBufferPointer(rebasing: h[8..<18]), UnsafeRawBufferPointer(topic), payload])
                h.storeBytes(of: sum.littleEndian, toByteOffset: 4, as: UInt32.self)
                return Self.writeRecord(s.fd, UnsafeRawBufferPointer(rebasing: h[0..<18]), UnsafeRawBufferPointer(topic), payload, total: total)
            }
            guard written else {
                let reason = String(cString: strerror(errno))
                // Cut what a failed write left (disk full), so that later records follow the last
                // good one and a restart does not stop reading at a half record.
                _ = ftruncate(s.fd, off_t(s.segmentBytes))
                throw MQTTError(.journal, "journal write failed: \(reason)")
            }
            s.segmentBytes += total
            s.nextSequence += 1
            s.appended += 1
            return sequence
        }
    }

    /// Marks every message up to and including `sequence` as stored; drops whole segments that
    /// hold nothing newer.
    public func release(through sequence: UInt64) {
        state.withLock { s in
            guard sequence > s.released else { return }
            s.released = min(sequence, s.nextSequence - 1)
            var raw = s.released.littleEndian
            _ = pwrite(s.releasedFD, &raw, 8, 0)
            // A segment can go when the next one starts at or below released + 1.
            while s.segments.count > 1, s.segments[1] <= s.released + 1 {
                unlink(segmentPath(s.segments[0]))
                s.segments.removeFirst()
            }
        }
    }

    public var statistics: Statistics {
        state.withLock { Statistics(appended: $0.appended, released: $0.released, segments: $0.segments.count, tornRecordsCut: $0.tornRecordsCut) }
    }

    // MARK: - Files

    private func segmentPath(_ first: UInt64) -> String {
        directory + "/segment-" + String(format: "%016llx", first) + ".jnl"
    }

    private static func segmentFiles(in directory: String) -> [UInt64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> UInt64? in
            guard name.hasPrefix("segment-"), name.hasSuffix(".jnl") else { return nil }
            return UInt64(name.dropFirst(8).dropLast(4), radix: 16)
        }.sorted()
    }

    private func openWritableSegment() throws(MQTTError) {
        try state.withLock { (s: inout State) throws(MQTTError) in
            if s.segments.isEmpty { s.segments = [s.nextSequence] }
            let path = segmentPath(s.segments.last!)
            s.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard s.fd >= 0 else {
                throw MQTTError(.journal, "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            s.segmentBytes = Int(lseek(s.fd, 0, SEEK_END))
        }
    }

    private func rotate(_ s: inout State) throws(MQTTError) {
        close(s.fd)
        s.segments.append(s.nextSequence)
        let path = segmentPath(s.nextSequence)
        s.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard s.fd >= 0 else {
            throw MQTTError(.journal, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        s.segmentBytes = 0
    }

    /// Reads every record of every segment in order; cuts a torn or corrupt tail. Returns the
    /// highest sequence seen (0 if none).
    private func scan(_ visit: (Entry) -> Void) throws(MQTTError) -> UInt64 {
        let segments = state.withLock { $0.segments }
        var highest: UInt64 = 0
        for first in segments {
            let path = segmentPath(first)
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            var offset = 0
            let valid: Int = data.withUnsafeBytes { bytes in
                while offset + 8 <= bytes.count {
                    let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                    let checksum = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                    guard length >= 10, offset + 8 + length <= bytes.count else { break }
                    let body = UnsafeRawBufferPointer(rebasing: bytes[(offset + 8)..<(offset + 8 + length)])
                    let sequence = UInt64(littleEndian: body.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
                    let topicCount = Int(UInt16(littleEndian: body.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
                    guard 10 + topicCount <= length else { break }
                    guard Self.checksum([UnsafeRawBufferPointer(rebasing: body[0..<10]),
                                         UnsafeRawBufferPointer(rebasing: body[10..<(10 + topicCount)]),
                                         UnsafeRawBufferPointer(rebasing: body[(10 + topicCount)...])]) == checksum else { break }
                    let topic = String(decoding: body[10..<(10 + topicCount)], as: UTF8.self)
                    let payload = [UInt8](body[(10 + topicCount)...])
                    visit(Entry(sequence: sequence, topic: topic, payload: payload))
                    highest = max(highest, sequence)
                    offset += 8 + length
                }
                return offset
            }
            if valid < data.count {
                // A crash mid-write leaves a partial record at the end: cut it so appends follow
                // the last good one.
                truncate(path, off_t(valid))
                state.withLock { $0.tornRecordsCut += 1 }
            }
        }
        return highest
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            done += n
        }
        return true
    }

    /// A 32-bit checksum of a record: eight bytes at a time (multiply-xor-rotate), the tail byte
    /// by byte. It only has to catch a torn or garbled record, and it runs on the network thread
    /// for every message, so it must be cheap.
    static func checksum(_ pieces: [UnsafeRawBufferPointer]) -> UInt32 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for bytes in pieces {
            hash ^= UInt64(bytes.count)
            var k = 0
            while k + 8 <= bytes.count {
                let word = bytes.loadUnaligned(fromByteOffset: k, as: UInt64.self)
                hash = (hash ^ word) &* 0x0000_0100_0000_01B3
                hash = (hash << 29) | (hash >> 35)
                k += 8
            }
            while k < bytes.count {
                hash = (hash ^ UInt64(bytes[k])) &* 0x0000_0100_0000_01B3
                k += 1
            }
        }
        return UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
    }

    /// One writev of the three parts; a short write (rare on files) is finished with plain writes.
    private static func writeRecord(_ fd: Int32, _ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, _ c: UnsafeRawBufferPointer, total: Int) -> Bool {
        var iov = [iovec(iov_base: UnsafeMutableRawPointer(mutating: a.baseAddress), iov_len: a.count),
                   iovec(iov_base: UnsafeMutableRawPointer(mutating: b.baseAddress), iov_len: b.count),
                   iovec(iov_base: UnsafeMutableRawPointer(mutating: c.baseAddress), iov_len: c.count)]
        var n: Int
        repeat { n = writev(fd, &iov, 3) } while n < 0 && errno == EINTR
        if n == total { return true }
        guard n >= 0 else { return false }
        var done = n
        for part in [a, b, c] {
            if done >= part.count { done -= part.count; continue }
            guard writeAll(fd, UnsafeRawBufferPointer(rebasing: part[done...])) else { return false }
            done = 0
        }
        return true
    }
}
