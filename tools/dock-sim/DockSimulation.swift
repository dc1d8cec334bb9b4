import Foundation
import Logging
import MosquittoClient
import ServiceLifecycle
import Synchronization

/// All simulated docks as one service: runs every `DockConnection`, prints a status line every
/// 10 s to stderr, and a summary when it ends (duration over, SIGINT or SIGTERM).
final class DockSimulation: Service, Sendable {
    let connections: [DockConnection]
    let counters: SimulationCounters
    let duration: Duration?
    let logger: Logger
    let startedAt = ContinuousClock.now

    init(connections: [DockConnection], counters: SimulationCounters, duration: Duration?, logger: Logger) {
        self.connections = connections
        self.counters = counters
        self.duration = duration
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for connection in self.connections {
                    group.addTask { await connection.run() }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(10))
                        if Task.isCancelled { break }
                        Self.printError(self.statusLine())
                    }
                }
                if let duration = self.duration {
                    try? await Task.sleep(for: duration)
                    group.cancelAll()
                }
                await group.waitForAll()
            }
        }
        Self.printError(summary())
    }

    struct Totals {
        var connected = 0
        var flying = 0
        var pendingEvents = 0
        var neverAcknowledged = 0
        var eventsSent = 0
        var flightsCompleted = 0
        var alarms = 0
    }

    func totals() -> Totals {
        var t = Totals()
        for c in connections {
            if c.isConnected { t.connected += 1 }
            c.inspect { dock in
                if dock.flightInProgress { t.flying += 1 }
                t.pendingEvents += dock.pendingEvents
                t.neverAcknowledged += dock.neverAcknowledged
                t.eventsSent += dock.eventsSent
                t.flightsCompleted += dock.flightsCompleted
                t.alarms += dock.alarms.count
            }
        }
        return t
    }

    func statusLine() -> String {
        let t = totals()
        let elapsed = Int((ContinuousClock.now - startedAt).components.seconds)
        return "dock-sim \(elapsed) s: \(t.connected)/\(connections.count) docks connected, "
            + "\(counters.published.load(ordering: .relaxed)) messages published, "
            + "\(counters.received.load(ordering: .relaxed)) received, \(t.flying) flights in progress, "
            + "\(t.pendingEvents) events awaiting events_reply, \(t.neverAcknowledged) never acknowledged, "
            + "\(t.alarms) HMS alarms active"
    }

    func summary() -> String {
        let t = totals()
        let elapsed = Int((ContinuousClock.now - startedAt).components.seconds)
        return """
        dock-sim summary after \(elapsed) s, \(connections.count) docks:
          messages published      \(counters.published.load(ordering: .relaxed)) (failed \(counters.publishFailures.load(ordering: .relaxed)), lost during drops \(counters.discardedWhileDropped.load(ordering: .relaxed)))
          messages received       \(counters.received.load(ordering: .relaxed))
          events sent             \(t.eventsSent) (need_reply events never acknowledged: \(t.neverAcknowledged), still waiting: \(t.pendingEvents))
          flights completed       \(t.flightsCompleted) (still in progress: \(t.flying))
          network drops           \(counters.drops.load(ordering: .relaxed))
          HMS alarms active       \(t.alarms)
        """
    }

    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
