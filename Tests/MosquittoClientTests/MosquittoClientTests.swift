import Foundation
import Logging
import Synchronization
import MessageJournal
import MosquittoClient
import Testing
import TianyanTesting

/// Collects a client's messages on a task of its own; `acknowledging` releases each from the
/// journal once collected, as the controller does once it has stored a message.
final class Inbox: Sendable {
    private let box = Mutex<[MQTTMessage]>([])
    init(_ client: MosquittoClient, acknowledging: Bool = false) {
        Task {
            for await m in client.messages {
                box.withLock { $0.append(m) }
                if acknowledging, let sequence = m.journalSequence { client.acknowledge(through: sequence) }
            }
        }
    }
    var messages: [MQTTMessage] { box.withLock { $0 } }
    func payloads(on topic: String) -> [String] {
        messages.filter { $0.topic == topic }.map { String(decoding: $0.payload, as: UTF8.self) }
    }
}

func client(_ broker: LocalBroker, id: String, subscriptions: [MosquittoClient.Subscription] = [], journal: String? = nil) throws -> MosquittoClient {
    try MosquittoClient(configuration: .init(
        broker: try BrokerURL(parsing: broker.url), clientID: id, subscriptions: subscriptions,
        reconnectDelayMinSeconds: 1, reconnectDelayMaxSeconds: 2, journalDirectory: journal))
}

/// Runs `client.run()` until the returned task is cancelled.
func running(_ client: MosquittoClient) -> Task<Void, any Error> {
    Task { try await client.run() }
}

@Suite(.serialized, .timeLimit(.minutes(2)))
struct MosquittoClientTests {
    @Test func publishCompletesAndSubscriberReceivesWithJournalSequence() async throws {
        let broker = try LocalBroker()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let sub = try client(broker, id: "t-sub", subscriptions: [.init("dock/+/osd")], journal: dir.file("journal"))
        let inbox = Inbox(sub)
        let subTask = running(sub)
        let pub = try client(broker, id: "t-pub")
        let pubTask = running(pub)
        defer { subTask.cancel(); pubTask.cancel() }
        try await waitUntil("both clients to connect") { sub.status.connected && pub.status.connected }
        // The subscription is sent from the connect callback; wait until the broker routes to it.
        try await waitUntil("the subscription to take effect") {
            try? await pub.publish("dock/probe/osd", payload: Array("probe".utf8))
            return !inbox.payloads(on: "dock/probe/osd").isEmpty
        }
        for i in 0..<50 {
            try await pub.publish("dock/A\(i % 3)/osd", payload: Array("m\(i)".utf8), qos: .atLeastOnce)
        }
        try await waitUntil("50 messages to arrive") { inbox.messages.filter { $0.topic.hasPrefix("dock/A") }.count == 50 }
        let got = inbox.messages.filter { $0.topic.hasPrefix("dock/A") }
        #expect(Set(got.map { String(decoding: $0.payload, as: UTF8.self) }) == Set((0..<50).map { "m\($0)" }))
        #expect(got.allSatisfy { $0.qos == 1 && $0.journalSequence != nil && !$0.replayed })
        let sequences = inbox.messages.compactMap(\.journalSequence)
        #expect(sequences == sequences.sorted(), "journal sequences follow arrival order")
        #expect(sub.journalStatistics?.appended == UInt64(inbox.messages.count))
    }

    @Test func unacknowledgedMessagesAreReplayedAfterARestart() async throws {
        let broker = try LocalBroker()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = dir.file("journal")
        var acknowledged: UInt64 = 0
        do {
            let sub = try client(broker, id: "t-replay", subscriptions: [.init("j/#")], journal: journal)
            let inbox = Inbox(sub)
            let task = running(sub)
            let pub = try client(broker, id: "t-replay-pub")
            let pubTask = running(pub)
            try await waitUntil("connect") { sub.status.connected && pub.status.connected }
            try await waitUntil("the subscription") {
                try? await pub.publish("j/probe", payload: [1])
                return !inbox.payloads(on: "j/probe").isEmpty
            }
            for i in 0..<20 { try await pub.publish("j/x", payload: Array("r\(i)".utf8)) }
            try await waitUntil("20 messages") { inbox.payloads(on: "j/x").count == 20 }
            // Pretend the first 10 of them were stored, then "crash" (stop without acknowledging the rest).
            let tenth = inbox.messages.filter { $0.topic == "j/x" }[9].journalSequence!
            sub.acknowledge(through: tenth)
            acknowledged = tenth
            task.cancel(); pubTask.cancel()
            _ = await task.result
        }
        let again = try client(broker, id: "t-replay", subscriptions: [.init("j/#")], journal: journal)
        let inbox = Inbox(again)
        let task = running(again)
        defer { task.cancel() }
        try await waitUntil("the 10 unacknowledged messages to be replayed") { inbox.payloads(on: "j/x").count >= 10 }
        let replayed = inbox.messages.filter { $0.replayed && $0.topic == "j/x" }
        #expect(replayed.map { String(decoding: $0.payload, as: UTF8.self) } == (10..<20).map { "r\($0)" })
        #expect(replayed.allSatisfy { $0.journalSequence! > acknowledged })
        #expect(again.status.replayed == 10)
    }

    @Test func persistentSessionReceivesWhatWasPublishedWhileOffline() async throws {
        let broker = try LocalBroker()
        defer { broker.shutdown() }
        let pub = try client(broker, id: "t-offline-pub")
        let pubTask = running(pub)
        defer { pubTask.cancel() }
        do {
            let sub = try client(broker, id: "t-offline-sub", subscriptions: [.init("o/#")])
            let task = running(sub)
            try await waitUntil("subscriber connected and subscribed") {
                guard sub.status.connected else { return false }
                try? await Task.sleep(for: .milliseconds(200))
                return true
            }
            task.cancel()
            _ = await task.result
        }
        try await waitUntil("publisher connected") { pub.status.connected }
        for i in 0..<30 { try await pub.publish("o/x", payload: Array("q\(i)".utf8)) }
        let sub = try client(broker, id: "t-offline-sub", subscriptions: [.init("o/#")])
        let inbox = Inbox(sub)
        let task = running(sub)
        defer { task.cancel() }
        try await waitUntil("the 30 queued messages") { inbox.payloads(on: "o/x").count == 30 }
        #expect(inbox.payloads(on: "o/x") == (0..<30).map { "q\($0)" })
    }

    @Test func reconnectsAndResubscribesAfterABrokerRestart() async throws {
        let broker = try LocalBroker(options: .init(persistence: true))
        defer { broker.shutdown() }
        let sub = try client(broker, id: "t-restart-sub", subscriptions: [.init("r/#")])
        let inbox = Inbox(sub)
        let task = running(sub)
        defer { task.cancel() }
        try await waitUntil("connected") { sub.status.connected }
        broker.kill()
        try await waitUntil("the client to notice the broker is gone") { !sub.status.connected }
        // Publishing while there is no broker fails clearly instead of hanging.
        await #expect(throws: MQTTError.self) {
            try await sub.publish("r/none", payload: [0], timeout: .seconds(1))
        }
        try broker.start()
        try await waitUntil("reconnected", timeout: .seconds(20)) { sub.status.connected && sub.status.connects >= 2 }
        let pub = try client(broker, id: "t-restart-pub")
        let pubTask = running(pub)
        defer { pubTask.cancel() }
        try await waitUntil("messages after the restart arrive (resubscribed)", timeout: .seconds(20)) {
            try? await pub.publish("r/after", payload: Array("after".utf8))
            return !inbox.payloads(on: "r/after").isEmpty
        }
        // What failed while there was no broker is not sent after all once there is one.
        #expect(inbox.payloads(on: "r/none").isEmpty, "a publish reported as failed was delivered after the reconnect")
        #expect(sub.status.disconnects >= 1)
    }

    @Test func connectingToNothingKeepsRetryingAndConnectsWhenTheBrokerComes() async throws {
        let port = try FreePort.loopback()
        let c = try MosquittoClient(configuration: .init(
            broker: BrokerURL(host: "127.0.0.1", port: port), clientID: "t-nothing",
            reconnectDelayMinSeconds: 1, reconnectDelayMaxSeconds: 1))
        let task = running(c)
        try await waitUntil("an error to be reported") { c.status.lastError != nil }
        #expect(!c.status.connected)
        // The reason, not the errno of some other thread ("Success").
        #expect(c.status.lastError?.contains("Connection refused") == true, "\(c.status.lastError ?? "-")")
        // The broker comes up later: the client gets there by itself.
        let broker = try LocalBroker(port: port)
        defer { broker.shutdown() }
        try await waitUntil("connected once the broker is up", timeout: .seconds(15)) { c.status.connected }
        task.cancel()
        _ = await task.result
    }

    /// The whole client on a full disk: it stops taking messages when the journal runs short
    /// (the broker queues them), a crash and a restart on the still full disk replay what was
    /// journaled without connecting, and once there is room every message arrives: none lost.
    @Test(.enabled(if: SmallFilesystem.available, "needs root and mount (a small tmpfs to fill); tools/faults/storage does the same with tianyan serve"))
    func onAFullDiskTheClientStopsTakingMessagesAndLosesNoneAcrossACrash() async throws {
        let broker = try LocalBroker()
        defer { broker.shutdown() }
        let fs = try SmallFilesystem(megabytes: 8)
        defer { fs.remove() }
        let journal = fs.file("journal")
        func subscriber() throws -> MosquittoClient {
            try MosquittoClient(configuration: .init(
                broker: try BrokerURL(parsing: broker.url), clientID: "t-full-sub", subscriptions: [.init("f/#")],
                reconnectDelayMinSeconds: 1, reconnectDelayMaxSeconds: 2, journalDirectory: journal, journalSegmentBytes: 256 << 10))
        }
        let pub = try client(broker, id: "t-full-pub")
        let pubTask = running(pub)
        defer { pubTask.cancel() }
        let total = 3_000
        let body = String(repeating: "p", count: 500)
        var taken: Set<String> = []
        do {
            let sub = try subscriber()
            let inbox = Inbox(sub)
            let task = running(sub)
            try await waitUntil("both clients to connect", timeout: .seconds(30)) { sub.status.connected && pub.status.connected }
            try await waitUntil("the subscription to take effect", timeout: .seconds(30)) {
                try? await pub.publish("f/probe", payload: [1])
                return !inbox.payloads(on: "f/probe").isEmpty
            }
            #expect(fs.fill() > 0)
            for i in 0..<total { try await pub.publish("f/x", payload: Array("\(i) \(body)".utf8)) }
            try await waitUntil("the client to stop taking messages", timeout: .seconds(30)) { sub.status.pausedForJournalSince != nil }
            #expect(sub.status.lastError?.contains("journal") == true, "\(sub.status)")
            #expect(sub.status.journalFailures == 0, "no message was taken without the journal")
            try await waitUntil("the client to disconnect", timeout: .seconds(30)) { !sub.status.connected }
            taken = Set(inbox.payloads(on: "f/x"))
            #expect(taken.count < total, "the broker kept some: the client paused before taking all \(total)")
            // A crash (nothing acknowledged as stored).
            task.cancel()
            _ = await task.result
        }
        let again = try subscriber()
        let inbox = Inbox(again, acknowledging: true)
        let task = running(again)
        defer { task.cancel() }
        try await waitUntil("the journaled messages to be replayed", timeout: .seconds(30)) { Set(inbox.payloads(on: "f/x")).isSuperset(of: taken) }
        try await waitUntil("the restarted client to say it is paused", timeout: .seconds(30)) { again.status.pausedForJournalSince != nil }
        #expect(!again.status.connected, "no connection while the disk is still full")
        fs.free()
        try await waitUntil("every message, once there is room", timeout: .seconds(30)) { Set(inbox.payloads(on: "f/x")).count == total }
        #expect(again.status.pausedForJournalSince == nil)
        #expect(again.status.connected)
    }

    /// A backlog of many journal segments is replayed a segment at a time: the next segment is
    /// read only once the previous one's messages are stored, so at most one segment's messages
    /// are ever handed on and not yet stored; all arrive, in order.
    @Test func aLargeBacklogIsReplayedASegmentAtATime() async throws {
        let broker = try LocalBroker()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("journal")
        let segment = 16 << 10
        let total = 2_000
        let perSegment: [Int]
        do {
            let j = try MessageJournal(directory: path, segmentLimitBytes: segment)
            let topic = Array("b/x".utf8)
            for i in 0..<total {
                let payload = Array("m\(i) \(String(repeating: "z", count: 90))".utf8)
                _ = try topic.withUnsafeBufferPointer { t in try payload.withUnsafeBytes { try j.append(topic: t, payload: $0) } }
            }
            perSegment = j.segmentStarts.map { j.unreleased(inSegment: $0).count }
        }
        #expect(perSegment.count > 10, "\(perSegment.count) segments")
        let c = try MosquittoClient(configuration: .init(
            broker: try BrokerURL(parsing: broker.url), clientID: "t-backlog", reconnectDelayMinSeconds: 1, reconnectDelayMaxSeconds: 2,
            journalDirectory: path, journalSegmentBytes: segment))
        let seen = Mutex<(received: [String], mostAhead: UInt64)>(([], 0))
        let consumer = Task {
            for await m in c.messages {
                seen.withLock { s in
                    s.received.append(String(decoding: m.payload, as: UTF8.self))
                    s.mostAhead = max(s.mostAhead, c.status.replayed - UInt64(s.received.count))
                }
                if let sequence = m.journalSequence { c.acknowledge(through: sequence) }
            }
        }
        let task = running(c)
        defer { task.cancel(); consumer.cancel() }
        try await waitUntil("the backlog of \(total) to be replayed", timeout: .seconds(30)) { seen.withLock { $0.received.count } == total }
        let (received, mostAhead) = seen.withLock { ($0.received, $0.mostAhead) }
        #expect(received.map { $0.split(separator: " ")[0] } == (0..<total).map { "m\($0)"[...] }, "in order")
        #expect(mostAhead < UInt64(perSegment.max()!), "at most one segment handed on ahead of the store: \(mostAhead)")
        #expect(c.status.replayed == UInt64(total))
    }

    /// If the store does not keep up (nothing is acknowledged), replay does not keep the link
    /// off the broker: after `replayWait` the rest is handed on anyway.
    @Test func aBacklogNobodyStoresIsStillHandedOnAfterTheWait() async throws {
        let broker = try LocalBroker()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("journal")
        do {
            let j = try MessageJournal(directory: path, segmentLimitBytes: 4 << 10)
            let topic = Array("b/y".utf8)
            for i in 0..<300 {
                let payload = Array("n\(i) \(String(repeating: "z", count: 90))".utf8)
                _ = try topic.withUnsafeBufferPointer { t in try payload.withUnsafeBytes { try j.append(topic: t, payload: $0) } }
            }
        }
        let c = try MosquittoClient(configuration: .init(
            broker: try BrokerURL(parsing: broker.url), clientID: "t-backlog-stuck", reconnectDelayMinSeconds: 1, reconnectDelayMaxSeconds: 2,
            journalDirectory: path, journalSegmentBytes: 4 << 10, replayWait: .milliseconds(300)))
        let inbox = Inbox(c)
        let task = running(c)
        defer { task.cancel() }
        try await waitUntil("all 300 replayed though none is stored", timeout: .seconds(30)) { inbox.payloads(on: "b/y").count == 300 }
        try await waitUntil("the client to connect after the replay", timeout: .seconds(30)) { c.status.connected }
    }
}

@Suite struct BrokerURLTests {
    @Test func parsesSchemesPortsAndCredentials() throws {
        let a = try BrokerURL(parsing: "mqtt://127.0.0.1:1884")
        #expect(a == BrokerURL(tls: false, host: "127.0.0.1", port: 1884))
        let b = try BrokerURL(parsing: "mqtts://ops:s%40cret@broker.example")
        #expect(b.tls && b.port == 8883 && b.username == "ops" && b.password == "s@cret")
        #expect(b.description == "mqtts://ops@broker.example:8883", "no password in the printable form")
        #expect(try BrokerURL(parsing: "mqtt://h").port == 1883)
    }

    @Test(arguments: ["http://x:1", "mqtt://", "not a url", "mqtt://h:70000"])
    func refusesWhatIsNotABrokerURL(_ text: String) {
        #expect(throws: MQTTError.self) { try BrokerURL(parsing: text) }
    }
}

@Suite struct MessageJournalTests {
    func append(_ j: MessageJournal, _ topic: String, _ payload: String) throws -> UInt64 {
        let t = Array(topic.utf8), p = Array(payload.utf8)
        return try t.withUnsafeBufferPointer { tb in try p.withUnsafeBytes { try j.append(topic: tb, payload: $0) } }
    }

    /// A full disk (a tmpfs filled by a filler file): appends go on into the reserve (a spare
    /// segment), the journal says it is short before any append fails, what it took survives a
    /// restart on the still full disk, and it has room again once the filler is gone.
    @Test(.enabled(if: SmallFilesystem.available, "needs root and mount (a small tmpfs to fill); tools/faults/storage does the same on ext4"))
    func onAFullDiskTheReserveTakesMessagesAndSaysShortBeforeAnyFails() throws {
        let fs = try SmallFilesystem(megabytes: 8)
        defer { fs.remove() }
        let path = fs.file("j")
        let segment = 1 << 20
        let payload = String(repeating: "x", count: 1000)
        var appended: [UInt64] = []
        do {
            let j = try MessageJournal(directory: path, segmentLimitBytes: segment)
            #expect(j.statistics.reservedBytes >= 2 * segment - 4096, "the segment and a spare are reserved: \(j.statistics)")
            #expect(!j.isShortOfRoom)
            #expect(fs.fill() > 0)
            while !j.isShortOfRoom, appended.count < 10_000 {
                appended.append(try append(j, "t/full", payload))
            }
            #expect(j.isShortOfRoom, "the journal never said it was short")
            #expect(appended.count > 1_000, "the reserve took \(appended.count) messages of 1 KB")
            #expect(j.statistics.reserveError?.contains("No space left") == true, "\(j.statistics)")
            // What arrives between the pause request and the disconnect still has room.
            for _ in 0..<100 { appended.append(try append(j, "t/full", payload)) }
        }
        let reopened = try MessageJournal(directory: path, segmentLimitBytes: segment)
        #expect(try reopened.unreleased().map(\.sequence) == appended, "every message taken is there after a restart")
        #expect(reopened.isShortOfRoom, "still short after a restart on the full disk")
        #expect(!reopened.replenish())
        fs.free()
        #expect(reopened.replenish(), "room again once the filler is gone")
        #expect(!reopened.isShortOfRoom)
        #expect(try append(reopened, "t/after", "y") == appended.last! + 1)
    }

    @Test func releasedEntriesAreNotReplayedAndOldSegmentsAreDeleted() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("j")
        do {
            let j = try MessageJournal(directory: path, segmentLimitBytes: 200)
            for i in 1...30 { #expect(try append(j, "t/\(i)", String(repeating: "x", count: 20)) == UInt64(i)) }
            #expect(j.statistics.segments > 3)
            j.release(through: 25)
            #expect(j.statistics.segments <= 2)
        }
        let reopened = try MessageJournal(directory: path, segmentLimitBytes: 200)
        #expect(try reopened.unreleased().map(\.sequence) == [26, 27, 28, 29, 30])
        #expect(try reopened.unreleased().first?.topic == "t/26")
        #expect(try append(reopened, "t/31", "y") == 31, "sequence numbers continue after a restart")
    }

    @Test func aTornRecordAtTheEndIsCutAndAppendsContinue() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("j")
        do {
            let j = try MessageJournal(directory: path)
            for i in 1...3 { _ = try append(j, "t", "p\(i)") }
        }
        // A crash in the middle of a write: half a record at the end of the segment.
        let segment = try FileManager.default.contentsOfDirectory(atPath: path).first { $0.hasPrefix("segment-") }!
        let handle = FileHandle(forWritingAtPath: path + "/" + segment)!
        handle.seekToEndOfFile()
        handle.write(Data([40, 0, 0, 0, 1, 2, 3, 4, 9, 9]))
        handle.closeFile()
        let j = try MessageJournal(directory: path)
        #expect(j.statistics.tornRecordsCut == 1)
        #expect(try j.unreleased().map { String(decoding: $0.payload, as: UTF8.self) } == ["p1", "p2", "p3"])
        #expect(try append(j, "t", "p4") == 4)
        #expect(try j.unreleased().count == 4)
    }
}

@Suite struct SpawnedProcessTests {
    /// A child gets stdin, stdout and stderr and nothing else: a descriptor the parent opened
    /// without close-on-exec (as libserialport opens ports) does not live on in a broker or a
    /// simulator.
    @Test func aChildInheritsNoDescriptorBeyondTheStandardThree() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let plain = open(dir.file("held"), O_WRONLY | O_CREAT, 0o644)
        #expect(plain >= 0)
        let held = fcntl(plain, F_DUPFD, 60)
        close(plain)
        defer { close(held) }
        #expect(held >= 60 && fcntl(held, F_GETFD) & FD_CLOEXEC == 0, "a descriptor without close-on-exec")
        let out = dir.file("fds")
        let child = try SpawnedProcess("/bin/ls", ["/proc/self/fd"], logFile: out)
        try await waitUntil("ls to finish") { !child.isRunning }
        let listed = try String(contentsOfFile: out, encoding: .utf8).split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        #expect(listed.contains(0) && listed.contains(1) && listed.contains(2), "\(listed)")
        #expect(!listed.contains(Int(held)), "descriptor \(held) leaked into the child: \(listed)")
    }
}
