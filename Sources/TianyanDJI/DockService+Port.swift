import DockLink
import Foundation
import MessageJournal
import MosquittoClient
import TianyanModel

/// The DJI Cloud API behind the dock port: flights become a WPML route file served to the dock
/// and a `flighttask_prepare`; actions become `flighttask_*` and `return_home` services.
extension DockService: DockFleet {
    /// Up while connected with every subscription acknowledged (without them no reply comes back).
    public var isUp: Bool { commandPath?.isUp() ?? client.status.ready }

    public func capabilities(forModel model: String) -> DockProfile.Capabilities? {
        profiles.profile(forModel: model)?.capabilities
    }

    public func prepareFlight(_ flight: FlightPreparation) async throws(DispatchError) -> PreparedFlight {
        let file = try serve(flight)
        let rth = min(1_500, max(20, (flight.route.points.map(\.altitudeMetres).max() ?? 100) + 20))
        let data: JSONValue = .object([
            "flight_id": .string(flight.flightID), "task_type": .number(1), "wayline_type": .number(0),
            "execute_time": .number(Double(flight.start.milliseconds)),
            "file": .object(["url": .string(file.url), "fingerprint": .string(file.md5)]),
            "rth_altitude": .number(rth.rounded()), "out_of_control_action": .number(0),
            "exit_wayline_when_rc_lost": .number(1), "wayline_precision_type": .number(1),
        ])
        let outcome = await send(flight.dock, .flighttaskPrepare, data, by: flight.requestedBy, flight: flight.flightID)
        return PreparedFlight(outcome: outcome, routeBytes: file.bytes.count, fingerprint: file.md5)
    }

    public func restoreFlight(_ flight: FlightPreparation) throws(DispatchError) {
        _ = try serve(flight)
    }

    /// Builds the route file, keeps it for the flight and tells the dock link where it is (for
    /// the dock's `flighttask_resource_get`).
    private func serve(_ flight: FlightPreparation) throws(DispatchError) -> (bytes: [UInt8], md5: String, url: String) {
        let file = try SortieFiles.routeFile(for: flight)
        let url = flight.routeBaseURL + routeFiles.add(file.bytes, fingerprint: file.md5, flight: flight.flightID)
        registerRoute(flightID: flight.flightID, url: url, fingerprint: file.md5)
        return (file.bytes, file.md5, url)
    }

    public func command(_ action: DockAction, serial: String, flightID: String?, requestedBy: String) async -> DockCommandOutcome {
        let (method, data): (DockCommand.Method, JSONValue) = switch action {
        case .launch: (.flighttaskExecute, .object(["flight_id": .string(flightID ?? "")]))
        case .pauseFlight: (.flighttaskPause, .object([:]))
        case .resumeFlight: (.flighttaskRecovery, .object([:]))
        case .withdraw: (.flighttaskUndo, .object(["flight_ids": .array([.string(flightID ?? "")])]))
        case .returnHome: (.returnHome, .object([:]))
        case .cancelReturnHome: (.returnHomeCancel, .object([:]))
        }
        return await send(serial, method, data, by: requestedBy, flight: flightID)
    }

    /// Sends through the command path; a command that could not be sent at all is a failed outcome.
    private func send(_ serial: String, _ method: DockCommand.Method, _ data: JSONValue, by: String, flight: String?) async -> DockCommandOutcome {
        do {
            if let commandPath { return try await commandPath.send(serial, method, data, by, flight) }
            return try await command(serial: serial, method: method, data: data, requestedBy: by, bid: flight)
        } catch {
            let now = Timestamp.now()
            let record = CommandRecord(id: UUID().uuidString.lowercased(), unit: serial, method: method.rawValue, data: nil, requestedBy: by,
                                       requestedAt: now, outcome: .failed, resultText: "\(error)", completedAt: now)
            return DockCommandOutcome(record: record, attempts: 0)
        }
    }

    public func forgetFlight(_ flightID: String) {
        routeFiles.remove(flight: flightID)
    }

    public func routeFile(named name: String) -> [UInt8]? { routeFiles.file(named: name) }

    /// Problems `mqtt journal full` (paused on purpose: the broker queues meanwhile) or `broker`,
    /// and the `broker` object of `/healthz`.
    public var health: ComponentHealth {
        let mqtt = client.status
        var problems: [String] = []
        var broker: [String: JSONValue] = ["connected": .bool(mqtt.connected), "url": .string(client.configuration.broker.description)]
        if let since = mqtt.pausedForJournalSince {
            problems.append("mqtt journal full")
            broker["paused_for_journal_s"] = .int(Int((ContinuousClock.now - since) / .seconds(1)))
            broker["last_error"] = mqtt.lastError.map(JSONValue.string) ?? .null
        } else if !mqtt.connected {
            problems.append("broker")
            broker["last_error"] = mqtt.lastError.map(JSONValue.string) ?? .null
        }
        if let journal = client.journalStatistics {
            broker["journal"] = .object([
                "reserved_bytes": .int(journal.reservedBytes), "short_of_room": .bool(journal.shortOfRoom),
                "unreleased": .int(journal.unreleased), "reserve_error": journal.reserveError.map(JSONValue.string) ?? .null,
            ])
        }
        return ComponentHealth(problems: problems, fields: ["broker": .object(broker)])
    }

    public var metrics: [Metric] {
        let docks = statistics
        func gauge(_ name: String, _ help: String, _ value: Double, _ labels: [String: String] = [:]) -> Metric {
            Metric(name: name, help: help, kind: .gauge, labels: labels, value: value)
        }
        func count(_ name: String, _ help: String, _ value: UInt64, _ labels: [String: String] = [:]) -> Metric {
            Metric(name: name, help: help, kind: .counter, labels: labels, value: Double(value))
        }
        var out = [
            gauge("tianyan_mqtt_connected", "1 while the controller is connected to the broker", docks.mqtt.connected ? 1 : 0),
            count("tianyan_mqtt_reconnects_total", "reconnections to the broker", UInt64(max(0, docks.mqtt.connects - 1))),
            count("tianyan_mqtt_messages_received_total", "MQTT messages received", docks.mqtt.received),
            count("tianyan_mqtt_journal_failures_total", "received messages the journal could not store (full disk): handed on without it",
                  docks.mqtt.journalFailures),
            count("tianyan_mqtt_messages_replayed_total", "MQTT messages replayed from the journal after a restart", docks.mqtt.replayed),
            gauge("tianyan_mqtt_paused_for_journal", "1 while no messages are taken from the broker because the MQTT journal has no disk room",
                  docks.mqtt.pausedForJournalSince == nil ? 0 : 1),
        ]
        if let journal = docks.journal {
            out.append(gauge("tianyan_mqtt_journal_reserved_bytes", "disk bytes reserved ahead of the MQTT journal's writes (room left if the disk fills)",
                             Double(journal.reservedBytes)))
        }
        out.append(count("tianyan_dock_messages_total", "dock messages ingested", docks.ingest.messages))
        for (reason, n) in docks.ingest.rejected.sorted(by: { $0.key < $1.key }) {
            out.append(count("tianyan_dock_rejected_total", "dock messages refused (decode errors), by reason", n, ["reason": reason]))
        }
        out += [
            count("tianyan_dock_field_errors_total", "dock fields that could not be decoded", docks.ingest.fieldErrors),
            count("tianyan_dock_positions_total", "positions stored from docks and aircraft", docks.ingest.positions),
            count("tianyan_dock_replies_total", "replies sent to docks", docks.repliesSent),
            gauge("tianyan_dock_pending_releases", "received messages waiting for their records to be committed", Double(docks.pendingReleases)),
        ]
        return out
    }
}
