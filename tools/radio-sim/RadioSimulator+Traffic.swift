import Foundation
import RadioLink
import TianyanModel

/// The background traffic of the fleet: group calls, LIP location reports, status messages
/// and texts. Every random choice here comes from the traffic stream.
extension RadioSimulator {
    /// FMS-style statuses the radios step through (0x8002 + FMS number), as the sim uses them.
    static let statusCycle: [(value: UInt16, meaning: String)] = [
        (0x8003, "available"), (0x8004, "accepted"), (0x8005, "en route"), (0x8006, "on scene"), (0x8008, "done"),
    ]

    static let texts = [
        "Arrived at Xiaobian market, all quiet", "Need backup at Wusha bridge", "Road blocked at Jinxia, detour via Xin'an",
        "Drone landed, battery 22%", "Lost child found, returning to station", "Temp 35°C at Shangsha, crowd control ok",
        "Traffic accident Changqing Rd, no injuries", "On my way", "Done, returning", "Illegal parking cleared at Yongtou",
        "Call me on 9001 please", "Smoke seen north of Xianxi, checking",
    ]

    /// Longer than one SDS holds: sent as a concatenated text.
    static let longTexts = [
        "Situation report Wusha: water main burst on Changqing Rd between Jinxia and Xin'an, road flooded 40 cm, "
            + "traffic diverted via Yongtou, two cars stranded, occupants safe, waiting for the water company.",
        "Patrol summary shift 2: 3 traffic accidents (no injuries), 1 lost child returned, 2 illegal parking cleared, "
            + "market at Xiaobian quiet, drone flight over Shangsha completed, battery swap needed at dock 3.",
    ]

    // MARK: Locations

    mutating func location(_ index: Int, reason forced: Int?) -> [Output] {
        let time = now
        let rate = max(configuration.rate, 0.001)
        let grid = self.grid
        var report = LIPEncoder.ShortReport()
        var long: LongLocationReport?
        var nextIn: Double?
        // Every third radio is a vehicle with a long-report codeplug: time of position, altitude,
        // speed and direction of travel.
        let vehicle = index % 3 == 0
        updateRadio(index) { radio, rng in
            radio.walker.move(to: time, grid: grid, rng: &rng)
            if forced == nil, time >= radio.walker.modeUntil {
                radio.walker.chooseMode(at: time, pilot: radio.pilot, rng: &rng)
            }
            var reason = forced ?? 129
            if forced == nil {
                if !radio.reported {
                    reason = 0
                } else if radio.losesFix {
                    if radio.hasFix, Double.random(in: 0..<1, using: &rng) < 0.25 {
                        radio.hasFix = false
                        reason = 21
                    } else if !radio.hasFix, Double.random(in: 0..<1, using: &rng) < 0.4 {
                        radio.hasFix = true
                        reason = 22
                    }
                } else if radio.walker.travelledSinceReport > 500 {
                    reason = 130
                } else if Double.random(in: 0..<1, using: &rng) < 0.005 {
                    reason = 12
                }
            }
            radio.reported = true
            if radio.hasFix {
                let c = grid.coordinate(x: radio.walker.x, y: radio.walker.y)
                let noise = 0.00004
                report = LIPEncoder.ShortReport(
                    latitude: c.latitude + Double.random(in: -noise...noise, using: &rng),
                    longitude: c.longitude + Double.random(in: -noise...noise, using: &rng),
                    timeElapsed: Double.random(in: 0..<1, using: &rng) < 0.9 ? 0 : 1,
                    positionError: Double.random(in: 0..<1, using: &rng) < 0.85 ? 1 : 2,
                    speedKilometresPerHour: radio.walker.speed > 0
                        ? max(0, radio.walker.kilometresPerHour + Double.random(in: -1...1, using: &rng)) : 0,
                    headingDegrees: radio.walker.headingDegrees, reason: reason)
                if vehicle, let lat = report.latitude, let lon = report.longitude {
                    long = Self.longReport(latitude: lat, longitude: lon, at: time, altitude: 8 + Double.random(in: 0...30, using: &rng),
                                           speedKilometresPerHour: report.speedKilometresPerHour ?? 0,
                                           headingDegrees: radio.walker.headingDegrees, reason: reason)
                }
            } else {
                report = .noFix(reason: reason)
            }
            radio.walker.travelledSinceReport = 0
            if forced == nil {
                let moving = radio.walker.mode != .stationary
                nextIn = (moving ? Double.random(in: 30...60, using: &rng) : Double.random(in: 120...300, using: &rng)) / rate
            }
        }
        if let nextIn { scheduleTraffic(.location(index, reason: nil), in: nextIn) }
        count { $0.locationReports += 1 }
        if let long {
            let (bytes, bits) = long.encodedWithBitLength
            return routed(.location, [.line("+CTSDSR: 12,\(radios[index].issi),0,\(ownISSI),0,\(bits)"), .line(LIPEncoder.hex(bytes))])
        }
        let bytes = LIPEncoder.encode(report)
        // Radios announce 84 bits and send 22 digits (the PDU padded to a whole octet).
        return routed(.location, [.line("+CTSDSR: 12,\(radios[index].issi),0,\(ownISSI),0,84"), .line(LIPEncoder.hex(bytes))])
    }

    /// A long location report (TS 100 392-18-1 PDU type 01/0011): time of position (UTC, to the
    /// second), a circle of about 20 m with the altitude, horizontal velocity with the direction
    /// of travel in 360/256° steps.
    static func longReport(latitude: Double, longitude: Double, at time: Timestamp, altitude: Double,
                           speedKilometresPerHour: Double, headingDegrees: Double, reason: Int) -> LongLocationReport {
        let ms = max(time.milliseconds, 0)
        let day = CivilDate(days: ms / 86_400_000)
        let secondOfDay = Int(ms % 86_400_000 / 1000)
        return LongLocationReport(
            timeType: 2,
            timeOfPosition: LIPTimeOfPosition(day: day.day, hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60, second: secondOfDay % 60),
            shape: .circleWithAltitude(LIPPoint(latitude: latitude, longitude: longitude), uncertainty: .covering(metres: 20),
                                       altitude: .coding(metres: altitude)),
            velocityData: .horizontalWithDirection(.coding(kilometresPerHour: speedKilometresPerHour), direction: .coding(degrees: headingDegrees)),
            acknowledgementRequested: false, additionalData: .reason(LIPReason(code: reason)))
    }

    // MARK: Status and texts

    mutating func status(_ index: Int) -> [Output] {
        scheduleTraffic(.status(index), in: trafficRandom(300...900) / max(configuration.rate, 0.001))
        var value: UInt16
        var out: [Output] = []
        if trafficChance(configuration.emergencyRate) {
            value = 0
            count { $0.emergencies += 1 }
        } else {
            var step = 0
            updateRadio(index) { radio, _ in
                radio.statusStep = (radio.statusStep + 1) % Self.statusCycle.count
                step = radio.statusStep
            }
            value = Self.statusCycle[step].value
        }
        count { $0.statusMessages += 1 }
        out += routed(.status, [.line("+CTSDSR: 13,\(radios[index].issi),0,\(ownISSI),0,16"), .line(String(format: "%04X", value))])
        // The radio follows a status with a location report: reason 2 for the emergency button, 4 otherwise.
        scheduleTraffic(.location(index, reason: value == 0 ? 2 : 4), in: trafficRandom(0.5...2))
        return out
    }

    mutating func text(_ index: Int) -> [Output] {
        scheduleTraffic(.text(index), in: trafficRandom(1200...3600) / max(configuration.rate, 0.001))
        let message = Self.texts[trafficIndex(Self.texts.count)]
        var reference: UInt8 = 1
        updateRadio(index) { radio, _ in
            reference = radio.nextTextReference
            radio.nextTextReference = radio.nextTextReference == 255 ? 1 : radio.nextTextReference + 1
        }
        count { $0.textMessages += 1 }
        // Both draws come first, so the traffic stream does not depend on the registrations.
        let concatenated = trafficChance(0.25)
        let long = Self.longTexts[trafficIndex(Self.longTexts.count)]
        if concatenated, isRegistered(.concatenatedText) {
            // A long report in several SDS (PI 0x8A, user data header with a concatenation
            // element), each asking for a received report, the last part sent first. Only to a
            // TE registered for PI 138 (AT+CTSP=1,3,138) or all PIs 128-255 (1,3,25).
            var parts: [SDSSubmission] = []
            updateRadio(index) { radio, _ in
                parts = (try? SDSCodec.concatenatedTextSubmissions(long, to: "1", firstReference: radio.nextTextReference,
                                                                   concatenationReference: radio.nextTextReference,
                                                                   deliveryReport: .received, maximumBits: 480)) ?? []
                for _ in parts { radio.nextTextReference = radio.nextTextReference == 255 ? 1 : radio.nextTextReference + 1 }
            }
            if parts.count > 1 { parts.insert(parts.removeLast(), at: 0) }
            return routed(.concatenatedText, parts.flatMap { part -> [Output] in
                [.line("+CTSDSR: 12,\(radios[index].issi),0,\(ownISSI),0,\(part.lengthBits)"), .line(part.payloadHex)]
            })
        }
        // SDS-TL transfer, "received" report requested, ISO 8859-1, no timestamp.
        let pdu: [UInt8] = [0x82, 0x04, reference, 0x01] + Output.latin1(message)
        return routed(.text, [.line("+CTSDSR: 12,\(radios[index].issi),0,\(ownISSI),0,\(pdu.count * 8)"), .line(LIPEncoder.hex(pdu))])
    }

    // MARK: Calls

    mutating func startCall() -> [Output] {
        let busy = Set(calls.map(\.group))
        let emergency = trafficChance(configuration.emergencyRate)
        var candidates = groupsWithTalkers.filter { !busy.contains($0) }
        if emergency, candidates.contains("9003") { candidates = ["9003"] }
        guard !candidates.isEmpty else { return [] }
        let group = candidates[trafficIndex(candidates.count)]
        let members = self.members(of: group)
        let caller = members[trafficIndex(members.count)]
        let used = Set(calls.map(\.instance))
        let instance = (1...).first { !used.contains($0) }!
        let priority = emergency ? 15 : 0
        let call = ActiveCall(id: allocateCallID(), instance: instance, group: group, priority: priority, caller: caller,
                              spurtsLeft: 1 + trafficIndex(5), visible: lineActive && isRegistered(.calls))
        updateCalls { $0.append(call) }
        count { $0.calls += 1 }
        if emergency { count { $0.emergencies += 1 } }
        scheduleTraffic(.callStep(call.id), in: trafficRandom(0.3...1))
        let issi = radios[caller].issi
        return lines(of: call, [
            .line("+CTICN: \(instance),0,0,0,\(issi),1,1,0,1,1,0,\(group),\(priority)"),
            .line("+CTCC: \(instance),1,1,0,0,1,1"),
        ])
    }

    mutating func callStep(_ id: Int) -> [Output] {
        guard let index = calls.firstIndex(where: { $0.id == id }) else { return [] }
        let call = calls[index]
        switch call.phase {
        case .talking:
            updateCalls { $0[index].phase = .pause }
            scheduleTraffic(.callStep(id), in: trafficRandom(0.5...3))
            return lines(of: call, [.line("+CDTXC: \(call.instance),0")])
        case .setUp, .pause:
            if call.spurtsLeft == 0 {
                updateCalls { $0.remove(at: index) }
                let cause = trafficChance(0.8) ? 13 : 1
                return lines(of: call, [.line("+CTCR: \(call.instance),\(cause)")])
            }
            let members = self.members(of: call.group)
            let talker = call.phase == .setUp ? call.caller : members[trafficIndex(members.count)]
            updateCalls {
                $0[index].phase = .talking
                $0[index].spurtsLeft -= 1
            }
            scheduleTraffic(.callStep(id), in: trafficRandom(2...8))
            if trafficChance(0.2) { scheduleTraffic(.location(talker, reason: 3), in: trafficRandom(0.5...1.5)) }
            return lines(of: call, [.line("+CTXG: \(call.instance),3,0,0,0,\(radios[talker].issi)")])
        }
    }

    private mutating func lines(of call: ActiveCall, _ lines: [Output]) -> [Output] {
        guard call.visible else {
            count { $0.notRouted += 1 }
            return []
        }
        return routed(.calls, lines)
    }

    // MARK: Noise

    /// Line noise: a burst of random bytes, or the start of a result line cut short.
    mutating func garbage() -> [Output] {
        guard lineActive else { return [] }
        count { $0.garbage += 1 }
        if trafficChance(0.5) {
            let length = 2 + trafficIndex(20)
            var bytes: [UInt8] = []
            for _ in 0..<length { bytes.append(UInt8(truncatingIfNeeded: trafficIndex(256))) }
            return [.raw(bytes + [0x0D, 0x0A])]
        }
        let samples = ["+CTSDSR: 12,2100001,0,\(ownISSI),0,84", "+CTICN: 1,0,0,0,2100002,1,1,0,1,1,0,9001,0", "+CMGS: 0,4,7"]
        let sample = Array(samples[trafficIndex(samples.count)].utf8)
        // Cut inside the result name, so the stub cannot parse as a (phantom) result.
        let colon = sample.firstIndex(of: 0x3A) ?? 2
        let cut = 1 + trafficIndex(max(1, colon - 1))
        return [.raw([0x0D, 0x0A] + sample.prefix(cut) + [0x0D, 0x0A])]
    }
}
