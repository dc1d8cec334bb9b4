import DockLink
import Foundation
import RadioLink
import TianyanModel
import TianyanTesting

// Random and mutated DJI Cloud API input (topics, JSON envelopes, OSD, events, replies) and
// profile YAML (dock and radio), and the properties the decoders must keep on any input. One
// file, compiled twice: into tools/fuzz-dock (millions of inputs, `tools/faults/fuzz`) and,
// through the symlink Tests/FaultTests/DockInvariants.swift, into the suite (a short seeded run).

/// One generated input and how it was made.
struct DockFuzzInput {
    var kind: DockFuzzKind
    var topic: String
    var payload: [UInt8]
}

enum DockFuzzKind: String, CaseIterable {
    case randomBytes = "random bytes"
    case mutatedSample = "mutated sample payload"
    case wrongTypes = "sample with values of the wrong type"
    case truncatedSample = "truncated sample"
    case deepNesting = "deeply nested JSON"
    case extremeNumbers = "extreme numbers"
    case randomTopic = "random topic"
    case mutatedDockProfile = "mutated dock profile YAML"
    case mutatedRadioProfile = "mutated radio profile YAML"
}

enum DockInvariants {
    static let samples: [String] = [
        DJISamples.s1, DJISamples.s2, DJISamples.s3, DJISamples.s4, DJISamples.s5a, DJISamples.s5b, DJISamples.s6, DJISamples.s7,
        DJISamples.s8, DJISamples.s9, DJISamples.s10, DJISamples.s11, DJISamples.s12, DJISamples.s13, DJISamples.s14,
    ]
    static let kinds = ["osd", "state", "services_reply", "events", "requests", "status", "services", "events_reply", "drc/up"]

    static let root: String = {
        if let r = ProcessInfo.processInfo.environment["TIANYAN_ROOT"] { return r }
        return packageRoot(file: #filePath)
    }()
    static let profiles: DockProfiles = {
        do { return try DockProfiles.load(directory: root + "/firmware-profiles") } catch {
            fatalError("fuzz-dock: cannot load the dock profiles under \(root)/firmware-profiles (set TIANYAN_ROOT): \(error)")
        }
    }()
    static let registry = FleetSample.make()
    /// A fresh decoder for each input (a struct: copying it is cheap).
    static let prototype = DockIngest(profiles: profiles, registry: registry)
    /// The fuzzed messages speak for the first dock; the reference after them for the last one.
    static let fuzzDock = registry.docks.first!.serial
    static let referenceDock = registry.docks.last!
    static let dockProfileTexts: [String] = yamlFiles(root + "/firmware-profiles/docks")
    static let radioProfileTexts: [String] = yamlFiles(root + "/firmware-profiles/radios")

    static func yamlFiles(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().filter { $0.hasSuffix(".yaml") }
            .compactMap { try? String(contentsOfFile: dir + "/" + $0, encoding: .utf8) }
    }

    // MARK: Inputs

    static func generate(_ rng: inout SeededGenerator) -> DockFuzzInput {
        // A dock profile costs as much as ~80 messages to decode, a deep nesting ~10: weighted
        // so each kind gets a fair share of the time.
        let roll = Int.random(in: 0..<1_000, using: &rng)
        let kind: DockFuzzKind = roll < 10 ? .mutatedDockProfile : roll < 40 ? .mutatedRadioProfile : roll < 80 ? .deepNesting
            : [.randomBytes, .mutatedSample, .mutatedSample, .wrongTypes, .wrongTypes, .truncatedSample, .extremeNumbers, .randomTopic]
                .randomElement(using: &rng)!
        return make(kind, &rng)
    }

    static func make(_ kind: DockFuzzKind, _ rng: inout SeededGenerator) -> DockFuzzInput {
        let topic = "thing/product/\(fuzzDock)/\(kinds.randomElement(using: &rng)!)"
        let sample = Array(samples.randomElement(using: &rng)!.utf8)
        switch kind {
        case .randomBytes:
            return .init(kind: kind, topic: topic, payload: (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        case .mutatedSample:
            var b = sample
            for _ in 0..<Int.random(in: 1...12, using: &rng) { mutate(&b, &rng) }
            return .init(kind: kind, topic: topic, payload: b)
        case .wrongTypes:
            return .init(kind: kind, topic: topic, payload: replacingValues(sample, &rng))
        case .truncatedSample:
            return .init(kind: kind, topic: topic, payload: Array(sample.prefix(Int.random(in: 0...sample.count, using: &rng))))
        case .deepNesting:
            let depth = Int.random(in: 100...3_000, using: &rng)
            let open = [UInt8](repeating: Bool.random(using: &rng) ? 0x5B : 0x7B, count: 1)
            var b = Array(#"{"tid":"t","bid":"b","timestamp":1,"data":"#.utf8)
            for _ in 0..<depth { b += open == [0x5B] ? [0x5B] : Array(#"{"a":"#.utf8) }
            b += Array("1".utf8)
            for _ in 0..<depth { b += open == [0x5B] ? [0x5D] : [0x7D] }
            return .init(kind: kind, topic: topic, payload: b + [0x7D])
        case .extremeNumbers:
            let numbers = ["1e400", "-1e400", "NaN", "Infinity", "-0", "1e-400", "99999999999999999999999", "-9223372036854775809",
                           "0.0000000000000000000000001", "1.7976931348623157e308", "4.9e-324"]
            var text = String(decoding: sample, as: UTF8.self)
            let pattern = try! NSRegularExpression(pattern: "-?[0-9]+(\\.[0-9]+)?")
            let matches = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).reversed()
            for m in matches where Int.random(in: 0..<4, using: &rng) == 0 {
                text = (text as NSString).replacingCharacters(in: m.range, with: numbers.randomElement(using: &rng)!)
            }
            return .init(kind: kind, topic: topic, payload: Array(text.utf8))
        case .randomTopic:
            let parts = ["thing", "product", "sys", fuzzDock, "", "+", "#", "..", "osd", "events", "services_reply", "\u{0}", "a/b",
                         String(repeating: "x", count: 300), "状态", "status"]
            let t = (0..<Int.random(in: 0...7, using: &rng)).map { _ in parts.randomElement(using: &rng)! }.joined(separator: "/")
            return .init(kind: kind, topic: t, payload: sample)
        case .mutatedDockProfile, .mutatedRadioProfile:
            let texts = kind == .mutatedDockProfile ? dockProfileTexts : radioProfileTexts
            var b = Array((texts.randomElement(using: &rng) ?? "").utf8)
            for _ in 0..<Int.random(in: 1...6, using: &rng) { mutateYAML(&b, &rng) }
            return .init(kind: kind, topic: "", payload: b)
        }
    }

    /// Replaces some JSON values of `sample` with values of another type.
    static func replacingValues(_ sample: [UInt8], _ rng: inout SeededGenerator) -> [UInt8] {
        guard let tree = try? JSONSerialization.jsonObject(with: Data(sample)) else { return sample }
        let odd: [Any] = [NSNull(), "x", 1, -1.5, true, [], [1, "2"], ["k": "v"], "", String(repeating: "é", count: 500), 1e300]
        func walk(_ v: Any) -> Any {
            if Int.random(in: 0..<6, using: &rng) == 0 { return odd.randomElement(using: &rng)! }
            if let d = v as? [String: Any] { return d.mapValues(walk) }
            if let a = v as? [Any] { return a.map(walk) }
            return v
        }
        let mutated = walk(tree)
        return (try? JSONSerialization.data(withJSONObject: mutated, options: [.fragmentsAllowed])).map(Array.init) ?? sample
    }

    static func mutate(_ b: inout [UInt8], _ rng: inout SeededGenerator) {
        let interesting = Array("{}[]\":,0-9.eE+ntfu\\\u{0}\u{7F}".utf8) + [0xC3, 0xFF, 0xE2, 0x80]
        guard !b.isEmpty else { b.append(interesting.randomElement(using: &rng)!); return }
        let i = Int.random(in: 0..<b.count, using: &rng)
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: b[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
        case 1: b.insert(interesting.randomElement(using: &rng)!, at: i)
        case 2: b.remove(at: i)
        case 3: b[i] = interesting.randomElement(using: &rng)!
        case 4:
            let end = min(b.count, i + Int.random(in: 1...80, using: &rng))
            b.insert(contentsOf: b[i..<end], at: Int.random(in: 0...b.count, using: &rng))
        default:
            let end = min(b.count, i + Int.random(in: 1...40, using: &rng))
            b.removeSubrange(i..<end)
        }
    }

    static func mutateYAML(_ b: inout [UInt8], _ rng: inout SeededGenerator) {
        let pieces = ["\n", "  ", ": ", "- ", "[", "]", "{", "}", "&a ", "*a", "!!binary ", "~", "null", "-1", "1e999", "\"", "'", "#",
                      "<<: *a", "? ", "|", ">", "\t", "\u{0}", "0x10", "yes", "ééé", "999999999999999999999"]
        guard !b.isEmpty else { b = Array(pieces.randomElement(using: &rng)!.utf8); return }
        let i = Int.random(in: 0..<b.count, using: &rng)
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: b.insert(contentsOf: Array(pieces.randomElement(using: &rng)!.utf8), at: i)
        case 1: b.removeSubrange(i..<min(b.count, i + Int.random(in: 1...30, using: &rng)))
        case 2:
            // Move a line elsewhere (breaks indentation and order).
            let end = min(b.count, i + Int.random(in: 1...120, using: &rng))
            let chunk = Array(b[i..<end])
            b.removeSubrange(i..<end)
            b.insert(contentsOf: chunk, at: Int.random(in: 0...b.count, using: &rng))
        default: mutate(&b, &rng)
        }
    }

    // MARK: Invariants

    /// Everything wrong with how DockLink (or the profile loaders) handled `input`; empty when
    /// every invariant holds. A trap is a failure too: the fuzzer reports the input it died on.
    static func check(_ input: DockFuzzInput) -> [String] {
        switch input.kind {
        case .mutatedDockProfile: return checkDockProfile(input.payload)
        case .mutatedRadioProfile: return checkRadioProfile(input.payload)
        default: return checkIngest(topic: input.topic, payload: input.payload)
        }
    }

    static func checkIngest(topic: String, payload: [UInt8]) -> [String] {
        var failures: [String] = []
        var ingest = prototype
        let now = Timestamp(milliseconds: 1_764_000_000_000)
        let outcome = ingest.ingest(topic: topic, payload: payload, receivedAt: now)
        let stats = ingest.statistics
        if stats.messages != 1 { failures.append("statistics: \(stats.messages) messages counted for one") }
        let rejected = stats.rejected.values.reduce(0, +)
        if (outcome.rejection != nil) != (rejected == 1) {
            failures.append("rejection \(String(describing: outcome.rejection)) but \(rejected) counted as rejected")
        }
        if outcome.rejection != nil, !outcome.replies.isEmpty { failures.append("a refused message got replies: \(outcome.replies.map(\.topic))") }
        for record in outcome.records {
            if case .position(let p) = record {
                if !(p.latitude.isFinite && abs(p.latitude) <= 90 && p.longitude.isFinite && abs(p.longitude) <= 180) {
                    failures.append("position out of range: \(p.latitude), \(p.longitude)")
                }
                for v in [p.altitude, p.speed, p.heading, p.accuracy].compactMap({ $0 }) where !v.isFinite {
                    failures.append("position of \(p.unit) with a non-finite value \(v)")
                }
            }
        }
        for reply in outcome.replies {
            if (try? JSONSerialization.jsonObject(with: Data(reply.payload))) == nil { failures.append("reply on \(reply.topic) is not JSON") }
        }
        // The decoder state is not poisoned: a valid aircraft OSD still gives a position.
        let drone = registry.drones.first { $0.dock == referenceDock.serial } ?? registry.drones.last!
        let reference = #"{"tid":"t","bid":"b","timestamp":1764000001000,"gateway":"\#(referenceDock.serial)","data":{"latitude":22.8,"longitude":113.9,"height":120.5,"horizontal_speed":3,"attitude_head":10,"mode_code":5}}"#
        let after = ingest.ingest(topic: "thing/product/\(drone.serial)/osd", payload: Array(reference.utf8), receivedAt: now)
        if after.rejection != nil || !after.records.contains(where: { if case .position = $0 { true } else { false } }) {
            failures.append("a valid OSD after the input was not decoded: \(String(describing: after.rejection))")
        }
        return failures
    }

    static func checkDockProfile(_ yaml: [UInt8]) -> [String] {
        guard let text = String(bytes: yaml, encoding: .utf8) else { return [] }
        guard let profile = try? DockProfiles.parse(yaml: text) else { return [] }
        // Decoded: either valid or refused with reasons; a valid one must be usable.
        if DockProfiles.validate(profile).isEmpty {
            var ingest = DockIngest(profiles: DockProfiles([profile]), registry: registry)
            _ = ingest.ingest(topic: "thing/product/\(fuzzDock)/osd", payload: Array(DJISamples.s1.utf8), receivedAt: .now())
        }
        return []
    }

    static func checkRadioProfile(_ yaml: [UInt8]) -> [String] {
        guard let text = String(bytes: yaml, encoding: .utf8) else { return [] }
        do {
            let profile = try RadioProfiles.parse(yaml: text, name: "fuzz")
            _ = profile
        } catch is RadioProfileErrors {
        } catch {
            // Any other error type is fine as long as it is thrown, not trapped.
        }
        return []
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02X", $0) }.joined() }
}
