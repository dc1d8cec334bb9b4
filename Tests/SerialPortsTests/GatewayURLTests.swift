import SerialPorts
import Testing

@Suite struct GatewayURLTests {
    @Test func serialWithEverySetting() throws {
        let url = try GatewayURL(parsing: "serial:///dev/ttyUSB0?baud=38400&bits=7&parity=even&stop=2&flow=rtscts&profile=sepura")
        #expect(url.endpoint == .serial(path: "/dev/ttyUSB0", settings: SerialSettings(baudRate: 38400, dataBits: 7, parity: .even, stopBits: 2, flowControl: .rtscts)))
        #expect(url.profile == "sepura")
        #expect(try GatewayURL(parsing: url.description) == url)
    }

    @Test func serialDefaultsAre38400EightNOneWithoutFlowControl() throws {
        let url = try GatewayURL(parsing: "serial:///dev/serial/by-id/usb-FTDI_FT232R-if00-port0")
        #expect(url.endpoint == .serial(path: "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0", settings: SerialSettings()))
        #expect(SerialSettings() == SerialSettings(baudRate: 38400, dataBits: 8, parity: .none, stopBits: 1, flowControl: .none))
        #expect(url.profile == nil)
    }

    @Test func jt808ListensAndDefaultsItsProfile() throws {
        let u = try GatewayURL(parsing: "jt808://0.0.0.0:7611")
        #expect(u.endpoint == .listen(scheme: "jt808", host: "0.0.0.0", port: 7611) && u.profile == "jt808")
        #expect(u.description == "jt808://0.0.0.0:7611?profile=jt808")
        #expect(try GatewayURL(parsing: "jt808://127.0.0.1:0?profile=poc").endpoint == .listen(scheme: "jt808", host: "127.0.0.1", port: 0))
        #expect(throws: SerialPortError.self) { try GatewayURL(parsing: "jt808://0.0.0.0:7611?baud=9600") }
    }

    @Test func tcpHostPortAndProfile() throws {
        #expect(try GatewayURL(parsing: "tcp://10.0.0.5:4001?profile=mtm5400").endpoint == .tcp(host: "10.0.0.5", port: 4001))
        #expect(try GatewayURL(parsing: "tcp://10.0.0.5:4001?profile=mtm5400").profile == "mtm5400")
        #expect(try GatewayURL(parsing: "tcp://[::1]:7000").endpoint == .tcp(host: "::1", port: 7000))
        #expect(try GatewayURL(parsing: "tcp://gw.local:7000/").endpoint == .tcp(host: "gw.local", port: 7000))
    }

    @Test(arguments: [
        ("serial:///dev/ttyUSB0?baud=12345", "baud=12345"),
        ("serial:///dev/ttyUSB0?baud=fast", "baud=fast"),
        ("serial:///dev/ttyUSB0?bits=9", "bits=9"),
        ("serial:///dev/ttyUSB0?parity=mark", "parity=mark"),
        ("serial:///dev/ttyUSB0?stop=3", "stop=3"),
        ("serial:///dev/ttyUSB0?flow=xonxoff", "flow=xonxoff"),
        ("serial:///dev/ttyUSB0?speed=9600", "unknown setting 'speed'"),
        ("serial:///dev/ttyUSB0?baud=9600&baud=38400", "'baud' is given twice"),
        ("serial:///dev/ttyUSB0?baud", "'baud' is not name=value"),
        ("serial://dev/ttyUSB0", "must be absolute"),
        ("serial:///dev/ttyUSB0?profile=", "profile= is empty"),
        ("tcp://host", "no port"),
        ("tcp://host:0", "port 0"),
        ("tcp://host:70000", "port 70000"),
        ("tcp://:4001", "no host"),
        ("tcp://host:4001?baud=9600", "unknown setting 'baud'"),
        ("ftp://host:4001", "scheme 'ftp' is not serial, tcp, udp or jt808"),
        ("/dev/ttyUSB0", "no scheme"),
    ])
    func rejectsNamingTheBadPart(text: String, expected: String) {
        do {
            let url = try GatewayURL(parsing: text)
            Issue.record("\(text) parsed as \(url)")
        } catch {
            #expect(error.code == .invalidURL)
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(error.message.contains(text), "the message names the URL: \(error.message)")
        }
    }
}
