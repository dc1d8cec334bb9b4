import CLibSerialPort
import Foundation

/// One serial port the system knows, as libserialport reports it.
public struct SerialPortInfo: Hashable, Sendable, Codable {
    public enum Transport: String, Hashable, Sendable, Codable { case native, usb, bluetooth, unknown }

    /// The device node, e.g. /dev/ttyUSB0.
    public var name: String
    public var description: String?
    public var transport: Transport
    public var usbVendorID: UInt16?
    public var usbProductID: UInt16?
    public var manufacturer: String?
    public var product: String?
    public var serialNumber: String?
    /// Links in /dev/serial/by-id that point to this port: stable names across renumbering.
    public var byIDLinks: [String]

    public init(name: String, description: String? = nil, transport: Transport = .unknown,
                usbVendorID: UInt16? = nil, usbProductID: UInt16? = nil, manufacturer: String? = nil,
                product: String? = nil, serialNumber: String? = nil, byIDLinks: [String] = []) {
        self.name = name
        self.description = description
        self.transport = transport
        self.usbVendorID = usbVendorID
        self.usbProductID = usbProductID
        self.manufacturer = manufacturer
        self.product = product
        self.serialNumber = serialNumber
        self.byIDLinks = byIDLinks
    }

    /// "0403:6001" for USB adapters.
    /// snake_case in JSON, like every other `--json` of tianyan.
    enum CodingKeys: String, CodingKey {
        case name, description, transport, manufacturer, product
        case usbVendorID = "usb_vendor_id", usbProductID = "usb_product_id", serialNumber = "serial_number", byIDLinks = "by_id_links"
    }

    public var usbID: String? {
        guard let v = usbVendorID, let p = usbProductID else { return nil }
        return String(format: "%04x:%04x", v, p)
    }
}

/// Lists serial ports through `sp_list_ports`, with their /dev/serial/by-id links.
public struct SerialPortEnumerator: Sendable {
    /// Where udev puts stable links; a parameter so tests can point it at a directory they made.
    public var byIDDirectory: String

    public init(byIDDirectory: String = "/dev/serial/by-id") {
        self.byIDDirectory = byIDDirectory
    }

    public func list() throws(SerialPortError) -> [SerialPortInfo] {
        var listPointer: UnsafeMutablePointer<OpaquePointer?>?
        try check(sp_list_ports(&listPointer), "cannot list serial ports", code: .enumeration)
        guard let list = listPointer else { return [] }
        defer { sp_free_port_list(list) }
        let links = byIDLinks()
        var ports: [SerialPortInfo] = []
        var i = 0
        while let port = list[i] {
            i += 1
            guard let namePointer = sp_get_port_name(port) else { continue }
            let name = String(cString: namePointer)
            var info = SerialPortInfo(name: name, description: sp_get_port_description(port).map { String(cString: $0) })
            switch sp_get_port_transport(port) {
            case SP_TRANSPORT_NATIVE: info.transport = .native
            case SP_TRANSPORT_USB: info.transport = .usb
            case SP_TRANSPORT_BLUETOOTH: info.transport = .bluetooth
            default: info.transport = .unknown
            }
            if info.transport == .usb {
                var vid: Int32 = 0, pid: Int32 = 0
                if sp_get_port_usb_vid_pid(port, &vid, &pid) == SP_OK {
                    info.usbVendorID = UInt16(truncatingIfNeeded: vid)
                    info.usbProductID = UInt16(truncatingIfNeeded: pid)
                }
                info.manufacturer = sp_get_port_usb_manufacturer(port).map { String(cString: $0) }
                info.product = sp_get_port_usb_product(port).map { String(cString: $0) }
                info.serialNumber = sp_get_port_usb_serial(port).map { String(cString: $0) }
            }
            info.byIDLinks = links[name] ?? []
            ports.append(info)
        }
        return ports.sorted { $0.name < $1.name }
    }

    /// The port of the USB adapter with serial number `usbSerial`, wherever it is now numbered.
    public func find(usbSerial: String) throws(SerialPortError) -> SerialPortInfo? {
        try list().first { $0.serialNumber == usbSerial }
    }

    /// The links in `byIDDirectory`, keyed by the device each resolves to.
    public func byIDLinks() -> [String: [String]] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: byIDDirectory) else { return [:] }
        var map: [String: [String]] = [:]
        for entry in entries.sorted() {
            let link = (byIDDirectory as NSString).appendingPathComponent(entry)
            guard let real = realpath(link, nil) else { continue }
            map[String(cString: real), default: []].append(link)
            free(real)
        }
        return map
    }
}
