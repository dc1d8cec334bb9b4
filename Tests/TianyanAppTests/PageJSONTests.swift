import Foundation
import Testing
import TianyanApp
import TianyanDJI
@testable import TianyanDispatch
import TianyanTetra
import TianyanModel

/// A page as the API and the live feed show it: the states are the same text as before they were typed.
@Suite("Page JSON")
struct PageJSONTests {
    @Test("a page's JSON carries its state and each step's state as text, byte for byte")
    func pageJSON() throws {
        let page = Page(id: "PG-1-1", gateway: "g1", destination: "2100001", target: .radio, text: "report to gate 3", requestedBy: "disp",
                        requestedAt: Timestamp(milliseconds: 1_000), state: .retrying,
                        history: [PageStep(state: .queued, time: Timestamp(milliseconds: 1_000)),
                                  PageStep(state: .retrying, time: Timestamp(milliseconds: 1_500), detail: "busy")])
        let data = try JSONSerialization.data(withJSONObject: RecordJSON.page(page), options: [.sortedKeys, .withoutEscapingSlashes])
        let t0 = Timestamp(milliseconds: 1_000).iso8601, t1 = Timestamp(milliseconds: 1_500).iso8601
        #expect(String(decoding: data, as: UTF8.self) == #"{"final":false,"gateway":"g1","history":["#
            + #"{"detail":null,"state":"queued","time":"\#(t0)"},{"detail":"busy","state":"retrying","time":"\#(t1)"}],"#
            + #""id":"PG-1-1","requested_at":"\#(t0)","requested_by":"disp","state":"retrying","status":null,"target":"radio","#
            + #""text":"report to gate 3","to":"2100001"}"#)
    }
}
