/// Turns the raw byte stream of a PEI port into complete text lines.
///
/// Radios answer in V.250 verbose framing, `<CR><LF>text<CR><LF>`. The framer ends a line on CR,
/// on LF or on CR LF, skips the empty lines this produces, drops other control bytes (ftl's rule)
/// and maps bytes from 0x80 up to the ISO 8859-1 character of the same value, so no input can make
/// it fail. A line longer than `maximumLineLength` is thrown away up to the next line end and
/// counted in `overlongLines`; the buffer never grows past that bound.
public struct PEILineFramer: Sendable {
    /// The longest line kept, in bytes. Longer input is discarded up to the next line end.
    public let maximumLineLength: Int
    /// Lines thrown away because they were longer than `maximumLineLength`.
    public private(set) var overlongLines: Int = 0

    private var buffer: [UInt8] = []
    private var discarding = false

    public init(maximumLineLength: Int = 4096) {
        precondition(maximumLineLength > 0, "maximumLineLength must be positive")
        self.maximumLineLength = maximumLineLength
        buffer.reserveCapacity(min(maximumLineLength, 256))
    }

    /// Bytes of the line not yet ended.
    public var pendingByteCount: Int { buffer.count }

    /// Feeds bytes in the order they were read; returns every line they complete, oldest first.
    public mutating func append(_ bytes: some Sequence<UInt8>) -> [String] {
        if let lines = bytes.withContiguousStorageIfAvailable({ append(buffer: $0) }) { return lines }
        return Array(bytes).withUnsafeBufferPointer { append(buffer: $0) }
    }

    /// The same for an array: the common case (one serial read), without generic dispatch.
    public mutating func append(_ bytes: [UInt8]) -> [String] {
        bytes.withUnsafeBufferPointer { append(buffer: $0) }
    }

    /// Scans for line ends and copies whole runs of kept bytes at once; bytes are looked at one
    /// by one only around control bytes and at the length bound.
    private mutating func append(buffer input: UnsafeBufferPointer<UInt8>) -> [String] {
        var lines: [String] = []
        var i = 0
        let n = input.count
        while i < n {
            let byte = input[i]
            if byte == 0x0D || byte == 0x0A {
                if discarding {
                    discarding = false
                } else if !buffer.isEmpty {
                    if let line = Self.text(buffer) { lines.append(line) }
                }
                buffer.removeAll(keepingCapacity: true)
                i += 1
                continue
            }
            if byte < 0x20 || byte == 0x7F {
                i += 1
                continue
            }
            // A run of kept bytes: up to the next control byte.
            var end = i + 1
            while end < n {
                let b = input[end]
                if b < 0x20 || b == 0x7F { break }
                end += 1
            }
            if !discarding {
                let room = maximumLineLength - buffer.count
                if buffer.isEmpty, end < n, end - i <= room, input[end] == 0x0D || input[end] == 0x0A {
                    // The whole line is in this read: make the text straight from the input.
                    if let line = Self.text(UnsafeBufferPointer(rebasing: input[i..<end])) { lines.append(line) }
                    i = end + 1
                    continue
                }
                if end - i <= room {
                    buffer.append(contentsOf: UnsafeBufferPointer(rebasing: input[i..<end]))
                } else {
                    discarding = true
                    overlongLines += 1
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            i = end
        }
        return lines
    }

    /// Forgets a partial line, for example after the port was reopened.
    public mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        discarding = false
    }

    /// The line as text with surrounding spaces removed, or nil when only spaces remain. Bytes
    /// from 0x80 up become the ISO 8859-1 character of the same value.
    private static func text(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { text($0) }
    }

    private static func text(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 { end -= 1 }
        guard start < end else { return nil }
        let kept = UnsafeBufferPointer(rebasing: bytes[start..<end])
        if kept.allSatisfy({ $0 < 0x80 }) { return String(decoding: kept, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        for byte in kept { scalars.append(Unicode.Scalar(byte)) }
        return String(scalars)
    }
}
