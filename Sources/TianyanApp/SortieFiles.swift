import CoveragePlanner
import DockLink
import TianyanModel

extension SortieService {
    /// The sortie's route as a DJI WPML route file (KMZ) and its MD5 fingerprint. The dock takes
    /// off and lands by itself: the wayline is what lies between (transit turns and the lanes,
    /// photos every trigger distance along each lane), then home.
    func routeFile(for s: SortieRecord, droneModel: String) throws -> (bytes: [UInt8], md5: String) {
        let r = s.route
        let points = r.points.filter { $0.kind != .dock }
        guard !points.isEmpty else { throw Failure(.invalid, "sortie \(s.id) has no waypoints") }
        let transit = min(15, r.transitSpeedMetresPerSecond), survey = min(15, r.surveySpeedMetresPerSecond)
        let waypoints = points.map { p -> WaylineMission.Waypoint in
            switch p.kind {
            case .laneStart:
                WaylineMission.Waypoint(coordinate: p.coordinate, height: p.altitudeMetres, speed: survey,
                                        action: .startIntervalPhotos(everyMetres: r.photoTriggerDistanceMetres))
            case .laneEnd:
                WaylineMission.Waypoint(coordinate: p.coordinate, height: p.altitudeMetres, speed: transit,
                                        action: .stopIntervalPhotos)
            case .transit, .dock:
                WaylineMission.Waypoint(coordinate: p.coordinate, height: p.altitudeMetres, speed: transit)
            }
        }
        let height = points.map(\.altitudeMetres).max() ?? 100
        let mission = WaylineMission(takeOffSecurityHeight: max(2, min(height, 100)), globalSpeed: transit,
                                     returnHomeHeight: min(1_500, max(20, height + 20)), finishAction: .goHome, linkLostAction: .goBack,
                                     aircraft: WaylineMission.Aircraft(model: droneModel) ?? .matrice3D, waypoints: waypoints)
        let file = try WaylineFile.kmz(for: mission)
        return (file.bytes, file.md5Hex)
    }
}

enum SortieCoverage {
    /// What a finished sortie imaged of its cells, from the drone's own track (heights relative
    /// to the dock it took off from) and the camera footprint: a record per cell, `lastCovered`
    /// set only where the imaged share reached the threshold.
    static func records(cells: [GridCell], track: [Position], camera: DockProfile.Camera, takeOffAltitude: Double, threshold: Double,
                        sortie: String, at time: Timestamp) throws -> [CellCoverageRecord] {
        var configuration = CoverageAccounting.Configuration()
        configuration.coveredShare = threshold
        let accounting = try CoverageAccounting(camera: camera, configuration: configuration)
        let samples = track.map { TrackSample($0, takeOffAltitudeMetres: takeOffAltitude) }
        let results = Dictionary(try accounting.account(cells: cells, track: samples).map { ($0.cell, $0) }, uniquingKeysWith: { a, _ in a })
        return cells.map { cell in
            let r = results[cell.id]
            return CellCoverageRecord(cell: cell.id, lastCovered: r.flatMap { $0.covered ? ($0.completed ?? $0.lastImaged) : nil },
                                      lastFraction: r?.imagedFraction ?? 0, lastSortie: sortie, lastFlown: time)
        }
    }
}
