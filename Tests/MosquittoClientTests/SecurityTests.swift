import Foundation
import MosquittoClient
import Testing
import TianyanTesting

/// TLS (mqtts://) and username/password against a real mosquitto.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SecurityTests {
    func sh(_ command: String, in dir: String) async throws {
        let p = try ChildProcess("/bin/sh", ["-c", command], directory: dir)
        let r = try await p.wait(timeout: .seconds(60))
        #expect(r.status == 0, "\(command): \(r.stderr)")
    }

    /// A CA and a server certificate for 127.0.0.1, made with the openssl command.
    func certificates(in dir: String) async throws {
        try await sh("""
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=tianyan-test-ca 2>/dev/null &&
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null &&
            printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext &&
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext 2>/dev/null &&
            openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other-ca.pem -days 2 -subj /CN=someone-else 2>/dev/null &&
            chmod 644 *.key *.pem
            """, in: dir)
    }

    @Test func mqttsWithTheRightCAConnectsAndAStrangerIsRefused() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        try await certificates(in: dir.path)
        let tlsPort = try FreePort.loopback()
        let broker = try LocalBroker(options: .init(extraConfiguration: """
            listener \(tlsPort) 127.0.0.1
            cafile \(dir.file("ca.pem"))
            certfile \(dir.file("server.pem"))
            keyfile \(dir.file("server.key"))
            """))
        defer { broker.shutdown() }
        try await waitUntil("the TLS listener") { FreePort.accepts(port: tlsPort) }
        let url = try BrokerURL(parsing: "mqtts://127.0.0.1:\(tlsPort)")
        #expect(url.tls)
        let good = try MosquittoClient(configuration: .init(broker: url, clientID: "tls-good", subscriptions: [.init("secure/#")],
                                                            caFile: dir.file("ca.pem"), reconnectDelayMaxSeconds: 1))
        let goodTask = Task { try await good.run() }
        defer { goodTask.cancel() }
        try await waitUntil("a TLS connection") { good.status.connected }
        try await good.publish("secure/x", payload: Array("over tls".utf8), qos: .atLeastOnce, timeout: .seconds(5))
        var got: [String] = []
        for await m in good.messages {
            got.append(String(decoding: m.payload, as: UTF8.self))
            break
        }
        #expect(got == ["over tls"])

        let stranger = try MosquittoClient(configuration: .init(broker: url, clientID: "tls-bad", caFile: dir.file("other-ca.pem"),
                                                                reconnectDelayMaxSeconds: 1))
        let badTask = Task { try await stranger.run() }
        defer { badTask.cancel() }
        try await waitUntil("the wrong CA to be reported") { stranger.status.lastError != nil }
        try await Task.sleep(for: .milliseconds(500))
        #expect(!stranger.status.connected, "a server certificate from another CA must not be accepted")
    }

    @Test func usernameAndPasswordAreRequiredAndAWrongOneIsReported() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
        try await sh("mosquitto_passwd -b -c passwords dispatcher 's3cret:pw' && chmod 644 passwords", in: dir.path)
        let broker = try LocalBroker(options: .init(allowAnonymous: false, extraConfiguration: "password_file \(dir.file("passwords"))"))
        defer { broker.shutdown() }
        let right = try MosquittoClient(configuration: .init(
            broker: try BrokerURL(parsing: "mqtt://dispatcher:s3cret%3Apw@127.0.0.1:\(broker.port)"), clientID: "pw-good"))
        let t1 = Task { try await right.run() }
        defer { t1.cancel() }
        try await waitUntil("connected with the password") { right.status.connected }
        let wrong = try MosquittoClient(configuration: .init(
            broker: try BrokerURL(parsing: "mqtt://dispatcher:guess@127.0.0.1:\(broker.port)"), clientID: "pw-bad",
            reconnectDelayMaxSeconds: 1))
        let t2 = Task { try await wrong.run() }
        defer { t2.cancel() }
        try await waitUntil("the refusal to be reported") { wrong.status.lastError?.contains("refused") == true }
        #expect(!wrong.status.connected)
    }
}
