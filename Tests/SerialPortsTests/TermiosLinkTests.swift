import Foundation
import SerialPorts
import Testing
import TianyanTesting

@Suite(.timeLimit(.minutes(1))) struct TermiosLinkTests {
    @Test func bytesCrossAPtyPairBothWays() async throws {
        let socat = try await Socat()
        defer { socat.stop() }
        let a = try TermiosLink.open(path: socat.first, settings: SerialSettings(baudRate: 115200))
        let b = try TermiosLink.open(path: socat.second)
        defer { a.close(); b.close() }
        let fromA = ByteCollector(b.bytes)
        let fromB = ByteCollector(a.bytes)
        #expect(a.state == .open)
        try await a.write(Array("AT+CTSP=1,3,131\r\n".utf8))
        try await fromA.waitFor("AT+CTSP=1,3,131\r\n")
        let binary: [UInt8] = (0...255).map(UInt8.init)
        try await b.write(binary)
        try await waitUntil("256 binary bytes to arrive on \(socat.first)") { fromB.bytes.count >= 256 }
        #expect(fromB.bytes == binary)
    }

    @Test func killingSocatClosesTheLinkWithLineLost() async throws {
        let socat = try await Socat()
        defer { socat.stop() }
        let link = try TermiosLink.open(path: socat.first)
        defer { link.close() }
        let collected = ByteCollector(link.bytes)
        socat.stop()
        try await collected.waitForEnd()
        guard case .closed(let reason) = link.state else { Issue.record("still \(link.state)"); return }
        #expect(reason.contains("line lost"), "\(reason)")
        await #expect(throws: SerialPortError.self) { try await link.write([0x41]) }
    }

    @Test func closeFinishesTheStream() async throws {
        let socat = try await Socat()
        defer { socat.stop() }
        let link = try TermiosLink.open(path: socat.first)
        let collected = ByteCollector(link.bytes)
        link.close()
        try await collected.waitForEnd(timeout: .seconds(2))
        #expect(link.state == .closed(reason: "closed by caller"))
        do {
            try await link.write([0x41])
            Issue.record("write after close succeeded")
        } catch {
            #expect(error.code == .closed)
            #expect(error.message.contains(socat.first))
        }
    }

    @Test func missingDeviceIsNotFoundNamingThePath() {
        do {
            _ = try TermiosLink.open(path: "/dev/ttyNOSUCH9")
            Issue.record("opened a missing device")
        } catch {
            #expect(error.code == .notFound)
            #expect(error.message.contains("/dev/ttyNOSUCH9"))
            #expect(error.message.contains("plugged in"))
        }
    }

    @Test func regularFileIsNotATerminal() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = dir.file("not-a-tty")
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        do {
            _ = try TermiosLink.open(path: file)
            Issue.record("opened a regular file as a tty")
        } catch {
            #expect(error.code == .notATerminal)
            #expect(error.message.contains(file))
        }
    }
}
