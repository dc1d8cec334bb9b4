import Foundation
import SerialPorts
import TianyanModel
import TianyanSQLite
import Yams

/// Every setting of the controller. One source of truth, read from (highest first) the command
/// line, `TIANYAN_*` environment variables, the YAML file, and the defaults below.
public struct TianyanConfiguration: Sendable, Hashable {
    public var database = "./tianyan.sqlite"
    public var http = "127.0.0.1:8080"
    public var mqtt = "mqtt://127.0.0.1:1883"
    public var logLevel = "info"
    public var profilesDirectory = "firmware-profiles"
    /// A unit is online while it was heard within this many seconds.
    public var onlineSeconds = 60
    public var writerBatchSize = 100_000
    public var writerMaxDelayMilliseconds = 20
    /// Most records the writer holds in memory while the database refuses writes.
    public var writerMaxPending = 1_000_000
    public var retention = RetentionPolicy()
    /// MQTT client id of the controller: stable, so the broker keeps its session across restarts.
    public var dockClientID = "tianyan-controller"
    /// Journal of received MQTT messages; empty = next to the database (`<database>.journal`).
    public var dockJournalDirectory = ""
    /// Size of a journal segment, MiB; the current one and a spare are reserved on disk ahead.
    public var dockJournalSegmentMiB = 32
    /// CA certificate for mqtts://; empty = the system's trusted certificates.
    public var dockCAFile = ""
    public var dockNTPServer = "pool.ntp.org"
    public var dockMaxPayloadBytes = 1 << 20
    public var maintenance = MaintenanceRules()
    /// Radio gateways as `NAME=URL`, in order.
    public var gateways: [RadioGatewaySetting] = []
    /// Base URL the docks fetch route files from; empty = `http://` + the `http` address.
    public var httpPublicURL = ""
    /// How long a login session lasts (seconds); its live connections close when it ends.
    public var sessionSeconds = 12 * 3600
    /// Does the controller plan and fly the coverage sorties by itself?
    public var plannerAuto = true
    public var plannerDays = 14
    /// Local flying hours (UTC+8), start and end hour.
    public var plannerFlyingHours = FlyingWindow(start: 7, end: 19)
    public var plannerBorrowing = false
    /// Share of a cell's area that must be imaged for it to count as covered.
    public var plannerCoverageThreshold = 0.95
    /// Hourly forecast CSV (`time,wind_mps,rain`) the scheduler plans with; empty = fair weather.
    public var plannerForecastFile = ""
    /// Basemap tiles for the console (`{z}/{x}/{y}` template); empty: cells and outlines only.
    public var consoleTileURL = ""
    /// The datum the tiles are drawn in: `wgs84` or `gcj02` (Chinese basemaps).
    public var consoleTileDatum = "wgs84"
    public var consoleTileAttribution = ""
    public var consoleLeafletDirectory = "/usr/share/javascript/leaflet"
    /// Origins other web applications may call the API from (CORS); empty: none.
    public var corsOrigins: [String] = []
    /// A connection with no request in progress is closed after this many seconds.
    public var httpIdleTimeoutSeconds = 60
    /// A request head must arrive whole, and a body may pause, at most this many seconds (408).
    public var httpHeaderTimeoutSeconds = 10
    /// Host names requests may carry (against DNS rebinding); empty: the defaults (see README).
    public var httpAllowedHosts: [String] = []
    /// Dispatch tasks: contact (accepted) and on-site deadlines, minutes after creation.
    public var taskContactMinutes = 30
    public var taskOnSiteMinutes = 60
    /// Speeds for the estimated arrival of suggested units: radios by road (straight line × 1.3), drones straight.
    public var taskRoadSpeedKmh = 30.0
    public var taskDroneSpeedMetresPerSecond = 12.0
    /// Units whose last position is older than this are not suggested.
    public var taskPositionMaxAgeMinutes = 15

    public init() {}

    /// The base URL route files are served under, ending in `/`.
    public var routeFilesURL: String {
        var base = httpPublicURL
        if base.isEmpty {
            var address = http
            if address.hasPrefix("0.0.0.0:") { address = "127.0.0.1:" + address.dropFirst("0.0.0.0:".count) }
            base = "http://" + address
        }
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/files/routes/"
    }

    /// Where the MQTT journal lives.
    public var journalDirectory: String {
        if !dockJournalDirectory.isEmpty { return dockJournalDirectory }
        if database.hasPrefix("postgres") { return "./tianyan.journal" }
        return database + ".journal"
    }

    /// The keys a file, the environment (`TIANYAN_` + upper case, dots as underscores) or
    /// `--set key=value` may give.
    public static let keys: [String: String] = [
        "database": "SQLite file path, or postgres://user:password@host:port/database?sslmode=disable|prefer|require",
        "http": "HOST:PORT the HTTP server listens on",
        "mqtt": "broker URL, mqtt:// or mqtts://",
        "log_level": "trace, debug, info, notice, warning, error or critical",
        "profiles_dir": "directory of firmware profiles",
        "units.online_seconds": "seconds since the last message for a unit to count as online",
        "writer.batch_size": "most rows in one database transaction",
        "writer.max_delay_ms": "longest a record waits for its batch, milliseconds",
        "writer.max_pending": "most records held in memory while the database refuses writes (full disk); past it new positions are dropped and counted",
        "retention.raw_days": "days of raw positions kept",
        "retention.downsample_seconds": "one position per unit per this many seconds after raw_days",
        "retention.delete_after_days": "delete positions older than this many days (0 keeps them)",
        "retention.interval_seconds": "how often retention runs, seconds",
        "dock.client_id": "MQTT client id of the controller (keep it stable: the broker queues for it while it is down)",
        "dock.journal_dir": "journal of received MQTT messages (default: <database>.journal)",
        "dock.journal_segment_mb": "journal segment size, MiB (default 32); the current segment and a spare are reserved on disk, so a full disk leaves the journal this much to twice this much room before the controller stops taking messages from the broker",
        "dock.ca_file": "CA certificate file for mqtts:// (default: the system's)",
        "dock.ntp_server": "NTP server the docks are told to use (answer to their config request)",
        "dock.max_payload_bytes": "larger MQTT messages are refused and counted",
        "maintenance.flight_hours": "a drone is due for service every this many flight hours",
        "maintenance.battery_cycles": "a battery pack is due for replacement at this many charge cycles",
        "maintenance.months": "a unit is due for service this many months after the last one",
        "http.public_url": "base URL the docks reach this controller at, for route files (default http://<http>)",
        "http.session_seconds": "how long a login session lasts before the user must log in again (default 43200)",
        "planner.auto": "plan and fly the coverage sorties automatically (true or false)",
        "planner.days": "days the automatic plan covers",
        "planner.flying_hours": "local flying hours (UTC+8) as START-END, e.g. 07-19; 00-24 flies around the clock",
        "planner.borrowing": "let formations fly other communities' cells (true or false)",
        "planner.forecast_file": "hourly forecast CSV (time,wind_mps,rain) the scheduler plans with and re-reads when it changes; empty = every hour flyable",
        "planner.coverage_threshold": "share of a cell's area that must be imaged for it to count as covered, e.g. 0.95",
        "http.idle_timeout_seconds": "a connection with no request in progress is closed after this many seconds (default 60)",
        "http.header_timeout_seconds": "a request head must arrive whole, and a request body may pause, at most this many seconds; otherwise 408 and the connection is closed (default 10)",
        "http.allowed_hosts": "host names a request's Host may name, comma separated, * for any (default: the http address's host, localhost and http.public_url's host; IP addresses are always allowed); others get 421",
        "http.cors_origins": "origins allowed to call the API from a browser (CORS), comma separated, e.g. https://ops.example.cn; empty: none",
        "console.tile_url": "basemap tile URL template for the console, e.g. https://tiles.example/{z}/{x}/{y}.png (empty: grid cells and outlines only)",
        "console.tile_datum": "datum of the basemap tiles: wgs84, or gcj02 for Chinese basemaps (the console shifts everything it draws)",
        "console.tile_attribution": "attribution text shown under the basemap",
        "console.leaflet_dir": "directory holding leaflet.js and leaflet.css (Debian libjs-leaflet)",
        "tasks.contact_minutes": "a dispatch task must be accepted (contact) within this many minutes of its creation (default 30)",
        "tasks.on_site_minutes": "a unit must be on scene within this many minutes of the task's creation (default 60)",
        "tasks.road_speed_kmh": "road speed of radio-carrying units for estimated arrival; the route is taken as 1.3 x the straight line (default 30)",
        "tasks.drone_speed_mps": "drone speed for estimated arrival, straight line, m/s (default 12)",
        "tasks.position_max_age_minutes": "units whose last position is older are not suggested for a task (default 15)",
        "radio.gateways": "radio gateways, NAME=URL separated by commas (serial:///dev/ttyUSB0?baud=38400&profile=…, tcp://host:port?profile=…)",
    ]

    public static func environmentName(of key: String) -> String {
        "TIANYAN_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// A setting that could not be used, with where it came from.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public var source: String
        public var key: String
        public var message: String
        public var description: String { "\(source): \(key): \(message)" }
    }

    /// Loads the configuration. `file` is a YAML path or nil; `overrides` come from the command line.
    public static func load(file: String?, environment: [String: String], overrides: [(key: String, value: String)]) throws(Problem) -> TianyanConfiguration {
        var config = TianyanConfiguration()
        if let file {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw Problem(source: file, key: "-", message: "cannot read the configuration file (\(error.localizedDescription))")
            }
            let root: Any?
            do { root = try Yams.load(yaml: text) } catch {
                throw Problem(source: file, key: "-", message: "not valid YAML: \(error)")
            }
            if let root {
                guard let map = root as? [String: Any] else {
                    throw Problem(source: file, key: "-", message: "the top level must be a mapping of keys to values")
                }
                for (key, value) in flatten(map) {
                    try config.set(key, value, source: file)
                }
            }
        }
        let byEnvironmentName = Dictionary(uniqueKeysWithValues: keys.keys.map { (environmentName(of: $0), $0) })
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("TIANYAN_") {
            guard let key = byEnvironmentName[name] else {
                throw Problem(source: "environment", key: name, message: "unknown setting; known: \(byEnvironmentName.keys.sorted().joined(separator: ", "))")
            }
            try config.set(key, value, source: "environment variable \(name)")
        }
        for (key, value) in overrides {
            try config.set(key, value, source: "command line")
        }
        return config
    }

    static func flatten(_ map: [String: Any], prefix: String = "") -> [(String, Any)] {
        var out: [(String, Any)] = []
        for (k, v) in map.sorted(by: { $0.key < $1.key }) {
            let key = prefix.isEmpty ? k : "\(prefix).\(k)"
            if let nested = v as? [String: Any] { out += flatten(nested, prefix: key) } else { out.append((key, v)) }
        }
        return out
    }

    mutating func set(_ key: String, _ raw: Any, source: String) throws(Problem) {
        let text = "\(raw)"
        func int(_ range: ClosedRange<Int>) throws(Problem) -> Int {
            guard let v = Int(text), range.contains(v) else {
                throw Problem(source: source, key: key, message: "\"\(text)\" must be a whole number in \(range.lowerBound)…\(range.upperBound)")
            }
            return v
        }
        func bool() throws(Problem) -> Bool {
            switch text.lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: throw Problem(source: source, key: key, message: "\"\(text)\" must be true or false")
            }
        }
        switch key {
        case "database":
            guard !text.isEmpty else { throw Problem(source: source, key: key, message: "must not be empty") }
            database = text
        case "http":
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
                throw Problem(source: source, key: key, message: "\"\(text)\" must be HOST:PORT, e.g. 127.0.0.1:8080")
            }
            http = text
        case "mqtt":
            guard text.hasPrefix("mqtt://") || text.hasPrefix("mqtts://") else {
                throw Problem(source: source, key: key, message: "\"\(text)\" must start with mqtt:// or mqtts://")
            }
            mqtt = text
        case "log_level":
            let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            guard levels.contains(text) else {
                throw Problem(source: source, key: key, message: "\"\(text)\" must be one of \(levels.joined(separator: ", "))")
            }
            logLevel = text
        case "profiles_dir": profilesDirectory = text
        case "units.online_seconds": onlineSeconds = try int(1...86_400)
        case "writer.batch_size": writerBatchSize = try int(1...1_000_000)
        case "writer.max_delay_ms": writerMaxDelayMilliseconds = try int(0...10_000)
        case "writer.max_pending": writerMaxPending = try int(1_000...100_000_000)
        case "retention.raw_days": retention.rawDays = try int(1...3650)
        case "retention.downsample_seconds": retention.downsampleSeconds = try int(1...86_400)
        case "retention.delete_after_days": retention.deleteAfterDays = try int(0...36_500)
        case "retention.interval_seconds": retention.intervalSeconds = try int(10...604_800)
        case "dock.client_id":
            guard !text.isEmpty, text.utf8.count <= 64 else { throw Problem(source: source, key: key, message: "must be 1-64 characters") }
            dockClientID = text
        case "dock.journal_dir": dockJournalDirectory = text
        case "dock.journal_segment_mb": dockJournalSegmentMiB = try int(1...1024)
        case "dock.ca_file": dockCAFile = text
        case "dock.ntp_server": dockNTPServer = text
        case "dock.max_payload_bytes": dockMaxPayloadBytes = try int(1024...(64 << 20))
        case "maintenance.flight_hours": maintenance.flightHours = Double(try int(1...10_000))
        case "maintenance.battery_cycles": maintenance.batteryCycles = try int(1...10_000)
        case "maintenance.months": maintenance.months = try int(1...120)
        case "http.public_url":
            guard text.isEmpty || text.hasPrefix("http://") || text.hasPrefix("https://") else {
                throw Problem(source: source, key: key, message: "\"\(text)\" must start with http:// or https://")
            }
            httpPublicURL = text
        case "http.session_seconds": sessionSeconds = try int(1...604_800)
        case "http.idle_timeout_seconds": httpIdleTimeoutSeconds = try int(1...86_400)
        case "http.header_timeout_seconds": httpHeaderTimeoutSeconds = try int(1...3_600)
        case "http.allowed_hosts":
            let list = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
            for item in list where item != "*" {
                guard item.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "[" || $0 == "]" }) else {
                    throw Problem(source: source, key: key, message: "\"\(item)\" must be a host name such as ops.example.cn (no scheme or port), or *")
                }
            }
            httpAllowedHosts = list
        case "planner.auto": plannerAuto = try bool()
        case "planner.borrowing": plannerBorrowing = try bool()
        case "planner.days": plannerDays = try int(1...60)
        case "planner.flying_hours":
            let parts = text.split(separator: "-").map { Int($0) }
            guard parts.count == 2, let a = parts[0], let b = parts[1], (0...23).contains(a), (1...24).contains(b), a < b else {
                throw Problem(source: source, key: key, message: "\"\(text)\" must be START-END hours, e.g. 07-19 or 00-24")
            }
            plannerFlyingHours = FlyingWindow(start: a, end: b)
        case "planner.forecast_file": plannerForecastFile = text
        case "planner.coverage_threshold":
            guard let v = Double(text), v > 0, v <= 1 else {
                throw Problem(source: source, key: key, message: "\"\(text)\" must be a share above 0 and at most 1, e.g. 0.95")
            }
            plannerCoverageThreshold = v
        case "http.cors_origins":
            var list: [String] = []
            for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
                guard let c = URLComponents(string: item), ["http", "https"].contains(c.scheme ?? ""), c.host?.isEmpty == false,
                      c.path.isEmpty || c.path == "/", c.query == nil
                else {
                    throw Problem(source: source, key: key, message: "\"\(item)\" must be an origin such as https://ops.example.cn (scheme, host and optional port)")
                }
                list.append(item.hasSuffix("/") ? String(item.dropLast()) : item)
            }
            corsOrigins = list
        case "console.tile_url":
            guard text.isEmpty || text.hasPrefix("http://") || text.hasPrefix("https://") else {
                throw Problem(source: source, key: key, message: "\"\(text)\" must start with http:// or https://")
            }
            consoleTileURL = text
        case "console.tile_datum":
            guard ["wgs84", "gcj02"].contains(text) else { throw Problem(source: source, key: key, message: "\"\(text)\" must be wgs84 or gcj02") }
            consoleTileDatum = text
        case "console.tile_attribution": consoleTileAttribution = text
        case "console.leaflet_dir": consoleLeafletDirectory = text
        case "tasks.contact_minutes": taskContactMinutes = try int(1...10_080)
        case "tasks.on_site_minutes": taskOnSiteMinutes = try int(1...10_080)
        case "tasks.road_speed_kmh":
            guard let v = Double(text), v >= 1, v <= 200 else {
                throw Problem(source: source, key: key, message: "\"\(text)\" must be a speed in km/h from 1 to 200")
            }
            taskRoadSpeedKmh = v
        case "tasks.drone_speed_mps":
            guard let v = Double(text), v >= 1, v <= 50 else {
                throw Problem(source: source, key: key, message: "\"\(text)\" must be a speed in m/s from 1 to 50")
            }
            taskDroneSpeedMetresPerSecond = v
        case "tasks.position_max_age_minutes": taskPositionMaxAgeMinutes = try int(1...1440)
        case "radio.gateways":
            var list: [RadioGatewaySetting] = []
            for item in text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == " " }) where !item.isEmpty {
                do { list.append(try RadioGatewaySetting(parsing: String(item))) } catch {
                    throw Problem(source: source, key: key, message: error.description)
                }
            }
            if let dup = Dictionary(grouping: list, by: \.name).first(where: { $0.value.count > 1 }) {
                throw Problem(source: source, key: key, message: "gateway name \(dup.key) is used twice")
            }
            gateways = list
        default:
            throw Problem(source: source, key: key, message: "unknown setting; known: \(TianyanConfiguration.keys.keys.sorted().joined(separator: ", "))")
        }
    }
}


/// One `--gateway NAME=URL`: a name for logs and the API, and where the gateway is.
public struct RadioGatewaySetting: Sendable, Hashable {
    public var name: String
    public var url: GatewayURL

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(parsing text: String) throws(Invalid) {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw Invalid(description: "\"\(text)\" must be NAME=URL, e.g. control1=serial:///dev/ttyUSB0?baud=38400")
        }
        let name = String(text[..<eq])
        guard name.count <= 32, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw Invalid(description: "gateway name \"\(name)\" must be 1 to 32 letters, digits, - or _")
        }
        do { url = try GatewayURL(parsing: String(text[text.index(after: eq)...])) } catch {
            throw Invalid(description: error.message)
        }
        self.name = name
    }
}

/// Local flying hours, whole hours: `start` ≤ hour < `end`.
public struct FlyingWindow: Sendable, Hashable {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }
}
