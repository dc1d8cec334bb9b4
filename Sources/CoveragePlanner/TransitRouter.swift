import Foundation

/// Shortest straight-leg paths in the plane that keep out of no-fly zones: a visibility graph over
/// the zones' convex corners, each pushed out by a clearance, searched with Dijkstra.
struct TransitRouter {
    let zones: [[PlanePoint]]
    /// Corners to turn at, outside every zone.
    private let nodes: [PlanePoint]
    /// Whether node i sees node j (row-major), computed once.
    private let visible: [Bool]

    init(zones: [[PlanePoint]], clearance: Double) {
        self.zones = zones
        var nodes: [PlanePoint] = []
        for ring in zones {
            let n = ring.count
            for i in 0..<n {
                let prev = ring[(i + n - 1) % n], p = ring[i], next = ring[(i + 1) % n]
                // Rings are counter-clockwise: a convex corner turns left.
                guard PlaneGeometry.orient(prev, p, next) > 0 else { continue }
                let a = p - prev, b = next - p
                let la = hypot(a.x, a.y), lb = hypot(b.x, b.y)
                guard la > 0, lb > 0 else { continue }
                // Outward normals of both edges (right of a counter-clockwise edge), averaged.
                let na = PlanePoint(x: a.y / la, y: -a.x / la), nb = PlanePoint(x: b.y / lb, y: -b.x / lb)
                var m = na + nb
                let lm = hypot(m.x, m.y)
                guard lm > 0 else { continue }
                m = m * (1 / lm)
                let q = p + m * max(clearance, 0.01)
                if !zones.contains(where: { PlaneGeometry.contains($0, q) }) { nodes.append(q) }
            }
        }
        self.nodes = nodes
        var visible = [Bool](repeating: false, count: nodes.count * nodes.count)
        for i in nodes.indices {
            for j in nodes.indices where j > i {
                let v = !Self.crosses(nodes[i], nodes[j], zones)
                visible[i * nodes.count + j] = v
                visible[j * nodes.count + i] = v
            }
        }
        self.visible = visible
    }

    static func crosses(_ a: PlanePoint, _ b: PlanePoint, _ zones: [[PlanePoint]]) -> Bool {
        zones.contains { PlaneGeometry.segmentCrossesInterior(a, b, $0) }
    }

    /// The path from `a` to `b` (both included) and whether it keeps out of every zone. When no
    /// path exists the straight line is returned with `clear` false.
    func path(from a: PlanePoint, to b: PlanePoint) -> (points: [PlanePoint], clear: Bool) {
        if zones.isEmpty || !Self.crosses(a, b, zones) { return ([a, b], true) }
        // Node indices: 0 = a, 1 = b, 2... = corners.
        let count = nodes.count + 2
        func point(_ i: Int) -> PlanePoint { i == 0 ? a : (i == 1 ? b : nodes[i - 2]) }
        func sees(_ i: Int, _ j: Int) -> Bool {
            if i >= 2 && j >= 2 { return visible[(i - 2) * nodes.count + (j - 2)] }
            return !Self.crosses(point(i), point(j), zones)
        }
        var dist = [Double](repeating: .infinity, count: count)
        var prev = [Int](repeating: -1, count: count)
        var done = [Bool](repeating: false, count: count)
        dist[0] = 0
        while true {
            var u = -1
            for i in 0..<count where !done[i] && dist[i] < .infinity && (u < 0 || dist[i] < dist[u]) { u = i }
            if u < 0 || u == 1 { break }
            done[u] = true
            for v in 0..<count where !done[v] && v != u {
                let d = dist[u] + point(u).distance(to: point(v))
                if d < dist[v], sees(u, v) {
                    dist[v] = d
                    prev[v] = u
                }
            }
        }
        guard dist[1] < .infinity else { return ([a, b], false) }
        var chain: [PlanePoint] = []
        var i = 1
        while i >= 0 {
            chain.append(point(i))
            i = prev[i]
        }
        return (chain.reversed(), true)
    }
}
