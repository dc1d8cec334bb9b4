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
        var lines: [String] = []
        for byte in bytes {
            switch byte {
            case 0x0D, 0x0A:
                if discarding {
                    discarding = false
                } else if !buffer.isEmpty {
                    if let line = Self.text(buffer) { lines.append(line) }
                }
                buffer.removeAll(keepingCapacity: true)
            case 0x00..<0x20, 0x7F:
                continue
            default:
                if discarding { continue }
                if buffer.count == maximumLineLength {
                    discarding = true
                    overlongLines += 1
                    buffer.removeAll(keepingCapacity: true)
                } else {
                    buffer.append(byte)
                }
            }
        }
        return lines
    }

    /// Forgets a partial line, for example after the port was reopened.
    public mutating func reset() {
        buffer.removeAll(keepingCapacity: true)
        discarding = false
    }

    /// The line as text with surrounding spaces removed, or nil when only spaces remain.
    private static func text(_ bytes: [UInt8]) -> String? {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 { end -= 1 }
        guard start < end else { return nil }
        var scalars = String.UnicodeScalarView()
        for byte in bytes[start..<end] { scalars.append(Unicode.Scalar(byte)) }
        return String(scalars)
    }
}
