@testable import dock_sim

/// The simulator's own JSON value (the model has one too, named the same): these tests mean the simulator's.
typealias JSONValue = dock_sim.JSONValue
