import Foundation
import Testing
import TianyanTesting

/// The module map of the ports-and-adapters layout, read from Package.swift, so that it stays
/// true: the server and the dispatch layer never depend on an adapter, and GRDB is the SQLite
/// adapter's alone.
@Suite("Module map")
struct ModuleMapTests {
    /// Each target's name and the names in its `dependencies:` list (targets and products).
    static func targets() throws -> [String: [String]] {
        let text = try String(contentsOfFile: packageRoot() + "/Package.swift", encoding: .utf8)
        var out: [String: [String]] = [:]
        let chars = Array(text)
        var i = 0
        while let start = [Self.find(".target(", in: chars, from: i), Self.find("Target(", in: chars, from: i)].compactMap({ $0 }).min() {
            // The call's whole text, brackets balanced.
            var depth = 0, j = start
            while j < chars.count, chars[j] != "(" { j += 1 }
            repeat {
                if chars[j] == "(" || chars[j] == "[" { depth += 1 }
                if chars[j] == ")" || chars[j] == "]" { depth -= 1 }
                j += 1
            } while depth > 0 && j < chars.count
            let call = String(chars[start..<j])
            i = j
            guard let name = Self.firstQuoted(after: "name:", in: call) else { continue }
            var deps: [String] = []
            if let range = call.range(of: "dependencies:") {
                let rest = call[range.upperBound...]
                var level = 0
                var list = ""
                for c in rest {
                    if c == "[" { level += 1; if level == 1 { continue } }
                    if c == "]" { level -= 1; if level == 0 { break } }
                    if level >= 1 { list.append(c) }
                }
                // Plain names ("X") and products (.product(name: "X", package: "Y")).
                let quoted = list.split(separator: "\"", omittingEmptySubsequences: false)
                for (k, piece) in quoted.enumerated() where k % 2 == 1 {
                    let before = quoted[k - 1]
                    if before.hasSuffix("package: ") { continue }
                    deps.append(String(piece))
                }
            }
            out[name] = deps
        }
        return out
    }

    static func find(_ needle: String, in chars: [Character], from: Int) -> Int? {
        let n = Array(needle)
        guard chars.count >= n.count else { return nil }
        var i = from
        while i + n.count <= chars.count {
            if Array(chars[i..<(i + n.count)]) == n { return i }
            i += 1
        }
        return nil
    }

    static func firstQuoted(after key: String, in text: String) -> String? {
        guard let r = text.range(of: key) else { return nil }
        let rest = text[r.upperBound...]
        guard let open = rest.firstIndex(of: "\"") else { return nil }
        let after = rest[rest.index(after: open)...]
        guard let close = after.firstIndex(of: "\"") else { return nil }
        return String(after[..<close])
    }

    @Test("the server depends on the dispatch layer and the model, never on an adapter, a transport or a pure core")
    func server() throws {
        let t = try Self.targets()
        let deps = try #require(t["TianyanServer"], "no TianyanServer target in \(t.keys.sorted())")
        #expect(deps.contains("TianyanDispatch") && deps.contains("TianyanModel"), "\(deps)")
        for forbidden in ["TianyanApp", "TianyanSQLite", "TianyanStore", "MosquittoClient", "DockLink", "RadioLink", "SerialPorts",
                          "TianyanTetra", "TianyanHytera", "HyteraLink", "TianyanJT808", "JT808Link", "TianyanDJI", "GRDB"] {
            #expect(!deps.contains(forbidden), "TianyanServer depends on \(forbidden)")
        }
    }

    @Test("the dispatch layer sees the ports and the planner only")
    func dispatch() throws {
        let t = try Self.targets()
        let deps = try #require(t["TianyanDispatch"])
        let modules = deps.filter { $0.hasPrefix("Tianyan") || ["DockLink", "RadioLink", "HyteraLink", "JT808Link", "MosquittoClient", "SerialPorts"].contains($0) }
        #expect(Set(modules) == ["TianyanModel"], "\(deps)")
        #expect(!deps.contains("GRDB"))
    }

    @Test("GRDB is a dependency of the SQLite adapter (and its own tests) alone")
    func grdb() throws {
        let t = try Self.targets()
        let users = t.filter { $0.value.contains { $0.hasPrefix("GRDB") } }.map(\.key).sorted()
        #expect(users == ["TianyanSQLite", "TianyanSQLiteTests"], "GRDB users: \(users)")
    }

    @Test("the message journal is a transport of its own: it depends on its fallocate shim only, and the MQTT client uses it")
    func journal() throws {
        let t = try Self.targets()
        #expect(t["MessageJournal"] == ["CJournal"], "\(t["MessageJournal"] ?? ["no MessageJournal target"])")
        #expect(t["MosquittoClient"]?.contains("MessageJournal") == true)
    }

    @Test("the pure radio cores do no I/O: RadioLink and HyteraLink see the model (and YAML) only, and each adapter its own core")
    func radioCores() throws {
        let t = try Self.targets()
        #expect(t["HyteraLink"] == ["TianyanModel"], "\(t["HyteraLink"] ?? ["no HyteraLink target"])")
        #expect(t["JT808Link"] == ["TianyanModel"], "\(t["JT808Link"] ?? ["no JT808Link target"])")
        #expect(t["TianyanJT808"]?.contains("JT808Link") == true && t["TianyanJT808"]?.contains("HyteraLink") == false)
        #expect(t["RadioLink"]?.filter { !$0.hasPrefix("Yams") } == ["TianyanModel"], "\(t["RadioLink"] ?? [])")
        #expect(t["TianyanHytera"]?.contains("HyteraLink") == true && t["TianyanHytera"]?.contains("RadioLink") == false)
        #expect(t["TianyanTetra"]?.contains("RadioLink") == true && t["TianyanTetra"]?.contains("HyteraLink") == false)
    }

    @Test("each C module is imported by exactly one Swift module")
    func cModules() throws {
        let t = try Self.targets()
        for c in ["CMosquitto", "CLibSerialPort", "CCrypt", "CJournal"] {
            let users = t.filter { $0.value.contains(c) }.map(\.key)
            #expect(users.count == 1, "\(c) used by \(users)")
        }
    }
}
