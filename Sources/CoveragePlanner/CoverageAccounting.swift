import Foundation
import TianyanModel

/// One sample of a flown track.
public struct TrackSample: Hashable, Sendable, Codable {
    public var time: Timestamp
    public var coordinate: Coordinate
    /// Above the take-off point (the dock), metres.
    public var altitudeMetres: Double

    public init(time: Timestamp, coordinate: Coordinate, altitudeMetres: Double) {
        self.time = time
        self.coordinate = coordinate
        self.altitudeMetres = altitudeMetres
    }

    /// A stored position, its altitude (above the ellipsoid) taken relative to the take-off
    /// point's. A position without an altitude counts as on the ground.
    public init(_ position: Position, takeOffAltitudeMetres: Double) {
        self.init(time: position.time, coordinate: position.coordinate,
                  altitudeMetres: position.altitude.map { $0 - takeOffAltitudeMetres } ?? 0)
    }
}

/// How much of one cell a track imaged.
public struct CellCoverage: Hashable, Sendable, Codable {
    public var cell: String
    /// Share of the cell's area inside the swath of some counted track segment, 0...1.
    public var imagedFraction: Double
    /// `imagedFraction` reached the configured share.
    public var covered: Bool
    /// Time of the last sample that added imaged area to the cell.
    public var lastImaged: Timestamp
    /// When the cell was covered: `lastImaged` if `covered`, else nil. This is the cell's new
    /// last-covered time for the scheduler (`ScheduleInput.lastCovered`).
    public var completed: Timestamp?
    /// Spacing of the raster the cell was measured on, metres.
    public var resolutionMetres: Double

    public init(cell: String, imagedFraction: Double, covered: Bool, lastImaged: Timestamp, completed: Timestamp?, resolutionMetres: Double) {
        self.cell = cell
        self.imagedFraction = imagedFraction
        self.covered = covered
        self.lastImaged = lastImaged
        self.completed = completed
        self.resolutionMetres = resolutionMetres
    }
}

/// Marks what a flown track really imaged. Each segment between two consecutive samples sweeps a
/// swath of width `h · Sw / f` across the track (`h` each sample's altitude, so a climbing
/// segment sweeps a trapezoid), unless either sample is below the minimum imaging altitude or the
/// samples are further apart in time than the largest gap allowed (the drone may have been
/// anywhere in between). A segment with no length images nothing. Each cell is rasterised in a
/// local frame at its centroid and counted point by point; a cell is covered when the imaged
/// share reaches the configured one (95 %).
///
/// Pure and deterministic; cost grows with the raster points the swaths pass over, not with the
/// cells' raster sizes.
public struct CoverageAccounting: Sendable {
    public struct Configuration: Hashable, Sendable, Codable {
        /// Imaged share at which a cell counts as covered, 0 < share ≤ 1.
        public var coveredShare: Double
        /// Samples below this altitude above take-off image nothing (take-off, landing, the ground).
        public var minimumAltitudeMetres: Double
        /// Raster spacing, metres, for cells up to `maximumPointsPerCell` points at it.
        public var resolutionMetres: Double
        /// Larger cells are rasterised more coarsely, to at most this many points over their
        /// bounding box.
        public var maximumPointsPerCell: Int
        /// Consecutive samples further apart than this, seconds, do not make a segment.
        public var maximumGapSeconds: Double

        public init(coveredShare: Double = 0.95, minimumAltitudeMetres: Double = 20, resolutionMetres: Double = 1,
                    maximumPointsPerCell: Int = 250_000, maximumGapSeconds: Double = 10) {
            self.coveredShare = coveredShare
            self.minimumAltitudeMetres = minimumAltitudeMetres
            self.resolutionMetres = resolutionMetres
            self.maximumPointsPerCell = maximumPointsPerCell
            self.maximumGapSeconds = maximumGapSeconds
        }
    }

    public let camera: DockProfile.Camera
    public let configuration: Configuration
    /// Swath width per metre of altitude: `Sw / f`.
    let widthPerMetre: Double

    public init(camera: DockProfile.Camera, configuration: Configuration = Configuration()) throws(CoveragePlannerError) {
        let c = configuration
        guard camera.sensorWidthMillimetres > 0, camera.focalLengthMillimetres > 0 else {
            throw CoveragePlannerError(.invalidConfiguration, "camera \(camera.name) needs a positive sensor width and focal length; fix the profile's camera section")
        }
        guard c.coveredShare > 0, c.coveredShare <= 1 else {
            throw CoveragePlannerError(.invalidConfiguration, "covered share \(c.coveredShare) must be in 0 < share ≤ 1; give it as a fraction, e.g. 0.95")
        }
        guard c.resolutionMetres > 0, c.maximumPointsPerCell >= 1, c.maximumGapSeconds > 0, c.minimumAltitudeMetres >= 0 else {
            throw CoveragePlannerError(.invalidConfiguration, "resolution, points per cell and largest gap must be positive and the minimum altitude ≥ 0")
        }
        self.camera = camera
        self.configuration = c
        widthPerMetre = camera.sensorWidthMillimetres / camera.focalLengthMillimetres
    }

    /// The cells `track` imaged any of, by cell id order; cells it missed are not listed. The
    /// track is taken in time order.
    public func account(cells: [GridCell], track: [TrackSample]) throws(CoveragePlannerError) -> [CellCoverage] {
        let samples = track.enumerated().sorted { $0.element.time != $1.element.time ? $0.element.time < $1.element.time : $0.offset < $1.offset }.map(\.element)
        // Counted segments, as indices of their first sample.
        let maxGap = Int64((configuration.maximumGapSeconds * 1_000).rounded())
        let minAlt = configuration.minimumAltitudeMetres
        var segments: [Int] = []
        for i in samples.indices.dropLast() {
            let a = samples[i], b = samples[i + 1]
            let dt = b.time.milliseconds - a.time.milliseconds
            if dt > 0, dt <= maxGap, a.altitudeMetres >= minAlt, b.altitudeMetres >= minAlt, a.coordinate != b.coordinate { segments.append(i) }
        }
        var out: [CellCoverage] = []
        guard !segments.isEmpty else { return out }
        // Each segment's bounding box with its swath, in one frame for the whole track, so that
        // cells no swath comes near are passed over without being rasterised.
        let overview = LocalFrame(origin: samples[segments[0]].coordinate)
        let points = samples.map { overview.project($0.coordinate) }
        let boxes = segments.map { k -> (Double, Double, Double, Double) in
            let reach = max(samples[k].altitudeMetres, samples[k + 1].altitudeMetres) * widthPerMetre / 2
            let a = points[k], b = points[k + 1]
            return (min(a.x, b.x) - reach, max(a.x, b.x) + reach, min(a.y, b.y) - reach, max(a.y, b.y) + reach)
        }
        for cell in cells.sorted(by: { $0.id < $1.id }) {
            let ring = try SurveyPlanner.validatedRing(cell.polygon, name: "cell \(cell.id)", code: .emptyCell)
            let plane = ring.map(overview.project)
            let xs = plane.map(\.x), ys = plane.map(\.y)
            // The frame is exact to 0.1 % within 10 km of its origin; allow 1 % and 5 m.
            let slack = 5 + 0.01 * (plane[0].x * plane[0].x + plane[0].y * plane[0].y).squareRoot()
            let x0 = xs.min()! - slack, x1 = xs.max()! + slack, y0 = ys.min()! - slack, y1 = ys.max()! + slack
            let near = segments.indices.filter { boxes[$0].1 >= x0 && boxes[$0].0 <= x1 && boxes[$0].3 >= y0 && boxes[$0].2 <= y1 }.map { segments[$0] }
            if near.isEmpty { continue }
            if let c = account(cell, ring, samples, near) { out.append(c) }
        }
        return out
    }

    func account(_ cell: GridCell, _ ring: [Coordinate], _ samples: [TrackSample], _ segments: [Int]) -> CellCoverage? {
        let frame = LocalFrame(origin: Geodesy.centroid(of: ring))
        let plane = ring.map(frame.project)
        let xs = plane.map(\.x), ys = plane.map(\.y)
        let minX = xs.min()!, minY = ys.min()!
        let w = xs.max()! - minX, h = ys.max()! - minY
        let r = max(configuration.resolutionMetres, (w * h / Double(configuration.maximumPointsPerCell)).squareRoot())
        let nx = max(1, Int((w / r).rounded(.up))), ny = max(1, Int((h / r).rounded(.up)))

        // 0 outside, 1 inside, 2 inside and imaged; points at the centres of r × r squares.
        var grid = [UInt8](repeating: 0, count: nx * ny)
        var inside = 0
        var spans: [ClosedRange<Double>] = []
        for j in 0..<ny {
            spans.removeAll(keepingCapacity: true)
            PlaneGeometry.scanline(u: xs, v: ys, at: minY + (Double(j) + 0.5) * r, into: &spans)
            for s in spans {
                let i0 = max(0, Int(((s.lowerBound - minX) / r - 0.5).rounded(.up))), i1 = min(nx - 1, Int(((s.upperBound - minX) / r - 0.5).rounded(.down)))
                if i0 <= i1 {
                    for i in i0...i1 where grid[j * nx + i] == 0 { grid[j * nx + i] = 1; inside += 1 }
                }
            }
        }
        if inside == 0 {  // a sliver thinner than the raster: measure it at its centroid
            let i = min(nx - 1, Int(-minX / r)), j = min(ny - 1, Int(-minY / r))
            grid[j * nx + i] = 1
            inside = 1
        }

        // Sweep each counted segment's swath over the raster.
        var imaged = 0
        var last: Timestamp?
        var corners = [PlanePoint](repeating: PlanePoint(x: 0, y: 0), count: 4)
        for k in segments {
            let a = samples[k], b = samples[k + 1]
            let pa = frame.project(a.coordinate), pb = frame.project(b.coordinate)
            let wa = a.altitudeMetres * widthPerMetre / 2, wb = b.altitudeMetres * widthPerMetre / 2
            let reach = max(wa, wb)
            if max(pa.x, pb.x) + reach < minX || min(pa.x, pb.x) - reach > minX + w
                || max(pa.y, pb.y) + reach < minY || min(pa.y, pb.y) - reach > minY + h { continue }
            let len = pa.distance(to: pb)
            let nxv = -(pb.y - pa.y) / len, nyv = (pb.x - pa.x) / len
            corners[0] = PlanePoint(x: pa.x + nxv * wa, y: pa.y + nyv * wa)
            corners[1] = PlanePoint(x: pb.x + nxv * wb, y: pb.y + nyv * wb)
            corners[2] = PlanePoint(x: pb.x - nxv * wb, y: pb.y - nyv * wb)
            corners[3] = PlanePoint(x: pa.x - nxv * wa, y: pa.y - nyv * wa)
            let qy = corners.map(\.y)
            let j0 = max(0, Int(((qy.min()! - minY) / r - 0.5).rounded(.up))), j1 = min(ny - 1, Int(((qy.max()! - minY) / r - 0.5).rounded(.down)))
            guard j0 <= j1 else { continue }
            var added = false
            for j in j0...j1 {
                // The swath is convex: its row is one interval between the edge crossings.
                let y = minY + (Double(j) + 0.5) * r
                var lo = Double.infinity, hi = -Double.infinity
                var e = 3
                for q in 0..<4 {
                    let p = corners[e], c = corners[q]
                    e = q
                    if (p.y > y) != (c.y > y) {
                        let x = p.x + (y - p.y) * (c.x - p.x) / (c.y - p.y)
                        lo = min(lo, x)
                        hi = max(hi, x)
                    }
                }
                guard lo <= hi else { continue }
                let i0 = max(0, Int(((lo - minX) / r - 0.5).rounded(.up))), i1 = min(nx - 1, Int(((hi - minX) / r - 0.5).rounded(.down)))
                guard i0 <= i1 else { continue }
                let row = j * nx
                for i in i0...i1 where grid[row + i] == 1 {
                    grid[row + i] = 2
                    imaged += 1
                    added = true
                }
            }
            if added { last = b.time }
        }
        guard imaged > 0, let last else { return nil }
        let fraction = Double(imaged) / Double(inside)
        let covered = fraction >= configuration.coveredShare - 1e-12
        return CellCoverage(cell: cell.id, imagedFraction: fraction, covered: covered, lastImaged: last, completed: covered ? last : nil, resolutionMetres: r)
    }

    /// `lastCovered` (cell id → last full coverage, as `ScheduleInput` takes it) with each covered
    /// cell's completion time where that is later.
    public static func updating(_ lastCovered: [String: Timestamp], with coverage: [CellCoverage]) -> [String: Timestamp] {
        var out = lastCovered
        for c in coverage {
            guard let t = c.completed else { continue }
            if let old = out[c.cell], old >= t { continue }
            out[c.cell] = t
        }
        return out
    }
}
