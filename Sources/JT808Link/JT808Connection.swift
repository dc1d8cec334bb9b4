import TianyanModel

/// What one JT/T 808 terminal said, for the gateway service.
public enum JT808Event: Hashable, Sendable {
    case registered(terminal: String, JT808Registration, at: Timestamp)
    case authenticated(terminal: String, at: Timestamp)
    /// A wrong code, or a report before authentication: refused and counted.
    case refused(terminal: String, why: String, at: Timestamp)
    case position(Position, alarms: [String])
    case noFix(terminal: String, at: Timestamp)
    /// Alarm bits that came on (a rising edge): `emergency` is bit 0.
    case alarm(terminal: String, names: [String], position: Position?, at: Timestamp)
    case loggedOut(terminal: String, at: Timestamp)
    case page(JT808Page)
    case unhandled(terminal: String, id: UInt16, bytes: Int)
    case malformed(bytes: Int, reason: String)
}

/// A text to a terminal (`0x8300`, GBK): queued until its connection is up, `sent` once written,
/// `received` when the terminal's general response says 0, else `failed`.
public struct JT808Page: Hashable, Sendable {
    public var id: Int
    public var serial: UInt16
    public var text: String
    public var history: [PageStep]
    public var state: PageState { history.last?.state ?? .queued }

    mutating func advance(_ next: PageState, at time: Timestamp, detail: String? = nil, final: Bool = false) -> Bool {
        guard !state.isFinal, history.last?.final != true, next > state else { return false }
        history.append(PageStep(state: next, time: time, detail: detail, final: final ? true : nil))
        return true
    }
}

/// One terminal's TCP connection to the platform: frames in, answers and events out. Pure: the
/// server feeds it bytes and ticks and writes what it returns. Registration is answered with
/// an authentication code derived from the terminal's phone and the platform's secret (so it
/// survives a restart), authentication checks it, every report gets a general response, and a
/// connection that stays silent past `idleSeconds` is closed.
public struct JT808Connection: Sendable {
    public struct Configuration: Sendable {
        public var gateway: String
        /// Mixed into the authentication codes.
        public var secret: String
        /// Reports before authentication are refused (not stored).
        public var requireAuthentication: Bool
        /// A connection silent this long is closed (terminals send a heartbeat every minute or so).
        public var idleSeconds: Double
        /// Parts of a multi-package message are kept this long for the rest.
        public var packageSeconds: Double
        /// A sent text with no general response after this long fails.
        public var pageAnswerSeconds: Double

        public init(gateway: String, secret: String, requireAuthentication: Bool = true, idleSeconds: Double = 300, packageSeconds: Double = 30,
                    pageAnswerSeconds: Double = 60) {
            self.gateway = gateway
            self.secret = secret
            self.requireAuthentication = requireAuthentication
            self.idleSeconds = idleSeconds
            self.packageSeconds = packageSeconds
            self.pageAnswerSeconds = pageAnswerSeconds
        }
    }

    public enum Action: Hashable, Sendable {
        case send([UInt8])
        case event(JT808Event)
        /// Close the connection, saying why.
        case close(String)
    }

    public let configuration: Configuration
    /// The terminal, once a frame said who it is.
    public private(set) var terminal: String?
    public private(set) var phone: String?
    public private(set) var version: JT808Message.Version = .v2013
    public private(set) var authenticated = false
    private var framer = JT808Framer()
    private var serial: UInt16 = 0
    private var lastHeard: Timestamp
    private var lastAlarm: UInt32 = 0
    private var parts: [String: (started: Timestamp, total: UInt16, bodies: [UInt16: [UInt8]], first: JT808Message)] = [:]
    private var pages: [Int: JT808Page] = [:]
    private var pageBySerial: [UInt16: Int] = [:]

    public init(configuration: Configuration, at now: Timestamp) {
        self.configuration = configuration
        lastHeard = now
    }

    /// The code a terminal gets at registration (by its phone without leading zeros): 12 hex
    /// digits of a keyed FNV-1a hash.
    public static func code(phone: String, secret: String) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in Array(secret.utf8) + [0] + Array(phone.utf8) {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return String(String(h, radix: 16, uppercase: true).suffix(12))
    }

    private mutating func frame(_ id: UInt16, _ body: [UInt8]) -> [UInt8] {
        serial &+= 1
        return JT808Message(id: id, version: version, phone: phone ?? "0", serial: serial, body: body).encoded()
    }

    private mutating func respond(_ m: JT808Message, result: UInt8) -> Action {
        .send(frame(JT808ID.platformResponse, JT808Response(serial: m.serial, id: m.id, result: result).body))
    }

    // MARK: Input

    public mutating func receive(_ bytes: [UInt8], at now: Timestamp) -> [Action] {
        lastHeard = now
        var out: [Action] = []
        for item in framer.push(bytes) {
            switch item {
            case .garbage(let n, let reason): out.append(.event(.malformed(bytes: n, reason: reason)))
            case .message(let m): out += handle(m, at: now)
            }
        }
        return out
    }

    private mutating func handle(_ m: JT808Message, at now: Timestamp) -> [Action] {
        if let known = phone, known != m.phone {
            return [.event(.malformed(bytes: m.body.count, reason: "terminal \(m.terminal) on the connection of \(terminal ?? known)")),
                    .close("a second terminal identity on one connection")]
        }
        phone = m.phone
        terminal = m.terminal
        version = m.version
        guard m.encryption == 0 else {
            return [respond(m, result: 3), .event(.unhandled(terminal: m.terminal, id: m.id, bytes: m.body.count))]
        }
        if let p = m.package {
            let key = "\(m.id)-\(p.total)"
            var entry = parts[key] ?? (now, p.total, [:], m)
            entry.bodies[p.index] = m.body
            guard entry.bodies.count == Int(p.total) else {
                parts[key] = entry
                return [respond(m, result: 0)]
            }
            parts[key] = nil
            var whole = entry.first
            whole.package = nil
            whole.serial = m.serial
            whole.body = (1...p.total).flatMap { entry.bodies[$0] ?? [] }
            return handleWhole(whole, at: now)
        }
        return handleWhole(m, at: now)
    }

    private mutating func handleWhole(_ m: JT808Message, at now: Timestamp) -> [Action] {
        let who = m.terminal
        do {
            switch m.id {
            case JT808ID.heartbeat:
                return [respond(m, result: 0)]
            case JT808ID.registration:
                let r = try JT808Registration(body: m.body, version: m.version)
                let code = Self.code(phone: m.terminal, secret: configuration.secret)
                return [.send(frame(JT808ID.registrationResponse, JT808Platform.registrationResponse(serial: m.serial, result: 0, code: code))),
                        .event(.registered(terminal: who, r, at: now))]
            case JT808ID.authentication:
                let a = try JT808Authentication(body: m.body, version: m.version)
                guard a.code == Self.code(phone: m.terminal, secret: configuration.secret) else {
                    return [respond(m, result: 1), .event(.refused(terminal: who, why: "wrong authentication code", at: now))]
                }
                authenticated = true
                return [respond(m, result: 0), .event(.authenticated(terminal: who, at: now))]
            case JT808ID.logout:
                authenticated = false
                return [respond(m, result: 0), .event(.loggedOut(terminal: who, at: now))]
            case JT808ID.terminalResponse:
                let r = try JT808Response(body: m.body)
                guard let id = pageBySerial[r.serial], var p = pages[id] else { return [] }
                let changed = r.result == 0 ? p.advance(.received, at: now, detail: "acknowledged by the terminal", final: true)
                    : p.advance(.failed, at: now, detail: ["ok", "failed", "wrong message", "not supported"].indices.contains(Int(r.result))
                        ? ["ok", "failed", "wrong message", "not supported"][Int(r.result)] : "result \(r.result)")
                pages[id] = p
                return changed ? [.event(.page(p))] : []
            case JT808ID.location, JT808ID.queryResponse, JT808ID.batchLocation:
                guard authenticated || !configuration.requireAuthentication else {
                    return [respond(m, result: 1), .event(.refused(terminal: who, why: "a location report before authentication", at: now))]
                }
                var locations: [JT808Location] = []
                var extra: [Action] = []
                if m.id == JT808ID.batchLocation {
                    let b = try JT808Batch(body: m.body)
                    locations = b.items
                    extra = b.broken.map { .event(.malformed(bytes: 0, reason: $0)) }
                } else if m.id == JT808ID.queryResponse {
                    locations = [try JT808Location(body: Array(m.body.dropFirst(2)))]
                } else {
                    locations = [try JT808Location(body: m.body)]
                }
                var out: [Action] = [respond(m, result: 0)] + extra
                for l in locations { out += located(l, terminal: who, at: now) }
                return out
            default:
                return [respond(m, result: 3), .event(.unhandled(terminal: who, id: m.id, bytes: m.body.count))]
            }
        } catch {
            return [respond(m, result: 2), .event(.malformed(bytes: m.body.count, reason: "0x\(String(m.id, radix: 16)): \(error.message)"))]
        }
    }

    private mutating func located(_ l: JT808Location, terminal: String, at now: Timestamp) -> [Action] {
        let position = l.position(unit: terminal, received: now)
        let rising = l.alarm & ~lastAlarm
        lastAlarm = l.alarm
        var out: [Action] = []
        if let position { out.append(.event(.position(position, alarms: l.alarms))) } else {
            out.append(.event(.noFix(terminal: terminal, at: l.time ?? now)))
        }
        if rising != 0 {
            let names = (0..<32).filter { rising & (1 << UInt32($0)) != 0 }.map { JT808Location.alarmNames[$0] }
            out.append(.event(.alarm(terminal: terminal, names: names, position: position, at: l.time ?? now)))
        }
        return out
    }

    // MARK: Requests

    /// A text (`0x8300`, GBK) to this terminal; nil actions when the text cannot be written in GBK.
    public mutating func text(_ text: String, id: Int, at now: Timestamp) -> (JT808Page, [Action])? {
        guard let body = JT808Platform.text(text, version: version) else { return nil }
        let bytes = frame(JT808ID.text, body)
        var p = JT808Page(id: id, serial: serial, text: text, history: [PageStep(state: .queued, time: now)])
        _ = p.advance(.sent, at: now, detail: "written to the terminal's connection")
        pages[id] = p
        pageBySerial[serial] = id
        return (p, [.send(bytes), .event(.page(p))])
    }

    /// `0x8201`: report the position now.
    public mutating func positionQuery() -> [Action] { [.send(frame(JT808ID.positionQuery, []))] }

    /// `0x8202`: report every `interval` seconds for `validity` seconds (0 stops).
    public mutating func track(interval: UInt16, validity: UInt32) -> [Action] {
        [.send(frame(JT808ID.temporaryTracking, JT808Platform.temporaryTracking(interval: interval, validity: validity)))]
    }

    // MARK: Time

    public mutating func tick(_ now: Timestamp) -> [Action] {
        var out: [Action] = []
        for (key, p) in parts where Double(now.milliseconds - p.started.milliseconds) / 1000 > configuration.packageSeconds {
            parts[key] = nil
            out.append(.event(.malformed(bytes: p.bodies.values.map(\.count).reduce(0, +),
                                         reason: "\(p.bodies.count) of \(p.total) packages of 0x\(String(p.first.id, radix: 16)); the rest never came")))
        }
        for (id, var p) in pages where p.state == .sent {
            if let t = p.history.last?.time, Double(now.milliseconds - t.milliseconds) / 1000 >= configuration.pageAnswerSeconds {
                if p.advance(.failed, at: now, detail: "no answer from the terminal in \(Int(configuration.pageAnswerSeconds)) s") {
                    pages[id] = p
                    out.append(.event(.page(p)))
                }
            }
        }
        if Double(now.milliseconds - lastHeard.milliseconds) / 1000 >= configuration.idleSeconds {
            out.append(.close("nothing from the terminal in \(Int(configuration.idleSeconds)) s"))
        }
        return out
    }

    /// The connection closed: texts still waiting for an answer fail.
    public mutating func closed(at now: Timestamp, reason: String) -> [Action] {
        var out: [Action] = []
        for (id, var p) in pages where p.state == .sent {
            if p.advance(.failed, at: now, detail: "\(reason) before the terminal answered") {
                pages[id] = p
                out.append(.event(.page(p)))
            }
        }
        return out
    }
}
