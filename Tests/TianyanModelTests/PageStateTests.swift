import Foundation
import Testing
import TianyanModel

@Suite("Page state")
struct PageStateTests {
    @Test("the raw values are the stored text, the cases in rank order; read and failed are final")
    func rawValuesAndOrder() {
        #expect(PageState.allCases.map(\.rawValue) == ["queued", "retrying", "accepted", "sent", "received", "read", "failed"])
        #expect(PageState.allCases == PageState.allCases.sorted())
        #expect(PageState.queued < .accepted && .accepted < .sent && .sent < .received && .received < .read && .read < .failed)
        #expect(PageState.allCases.filter(\.isFinal) == [.read, .failed])
        #expect("\(PageState.received)" == "received")
        #expect(PageState(rawValue: "consumed") == nil)
    }

    @Test("a page's final state depends on its target: a talkgroup page and a status callout are done once sent")
    func pageIsFinal() {
        func page(_ state: PageState, _ target: Page.Target = .radio, status: Int? = nil) -> Page {
            Page(id: "PG-1", gateway: "g1", destination: "2100001", target: target, text: "t", status: status, requestedBy: "d",
                 requestedAt: Timestamp(milliseconds: 0), state: state, history: [])
        }
        #expect(!page(.sent).isFinal && page(.read).isFinal && page(.failed).isFinal && !page(.retrying).isFinal)
        #expect(page(.sent, .talkgroup).isFinal && page(.sent, status: 0x8002).isFinal && !page(.accepted, .talkgroup).isFinal)
    }

    @Test("encoded as its text, in a page and in a task's assignment; unknown text does not decode")
    func codable() throws {
        let step = PageStep(state: .retrying, time: Timestamp(milliseconds: 5), detail: "busy")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(step), as: UTF8.self) == #"{"detail":"busy","state":"retrying","time":{"milliseconds":5}}"#)
        #expect(try JSONDecoder().decode(PageStep.self, from: Data(#"{"state":"read","time":{"milliseconds":5}}"#.utf8)).state == .read)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PageStep.self, from: Data(#"{"state":"lost","time":{"milliseconds":5}}"#.utf8)) }
        let a = TaskAssignment(unit: "2100001", kind: .radio, name: nil, formation: nil, assignedAt: Timestamp(milliseconds: 1), assignedBy: "d",
                               page: "PG-1", pageState: .accepted)
        let text = String(decoding: try encoder.encode(a), as: UTF8.self)
        #expect(text.contains(#""pageState":"accepted""#), "\(text)")
        #expect(try JSONDecoder().decode(TaskAssignment.self, from: Data(text.utf8)) == a)
    }
}
