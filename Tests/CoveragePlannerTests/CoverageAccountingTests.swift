import Foundation
import Testing
import TianyanModel
@testable import CoveragePlanner

/// Tracks flown along planned routes, sampled once a second.
enum TrackFixtures {
    static let t0 = Timestamp(milliseconds: 1_795_000_000_000)

    /// The sortie's waypoints flown at `speed` (climbs at 6 m/s), a sample every second and one at
    /// each waypoint (so that a leg's samples end where the leg does), each tagged with the
    /// waypoint leg it lies on (a waypoint's sample with the leg it ends).
    static func fly(_ sortie: Sortie, speed: Double, from start: Timestamp = t0) -> [(sample: TrackSample, leg: Int, waypoint: Bool)] {
        let w = sortie.waypoints
        let frame = TestFrame(origin: w[0].coordinate)
        let legs = (0..<(w.count - 1)).map { k -> Double in
            let a = frame.xy(w[k].coordinate), b = frame.xy(w[k + 1].coordinate)
            return max(hypot(b.x - a.x, b.y - a.y) / speed, abs(w[k + 1].altitudeMetres - w[k].altitudeMetres) / 6)
        }
        let total = legs.reduce(0, +)
        var out: [(TrackSample, Int, Bool)] = []
        var leg = 0, legStart = 0.0
        var s = 0.0
        func sample(_ s: Double, _ leg: Int, _ f: Double, waypoint: Bool = false) -> (TrackSample, Int, Bool) {
            let a = w[leg], b = w[leg + 1]
            let c = Coordinate(latitude: a.coordinate.latitude + f * (b.coordinate.latitude - a.coordinate.latitude),
                               longitude: a.coordinate.longitude + f * (b.coordinate.longitude - a.coordinate.longitude))
            return (TrackSample(time: start.adding(seconds: s), coordinate: c, altitudeMetres: a.altitudeMetres + f * (b.altitudeMetres - a.altitudeMetres)), leg, waypoint)
        }
        while s <= total {
            while leg < legs.count - 1, s > legStart + legs[leg] {
                legStart += legs[leg]
                if legStart > s - 1 { out.append(sample(legStart, leg, 1, waypoint: true)) }  // the waypoint ending the leg
                leg += 1
            }
            out.append(sample(s, leg, legs[leg] > 0 ? min(1, (s - legStart) / legs[leg]) : 1))
            s += 1
        }
        return out
    }

    /// Legs from a `laneStart` to its `laneEnd`, in flying order (pair p flies `sortie.segments[p]`).
    static func laneLegs(_ sortie: Sortie) -> [Int] {
        (0..<(sortie.waypoints.count - 1)).filter { sortie.waypoints[$0].kind == .laneStart && sortie.waypoints[$0 + 1].kind == .laneEnd }
    }
}

@Suite struct CoverageAccountingTests {
    typealias T = TrackFixtures

    static let cellRing = Fixtures.ring([(-200, -200), (200, -200), (200, 200), (-200, 200)])
    static let cell = Fixtures.cell("A", cellRing)

    /// A single-sortie plan of the 400 m square from a dock 1 km south of its west edge, unit
    /// camera at 100 m (footprint 100 m across the track), lanes north-south, flown west to east
    /// (so that no turn or flight to or from the dock crosses the middle lane's band).
    func plan(sideOverlap: Double) throws -> SurveyPlan {
        let planner = try Fixtures.unitPlanner { $0.sideOverlap = sideOverlap }
        let plan = try planner.plan(cell: Self.cell, dock: Fixtures.dock(at: Fixtures.offset(Fixtures.centre, east: -160, north: -1_000)), sweepBearing: 0)
        try #require(plan.sorties.first?.segments.map(\.lane) == Array(plan.lanes.indices))
        try #require(plan.sorties.count == 1)
        return plan
    }

    func accounting(_ configure: (inout CoverageAccounting.Configuration) -> Void = { _ in }) throws -> CoverageAccounting {
        var c = CoverageAccounting.Configuration()
        configure(&c)
        return try CoverageAccounting(camera: Fixtures.unitCamera, configuration: c)
    }

    @Test(arguments: [0.0, 0.2, 0.4])
    func flyingThePlannedRouteCoversTheCell(sideOverlap: Double) throws {
        let plan = try plan(sideOverlap: sideOverlap)
        let track = T.fly(plan.sorties[0], speed: plan.surveySpeedMetresPerSecond)
        let result = try accounting().account(cells: [Self.cell], track: track.map(\.sample))
        let a = try #require(result.first)
        #expect(result.count == 1)
        #expect(a.cell == "A")
        #expect(a.imagedFraction >= 0.95, "\(a.imagedFraction)")
        #expect(a.covered)
        #expect(a.completed == a.lastImaged)
        #expect(a.resolutionMetres == 1)
        // Completed over the cell, not at landing back at the dock 1 km away.
        let firstLane = track.first { $0.leg == T.laneLegs(plan.sorties[0])[0] }!.sample.time
        #expect(a.lastImaged > firstLane)
        #expect(a.lastImaged < track.last!.sample.time.adding(seconds: -60))
    }

    /// The track with the middle lane missing (the lane and the legs into and out of it were not
    /// recorded, so the samples either side are further apart than the largest gap). The share
    /// lost is the band neither neighbour's swath reaches, `2s − W` wide for lanes `s` apart
    /// and a swath `W` wide: exactly one lane's share without side overlap, less with it.
    @Test(arguments: [0.0, 0.2])
    func aMissingLaneLeavesTheCellUncovered(sideOverlap: Double) throws {
        let plan = try plan(sideOverlap: sideOverlap)
        let sortie = plan.sorties[0]
        let track = T.fly(sortie, speed: plan.surveySpeedMetresPerSecond)
        // The middle lane across the cell; the sortie need not fly the lanes in that order.
        let lanes = T.laneLegs(sortie)
        try #require(lanes.count >= 3)
        let m = try #require(sortie.segments.firstIndex { $0.lane == plan.lanes.count / 2 })
        let previous = m > 0 ? lanes[m - 1] : -1, next = m + 1 < lanes.count ? lanes[m + 1] : Int.max
        let missing = { (leg: Int) in leg > previous && leg < next }
        let cut = track.filter { !missing($0.leg) || ($0.waypoint && !missing($0.leg + 1)) }.map(\.sample)
        let full = try #require(try accounting().account(cells: [Self.cell], track: track.map(\.sample)).first)
        let holed = try #require(try accounting().account(cells: [Self.cell], track: cut).first)
        #expect(!holed.covered)
        #expect(holed.completed == nil)
        let s = plan.footprint.laneSpacingMetres, w = plan.footprint.widthMetres
        let laneLength = plan.lanes[sortie.segments[m].lane].segments.map(\.lengthMetres).reduce(0, +)
        let expected = (2 * s - w) * laneLength / plan.cellAreaSquareMetres
        if sideOverlap == 0 { #expect(abs(expected - s * laneLength / plan.cellAreaSquareMetres) < 1e-9) }
        #expect(abs((full.imagedFraction - holed.imagedFraction) - expected) < 0.01,
                "dropped \(full.imagedFraction - holed.imagedFraction), expected \(expected)")
        // The share that counts is configurable.
        let lenient = try #require(try accounting { $0.coveredShare = 0.5 }.account(cells: [Self.cell], track: cut).first)
        #expect(lenient.covered)
    }

    @Test func aTrackOnTheGroundImagesNothing() throws {
        let plan = try plan(sideOverlap: 0.2)
        let track = T.fly(plan.sorties[0], speed: plan.surveySpeedMetresPerSecond).map { s -> TrackSample in
            var x = s.sample
            x.altitudeMetres = 0
            return x
        }
        #expect(try accounting().account(cells: [Self.cell], track: track).isEmpty)
        // Below the minimum imaging altitude counts as on the ground too.
        let low = track.map { s -> TrackSample in var x = s; x.altitudeMetres = 15; return x }
        #expect(try accounting().account(cells: [Self.cell], track: low).isEmpty)
        #expect(try accounting { $0.minimumAltitudeMetres = 10 }.account(cells: [Self.cell], track: low).first?.imagedFraction ?? 0 > 0)
    }

    @Test func segmentsAcrossAGapAreNotCounted() throws {
        let plan = try plan(sideOverlap: 0.2)
        let track = T.fly(plan.sorties[0], speed: plan.surveySpeedMetresPerSecond).map(\.sample)
        // One sample in 15: every segment spans 15 s, beyond the 10 s allowed.
        let sparse = track.enumerated().filter { $0.offset % 15 == 0 }.map(\.element)
        #expect(try accounting().account(cells: [Self.cell], track: sparse).isEmpty)
        #expect(try accounting { $0.maximumGapSeconds = 15 }.account(cells: [Self.cell], track: sparse).first?.imagedFraction ?? 0 > 0.9)
        // A 60 s gap in the middle of a lane: the segment across it is lost, the rest counts.
        let lane = T.laneLegs(plan.sorties[0])[0]
        let full = T.fly(plan.sorties[0], speed: plan.surveySpeedMetresPerSecond)
        let mid = full.firstIndex { $0.leg == lane }! + 15
        let gapped = full.enumerated().map { i, s -> TrackSample in
            var x = s.sample
            if i > mid { x.time = x.time.adding(seconds: 60) }
            return x
        }
        let whole = try #require(try accounting().account(cells: [Self.cell], track: track).first)
        let broken = try #require(try accounting().account(cells: [Self.cell], track: gapped).first)
        #expect(broken.imagedFraction < whole.imagedFraction)
        #expect(broken.lastImaged == whole.lastImaged.adding(seconds: 60))
    }

    @Test func aCellNeverFlownIsNotReportedCovered() throws {
        let plan = try plan(sideOverlap: 0.2)
        let far = Fixtures.cell("B", Fixtures.ring([(-200, -200), (200, -200), (200, 200), (-200, 200)],
                                                  around: Fixtures.offset(Fixtures.centre, east: 3_000, north: 0)))
        let track = T.fly(plan.sorties[0], speed: plan.surveySpeedMetresPerSecond).map(\.sample)
        let result = try accounting().account(cells: [far, Self.cell], track: track)
        #expect(result.map(\.cell) == ["A"])
        // The scheduler's last-covered times move for the covered cell only, and never back.
        let before = ["B": Timestamp(milliseconds: 5), "A": Timestamp(milliseconds: 7)]
        let after = CoverageAccounting.updating(before, with: result)
        #expect(after["A"] == result[0].completed)
        #expect(after["B"] == before["B"])
        let later = ["A": result[0].completed!.adding(seconds: 1)]
        #expect(CoverageAccounting.updating(later, with: result) == later)
        // A bad polygon is refused with its id.
        let bad = GridCell(id: "Z", community: "Test", polygon: [Fixtures.centre, Fixtures.centre], revisitDays: 14)
        #expect(throws: CoveragePlannerError.self) { try accounting().account(cells: [bad], track: track) }
    }

    @Test func completionIsTheLastSampleThatAddedArea() throws {
        let plan = try plan(sideOverlap: 0.2)
        let flight = T.fly(plan.sorties[0], speed: plan.surveySpeedMetresPerSecond)
        let first = try #require(try accounting().account(cells: [Self.cell], track: flight.map(\.sample)).first)
        // Fly the first lane again an hour later: nothing new is imaged.
        let lane = T.laneLegs(plan.sorties[0])[0]
        let again = flight.filter { $0.leg == lane }.map { s -> TrackSample in var x = s.sample; x.time = x.time.adding(seconds: 3_600); return x }
        let twice = try #require(try accounting().account(cells: [Self.cell], track: flight.map(\.sample) + again).first)
        #expect(twice.imagedFraction == first.imagedFraction)
        #expect(twice.completed == first.completed)
    }

    /// A straight pass through the middle at altitude h images a band h·Sw/f wide (the unit
    /// camera's Sw/f is 1): a quarter of the 400 m cell at 100 m, an eighth at 50 m.
    @Test(arguments: [(100.0, 0.25), (50.0, 0.125)])
    func aStraightPassImagesItsSwath(altitude: Double, share: Double) throws {
        let track = stride(from: -300.0, through: 300, by: 10).enumerated().map { i, north in
            TrackSample(time: T.t0.adding(seconds: Double(i)), coordinate: Fixtures.offset(Fixtures.centre, east: 0, north: north), altitudeMetres: altitude)
        }
        let a = try #require(try accounting().account(cells: [Self.cell], track: track).first)
        #expect(abs(a.imagedFraction - share) < 0.01, "\(a.imagedFraction)")
        #expect(!a.covered)
        #expect(a.lastImaged == track[50].time)  // the sample at 200 m north, on the cell's edge
    }
}
