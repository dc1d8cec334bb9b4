import Synchronization

/// The route files (KMZ) the docks fetch, by name `<md5>.kmz`. A name is the file's own MD5, so a
/// dock that checks the fingerprint can never get another sortie's route, and names cannot be
/// guessed before the dock is told. Each file is kept for the flights (sortie ids) it was added
/// for, and goes when the last of them is removed.
public final class RouteFiles: Sendable {
    private struct Contents {
        var files: [String: [UInt8]] = [:]
        /// The file's name for each flight it was added for.
        var flights: [String: String] = [:]
    }

    private let contents = Mutex(Contents())

    public init() {}

    /// Adds a file under its fingerprint (lower-case hex MD5) for `flight`, and returns its name.
    /// A flight given again replaces its earlier file.
    @discardableResult
    public func add(_ bytes: [UInt8], fingerprint: String, flight: String? = nil) -> String {
        let name = fingerprint.lowercased() + ".kmz"
        contents.withLock { c in
            if let flight, let old = c.flights.updateValue(name, forKey: flight), old != name { Self.drop(old, unlessUsedIn: &c) }
            c.files[name] = bytes
        }
        return name
    }

    /// The flight is over (or its dock never took it): its file goes unless another flight still has it.
    public func remove(flight: String) {
        contents.withLock { c in
            guard let name = c.flights.removeValue(forKey: flight) else { return }
            Self.drop(name, unlessUsedIn: &c)
        }
    }

    private static func drop(_ name: String, unlessUsedIn c: inout Contents) {
        if !c.flights.values.contains(name) { c.files.removeValue(forKey: name) }
    }

    /// The file called `name`, if it is one of ours. Anything but `<32 hex>.kmz` is nil.
    public func file(named name: String) -> [UInt8]? {
        guard name.utf8.count == 36, name.hasSuffix(".kmz"),
              name.utf8.prefix(32).allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        return contents.withLock { $0.files[name] }
    }

    /// The name of the file kept for `flight`, if any.
    public func name(forFlight flight: String) -> String? { contents.withLock { $0.flights[flight] } }

    public var count: Int { contents.withLock { $0.files.count } }
}
