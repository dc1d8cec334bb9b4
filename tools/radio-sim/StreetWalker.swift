import Foundation
import TianyanModel

/// A square street grid laid over the sample town: intersections every `blockMetres` in both
/// directions, covering the FleetSample cells (Chang'an, about 22.72-22.88 N, 113.71-113.89 E).
struct StreetGrid: Hashable, Sendable {
    var south: Double
    var west: Double
    var latitudeStep: Double
    var longitudeStep: Double
    /// Intersections run 0...columns east-west and 0...rows south-north.
    var columns: Int
    var rows: Int
    var blockMetres: Double

    init(center: Coordinate = FleetSample.center, halfHeightDegrees: Double = 0.08, halfWidthDegrees: Double = 0.087,
         blockMetres: Double = 200) {
        self.blockMetres = blockMetres
        latitudeStep = blockMetres / 111_320
        longitudeStep = blockMetres / (111_320 * cos(center.latitude * .pi / 180))
        south = center.latitude - halfHeightDegrees
        west = center.longitude - halfWidthDegrees
        rows = Int(2 * halfHeightDegrees / latitudeStep)
        columns = Int(2 * halfWidthDegrees / longitudeStep)
    }

    func coordinate(x: Double, y: Double) -> Coordinate {
        Coordinate(latitude: south + y * latitudeStep, longitude: west + x * longitudeStep)
    }

    /// The intersection nearest to a point `east`, `north` km from the grid's centre.
    func intersection(eastKm: Double, northKm: Double) -> (x: Int, y: Int) {
        let x = Int((Double(columns) / 2 + eastKm * 1000 / blockMetres).rounded())
        let y = Int((Double(rows) / 2 + northKm * 1000 / blockMetres).rounded())
        return (min(max(x, 0), columns), min(max(y, 0), rows))
    }
}

/// One radio user moving along the streets: standing, walking or driving, turning at
/// intersections at random and never leaving the grid.
struct StreetWalker: Hashable, Sendable {
    enum Mode: Hashable, Sendable { case stationary, walking, driving }

    /// Position in blocks from the grid's south-west corner; one of the two is always whole.
    var x: Double
    var y: Double
    /// Unit step along the street: exactly one of them is ±1.
    var dx: Int
    var dy: Int
    var mode: Mode = .stationary
    /// Metres per second.
    var speed: Double = 0
    var modeUntil: Timestamp
    var lastUpdate: Timestamp
    /// Metres moved since the last location report.
    var travelledSinceReport: Double = 0

    init(x: Int, y: Int, at time: Timestamp, rng: inout SeededGenerator) {
        self.x = Double(x)
        self.y = Double(y)
        (dx, dy) = Self.directions.randomElement(using: &rng)!
        modeUntil = time
        lastUpdate = time
    }

    static let directions = [(1, 0), (0, 1), (-1, 0), (0, -1)]

    /// 0 = north, 90 = east.
    var headingDegrees: Double {
        switch (dx, dy) {
        case (1, _): 90
        case (-1, _): 270
        case (_, -1): 180
        default: 0
        }
    }

    var kilometresPerHour: Double { speed * 3.6 }

    /// Picks a new way of moving for a while; pilots drive more, officers walk more.
    mutating func chooseMode(at time: Timestamp, pilot: Bool, rng: inout SeededGenerator) {
        let r = Double.random(in: 0..<1, using: &rng)
        let (stationary, walking) = pilot ? (0.5, 0.15) : (0.35, 0.45)
        let minutes: Double
        if r < stationary {
            mode = .stationary
            speed = 0
            minutes = Double.random(in: 2...15, using: &rng)
        } else if r < stationary + walking {
            mode = .walking
            speed = Double.random(in: 3.5...6, using: &rng) / 3.6
            minutes = Double.random(in: 3...15, using: &rng)
        } else {
            mode = .driving
            speed = Double.random(in: 20...50, using: &rng) / 3.6
            minutes = Double.random(in: 2...10, using: &rng)
        }
        modeUntil = time.adding(seconds: minutes * 60)
    }

    /// Moves along the streets at the current speed up to `time`.
    mutating func move(to time: Timestamp, grid: StreetGrid, rng: inout SeededGenerator) {
        let seconds = Double(time.milliseconds - lastUpdate.milliseconds) / 1000
        lastUpdate = max(lastUpdate, time)
        guard seconds > 0, speed > 0 else { return }
        travelledSinceReport += speed * seconds
        var remaining = speed * seconds / grid.blockMetres
        var turns = 0
        while remaining > 1e-9, turns < 10_000 {
            let horizontal = dx != 0
            let position = horizontal ? x : y
            let step = Double(horizontal ? dx : dy)
            let target = step > 0 ? (position + 1e-9).rounded(.down) + 1 : (position - 1e-9).rounded(.up) - 1
            let distance = abs(target - position)
            if remaining < distance {
                if horizontal { x += step * remaining } else { y += step * remaining }
                return
            }
            if horizontal { x = target } else { y = target }
            remaining -= distance
            turn(grid: grid, rng: &rng)
            turns += 1
        }
    }

    /// At an intersection: mostly straight on, sometimes left or right, rarely back.
    private mutating func turn(grid: StreetGrid, rng: inout SeededGenerator) {
        let ix = Int(x.rounded()), iy = Int(y.rounded())
        x = Double(ix)
        y = Double(iy)
        let options: [(dx: Int, dy: Int, weight: Double)] = [
            (dx, dy, 6), (-dy, dx, 1.5), (dy, -dx, 1.5), (-dx, -dy, 1),
        ]
        let open = options.filter { o in
            (0...grid.columns).contains(ix + o.dx) && (0...grid.rows).contains(iy + o.dy)
        }
        let total = open.reduce(0) { $0 + $1.weight }
        var pick = Double.random(in: 0..<total, using: &rng)
        for o in open {
            pick -= o.weight
            if pick < 0 {
                dx = o.dx
                dy = o.dy
                return
            }
        }
        if let last = open.last { dx = last.dx; dy = last.dy }
    }
}
