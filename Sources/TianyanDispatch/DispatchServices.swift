import TianyanModel

/// Everything the front ends (the HTTP server, the console) reach: the dispatch services over the
/// ports, and the settings they read. Built by the composition root; holds no adapter type.
public struct DispatchServices: Sendable {
    /// What the front ends read of the configuration (the same names as the config keys' fields).
    public struct Configuration: Sendable {
        public var onlineSeconds = 60
        public var sessionSeconds = 12 * 3600
        public var maintenance = MaintenanceRules()
        public var corsOrigins: [String] = []
        public var httpAllowedHosts: [String] = []
        public var httpPublicURL = ""
        public var httpIdleTimeoutSeconds = 60
        public var httpHeaderTimeoutSeconds = 10
        public var consoleTileURL = ""
        public var consoleTileDatum = "wgs84"
        public var consoleTileAttribution = ""
        public var consoleLeafletDirectory = "/usr/share/javascript/leaflet"
        public var taskContactMinutes = 30
        public var taskOnSiteMinutes = 60

        public init() {}
    }

    /// The store's read side.
    public var store: any FleetStorage
    /// Where audit lines and other records go (the store's writer).
    public var sink: any RecordSink
    /// The writer's own state (queue, failing commits): `/healthz`'s `store` and `tianyan_store_*`.
    public var writerHealth: @Sendable () -> ComponentHealth
    public var writerMetrics: @Sendable () -> [Metric]
    public var docks: any DockFleet
    public var radios: RadioNetwork
    public var users: UserDirectory
    public var sorties: SortieService?
    public var live: LiveFeed?
    public var tasks: TaskService?
    public var configuration: Configuration

    public init(store: any FleetStorage, sink: any RecordSink, writerHealth: @escaping @Sendable () -> ComponentHealth = { ComponentHealth() },
                writerMetrics: @escaping @Sendable () -> [Metric] = { [] }, docks: any DockFleet, radios: RadioNetwork, users: UserDirectory,
                sorties: SortieService? = nil, live: LiveFeed? = nil, tasks: TaskService? = nil, configuration: Configuration = Configuration()) {
        self.store = store
        self.sink = sink
        self.writerHealth = writerHealth
        self.writerMetrics = writerMetrics
        self.docks = docks
        self.radios = radios
        self.users = users
        self.sorties = sorties
        self.live = live
        self.tasks = tasks
        self.configuration = configuration
    }
}
