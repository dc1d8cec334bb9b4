import DockLink
import TianyanModel

public enum SortieFiles {
    /// A flight's route as a DJI WPML route file (KMZ) and its MD5 fingerprint. The dock takes
    /// off and lands by itself: the wayline is what lies between (transit turns and the lanes,
    /// photos every trigger distance along each lane), then home.
    public static func routeFile(for flight: FlightPreparation) throws(DispatchError) -> (bytes: [UInt8], md5: String) {
        let r = flight.route
        let droneModel = flight.droneModel
        let points = r.points.filter { $0.kind != .dock }
        guard !points.isEmpty else { throw .invalid("sortie \(flight.flightID) has no waypoints") }
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
        do {
            let file = try WaylineFile.kmz(for: mission)
            return (file.bytes, file.md5Hex)
        } catch {
            throw .invalid("\(error)")
        }
    }
}

