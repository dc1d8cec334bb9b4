import Foundation

/// Small planar routines the planner needs, on rings of `PlanePoint` (open: no repeated vertex).
enum PlaneGeometry {
    /// Twice the signed area (positive for counter-clockwise rings).
    static func doubleSignedArea(_ ring: [PlanePoint]) -> Double {
        var s = 0.0
        var j = ring.count - 1
        for i in ring.indices {
            s += ring[j].x * ring[i].y - ring[i].x * ring[j].y
            j = i
        }
        return s
    }

    /// Even-odd point-in-polygon.
    static func contains(_ ring: [PlanePoint], _ p: PlanePoint) -> Bool {
        var inside = false
        var j = ring.count - 1
        for i in ring.indices {
            let a = ring[i], b = ring[j]
            if (a.y > p.y) != (b.y > p.y) {
                let x = (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x
                if p.x < x { inside.toggle() }
            }
            j = i
        }
        return inside
    }

    /// Distance from `p` to the segment `a`–`b`.
    static func distance(_ p: PlanePoint, toSegment a: PlanePoint, _ b: PlanePoint) -> Double {
        let dx = b.x - a.x, dy = b.y - a.y
        let len2 = dx * dx + dy * dy
        guard len2 > 0 else { return p.distance(to: a) }
        let t = max(0, min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2))
        return hypot(a.x + t * dx - p.x, a.y + t * dy - p.y)
    }

    @inline(__always) static func orient(_ a: PlanePoint, _ b: PlanePoint, _ c: PlanePoint) -> Double {
        (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
    }

    /// True when the open segments cross at a single interior point of both (touching does not count).
    static func properlyIntersect(_ p1: PlanePoint, _ p2: PlanePoint, _ q1: PlanePoint, _ q2: PlanePoint) -> Bool {
        let eps = 1e-9
        let d1 = orient(q1, q2, p1), d2 = orient(q1, q2, p2)
        let d3 = orient(p1, p2, q1), d4 = orient(p1, p2, q2)
        return ((d1 > eps && d2 < -eps) || (d1 < -eps && d2 > eps)) && ((d3 > eps && d4 < -eps) || (d3 < -eps && d4 > eps))
    }

    /// True when the segment `a`–`b` passes through the interior of `ring`. A segment that only
    /// runs along or touches the boundary (a lane clipped at a no-fly edge) does not count.
    static func segmentCrossesInterior(_ a: PlanePoint, _ b: PlanePoint, _ ring: [PlanePoint]) -> Bool {
        var j = ring.count - 1
        for i in ring.indices {
            if properlyIntersect(a, b, ring[j], ring[i]) { return true }
            j = i
        }
        return contains(ring, (a + b) * 0.5)
    }

    /// The `u` intervals where the line `v = level` lies inside a ring given as parallel `u`/`v` arrays.
    static func scanline(u: [Double], v: [Double], at level: Double, into out: inout [ClosedRange<Double>]) {
        var xs: [Double] = []
        var j = u.count - 1
        for i in u.indices {
            if (v[i] > level) != (v[j] > level) {
                xs.append(u[i] + (level - v[i]) * (u[j] - u[i]) / (v[j] - v[i]))
            }
            j = i
        }
        guard xs.count >= 2 else { return }
        xs.sort()
        var k = 0
        while k + 1 < xs.count {
            out.append(xs[k]...xs[k + 1])
            k += 2
        }
    }

    /// Sorted union of intervals; intervals closer than `tolerance` are joined.
    static func merge(_ intervals: [ClosedRange<Double>], tolerance: Double) -> [ClosedRange<Double>] {
        guard !intervals.isEmpty else { return [] }
        let sorted = intervals.sorted { $0.lowerBound < $1.lowerBound }
        var out: [ClosedRange<Double>] = []
        var current = sorted[0]
        for r in sorted.dropFirst() {
            if r.lowerBound <= current.upperBound + tolerance {
                current = current.lowerBound...max(current.upperBound, r.upperBound)
            } else {
                out.append(current)
                current = r
            }
        }
        out.append(current)
        return out
    }

    /// `intervals` minus `holes` (both sorted and disjoint after `merge`); pieces shorter than
    /// `minimumLength` are dropped.
    static func subtract(_ intervals: [ClosedRange<Double>], _ holes: [ClosedRange<Double>], minimumLength: Double) -> [ClosedRange<Double>] {
        guard !holes.isEmpty else { return intervals }
        var out: [ClosedRange<Double>] = []
        for r in intervals {
            var start = r.lowerBound
            for h in holes where h.upperBound > start && h.lowerBound < r.upperBound {
                if h.lowerBound > start, h.lowerBound - start >= minimumLength { out.append(start...h.lowerBound) }
                start = max(start, h.upperBound)
            }
            if r.upperBound - start >= minimumLength { out.append(start...r.upperBound) }
        }
        return out
    }

    /// The part of segment `a`–`b` inside the circle of `radius` around `centre`, or nil.
    static func clip(_ a: PlanePoint, _ b: PlanePoint, toCircle centre: PlanePoint, radius: Double) -> (PlanePoint, PlanePoint)? {
        let d = b - a, f = a - centre
        let aa = d.x * d.x + d.y * d.y
        let bb = 2 * (f.x * d.x + f.y * d.y)
        let cc = f.x * f.x + f.y * f.y - radius * radius
        if aa == 0 { return cc <= 0 ? (a, b) : nil }
        let disc = bb * bb - 4 * aa * cc
        if disc <= 0 { return nil }
        let s = disc.squareRoot()
        let t0 = max(0, (-bb - s) / (2 * aa)), t1 = min(1, (-bb + s) / (2 * aa))
        if t0 >= t1 { return nil }
        return (a + d * t0, a + d * t1)
    }
}
