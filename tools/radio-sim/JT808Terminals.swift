import Foundation
import JT808Link
import TianyanModel

/// PoC handsets and vehicle terminals speaking JT/T 808 to the controller (`--protocol jt808
/// --connect HOST:PORT`): each terminal is a TCP connection that registers, authenticates with the
/// code it got, reports its position every ~30 s / rate along the street grid (the BCD time in
/// GMT+8), sends a heartbeat every minute, now and then an SOS (alarm bit 0 for one report), and
/// answers the platform's texts (general response after `--report-delay`) and position queries.
/// A connection that drops is made again after a pause. Every third terminal speaks the 2019
/// header.
final class JT808Terminals: @unchecked Sendable {
    // Invariant: everything is used from the one thread that calls run().
    struct Counters {
        var connects = 0
        var registered = 0
        var authenticated = 0
        var reports = 0
        var emergencies = 0
        var texts = 0
    }

    private struct Terminal {
        var phone: String
        var version: JT808Message.Version
        var walker: StreetWalker
        var fd: Int32 = -1
        var connecting = false
        var framer = JT808Framer()
        var serial: UInt16 = 0
        var authenticated = false
        var nextReport = Timestamp(milliseconds: 0)
        var nextHeartbeat = Timestamp(milliseconds: 0)
        var retryAt = Timestamp(milliseconds: 0)
        var sos = false
        var answers: [(at: Timestamp, serial: UInt16, id: UInt16)] = []
        var outbox: [UInt8] = []
    }

    let host: String
    let port: UInt16
    let configuration: SimConfiguration
    private var terminals: [Terminal] = []
    private var traffic: SeededGenerator
    private let grid = StreetGrid()
    private(set) var counters = Counters()

    /// Phone numbers 13907690001, 13907690002, … (Dongguan's area code in the middle).
    static func phone(_ i: Int) -> String { "1390769" + String(format: "%04d", i + 1) }

    init(host: String, port: UInt16, configuration: SimConfiguration, start: Timestamp) {
        self.host = host
        self.port = port
        self.configuration = configuration
        traffic = SeededGenerator(seed: configuration.seed ^ 0x0808)
        for i in 0..<configuration.radios {
            let spot = grid.intersection(eastKm: Double.random(in: -6...6, using: &traffic), northKm: Double.random(in: -6...6, using: &traffic))
            terminals.append(Terminal(phone: Self.phone(i), version: i % 3 == 2 ? .v2019(protocolVersion: 1) : .v2013,
                                      walker: StreetWalker(x: spot.x, y: spot.y, at: start, rng: &traffic)))
        }
    }

    var statusLine: String {
        let c = counters
        let up = terminals.filter { $0.authenticated }.count
        return "radio-sim (jt808): \(terminals.count) terminals, \(up) authenticated, \(c.connects) connects, \(c.reports) reports, "
            + "\(c.emergencies) SOS, \(c.texts) texts answered"
    }

    // MARK: The loop

    func run(runFor: Double?, statusEvery: Double, stop: @escaping () -> Bool) {
        let end = runFor.map { ContinuousClock.now + .seconds($0) }
        var nextStatus = ContinuousClock.now + .seconds(max(statusEvery, 1))
        var buffer = [UInt8](repeating: 0, count: 8192)
        SimShell.printOut("radio-sim ready jt808 terminals=\(terminals.count) server=\(host):\(port)")
        while !stop(), end.map({ ContinuousClock.now < $0 }) ?? true {
            let now = Timestamp.now()
            for i in terminals.indices { step(i, now: now) }
            var fds = terminals.map { t in
                pollfd(fd: t.fd, events: Int16(POLLIN) | (t.connecting || !t.outbox.isEmpty ? Int16(POLLOUT) : 0), revents: 0)
            }
            _ = poll(&fds, nfds_t(fds.count), 100)
            for (i, p) in fds.enumerated() where p.fd >= 0 && p.revents != 0 {
                if terminals[i].connecting, p.revents & Int16(POLLOUT) != 0 {
                    var err: Int32 = 0
                    var len = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len)
                    if err != 0 { drop(i, now: now); continue }
                    terminals[i].connecting = false
                    counters.connects += 1
                    let reg = JT808Registration(province: 44, city: 1900, manufacturer: "TYSIM", model: i % 3 == 0 ? "PoC-A508" : "CG-VT3",
                                                terminalID: String(format: "T%05d", i + 1), plateColor: i % 3 == 0 ? 0 : 1,
                                                plate: i % 3 == 0 ? "" : "粤S·城管\(String(format: "%03d", i + 1))")
                    send(i, JT808ID.registration, reg.body(version: terminals[i].version))
                }
                if p.revents & Int16(POLLIN) != 0 {
                    let n = read(p.fd, &buffer, buffer.count)
                    if n <= 0 { drop(i, now: now); continue }
                    for o in terminals[i].framer.push(Array(buffer[0..<n])) {
                        if case .message(let m) = o { handle(i, m, now: now) }
                    }
                }
                if p.revents & Int16(POLLHUP | POLLERR) != 0 { drop(i, now: now); continue }
                flush(i)
            }
            if statusEvery > 0, ContinuousClock.now >= nextStatus {
                FileHandle.standardError.write(Data((statusLine + "\n").utf8))
                nextStatus = ContinuousClock.now + .seconds(statusEvery)
            }
        }
        for t in terminals where t.fd >= 0 { close(t.fd) }
        FileHandle.standardError.write(Data((statusLine + "\n").utf8))
    }

    private func connect(_ i: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr = in_addr(s_addr: inet_addr(host))
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        terminals[i].fd = fd
        terminals[i].connecting = true
        terminals[i].framer = JT808Framer()
        terminals[i].authenticated = false
        terminals[i].outbox = []
    }

    private func drop(_ i: Int, now: Timestamp) {
        if terminals[i].fd >= 0 { close(terminals[i].fd) }
        terminals[i].fd = -1
        terminals[i].connecting = false
        terminals[i].authenticated = false
        terminals[i].retryAt = now.adding(seconds: 2 + Double(i % 20) / 10)
    }

    private func send(_ i: Int, _ id: UInt16, _ body: [UInt8]) {
        terminals[i].serial &+= 1
        terminals[i].outbox += JT808Message(id: id, version: terminals[i].version, phone: terminals[i].phone, serial: terminals[i].serial,
                                            body: body).encoded()
        flush(i)
    }

    private func flush(_ i: Int) {
        let fd = terminals[i].fd
        guard fd >= 0, !terminals[i].connecting, !terminals[i].outbox.isEmpty else { return }
        let n = terminals[i].outbox.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n > 0 { terminals[i].outbox.removeFirst(n) }
    }

    private func step(_ i: Int, now: Timestamp) {
        if terminals[i].fd < 0 {
            if now >= terminals[i].retryAt { connect(i) }
            return
        }
        guard terminals[i].authenticated else { return }
        while let a = terminals[i].answers.first, a.at <= now {
            terminals[i].answers.removeFirst()
            send(i, JT808ID.terminalResponse, JT808Response(serial: a.serial, id: a.id, result: 0).body)
            counters.texts += 1
        }
        let rate = max(configuration.rate, 0.001)
        if configuration.rate > 0, now >= terminals[i].nextReport {
            terminals[i].nextReport = now.adding(seconds: 30 / rate * Double.random(in: 0.5...1.5, using: &traffic))
            report(i, id: JT808ID.location, prefix: [], now: now)
        }
        if now >= terminals[i].nextHeartbeat {
            terminals[i].nextHeartbeat = now.adding(seconds: 60)
            send(i, JT808ID.heartbeat, [])
        }
    }

    private func report(_ i: Int, id: UInt16, prefix: [UInt8], now: Timestamp) {
        let grid = self.grid
        terminals[i].walker.move(to: now, grid: grid, rng: &traffic)
        if now >= terminals[i].walker.modeUntil { terminals[i].walker.chooseMode(at: now, pilot: false, rng: &traffic) }
        let c = grid.coordinate(x: terminals[i].walker.x, y: terminals[i].walker.y)
        let sos = !terminals[i].sos && Double.random(in: 0..<1, using: &traffic) < configuration.emergencyRate
        terminals[i].sos = sos
        if sos { counters.emergencies += 1 }
        let l = JT808Location(alarm: sos ? 1 : 0, status: 0x03, latitude: c.latitude, longitude: c.longitude, altitude: 20,
                              speedTenthsKmh: UInt16(max(0, terminals[i].walker.kilometresPerHour * 10)),
                              direction: UInt16(Int(terminals[i].walker.headingDegrees) % 360),
                              time: Timestamp(milliseconds: now.milliseconds / 1000 * 1000),
                              extras: [.init(id: 0x30, value: [25]), .init(id: 0x31, value: [9])])
        counters.reports += 1
        send(i, id, prefix + l.body)
    }

    private func handle(_ i: Int, _ m: JT808Message, now: Timestamp) {
        switch m.id {
        case JT808ID.registrationResponse:
            guard m.body.count >= 3, m.body[2] == 0 else { return }
            counters.registered += 1
            send(i, JT808ID.authentication, JT808Authentication(code: GBK.decode(m.body.dropFirst(3)).text, imei: "86000000000\(i % 10000)",
                                                                 software: "1.0").body(version: terminals[i].version))
        case JT808ID.platformResponse:
            guard let r = try? JT808Response(body: m.body), r.id == JT808ID.authentication else { return }
            if r.result == 0 {
                terminals[i].authenticated = true
                counters.authenticated += 1
                terminals[i].nextReport = now.adding(seconds: Double.random(in: 0...3, using: &traffic))
                terminals[i].nextHeartbeat = now.adding(seconds: 60)
            }
        case JT808ID.text:
            let delay = configuration.reportDelay * Double.random(in: 0.5...1.5, using: &traffic)
            terminals[i].answers.append((now.adding(seconds: delay), m.serial, m.id))
        case JT808ID.positionQuery:
            var prefix: [UInt8] = []
            prefix.append(UInt8(m.serial >> 8))
            prefix.append(UInt8(m.serial & 0xFF))
            report(i, id: JT808ID.queryResponse, prefix: prefix, now: now)
        default:
            if m.id >= 0x8000, m.id != JT808ID.platformResponse {
                send(i, JT808ID.terminalResponse, JT808Response(serial: m.serial, id: m.id, result: 0).body)
            }
        }
    }
}
