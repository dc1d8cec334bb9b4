import Foundation
import SerialPorts
import Testing

@Suite struct SerialPortListingTests {
    let adapter = SerialPortInfo(
        name: "/dev/ttyUSB0", description: "FT232R USB UART - FT232R USB UART", transport: .usb,
        usbVendorID: 0x0403, usbProductID: 0x6001, manufacturer: "FTDI", product: "FT232R USB UART",
        serialNumber: "A10KZP4V", byIDLinks: ["/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10KZP4V-if00-port0"])

    @Test func emptyListSaysSo() throws {
        #expect(SerialPortListing.text([]) == "no serial ports found\n")
        #expect((try? JSONDecoder().decode([SerialPortInfo].self, from: Data(SerialPortListing.json([]).utf8))) == [])
    }

    @Test func textShowsUSBIdentityAndByIDLinks() {
        let text = SerialPortListing.text([adapter])
        #expect(text.hasPrefix("/dev/ttyUSB0  FT232R USB UART"))
        #expect(text.contains("  usb: 0403:6001\n"))
        #expect(text.contains("  serial number: A10KZP4V\n"))
        #expect(text.contains("  by-id: /dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10KZP4V-if00-port0\n"))
    }

    @Test func jsonRoundTrips() throws {
        let json = SerialPortListing.json([adapter])
        #expect(json.contains("\"by_id_links\"") && json.contains("\"serial_number\""), "snake_case like every --json of tianyan")
        let decoded = try JSONDecoder().decode([SerialPortInfo].self, from: Data(json.utf8))
        #expect(decoded == [adapter])
    }
}
