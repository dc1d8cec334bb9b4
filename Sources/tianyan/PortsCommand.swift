import ArgumentParser
import SerialPorts

struct Ports: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List serial ports: name, description, USB vendor:product, serial number, /dev/serial/by-id links.")
    @Flag(help: "JSON output.") var json = false

    func run() throws {
        let ports: [SerialPortInfo]
        do {
            ports = try SerialPortEnumerator().list()
        } catch {
            throw ValidationError(error.message)
        }
        print(json ? SerialPortListing.json(ports) : SerialPortListing.text(ports), terminator: "")
    }
}
