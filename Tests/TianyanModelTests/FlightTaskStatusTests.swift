import Foundation
import Testing
import TianyanModel

@Suite("Flight task status")
struct FlightTaskStatusTests {
    @Test("the named statuses are the dock's text; the terminal ones end a task; a status not named is kept as it came")
    func namedAndUnknown() throws {
        #expect([FlightTaskStatus.sent, .inProgress, .ok, .paused, .rejected, .failed, .canceled, .timeout, .partiallyDone].map(\.rawValue)
            == ["sent", "in_progress", "ok", "paused", "rejected", "failed", "canceled", "timeout", "partially_done"])
        #expect(FlightTaskStatus.terminal == [.ok, .rejected, .failed, .canceled, .timeout, .partiallyDone])
        #expect(!FlightTaskStatus.inProgress.isTerminal && !FlightTaskStatus.paused.isTerminal && FlightTaskStatus.timeout.isTerminal)
        let odd = FlightTaskStatus(rawValue: "preparing")
        #expect(!odd.isTerminal && "\(odd)" == "preparing" && odd == "preparing")
        let update = FlightTaskUpdate(flightID: "f1", dock: "K1", time: Timestamp(milliseconds: 1), status: odd)
        #expect(!update.isTerminal)
    }

    @Test("encoded as the bare text, and any text decodes")
    func codable() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let update = FlightTaskUpdate(flightID: "f1", dock: "K1", time: Timestamp(milliseconds: 1), status: .partiallyDone, percent: 40)
        let text = String(decoding: try encoder.encode(update), as: UTF8.self)
        #expect(text == #"{"dock":"K1","flightID":"f1","percent":40,"status":"partially_done","time":{"milliseconds":1}}"#)
        #expect(try JSONDecoder().decode(FlightTaskUpdate.self, from: Data(text.utf8)) == update)
        #expect(try JSONDecoder().decode(FlightTaskStatus.self, from: Data(#""returning""#.utf8)).rawValue == "returning")
    }
}
