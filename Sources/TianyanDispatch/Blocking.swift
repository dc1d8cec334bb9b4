import Foundation

/// Runs CPU-heavy synchronous work (planning the sample takes 0.2 s in release and seconds in a
/// debug build; 20,000 cells take seconds) on a thread of its own, so that it never holds one of
/// Swift's few cooperative threads while the gateways, the dock link and the writer need them.
func runBlocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: work()) }
        thread.stackSize = 8 << 20
        thread.name = "tianyan-planner"
        thread.start()
    }
}

extension Duration {
    /// The duration in seconds, fractions included.
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
