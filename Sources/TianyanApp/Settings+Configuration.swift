import CoveragePlanner
import DockLink
import Logging
import TianyanDJI
import TianyanDispatch
import TianyanModel

// Each module's settings, from the one configuration. Only the composition root knows both.

extension SortieService.Settings {
    public init(configuration c: TianyanConfiguration) {
        self.init(routeFilesURL: c.routeFilesURL)
        routeFilesURLIsFixed = !c.httpPublicURL.isEmpty
        planDays = c.plannerDays
        autoPlan = c.plannerAuto
        borrowing = c.plannerBorrowing
        flyingHours = FlyingHours(startHour: c.plannerFlyingHours.start, endHour: c.plannerFlyingHours.end)
        coverageThreshold = c.plannerCoverageThreshold
        forecastFile = c.plannerForecastFile.isEmpty ? nil : c.plannerForecastFile
    }
}

extension TaskService.Settings {
    public init(configuration c: TianyanConfiguration) {
        self.init()
        rules = TaskRules(contactSeconds: Double(c.taskContactMinutes) * 60, onSiteSeconds: Double(c.taskOnSiteMinutes) * 60)
        roadSpeedKmh = c.taskRoadSpeedKmh
        droneSpeedMetresPerSecond = c.taskDroneSpeedMetresPerSecond
        positionMaxAgeSeconds = Double(c.taskPositionMaxAgeMinutes) * 60
    }
}

extension DockService.Settings {
    public init(_ c: TianyanConfiguration) {
        self.init(broker: c.mqtt, clientID: c.dockClientID, caFile: c.dockCAFile.isEmpty ? nil : c.dockCAFile,
                  journalDirectory: c.journalDirectory, journalSegmentBytes: c.dockJournalSegmentMiB << 20, onlineSeconds: c.onlineSeconds,
                  maxPayloadBytes: c.dockMaxPayloadBytes, ntpServer: c.dockNTPServer)
    }
}

extension DockService {
    /// The DJI dock adapter as the configuration says.
    public convenience init(configuration: TianyanConfiguration, profiles: DockProfiles, registry: FleetRegistry, openAlarms: [Alarm],
                            sink: any RecordSink, logger: Logger, commandPath: CommandPath? = nil) throws {
        try self.init(settings: .init(configuration), profiles: profiles, registry: registry, openAlarms: openAlarms, sink: sink,
                      logger: logger, commandPath: commandPath)
    }
}

extension DispatchServices.Configuration {
    public init(_ c: TianyanConfiguration) {
        self.init()
        onlineSeconds = c.onlineSeconds
        sessionSeconds = c.sessionSeconds
        maintenance = c.maintenance
        corsOrigins = c.corsOrigins
        httpAllowedHosts = c.httpAllowedHosts
        httpPublicURL = c.httpPublicURL
        httpIdleTimeoutSeconds = c.httpIdleTimeoutSeconds
        httpHeaderTimeoutSeconds = c.httpHeaderTimeoutSeconds
        consoleTileURL = c.consoleTileURL
        consoleTileDatum = c.consoleTileDatum
        consoleTileAttribution = c.consoleTileAttribution
        consoleLeafletDirectory = c.consoleLeafletDirectory
        taskContactMinutes = c.taskContactMinutes
        taskOnSiteMinutes = c.taskOnSiteMinutes
    }
}
