/// RFC 4180 CSV: comma separated, fields with comma, quote or line break are quoted, quotes doubled.
public enum CSV {
    /// One parsed record with the 1-based line where it starts.
    public struct Record: Sendable, Hashable {
        public var line: Int
        public var fields: [String]
    }

    public struct SyntaxError: Error, Sendable, Hashable {
        public var line: Int
        public var message: String
    }

    /// Parses a whole document. Accepts LF or CRLF; skips a UTF-8 BOM and blank lines.
    public static func parse(_ text: String) throws(SyntaxError) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var inQuotes = false
        var wasQuoted = false
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var i = 0
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields.removeAll(keepingCapacity: true)
        }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == 0x22 {
                    if i + 1 < bytes.count, bytes[i + 1] == 0x22 {
                        field.append(0x22)
                        i += 2
                        continue
                    }
                    inQuotes = false
                    wasQuoted = true
                } else {
                    if b == 0x0A { line += 1 }
                    field.append(b)
                }
                i += 1
                continue
            }
            switch b {
            case 0x2C:
                endField()
            case 0x0D where i + 1 < bytes.count && bytes[i + 1] == 0x0A:
                break
            case 0x0A:
                endRecord()
                line += 1
                recordLine = line
            case 0x22:
                guard field.isEmpty, !wasQuoted else {
                    throw SyntaxError(line: line, message: "a quote inside an unquoted field; quote the whole field and double the quote")
                }
                inQuotes = true
            default:
                if wasQuoted {
                    throw SyntaxError(line: line, message: "text after a closing quote; put a comma after the quoted field")
                }
                field.append(b)
            }
            i += 1
        }
        if inQuotes { throw SyntaxError(line: recordLine, message: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty || wasQuoted { endRecord() }
        return records
    }

    /// Formats records, quoting only the fields that need it; LF line ends.
    public static func format(_ rows: [[String]]) -> String {
        var out = ""
        for row in rows {
            out += row.map(quote).joined(separator: ",")
            out += "\n"
        }
        return out
    }

    static func quote(_ field: String) -> String {
        if field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || field.hasPrefix(" ") || field.hasSuffix(" ") {
            var quoted = "\""
            for ch in field {
                if ch == "\"" { quoted += "\"\"" } else { quoted.append(ch) }
            }
            return quoted + "\""
        }
        return field
    }
}

