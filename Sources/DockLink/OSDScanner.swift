import Foundation
import TianyanModel

/// The hot path of the dock link: OSD and state messages (most of the traffic) are read by a
/// single pass over the bytes that looks only at the envelope and at the keys the profile maps,
/// validating the JSON it skips, without building a tree or allocating for what it ignores.
/// Other topics, rarer and more varied, go through JSONDecoder.
struct OSDScanner {
    struct Envelope {
        var timestamp: Int64?
        var gateway: String?
        var hasData = false
        var values = OSDValues()
    }

    enum Failure: Error {
        case notJSON(String)
        case wrongType(String)
    }

    /// A field tree in byte form: keys as UTF-8 for comparison without building Strings.
    final class Node: Sendable {
        let leaves: [(key: [UInt8], field: OSDField)]
        let children: [(key: [UInt8], node: Node)]

        init(_ tree: FieldTree) {
            leaves = tree.leaves.map { (Array($0.key.stringValue.utf8), $0.field) }
            children = tree.nodes.map { (Array($0.key.stringValue.utf8), Node($0.tree)) }
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    static func scan(_ payload: [UInt8], tree: Node) throws(Failure) -> Envelope {
        try payload.withUnsafeBufferPointer { (b) throws(Failure) -> Envelope in
            var s = OSDScanner(b)
            return try s.envelope(tree)
        }
    }

    // MARK: Envelope

    private static let kTimestamp = Array("timestamp".utf8), kGateway = Array("gateway".utf8), kData = Array("data".utf8)

    private mutating func envelope(_ tree: Node) throws(Failure) -> Envelope {
        var env = Envelope()
        skipSpace()
        guard peek() == UInt8(ascii: "{") else { throw .notJSON("payload is not a JSON object") }
        i += 1
        try members { (s: inout OSDScanner, key: Range<Int>) throws(Failure) in
            if s.keyEquals(key, Self.kData) {
                s.skipSpace()
                switch s.peek() {
                case UInt8(ascii: "{"):
                    env.hasData = true
                    try s.object(tree, &env.values)
                case UInt8(ascii: "n"):
                    try s.skipValue()
                default:
                    throw .wrongType("data is not an object")
                }
            } else if s.keyEquals(key, Self.kTimestamp) {
                s.skipSpace()
                if s.peek() == UInt8(ascii: "\"") {
                    env.timestamp = try s.string().flatMap { Int64($0) }
                } else if let n = try s.numberOrSkip() {
                    env.timestamp = n.isFinite ? Int64(exactly: n.rounded()) : nil
                }
            } else if s.keyEquals(key, Self.kGateway) {
                s.skipSpace()
                if s.peek() == UInt8(ascii: "\"") { env.gateway = try s.string() } else { try s.skipValue() }
            } else {
                try s.skipValue()
            }
        }
        skipSpace()
        guard i == bytes.count else { throw .notJSON("trailing bytes after the JSON object") }
        return env
    }

    /// Reads an object, filling mapped fields; `i` is at `{`.
    private mutating func object(_ node: Node, _ values: inout OSDValues) throws(Failure) {
        i += 1
        try members { (s: inout OSDScanner, key: Range<Int>) throws(Failure) in
            if let leaf = node.leaves.first(where: { s.keyEquals(key, $0.key) }) {
                try s.leaf(leaf.field, &values)
            } else if let child = node.children.first(where: { s.keyEquals(key, $0.key) }) {
                s.skipSpace()
                if s.peek() == UInt8(ascii: "{") {
                    try s.object(child.node, &values)
                } else {
                    if s.peek() != UInt8(ascii: "n") { values.fieldErrors += 1 }
                    try s.skipValue()
                }
            } else {
                try s.skipValue()
            }
        }
    }

    private mutating func leaf(_ field: OSDField, _ values: inout OSDValues) throws(Failure) {
        skipSpace()
        let c = peek()
        if c == UInt8(ascii: "n") {  // null: absent
            try skipValue()
            return
        }
        if field == .batteries {
            guard c == UInt8(ascii: "[") else {
                values.fieldErrors += 1
                try skipValue()
                return
            }
            values.batteries = try batteries()
            return
        }
        if field.isText {
            if c == UInt8(ascii: "\"") {
                values.setText(field, try string())
            } else if let n = try numberOrSkip() {
                values.setText(field, String(n))
            } else {
                values.fieldErrors += 1
            }
            return
        }
        switch c {
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            let isTrue = c == UInt8(ascii: "t")
            try skipValue()
            values[field] = isTrue ? 1 : 0
        default:
            if let n = try numberOrSkip(), n.isFinite { values[field] = n } else { values.fieldErrors += 1 }
        }
    }

    private static let kIndex = Array("index".utf8), kSN = Array("sn".utf8), kLoop = Array("loop_times".utf8)
    private static let kCapacity = Array("capacity_percent".utf8), kTemp = Array("temperature".utf8)
    private static let kVoltage = Array("voltage".utf8), kHVDays = Array("high_voltage_storage_days".utf8)
    private static let kFirmware = Array("firmware_version".utf8)

    private mutating func batteries() throws(Failure) -> [BatteryPack] {
        var packs: [BatteryPack] = []
        i += 1
        skipSpace()
        if peek() == UInt8(ascii: "]") { i += 1; return packs }
        while true {
            skipSpace()
            if peek() == UInt8(ascii: "]") { i += 1; return packs }  // trailing comma
            if peek() == UInt8(ascii: "{") {
                i += 1
                var p = BatteryPack(serial: nil, index: packs.count, cycles: nil, chargePercent: nil, temperature: nil, voltage: nil,
                                    highVoltageStorageDays: nil, firmware: nil)
                try members { (s: inout OSDScanner, key: Range<Int>) throws(Failure) in
                    s.skipSpace()
                    if s.keyEquals(key, Self.kSN) || s.keyEquals(key, Self.kFirmware) {
                        var text: String?
                        if s.peek() == UInt8(ascii: "\"") { text = try s.string() } else { try s.skipValue() }
                        if s.keyEquals(key, Self.kSN) { p.serial = text } else { p.firmware = text }
                        return
                    }
                    let n = try s.numberOrSkip().flatMap { $0.isFinite ? $0 : nil }
                    if s.keyEquals(key, Self.kIndex) { p.index = n.flatMap { Int(exactly: $0) } ?? p.index }
                    else if s.keyEquals(key, Self.kLoop) { p.cycles = n.flatMap { Int(exactly: $0) } }
                    else if s.keyEquals(key, Self.kCapacity) { p.chargePercent = n }
                    else if s.keyEquals(key, Self.kTemp) { p.temperature = n }
                    else if s.keyEquals(key, Self.kVoltage) { p.voltage = n }
                    else if s.keyEquals(key, Self.kHVDays) { p.highVoltageStorageDays = n.flatMap { Int(exactly: $0) } }
                }
                packs.append(p)
            } else {
                try skipValue()
            }
            skipSpace()
            let c = next()
            if c == UInt8(ascii: "]") { return packs }
            guard c == UInt8(ascii: ",") else { throw .notJSON("expected , or ] in an array at byte \(i - 1)") }
        }
    }

    // MARK: Tokens

    @inline(__always) private func peek() -> UInt8 { i < bytes.count ? bytes[i] : 0 }
    @inline(__always) private mutating func next() -> UInt8 {
        guard i < bytes.count else { return 0 }
        defer { i += 1 }
        return bytes[i]
    }

    @inline(__always) private mutating func skipSpace() {
        while i < bytes.count {
            let c = bytes[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    @inline(__always) private func keyEquals(_ key: Range<Int>, _ name: [UInt8]) -> Bool {
        guard key.count == name.count else { return false }
        var k = key.lowerBound
        for b in name {
            if bytes[k] != b { return false }
            k += 1
        }
        return true
    }

    /// Iterates `"key": value` pairs after `{` up to and including `}`; `body` must consume the value.
    private mutating func members(_ body: (inout OSDScanner, Range<Int>) throws(Failure) -> Void) throws(Failure) {
        skipSpace()
        if peek() == UInt8(ascii: "}") { i += 1; return }
        while true {
            skipSpace()
            // A trailing comma is tolerated, as Foundation's parser does.
            if peek() == UInt8(ascii: "}") { i += 1; return }
            guard next() == UInt8(ascii: "\"") else { throw .notJSON("expected a key at byte \(i - 1)") }
            let start = i
            var escaped = false
            while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                if bytes[i] == UInt8(ascii: "\\") { escaped = true; i += 1 }
                i += 1
            }
            guard i < bytes.count else { throw .notJSON("unterminated key") }
            // A key with escapes never equals a mapped key; it is only skipped.
            let key = escaped ? (0..<0) : (start..<i)
            i += 1
            skipSpace()
            guard next() == UInt8(ascii: ":") else { throw .notJSON("expected : at byte \(i - 1)") }
            try body(&self, key)
            skipSpace()
            let c = next()
            if c == UInt8(ascii: "}") { return }
            guard c == UInt8(ascii: ",") else { throw .notJSON("expected , or } at byte \(i - 1)") }
        }
    }

    /// A string value (at `"`), unescaped.
    private mutating func string() throws(Failure) -> String? {
        i += 1
        let start = i
        var plain = true
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
            if bytes[i] == UInt8(ascii: "\\") { plain = false; i += 1 }
            else if bytes[i] < 0x20 { throw .notJSON("control character in a string") }
            i += 1
        }
        guard i < bytes.count else { throw .notJSON("unterminated string") }
        let range = start..<i
        i += 1
        if plain { return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        // Rare: let Foundation unescape it.
        var quoted = [UInt8(ascii: "\"")]
        quoted += bytes[range]
        quoted.append(UInt8(ascii: "\""))
        guard let s = try? JSONDecoder().decode(String.self, from: Data(quoted)) else { throw .notJSON("bad escape in a string") }
        return s
    }

    /// A number, or nil after skipping a value of another type.
    private mutating func numberOrSkip() throws(Failure) -> Double? {
        skipSpace()
        let start = i
        while i < bytes.count {
            let c = bytes[i]
            guard (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") else { break }
            i += 1
        }
        let count = i - start
        if count == 0 {
            try skipValue()
            return nil
        }
        guard count < 64 else { throw .notJSON("number too long") }
        // strtod on a NUL-terminated copy: correctly rounded, like JSONDecoder.
        let bytes = self.bytes
        let parsed: Double? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buf -> Double? in
            for k in 0..<count { buf[k] = CChar(bitPattern: bytes[start + k]) }
            buf[count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buf.baseAddress!, &end)
            guard let end, end - buf.baseAddress! == count else { return nil }
            return value
        }
        guard let parsed else { throw .notJSON("bad number at byte \(start)") }
        return parsed
    }

    /// Skips any value, checking its structure.
    private mutating func skipValue(depth: Int = 0) throws(Failure) {
        guard depth < 64 else { throw .notJSON("nested too deeply") }
        skipSpace()
        switch peek() {
        case UInt8(ascii: "{"):
            i += 1
            try members { (s: inout OSDScanner, _: Range<Int>) throws(Failure) in try s.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            i += 1
            skipSpace()
            if peek() == UInt8(ascii: "]") { i += 1; return }
            while true {
                skipSpace()
                if peek() == UInt8(ascii: "]") { i += 1; return }  // trailing comma
                try skipValue(depth: depth + 1)
                skipSpace()
                let c = next()
                if c == UInt8(ascii: "]") { return }
                guard c == UInt8(ascii: ",") else { throw .notJSON("expected , or ] at byte \(i - 1)") }
            }
        case UInt8(ascii: "\""):
            _ = try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default:
            guard try numberOrSkipStrict() else { throw .notJSON("unexpected byte at \(i)") }
        }
    }

    private mutating func skipString() throws(Failure) -> Bool {
        i += 1
        while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
            if bytes[i] == UInt8(ascii: "\\") { i += 1 }
            i += 1
        }
        guard i < bytes.count else { throw .notJSON("unterminated string") }
        i += 1
        return true
    }

    private mutating func numberOrSkipStrict() throws(Failure) -> Bool {
        let c = peek()
        guard (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "-") else { return false }
        return try numberOrSkip() != nil
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard i + w.count <= bytes.count else { throw .notJSON("truncated literal") }
        for k in 0..<w.count where bytes[i + k] != w[k] { throw .notJSON("bad literal at byte \(i)") }
        i += w.count
    }
}
