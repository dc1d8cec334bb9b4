import TianyanModel

/// The waypoints a simulated flight follows, at cruise altitude.
enum PatrolRoute {
    /// A lawnmower of `lanes` north-south lanes, `laneLength` metres long and `spacing` apart,
    /// centred on `centre`; every other lane is flown southwards.
    static func lawnmower(around centre: Coordinate, lanes: Int = 4, laneLength: Double = 400, spacing: Double = 100) -> [Coordinate] {
        var points: [Coordinate] = []
        let firstOffset = -Double(lanes - 1) * spacing / 2
        for lane in 0..<lanes {
            let east = firstOffset + Double(lane) * spacing
            let lanePoint = Geodesy.destination(from: centre, bearing: east >= 0 ? 90 : 270, distance: abs(east))
            let south = Geodesy.destination(from: lanePoint, bearing: 180, distance: laneLength / 2)
            let north = Geodesy.destination(from: lanePoint, bearing: 0, distance: laneLength / 2)
            points += lane % 2 == 0 ? [south, north] : [north, south]
        }
        return points
    }

    /// The non-standard `tianyan_route` of a `flighttask_prepare`: an array of [lat, lon] pairs.
    /// Nil when absent or without a single valid point.
    static func custom(from data: JSONValue?) -> [Coordinate]? {
        guard let pairs = data?["tianyan_route"]?.arrayValue else { return nil }
        let points = pairs.compactMap { pair -> Coordinate? in
            guard let a = pair.arrayValue, a.count >= 2, let lat = a[0].doubleValue, let lon = a[1].doubleValue else { return nil }
            let c = Coordinate(latitude: lat, longitude: lon)
            return c.isValid && !(lat == 0 && lon == 0) ? c : nil
        }
        return points.isEmpty ? nil : points
    }

    /// Length of the path through `points`, metres.
    static func length(_ points: [Coordinate]) -> Double {
        zip(points, points.dropFirst()).reduce(0) { $0 + Geodesy.distance($1.0, $1.1) }
    }
}
