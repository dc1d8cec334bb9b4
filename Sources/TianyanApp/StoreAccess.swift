import TianyanDispatch
import TianyanModel
import TianyanSQLite

/// The store the configuration names, for a one-shot command (`tianyan units`, `users add`, …):
/// its read side, a sink whose records commit when `flush` (or a wait) asks, and the users on it.
/// The commands see the ports only, so another store adapter is opened here and nowhere else.
public struct StoreAccess: Sendable {
    public let store: any FleetStorage
    public let sink: any RecordSink
    public let users: UserDirectory
    /// Where it is (a file path), for messages.
    public let location: String
    /// Commits everything handed to `sink` so far.
    public let flush: @Sendable () async throws -> Void
}

extension Controller {
    /// Opens the configured store: a SQLite file (`database`: a path or `sqlite://` URL). Any
    /// other scheme is refused with the reason by the SQLite adapter's URL check.
    public func openStore() throws -> StoreAccess {
        let database = try openDatabase()
        let writer = StoreWriter(database: database, logger: logger)
        return StoreAccess(store: FleetStore(database: database), sink: writer, users: UserDirectory(database: database),
                           location: database.path, flush: { try await writer.flush() })
    }
}
