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
    static func records(cells: [GridCell], track: [Position], camera: DockProfile.Camera, threshold: Double, sortie: String,
                        at time: Timestamp) -> [CellCoverageRecord] {
        []
    }
}
