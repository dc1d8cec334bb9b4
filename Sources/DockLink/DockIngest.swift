import Foundation
import TianyanModel

/// The pure core of the dock link: a message in (topic, payload, time received), records to store,
/// replies to send once they are stored, and command replies out. No I/O; one owner at a time.
public struct DockIngest: Sendable {
    public struct Configuration: Sendable {
        /// A device is online while it was heard within this many seconds.
        public var onlineSeconds: Double
        /// Maintenance telemetry is stored at most this often per device (sooner when it changes).
        public var healthIntervalSeconds: Double
        /// A grounded aircraft's or a dock's position is stored when it moved, or this often.
        public var stationaryPositionIntervalSeconds: Double
        public var maxPayloadBytes: Int
        /// Answer to the `config` request (the dock's clock must follow ours: error 319008).
        public var ntpServer: String

        public init(onlineSeconds: Double = 60, healthIntervalSeconds: Double = 60, stationaryPositionIntervalSeconds: Double = 300, maxPayloadBytes: Int = 1 << 20, ntpServer: String = "pool.ntp.org") {
            self.onlineSeconds = onlineSeconds
            self.healthIntervalSeconds = healthIntervalSeconds
            self.stationaryPositionIntervalSeconds = stationaryPositionIntervalSeconds
            self.maxPayloadBytes = maxPayloadBytes
            self.ntpServer = ntpServer
        }
    }

    /// Why a message was refused. Logged with its topic and counted.
    public enum Rejection: String, Sendable, CaseIterable {
        case oversized, badTopic = "bad_topic", notJSON = "not_json", wrongType = "wrong_type"
        case missingField = "missing_field", unexpectedTopic = "unexpected_topic"
    }

    /// A `services_reply`, for the command that is waiting for it.
    public struct ServiceReply: Sendable, Hashable {
        public var serial: String
        public var tid: String
        public var bid: String?
        public var method: String?
        public var result: Int
        public var status: String?
        public var time: Timestamp

        public init(serial: String, tid: String, bid: String?, method: String?, result: Int, status: String?, time: Timestamp) {
            self.serial = serial
            self.tid = tid
            self.bid = bid
            self.method = method
            self.result = result
            self.status = status
            self.time = time
        }
    }

    public struct Outcome: Sendable {
        public var records: [StoreRecord] = []
        /// Sent only after `records` are committed (events_reply, status_reply, requests_reply).
        public var replies: [OutgoingMessage] = []
        public var serviceReply: ServiceReply?
        public var rejection: (reason: Rejection, detail: String)?
    }

    public struct Statistics: Sendable, Hashable {
        public var messages: UInt64 = 0
        public var byTopic: [String: UInt64] = [:]
        public var rejected: [String: UInt64] = [:]
        public var fieldErrors: UInt64 = 0
        public var noFix: UInt64 = 0
        public var positions: UInt64 = 0
        public var alarmsRaised: UInt64 = 0
        public var alarmsCleared: UInt64 = 0
        public var unregisteredDevices: Int = 0
    }

    /// What the controller knows of one dock or aircraft right now.
    public struct Device: Sendable, Hashable {
        public var serial: String
        public var kind: UnitKind
        public var registered: Bool
        public var profileID: String
        /// The dock an aircraft talks through, or the aircraft a dock holds.
        public var peer: String?
        public var values = OSDValues()
        public var lastSeen: Timestamp
        var lastStoredPosition: Position?
        var lastHealth: DeviceHealth?
        var lastHealthTime: Timestamp?

        public func isOnline(at now: Timestamp, within seconds: Double) -> Bool {
            Double(now.milliseconds - lastSeen.milliseconds) / 1000 <= seconds
        }
    }

    struct ActiveHMS: Sendable, Hashable {
        var alarm: Alarm
    }

    public let configuration: Configuration
    public let profiles: DockProfiles
    public private(set) var devices: [String: Device] = [:]
    public private(set) var statistics = Statistics()
    private var registryDocks: [String: Dock] = [:]
    private var registryDrones: [String: Drone] = [:]
    /// Active HMS alarms per gateway (dock), keyed by unit|code|component|sensor.
    private var activeHMS: [String: [String: Alarm]] = [:]
    private let decoders: Decoders
    private let fallbackProfile: DockProfile

    public init(profiles: DockProfiles, registry: FleetRegistry, configuration: Configuration = .init()) {
        precondition(!profiles.profiles.isEmpty, "at least one dock profile")
        self.profiles = profiles
        self.configuration = configuration
        self.fallbackProfile = profiles.profiles[0]
        self.decoders = Decoders(profiles.profiles)
        for d in registry.docks { registryDocks[d.serial] = d }
        for d in registry.drones { registryDrones[d.serial] = d }
    }

    // MARK: - Ingest

    public mutating func ingest(topic: String, payload: [UInt8], receivedAt now: Timestamp) -> Outcome {
        statistics.messages += 1
        var out = Outcome()
        guard payload.count <= configuration.maxPayloadBytes else {
            reject(&out, .oversized, "\(payload.count) bytes, more than \(configuration.maxPayloadBytes)")
            return out
        }
        guard let parsed = DockTopic(topic) else {
            reject(&out, .badTopic, "not a dock topic (thing/product/{sn}/… or sys/product/{sn}/status)")
            return out
        }
        statistics.byTopic[parsed.kind.rawValue, default: 0] += 1
        let data = Data(payload)
        do {
            switch parsed.kind {
            case .osd, .state:
                try ingestProperties(parsed.serial, payload, now, &out)
            case .status:
                try ingestStatus(parsed.serial, data, now, &out)
            case .events:
                try ingestEvent(parsed.serial, data, now, &out)
            case .requests:
                try ingestRequest(parsed.serial, data, now, &out)
            case .servicesReply:
                try ingestServiceReply(parsed.serial, data, now, &out)
            case .services, .eventsReply, .requestsReply, .statusReply:
                reject(&out, .unexpectedTopic, "\(parsed.kind.rawValue) is sent by the controller, not by devices")
            }
        } catch let error as DecodingError {
            switch error {
            case .dataCorrupted(let ctx) where ctx.codingPath.isEmpty:
                reject(&out, .notJSON, "payload is not JSON")
            case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
                reject(&out, .wrongType, "wrong type at \(ctx.codingPath.map(\.stringValue).joined(separator: "."))")
            case .keyNotFound(let key, _):
                reject(&out, .missingField, "missing \(key.stringValue)")
            default:
                reject(&out, .wrongType, "\(error)")
            }
        } catch let error as OSDScanner.Failure {
            switch error {
            case .notJSON(let detail): reject(&out, .notJSON, "payload is not JSON: \(detail)")
            case .wrongType(let detail): reject(&out, .wrongType, detail)
            }
        } catch let error as MissingField {
            reject(&out, .missingField, error.description)
        } catch {
            reject(&out, .wrongType, "\(error)")
        }
        return out
    }

    private mutating func reject(_ out: inout Outcome, _ reason: Rejection, _ detail: String) {
        statistics.rejected[reason.rawValue, default: 0] += 1
        out.rejection = (reason, detail)
    }

    struct MissingField: Error, CustomStringConvertible {
        var description: String
    }

    /// The device's time for a message: the envelope timestamp when it is plausible, else arrival.
    static func messageTime(_ ms: Int64?, _ now: Timestamp) -> Timestamp {
        guard let ms, ms > 1_420_070_400_000, ms < now.milliseconds + 86_400_000 else { return now }
        return Timestamp(milliseconds: ms)
    }

    // MARK: Devices

    /// The device record for a serial, created on first sight; `kindHint` decides for unknown serials.
    private mutating func device(_ serial: String, kindHint: UnitKind?, now: Timestamp) -> Device {
        if let d = devices[serial] { return d }
        let kind: UnitKind
        let registered: Bool
        let model: String?
        if let dock = registryDocks[serial] {
            (kind, registered, model) = (.dock, true, dock.model)
        } else if let drone = registryDrones[serial] {
            (kind, registered, model) = (.drone, true, drone.model)
        } else {
            (kind, registered, model) = (kindHint ?? .dock, false, nil)
            statistics.unregisteredDevices += 1
        }
        let profile = model.flatMap { profiles.profile(forModel: $0) } ?? fallbackProfile
        let d = Device(serial: serial, kind: kind, registered: registered, profileID: profile.id,
                       peer: registryDrones[serial]?.dock ?? registryDrones.values.first { $0.dock == serial }?.serial,
                       lastSeen: now)
        devices[serial] = d
        return d
    }

    /// A dock spoke (event, request, reply): it is seen now, and the sighting is stored.
    private mutating func heardGateway(_ serial: String, at time: Timestamp, now: Timestamp, _ out: inout Outcome) -> Device {
        var dock = device(serial, kindHint: .dock, now: now)
        if time > dock.lastSeen { dock.lastSeen = time }
        devices[serial] = dock
        out.records.append(.sighting(UnitSighting(unit: serial, kind: dock.kind, time: time)))
        return dock
    }

    private func profile(of device: Device) -> DockProfile {
        profiles.profile(id: device.profileID) ?? fallbackProfile
    }

    // MARK: OSD and state

    private mutating func ingestProperties(_ serial: String, _ payload: [UInt8], _ now: Timestamp, _ out: inout Outcome) throws {
        let envelope: OSDScanner.Envelope
        if let known = devices[serial] {
            envelope = try OSDScanner.scan(payload, tree: decoders.node(known.profileID, known.kind))
        } else if registryDocks[serial] != nil || registryDrones[serial] != nil {
            let created = device(serial, kindHint: nil, now: now)
            envelope = try OSDScanner.scan(payload, tree: decoders.node(created.profileID, created.kind))
        } else {
            // Unknown serial: read with both mappings, then tell a dock from an aircraft by its
            // dock-only keys (cover, drone_in_dock, jobs, network); an aircraft also names its dock
            // as gateway.
            envelope = try OSDScanner.scan(payload, tree: decoders.node(fallbackProfile.id, nil))
            let v = envelope.values
            let viaGateway = envelope.gateway.map { !$0.isEmpty && $0 != serial } ?? false
            // A dock names itself as gateway; an aircraft names its dock.
            let dockish = v[.droneInDock] != nil || v[.coverState] != nil || v[.jobNumber] != nil || v[.networkType] != nil
                || envelope.gateway == serial
            var created = device(serial, kindHint: dockish ? .dock : .drone, now: now)
            if !dockish, viaGateway, let gw = envelope.gateway { created.peer = gw }
            devices[serial] = created
        }
        guard envelope.hasData else { throw MissingField(description: "missing data") }
        // Taken out of the table while it is updated, so that its storage is not copied.
        var dev = devices.removeValue(forKey: serial)!
        defer { devices[serial] = dev }
        let values = envelope.values
        let time = Self.messageTime(envelope.timestamp, now)
        if values.fieldErrors > 0 { statistics.fieldErrors += UInt64(values.fieldErrors) }
        dev.values.merge(values)
        if time > dev.lastSeen { dev.lastSeen = time }
        if dev.kind == .drone, let gw = envelope.gateway, !gw.isEmpty, gw != serial { dev.peer = gw }
        if dev.kind == .dock, let sub = values.text(.subDeviceSerial), !sub.isEmpty { dev.peer = sub }
        out.records.append(.sighting(UnitSighting(unit: serial, kind: dev.kind, time: time)))

        if let lat = values[.latitude], let lon = values[.longitude] {
            if lat == 0 && lon == 0 {
                statistics.noFix += 1
            } else if (-90...90).contains(lat), (-180...180).contains(lon) {
                let p = Position(unit: serial, time: time, latitude: lat, longitude: lon, altitude: values[.altitude],
                                 speed: values[.horizontalSpeed], heading: values[.heading], accuracy: nil, source: .osd)
                if shouldStore(p, dev) {
                    out.records.append(.position(p))
                    if dev.lastStoredPosition.map({ p.time > $0.time }) ?? true { dev.lastStoredPosition = p }
                    statistics.positions += 1
                }
            } else {
                statistics.fieldErrors += 1
            }
        }
        if healthDue(dev, time) {
            let health = health(of: dev, at: time)
            out.records.append(.health(health))
            dev.lastHealth = health
            dev.lastHealthTime = time
        }
    }

    /// Airborne aircraft: every point. On the ground and docks: when moved 2 m, or now and then.
    /// A point older than the last one stored arrived late (queued by the broker across a
    /// restart, replayed from the journal): it is history and is stored; the store ignores an
    /// exact repeat by its (unit, time) key.
    private func shouldStore(_ p: Position, _ dev: Device) -> Bool {
        guard let last = dev.lastStoredPosition else { return true }
        if p.time < last.time { return true }
        if p.time == last.time { return false }
        if dev.kind == .drone, let mode = dev.values.int(.modeCode), profile(of: dev).airborneModes.contains(mode) {
            return true
        }
        if Geodesy.distance(last.coordinate, p.coordinate) > 2 { return true }
        return Double(p.time.milliseconds - last.time.milliseconds) / 1000 >= configuration.stationaryPositionIntervalSeconds
    }

    /// Maintenance telemetry is stored once a minute, or sooner when something maintenance cares
    /// about changed (not battery % or temperatures). Checked on the raw values: building the
    /// record for every message would cost more than the rest of the message.
    private func healthDue(_ dev: Device, _ time: Timestamp) -> Bool {
        guard let last = dev.lastHealth, let lastTime = dev.lastHealthTime else { return true }
        if Double(time.milliseconds - lastTime.milliseconds) / 1000 >= configuration.healthIntervalSeconds { return true }
        let v = dev.values
        if v.int(.modeCode) != last.modeCode || v.text(.firmware) != last.firmware || dev.peer != last.peer { return true }
        switch dev.kind {
        case .drone:
            return v.int(.flightCount) != last.flightCount || v.batteries?.compactMap(\.cycles).max() != last.maxBatteryCycles
        case .dock, .radio:
            return v.int(.droneInDock).map { $0 == 1 } != last.droneInDock || v.int(.jobNumber) != last.jobCount
        }
    }

    /// Maintenance telemetry from the merged values.
    public func health(of dev: Device, at time: Timestamp) -> DeviceHealth {
        let v = dev.values
        let p = profile(of: dev)
        var h = DeviceHealth(unit: dev.serial, kind: dev.kind, time: time)
        h.model = registryDocks[dev.serial]?.model ?? registryDrones[dev.serial]?.model
        h.firmware = v.text(.firmware)
        h.modeCode = v.int(.modeCode)
        h.mode = h.modeCode.map { code in (dev.kind == .dock ? p.dockModes[code] : p.aircraftModes[code]) ?? "unknown mode \(code)" }
        h.peer = dev.peer
        switch dev.kind {
        case .drone:
            h.flightSeconds = v[.totalFlightSeconds]
            h.flightCount = v.int(.flightCount)
            h.flightDistanceMetres = v[.totalFlightDistance]
            h.batteryPercent = v[.batteryPercent]
            h.batteries = v.batteries ?? []
            h.windSpeedMetresPerSecond = v[.windSpeed]
        case .dock, .radio:
            h.batteryPercent = v[.droneBatteryPercent]
            h.temperatureCelsius = v[.temperature]
            h.environmentTemperatureCelsius = v[.environmentTemperature]
            h.humidityPercent = v[.humidity]
            h.windSpeedMetresPerSecond = v[.windSpeed]
            h.rainfall = v.int(.rainfall)
            h.storageUsedKilobytes = v[.storageUsed]
            h.storageTotalKilobytes = v[.storageTotal]
            h.networkType = v.int(.networkType).map { $0 == 1 ? "4G" : $0 == 2 ? "ethernet" : "type \($0)" }
            h.networkQuality = v.int(.networkQuality)
            h.networkRateKilobytesPerSecond = v[.networkRate]
            h.droneInDock = v.int(.droneInDock).map { $0 == 1 }
            h.coverState = v.int(.coverState).map { ["closed", "open", "half open", "abnormal"][safe: $0] ?? "state \($0)" }
            h.jobCount = v.int(.jobNumber)
            h.workingSeconds = v[.workingSeconds]
            h.supplyVoltage = v[.supplyVoltage]
        }
        return h
    }

    // MARK: Status (topology)

    struct StatusData: Decodable {
        var domain: String?
        var type: Int?
        var subType: Int?
        var subDevices: [SubDevice]?
        enum CodingKeys: String, CodingKey {
            case domain, type
            case subType = "sub_type", subDevices = "sub_devices"
        }
        struct SubDevice: Decodable {
            var sn: String
            var domain: String?
            var type: Int?
            var subType: Int?
            enum CodingKeys: String, CodingKey {
                case sn, domain, type
                case subType = "sub_type"
            }
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                sn = try c.decode(String.self, forKey: .sn)
                domain = Self.flexible(c, .domain)
                type = try? c.decodeIfPresent(Int.self, forKey: .type)
                subType = try? c.decodeIfPresent(Int.self, forKey: .subType)
            }
            static func flexible(_ c: KeyedDecodingContainer<CodingKeys>, _ k: CodingKeys) -> String? {
                if let s = try? c.decodeIfPresent(String.self, forKey: k) { return s }
                return (try? c.decodeIfPresent(Int.self, forKey: k)).flatMap { $0.map(String.init) }
            }
        }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            if let s = try? c.decodeIfPresent(String.self, forKey: .domain) { domain = s }
            else if let i = try? c.decodeIfPresent(Int.self, forKey: .domain) { domain = String(i) }
            type = try? c.decodeIfPresent(Int.self, forKey: .type)
            subType = try? c.decodeIfPresent(Int.self, forKey: .subType)
            subDevices = try c.decodeIfPresent([SubDevice].self, forKey: .subDevices)
        }
    }

    private mutating func ingestStatus(_ serial: String, _ data: Data, _ now: Timestamp, _ out: inout Outcome) throws {
        let env = try JSONDecoder().decode(Envelope<StatusData>.self, from: data)
        let time = Self.messageTime(env.timestamp, now)
        var dock = device(serial, kindHint: .dock, now: now)
        // Only a gateway publishes on sys/product/{sn}/status: whatever was guessed, it is a dock.
        if !dock.registered { dock.kind = .dock }
        if let d = env.data, let type = d.type, !dock.registered {
            let key = "\(d.domain ?? "3")-\(type)-\(d.subType ?? 0)"
            if let p = profiles.profile(forModelKey: key) { dock.profileID = p.id }
        }
        if time > dock.lastSeen { dock.lastSeen = time }
        out.records.append(.sighting(UnitSighting(unit: serial, kind: .dock, time: time)))
        if env.method == nil || env.method == "update_topo", let subs = env.data?.subDevices {
            if let first = subs.first(where: { DockTopic.isSerial($0.sn) }) {
                var drone = device(first.sn, kindHint: .drone, now: now)
                drone.kind = .drone
                drone.peer = serial
                if !drone.registered, let t = first.type {
                    let key = "\(first.domain ?? "0")-\(t)-\(first.subType ?? 0)"
                    if let p = profiles.profile(forModelKey: key) { drone.profileID = p.id }
                }
                if time > drone.lastSeen { drone.lastSeen = time }
                devices[first.sn] = drone
                dock.peer = first.sn
                out.records.append(.sighting(UnitSighting(unit: first.sn, kind: .drone, time: time)))
            }
            // An empty list means the aircraft went offline; the dock still knows which one it holds.
        }
        devices[serial] = dock
        out.replies.append(.make(topic: DockProfile.topic(profile(of: dock).topics.statusReply, serial: serial),
                                 tid: env.tid ?? UUID().uuidString, bid: env.bid ?? UUID().uuidString,
                                 method: env.method ?? "update_topo", timestamp: now, data: OutgoingMessage.resultData(0)))
    }

    // MARK: Events

    struct EventData: Decodable {
        var result: Int?
        var output: JSONValue?
        var list: [HMSItem]?
        struct HMSItem: Decodable {
            var code: String
            var level: Int?
            var module: Int?
            var inTheSky: Int?
            var deviceType: String?
            var args: Args?
            struct Args: Decodable {
                var componentIndex: Int?
                var sensorIndex: Int?
                enum CodingKeys: String, CodingKey {
                    case componentIndex = "component_index", sensorIndex = "sensor_index"
                }
            }
            enum CodingKeys: String, CodingKey {
                case code, level, module, args
                case inTheSky = "in_the_sky", deviceType = "device_type"
            }
        }
    }

    private mutating func ingestEvent(_ serial: String, _ data: Data, _ now: Timestamp, _ out: inout Outcome) throws {
        let env = try JSONDecoder().decode(Envelope<EventData>.self, from: data)
        let time = Self.messageTime(env.timestamp, now)
        let dock = heardGateway(serial, at: time, now: now, &out)
        // Route by method; tolerate the documented drift where `method` is missing.
        let method = env.method ?? (env.data?.list != nil ? "hms" : env.data?.output?["progress"] != nil ? "flighttask_progress" : "")
        switch method {
        case "hms":
            guard let list = env.data?.list else { throw MissingField(description: "hms event without data.list") }
            applyHMS(gateway: serial, list, time, &out)
        case "flighttask_progress":
            guard let output = env.data?.output else { throw MissingField(description: "flighttask_progress without data.output") }
            let ext = output["ext"]
            guard let flightID = ext?["flight_id"]?.string ?? env.bid else {
                throw MissingField(description: "flighttask_progress without ext.flight_id or bid")
            }
            let result = env.data?.result
            out.records.append(.flightTask(FlightTaskUpdate(
                flightID: flightID, dock: serial, time: time, status: output["status"]?.string.map(FlightTaskStatus.init(rawValue:)) ?? .inProgress,
                percent: output["progress"]?["percent"]?.number, step: output["progress"]?["current_step"]?.int,
                waypointIndex: ext?["current_waypoint_index"]?.int, mediaCount: ext?["media_count"]?.int,
                trackID: ext?["track_id"]?.string.flatMap { $0.isEmpty ? nil : $0 },
                resultCode: result, resultText: result.map { profile(of: dock).resultText($0) })))
        default:
            break  // other events (return_home_info, flighttask_ready, …) are acknowledged below.
        }
        if env.needReply == 1 {
            out.replies.append(.make(topic: DockProfile.topic(profile(of: dock).topics.eventsReply, serial: serial),
                                     tid: env.tid ?? UUID().uuidString, bid: env.bid ?? UUID().uuidString,
                                     method: method.isEmpty ? "unknown" : method, timestamp: now,
                                     data: OutgoingMessage.resultData(0)))
        }
    }

    /// The HMS list is the full current list: new entries raise alarms, missing ones clear them.
    private mutating func applyHMS(gateway: String, _ list: [EventData.HMSItem], _ time: Timestamp, _ out: inout Outcome) {
        let dock = devices[gateway]!
        let p = profile(of: dock)
        var active = activeHMS[gateway] ?? [:]
        var seen: Set<String> = []
        for item in list {
            let domain = item.deviceType?.split(separator: "-").first.map(String.init) ?? "3"
            let onAircraft = domain == "0"
            let unit = onAircraft ? (dock.peer ?? gateway) : gateway
            let c = item.args?.componentIndex ?? 0, s = item.args?.sensorIndex ?? 0
            let key = "\(unit)|\(item.code)|\(c)|\(s)"
            seen.insert(key)
            guard active[key] == nil else { continue }
            let table = onAircraft ? p.hms.aircraft : p.hms.dock
            let text = Self.hmsText(table[item.code] ?? table[item.code.lowercased()], code: item.code, component: c, sensor: s)
            let severity: AlarmSeverity = switch item.level ?? 0 { case 2: .critical; case 1: .warning; default: .info }
            let alarm = Alarm(id: "hms:\(gateway):\(unit):\(item.code):\(c):\(s):\(time.milliseconds)", unit: unit, time: time,
                              kind: "hms", severity: severity, code: item.code, text: text)
            active[key] = alarm
            out.records.append(.alarm(alarm))
            statistics.alarmsRaised += 1
        }
        for (key, alarm) in active where !seen.contains(key) {
            var cleared = alarm
            cleared.clearedAt = time
            out.records.append(.alarm(cleared))
            active[key] = nil
            statistics.alarmsCleared += 1
        }
        activeHMS[gateway] = active
    }

    static func hmsText(_ template: String?, code: String, component: Int, sensor: Int) -> String {
        guard let template else { return "unknown HMS code \(code)" }
        return template
            .replacingOccurrences(of: "%alarmid", with: code)
            .replacingOccurrences(of: "%component_index", with: String(component &+ 1))
            .replacingOccurrences(of: "%index", with: String(sensor &+ 1))
            .replacingOccurrences(of: "%battery_index", with: sensor == 0 ? "left" : "right")
    }

    /// Alarms still open in the store (after a restart), so the next full list clears them.
    public mutating func restoreActiveHMS(_ alarms: [Alarm]) {
        for a in alarms where a.kind == "hms" && a.clearedAt == nil {
            // id: hms:{gateway}:{unit}:{code}:{component}:{sensor}:{ms}
            let parts = a.id.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 7 else { continue }
            activeHMS[parts[1], default: [:]]["\(parts[2])|\(parts[3])|\(parts[4])|\(parts[5])"] = a
        }
    }

    public var activeAlarmCount: Int { activeHMS.values.reduce(0) { $0 + $1.count } }

    // MARK: Requests

    private mutating func ingestRequest(_ serial: String, _ data: Data, _ now: Timestamp, _ out: inout Outcome) throws {
        let env = try JSONDecoder().decode(Envelope<JSONValue>.self, from: data)
        let time = Self.messageTime(env.timestamp, now)
        let dock = heardGateway(serial, at: time, now: now, &out)
        guard let method = env.method, !method.isEmpty else { throw MissingField(description: "request without method") }
        let answer: JSONValue
        switch method {
        case "config":
            answer = OutgoingMessage.resultData(0, output: .object([
                "ntp_server_host": .string(configuration.ntpServer), "ntp_server_port": .number(123),
            ]))
        case "flight_areas_get":
            // No custom flight areas are configured: an empty, valid answer.
            answer = OutgoingMessage.resultData(0, output: .object(["files": .array([])]))
        case "flighttask_resource_get":
            let flightID = env.data?["flight_id"]?.string ?? "?"
            if let route = routes[flightID] {
                answer = OutgoingMessage.resultData(0, output: .object(["file": .object([
                    "url": .string(route.url), "fingerprint": .string(route.fingerprint)])]))
            } else {
                answer = OutgoingMessage.resultData(1, output: .object(["reason": .string("unknown flight_id \(flightID)")]))
            }
        default:
            answer = OutgoingMessage.resultData(1, output: .object([
                "reason": .string("request method \(method) is not supported by this controller")]))
        }
        out.replies.append(.make(topic: DockProfile.topic(profile(of: dock).topics.requestsReply, serial: serial),
                                 tid: env.tid ?? UUID().uuidString, bid: env.bid ?? UUID().uuidString,
                                 method: method, timestamp: now, data: answer))
    }

    /// Route files the docks may ask for again (`flighttask_resource_get`), by flight id.
    public var routes: [String: (url: String, fingerprint: String)] = [:]

    // MARK: Service replies

    private mutating func ingestServiceReply(_ serial: String, _ data: Data, _ now: Timestamp, _ out: inout Outcome) throws {
        let env = try JSONDecoder().decode(Envelope<EventData>.self, from: data)
        guard let tid = env.tid else { throw MissingField(description: "services_reply without tid") }
        guard let result = env.data?.result else { throw MissingField(description: "services_reply without data.result") }
        let time = Self.messageTime(env.timestamp, now)
        _ = heardGateway(serial, at: time, now: now, &out)
        out.serviceReply = ServiceReply(serial: serial, tid: tid, bid: env.bid, method: env.method, result: result,
                                        status: env.data?.output?["status"]?.string, time: now)
    }

    /// The dock that carries commands for a serial (a drone's dock, or the dock itself).
    public func gateway(for serial: String) -> String? {
        if registryDocks[serial] != nil { return serial }
        if let d = registryDrones[serial], let dock = d.dock { return dock }
        if let dev = devices[serial] { return dev.kind == .dock ? serial : dev.peer }
        return nil
    }

    public func profile(forSerial serial: String) -> DockProfile {
        if let d = devices[serial] { return profile(of: d) }
        let model = registryDocks[serial]?.model ?? registryDrones[serial]?.model
        return model.flatMap { profiles.profile(forModel: $0) } ?? fallbackProfile
    }
}

/// The field tree of each (profile, kind), ready for the scanner.
final class Decoders: Sendable {
    private let nodes: [String: OSDScanner.Node]

    init(_ profiles: [DockProfile]) {
        var t: [String: OSDScanner.Node] = [:]
        for p in profiles {
            for (kind, mapping) in [("dock", p.dockFields), ("drone", p.aircraftFields),
                                    ("any", p.dockFields.merging(p.aircraftFields) { a, _ in a })] {
                t["\(p.id)/\(kind)"] = OSDScanner.Node(FieldTree(mapping))
            }
        }
        nodes = t
    }

    func node(_ profile: String, _ kind: UnitKind?) -> OSDScanner.Node {
        nodes["\(profile)/\(kind.map { $0 == .drone ? "drone" : "dock" } ?? "any")"]!
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
