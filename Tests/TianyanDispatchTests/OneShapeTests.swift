import Foundation
import Testing
import TianyanDispatch
import TianyanModel

/// One JSON shape per thing: a voice call and a position read the same in the API's writer, the
/// live feed's event and the command line's `--json`, on random values.
@Suite("One JSON shape per record")
struct OneShapeTests {
    static func decode(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    static func reference(_ object: Any) throws -> NSObject {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return try JSONSerialization.jsonObject(with: data) as! NSObject
    }

    static func randomCall(_ g: inout SystemRandomNumberGenerator, ended: Bool) -> VoiceCall {
        let start = Timestamp(milliseconds: Int64.random(in: 1_700_000_000_000...1_800_000_000_000, using: &g))
        let talkers = (0..<Int.random(in: 0...4, using: &g)).map { i in
            Transmission(talker: "21000\(10 + i)", start: start.adding(seconds: Double(i) * 3),
                              end: ended || i < 2 ? start.adding(seconds: Double(i) * 3 + 2.5) : nil)
        }
        return VoiceCall(id: "g1-\(UInt32.random(in: 0...UInt32.max, using: &g))", gateway: "g1", kind: Bool.random(using: &g) ? .group : .individual,
                         called: "9001", caller: "2100010", priority: Int.random(in: 0...15, using: &g), emergency: Bool.random(using: &g),
                         start: start, end: ended ? start.adding(seconds: 30) : nil, cause: ended ? "released" : nil, transmissions: talkers)
    }

    @Test("a call from the API, the live feed and voice-log --json is one shape")
    func call() throws {
        var g = SystemRandomNumberGenerator()
        for i in 0..<50 {
            let c = Self.randomCall(&g, ended: i % 2 == 0)
            let api = try Self.reference(RecordJSON.call(c))
            let live = try #require(LiveEvent(.voiceCall(c)))
            let event = try #require(try Self.decode(live.text) as? [String: Any])
            #expect(event["type"] as? String == "call")
            #expect((event["data"] as? NSDictionary) == (api as? NSDictionary), "live: \(live.text)")
            let cli = try #require(try Self.decode(UnitReport.voiceLogJSON([c])) as? [Any])
            #expect((cli.first as? NSDictionary) == (api as? NSDictionary))
            let keys = Set((api as! NSDictionary).allKeys as! [String])
            #expect(keys == ["id", "gateway", "kind", "called", "caller", "priority", "emergency", "start", "end", "duration_s", "cause",
                             "talking", "transmissions"])
        }
    }

    @Test("a position from the API's units and tracks, the live feed and units/track --json is one shape, nulls explicit")
    func position() throws {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let p = Position(unit: "2100\(Int.random(in: 100...999, using: &g))",
                             time: Timestamp(milliseconds: Int64.random(in: 1_700_000_000_000...1_800_000_000_000, using: &g)),
                             latitude: Double.random(in: -89...89, using: &g), longitude: Double.random(in: -179...179, using: &g),
                             altitude: Bool.random(using: &g) ? Double.random(in: -10...500, using: &g) : nil,
                             speed: Bool.random(using: &g) ? Double.random(in: 0...40, using: &g) : nil,
                             heading: Bool.random(using: &g) ? Double.random(in: 0..<360, using: &g) : nil,
                             accuracy: Bool.random(using: &g) ? Double.random(in: 1...100, using: &g) : nil,
                             source: Bool.random(using: &g) ? .lip : .osd)
            let api = try #require(try Self.reference(RecordJSON.position(p)) as? NSDictionary)
            let live = try #require(LiveEvent(.position(p)))
            let event = try #require(try Self.decode(live.text) as? [String: Any])
            #expect((event["data"] as? NSDictionary) == api, "live: \(live.text)")
            let unit = UnitSummary(id: p.unit, kind: .radio, name: "x", registered: true, formation: nil, lastSeen: p.time, position: p)
            let units = try #require(try Self.decode(UnitReport.unitsJSON([unit], now: p.time, onlineSeconds: 60)) as? [[String: Any]])
            #expect((units.first?["position"] as? NSDictionary) == api)
            let track = try #require(try Self.decode(UnitReport.trackJSON(unit: p.unit, [p])) as? [String: Any])
            #expect(((track["points"] as? [Any])?.first as? NSDictionary) == api)
            #expect(Set(api.allKeys as! [String]) == ["unit", "time", "lat", "lon", "alt_m", "speed_mps", "heading_deg", "accuracy_m", "source"])
        }
    }
}
