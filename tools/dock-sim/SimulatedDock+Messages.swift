import Foundation
import TianyanModel

/// The DJI Cloud API messages of a simulated dock, in the shapes of the documented fixtures
/// (S1–S8 of dji-cloud-api-samples.md): envelope `tid`, `bid`, `timestamp` (ms), `gateway`,
/// `method`, `data`.
extension SimulatedDock {
    private mutating func envelope(method: String?, bid: String? = nil, data: JSONValue, now: Double, needReply: Bool = false) -> JSONValue {
        var members: [(String, JSONValue)] = [("tid", .string(uuid())), ("bid", .string(bid ?? uuid())), ("timestamp", .int(Self.ms(now)))]
        if let method { members.append(("method", .string(method))) }
        if needReply { members.append(("need_reply", 1)) }
        members.append(("gateway", .string(dockSerial)))
        members.append(("data", data))
        return .object(members)
    }

    static func modelKeyParts(_ key: String) -> (domain: Int, type: Int, subType: Int) {
        let p = key.split(separator: "-").map { Int($0) ?? 0 }
        return (p.count > 0 ? p[0] : 0, p.count > 1 ? p[1] : 0, p.count > 2 ? p[2] : 0)
    }

    /// `update_topo` on `sys/product/{dock}/status` (S5): the dock, and its aircraft as a
    /// sub-device while the aircraft is powered (an empty list says it went offline).
    mutating func topologyMessage(now: Double, awaitReply: Bool) -> OutgoingMessage {
        let dock = Self.modelKeyParts(identity.dockModelKey)
        let aircraft = Self.modelKeyParts(identity.aircraftModelKey)
        var subDevices: [JSONValue] = []
        if aircraftPowered {
            subDevices.append(.obj(
                ("sn", .string(identity.aircraftSerial)), ("domain", .int(aircraft.domain)), ("type", .int(aircraft.type)),
                ("sub_type", .int(aircraft.subType)), ("index", "A"), ("device_secret", "secret"), ("nonce", "nonce"),
                ("version", 1)))
        }
        let data = JSONValue.obj(
            ("domain", .int(dock.domain)), ("type", .int(dock.type)), ("sub_type", .int(dock.subType)),
            ("device_secret", "secret"), ("nonce", "nonce"), ("version", 1), ("sub_devices", .array(subDevices)))
        let message = OutgoingMessage(topic: statusTopic, payload: envelope(method: "update_topo", data: data, now: now), qos: 1)
        if awaitReply, let tid = message.payload["tid"]?.stringValue {
            statusWait = (tid, message, now + parameters.statusReplyTimeout, false)
        }
        return message
    }

    /// `thing/product/{sn}/state` with the firmware versions of the dock and, when powered, the aircraft.
    mutating func stateMessages(now: Double) -> [OutgoingMessage] {
        var out = [OutgoingMessage(topic: topic("state"), payload: envelope(method: nil, data: .obj(
            ("firmware_version", .string(identity.dockFirmware)),
            ("compatible_status", 0)), now: now), qos: 1)]
        if aircraftPowered {
            out.append(OutgoingMessage(topic: topic("state", identity.aircraftSerial), payload: envelope(method: nil, data: .obj(
                ("firmware_version", .string(identity.aircraftFirmware)),
                ("compatible_status", 0)), now: now), qos: 1))
        }
        return out
    }

    /// A request on `thing/product/{dock}/requests`.
    mutating func request(_ method: String, data: JSONValue, now: Double) -> OutgoingMessage {
        OutgoingMessage(topic: topic("requests"), payload: envelope(method: method, data: data, now: now), qos: 1)
    }

    /// `flighttask_step_code`: 1 in flight, 0 preparing, 2 recovering after a landing, 5 idle.
    private func stepCode(now: Double) -> Int {
        if flight != nil { return 1 }
        if !prepared.isEmpty || !awaitingRoute.isEmpty { return 0 }
        if now < recoveringUntil { return 2 }
        return 5
    }

    /// The dock OSD in its three parts (S1 maintenance/power, S2 task step/link, S3
    /// position/environment/mode), each a message of its own on `thing/product/{dock}/osd`.
    mutating func dockOSD(now: Double) -> [OutgoingMessage] {
        let osd = topic("osd")
        let part1 = JSONValue.obj(
            ("job_number", .int(jobNumber)),
            ("acc_time", .int(Int(accumulatedSeconds))),
            ("activation_time", .int(activationTime)),
            ("maintain_status", .obj(("maintain_status_array", [.obj(
                ("state", 0), ("last_maintain_type", 17), ("last_maintain_time", 0), ("last_maintain_work_sorties", 0))]))),
            ("electric_supply_voltage", .int(228 + Int(temperature) % 5)),
            ("working_voltage", .int(25_300 + Int(humidity) * 2)),
            ("working_current", .int(flight != nil || battery < 100 ? 3_200 : 1_100)),
            ("backup_battery", .obj(("voltage", 26_631), ("temperature", .double(round1(temperature + 2))), ("switch", 0))),
            ("drone_battery_maintenance_info", .obj(("maintenance_state", 0), ("maintenance_time_left", 0))))
        let linked = aircraftPowered
        let part2 = JSONValue.obj(
            ("flighttask_step_code", .int(stepCode(now: now))),
            ("media_file_detail", .obj(("remain_upload", 0))),
            ("wireless_link", .obj(
                ("4g_freq_band", 2.4), ("4g_gnd_quality", 0), ("4g_link_state", 0), ("4g_quality", 0), ("4g_uav_quality", 0),
                ("dongle_number", 0), ("link_workmode", 0), ("sdr_freq_band", 2.4),
                ("sdr_link_state", .int(linked ? 1 : 0)), ("sdr_quality", .int(linked ? 5 : 0)))))
        let location = identity.dock.location
        let alternate = Geodesy.destination(from: location, bearing: 45, distance: 12)
        let part3 = JSONValue.obj(
            ("network_state", .obj(("type", 2), ("quality", 5), ("rate", .double(round1(networkRate))))),
            ("drone_charge_state", .obj(("state", .int(inDock && battery < 100 ? 1 : 0)), ("capacity_percent", .int(Int(battery))))),
            ("drone_in_dock", .int(inDock ? 1 : 0)),
            ("rainfall", .int(rainfall)),
            ("wind_speed", .double(round1(windSpeed))),
            ("environment_temperature", .double(round1(temperature))),
            ("temperature", .double(round1(temperature + 1.5))),
            ("humidity", .int(Int(humidity))),
            ("latitude", .double(location.latitude)),
            ("longitude", .double(location.longitude)),
            ("height", .double(identity.dock.altitudeMetres)),
            ("alternate_land_point", .obj(
                ("latitude", .double(round7(alternate.latitude))), ("longitude", .double(round7(alternate.longitude))),
                ("safe_land_height", 30), ("is_configured", 1))),
            ("first_power_on", .int(firstPowerOn)),
            ("position_state", .obj(("is_calibration", 1), ("is_fixed", 2), ("quality", 5), ("gps_number", 14), ("rtk_number", 25))),
            ("storage", .obj(("total", 82_045_336), ("used", .int(storageUsed)))),
            ("mode_code", .int(dockMode)),
            ("cover_state", .int(coverOpen ? 1 : 0)),
            ("supplement_light_state", 0),
            ("emergency_stop_state", 0),
            ("air_conditioner_mode", 0),
            ("battery_store_mode", 1),
            ("alarm_state", 0),
            ("putter_state", 0),
            ("sub_device", .obj(
                ("device_sn", .string(identity.aircraftSerial)), ("device_model_key", .string(identity.aircraftModelKey)),
                ("device_online_status", .int(aircraftPowered ? 1 : 0)), ("device_paired", 1))))
        return [part1, part2, part3].map {
            OutgoingMessage(topic: osd, payload: envelope(method: nil, data: $0, now: now), qos: 0)
        }
    }

    /// Aircraft OSD (S4) on `thing/product/{aircraft}/osd` with `gateway` = the dock. In the dock
    /// the aircraft has no fix: latitude and longitude are 0.
    mutating func aircraftOSD(now: Double) -> OutgoingMessage {
        let flying = !inDock
        let dockHeight = identity.dock.altitudeMetres
        let remainSeconds = flying ? Int(max(0, battery - parameters.lowBatteryReturn) / parameters.drainPercentPerMinute * 60) : 0
        let homeDistance = flying ? Geodesy.distance(position, identity.dock.location) : 0
        let voltage = 15_200 + Int(battery * 22)
        let data = JSONValue.obj(
            ("activation_time", .int(activationTime)),
            ("attitude_head", .double(round1(heading))),
            ("attitude_pitch", .double(flying && horizontalSpeed > 0 ? -8.5 : 0)),
            ("attitude_roll", 0),
            ("battery", .obj(
                ("batteries", [.obj(
                    ("capacity_percent", .int(Int(battery))), ("firmware_version", "08.75.02.17"),
                    ("high_voltage_storage_days", 2), ("index", 0), ("loop_times", .int(batteryCycles)),
                    ("sn", .string(batterySerial)), ("sub_type", 0),
                    ("temperature", .double(round1(temperature + (flying ? 9 : 4)))), ("type", 0),
                    ("voltage", .int(voltage)))]),
                ("capacity_percent", .int(Int(battery))),
                ("landing_power", 10),
                ("remain_flight_time", .int(remainSeconds)),
                ("return_home_power", 20))),
            ("distance_limit_status", .obj(("distance_limit", 5_000), ("state", 0))),
            ("elevation", .double(round1(elevation))),
            ("firmware_version", .string(identity.aircraftFirmware)),
            ("gear", 1),
            ("height", .double(round1(dockHeight + elevation))),
            ("height_limit", 120),
            ("home_distance", .double(round1(homeDistance))),
            ("horizontal_speed", .double(round1(horizontalSpeed))),
            ("latitude", .double(flying ? round7(position.latitude) : 0)),
            ("longitude", .double(flying ? round7(position.longitude) : 0)),
            ("maintain_status", .obj(("maintain_status_array", .array((1...3).map { type in .obj(
                ("last_maintain_flight_time", 0), ("last_maintain_time", 0), ("last_maintain_type", .int(type)), ("state", 0)) })))),
            ("mode_code", .int(aircraftMode)),
            ("night_lights_state", 0),
            ("obstacle_avoidance", .obj(("downside", 1), ("horizon", 1), ("upside", 1))),
            ("position_state", flying
                ? .obj(("gps_number", 18), ("is_fixed", 2), ("quality", 5), ("rtk_number", 30))
                : .obj(("gps_number", 0), ("is_fixed", 0), ("quality", 0), ("rtk_number", 0))),
            ("storage", .obj(("total", 60_000_000), ("used", .int(storageUsed / 4)))),
            ("total_flight_distance", .double(round1(totalDistance))),
            ("total_flight_sorties", .int(totalSorties)),
            ("total_flight_time", .int(Int(totalFlightSeconds))),
            ("track_id", .string(flight?.trackID ?? "")),
            ("vertical_speed", .double(round1(verticalSpeed))),
            ("wind_direction", 0),
            ("wind_speed", .double(flying ? round1(windSpeed * 1.3) : 0)))
        return OutgoingMessage(topic: topic("osd", identity.aircraftSerial), payload: envelope(method: nil, data: data, now: now), qos: 0)
    }

    /// `flighttask_progress` (S7) on the dock's events topic; the bid is the task's.
    mutating func progressEvent(_ f: Flight, status: String, now: Double) -> OutgoingMessage {
        let terminal = ["ok", "canceled", "partially_done", "failed"].contains(status)
        let percent: Int
        if status == "ok" {
            percent = 100
        } else {
            percent = min(99, Int(f.flownMetres / f.plannedMetres * 100))
        }
        // Step numbers of the DJI execution-step table: 20 trigger wayline, 21 wayline in
        // progress, 22 return check, 23 landing, 31 notify task results.
        let step: Int
        if terminal {
            step = 31
        } else {
            switch f.phase {
            case .takeoff: step = 20
            case .wayline, .paused, .hovering: step = 21
            case .returning: step = 22
            case .landing: step = 23
            }
        }
        let missionState: Int
        switch (status, f.phase) {
        case ("paused", _): missionState = 7
        case (_, _) where terminal: missionState = 9
        case (_, .takeoff): missionState = 5
        default: missionState = 6
        }
        var ext: [(String, JSONValue)] = []
        if status == "paused" || status == "partially_done" {
            ext.append(("break_point", .obj(
                ("attitude_head", .double(round1(heading))), ("break_reason", 0), ("height", .double(round1(elevation))),
                ("index", .int(max(0, f.nextWaypoint - 1))), ("latitude", .double(round7(position.latitude))),
                ("longitude", .double(round7(position.longitude))),
                ("progress", .double((f.flownMetres / f.plannedMetres * 100).rounded() / 100)), ("state", 0), ("wayline_id", 0))))
        }
        ext += [
            ("current_waypoint_index", .int(min(f.nextWaypoint, max(0, f.route.count - 1)))),
            ("flight_id", .string(f.flightID)),
            ("media_count", .int(f.mediaCount)),
            ("track_id", .string(f.trackID)),
            ("wayline_id", 0),
            ("wayline_mission_state", .int(missionState)),
        ]
        let data = JSONValue.obj(
            ("output", .obj(("ext", .object(ext)), ("progress", .obj(("current_step", .int(step)), ("percent", .int(percent)))),
                            ("status", .string(status)))),
            ("result", 0))
        return OutgoingMessage(topic: topic("events"),
                               payload: envelope(method: "flighttask_progress", bid: f.bid, data: data, now: now, needReply: true), qos: 1)
    }

    /// `hms` (S8): the FULL current alarm list; an alarm missing from the next list is cleared.
    mutating func hmsEvent(now: Double) -> OutgoingMessage {
        let list = alarms.map { a in JSONValue.obj(
            ("args", .obj(("component_index", 0), ("sensor_index", 0))),
            ("code", .string(a.code)), ("device_type", .string(a.deviceType)), ("imminent", .int(a.imminent)),
            ("in_the_sky", .int(a.inTheSky)), ("level", .int(a.level)), ("module", 3)) }
        return OutgoingMessage(topic: topic("events"),
                               payload: envelope(method: "hms", data: .obj(("list", .array(list))), now: now, needReply: true), qos: 1)
    }

    private func round1(_ v: Double) -> Double { (v * 10).rounded() / 10 }
    private func round7(_ v: Double) -> Double { (v * 10_000_000).rounded() / 10_000_000 }
}

extension SimulatedDock {
    /// The will the broker publishes if the dock's link dies without a goodbye: an `update_topo`
    /// without sub-devices (S5, second form) on the status topic.
    mutating func willMessage(now: Double) -> OutgoingMessage {
        let dock = Self.modelKeyParts(identity.dockModelKey)
        let data = JSONValue.obj(
            ("domain", .int(dock.domain)), ("type", .int(dock.type)), ("sub_type", .int(dock.subType)),
            ("device_secret", "secret"), ("nonce", "nonce"), ("version", 1), ("sub_devices", []))
        return OutgoingMessage(topic: statusTopic, payload: .obj(
            ("tid", .string(uuid())), ("bid", .string(uuid())), ("timestamp", .int(Self.ms(now))),
            ("method", "update_topo"), ("gateway", .string(dockSerial)), ("data", data)), qos: 1)
    }
}
