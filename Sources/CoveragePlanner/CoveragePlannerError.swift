/// A cell, no-fly zone or configuration the planner cannot work with. The message names the input
/// and says what to fix.
public struct CoveragePlannerError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case emptyCell, selfIntersectingCell, invalidCoordinate, degenerateCell, cellTooLarge, invalidNoFlyZone, invalidConfiguration
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Fewer than three distinct vertices.
        public static let emptyCell = Code(.emptyCell)
        /// Two edges of the ring cross or touch.
        public static let selfIntersectingCell = Code(.selfIntersectingCell)
        /// A latitude or longitude that is not finite or out of range.
        public static let invalidCoordinate = Code(.invalidCoordinate)
        /// Vertices on one line: no area to fly.
        public static let degenerateCell = Code(.degenerateCell)
        /// Wider than a drone could ever survey (the lane count would explode).
        public static let cellTooLarge = Code(.cellTooLarge)
        public static let invalidNoFlyZone = Code(.invalidNoFlyZone)
        /// Altitude, overlaps, speeds or camera values the planner cannot use.
        public static let invalidConfiguration = Code(.invalidConfiguration)

        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
