import TianyanModel

/// The latest state of each unit within one batch of records, which a store adapter folds into
/// its unit table at the batch's end, never moving a unit back in time. Shared by the SQLite and
/// PostgreSQL adapters so both follow one rule: a position moves a unit's last position only
/// forward and guesses its kind (a LIP report: a radio; anything else: a drone); a sighting says
/// what the unit is.
public struct UnitStateFold: Sendable {
    public struct Row: Sendable {
        public var kind: UnitKind
        /// A sighting said what the unit is; a position alone only guessed it.
        public var kindKnown: Bool
        public var lastSeen: Timestamp
        public var position: Position?
    }

    public private(set) var rows: [String: Row] = [:]

    public init() {}

    public var isEmpty: Bool { rows.isEmpty }

    public mutating func note(position p: Position) {
        note(p.unit, kind: p.source.isRadio ? .radio : .drone, time: p.time, position: p, kindIsKnown: false)
    }

    public mutating func note(sighting s: UnitSighting) {
        note(s.unit, kind: s.kind, time: s.time, position: nil, kindIsKnown: true)
    }

    mutating func note(_ unit: String, kind: UnitKind, time: Timestamp, position: Position?, kindIsKnown: Bool) {
        if var row = rows[unit] {
            if kindIsKnown {
                row.kind = kind
                row.kindKnown = true
            }
            if time > row.lastSeen { row.lastSeen = time }
            if let position, row.position.map({ position.time >= $0.time }) ?? true { row.position = position }
            rows[unit] = row
        } else {
            rows[unit] = Row(kind: kind, kindKnown: kindIsKnown, lastSeen: time, position: position)
        }
    }

    public mutating func removeAll() { rows.removeAll(keepingCapacity: true) }
}
