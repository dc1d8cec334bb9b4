import Foundation
import RadioLink
import SerialPorts
import Synchronization
import Testing
import TianyanModel
import TianyanTesting
@testable import radio_sim

/// Runs a `SimShell` on a thread of its own and keeps what it reports.
final class ShellRunner: Sendable {
    let shell: SimShell
    private let box: NoticeBox
    private let finished = Atomic<Bool>(false)

    init(transport: SimShell.Transport, unplugFor: Double = 1, configuration: SimConfiguration = endToEndConfiguration()) {
        let box = NoticeBox()
        self.box = box
        var options = SimShell.Options()
        options.unplugFor = unplugFor
        shell = SimShell(simulator: RadioSimulator(configuration: configuration, start: .now()), transport: transport,
                         options: options, logger: SimShell.quietLogger(), notify: { box.append($0) })
    }

    func start() {
        let thread = Thread { [self] in
            do { try shell.run() } catch { Issue.record("the shell failed: \(error)") }
            finished.store(true, ordering: .releasing)
        }
        thread.name = "radio-sim shell"
        thread.start()
    }

    var all: [SimShell.Notice] { box.notices.withLock { $0 } }

    var readyLines: [String] { all.compactMap { if case .ready(let d) = $0 { d } else { nil } } }

    /// Waits for the `count`th ready notice and returns its description.
    func waitForReady(_ count: Int) async throws -> String {
        try await waitUntil("the simulator's line to be ready (\(count)×); notices so far: \(all)", timeout: .seconds(20)) {
            readyLines.count >= count
        }
        return readyLines[count - 1]
    }

    func stop() async throws {
        shell.requestStop()
        try await waitUntil("the simulator's shell to stop", timeout: .seconds(20)) { finished.load(ordering: .acquiring) }
    }
}

private final class NoticeBox: Sendable {
    let notices = Mutex<[SimShell.Notice]>([])
    func append(_ n: SimShell.Notice) { notices.withLock { $0.append(n) } }
}

func endToEndConfiguration() -> SimConfiguration {
    quietConfiguration {
        $0.radios = 10
        $0.rate = 5
        $0.seed = 3
        $0.sendDelay = 0.3
        $0.reportDelay = 0.3
        $0.readDelay = 0.5
    }
}

/// PEIEngine over a real byte link, the way the controller drives it: bytes in, a tick every
/// 100 ms, writes out.
actor EngineDriver {
    private var engine = PEIEngine(configuration: .init(gateway: "sim"))
    let link: any ByteLink
    private(set) var events: [RadioEvent] = []
    private(set) var ended = false
    private var tasks: [Task<Void, Never>] = []

    init(link: any ByteLink) { self.link = link }

    func start() async {
        let bytes = link.bytes
        tasks.append(Task {
            for await chunk in bytes { await self.received(chunk) }
            await self.lost()
        })
        tasks.append(Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                await self.tick()
            }
        })
        await perform(engine.start(at: .now()))
    }

    func stop() {
        tasks.forEach { $0.cancel() }
        link.close()
    }

    var isReady: Bool { engine.isReady }
    func pageState(_ id: Int) -> PageState? { engine.page(id)?.state }
    func page(_ id: Int) -> PageRecord? { engine.page(id) }
    var positions: Int { events.filter { if case .position = $0 { true } else { false } }.count }

    func page(_ text: String, to destination: String) async throws -> Int {
        let (record, actions) = try engine.page(text, to: destination, at: .now())
        await perform(actions)
        return record.id
    }

    private func received(_ chunk: [UInt8]) async {
        await perform(engine.handle(.bytesReceived(chunk, at: .now())))
    }

    private func tick() async {
        guard !ended else { return }
        await perform(engine.handle(.tick(.now())))
    }

    private func lost() async {
        ended = true
        await perform(engine.linkLost(at: .now(), reason: "\(link.state)"))
    }

    private func perform(_ actions: [PEIEngine.Action]) async {
        for action in actions {
            switch action {
            case .write(let bytes): if !ended { try? await link.write(bytes) }
            case .emit(let event): events.append(event)
            case .commandFinished, .timedOut: break
            }
        }
    }
}

@Suite(.timeLimit(.minutes(2))) struct EndToEndTests {
    /// Pages and waits for "read"; checks the whole history.
    func pageUntilRead(_ driver: EngineDriver, to destination: String, over what: String) async throws {
        let id = try await driver.page("Go to Xiaobian market, gate 3", to: destination)
        try await waitUntil("page \(id) over \(what) to be read (now \(String(describing: await driver.pageState(id))))",
                            timeout: .seconds(20)) { await driver.pageState(id) == .read }
        let page = try #require(await driver.page(id))
        #expect(page.history.map(\.state) == [.queued, .accepted, .sent, .received, .read])
    }

    @Test func pagingOverAPtyThenUnplugAndReopen() async throws {
        let dir = try TemporaryDirectory("radio-sim")
        defer { dir.remove() }
        let path = dir.file("pei")
        let runner = ShellRunner(transport: .pty(path: path))
        runner.start()
        #expect(try await runner.waitForReady(1) == "pty=\(path)")

        let link = try TermiosLink.open(path: path, settings: SerialSettings(baudRate: 115200))
        let driver = EngineDriver(link: link)
        await driver.start()
        try await waitUntil("the engine to become ready over \(path)", timeout: .seconds(20)) { await driver.isReady }
        try await pageUntilRead(driver, to: "2100001", over: path)
        try await waitUntil("a location report over \(path)", timeout: .seconds(20)) { await driver.positions > 0 }

        runner.shell.requestUnplug()
        try await waitUntil("the pty link to close after the unplug", timeout: .seconds(20)) { await driver.ended }
        guard case .closed(let reason) = link.state else { Issue.record("link still \(link.state)"); return }
        #expect(reason.contains("line lost"), "\(reason)")
        let lost = await driver.events.contains { if case .linkDown = $0 { true } else { false } }
        #expect(lost)

        #expect(try await runner.waitForReady(2) == "pty=\(path)")
        let again = try TermiosLink.open(path: path)
        let second = EngineDriver(link: again)
        await second.start()
        try await waitUntil("the engine to become ready on the new pty", timeout: .seconds(20)) { await second.isReady }
        try await pageUntilRead(second, to: "2100002", over: "the new pty")
        await second.stop()
        await driver.stop()
        try await runner.stop()
        #expect(!FileManager.default.fileExists(atPath: path), "the symlink outlived the simulator")
    }

    @Test func pagingOverTCPOneClientAtATimeThenUnplug() async throws {
        let runner = ShellRunner(transport: .tcp(host: "127.0.0.1", port: 0), unplugFor: 3)
        runner.start()
        let ready = try await runner.waitForReady(1)
        #expect(ready.hasPrefix("tcp=127.0.0.1:"))
        let port = try #require(UInt16(ready.split(separator: ":").last ?? ""), "no port in \(ready)")

        let link = try await TCPLink.connect(host: "127.0.0.1", port: port)
        let driver = EngineDriver(link: link)
        await driver.start()
        try await waitUntil("the engine to become ready over TCP", timeout: .seconds(20)) { await driver.isReady }
        try await pageUntilRead(driver, to: "2100003", over: "TCP")

        // A second client is told the PEI is in use and closed; the first keeps working.
        let intruder = try await TCPLink.connect(host: "127.0.0.1", port: port)
        let heard = Mutex<[UInt8]>([])
        let reader = Task { for await chunk in intruder.bytes { heard.withLock { $0 += chunk } } }
        try await waitUntil("the second client to be closed", timeout: .seconds(20)) { intruder.state != .open }
        _ = await reader.value
        #expect(String(decoding: heard.withLock { $0 }, as: UTF8.self).contains("+CME ERROR: 2"))
        try await pageUntilRead(driver, to: "2100004", over: "TCP with a refused second client")

        runner.shell.requestUnplug()
        try await waitUntil("the TCP link to close after the unplug", timeout: .seconds(20)) { await driver.ended }
        if runner.readyLines.count == 1 {
            await #expect(throws: SerialPortError.self, "connecting while unplugged must fail") {
                let l = try await TCPLink.connect(host: "127.0.0.1", port: port, timeout: .seconds(1))
                l.close()
            }
        }
        #expect(try await runner.waitForReady(2) == ready, "plugged back in on another port")
        let again = try await TCPLink.connect(host: "127.0.0.1", port: port)
        let second = EngineDriver(link: again)
        await second.start()
        try await waitUntil("the engine to become ready after the replug", timeout: .seconds(20)) { await second.isReady }
        try await pageUntilRead(second, to: "2100005", over: "TCP after the replug")
        await second.stop()
        await driver.stop()
        try await runner.stop()
    }
}
