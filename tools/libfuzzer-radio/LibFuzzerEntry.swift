// libFuzzer entry for the PEI invariants; built by tools/libfuzzer-radio/run.sh, not by SwiftPM.
@_cdecl("LLVMFuzzerTestOneInput")
public func radioFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    let problems = PEIInvariants.check(bytes)
    if !problems.isEmpty {
        // Report and abort so libFuzzer saves the input as a crash artifact.
        fatalError("invariant broken: \(problems.joined(separator: "; "))")
    }
    return 0
}
