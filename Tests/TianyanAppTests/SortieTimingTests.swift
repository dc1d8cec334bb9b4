import Testing
import TianyanApp
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
        func task(_ status: String, percent: Double? = nil, code: Int? = nil, at t: Double = 30) -> FlightTaskUpdate {
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
