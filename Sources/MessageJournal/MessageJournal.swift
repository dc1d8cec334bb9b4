#if canImport(Glibc)
import Glibc
#endif
import CJournal
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
///
/// Disk room is reserved ahead (`fallocate`, keeping the file size): the segment being written is
/// reserved at its full size and a `spare.jnl` of the same size waits to become the next one. When
/// the disk fills, appends go on into that room; when no spare can be reserved and less than a
/// quarter of a segment is left, `isShortOfRoom` turns true and the client stops taking messages
/// from the broker (which queues them for the persistent session) until `replenish()` finds room.
/// So a message is never acknowledged to the broker without a place in the journal, even on a
/// full disk.
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
        /// Messages journaled and not yet released (stored), across restarts.
        public var unreleased: UInt64
        /// Bytes reserved ahead of the writes: what is left of the current segment plus the spare.
        public var reservedBytes: Int
        /// No spare could be reserved and the current segment is nearly full (see the type's notes).
        public var shortOfRoom: Bool
        /// Why room could not be reserved (the last failure), nil once it could.
        public var reserveError: String?
        /// The file system cannot reserve room (no `fallocate`): the journal works without a reserve.
        public var reserveUnsupported: Bool
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
        /// Disk bytes the current segment holds, written or reserved (from `fstat`).
        var segmentRoom = 0
        /// `spare.jnl` is reserved at the full segment size.
        var spareReady = false
        var reserveUnsupported = false
        var reserveError: String?
        var lastSpareAttempt: ContinuousClock.Instant?
        /// The last append failed: short of room whatever the reservation says.
        var appendFailed = false
    }

    public let directory: String
    private let segmentLimit: Int
    private let state: Mutex<State>
    private let short = Atomic<Bool>(false)

    /// True while the journal has (almost) no reserved room left: take no more messages until
    /// `replenish()` says there is room again. Read on the network thread after each append.
    public var isShortOfRoom: Bool { short.load(ordering: .relaxed) }

    /// Opens (creating if needed) the journal in `directory`. Entries not yet released are
    /// returned by `unreleased()`.
    public init(directory: String, segmentLimitBytes: Int = 32 << 20) throws(JournalError) {
        self.directory = directory
        self.segmentLimit = segmentLimitBytes
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw JournalError("cannot create the journal directory \(directory): \(error.localizedDescription)")
        }
        var s = State()
        let releasedPath = directory + "/released"
        s.releasedFD = open(releasedPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard s.releasedFD >= 0 else {
            throw JournalError("cannot open \(releasedPath): \(String(cString: strerror(errno)))")
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
    public func unreleased() throws(JournalError) -> [Entry] {
        let released = state.withLock { $0.released }
        var out: [Entry] = []
        _ = try scan { entry in
            if entry.sequence > released { out.append(entry) }
        }
        return out
    }

    /// First sequences of the segment files, oldest first: a backlog can be replayed a segment
    /// at a time (`unreleased(inSegment:)`) instead of all at once.
    public var segmentStarts: [UInt64] { state.withLock { $0.segments } }

    /// The unreleased messages of one segment, in order.
    public func unreleased(inSegment first: UInt64) -> [Entry] {
        let released = state.withLock { $0.released }
        var out: [Entry] = []
        _ = readSegment(first) { entry in
            if entry.sequence > released { out.append(entry) }
        }
        return out
    }

    /// Appends one message with a single `write`; returns its sequence number. Called on the
    /// network thread: it never waits for anything but the file system. A failed append (the disk
    /// is full past the reserve) also makes `isShortOfRoom` true.
    public func append(topic: UnsafeBufferPointer<UInt8>, payload: UnsafeRawBufferPointer) throws(JournalError) -> UInt64 {
        try state.withLock { (s: inout State) throws(JournalError) -> UInt64 in
            let total = 18 + topic.count + payload.count
            // Next segment when the record would not fit in this one (so no record reaches past
            // the room reserved for it), or when its reserved room is used up and a spare is
            // ready (a segment started on a full disk may have been given less).
            if (s.segmentBytes > 0 && s.segmentBytes + total > segmentLimit) || (s.spareReady && s.segmentBytes + total > s.segmentRoom) {
                rotate(&s)
            }
            let sequence = s.nextSequence
            let bodyCount = 8 + 2 + topic.count + payload.count
            // Header: length, checksum, sequence, topic length. Written with the topic and the
            // payload in one writev: no copy of the payload, one system call.
            var header = (UInt32(bodyCount).littleEndian, UInt32(0), sequence.littleEndian, UInt16(topic.count).littleEndian)
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
                // Truncating also gives back the room reserved past the end: count what is left.
                var st = stat()
                if fstat(s.fd, &st) == 0 { s.segmentRoom = Int(st.st_blocks) * 512 }
                s.appendFailed = true
                short.store(true, ordering: .relaxed)
                throw JournalError("journal write failed: \(reason)")
            }
            s.segmentBytes += total
            s.nextSequence += 1
            s.appended += 1
            if !s.spareReady {
                // The disk was full at the last try: try again at most once a second.
                if s.lastSpareAttempt.map({ ContinuousClock.now - $0 >= .seconds(1) }) ?? true { makeSpare(&s) }
                refreshShort(&s)
            }
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

    /// Tries again to reserve room (the current segment's and a spare); returns true when the
    /// journal can take messages again. Called about once a second while the client is paused.
    public func replenish() -> Bool {
        state.withLock { s in
            if !s.reserveUnsupported, s.segmentRoom < max(segmentLimit, s.segmentBytes) {
                s.segmentRoom = Self.reserve(s.fd, max(segmentLimit, s.segmentBytes)).room
            }
            makeSpare(&s)
            // Without reservations only a real write says whether the disk has room again.
            if s.appendFailed, s.reserveUnsupported, !Self.canWrite(directory + "/probe.tmp", bytes: 1 << 20) { return false }
            s.appendFailed = false
            refreshShort(&s)
            return !short.load(ordering: .relaxed)
        }
    }

    public var statistics: Statistics {
        state.withLock {
            Statistics(appended: $0.appended, released: $0.released, segments: $0.segments.count, tornRecordsCut: $0.tornRecordsCut,
                       unreleased: $0.nextSequence - 1 - min($0.released, $0.nextSequence - 1),
                       reservedBytes: max(0, $0.segmentRoom - $0.segmentBytes) + ($0.spareReady ? segmentLimit : 0),
                       shortOfRoom: short.load(ordering: .relaxed), reserveError: $0.reserveError,
                       reserveUnsupported: $0.reserveUnsupported)
        }
    }

    // MARK: - Reserved room

    private var sparePath: String { directory + "/spare.jnl" }

    /// Short of room: no spare, and less than a quarter of a segment reserved in the current one
    /// (what may still arrive between the pause request and the disconnect has room).
    private func refreshShort(_ s: inout State) {
        let room = s.spareReady || s.segmentRoom - s.segmentBytes >= segmentLimit / 4 || s.reserveUnsupported
        short.store(s.appendFailed || !room, ordering: .relaxed)
    }

    /// Reserves `bytes` from the start of the file without changing its size; returns the disk
    /// bytes the file now holds and the errno of a failure (0 if none).
    private static func reserve(_ fd: Int32, _ bytes: Int) -> (room: Int, error: Int32) {
        let error = tianyan_reserve_room(fd, 0, bytes)
        var st = stat()
        return (fstat(fd, &st) == 0 ? Int(st.st_blocks) * 512 : 0, error)
    }

    /// Writes `bytes` to a scratch file and removes it: true if all of it could be written.
    private static func canWrite(_ path: String, bytes: Int) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return false }
        defer {
            close(fd)
            unlink(path)
        }
        let zeros = [UInt8](repeating: 0, count: bytes)
        return zeros.withUnsafeBytes { writeAll(fd, $0) }
    }

    private static func unsupported(_ error: Int32) -> Bool { error == EOPNOTSUPP || error == ENOSYS }

    /// Reserves `spare.jnl` at the full segment size (an existing one is kept). A partial
    /// reservation is given back: the database may need those blocks more.
    private func makeSpare(_ s: inout State) {
        guard !s.spareReady, !s.reserveUnsupported else { return }
        s.lastSpareAttempt = .now
        let fd = open(sparePath, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            s.reserveError = "cannot create \(sparePath): \(String(cString: strerror(errno)))"
            return
        }
        defer { close(fd) }
        let (room, error) = Self.reserve(fd, segmentLimit)
        if Self.unsupported(error) {
            s.reserveUnsupported = true
            s.reserveError = "the file system cannot reserve room (fallocate: \(String(cString: strerror(error)))); the journal has no reserve for a full disk"
            unlink(sparePath)
        } else if room >= segmentLimit {
            s.spareReady = true
            s.reserveError = nil
        } else {
            unlink(sparePath)
            s.reserveError = "cannot reserve \(segmentLimit >= 1 << 20 ? "\(segmentLimit >> 20) MiB" : "\(segmentLimit >> 10) KiB") for the next journal segment: \(String(cString: strerror(error == 0 ? ENOSPC : error)))"
        }
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

    private func openWritableSegment() throws(JournalError) {
        try state.withLock { (s: inout State) throws(JournalError) in
            if s.segments.isEmpty { s.segments = [s.nextSequence] }
            let path = segmentPath(s.segments.last!)
            s.fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard s.fd >= 0 else {
                throw JournalError("cannot open \(path): \(String(cString: strerror(errno)))")
            }
            s.segmentBytes = Int(lseek(s.fd, 0, SEEK_END))
            let (room, error) = Self.reserve(s.fd, max(segmentLimit, s.segmentBytes))
            s.segmentRoom = room
            if Self.unsupported(error) { s.reserveUnsupported = true }
            makeSpare(&s)
            refreshShort(&s)
        }
    }

    /// Starts the next segment, from the spare when there is one. If the file cannot be opened
    /// the current segment goes on (past its size) rather than losing its descriptor.
    private func rotate(_ s: inout State) {
        let path = segmentPath(s.nextSequence)
        if s.spareReady { _ = rename(sparePath, path) }
        s.spareReady = false
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            s.reserveError = "cannot open \(path): \(String(cString: strerror(errno)))"
            refreshShort(&s)
            return
        }
        close(s.fd)
        s.fd = fd
        s.segments.append(s.nextSequence)
        s.segmentBytes = 0
        // A spare is reserved already (reserving again costs nothing); a new file is reserved now.
        s.segmentRoom = Self.reserve(fd, segmentLimit).room
        makeSpare(&s)
        refreshShort(&s)
    }

    /// Reads every record of every segment in order; cuts a torn or corrupt tail. Returns the
    /// highest sequence seen (0 if none).
    private func scan(_ visit: (Entry) -> Void) throws(JournalError) -> UInt64 {
        var highest: UInt64 = 0
        for first in segmentStarts {
            highest = max(highest, readSegment(first, visit))
        }
        return highest
    }

    /// Reads the records of one segment in order; cuts a torn or corrupt tail. Returns the
    /// highest sequence seen (0 if none).
    private func readSegment(_ first: UInt64, _ visit: (Entry) -> Void) -> UInt64 {
        var highest: UInt64 = 0
        let path = segmentPath(first)
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
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

/// The journal could not be written or read: what and why, for the log.
public struct JournalError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
