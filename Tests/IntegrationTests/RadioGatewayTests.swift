import Foundation
import Logging
import RadioLink
import SerialPorts
import ServiceLifecycle
import Synchronization
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanSQLite
import TianyanTesting

@Suite("Radio gateway over real byte streams")
struct RadioGatewayTests {
    static let callTranscript = [
        "+CTICN: 7,0,0,0,2100001,1,1,0,1,1,0,9001,0",
        "+CTCC: 7,1,1,0,0,1,1",
        "+CTXG: 7,3,0,0,0,2100001",
        "+CDTXC: 7,0",
        "+CTXG: 7,3,0,0,0,2100002",
        "+CDTXC: 7,0",
        "+CTCR: 7,13",
    ]

    @Test("the published vectors through a pty and a TCP socket: calls with talkers, LIP, statuses, texts and an emergency, stored",
          .timeLimit(.minutes(3)), arguments: ["pty", "tcp"])
    func vectorsThroughTheLine(kind: String) async throws {
        let rig = try await GatewayRig { kind == "pty" ? .pty(link: $0.file("pei")) : .tcp }
        do {
            try await rig.waitReady()
            #expect(rig.service.pei.ownIdentity == "2000999")
            let commands = rig.radio.commands
            for expected in ["ATZ", "ATE0", "AT+CSCS=8859-1", "AT+CTSP=2,0,0", "AT+CNUMF?"] {
                #expect(commands.contains(expected), "init command \(expected) not sent; got \(commands)")
            }
            rig.radio.send(Self.callTranscript)
            rig.radio.send([
                "+CTSDSR: 12,2100005,0,2000999,0,84", "0A00893E12472C51026810",      // L1, Bad Dürrenberg
                "+CTSDSR: 12,2269001,0,2000999,0,84", "0A112853A9FF4D4FFFE810",      // YO9ION, unknown error and speed
                "+CTSDSR: 13,1234567,0,2345678,0,16", "8004",                        // T4 status
                "+CTSDSR: 12,23404,0,23401,0,112", "82040801476A61746A616A676A61",  // T1 text asking for a receipt
                "+CTSDSR: 12,1234567,0,2345678,0,104", "0201746573746D657373616765",  // T5 simple text
                "+CTSDSR: 12,7654321,0,2345678,0,120", "82029C01746573746D657373616765",  // T6 SDS-TL, service selection
                "+CTSDSR: 13,2100003,0,2000999,0,16", "0000",                        // emergency press
                "+CTSDSR: 12,2100020,0,2000999,0,104", "0201746573746D657373616765",  // two texts from one radio,
                "+CTSDSR: 12,2100020,0,2000999,0,104", "0201746573746D657373616765",  // likely in the same millisecond
            ])
            try await rig.waitForRecord("the emergency alarm") { if case .alarm = $0 { true } else { false } }
            try await rig.waitForRecord("the finished call") { if case .voiceCall(let c) = $0 { c.end != nil } else { false } }

            // Positions, exactly as the hand decode says.
            try await waitUntil("both positions committed", timeout: .seconds(30)) {
                try await rig.store.units().filter { $0.position?.source == .lip }.count == 2
            }
            let units = Dictionary(uniqueKeysWithValues: try await rig.store.units().map { ($0.id, $0) })
            let l1 = try #require(units["2100005"]?.position)
            #expect(abs(l1.latitude - 51.2554479) < 1e-6 && abs(l1.longitude - 12.0623231) < 1e-6)
            let track = try await rig.store.track(unit: "2100005", from: Timestamp(milliseconds: 0), to: Timestamp.now().adding(seconds: 60))
            let p = try #require(track.first)
            #expect(p.accuracy == 20 && p.heading == 67.5)
            #expect(abs((p.speed ?? -1) - 1 / 3.6) < 1e-9, "1 km/h in m/s, got \(String(describing: p.speed))")
            let yo = try #require(units["2269001"])
            #expect(yo.registered == false && yo.kind == .radio, "an unknown ISSI is an unregistered radio")
            #expect(abs((yo.position?.latitude ?? 0) - 44.9386418) < 1e-6 && abs((yo.position?.longitude ?? 0) - 26.0443461) < 1e-6)

            // The call with both talkers and the release cause.
            try await waitUntil("the call committed", timeout: .seconds(30)) {
                try await rig.store.voiceLog(talkgroup: "9001", since: nil, limit: 10).first?.end != nil
            }
            let call = try #require(try await rig.store.voiceLog(talkgroup: "9001", since: nil, limit: 10).first)
            #expect(call.caller == "2100001" && call.kind == .group && call.gateway == "g1")
            #expect(call.transmissions.map(\.talker) == ["2100001", "2100002"])
            #expect(call.transmissions.allSatisfy { $0.end != nil })
            #expect(call.cause == "timer expiry")

            // Status with the profile's meaning, the text, and the emergency alarm naming the radio.
            try await waitUntil("radio messages committed", timeout: .seconds(30)) {
                try await rig.store.radioMessages().count >= 7
            }
            let messages = try await rig.store.radioMessages()
            let status = try #require(messages.first { $0.unit == "1234567" && $0.kind == .status })
            #expect(status.kind == .status && status.status == 0x8004 && status.meaning == "on_scene" && status.text == "On scene")
            let text = try #require(messages.first { $0.unit == "23404" })
            #expect(text.kind == .text && text.text == "Gjatjajgja" && text.called == "23401")
            #expect(messages.first { $0.unit == "1234567" && $0.kind == .text }?.text == "testmessage", "T5")
            #expect(messages.first { $0.unit == "7654321" }?.text == "testmessage", "T6")
            #expect(!rig.radio.submissions.contains { $0.destination == "7654321" }, "T6 asks for no report: none is sent")
            #expect(messages.filter { $0.unit == "2100020" }.count == 2, "both texts kept")
            let alarms = try await rig.store.alarms(kind: "emergency")
            #expect(alarms.count == 1)
            #expect(alarms.first?.unit == "2100003" && alarms.first?.severity == .emergency)
            #expect(alarms.first?.text.contains("CM-0003") == true, "\(alarms.first?.text ?? "")")

            // The text asked for a receipt: the gateway acknowledged it with an SDS-REPORT to 23404, ref 0x08.
            try await waitUntil("the receipt for T1", timeout: .seconds(30)) {
                rig.radio.submissions.contains { $0.destination == "23404" }
            }
            let receipt = try #require(rig.radio.submissions.first { $0.destination == "23404" })
            #expect(receipt.hex.uppercased().hasPrefix("8210") && receipt.hex.uppercased().hasSuffix("08"), "receipt \(receipt.hex)")
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }

    @Test("a page over TCP: hex only on the wire, queued → accepted → sent → received → read, audited", .timeLimit(.minutes(3)))
    func pageOverTCP() async throws {
        let rig = try await GatewayRig { _ in .tcp }
        do {
            try await rig.waitReady()
            let hostile = "Hi;\r\nATH\u{1A}"
            let page = try rig.network.page(hostile, to: "CM-0001", requestedBy: "dispatcher-7")
            #expect(page.destination == "2100001" && page.target == .radio && page.state == .queued)
            try await waitUntil("the AT+CMGS", timeout: .seconds(30)) { !rig.radio.submissions.isEmpty }
            let submission = try #require(rig.radio.submissions.first)
            #expect(submission.destination == "2100001" && submission.bits == submission.hex.count * 4)
            #expect(submission.hex.allSatisfy { $0.isHexDigit && !$0.isLowercase }, "payload must be uppercase hex: \(submission.hex)")
            #expect(submission.hex.hasSuffix("48693B0D0A4154481A"), "the text bytes, hex-encoded: \(submission.hex)")
            #expect(!rig.radio.commands.contains("ATH"), "user text must never become a command: \(rig.radio.commands)")
            // Everything the controller wrote is printable command text, CR LF, hex, or the one Ctrl-Z.
            let wire = rig.radio.received
            #expect(wire.filter { $0 == 0x1A }.count == 1)
            let ref = try #require(submission.reference)
            let refHex = String(format: "%02X", ref)
            try await waitUntil("accepted", timeout: .seconds(30)) { rig.network.page(id: page.id)?.state == .accepted }
            rig.radio.send(["+CMGS: \(submission.instance),4,\(ref)"])
            try await waitUntil("sent", timeout: .seconds(30)) { rig.network.page(id: page.id)?.state == .sent }
            rig.radio.send(["+CTSDSR: 12,2100001,0,2000999,0,32", "821000" + refHex])
            try await waitUntil("received", timeout: .seconds(30)) { rig.network.page(id: page.id)?.state == .received }
            rig.radio.send(["+CTSDSR: 12,2100001,0,2000999,0,32", "821002" + refHex])
            try await waitUntil("read", timeout: .seconds(30)) { rig.network.page(id: page.id)?.state == .read }
            try await waitUntil("the page committed as read", timeout: .seconds(30)) {
                try await rig.store.page(id: page.id)?.state == .read
            }
            let stored = try #require(try await rig.store.page(id: page.id))
            #expect(stored.history.map(\.state) == [.queued, .accepted, .sent, .received, .read])
            #expect(zip(stored.history, stored.history.dropFirst()).allSatisfy { $0.time <= $1.time })
            #expect(stored.text == hostile && stored.requestedBy == "dispatcher-7")
            #expect(rig.radio.submissions.count == 1, "sent exactly once")
            let audit = try await rig.store.audit()
            #expect(audit.contains { $0.actor == "dispatcher-7" && $0.action == "page" && $0.target == "2100001" && $0.outcome == "queued" })

            // Refusals are clear and audited too.
            #expect(throws: RadioNetwork.Failure.self) { try rig.network.page("x", to: "2100001;ATH", requestedBy: "dispatcher-7") }
            #expect(throws: RadioNetwork.Failure.self) { try rig.network.page("   ", to: "2100001", requestedBy: "dispatcher-7") }
            try await waitUntil("the refusals audited", timeout: .seconds(30)) {
                try await rig.store.audit().filter { $0.outcome == "refused" }.count == 2
            }
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }

    @Test("a status callout by name goes out as a status SDS and is done once sent; the emergency status and unknown names are refused",
          .timeLimit(.minutes(3)))
    func statusCallout() async throws {
        let rig = try await GatewayRig { _ in .tcp }
        do {
            try await rig.waitReady()
            let callout = try rig.network.sendStatus("On scene", to: "CM-0005", requestedBy: "dispatcher-3")
            #expect(callout.status == 0x8004 && callout.text == "On scene" && callout.destination == "2100005")
            try await waitUntil("the status SDS", timeout: .seconds(30)) { !rig.radio.submissions.isEmpty }
            let submission = try #require(rig.radio.submissions.first)
            #expect(submission.hex == "8004" && submission.bits == 16)
            #expect(rig.radio.commands.contains("AT+CTSDS=13,0"))
            rig.radio.send(["+CMGS: \(submission.instance),4,0"])
            try await waitUntil("sent", timeout: .seconds(30)) { rig.network.page(id: callout.id)?.state == .sent }
            #expect(rig.network.page(id: callout.id)?.isFinal == true)
            try await waitUntil("stored", timeout: .seconds(30)) { try await rig.store.page(id: callout.id)?.status == 0x8004 }
            for bad in ["0", "0x0000", "emergency", "teleport"] {
                #expect(throws: RadioNetwork.Failure.self, "\(bad)") { try rig.network.sendStatus(bad, to: "2100005", requestedBy: "dispatcher-3") }
            }
            #expect(rig.radio.submissions.count == 1)
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }

    @Test("a page the radio refuses as busy is tried again (same page, every attempt in its history); after 3 refusals it fails",
          .timeLimit(.minutes(3)))
    func busyRefusalIsRetried() async throws {
        let rig = try await GatewayRig { _ in .tcp }
        do {
            try await rig.waitReady()
            rig.radio.autoDeliver = true
            rig.radio.refuseNextSubmissions = 1
            let page = try rig.network.page("Stand by", to: "2100003", requestedBy: "dispatcher-2")
            try await waitUntil("read after one refusal", timeout: .seconds(20)) { rig.network.page(id: page.id)?.state == .read }
            let done = try #require(rig.network.page(id: page.id))
            #expect(done.history.map(\.state) == [.queued, .retrying, .queued, .accepted, .sent, .received, .read])
            #expect(done.history[1].detail?.contains("+CME ERROR: 42") == true)
            #expect(rig.radio.submissions.count == 2, "one refused, one sent")

            rig.radio.refuseNextSubmissions = 10
            let hopeless = try rig.network.page("Stand by", to: "2100004", requestedBy: "dispatcher-2")
            try await waitUntil("failed after 3 attempts", timeout: .seconds(30)) { rig.network.page(id: hopeless.id)?.state == .failed }
            let failed = try #require(rig.network.page(id: hopeless.id))
            #expect(failed.history.filter { $0.state == .retrying }.count == 2)
            #expect(rig.radio.submissions.filter { $0.destination == "2100004" }.count == 3)
            try await waitUntil("the final state stored", timeout: .seconds(30)) {
                try await rig.store.page(id: hopeless.id)?.state == .failed
            }
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }

    @Test("unplug mid-call: the call ends 'link lost', the page in flight fails and is never resent, the line comes back",
          .timeLimit(.minutes(3)), arguments: ["pty", "tcp"])
    func unplugMidCall(kind: String) async throws {
        let rig = try await GatewayRig { kind == "pty" ? .pty(link: $0.file("pei")) : .tcp }
        do {
            try await rig.waitReady()
            rig.radio.send(Array(Self.callTranscript.prefix(3)))
            try await waitUntil("the call to be open", timeout: .seconds(30)) { rig.service.openCalls.count == 1 }
            rig.radio.muteSubmissions = true
            let page = try rig.network.page("Move to sector 4", to: "2100002", requestedBy: "dispatcher-1")
            try await waitUntil("the AT+CMGS in flight", timeout: .seconds(30)) { rig.radio.submissions.count == 1 }
            try rig.radio.unplug()
            try await waitUntil("the page to fail", timeout: .seconds(30)) { rig.network.page(id: page.id)?.state == .failed }
            let failed = try #require(rig.network.page(id: page.id))
            #expect(failed.history.last?.detail?.contains("not resent") == true, "\(failed.history)")
            try await waitUntil("the call closed as link lost", timeout: .seconds(30)) {
                try await rig.store.voiceLog(talkgroup: "9001", since: nil, limit: 5).first?.cause == "link lost"
            }
            let call = try #require(try await rig.store.voiceLog(talkgroup: "9001", since: nil, limit: 5).first)
            #expect(call.end != nil && call.transmissions.allSatisfy { $0.end != nil }, "a cut call has no open ends")
            rig.radio.muteSubmissions = false
            try await waitUntil("the line to come back", timeout: .seconds(20)) {
                rig.radio.connections >= 2 && rig.service.status.ready
            }
            #expect(rig.radio.submissions.count == 1, "a page whose outcome is unknown is not sent twice")
            #expect(rig.service.counters.disconnects >= 1)
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }

    @Test("garbage, a 100 KB line and a header without payload: counted, and the line resynchronises", .timeLimit(.minutes(3)))
    func garbageResynchronises() async throws {
        let rig = try await GatewayRig { _ in .tcp }
        do {
            try await rig.waitReady()
            var noise = SeededGenerator(seed: 7)
            rig.radio.sendRaw((0..<4096).map { _ in UInt8.random(in: 0...255, using: &noise) })
            rig.radio.sendRaw(Array(repeating: UInt8(ascii: "A"), count: 100_000) + [0x0D, 0x0A])
            rig.radio.send(["+CTSDSR: 13,2100009,0,2000999,0,16"])  // its payload never comes
            rig.radio.send(["+CTSDSR: 13,2100010,0,2000999,0,16", "8004"])
            try await rig.waitForRecord("the status after the garbage") {
                if case .radioMessage(let m) = $0 { m.unit == "2100010" && m.status == 0x8004 } else { false }
            }
            let status = rig.service.pei
            #expect(status.ready && status.connected)
            #expect(status.overlongLines >= 1, "the 100 KB line is counted")
            #expect(status.counters.unhandledLines + UInt64(status.orphanedSDSHeaders) >= 1, "garbage is counted: \(status.counters)")
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }

    @Test("a radio that stops answering is reopened, and the gateway is ready again once it answers", .timeLimit(.minutes(3)))
    func unresponsiveRadioIsReopened() async throws {
        let rig = try await GatewayRig({ _ in .tcp }, keepAlive: 0.5)
        do {
            try await rig.waitReady()
            rig.radio.silent = true
            try await waitUntil("the keep-alive to time out and the line to be reopened", timeout: .seconds(20)) {
                rig.radio.connections >= 2
            }
            rig.radio.silent = false
            try await waitUntil("ready again", timeout: .seconds(20)) { rig.service.status.ready }
            #expect(rig.service.counters.unresponsive >= 1)
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }

    @Test("a long LIP report, a report one bit short, a concatenated text and a report asking for an ack, through the line",
          .timeLimit(.minutes(3)), arguments: ["pty", "tcp"])
    func fullLIPAndSDSTLThroughTheLine(kind: String) async throws {
        let rig = try await GatewayRig { kind == "pty" ? .pty(link: $0.file("pei")) : .tcp }
        do {
            try await rig.waitReady()
            #expect(rig.radio.commands.contains("AT+CTSP=1,3,138"), "concatenated texts (PI 138) routed to the TE")
            // A vehicle's long report: time of position two minutes ago (whole seconds, UTC),
            // altitude, speed and a direction of travel of 90°.
            let taken = Timestamp(milliseconds: (Timestamp.now().milliseconds / 1000 - 120) * 1000)
            let utc = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: taken.date)
            let point = LIPPoint(latitude: -34.6, longitude: -58.4)
            let report = LongLocationReport(
                timeType: 2, timeOfPosition: LIPTimeOfPosition(day: utc.day!, hour: utc.hour!, minute: utc.minute!, second: utc.second!),
                shape: .pointWithAltitude(point, altitude: LIPAltitude(code: 251)),
                velocityData: .horizontalWithDirection(LIPVelocity(code: 28), direction: LIPDirectionExtended(code: 64)),
                acknowledgementRequested: false, additionalData: .reason(LIPReason(code: 129)))
            let (bytes, bits) = report.encodedWithBitLength
            rig.radio.send(["+CTSDSR: 12,2100007,0,2000999,0,\(bits)", HostileRadioTraffic.hex(bytes)])
            // L1 declared one bit short: refused, never drawn.
            rig.radio.send(["+CTSDSR: 12,2100008,0,2000999,0,83", "0A00893E12472C51026810"])
            // A text in PI 0x8A parts, last part first, and an SDS-REPORT asking for an acknowledgement.
            let text = String(repeating: "Vehicle 7 at the north gate, road closed; ", count: 4)
            let parts = try SDSCodec.concatenatedTextSubmissions(text, to: "2000999", firstReference: 40, concatenationReference: 9)
            #expect(parts.count > 1)
            for part in parts.reversed() {
                rig.radio.send(["+CTSDSR: 12,2100009,0,2000999,0,\(part.userData.count * 8)", HostileRadioTraffic.hex(part.userData)])
            }
            rig.radio.send(["+CTSDSR: 12,1234567,0,2345678,0,32", "821800CA"])
            rig.radio.send(["+CTSDSR: 12,2100005,0,2000999,0,84", "0A00893E12472C51026810"])   // a canary after it all

            try await waitUntil("the SDS-ACK for report 0xCA on the wire; got \(rig.radio.submissions)", timeout: .seconds(20)) {
                rig.radio.submissions.contains { $0.destination == "1234567" && $0.hex == "822001CA" }
            }
            try await waitUntil("the positions and the text committed", timeout: .seconds(30)) {
                let units = try await rig.store.units()
                let texts = try await rig.store.radioMessages(unit: "2100009")
                return units.contains { $0.id == "2100007" && $0.position != nil } && units.contains { $0.id == "2100005" && $0.position != nil }
                    && !texts.isEmpty
            }
            let track = try await rig.store.track(unit: "2100007", from: Timestamp(milliseconds: 0), to: Timestamp.now().adding(seconds: 60))
            let p = try #require(track.first)
            #expect(p.time == taken, "the report's time of position, not the receive time: \(p.time.iso8601) vs \(taken.iso8601)")
            #expect(abs(p.latitude - -34.6) < 1e-4 && abs(p.longitude - -58.4) < 1e-4)
            #expect(p.altitude == 50, "altitude code 251 is 50 m: \(String(describing: p.altitude))")
            #expect(p.heading == 90 && abs((p.speed ?? 0) - 28 / 3.6) < 1e-9, "speed \(String(describing: p.speed)) heading \(String(describing: p.heading))")
            #expect(try await rig.store.track(unit: "2100008", from: Timestamp(milliseconds: 0), to: Timestamp.now().adding(seconds: 60)).isEmpty,
                    "a report one bit short is refused, never drawn")
            let texts = try await rig.store.radioMessages(unit: "2100009")
            #expect(texts.count == 1 && texts.first?.text == text, "one whole text: \(texts.map(\.text))")
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }
}
