import Testing
import TianyanApp
import TianyanDJI
@testable import TianyanDispatch
import TianyanTetra
import TianyanModel

/// When a sortie becomes a dock command, and what the dock's progress does to it.
@Suite("Sortie timing")
struct SortieTimingTests {
    let start = Timestamp(parsing: "2026-11-25T03:00:00Z")!
    let timing = SortieTiming()

    func sortie(_ state: SortieState, urgent: Bool = false, launched: Timestamp? = nil) -> SortieRecord {
        var history = [SortieStep(state: .planned, time: start.adding(seconds: -86_400 * 2))]
        if let launched { history.append(SortieStep(state: .executing, time: launched)) }
        return SortieRecord(id: "f1", drone: "D1", dock: "K1", pilot: "P1", formation: "F1", cells: ["C1"], start: start,
                            end: start.adding(seconds: 1_200), state: state, urgent: urgent,
                            route: SortieRoute(points: [], surveySpeedMetresPerSecond: 10, transitSpeedMetresPerSecond: 15,
                                               photoTriggerDistanceMetres: 50, distanceMetres: 0, durationSeconds: 1_200),
                            history: history)
    }

    func at(_ seconds: Double) -> Timestamp { start.adding(seconds: seconds) }

    @Test("prepared no earlier than 24 h ahead, and only the dock's next sortie")
    func prepare() {
        let s = sortie(.planned)
        #expect(timing.action(for: s, now: at(-86_401), isDocksNext: true, task: nil) == nil)
        #expect(timing.action(for: s, now: at(-86_400), isDocksNext: true, task: nil) == .prepare)
        #expect(timing.action(for: s, now: at(-600), isDocksNext: false, task: nil) == nil)
        #expect(timing.action(for: sortie(.held), now: at(-600), isDocksNext: true, task: nil) == nil)
    }

    @Test("executed 2 minutes before the start; an urgent one at once; a missed slot fails")
    func execute() {
        let s = sortie(.prepared)
        #expect(timing.action(for: s, now: at(-121), isDocksNext: true, task: nil) == nil)
        #expect(timing.action(for: s, now: at(-120), isDocksNext: true, task: nil) == .execute)
        #expect(timing.action(for: sortie(.prepared, urgent: true), now: at(-3_000), isDocksNext: true, task: nil) == .execute)
        guard case .finish(.failed, let why)? = timing.action(for: s, now: at(901), isDocksNext: true, task: nil) else {
            Issue.record("a sortie prepared but not launched 15 min after its start must fail")
            return
        }
        #expect(why.contains("missed its slot"))
        guard case .finish(.failed, _)? = timing.action(for: sortie(.planned), now: at(901), isDocksNext: false, task: nil) else {
            Issue.record("a planned sortie past its slot must fail")
            return
        }
    }

    @Test("progress moves the sortie; a terminal status ends it with the dock's words")
    func progress() {
        let s = sortie(.executing, launched: at(-60))
        func task(_ status: FlightTaskStatus, percent: Double? = nil, code: Int? = nil, at t: Double = 30) -> FlightTaskUpdate {
            FlightTaskUpdate(flightID: "f1", dock: "K1", time: at(t), status: status, percent: percent, resultCode: code,
                             resultText: code.map { "code \($0) text" })
        }
        #expect(timing.action(for: s, now: at(31), isDocksNext: true, task: task("in_progress", percent: 40)) == .progress(.executing, 40, nil))
        #expect(timing.action(for: s, now: at(31), isDocksNext: true, task: task("paused", percent: 40)) == .progress(.paused, 40, "paused on the dock"))
        #expect(timing.action(for: s, now: at(31), isDocksNext: true, task: task("ok", percent: 100)) == .finish(.done, "the dock reports ok"))
        #expect(timing.action(for: s, now: at(31), isDocksNext: true, task: task("partially_done")) == .finish(.partial, "the dock reports partially_done"))
        #expect(timing.action(for: s, now: at(31), isDocksNext: true, task: task("failed", code: 316009))
                == .finish(.failed, "the dock reports failed, result 316009: code 316009 text"))
        #expect(timing.action(for: s, now: at(31), isDocksNext: true, task: task("canceled")) == .finish(.canceled, "the dock reports canceled"))
    }

    @Test("a launched sortie the dock stops reporting on ends failed after 15 minutes, outcome unknown")
    func silence() {
        let s = sortie(.executing, launched: at(-60))
        #expect(timing.action(for: s, now: at(-60 + 900), isDocksNext: true, task: nil) == nil)
        guard case .finish(.failed, let why)? = timing.action(for: s, now: at(-60 + 901), isDocksNext: true, task: nil) else {
            Issue.record("silence must end the sortie")
            return
        }
        #expect(why.contains("outcome unknown"))
        let heard = FlightTaskUpdate(flightID: "f1", dock: "K1", time: at(800), status: "in_progress", percent: 50)
        #expect(timing.action(for: s, now: at(1_500), isDocksNext: true, task: heard) == .progress(.executing, 50, nil))
    }

    @Test("while the dock link is down a sortie due for a command is held, not failed, and silence is not counted; once it is back an urgent sortie still goes, the others' missed slots name the outage")
    func dockLinkDown() {
        let down = SortieTiming.Link(up: false, downSince: at(-60))
        guard case .hold(let why)? = timing.action(for: sortie(.planned), now: at(-600), isDocksNext: true, task: nil, link: down) else {
            Issue.record("a sortie due for its prepare is held while the link is down")
            return
        }
        #expect(why == "held: the dock link (MQTT broker) is down since \(at(-60).iso8601); nothing can reach dock K1. The sortie waits as it is and is prepared when the link is back")
        #expect(timing.action(for: sortie(.planned), now: at(-600), isDocksNext: false, task: nil, link: down) == nil)
        #expect(timing.action(for: sortie(.prepared), now: at(-600), isDocksNext: true, task: nil, link: down) == nil, "not due yet")
        // Past their slot, still held: nothing fails while the link is down.
        for s in [sortie(.planned), sortie(.prepared), sortie(.planned, urgent: true), sortie(.prepared, urgent: true)] {
            guard case .hold? = timing.action(for: s, now: at(3_600), isDocksNext: true, task: nil, link: down) else {
                Issue.record("\(s.state) past its slot while the link is down must be held")
                continue
            }
        }
        let flying = sortie(.executing, launched: at(0))
        #expect(timing.action(for: flying, now: at(3_600), isDocksNext: true, task: nil, link: down) == nil, "silence is not counted while down")

        // Back after 50 minutes.
        let back = SortieTiming.Link(up: true, downSince: at(-60), backAt: at(3_000))
        #expect(timing.action(for: sortie(.planned, urgent: true), now: at(3_010), isDocksNext: true, task: nil, link: back) == .prepare)
        #expect(timing.action(for: sortie(.prepared, urgent: true), now: at(3_010), isDocksNext: true, task: nil, link: back) == .execute)
        guard case .finish(.failed, let missed)? = timing.action(for: sortie(.planned), now: at(3_010), isDocksNext: true, task: nil, link: back) else {
            Issue.record("a planned sortie whose slot ran out during the outage fails once the link is back")
            return
        }
        #expect(missed.contains("the dock link was down from \(at(-60).iso8601) to \(at(3_000).iso8601)"), "\(missed)")
        guard case .finish(.failed, _)? = timing.action(for: sortie(.planned, urgent: true), now: at(3_000 + 901), isDocksNext: true, task: nil, link: back) else {
            Issue.record("an urgent sortie not prepared 15 min after the link came back has missed its slot")
            return
        }
        #expect(timing.action(for: flying, now: at(3_000 + 900), isDocksNext: true, task: nil, link: back) == nil, "silence counts from the return")
        guard case .finish(.failed, _)? = timing.action(for: flying, now: at(3_000 + 901), isDocksNext: true, task: nil, link: back) else {
            Issue.record("silence after the link came back ends the sortie")
            return
        }
        // A sortie whose slot ended before the outage is not excused by it.
        let before = SortieTiming.Link(up: true, downSince: at(2_000), backAt: at(3_000))
        guard case .finish(.failed, let plain)? = timing.action(for: sortie(.planned, urgent: true), now: at(3_010), isDocksNext: true, task: nil, link: before) else {
            Issue.record("an urgent sortie that missed its slot before the outage is not revived")
            return
        }
        #expect(plain.hasSuffix("(the dock was busy or unreachable)"))
    }

    @Test("a dock's next sortie is its earliest unfinished one; a held sortie does not block the rest")
    func docksNext() {
        func make(_ id: String, dock: String, at t: Double, _ state: SortieState) -> SortieRecord {
            var s = sortie(state)
            s.id = id
            s.dock = dock
            s.start = at(t)
            return s
        }
        let open = [make("b", dock: "K1", at: 600, .planned), make("a", dock: "K1", at: 0, .held), make("c", dock: "K2", at: 300, .prepared),
                    make("d", dock: "K2", at: 900, .planned), make("e", dock: "K3", at: 0, .done), make("f", dock: "K3", at: 60, .planned)]
        #expect(SortieTiming.docksNext(open) == ["K1": "b", "K2": "c", "K3": "f"])
    }

    @Test("a final sortie never moves again")
    func finalStays() {
        var s = sortie(.done)
        let moved = s.move(to: .executing, at: at(0))
        #expect(!moved)
        #expect(s.state == .done)
        #expect(timing.action(for: s, now: at(5_000), isDocksNext: true, task: nil) == nil)
    }
}
