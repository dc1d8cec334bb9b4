import Synchronization
import Testing
import TianyanModel
@testable import CoveragePlanner

@Suite("Schedule progress")
struct ScheduleProgressTests {
    @Test("progress rises to 1 in at most about a hundred steps, and does not change the plan")
    func progressRisesAndChangesNothing() {
        let input = ScheduleFixtures.sampleInput()
        let seen = Mutex<[Double]>([])
        let withProgress = CoverageScheduler.schedule(input) { f in seen.withLock { $0.append(f) } }
        let values = seen.withLock { $0 }
        #expect(values.last == 1)
        #expect(values.first.map { $0 < 0.05 } == true, "\(values.prefix(3))")
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 <= $1 }, "never goes back")
        #expect(values.count >= 10 && values.count <= 105, "\(values.count) calls")
        #expect(withProgress == CoverageScheduler.schedule(input))
    }
}
