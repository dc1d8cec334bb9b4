import Foundation
import Testing
import TianyanModel

@Suite("JSON value")
struct JSONValueTests {
    @Test("in the model: whole numbers are written without a fraction, and a value reads back the same")
    func roundTrip() throws {
        let value: JSONValue = .object(["flight_id": .string("f1"), "task_type": .number(1), "rth": .number(60.5), "list": .array([.bool(true), .null])])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(value), as: UTF8.self)
        #expect(text == #"{"flight_id":"f1","list":[true,null],"rth":60.5,"task_type":1}"#)
        let back = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(back == value && back["task_type"]?.int == 1 && back["flight_id"]?.string == "f1" && back["list"]?.array?.count == 2)
    }
}
