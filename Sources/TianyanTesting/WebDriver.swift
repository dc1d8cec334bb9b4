import Foundation

/// A real headless Chromium driven through chromedriver's W3C WebDriver protocol (JSON over
/// HTTP on a loopback port). Debian: `chromium` and `chromium-driver`. Enough of the protocol for
/// the console tests: navigate, find, click, type, run JavaScript, screenshots and the browser's
/// console and network logs.
public final class WebDriver: @unchecked Sendable {
    // Invariant: `session` is set once in init; the driver process lives until `quit`.
    private let driver: Process
    private let base: String
    private var session = ""

    /// Whether chromium and chromedriver are installed (the console tests say so when they are not).
    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver") && chromium != nil
    }

    static var chromium: String? {
        ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public init(width: Int = 1500, height: Int = 950) async throws {
        guard let binary = Self.chromium else { throw TestFailure("chromium is not installed (apt-get install chromium chromium-driver)") }
        let port = try Self.freeLoopbackPort()
        base = "http://127.0.0.1:\(port)"
        driver = Process()
        driver.executableURL = URL(fileURLWithPath: "/usr/bin/chromedriver")
        driver.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        let driver = driver
        try await waitUntil("chromedriver to listen on \(port)", timeout: .seconds(20), poll: .milliseconds(50)) {
            guard driver.isRunning else { throw TestFailure("chromedriver exited with status \(driver.terminationStatus)") }
            return (try? await self.raw("GET", "/status", nil)) != nil
        }
        let options: [String: Any] = [
            "binary": binary,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=\(width),\(height)",
                     "--autoplay-policy=no-user-gesture-required", "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-default-apps", "--disable-sync", "--metrics-recording-only",
                     // Nothing may leave the machine: every name but loopback fails to resolve.
                     "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"],
        ]
        let caps: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome", "goog:chromeOptions": options,
            "goog:loggingPrefs": ["browser": "ALL", "performance": "ALL"],
        ] as [String: Any]]]
        let value = try await raw("POST", "/session", caps)
        guard let object = value as? [String: Any], let id = object["sessionId"] as? String else {
            throw TestFailure("chromedriver gave no session: \(String(describing: value))")
        }
        session = id
    }

    /// A TCP port on 127.0.0.1 nobody listens on now (bound, read back, closed).
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestFailure("bind: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { if driver.isRunning { kill(driver.processIdentifier, SIGKILL) } }

    /// Ends the browser and the driver.
    public func quit() async {
        _ = try? await raw("DELETE", "/session/\(session)", nil)
        _ = try? await raw("GET", "/shutdown", nil)
        // chromedriver does not always exit on SIGTERM; the browser is gone by now.
        if driver.isRunning { kill(driver.processIdentifier, SIGKILL) }
        driver.waitUntilExit()
    }

    /// One request to chromedriver. Not URLSession: chromedriver writes headers without a space
    /// after the colon (`Content-Length:249`), which FoundationNetworking refuses ("Failed writing
    /// header"); a plain HTTP/1.1 exchange on a socket, off Swift's cooperative threads.
    @discardableResult
    private func raw(_ method: String, _ path: String, _ body: Any?) async throws -> Any? {
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        let port = Int(base.split(separator: ":").last!)!
        let (status, data) = try await withCheckedThrowingContinuation { (k: CheckedContinuation<(Int, Data), any Error>) in
            DispatchQueue.global().async {
                k.resume(with: Result { try Self.exchange(port: port, method: method, path: path, body: payload) })
            }
        }
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        guard status == 200 else {
            let error = (json?["value"] as? [String: Any]).map { "\($0["error"] ?? ""): \($0["message"] ?? "")" } ?? String(decoding: data, as: UTF8.self)
            throw TestFailure("WebDriver \(method) \(path) failed (\(status)): \(error.prefix(600))")
        }
        return json?["value"]
    }

    static func exchange(port: Int, method: String, path: String, body: Data) throws -> (Int, Data) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(errno)") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { throw TestFailure("connect to chromedriver on \(port): errno \(errno)") }
        var request = Data("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n".utf8)
        if method != "GET" { request += Data("Content-Type: application/json\r\nContent-Length: \(body.count)\r\n".utf8) }
        request += Data("\r\n".utf8) + (method != "GET" ? body : Data())
        try request.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                guard n > 0 else { throw TestFailure("send to chromedriver: errno \(errno)") }
                sent += n
            }
        }
        // Read the head, then exactly Content-Length bytes (chromedriver may keep the connection
        // open), or to the end of the stream when there is no length.
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var expected: Int?
        var split: Range<Data.Index>?
        while true {
            if split == nil, let s = response.range(of: Data("\r\n\r\n".utf8)) {
                split = s
                let head = String(decoding: response[..<s.lowerBound], as: UTF8.self).lowercased()
                if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }) {
                    expected = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
                }
            }
            if let s = split, let expected, response.distance(from: s.upperBound, to: response.endIndex) >= expected { break }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n < 0 { throw TestFailure("read from chromedriver: errno \(errno)") }
            if n == 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        guard let split else { throw TestFailure("chromedriver sent no HTTP answer") }
        let head = String(decoding: response[..<split.lowerBound], as: UTF8.self)
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        var payload = Data(response[split.upperBound...])
        if head.lowercased().contains("transfer-encoding:chunked") || head.lowercased().contains("transfer-encoding: chunked") {
            payload = dechunk(payload)
        }
        return (status, payload)
    }

    static func dechunk(_ data: Data) -> Data {
        var out = Data(), rest = data[...]
        while let line = rest.range(of: Data("\r\n".utf8)), let size = Int(String(decoding: rest[..<line.lowerBound], as: UTF8.self)
            .split(separator: ";").first?.trimmingCharacters(in: .whitespaces) ?? "", radix: 16), size > 0 {
            let start = line.upperBound
            guard rest.distance(from: start, to: rest.endIndex) >= size else { break }
            out.append(rest[start..<rest.index(start, offsetBy: size)])
            rest = rest[rest.index(start, offsetBy: size)...].dropFirst(2)
        }
        return out
    }

    @discardableResult
    func call(_ method: String, _ path: String, _ body: Any? = nil) async throws -> Any? {
        try await raw(method, "/session/\(session)" + path, body ?? (method == "POST" ? [String: Any]() : nil))
    }

    public func navigate(_ url: String) async throws { try await call("POST", "/url", ["url": url]) }

    /// Runs `script` (a function body; `arguments` are passed) and returns its JSON result.
    @discardableResult
    public func execute(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await call("POST", "/execute/sync", ["script": script, "args": arguments])
    }

    /// Runs an async script: it ends by calling `arguments[arguments.length - 1](result)`.
    public func executeAsync(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await call("POST", "/execute/async", ["script": script, "args": arguments])
    }

    /// The element id of the first match of a CSS selector, or nil.
    public func find(_ css: String) async throws -> String? {
        do {
            let v = try await call("POST", "/element", ["using": "css selector", "value": css]) as? [String: Any]
            return v?.values.first as? String
        } catch let e as TestFailure where e.description.contains("no such element") {
            return nil
        }
    }

    /// Waits for a CSS selector to match, then returns the element.
    public func waitFor(_ css: String, timeout: Duration = .seconds(10)) async throws -> String {
        var found: String?
        try await waitUntil("\(css) to appear in the console", timeout: timeout, poll: .milliseconds(50)) {
            found = try await self.find(css)
            return found != nil
        }
        return found!
    }

    /// A real click (the browser's input pipeline, as a mouse would). When the page redraws the
    /// element between finding and clicking it (a list refreshed every second), the new one is clicked.
    public func click(_ css: String, timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            let element = try await waitFor(css, timeout: timeout)
            do {
                try await call("POST", "/element/\(element)/click")
                return
            } catch let e as TestFailure where e.description.contains("stale element") && ContinuousClock.now < deadline {
                continue
            }
        }
    }

    /// Moves the mouse to a point of the window (CSS pixels from its top left), as a hand would:
    /// the page sees the pointer events (hover tooltips open).
    public func movePointer(x: Double, y: Double) async throws {
        let move: [String: Any] = ["type": "pointerMove", "duration": 0, "origin": "viewport", "x": Int(x.rounded()), "y": Int(y.rounded())]
        let mouse: [String: Any] = ["type": "pointer", "id": "mouse", "parameters": ["pointerType": "mouse"], "actions": [move]]
        try await call("POST", "/actions", ["actions": [mouse]])
    }

    /// Types into a field as a keyboard would (after clearing it).
    public func type(_ css: String, _ text: String) async throws {
        let element = try await waitFor(css)
        try await call("POST", "/element/\(element)/clear")
        try await call("POST", "/element/\(element)/value", ["text": text])
    }

    /// A PNG of the window.
    public func screenshot() async throws -> Data {
        guard let text = try await call("GET", "/screenshot") as? String, let data = Data(base64Encoded: text) else {
            throw TestFailure("no screenshot")
        }
        return data
    }

    /// Saves a screenshot as a test artefact (`.build/test-artefacts/console/NAME.png`) and returns its path.
    @discardableResult
    public func saveScreenshot(_ name: String) async throws -> String {
        let dir = packageRoot() + "/.build/test-artefacts/console"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/\(name).png"
        try await screenshot().write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Log entries since the last call: `browser` (console messages) or `performance` (DevTools events).
    public func logs(_ type: String) async throws -> [[String: Any]] {
        (try await call("POST", "/se/log", ["type": type]) as? [[String: Any]]) ?? []
    }

    /// Every URL the page asked the network for since the last call (DevTools Network events),
    /// WebSockets included.
    public func requestedURLs() async throws -> [String] {
        var urls: [String] = []
        for entry in try await logs("performance") {
            guard let text = entry["message"] as? String, let data = text.data(using: .utf8),
                  let message = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["message"] as? [String: Any],
                  let method = message["method"] as? String, let params = message["params"] as? [String: Any]
            else { continue }
            if method == "Network.requestWillBeSent", let request = params["request"] as? [String: Any], let url = request["url"] as? String {
                urls.append(url)
            } else if method == "Network.webSocketCreated", let url = params["url"] as? String {
                urls.append(url)
            }
        }
        return urls
    }
}
