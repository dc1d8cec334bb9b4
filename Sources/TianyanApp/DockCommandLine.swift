import DockLink
import Foundation
import Logging
import MosquittoClient
import TianyanModel
import TianyanDJI
import TianyanSQLite

/// `tianyan dock command`: connects to the broker as a one-shot client, sends one service to a
/// dock, waits for its reply under the profile's timeout, and records and audits it.
public enum DockCommandLine {
    public static func send(configuration: TianyanConfiguration, serial: String, method: DockCommand.Method, data: JSONValue,
                            requestedBy: String, logger: Logger) async throws -> DockCommandResult {
        let controller = Controller(configuration: configuration, logger: logger)
        let profiles = try controller.loadDockProfiles()
        let access = try await controller.openStore()
        let registry = try await access.store.registry()
        let lookup = DockIngest(profiles: profiles, registry: registry)
        guard let gateway = lookup.gateway(for: serial) else {
            throw DockCommandError(message: "\(serial) is not a registered dock or docked aircraft; `tianyan units` lists them")
        }
        let profile = lookup.profile(forSerial: serial)
        let broker = try BrokerURL(parsing: configuration.mqtt)
        var quiet = logger
        quiet.logLevel = .warning
        let client = try MosquittoClient(configuration: .init(
            broker: broker, clientID: "tianyan-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))", cleanSession: true,
            subscriptions: [.init(DockProfile.topic(profile.topics.servicesReply, serial: gateway))],
            caFile: configuration.dockCAFile.isEmpty ? nil : configuration.dockCAFile,
            reconnectDelayMaxSeconds: 2), logger: quiet)
        // The command's one writer; without a run loop it commits when flushed, before returning.
        let writer = access.sink
        do {
            let result = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                defer { group.cancelAll() }
                let deadline = ContinuousClock.now + .seconds(10)
                // Ready = connected and the reply subscription acknowledged: a command published
                // before the SUBACK could have its reply routed to nobody.
                while !client.status.ready {
                    guard ContinuousClock.now < deadline else {
                        throw DockCommandError(message: "broker \(broker) not reachable within 10 s: \(client.status.lastError ?? "no answer")")
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
                let commander = DockCommander(publish: { message in
                    try await client.publish(message.topic, payload: message.payload, qos: .atLeastOnce, timeout: .seconds(10))
                }, sink: writer)
                group.addTask {
                    var replies = DockIngest(profiles: profiles, registry: registry)
                    for await message in client.messages {
                        if let reply = replies.ingest(topic: message.topic, payload: message.payload, receivedAt: .now()).serviceReply {
                            commander.deliver(reply)
                        }
                    }
                }
                return await commander.send(DockCommand(serial: serial, method: method, data: data, requestedBy: requestedBy),
                                            gateway: gateway, profile: profile)
            }
            try await access.flush()
            return result
        } catch {
            try? await access.flush()
            throw error
        }
    }
}
