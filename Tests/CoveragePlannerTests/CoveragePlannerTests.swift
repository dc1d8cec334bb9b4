import Foundation
import Testing
import TianyanModel
@testable import CoveragePlanner

@Suite struct CoveragePlannerTests {
    typealias F = Fixtures

    // MARK: Footprint and frame

    @Test func footprintFollowsTheSurveyGridFormulas() throws {
        // The research note's worked example: 17.3 × 13.0 mm, f 12.29 mm, 5280 px wide, 100 m.
        let planner = try SurveyPlanner(capabilities: F.dock2(), configuration: .init(altitudeMetres: 100, sideOverlap: 0.2, frontOverlap: 0.2))
        let f = planner.footprint
        #expect(abs(f.groundSampleDistanceCentimetres - 2.666) < 0.001)
        #expect(abs(f.widthMetres - 140.765) < 0.001)
        #expect(abs(f.heightMetres - 105.777) < 0.001)
        #expect(abs(f.laneSpacingMetres - 112.612) < 0.001)
        #expect(abs(f.triggerDistanceMetres - 84.622) < 0.001)
        #expect(planner.surveySpeedMetresPerSecond == 12)
        #expect(!planner.speedLimitedByCamera)
    }

    @Test func surveySpeedDropsToWhatTheCameraCanShoot() throws {
        var camera = F.unitCamera
        camera.minPhotoIntervalSeconds = 10
        // Trigger distance 75 m × (1 − 0.2) = 60 m; one photo per 10 s allows 6 m/s.
        let planner = try SurveyPlanner(capabilities: F.dock2(), camera: camera, configuration: .init(altitudeMetres: 100, sideOverlap: 0.4, frontOverlap: 0.2))
        #expect(planner.speedLimitedByCamera)
        #expect(abs(planner.surveySpeedMetresPerSecond - 6) < 1e-9)
        let plan = try planner.plan(cell: F.cell("C", F.ring([(0, 0), (200, 0), (200, 200), (0, 200)])), dock: F.dock(at: F.centre))
        #expect(plan.speedLimitedByCamera)
        #expect(plan.surveySpeedMetresPerSecond == 6)
    }

    @Test func localFrameAgreesWithHaversineWithinATenthOfAPercent() {
        let frame = LocalFrame(origin: F.centre)
        for (bearing, distance) in [(0.0, 5_000.0), (45, 3_000), (90, 5_000), (200, 4_000), (300, 800)] {
            let p = Geodesy.destination(from: F.centre, bearing: bearing, distance: distance)
            let q = frame.project(p)
            #expect(abs(hypot(q.x, q.y) - distance) / distance < 0.001)
            let back = frame.unproject(q)
            #expect(abs(back.latitude - p.latitude) < 1e-12 && abs(back.longitude - p.longitude) < 1e-12)
        }
    }

    // MARK: Lanes on known shapes

    @Test func squareGetsCentredLanesWithEqualMargins() throws {
        // 200 m square, lanes 60 m apart: ⌈200/60⌉ = 4 lanes spanning 180 m, so 10 m margins on
        // both sides (QGroundControl would start at the edge and leave 20 m at the far side).
        let sw = F.centre
        let se = Geodesy.destination(from: sw, bearing: 90, distance: 200)
        let nw = Geodesy.destination(from: sw, bearing: 0, distance: 200)
        let ne = Coordinate(latitude: nw.latitude, longitude: se.longitude)
        let ring = [sw, se, ne, nw, sw]
        let planner = try F.unitPlanner()
        let plan = try planner.plan(cell: F.cell("SQ", ring), dock: F.dock(at: sw), sweepBearing: 0)
        #expect(plan.footprint.laneSpacingMetres == 60)
        #expect(plan.lanes.count == 4)
        #expect(plan.lanes.allSatisfy { $0.segments.count == 1 })
        // Cross-track distance from the west edge, measured along the parallel at each lane.
        let fromWest = plan.lanes.map { lane -> Double in
            let p = lane.segments[0].start
            return Geodesy.distance(Coordinate(latitude: p.latitude, longitude: sw.longitude), p)
        }
        for (k, d) in fromWest.enumerated() { #expect(abs(d - (10 + 60 * Double(k))) < 0.05) }
        let lastToEast = Geodesy.distance(plan.lanes[3].segments[0].start,
                                          Coordinate(latitude: plan.lanes[3].segments[0].start.latitude, longitude: se.longitude))
        #expect(abs(lastToEast - 10) < 0.05)
        #expect(abs(plan.lanes[0].offsetMetres - 10) < 0.01)
        #expect(abs(plan.crossTrackWidthMetres - plan.lanes[3].offsetMetres - 10) < 0.01)
        for lane in plan.lanes {
            #expect(abs(lane.segments[0].lengthMetres - 200) < 0.1)
            #expect(abs(Geodesy.distance(lane.segments[0].start, lane.segments[0].end) - 200) < 0.1)
        }
        #expect(plan.problems.isEmpty)
        #expect(plan.coveredFraction == 1)
        #expect(worstDistanceToLanes(plan, ring: ring, samples: 400, seed: 1) <= 30 + 0.1)
    }

    @Test func rotatedRectangleGetsParallelCentredLanes() throws {
        // 300 × 120 m, long axis east-west turned 30° clockwise (bearing 120°). Lanes along the long
        // axis: ⌈120/60⌉ = 2 lanes, 30 m in from each long edge.
        let ring = F.ring([(-150, -60), (150, -60), (150, 60), (-150, 60)], rotation: 30)
        let plan = try F.unitPlanner().plan(cell: F.cell("ROT", ring), dock: F.dock(at: F.centre), sweepBearing: 120)
        #expect(plan.lanes.count == 2)
        let frame = TestFrame(origin: F.centre)
        for lane in plan.lanes {
            let s = lane.segments[0]
            let b = Geodesy.bearing(from: s.start, to: s.end).truncatingRemainder(dividingBy: 180)
            #expect(abs(b - 120) < 0.05)
            #expect(abs(s.lengthMetres - 300) < 0.1)
        }
        // Long edges: ring[0]–ring[1] (south side before turning) and ring[2]–ring[3].
        let near = plan.lanes.map { frame.distance($0.segments[0].start, toLineThrough: ring[0], ring[1]) }.sorted()
        let far = plan.lanes.map { frame.distance($0.segments[0].start, toLineThrough: ring[2], ring[3]) }.sorted()
        #expect(abs(near[0] - 30) < 0.1 && abs(far[0] - 30) < 0.1)
        #expect(abs(near[1] - 90) < 0.1)
        #expect(worstDistanceToLanes(plan, ring: ring, samples: 400, seed: 2) <= 30 + 0.1)
    }

    @Test func lShapedCellLanesStretchOverTheirStrip() throws {
        // 300 m square without its north-east 150 m quarter; north-south lanes at 30, 90, 150, 210
        // and 270 m from the west edge. The lane at 150 m has the tall part within its strip.
        let ring = F.ring([(0, 0), (300, 0), (300, 150), (150, 150), (150, 300), (0, 300)], around: F.centre)
        let plan = try F.unitPlanner().plan(cell: F.cell("L", ring), dock: F.dock(at: F.centre), sweepBearing: 0)
        #expect(plan.lanes.count == 5)
        let lengths = plan.lanes.map { $0.segments.map(\.lengthMetres).reduce(0, +) }
        for (got, want) in zip(lengths, [300.0, 300, 300, 150, 150]) { #expect(abs(got - want) < 0.2) }
        #expect(plan.coveredFraction == 1)
        #expect(worstDistanceToLanes(plan, ring: ring, samples: 600, seed: 3) <= 30 + 0.1)
    }

    @Test func uShapedCellSplitsLanesAndFliesEachPieceOnce() throws {
        // 300 × 300 m with a 100 m wide, 200 m deep notch from the north: east-west lanes in the
        // upper part cross the notch and are flown as two pieces.
        let ring = F.ring([(0, 0), (300, 0), (300, 300), (200, 300), (200, 100), (100, 100), (100, 300), (0, 300)])
        let plan = try F.unitPlanner().plan(cell: F.cell("U", ring), dock: F.dock(at: F.centre), sweepBearing: 90)
        #expect(plan.lanes.count == 5)
        #expect(plan.lanes.map(\.segments.count).sorted() == [1, 1, 2, 2, 2])
        let flown = plan.sorties.flatMap(\.segments)
        #expect(flown.count == 8 && Set(flown).count == 8)
        // The notch (more than 10 m inside it) is never photographed along a lane.
        let notch = F.ring([(110, 110), (190, 110), (190, 300), (110, 300)])
        for s in plan.lanes.flatMap(\.segments) {
            for t in stride(from: 0.0, through: 1.0, by: 0.05) {
                let p = Coordinate(latitude: s.start.latitude + t * (s.end.latitude - s.start.latitude),
                                   longitude: s.start.longitude + t * (s.end.longitude - s.start.longitude))
                #expect(!Geodesy.contains(notch, p))
            }
        }
        #expect(worstDistanceToLanes(plan, ring: ring, samples: 600, seed: 4) <= 30 + 0.1)
    }

    @Test func triangleIsCoveredUpToItsApex() throws {
        let ring = F.ring([(0, 0), (400, 0), (130, 250)])
        let planner = try F.unitPlanner()
        let plan = try planner.plan(cell: F.cell("TRI", ring), dock: F.dock(at: F.centre), sweepBearing: 90)
        // Height 250 m across east-west lanes: ⌈250/60⌉ = 5 lanes, 5 m margins.
        #expect(plan.lanes.count == 5)
        #expect(abs(plan.lanes[0].offsetMetres - 5) < 0.01)
        #expect(abs(plan.crossTrackWidthMetres - 250) < 0.1)
        #expect(worstDistanceToLanes(plan, ring: ring, samples: 600, seed: 5) <= 30 + 0.1)
        let best = try planner.plan(cell: F.cell("TRI", ring), dock: F.dock(at: F.centre))
        #expect(worstDistanceToLanes(best, ring: ring, samples: 600, seed: 6) <= 30 + 0.1)
    }

    // MARK: Coverage property

    @Test(arguments: [11 as UInt64, 22, 33, 44, 55])
    func everyPointOfRandomCellsIsWithinHalfASpacing(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        let planner = try F.unitPlanner()
        var checked = 0
        for shape in 0..<8 {
            // Even shapes convex (points on an ellipse), odd ones star-shaped with a ragged radius.
            let n = Int.random(in: 3...12, using: &rng)
            var angles = (0..<n).map { _ in Double.random(in: 0..<(2 * .pi), using: &rng) }.sorted()
            if Set(angles.map { Int($0 * 1000) }).count < n { angles = (0..<n).map { Double($0) * 2 * .pi / Double(n) } }
            let a = Double.random(in: 80...500, using: &rng), b = Double.random(in: 80...500, using: &rng)
            let points = angles.map { t -> (Double, Double) in
                let r = shape % 2 == 0 ? 1.0 : Double.random(in: 0.35...1, using: &rng)
                return (a * r * cos(t), b * r * sin(t))
            }
            let ring = F.ring(points)
            guard Geodesy.selfIntersection(of: ring) == nil, Geodesy.area(of: ring) > 100 else { continue }
            let cell = F.cell("R\(seed)-\(shape)", ring)
            let plan = try planner.plan(cell: cell, dock: F.dock(at: F.centre))
            #expect(plan.problems.isEmpty, "\(cell.id): \(plan.problems)")
            #expect(plan.lanes.flatMap(\.segments).allSatisfy { $0.sortie != nil })
            let worst = worstDistanceToLanes(plan, ring: ring, samples: 300, seed: seed &+ UInt64(shape))
            #expect(worst <= plan.footprint.laneSpacingMetres / 2 + 0.3, "\(cell.id): \(worst) m")
            #expect(worst <= plan.footprint.widthMetres / 2)
            checked += 1
        }
        #expect(checked >= 6, "only \(checked) of 8 random shapes were simple polygons")
    }

    // MARK: Angle

    @Test(arguments: [0.0, 30, 75, 120, 163])
    func bestAngleFollowsTheLongAxisOfAThinRectangle(axis: Double) throws {
        // 1000 × 100 m with its long axis at `axis` degrees from north.
        let ring = F.ring([(-50, -500), (50, -500), (50, 500), (-50, 500)], rotation: axis)
        let plan = try F.unitPlanner().plan(cell: F.cell("THIN", ring), dock: F.dock(at: F.centre))
        let diff = abs(plan.sweepBearingDegrees - axis)
        #expect(min(diff, 180 - diff) < 0.1, "picked \(plan.sweepBearingDegrees)°")
        #expect(plan.lanes.count == 2)
        #expect(plan.sorties.count == 1)
    }

    // MARK: Sorties

    @Test func bigCellIsSplitIntoSortiesWithinTheBudget() throws {
        // 1 km square with lanes 60 m apart: 17 lanes of 1 km, about 25 minutes of lanes at 12 m/s,
        // on a 10-minute battery with 20 % reserve (480 s per sortie).
        let ring = F.ring([(-500, -500), (500, -500), (500, 500), (-500, 500)])
        let planner = try F.unitPlanner(endurance: 10)
        #expect(planner.sortieBudgetSeconds == 480)
        let dock = F.dock(at: F.offset(F.centre, east: -900, north: 0))
        let plan = try planner.plan(cell: F.cell("BIG", ring), dock: dock, sweepBearing: 0)
        #expect(plan.lanes.count == 17)
        #expect(plan.sorties.count >= 4)
        #expect(plan.problems.isEmpty)
        var flown: [SegmentReference] = []
        for s in plan.sorties {
            #expect(s.durationSeconds <= 480 + 1e-6)
            #expect(s.energyFraction <= 0.8 + 1e-9)
            #expect(s.waypoints.first?.kind == .dock && s.waypoints.last?.kind == .dock)
            #expect(s.waypoints.first?.coordinate == dock.location || Geodesy.distance(s.waypoints.first!.coordinate, dock.location) < 0.01)
            // Its distance is the length of its waypoint path.
            let path = zip(s.waypoints, s.waypoints.dropFirst()).map { Geodesy.distance($0.coordinate, $1.coordinate) }.reduce(0, +)
            #expect(abs(path - s.distanceMetres) / s.distanceMetres < 0.001)
            // Duration: climb and descent, transit and connections at cruise, lanes at survey speed, turns.
            let lanes = s.segments.map { plan.lanes[$0.lane].segments[$0.segment].lengthMetres }.reduce(0, +)
            let expected = 2 * 100.0 / 6 + (s.distanceMetres - lanes) / 12 + lanes / 12 + Double(s.segments.count - 1) * 6
            #expect(abs(s.durationSeconds - expected) < 0.01)
            #expect(s.photoCount == s.segments.count * (Int(1000 / 60) + 1))
            flown += s.segments
        }
        let all = plan.lanes.flatMap { lane in lane.segments.indices.map { SegmentReference(lane: lane.index, segment: $0) } }
        #expect(flown.count == all.count)
        #expect(Set(flown) == Set(all))
        for (n, s) in plan.sorties.enumerated() {
            for r in s.segments { #expect(plan.lanes[r.lane].segments[r.segment].sortie == n) }
        }
        #expect(abs(plan.totalDurationSeconds - plan.sorties.map(\.durationSeconds).reduce(0, +)) < 1e-6)
    }

    // MARK: No-fly zones, range, endurance

    @Test func noFlyZoneIsClippedOutAndReported() throws {
        let ring = F.ring([(-200, -200), (200, -200), (200, 200), (-200, 200)])
        let zoneRing = F.ring([(-50, -50), (50, -50), (50, 50), (-50, 50)])
        let zone = NoFlyZone(id: "NFZ-school", polygon: zoneRing)
        let dock = F.dock(at: F.offset(F.centre, east: -300, north: 0))
        let plan = try F.unitPlanner().plan(cell: F.cell("NF", ring), dock: dock, noFly: [zone], sweepBearing: 0)
        #expect(plan.lanes.contains { $0.segments.count == 2 })
        // No lane photographs inside the zone, and no flown leg crosses it.
        for s in plan.sorties {
            for (p, q) in zip(s.waypoints, s.waypoints.dropFirst()) {
                for t in stride(from: 0.0, through: 1.0, by: 0.02) {
                    let c = Coordinate(latitude: p.coordinate.latitude + t * (q.coordinate.latitude - p.coordinate.latitude),
                                       longitude: p.coordinate.longitude + t * (q.coordinate.longitude - p.coordinate.longitude))
                    let inner = F.ring([(-49, -49), (49, -49), (49, 49), (-49, 49)])
                    #expect(!Geodesy.contains(inner, c))
                }
            }
        }
        let inside = try #require(plan.problems.first { $0.kind == .insideNoFly })
        #expect(inside.zoneID == "NFZ-school")
        #expect(inside.message.contains("NF") && inside.message.contains("NFZ-school"))
        // Lanes beside the zone photograph most of it from outside; what neither they nor the cut
        // lane's last photos reach is reported (about 20 × 25 m around the zone's centre).
        let missed = try #require(inside.areaSquareMetres)
        #expect(missed > 100 && missed < 2_000)
        #expect(inside.message.contains("takes about"))
        #expect(plan.coveredFraction < 1 && plan.coveredFraction > 0.98)
        #expect(!plan.problems.contains { $0.kind == .transitCrossesNoFly })
    }

    @Test func transitGoesAroundAZoneBetweenDockAndCell() throws {
        let ring = F.ring([(-100, -100), (100, -100), (100, 100), (-100, 100)])
        // A 60 m × 600 m wall of no-fly between a dock 800 m west and the cell.
        let wall = NoFlyZone(id: "NFZ-wall", polygon: F.ring([(-430, -300), (-370, -300), (-370, 300), (-430, 300)]))
        let dock = F.dock(at: F.offset(F.centre, east: -800, north: 0))
        let plan = try F.unitPlanner().plan(cell: F.cell("BEHIND", ring), dock: dock, noFly: [wall])
        #expect(plan.problems.isEmpty, "\(plan.problems)")
        #expect(plan.coveredFraction == 1)
        let s = try #require(plan.sorties.first)
        #expect(s.waypoints.contains { $0.kind == .transit })
        let inner = F.ring([(-429, -299), (-371, -299), (-371, 299), (-429, 299)])
        for (p, q) in zip(s.waypoints, s.waypoints.dropFirst()) {
            for t in stride(from: 0.0, through: 1.0, by: 0.01) {
                let c = Coordinate(latitude: p.coordinate.latitude + t * (q.coordinate.latitude - p.coordinate.latitude),
                                   longitude: p.coordinate.longitude + t * (q.coordinate.longitude - p.coordinate.longitude))
                #expect(!Geodesy.contains(inner, c))
            }
        }
    }

    @Test func dockInsideANoFlyZoneReportsTheCrossing() throws {
        let ring = F.ring([(-100, -100), (100, -100), (100, 100), (-100, 100)])
        let dockAt = F.offset(F.centre, east: -600, north: 0)
        let zone = NoFlyZone(id: "NFZ-base", polygon: F.ring([(-100, -100), (100, -100), (100, 100), (-100, 100)], around: dockAt))
        let plan = try F.unitPlanner().plan(cell: F.cell("FROM-INSIDE", ring), dock: F.dock(at: dockAt), noFly: [zone])
        let p = try #require(plan.problems.first { $0.kind == .transitCrossesNoFly })
        #expect(p.zoneID == "NFZ-base" && p.message.contains("FROM-INSIDE"))
        #expect(plan.coveredFraction == 1)
    }

    @Test func cellBeyondRangeIsReportedNotPlanned() throws {
        let far = F.offset(F.centre, east: 12_000, north: 0)
        let ring = F.ring([(-100, -100), (100, -100), (100, 100), (-100, 100)], around: far)
        let plan = try F.unitPlanner().plan(cell: F.cell("FAR", ring), dock: F.dock(at: F.centre))
        #expect(plan.sorties.isEmpty)
        #expect(plan.coveredFraction == 0)
        let p = try #require(plan.problems.first)
        #expect(plan.problems.count == 1 && p.kind == .outOfRange && p.message.contains("FAR") && p.message.contains("DOCK-1"))
        #expect(plan.lanes.flatMap(\.segments).allSatisfy { $0.sortie == nil })
    }

    @Test func cellAcrossTheRangeEdgeIsPartlyPlanned() throws {
        let edge = F.offset(F.centre, east: 10_000, north: 0)
        let ring = F.ring([(-200, -200), (200, -200), (200, 200), (-200, 200)], around: edge)
        let plan = try F.unitPlanner(endurance: 60).plan(cell: F.cell("EDGE", ring), dock: F.dock(at: F.centre))
        #expect(plan.problems.map(\.kind) == [.outOfRange])
        #expect(plan.coveredFraction > 0.4 && plan.coveredFraction < 0.7)
        #expect(!plan.sorties.isEmpty)
    }

    @Test func laneTooFarForOneBatteryIsReported() throws {
        // 4-minute battery, 20 % reserve: 192 s, of which 33 s climb and descent; 2 km each way is 333 s.
        let away = F.offset(F.centre, east: 2_000, north: 0)
        let ring = F.ring([(-100, -100), (100, -100), (100, 100), (-100, 100)], around: away)
        let plan = try F.unitPlanner(endurance: 4).plan(cell: F.cell("THIRSTY", ring), dock: F.dock(at: F.centre))
        #expect(plan.sorties.isEmpty)
        let p = try #require(plan.problems.first)
        #expect(p.kind == .beyondEndurance && p.message.contains("THIRSTY"))
    }

    // MARK: Bad input

    @Test func badCellsGiveErrorsNamingTheCell() throws {
        let planner = try F.unitPlanner()
        let dock = F.dock(at: F.centre)
        func error(_ polygon: [Coordinate]) -> CoveragePlannerError? {
            do {
                _ = try planner.plan(cell: F.cell("BAD-7", polygon), dock: dock)
                return nil
            } catch {
                return error
            }
        }
        let a = F.centre, b = F.offset(a, east: 100, north: 0), c = F.offset(a, east: 100, north: 100), d = F.offset(a, east: 0, north: 100)
        let cases: [([Coordinate], CoveragePlannerError.Code)] = [
            ([], .emptyCell),
            ([a, b], .emptyCell),
            ([a, b, a], .emptyCell),
            ([a, c, b, d, a], .selfIntersectingCell),
            ([a, F.offset(a, east: 50, north: 50), c, a], .degenerateCell),
            ([a, b, Coordinate(latitude: 95, longitude: 113.8), a], .invalidCoordinate),
            ([a, F.offset(a, east: 30_000, north: 0), F.offset(a, east: 30_000, north: 30_000), a], .cellTooLarge),
        ]
        for (polygon, code) in cases {
            let e = try #require(error(polygon))
            #expect(e.code == code, "\(polygon.count) vertices: \(e)")
            #expect(e.message.contains("BAD-7"))
        }
        do {
            _ = try planner.plan(cell: F.cell("OK", [a, b, c, d, a]), dock: dock, noFly: [NoFlyZone(id: "Z-bow", polygon: [a, c, b, d, a])])
            Issue.record("a self-intersecting no-fly zone was accepted")
        } catch {
            #expect(error.code == .invalidNoFlyZone && error.message.contains("Z-bow"))
        }
        do {
            _ = try planner.plan(cell: F.cell("OK", [a, b, c, d, a]), dock: dock, sweepBearing: .nan)
            Issue.record("a NaN sweep bearing was accepted")
        } catch {
            #expect(error.code == .invalidConfiguration && error.message.contains("OK"))
        }
    }

    @Test func impossibleSettingsAreRefusedUpFront() {
        for config in [
            SurveyPlanner.Configuration(altitudeMetres: 150),
            SurveyPlanner.Configuration(altitudeMetres: 0),
            SurveyPlanner.Configuration(sideOverlap: 1),
            SurveyPlanner.Configuration(frontOverlap: -0.1),
            SurveyPlanner.Configuration(altitudeMetres: 0.5, sideOverlap: 0.95),
        ] {
            #expect(throws: CoveragePlannerError.self) { _ = try SurveyPlanner(capabilities: F.dock2(), configuration: config) }
        }
    }

    // MARK: The sample town

    @Test func everySampleCellPlansCleanlyFromItsNearestDock() throws {
        let registry = FleetSample.make()
        let planners = [
            "DJI Dock 2": try SurveyPlanner(capabilities: F.dock2()),
            "DJI Dock 3": try SurveyPlanner(capabilities: F.dock3),
        ]
        var planned = 0
        for cell in registry.cells {
            let centre = Geodesy.centroid(of: cell.polygon)
            let dock = registry.docks.min { Geodesy.distance($0.location, centre) < Geodesy.distance($1.location, centre) }!
            let planner = try #require(planners[dock.model])
            let plan = try planner.plan(cell: cell, dock: dock)
            #expect(plan.problems.isEmpty, "\(cell.id): \(plan.problems)")
            #expect(plan.coveredFraction == 1)
            #expect(plan.sorties.count == 1, "\(cell.id) needs \(plan.sorties.count) sorties")
            #expect(plan.sorties.allSatisfy { $0.energyFraction <= 0.8 && $0.durationSeconds > 0 })
            // ~446 m square cells, lanes 112.6 m apart: 4 lanes along the cell's sides.
            #expect(plan.lanes.count == 4, "\(cell.id): \(plan.lanes.count) lanes at \(plan.sweepBearingDegrees)°")
            planned += 1
        }
        #expect(planned == 501)
    }

    @Test func planningIsDeterministicAndCodable() throws {
        let registry = FleetSample.make()
        let planner = try SurveyPlanner(capabilities: F.dock2())
        let zone = NoFlyZone(id: "Z", polygon: F.ring([(-60, -60), (60, -60), (60, 60), (-60, 60)], around: Geodesy.centroid(of: registry.cells[7].polygon)))
        for cell in registry.cells.prefix(12) {
            let a = try planner.plan(cell: cell, dock: registry.docks[0], noFly: [zone])
            let b = try planner.plan(cell: cell, dock: registry.docks[0], noFly: [zone])
            #expect(a == b)
            let decoded = try JSONDecoder().decode(SurveyPlan.self, from: JSONEncoder().encode(a))
            #expect(decoded == a)
        }
    }
}
