import Prometheus
import Synchronization
import TianyanDispatch
import TianyanModel

/// Prometheus metrics of the running controller, read from the services' own counters at each
/// scrape (the services keep counting whether or not anyone scrapes). Counters only move up:
/// each scrape adds what changed since the previous one.
final class ControllerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let last = Mutex<[String: UInt64]>([:])

    private func count(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: UInt64) {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let delta = last.withLock { seen -> UInt64 in
            let before = seen[key] ?? 0
            seen[key] = max(before, value)
            return value > before ? value - before : 0
        }
        let counter = labels.isEmpty ? registry.makeCounter(name: name, help: help)
                                     : registry.makeCounter(name: name, labels: labels, help: help)
        if delta > 0 { counter.increment(by: Int64(delta)) }
    }

    private func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Double) {
        let g = labels.isEmpty ? registry.makeGauge(name: name, help: help) : registry.makeGauge(name: name, labels: labels, help: help)
        g.set(value)
    }

    /// One sample as the component gave it: counters move by what changed, gauges are set.
    private func emit(_ m: Metric) {
        let labels = m.labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        switch m.kind {
        case .counter: count(m.name, m.help, labels, UInt64(max(0, m.value)))
        case .gauge: gauge(m.name, m.help, labels, m.value)
        }
    }

    func refresh(_ parts: DispatchServices) {
        for m in parts.docks.metrics { emit(m) }
        for m in parts.writerMetrics() { emit(m) }
        if let live = parts.live?.statistics {
            gauge("tianyan_live_clients", "WebSocket clients connected to the live feed", [], Double(live.clients))
            count("tianyan_live_connects_total", "WebSocket connections to the live feed", [], live.connects)
            count("tianyan_live_events_published_total", "live events made from stored records (once each, whatever the clients)", [], live.eventsPublished)
            count("tianyan_live_events_sent_total", "live events written to WebSocket clients", [], live.eventsSent)
            count("tianyan_live_clients_dropped_total", "live clients dropped for being too slow", [], live.clientsDroppedSlow)
            count("tianyan_live_records_skipped_total", "records the live feed skipped because it fell behind", [], live.recordsSkipped)
        }
        for m in parts.radios.metrics { emit(m) }
    }
}
