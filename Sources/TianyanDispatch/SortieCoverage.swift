import CoveragePlanner
import TianyanModel

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
