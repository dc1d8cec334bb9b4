import Foundation

/// A WGS-84 point. Latitude and longitude in degrees.
public struct Coordinate: Hashable, Sendable, Codable {
    public var latitude: Double
    public var longitude: Double

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    /// True when both values are finite and inside the WGS-84 range.
    public var isValid: Bool {
        latitude.isFinite && longitude.isFinite && (-90...90).contains(latitude) && (-180...180).contains(longitude)
    }
}

/// Distances, bearings, areas and display datum conversion. WGS-84 inside, GCJ-02 only for display.
public enum Geodesy {
    /// Mean Earth radius (IUGG), metres.
    public static let earthRadius = 6_371_008.8

    @inline(__always) static func rad(_ d: Double) -> Double { d * .pi / 180 }
    @inline(__always) static func deg(_ r: Double) -> Double { r * 180 / .pi }

    /// Great-circle distance in metres (haversine).
    public static func distance(_ a: Coordinate, _ b: Coordinate) -> Double {
        let dLat = rad(b.latitude - a.latitude)
        let dLon = rad(b.longitude - a.longitude)
        let h = sin(dLat / 2) * sin(dLat / 2)
            + cos(rad(a.latitude)) * cos(rad(b.latitude)) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * earthRadius * asin(min(1, sqrt(h)))
    }

    /// Initial bearing from `a` to `b`, degrees clockwise from true north in [0, 360).
    public static func bearing(from a: Coordinate, to b: Coordinate) -> Double {
        let φ1 = rad(a.latitude), φ2 = rad(b.latitude), Δλ = rad(b.longitude - a.longitude)
        let y = sin(Δλ) * cos(φ2)
        let x = cos(φ1) * sin(φ2) - sin(φ1) * cos(φ2) * cos(Δλ)
        let θ = deg(atan2(y, x))
        return (θ + 360).truncatingRemainder(dividingBy: 360)
    }

    /// The point at `distance` metres from `origin` along `bearing` degrees.
    public static func destination(from origin: Coordinate, bearing: Double, distance: Double) -> Coordinate {
        let δ = distance / earthRadius, θ = rad(bearing)
        let φ1 = rad(origin.latitude), λ1 = rad(origin.longitude)
        let φ2 = asin(sin(φ1) * cos(δ) + cos(φ1) * sin(δ) * cos(θ))
        let λ2 = λ1 + atan2(sin(θ) * sin(δ) * cos(φ1), cos(δ) - sin(φ1) * sin(φ2))
        return Coordinate(latitude: deg(φ2), longitude: (deg(λ2) + 540).truncatingRemainder(dividingBy: 360) - 180)
    }

    /// Area of a simple polygon (ring of vertices, closed or not) in square metres, on the sphere.
    public static func area(of ring: [Coordinate]) -> Double {
        let pts = ring.openRing
        guard pts.count >= 3 else { return 0 }
        var total = 0.0
        for i in 0..<pts.count {
            let p1 = pts[i], p2 = pts[(i + 1) % pts.count]
            total += rad(p2.longitude - p1.longitude) * (2 + sin(rad(p1.latitude)) + sin(rad(p2.latitude)))
        }
        return abs(total * earthRadius * earthRadius / 2)
    }

    /// Even-odd point-in-polygon test in the lon/lat plane (cells are small; no antimeridian).
    public static func contains(_ ring: [Coordinate], _ p: Coordinate) -> Bool {
        let pts = ring.openRing
        guard pts.count >= 3 else { return false }
        var inside = false
        var j = pts.count - 1
        for i in 0..<pts.count {
            let a = pts[i], b = pts[j]
            if (a.latitude > p.latitude) != (b.latitude > p.latitude) {
                let x = (b.longitude - a.longitude) * (p.latitude - a.latitude) / (b.latitude - a.latitude) + a.longitude
                if p.longitude < x { inside.toggle() }
            }
            j = i
        }
        return inside
    }

    /// The first pair of non-adjacent edges that cross or touch, as edge indices, or nil for a simple ring.
    public static func selfIntersection(of ring: [Coordinate]) -> (Int, Int)? {
        let pts = ring.openRing
        let n = pts.count
        guard n >= 4 else { return nil }
        for i in 0..<n {
            let a1 = pts[i], a2 = pts[(i + 1) % n]
            for j in (i + 1)..<n {
                if j == i + 1 || (i == 0 && j == n - 1) { continue }
                let b1 = pts[j], b2 = pts[(j + 1) % n]
                if segmentsIntersect(a1, a2, b1, b2) { return (i, j) }
            }
        }
        return nil
    }

    static func segmentsIntersect(_ p1: Coordinate, _ p2: Coordinate, _ q1: Coordinate, _ q2: Coordinate) -> Bool {
        func orient(_ a: Coordinate, _ b: Coordinate, _ c: Coordinate) -> Double {
            (b.longitude - a.longitude) * (c.latitude - a.latitude) - (b.latitude - a.latitude) * (c.longitude - a.longitude)
        }
        func onSegment(_ a: Coordinate, _ b: Coordinate, _ c: Coordinate) -> Bool {
            min(a.longitude, b.longitude) <= c.longitude && c.longitude <= max(a.longitude, b.longitude)
                && min(a.latitude, b.latitude) <= c.latitude && c.latitude <= max(a.latitude, b.latitude)
        }
        let d1 = orient(q1, q2, p1), d2 = orient(q1, q2, p2)
        let d3 = orient(p1, p2, q1), d4 = orient(p1, p2, q2)
        if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) { return true }
        if d1 == 0 && onSegment(q1, q2, p1) { return true }
        if d2 == 0 && onSegment(q1, q2, p2) { return true }
        if d3 == 0 && onSegment(p1, p2, q1) { return true }
        if d4 == 0 && onSegment(p1, p2, q2) { return true }
        return false
    }

    /// Centroid of the vertices (good enough for small convex-ish cells).
    public static func centroid(of ring: [Coordinate]) -> Coordinate {
        let pts = ring.openRing
        guard !pts.isEmpty else { return Coordinate(latitude: 0, longitude: 0) }
        let lat = pts.map(\.latitude).reduce(0, +) / Double(pts.count)
        let lon = pts.map(\.longitude).reduce(0, +) / Double(pts.count)
        return Coordinate(latitude: lat, longitude: lon)
    }

    // MARK: GCJ-02 (the obfuscated datum of Chinese basemaps), for display only.

    private static let krasovskyA = 6_378_245.0
    private static let krasovskyEE = 0.006_693_421_622_965_943_23

    /// True outside mainland China's rough bounding box, where GCJ-02 equals WGS-84.
    public static func outsideChina(_ c: Coordinate) -> Bool {
        c.longitude < 72.004 || c.longitude > 137.8347 || c.latitude < 0.8293 || c.latitude > 55.8271
    }

    private static func gcjOffset(_ c: Coordinate) -> (dLat: Double, dLon: Double) {
        let x = c.longitude - 105, y = c.latitude - 35
        var lat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
        lat += (20 * sin(6 * x * .pi) + 20 * sin(2 * x * .pi)) * 2 / 3
        lat += (20 * sin(y * .pi) + 40 * sin(y / 3 * .pi)) * 2 / 3
        lat += (160 * sin(y / 12 * .pi) + 320 * sin(y * .pi / 30)) * 2 / 3
        var lon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
        lon += (20 * sin(6 * x * .pi) + 20 * sin(2 * x * .pi)) * 2 / 3
        lon += (20 * sin(x * .pi) + 40 * sin(x / 3 * .pi)) * 2 / 3
        lon += (150 * sin(x / 12 * .pi) + 300 * sin(x / 30 * .pi)) * 2 / 3
        let radLat = rad(c.latitude)
        var magic = sin(radLat)
        magic = 1 - krasovskyEE * magic * magic
        let sqrtMagic = sqrt(magic)
        let dLat = (lat * 180) / ((krasovskyA * (1 - krasovskyEE)) / (magic * sqrtMagic) * .pi)
        let dLon = (lon * 180) / (krasovskyA / sqrtMagic * cos(radLat) * .pi)
        return (dLat, dLon)
    }

    /// WGS-84 → GCJ-02 (display on Chinese basemaps).
    public static func wgs84ToGCJ02(_ c: Coordinate) -> Coordinate {
        if outsideChina(c) { return c }
        let d = gcjOffset(c)
        return Coordinate(latitude: c.latitude + d.dLat, longitude: c.longitude + d.dLon)
    }

    /// GCJ-02 → WGS-84 by fixed-point iteration (better than 1 cm after a few rounds).
    public static func gcj02ToWGS84(_ g: Coordinate) -> Coordinate {
        if outsideChina(g) { return g }
        var w = g
        for _ in 0..<10 {
            let back = wgs84ToGCJ02(w)
            let eLat = back.latitude - g.latitude, eLon = back.longitude - g.longitude
            w = Coordinate(latitude: w.latitude - eLat, longitude: w.longitude - eLon)
            if abs(eLat) < 1e-10 && abs(eLon) < 1e-10 { break }
        }
        return w
    }
}

extension Array where Element == Coordinate {
    /// The ring without its closing vertex (GeoJSON repeats the first point at the end).
    public var openRing: [Coordinate] {
        if count >= 2, first == last { return Array(dropLast()) }
        return self
    }
}
