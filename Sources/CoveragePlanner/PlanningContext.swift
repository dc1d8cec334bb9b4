import Foundation
import TianyanModel

/// One `plan` call's working state: the cell and zones in the local frame, lane layouts at
/// candidate angles, and the sorties for the best one.
struct PlanningContext {
    struct Zone {
        var id: String
        /// Counter-clockwise ring in the cell's local frame.
        var ring: [PlanePoint]
    }

    /// Lanes at one sweep angle, in lane coordinates: `u` along the lanes, `v` across them.
    struct Layout {
        var bearing: Double
        var sinB: Double
        var cosB: Double
        var vMin: Double
        var vMax: Double
        /// Cross-track position of each lane.
        var offsets: [Double]
        var pieces: [Piece]
        /// True when some lane was cut by a no-fly zone.
        var clippedByNoFly: Bool

        init(bearing: Double) {
            self.bearing = bearing
            sinB = sin(bearing * .pi / 180)
            cosB = cos(bearing * .pi / 180)
            vMin = 0
            vMax = 0
            offsets = []
            pieces = []
            clippedByNoFly = false
        }

        func u(_ p: PlanePoint) -> Double { p.x * sinB + p.y * cosB }
        func v(_ p: PlanePoint) -> Double { p.x * cosB - p.y * sinB }
        func point(u: Double, v: Double) -> PlanePoint { PlanePoint(x: u * sinB + v * cosB, y: u * cosB - v * sinB) }
    }

    /// A stretch of one lane between the cell's (or a no-fly zone's) boundaries.
    struct Piece {
        var lane: Int
        var index: Int
        /// Extent as laid out over the cell.
        var u0: Double
        var u1: Double
        /// Extent flown (within range); nil when none of it can be flown.
        var flown: ClosedRange<Double>?
        /// Why some or all of it is not flown.
        var reason: CoverageProblem.Kind?
        var sortie: Int?

        var flownLength: Double { flown.map { $0.upperBound - $0.lowerBound } ?? 0 }
    }

    struct SortieDraft {
        var items: [(piece: Int, reversed: Bool)] = []
        var waypoints: [(point: PlanePoint, kind: SurveyWaypoint.Kind)] = []
        var distance = 0.0
        var seconds = 0.0
        var end: PlanePoint
        var photos = 0
    }

    struct Candidate {
        var layout: Layout
        var sorties: [SortieDraft]
        var totalSeconds: Double
        /// Lane length left out for range or endurance, metres.
        var droppedLength: Double
        var transitProblems: [CoverageProblem]
    }

    let planner: SurveyPlanner
    let cell: GridCell
    let dock: Dock
    let frame: LocalFrame
    let ring: [PlanePoint]
    let area: Double
    let dockPoint: PlanePoint
    let zones: [Zone]
    let router: TransitRouter
    let spacing: Double
    let rangeMetres: Double
    let cruise: Double
    let surveySpeed: Double
    /// Climb to and descent from the survey altitude, each, seconds.
    let climbSeconds: Double

    init(planner: SurveyPlanner, cell: GridCell, dock: Dock, frame: LocalFrame, ring: [PlanePoint], area: Double, dockPoint: PlanePoint, zones: [Zone]) {
        self.planner = planner
        self.cell = cell
        self.dock = dock
        self.frame = frame
        self.ring = ring
        self.area = area
        self.dockPoint = dockPoint
        self.zones = zones
        router = TransitRouter(zones: zones.map(\.ring), clearance: planner.configuration.noFlyClearanceMetres)
        spacing = planner.footprint.laneSpacingMetres
        rangeMetres = planner.capabilities.rangeKilometres * 1_000
        cruise = planner.capabilities.cruiseSpeedMetresPerSecond
        surveySpeed = planner.surveySpeedMetresPerSecond
        climbSeconds = planner.configuration.altitudeMetres / planner.capabilities.climbSpeedMetresPerSecond
    }

    // MARK: Choosing the angle

    func bestPlan(bearings: [Double]) -> SurveyPlan {
        let layouts = bearings.map { layout(bearing: normalised($0)) }
        // Quick estimate: lanes at survey speed plus one connection and turn per extra piece.
        let turn = planner.configuration.turnSeconds + spacing / cruise
        let ranked = layouts.indices.map { i -> (Int, Double) in
            let pieces = layouts[i].pieces.filter { $0.flown != nil }
            let length = pieces.reduce(0) { $0 + $1.flownLength }
            return (i, length / surveySpeed + Double(max(pieces.count - 1, 0)) * turn)
        }.sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
        var best: Candidate?
        for (i, _) in ranked.prefix(planner.configuration.fullyEvaluatedAngles) {
            let c = evaluate(layouts[i])
            guard let b = best else { best = c; continue }
            let tolerance = 0.01 * area / spacing
            if c.droppedLength < b.droppedLength - tolerance
                || (abs(c.droppedLength - b.droppedLength) <= tolerance && c.totalSeconds < b.totalSeconds - 1e-6) {
                best = c
            }
        }
        return finish(best!)
    }

    func normalised(_ bearing: Double) -> Double {
        var b = bearing.truncatingRemainder(dividingBy: 180)
        if b < 0 { b += 180 }
        return b >= 180 - 1e-12 ? 0 : b
    }

    // MARK: Lanes

    /// Lanes centred across the cell: `n = ⌈w/d⌉` lanes `d` apart with equal margins (each at most
    /// d/2) at both edges. Each lane stretches over all of the cell within half a spacing of it, so
    /// every point of the cell is within d/2 of some lane.
    func layout(bearing: Double) -> Layout {
        var layout = Layout(bearing: bearing)
        let u = ring.map(layout.u), v = ring.map(layout.v)
        let vMin = v.min()!, vMax = v.max()!
        layout.vMin = vMin
        layout.vMax = vMax
        let width = vMax - vMin
        // 1 cm of slack keeps a width of exactly k spacings (give or take rounding and the
        // frame's millimetres) at k lanes; the far margin is then at most d/2 + 5 mm.
        let n = max(1, Int(((width - 0.01) / spacing).rounded(.up)))
        let margin = (width - Double(n - 1) * spacing) / 2
        layout.offsets = (0..<n).map { vMin + margin + Double($0) * spacing }
        let zoneUV = zones.map { z in (z.ring.map(layout.u), z.ring.map(layout.v)) }
        let dockU = layout.u(dockPoint), dockV = layout.v(dockPoint)
        var spans: [ClosedRange<Double>] = []
        var holes: [ClosedRange<Double>] = []
        for (k, vk) in layout.offsets.enumerated() {
            let a = max(vk - spacing / 2, vMin), b = min(vk + spacing / 2, vMax)
            spans.removeAll(keepingCapacity: true)
            // Edge pieces inside the strip a...b, and the strip's boundary lines inside the cell.
            var j = u.count - 1
            for i in u.indices {
                let pu = u[j], pv = v[j], qu = u[i], qv = v[i]
                j = i
                if max(pv, qv) < a || min(pv, qv) > b { continue }
                if pv == qv {
                    spans.append(min(pu, qu)...max(pu, qu))
                    continue
                }
                let ta = max(0, min(1, (a - pv) / (qv - pv))), tb = max(0, min(1, (b - pv) / (qv - pv)))
                let ua = pu + ta * (qu - pu), ub = pu + tb * (qu - pu)
                spans.append(min(ua, ub)...max(ua, ub))
            }
            PlaneGeometry.scanline(u: u, v: v, at: a, into: &spans)
            PlaneGeometry.scanline(u: u, v: v, at: b, into: &spans)
            var intervals = PlaneGeometry.merge(spans, tolerance: 1e-6)
            if !zoneUV.isEmpty {
                holes.removeAll(keepingCapacity: true)
                for (zu, zv) in zoneUV { PlaneGeometry.scanline(u: zu, v: zv, at: vk, into: &holes) }
                if !holes.isEmpty {
                    let cut = PlaneGeometry.subtract(intervals, PlaneGeometry.merge(holes, tolerance: 0), minimumLength: 0.01)
                    if cut != intervals { layout.clippedByNoFly = true }
                    intervals = cut
                }
            }
            // Range: the part of the lane line within the dock's radius.
            let h = rangeMetres * rangeMetres - (vk - dockV) * (vk - dockV)
            let reach: ClosedRange<Double>? = h > 0 ? (dockU - h.squareRoot())...(dockU + h.squareRoot()) : nil
            for (i, r) in intervals.enumerated() {
                var piece = Piece(lane: k, index: i, u0: r.lowerBound, u1: r.upperBound, flown: r, reason: nil, sortie: nil)
                if let reach, reach.overlaps(r) {
                    let f = max(r.lowerBound, reach.lowerBound)...min(r.upperBound, reach.upperBound)
                    if f != r { piece.reason = .outOfRange }
                    piece.flown = f
                } else {
                    piece.flown = nil
                    piece.reason = .outOfRange
                }
                layout.pieces.append(piece)
            }
        }
        return layout
    }

    // MARK: Sorties

    func pathLength(_ points: [PlanePoint]) -> Double {
        var d = 0.0
        for i in points.indices.dropFirst() { d += points[i - 1].distance(to: points[i]) }
        return d
    }

    func ends(_ layout: Layout, _ piece: Piece, reversed: Bool) -> (PlanePoint, PlanePoint) {
        let r = piece.flown!, v = layout.offsets[piece.lane]
        let a = layout.point(u: r.lowerBound, v: v), b = layout.point(u: r.upperBound, v: v)
        return reversed ? (b, a) : (a, b)
    }

    /// Orders the pieces greedily (nearest entry next, from the dock) and cuts the order into
    /// sorties: a piece that would take the current sortie past the battery budget, counting its
    /// flight home, starts the next sortie from the dock.
    func evaluate(_ layoutIn: Layout) -> Candidate {
        var layout = layoutIn
        let budget = planner.sortieBudgetSeconds
        let turnSeconds = planner.configuration.turnSeconds
        var problems: [CoverageProblem] = []
        var noted: Set<String> = []
        func route(_ a: PlanePoint, _ b: PlanePoint) -> [PlanePoint] {
            let r = router.path(from: a, to: b)
            if !r.clear {
                let crossed = zones.filter { PlaneGeometry.segmentCrossesInterior(a, b, $0.ring) }.map(\.id)
                for id in crossed where noted.insert(id).inserted {
                    problems.append(CoverageProblem(kind: .transitCrossesNoFly, zoneID: id, areaSquareMetres: nil,
                                                    message: "cell \(cell.id) from dock \(dock.serial): no way around no-fly zone \(id) was found; the straight transit crosses it"))
                }
            }
            return r.points
        }
        // A piece that one battery cannot fly even alone is left out.
        var open: [Int] = []
        for i in layout.pieces.indices where layout.pieces[i].flown != nil {
            let p = layout.pieces[i]
            let (a, b) = ends(layout, p, reversed: false)
            let lane = p.flownLength / surveySpeed + 2 * climbSeconds
            let straight = min(dockPoint.distance(to: a) + b.distance(to: dockPoint), dockPoint.distance(to: b) + a.distance(to: dockPoint))
            var alone = lane + straight / cruise
            if alone <= budget, !zones.isEmpty {
                alone = lane + min(pathLength(route(dockPoint, a)) + pathLength(route(b, dockPoint)),
                                   pathLength(route(dockPoint, b)) + pathLength(route(a, dockPoint))) / cruise
            }
            if alone > budget {
                layout.pieces[i].flown = nil
                layout.pieces[i].reason = .beyondEndurance
            } else {
                open.append(i)
            }
        }
        var sorties: [SortieDraft] = []
        var current = SortieDraft(end: dockPoint)
        func close() {
            guard !current.items.isEmpty else { return }
            let home = route(current.end, dockPoint)
            for p in home.dropFirst().dropLast() { current.waypoints.append((p, .transit)) }
            current.waypoints.append((dockPoint, .dock))
            current.distance += pathLength(home)
            current.seconds += pathLength(home) / cruise + climbSeconds
            sorties.append(current)
            current = SortieDraft(end: dockPoint)
        }
        var remaining = open
        while !remaining.isEmpty {
            // Nearest entry from where the drone is.
            var bestK = 0, bestReversed = false, bestD = Double.infinity
            for (k, i) in remaining.enumerated() {
                let (a, b) = ends(layout, layout.pieces[i], reversed: false)
                let da = current.end.distance(to: a), db = current.end.distance(to: b)
                if da < bestD { bestD = da; bestK = k; bestReversed = false }
                if db < bestD { bestD = db; bestK = k; bestReversed = true }
            }
            let i = remaining[bestK]
            var reversed = bestReversed
            let piece = layout.pieces[i]
            let laneSeconds = piece.flownLength / surveySpeed
            func attempt(_ reversed: Bool) -> (leg: [PlanePoint], home: Double, seconds: Double) {
                let (s, e) = ends(layout, piece, reversed: reversed)
                let leg = route(current.end, s)
                let legSeconds = pathLength(leg) / cruise + (current.items.isEmpty ? climbSeconds : turnSeconds)
                let home = pathLength(route(e, dockPoint)) / cruise + climbSeconds
                return (leg, home, current.seconds + legSeconds + laneSeconds + home)
            }
            var trial = attempt(reversed)
            if trial.seconds > budget {
                if !current.items.isEmpty {
                    close()
                    continue
                }
                let flipped = attempt(!reversed)
                if flipped.seconds < trial.seconds { reversed.toggle(); trial = flipped }
            }
            let (s, e) = ends(layout, piece, reversed: reversed)
            if current.items.isEmpty { current.waypoints.append((dockPoint, .dock)) }
            for p in trial.leg.dropFirst().dropLast() { current.waypoints.append((p, .transit)) }
            current.waypoints.append((s, .laneStart))
            current.waypoints.append((e, .laneEnd))
            current.distance += pathLength(trial.leg) + piece.flownLength
            current.seconds = trial.seconds - trial.home
            current.photos += Int((piece.flownLength / planner.footprint.triggerDistanceMetres + 1e-9).rounded(.down)) + 1
            current.end = e
            current.items.append((i, reversed))
            layout.pieces[i].sortie = sorties.count
            remaining.remove(at: bestK)
        }
        close()
        let dropped = layout.pieces.reduce(0.0) { $0 + ($1.u1 - $1.u0) - $1.flownLength }
        return Candidate(layout: layout, sorties: sorties, totalSeconds: sorties.reduce(0) { $0 + $1.seconds },
                         droppedLength: dropped, transitProblems: problems)
    }

    // MARK: Result

    func finish(_ c: Candidate) -> SurveyPlan {
        let layout = c.layout
        let alt = planner.configuration.altitudeMetres
        let endurance = planner.capabilities.enduranceMinutes * 60
        var lanes: [SurveyLane] = layout.offsets.enumerated().map { k, v in
            SurveyLane(index: k, offsetMetres: v - layout.vMin, segments: [])
        }
        for p in layout.pieces {
            let v = layout.offsets[p.lane]
            let r = p.flown ?? p.u0...p.u1
            let a = layout.point(u: r.lowerBound, v: v), b = layout.point(u: r.upperBound, v: v)
            lanes[p.lane].segments.append(LaneSegment(start: frame.unproject(a), end: frame.unproject(b),
                                                      lengthMetres: r.upperBound - r.lowerBound, sortie: p.sortie))
        }
        let sorties = c.sorties.enumerated().map { n, s in
            Sortie(index: n,
                   waypoints: s.waypoints.map { SurveyWaypoint(coordinate: frame.unproject($0.point), altitudeMetres: $0.kind == .dock ? 0 : alt, kind: $0.kind) },
                   segments: s.items.map { SegmentReference(lane: layout.pieces[$0.piece].lane, segment: layout.pieces[$0.piece].index) },
                   photoTriggerDistanceMetres: planner.footprint.triggerDistanceMetres, photoCount: s.photos,
                   distanceMetres: s.distance, durationSeconds: s.seconds, energyFraction: s.seconds / endurance)
        }
        let (covered, areaProblems) = coverage(layout)
        return SurveyPlan(cellID: cell.id, dockSerial: dock.serial, sweepBearingDegrees: layout.bearing,
                          footprint: planner.footprint, surveySpeedMetresPerSecond: surveySpeed,
                          speedLimitedByCamera: planner.speedLimitedByCamera, lanes: lanes, sorties: sorties,
                          totalDurationSeconds: c.totalSeconds, totalDistanceMetres: c.sorties.reduce(0) { $0 + $1.distance },
                          cellAreaSquareMetres: area, crossTrackWidthMetres: layout.vMax - layout.vMin,
                          coveredFraction: covered, problems: areaProblems + c.transitProblems)
    }

    /// Share of the cell inside some photo, estimated on a 32 × 32 grid of points when anything was
    /// left out (1 otherwise: the layout covers every point by construction), and the area left
    /// out by cause.
    func coverage(_ layout: Layout) -> (Double, [CoverageProblem]) {
        let cellU = ring.map(layout.u), cellV = ring.map(layout.v)
        let uMin = cellU.min()!, uMax = cellU.max()!
        let cellUV = zip(cellU, cellV).map { PlanePoint(x: $0, y: $1) }
        let zonesUV = zones.map { z in z.ring.map { PlanePoint(x: layout.u($0), y: layout.v($0)) } }
        let touching = zonesUV.indices.filter { i in
            let zu = zonesUV[i].map(\.x), zv = zonesUV[i].map(\.y)
            return !(zu.max()! < uMin || zu.min()! > uMax || zv.max()! < layout.vMin || zv.min()! > layout.vMax)
        }
        if touching.isEmpty && !layout.clippedByNoFly && layout.pieces.allSatisfy({ $0.reason == nil && $0.sortie != nil }) {
            return (1, [])
        }
        let halfWidth = planner.footprint.widthMetres / 2, halfHeight = planner.footprint.heightMetres / 2
        let n = 32
        var inside = 0, covered = 0
        var inZone = [Int](repeating: 0, count: zones.count)
        var missedInZone = [Int](repeating: 0, count: zones.count)
        var byReason: [CoverageProblem.Kind: Int] = [:]
        for iv in 0..<n {
            let v = layout.vMin + (Double(iv) + 0.5) / Double(n) * (layout.vMax - layout.vMin)
            for iu in 0..<n {
                let u = uMin + (Double(iu) + 0.5) / Double(n) * (uMax - uMin)
                let p = PlanePoint(x: u, y: v)
                guard PlaneGeometry.contains(cellUV, p) else { continue }
                inside += 1
                let seen = layout.pieces.contains { piece in
                    guard piece.sortie != nil, let r = piece.flown else { return false }
                    return abs(v - layout.offsets[piece.lane]) <= halfWidth && u >= r.lowerBound - halfHeight && u <= r.upperBound + halfHeight
                }
                // Ground inside a zone may still be photographed from outside it.
                let zone = touching.first { PlaneGeometry.contains(zonesUV[$0], p) }
                if let zone { inZone[zone] += 1 }
                if seen { covered += 1; continue }
                if let zone {
                    missedInZone[zone] += 1
                    continue
                }
                // The lane whose strip holds the point, and why its piece there was not flown.
                let k = layout.offsets.indices.min { abs(layout.offsets[$0] - v) < abs(layout.offsets[$1] - v) }!
                let reason = layout.pieces.first { $0.lane == k && $0.reason != nil && u >= $0.u0 - halfHeight && u <= $0.u1 + halfHeight }?.reason
                byReason[reason ?? (zones.isEmpty ? .outOfRange : .shadowedByNoFly), default: 0] += 1
            }
        }
        guard inside > 0 else { return (layout.pieces.contains { $0.sortie != nil } ? 1 : 0, []) }
        let perPoint = area / Double(inside)
        var problems: [CoverageProblem] = []
        func percent(_ count: Int) -> String { String(format: "%.1f %%", 100 * Double(count) / Double(inside)) }
        for (z, missed) in missedInZone.enumerated() where missed > 0 {
            problems.append(CoverageProblem(kind: .insideNoFly, zoneID: zones[z].id, areaSquareMetres: Double(missed) * perPoint,
                                            message: String(format: "about %.0f m² (%@) of cell %@ is not photographed: it lies inside no-fly zone %@ (which takes about %.0f m² of the cell), out of reach of photos taken from outside",
                                                            Double(missed) * perPoint, percent(missed), cell.id, zones[z].id, Double(inZone[z]) * perPoint)))
        }
        for kind in [CoverageProblem.Kind.outOfRange, .beyondEndurance, .shadowedByNoFly] {
            guard let count = byReason[kind], count > 0 else { continue }
            let why: String
            switch kind {
            case .outOfRange: why = String(format: "is beyond dock %@'s %.1f km range", dock.serial, planner.capabilities.rangeKilometres)
            case .beyondEndurance: why = String(format: "is too far from dock %@ to fly even one lane on a battery (%.0f min less %.0f %% reserve)", dock.serial, planner.capabilities.enduranceMinutes, planner.capabilities.reservePercent)
            default: why = "lies next to a no-fly zone where lanes are cut, out of every photo"
            }
            problems.append(CoverageProblem(kind: kind, zoneID: nil, areaSquareMetres: Double(count) * perPoint,
                                            message: String(format: "about %.0f m² (%@) of cell %@ %@", Double(count) * perPoint, percent(count), cell.id, why)))
        }
        return (Double(covered) / Double(inside), problems)
    }
}
