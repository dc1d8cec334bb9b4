import DockLink
import TianyanModel

extension SortieService {
    /// The sortie's route as a DJI WPML route file (KMZ) and its MD5 fingerprint.
    func routeFile(for s: SortieRecord) throws -> (bytes: [UInt8], md5: String) {
        throw Failure(.invalid, "TEMP")
    }
}

enum SortieCoverage {
    static func records(cells: [GridCell], track: [Position], camera: DockProfile.Camera, threshold: Double, sortie: String,
                        at time: Timestamp) -> [CellCoverage] {
        []
    }
}
