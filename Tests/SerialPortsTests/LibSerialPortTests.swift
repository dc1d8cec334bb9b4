import Foundation
import SerialPorts
import Testing
import TianyanTesting

@Suite(.timeLimit(.minutes(1))) struct LibSerialPortTests {
    @Test func enumerationReturnsConsistentEntries() throws {
        let ports = try SerialPortEnumerator().list()
        for port in ports {
            #expect(port.name.hasPrefix("/dev/"), "\(port.name)")
            if port.transport != .usb { #expect(port.usbVendorID == nil && port.serialNumber == nil) }
        }
        #expect(try SerialPortEnumerator().find(usbSerial: "NO-SUCH-SERIAL-\(UUID())") == nil)
    }

    @Test func byIDLinksAreGroupedByTheDeviceTheyPointTo() throws {
        let dir = try TemporaryDirectory("by-id")
        defer { dir.remove() }
        try FileManager.default.createSymbolicLink(atPath: dir.file("usb-FTDI_A-if00-port0"), withDestinationPath: "/dev/null")
        try FileManager.default.createSymbolicLink(atPath: dir.file("usb-alias-for-null"), withDestinationPath: "/dev/null")
        try FileManager.default.createSymbolicLink(atPath: dir.file("usb-dangling"), withDestinationPath: "/dev/ttyNOSUCH7")
        let links = SerialPortEnumerator(byIDDirectory: dir.path).byIDLinks()
        #expect(links == ["/dev/null": [dir.file("usb-FTDI_A-if00-port0"), dir.file("usb-alias-for-null")]])
        #expect(SerialPortEnumerator(byIDDirectory: dir.file("absent")).byIDLinks().isEmpty)
    }

    @Test func missingDeviceNamesTheDevice() {
        do {
            _ = try LibSerialPortLink.open(path: "/dev/ttyUSB97")
            Issue.record("opened a missing device")
        } catch {
            #expect(error.code == .notFound)
            #expect(error.message.contains("cannot open /dev/ttyUSB97"), "\(error.message)")
            #expect(error.message.contains("No such file or directory"), "\(error.message)")
        }
    }

    @Test func aPtyIsRefusedByLibserialportAndTheFactoryFallsBackToTermios() async throws {
        let dir = try TemporaryDirectory("pty-links")
        defer { dir.remove() }
        let socat = try await Socat(links: (dir.file("radio"), dir.file("far-end")))
        defer { socat.stop() }
        for path in [socat.first, dir.file("radio")] {
            do {
                let link = try LibSerialPortLink.open(path: path)
                link.close()
                Issue.record("libserialport opened \(path)")
            } catch {
                #expect(error.code == .refusedByLibrary)
                #expect(error.message.contains("\(path) refused by libserialport"), "\(error.message)")
            }
        }
        let url = try GatewayURL(parsing: "serial://\(dir.file("radio"))?baud=38400&flow=rtscts")
        let link = try await SerialLinkFactory().open(url: url)
        let far = try TermiosLink.open(path: dir.file("far-end"))
        defer { link.close(); far.close() }
        #expect(link is TermiosLink)
        let received = ByteCollector(far.bytes)
        try await link.write(Array("ATE0\r".utf8))
        try await received.waitFor("ATE0\r")
    }

    @Test func unreadableFileIsHandled() throws {
        let dir = try TemporaryDirectory("no-permission")
        defer { dir.remove() }
        let file = dir.file("ttyLOCKED")
        #expect(FileManager.default.createFile(atPath: file, contents: nil))
        #expect(chmod(file, 0) == 0)
        do {
            let link = try SerialLinkFactory().openSerial(path: file, settings: SerialSettings())
            link.close()
            Issue.record("opened \(file)")
        } catch {
            #expect(error.message.contains(file), "\(error.message)")
            if geteuid() == 0 {
                // root opens it anyway; it then fails as not being a terminal.
                #expect(error.code == .notATerminal, "\(error)")
            } else {
                #expect(error.code == .permissionDenied, "\(error)")
                #expect(error.message.contains("dialout"))
            }
        }
    }
}
