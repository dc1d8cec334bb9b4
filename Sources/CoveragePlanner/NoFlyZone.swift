import TianyanModel

/// An area drones must keep out of (airport approach, prison, an event). Lanes are clipped out of
/// it and transits go around it.
public struct NoFlyZone: Hashable, Sendable, Codable {
    public var id: String
    /// Ring, WGS-84; the closing vertex may be repeated or not.
    public var polygon: [Coordinate]

    public init(id: String, polygon: [Coordinate]) {
        self.id = id
        self.polygon = polygon
    }
}
