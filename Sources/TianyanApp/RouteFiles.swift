import Synchronization

/// The route files (KMZ) the docks fetch, by name `<md5>.kmz`. A name is the file's own MD5, so a
/// dock that checks the fingerprint can never get another sortie's route, and names cannot be
/// guessed before the dock is told.
public final class RouteFiles: Sendable {
    private let files = Mutex<[String: [UInt8]]>([:])

    public init() {}

    /// Adds a file under its fingerprint (lower-case hex MD5) and returns its name.
    @discardableResult
    public func add(_ bytes: [UInt8], fingerprint: String) -> String {
        let name = fingerprint.lowercased() + ".kmz"
        files.withLock { $0[name] = bytes }
        return name
    }

    public func remove(fingerprint: String) {
        _ = files.withLock { $0.removeValue(forKey: fingerprint.lowercased() + ".kmz") }
    }

    /// The file called `name`, if it is one of ours. Anything but `<32 hex>.kmz` is nil.
    public func file(named name: String) -> [UInt8]? {
        guard name.utf8.count == 36, name.hasSuffix(".kmz"),
              name.utf8.prefix(32).allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        return files.withLock { $0[name] }
    }

    public var count: Int { files.withLock { $0.count } }
}
