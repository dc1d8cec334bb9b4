import DockLink
import MosquittoClient
import Prometheus
import Synchronization
import TianyanApp
import TianyanStore

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

    func refresh(_ parts: Controller.Parts) {
        let docks = parts.docks.statistics
        gauge("tianyan_mqtt_connected", "1 while the controller is connected to the broker", [], docks.mqtt.connected ? 1 : 0)
        count("tianyan_mqtt_reconnects_total", "reconnections to the broker", [], UInt64(max(0, docks.mqtt.connects - 1)))
        count("tianyan_mqtt_messages_received_total", "MQTT messages received", [], docks.mqtt.received)
        count("tianyan_mqtt_journal_failures_total", "received messages the journal could not store (full disk): handed on without it", [],
              docks.mqtt.journalFailures)
        count("tianyan_mqtt_messages_replayed_total", "MQTT messages replayed from the journal after a restart", [], docks.mqtt.replayed)
        gauge("tianyan_mqtt_paused_for_journal", "1 while no messages are taken from the broker because the MQTT journal has no disk room", [],
              docks.mqtt.pausedForJournalSince == nil ? 0 : 1)
        if let journal = docks.journal {
            gauge("tianyan_mqtt_journal_reserved_bytes", "disk bytes reserved ahead of the MQTT journal's writes (room left if the disk fills)", [],
                  Double(journal.reservedBytes))
        }
        count("tianyan_dock_messages_total", "dock messages ingested", [], docks.ingest.messages)
        for (reason, n) in docks.ingest.rejected {
            count("tianyan_dock_rejected_total", "dock messages refused (decode errors), by reason", [("reason", reason)], n)
        }
        count("tianyan_dock_field_errors_total", "dock fields that could not be decoded", [], docks.ingest.fieldErrors)
        count("tianyan_dock_positions_total", "positions stored from docks and aircraft", [], docks.ingest.positions)
        count("tianyan_dock_replies_total", "replies sent to docks", [], docks.repliesSent)
        gauge("tianyan_dock_pending_releases", "received messages waiting for their records to be committed", [], Double(docks.pendingReleases))
        do {
            let writer = parts.writer.statistics
            gauge("tianyan_store_queue_depth", "records waiting for the writer", [], Double(writer.pending))
            count("tianyan_store_records_committed_total", "records committed to the database", [], writer.committed)
            count("tianyan_store_transactions_total", "database transactions committed", [], writer.transactions)
            count("tianyan_store_failed_commits_total", "commits that failed and were retried", [], writer.failedCommits)
            gauge("tianyan_store_failing", "1 while database commits fail (full disk, read-only file); records wait in memory", [],
                  writer.failingSince == nil ? 0 : 1)
            count("tianyan_store_dropped_total", "positions refused because the writer's queue was full while commits failed", [], writer.dropped)
        }
        if let live = parts.live?.statistics {
            gauge("tianyan_live_clients", "WebSocket clients connected to the live feed", [], Double(live.clients))
            count("tianyan_live_connects_total", "WebSocket connections to the live feed", [], live.connects)
            count("tianyan_live_events_published_total", "live events made from stored records (once each, whatever the clients)", [], live.eventsPublished)
            count("tianyan_live_events_sent_total", "live events written to WebSocket clients", [], live.eventsSent)
            count("tianyan_live_clients_dropped_total", "live clients dropped for being too slow", [], live.clientsDroppedSlow)
            count("tianyan_live_records_skipped_total", "records the live feed skipped because it fell behind", [], live.recordsSkipped)
        }
        for g in parts.radios.statuses {
            let l = [("gateway", g.name)]
            let c = g.counters
            gauge("tianyan_gateway_connected", "1 while the gateway's line is open", l, g.connected ? 1 : 0)
            gauge("tianyan_gateway_ready", "1 while the gateway's radio is initialised and answering", l, g.ready ? 1 : 0)
            gauge("tianyan_gateway_open_calls", "voice calls in progress", l, Double(g.openCalls))
            count("tianyan_gateway_bytes_received_total", "bytes read from the gateway", l, c.bytesIn)
            count("tianyan_gateway_disconnects_total", "times the gateway's line was lost", l, c.disconnects)
            count("tianyan_gateway_calls_total", "voice calls started", l, c.callsStarted)
            count("tianyan_gateway_positions_total", "LIP positions with a fix", l, c.positions)
            count("tianyan_gateway_no_fix_total", "LIP reports without a fix", l, c.noFix)
            count("tianyan_gateway_emergencies_total", "emergency alarms raised", l, c.emergencies)
            count("tianyan_gateway_pages_total", "pages and status callouts requested", l, c.pagesRequested)
            count("tianyan_gateway_pages_failed_total", "pages that failed", l, c.pagesFailed)
            count("tianyan_gateway_unhandled_lines_total", "lines from the radio that were not understood (decode errors)", l, c.unhandledLines)
            count("tianyan_gateway_unhandled_sds_total", "SDS from the radio the controller does not act on (acknowledgements, other protocols, undecodable)", l, c.unhandledSDS)
            count("tianyan_gateway_command_timeouts_total", "AT commands that got no final result in time", l, UInt64(g.engineTimeouts))
        }
    }
}
