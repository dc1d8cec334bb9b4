import Logging
import MosquittoClient
import ServiceLifecycle

/// The demo's broker as a service: a `LocalBroker` that lives as long as the service runs.
public final class PrivateBroker: Service, Sendable {
    public let broker: LocalBroker
    private let logger: Logger

    public var url: String { broker.url }
    public var port: Int { broker.port }

    /// Starts mosquitto and returns once it accepts connections.
    public init(logger: Logger) throws {
        broker = try LocalBroker()
        self.logger = logger
        logger.info("private mosquitto broker started", metadata: ["mqtt.url": "\(broker.url)"])
    }

    public func run() async throws {
        try? await gracefulShutdown()
        broker.shutdown()
        logger.info("private mosquitto broker stopped")
    }
}
