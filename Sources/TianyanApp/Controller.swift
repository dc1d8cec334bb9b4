import RecordWriter
import DockLink
import Foundation
import HyteraLink
import JT808Link
import Logging
import RadioLink
import SerialPorts
import ServiceLifecycle
import TianyanDJI
import TianyanDispatch
import TianyanHytera
import TianyanJT808
import TianyanModel
import TianyanServer
import TianyanSQLite
import TianyanTetra
import UnixSignals

/// The composition root: builds every service from the configuration and runs them in one
/// ServiceGroup that shuts down gracefully on SIGTERM and SIGINT, flushing the writer last.
public struct Controller: Sendable {
    public let configuration: TianyanConfiguration
    public let logger: Logger

    public init(configuration: TianyanConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    public func openDatabase() throws -> TianyanDatabase {
        try TianyanDatabase(location: configuration.database)
    }

    public func loadDockProfiles() throws -> DockProfiles {
        let directory = Controller.profilesDirectory(configuration.profilesDirectory)
        do {
            return try DockProfiles.load(directory: directory)
        } catch let error as ProfileErrors {
            throw ControllerError(message: "firmware profiles in \(directory) are not usable (set profiles_dir):\n\(error)")
        }
    }

    /// The profiles directory: as configured when it exists; for the default relative path, also
    /// the checkout the executable was built in (so `tianyan` works from any directory).
    public static func profilesDirectory(_ configured: String) -> String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: configured, isDirectory: &isDir), isDir.boolValue { return configured }
        guard !configured.hasPrefix("/") else { return configured }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent(configured).path
            if FileManager.default.fileExists(atPath: candidate + "/docks") { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return configured
    }

    /// What a banner (or the HTTP server) needs from the running controller.
    public struct Parts: Sendable {
        public var store: any FleetStorage
        public var docks: DockService
        public var radios: RadioNetwork
        /// The one writer of the store: every write goes through it (records, audit lines,
        /// maintenance actions); also its queue depth and counters (metrics). A writer whose
        /// `run()` is not running (tests, tools) commits when a caller waits.
        public var writer: any RecordWriting
        public var users: UserDirectory
        /// Where the store is (the database file, or the URL without its password), for banners.
        public var storeLocation: String
        /// The SQLite database, when the store is one (tests reach into the file).
        public var database: TianyanDatabase?
        /// The scheduler service: sorties, route files, coverage.
        public var sorties: SortieService?
        /// The settings the API reads (online window, maintenance rules).
        public var configuration = TianyanConfiguration()
        /// The live feed's fan-out (every record the producers store, for the WebSocket clients).
        public var live: LiveFeed?
        /// Dispatch tasks: creation, dispatch, statuses, SLA watch.
        public var tasks: TaskService?

        /// What the front ends see: the services over the ports, and their settings.
        public var services: DispatchServices {
            let writer = self.writer
            return DispatchServices(store: store, sink: writer, writerHealth: { writer.health }, writerMetrics: { writer.metrics },
                                    docks: docks, radios: radios, users: users, sorties: sorties, live: live,
                                    tasks: tasks, configuration: .init(configuration))
        }

        public init(backend: StoreBackend, writer: (any RecordWriting)? = nil, docks: DockService, radios: RadioNetwork,
                    sorties: SortieService? = nil, live: LiveFeed? = nil) {
            store = backend.store
            self.writer = writer ?? backend.writer
            users = backend.users
            storeLocation = backend.location
            database = backend.sqlite
            self.docks = docks
            self.radios = radios
            self.sorties = sorties
            self.live = live
        }

        /// Over a SQLite database (tests and tools that build the parts themselves).
        public init(database: TianyanDatabase, store: FleetStore, docks: DockService, radios: RadioNetwork, writer: any RecordWriting,
                    sorties: SortieService? = nil, live: LiveFeed? = nil) {
            self.store = store
            self.writer = writer
            users = UserDirectory(database: database)
            storeLocation = database.path
            self.database = database
            self.docks = docks
            self.radios = radios
            self.sorties = sorties
            self.live = live
        }
    }

    /// The radio gateways of the configuration, each speaking its profile (`profile=` in the URL,
    /// else `generic-pei`): engine settings, status meanings, group paging, and the line settings
    /// the URL does not give.
    public func makeRadioNetwork(registry: FleetRegistry, sink: any RecordSink,
                                 observer: (@Sendable ([StoreRecord]) -> Void)? = nil) throws -> RadioNetwork {
        RadioNetwork(gateways: try makeGateways(registry: registry, sink: sink, observer: observer), directory: RadioDirectory(registry: registry),
                     sink: sink)
    }

    /// The configured gateways, each built by the adapter of its profile's protocol: TETRA PEI
    /// (TianyanTetra) or Hytera HRNP (TianyanHytera).
    public func makeGateways(registry: FleetRegistry, sink: any RecordSink,
                             observer: (@Sendable ([StoreRecord]) -> Void)? = nil) throws -> [any RadioGateway & Service] {
        let directory = RadioDirectory(registry: registry)
        var profiles: [String: RadioProfile] = [:]
        let profileDirectory = Controller.profilesDirectory(configuration.profilesDirectory) + "/radios"
        if !configuration.gateways.isEmpty {
            do { profiles = try RadioProfiles.load(directory: profileDirectory) } catch {
                throw ControllerError(message: "radio profiles in \(profileDirectory) are not usable (set profiles_dir):\n\(error)")
            }
        }
        return try configuration.gateways.map { g -> any RadioGateway & Service in
            let name = g.url.profile ?? RadioProfiles.defaultProfileName
            guard let profile = profiles[name] else {
                throw ControllerError(message: "gateway \(g.name): no radio profile \"\(name)\" in \(profileDirectory); known: \(profiles.keys.sorted().joined(separator: ", "))")
            }
            let line = profile.serial
            let url = g.url.withDefaults(SerialSettings(
                baudRate: line.baudRate, dataBits: line.dataBits, parity: SerialSettings.Parity(rawValue: line.parity.rawValue) ?? .none,
                stopBits: line.stopBits, flowControl: SerialSettings.FlowControl(rawValue: line.flowControl.rawValue) ?? .none))
            if let ip = profile.ip, profile.protocolName == "jt808" {
                guard case .listen(_, let host, let port) = url.endpoint else {
                    throw ControllerError(message: "gateway \(g.name): a JT/T 808 platform listens for terminals; write jt808://0.0.0.0:7611?profile=\(name)")
                }
                // The authentication codes are derived from a secret of this run: after a restart the
                // terminals' codes no longer match and they register again, as JT/T 808 terminals do.
                let connection = JT808Connection.Configuration(gateway: g.name, secret: UUID().uuidString, requireAuthentication: ip.requireAuthentication,
                                                               idleSeconds: ip.keepAliveSeconds, packageSeconds: ip.retransmitSeconds,
                                                               pageAnswerSeconds: ip.pageAnswerSeconds)
                return JT808GatewayService(
                    settings: .init(name: g.name, host: host, port: Int(port), profileName: name, connection: connection,
                                    maxConnections: ip.maxConnections, pendingPageSeconds: ip.pendingPageSeconds),
                    sink: sink, directory: directory, logger: logger, observer: observer)
            }
            if let ip = profile.ip, profile.protocolName == "hytera-hstrp" {
                guard case .udp(_, let base, _) = url.endpoint else {
                    throw ControllerError(message: "gateway \(g.name): a repeater feed (profile \(name)) listens on UDP; write udp://0.0.0.0:30001?profile=\(name)")
                }
                let application = HyteraApplication.Configuration(
                    gateway: g.name, subnet: ip.radioSubnet, registrationRenewSeconds: UInt32(ip.registrationRenewSeconds),
                    pageAnswerSeconds: ip.pageAnswerSeconds, callOrphanSeconds: profile.callOrphanTimeout)
                var channels: [UInt16: HSTRPSession<UDPListener.Peer>.Channel] = [:]
                for (service, offsets) in ip.portOffsets {
                    guard let s = HSTRPSession<UDPListener.Peer>.Service(rawValue: service) else { continue }
                    for (i, offset) in offsets.enumerated() {
                        guard Int(base) + offset <= Int(UInt16.max) else {
                            throw ControllerError(message: "gateway \(g.name): port \(base) + offset \(offset) is past 65535; lower the URL's port")
                        }
                        channels[base + UInt16(offset)] = .init(s, slot: UInt8(i + 1))
                    }
                }
                let session = HSTRPSession<UDPListener.Peer>.Configuration(application: application, retransmitSeconds: ip.retransmitSeconds,
                                                                           attempts: ip.attempts, silenceSeconds: ip.keepAliveSeconds)
                return HyteraGatewayService(
                    settings: .init(name: g.name, url: url, profileName: name, groupPaging: profile.groupPagingAllowed,
                                    repeater: (session, channels)),
                    sink: sink, directory: directory, logger: logger, observer: observer)
            }
            if let ip = profile.ip, profile.protocolName == "hytera-hrnp" {
                let application = HyteraApplication.Configuration(
                    gateway: g.name, subnet: ip.radioSubnet, registrationRenewSeconds: UInt32(ip.registrationRenewSeconds),
                    pageAnswerSeconds: ip.pageAnswerSeconds, callOrphanSeconds: profile.callOrphanTimeout)
                let session = HRNPSession.Configuration(application: application, retransmitSeconds: ip.retransmitSeconds, attempts: ip.attempts,
                                                        connectRetrySeconds: ip.connectRetrySeconds, keepAliveSeconds: ip.keepAliveSeconds)
                return HyteraGatewayService(
                    settings: .init(name: g.name, url: url, profileName: name, session: session, groupPaging: profile.groupPagingAllowed),
                    sink: sink, directory: directory, logger: logger, observer: observer)
            }
            return RadioGatewayService(
                settings: .init(name: g.name, url: url, profileName: name, engine: profile.engineConfiguration(gateway: g.name),
                                statuses: profile.statuses, groupPaging: profile.groupPagingAllowed,
                                statusCallouts: profile.statusCalloutsAllowed),
                sink: sink, directory: directory, logger: logger, observer: observer)
        }
    }

    /// Pages left unfinished by an earlier run: those the radio had not confirmed sending end as
    /// failed (they are not resent: nobody can tell whether they went out); sent ones stay sent.
    static func closeOrphanedPages(store: any FleetStorage, sink: any RecordSink) async throws -> Int {
        let now = Timestamp.now()
        let orphans = try await store.pages(limit: 10_000).filter { $0.state == .queued || $0.state == .accepted }
        sink.submit(orphans.map { page in
            var page = page
            page.state = .failed
            page.history.append(PageStep(state: .failed, time: now,
                                         detail: "the controller restarted before the radio confirmed sending; outcome unknown, not resent"))
            return .page(page)
        })
        return orphans.count
    }

    /// Runs until SIGTERM/SIGINT. `banner` is printed once everything is started. `http`: serve
    /// the HTTP server (API, live feed, console) on `configuration.http`.
    public func run(extraServices: [any Service] = [], http: Bool = true,
                    banner: @Sendable (Parts) async throws -> String) async throws {
        let profiles = try loadDockProfiles()
        let backend = try await openBackend()
        defer { backend.close() }
        let store = backend.store
        let writer = backend.writer
        let retention = backend.retention
        // Every producer writes through the tee: the writer stores, the live feed fans out.
        let live = LiveFeed(logger: logger)
        let sink = RecordTee(writer: writer, feed: live)
        let registry = try await store.registry()
        let docks = try DockService(settings: .init(configuration), profiles: profiles, registry: registry,
                                    openAlarms: try await store.alarms(kind: "hms", open: true, limit: 100_000),
                                    sink: sink, logger: logger)
        // The gateways hand statuses and page updates to the task service as well as to the sink.
        let taskInbox = TaskInbox()
        let gateways = try makeGateways(registry: registry, sink: sink, observer: taskInbox.observe)
        let radios = RadioNetwork(gateways: gateways, directory: RadioDirectory(registry: registry), sink: sink)
        let tasks = TaskService(settings: .init(configuration: configuration), store: store, sink: sink, radios: radios, inbox: taskInbox,
                                logger: logger)
        let orphans = try await Controller.closeOrphanedPages(store: store, sink: sink)
        if orphans > 0 { logger.warning("pages left unconfirmed by the last run marked failed", metadata: ["pages": "\(orphans)"]) }
        let sorties = SortieService(settings: .init(configuration: configuration), store: store, sink: sink, docks: docks,
                                    rules: configuration.maintenance, logger: logger)
        var parts = Parts(backend: backend, docks: docks, radios: radios, sorties: sorties, live: live)
        parts.configuration = configuration
        parts.tasks = tasks
        let server: (any Service)? = http ? try APIServer.make(address: configuration.http, parts: parts.services, logger: logger) : nil
        // The writer is listed first so that it is shut down last: everything upstream of it
        // stops handing it records before it drains (the live feed next: it closes its clients
        // once the server and the producers have stopped). Extra services (the demo's broker and
        // simulators) come before the links so that they stop after them.
        let group = ServiceGroup(configuration: .init(
            // An extra service that ends by itself (the demo's --run-for) shuts the whole group down gracefully.
            services: [.init(service: writer), .init(service: live), .init(service: retention)]
                + extraServices.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }
                + [.init(service: docks), .init(service: sorties), .init(service: tasks)]
                + gateways.map { .init(service: $0) }
                + (server.map { [.init(service: $0)] } ?? [])
                // Printed from inside the group: its signal handlers are in place by then, so a
                // SIGINT right after "ready" shuts down gracefully instead of killing the process.
                + [.init(service: BannerService(text: try await banner(parts)))],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        try await group.run()
        let s = writer.statistics
        logger.info("controller stopped; writer flushed", metadata: [
            "store.committed": "\(s.committed)", "store.pending": "\(s.pending)", "store.transactions": "\(s.transactions)",
        ])
        Console.emit("stopped: \(s.committed) records committed, \(s.pending) pending")
    }
}

/// Prints the banner once the service group runs, then waits for the shutdown.
struct BannerService: Service {
    var text: String
    func run() async throws {
        Console.emit(text)
        try? await gracefulShutdown()
    }
}

public struct ControllerError: Error, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}
