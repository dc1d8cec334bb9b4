import Foundation

/// How `tianyan ports` shows serial ports: one block per port as text, or a JSON array.
public enum SerialPortListing {
    public static func text(_ ports: [SerialPortInfo]) -> String {
        guard !ports.isEmpty else { return "no serial ports found\n" }
        var out = ""
        for p in ports {
            var head = p.name
            if let d = p.description, !d.isEmpty { head += "  \(d)" }
            out += head + "\n"
            out += "  transport: \(p.transport.rawValue)\n"
            if let id = p.usbID { out += "  usb: \(id)\n" }
            if let m = p.manufacturer { out += "  manufacturer: \(m)\n" }
            if let pr = p.product { out += "  product: \(pr)\n" }
            if let s = p.serialNumber { out += "  serial number: \(s)\n" }
            for link in p.byIDLinks { out += "  by-id: \(link)\n" }
        }
        return out
    }

    public static func json(_ ports: [SerialPortInfo]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(ports)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
