import RadioLink
import TianyanModel

/// The TETRA PEI gateway behind the radio port: its state in neutral terms plus the PEI details
/// (`own_issi`, `queued_commands`, `signal_dbm`, `counters`), and its `tianyan_gateway_*` metrics.
extension RadioGatewayService: RadioGateway {
    public var status: RadioGatewayStatus {
        let s = pei
        let c = s.counters
        let counters: [String: JSONValue] = [
            "bytes_in": .int(c.bytesIn), "connects": .int(c.connects), "disconnects": .int(c.disconnects),
            "calls_started": .int(c.callsStarted), "calls_ended": .int(c.callsEnded), "transmissions": .int(c.transmissions),
            "positions": .int(c.positions), "no_fix": .int(c.noFix), "statuses": .int(c.statuses), "emergencies": .int(c.emergencies),
            "emergency_repeats": .int(c.emergencyRepeats), "texts": .int(c.texts), "pages_requested": .int(c.pagesRequested),
            "pages_failed": .int(c.pagesFailed), "unhandled_lines": .int(c.unhandledLines), "unhandled_sds": .int(c.unhandledSDS),
            "location_responses": .int(c.locationResponses), "write_failures": .int(c.writeFailures), "unresponsive": .int(c.unresponsive),
            "command_timeouts": .int(s.engineTimeouts), "orphaned_sds_headers": .int(s.orphanedSDSHeaders),
            "overlong_lines": .int(s.overlongLines),
        ]
        return RadioGatewayStatus(
            name: s.name, url: s.url, profile: s.profile, protocolName: "tetra-pei", connected: s.connected, ready: s.ready,
            since: s.since, lastError: s.lastError, openCalls: s.openCalls,
            details: ["own_issi": s.ownIdentity.map(JSONValue.string) ?? .null, "queued_commands": .int(s.queuedCommands),
                      "signal_dbm": s.signalDBm.map { .int($0) } ?? .null, "counters": .object(counters)])
    }

    public var metrics: [Metric] {
        let g = pei
        let c = g.counters
        let l = ["gateway": g.name]
        func gauge(_ name: String, _ help: String, _ value: Double) -> Metric {
            Metric(name: name, help: help, kind: .gauge, labels: l, value: value)
        }
        func count(_ name: String, _ help: String, _ value: UInt64) -> Metric {
            Metric(name: name, help: help, kind: .counter, labels: l, value: Double(value))
        }
        return [
            gauge("tianyan_gateway_connected", "1 while the gateway's line is open", g.connected ? 1 : 0),
            gauge("tianyan_gateway_ready", "1 while the gateway's radio is initialised and answering", g.ready ? 1 : 0),
            gauge("tianyan_gateway_open_calls", "voice calls in progress", Double(g.openCalls)),
            count("tianyan_gateway_bytes_received_total", "bytes read from the gateway", c.bytesIn),
            count("tianyan_gateway_disconnects_total", "times the gateway's line was lost", c.disconnects),
            count("tianyan_gateway_calls_total", "voice calls started", c.callsStarted),
            count("tianyan_gateway_positions_total", "LIP positions with a fix", c.positions),
            count("tianyan_gateway_no_fix_total", "LIP reports without a fix", c.noFix),
            count("tianyan_gateway_emergencies_total", "emergency alarms raised", c.emergencies),
            count("tianyan_gateway_pages_total", "pages and status callouts requested", c.pagesRequested),
            count("tianyan_gateway_pages_failed_total", "pages that failed", c.pagesFailed),
            count("tianyan_gateway_unhandled_lines_total", "lines from the radio that were not understood (decode errors)", c.unhandledLines),
            count("tianyan_gateway_unhandled_sds_total",
                  "SDS from the radio the controller does not act on (acknowledgements, other protocols, undecodable)", c.unhandledSDS),
            count("tianyan_gateway_command_timeouts_total", "AT commands that got no final result in time", UInt64(g.engineTimeouts)),
        ]
    }

    public var sendsStatusCallouts: Bool { settings.statusCallouts }

    /// TETRA's PEI gives a dispatch radio no control over other radios (stun and revive are the
    /// network's, through its own dispatcher).
    public func control(_ action: RadioControlAction, radio: String, requestedBy: String) throws(DispatchError) -> RadioControl {
        throw .invalid("gateway \(name) speaks TETRA PEI, which has no radio control; a \(action.rawValue) needs the network's own dispatcher",
                       field: "action")
    }

    public func control(id: String) -> RadioControl? { nil }

    /// A TETRA identity a dispatcher may dial: 1 to 17 digits.
    public func isValidAddress(_ text: String) -> Bool { TetraIdentity.isValidDialDigits(text) }
}
