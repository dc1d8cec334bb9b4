import Foundation
import TianyanModel

/// A point in a local metric frame: `x` metres east and `y` metres north of the frame's origin.
public struct PlanePoint: Hashable, Sendable, Codable {
    public var x: Double
    public var y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    static func + (a: PlanePoint, b: PlanePoint) -> PlanePoint { PlanePoint(x: a.x + b.x, y: a.y + b.y) }
    static func - (a: PlanePoint, b: PlanePoint) -> PlanePoint { PlanePoint(x: a.x - b.x, y: a.y - b.y) }
    static func * (a: PlanePoint, k: Double) -> PlanePoint { PlanePoint(x: a.x * k, y: a.y * k) }

    func distance(to b: PlanePoint) -> Double { hypot(b.x - x, b.y - y) }
}

/// An equirectangular (east, north) projection around an origin on the sphere of `Geodesy.earthRadius`.
///
/// North-south distances are exact along meridians; east-west ones use the origin's latitude, so a
/// point `d` km north or south of the origin is off by a relative `tan(lat) · d / R` (0.03 % at 5 km
/// and 23° N, 0.07 % at 10 km). Cells are a few hundred metres across and docks a few km away.
public struct LocalFrame: Hashable, Sendable {
    public let origin: Coordinate
    let metresPerDegreeLatitude: Double
    let metresPerDegreeLongitude: Double

    public init(origin: Coordinate) {
        self.origin = origin
        metresPerDegreeLatitude = Geodesy.earthRadius * .pi / 180
        metresPerDegreeLongitude = metresPerDegreeLatitude * cos(origin.latitude * .pi / 180)
    }

    public func project(_ c: Coordinate) -> PlanePoint {
        var dLon = c.longitude - origin.longitude
        if dLon > 180 { dLon -= 360 } else if dLon < -180 { dLon += 360 }
        return PlanePoint(x: dLon * metresPerDegreeLongitude, y: (c.latitude - origin.latitude) * metresPerDegreeLatitude)
    }

    public func unproject(_ p: PlanePoint) -> Coordinate {
        var lon = origin.longitude + p.x / metresPerDegreeLongitude
        if lon > 180 { lon -= 360 } else if lon < -180 { lon += 360 }
        return Coordinate(latitude: origin.latitude + p.y / metresPerDegreeLatitude, longitude: lon)
    }
}
