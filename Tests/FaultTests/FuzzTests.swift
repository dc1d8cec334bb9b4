import Foundation
import Testing
import TianyanModel

/// Scenario 5's decoders, short version: seeded, deterministic runs of the DJI and profile
/// invariants (tools/fuzz-dock runs them for minutes; the PEI, SDS and LIP side runs in
/// RadioLinkTests/PEIRobustnessTests and tools/fuzz-radio).
@Suite("Decoders under random input")
struct FuzzTests {
    /// 10,000 inputs over four seeds (about 10 s in a debug build): every kind generated, no
    /// invariant broken, no trap.
    @Test(arguments: [1, 2, 3, 20_261_125] as [UInt64])
    func dockAndProfileInputKeepEveryInvariant(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var kinds: Set<DockFuzzKind> = []
        var failing: [String] = []
        for index in 0..<2_500 {
            let input = DockInvariants.generate(&rng)
            kinds.insert(input.kind)
            let problems = DockInvariants.check(input)
            if !problems.isEmpty, failing.count < 5 {
                failing.append("input \(index) (\(input.kind.rawValue), topic \(input.topic.debugDescription)): \(problems) hex \(DockInvariants.hex(input.payload).prefix(400))")
            }
        }
        #expect(failing.isEmpty, "\(failing)")
        #expect(kinds == Set(DockFuzzKind.allCases), "generator covers \(kinds)")
    }

    @Test("the reference OSD the invariants use is decoded, so the after-input check can fail")
    func referenceIsDecoded() {
        #expect(DockInvariants.checkIngest(topic: "thing/product/x/osd", payload: []).isEmpty)
        #expect(!DockInvariants.dockProfileTexts.isEmpty && !DockInvariants.radioProfileTexts.isEmpty)
    }
}
