import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization
import TianyanModel

/// A PostgreSQL database named by a `postgres://user:password@host:port/database?sslmode=…`
/// URL: a connection pool (postgres-nio's `PostgresClient`, run in a task of its own for as long
/// as the database is open) and the schema, migrated forward when opened.
public final class PostgresStoreDatabase: Sendable {
    /// The URL's parts. `sslmode` is `disable`, `prefer` (the default, as libpq's) or `require`;
    /// `host=/dir` in the query (or a host that is a path) connects through a Unix socket.
    public struct Location: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String
        public var sslMode: String
        /// Unix socket directory, when the host is one.
        public var socketDirectory: String?

        public init(url text: String) throws {
            guard let components = URLComponents(string: text), let scheme = components.scheme,
                  scheme == "postgres" || scheme == "postgresql" else {
                throw DispatchError.invalid("\(Self.redacted(text)) is not a postgres:// URL (postgres://user:password@host:5432/database)",
                                            field: "database")
            }
            let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }) { _, b in b }
            host = components.host.map { $0.removingPercentEncoding ?? $0 }.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
            port = components.port ?? 5432
            user = components.user.map { $0.removingPercentEncoding ?? $0 } ?? (ProcessInfo.processInfo.environment["USER"] ?? "postgres")
            password = components.password.map { $0.removingPercentEncoding ?? $0 }
            let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
            database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
            sslMode = query["sslmode"] ?? "prefer"
            guard ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].contains(sslMode) else {
                throw DispatchError.invalid("sslmode=\(sslMode) is not one of disable, prefer, require, verify-full", field: "database")
            }
            if let socket = query["host"], socket.hasPrefix("/") { socketDirectory = socket }
        }

        /// The URL without its password, for logs, banners and `/healthz`.
        public var description: String {
            let target = socketDirectory.map { "[\($0)]" } ?? "\(host):\(port)"
            return "postgres://\(user)@\(target)/\(database)"
        }

        static func redacted(_ text: String) -> String {
            guard var c = URLComponents(string: text), c.password != nil else { return text }
            c.password = "***"
            return c.string ?? text
        }

        var configuration: PostgresClient.Configuration {
            var config: PostgresClient.Configuration
            if let dir = socketDirectory {
                config = .init(unixSocketPath: "\(dir)/.s.PGSQL.\(port)", username: user, password: password, database: database)
            } else {
                let tls: PostgresClient.Configuration.TLS
                switch sslMode {
                case "disable": tls = .disable
                case "allow", "prefer": tls = .prefer(Self.tlsConfiguration(verify: false))
                case "require": tls = .require(Self.tlsConfiguration(verify: false))
                default: tls = .require(Self.tlsConfiguration(verify: true))
                }
                config = .init(host: host, port: port, username: user, password: password, database: database, tls: tls)
            }
            config.options.connectTimeout = .seconds(10)
            config.options.maximumConnections = 8
            // A query the server sits on (a lock, a full disk) fails instead of holding the writer.
            config.options.additionalStartupParameters = [("statement_timeout", "60000"), ("application_name", "tianyan")]
            return config
        }

        /// One connection's settings, for `probe`.
        var connectionConfiguration: PostgresConnection.Configuration {
            get throws {
                if let dir = socketDirectory {
                    return .init(unixSocketPath: "\(dir)/.s.PGSQL.\(port)", username: user, password: password, database: database)
                }
                let tls: PostgresConnection.Configuration.TLS
                switch sslMode {
                case "disable": tls = .disable
                case "allow", "prefer": tls = .prefer(try NIOSSLContext(configuration: Self.tlsConfiguration(verify: false)))
                case "require": tls = .require(try NIOSSLContext(configuration: Self.tlsConfiguration(verify: false)))
                default: tls = .require(try NIOSSLContext(configuration: Self.tlsConfiguration(verify: true)))
                }
                return .init(host: host, port: port, username: user, password: password, database: database, tls: tls)
            }
        }

        static func tlsConfiguration(verify: Bool) -> TLSConfiguration {
            var tls = TLSConfiguration.makeClientConfiguration()
            if !verify { tls.certificateVerification = .none }
            return tls
        }
    }

    public let location: Location
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    /// Days (UTC, days since 1970) whose positions partition is known to exist.
    let partitionDays = Mutex(Set<Int64>())

    /// Opens the pool and migrates the schema forward. Fails with a clear message when the
    /// server cannot be reached in `timeout`, refuses the password, or holds a newer schema.
    public init(url: String, timeout: Duration = .seconds(15), logger: Logger = Logger(label: "tianyan.store.postgres")) async throws {
        location = try Location(url: url)
        self.logger = logger
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .critical)
        let client = PostgresClient(configuration: location.configuration, backgroundLogger: quiet)
        self.client = client
        runner = Task.detached { await client.run() }
        do {
            // One plain connection first: the pool retries a refused login or a closed port
            // quietly, while a person starting the controller needs the reason now.
            try await Self.probe(location, timeout: timeout, logger: quiet)
            try await PostgresStoreDatabase.within(timeout, what: "connecting to \(location)") {
                try await PostgresSchema.migrate(client: client, logger: logger)
            }
        } catch {
            runner.cancel()
            throw PostgresStoreDatabase.describe(error, at: location)
        }
    }

    deinit { runner.cancel() }

    /// Connects once and closes: throws the server's or the network's reason when it cannot.
    static func probe(_ location: Location, timeout: Duration, logger: Logger) async throws {
        let configuration = try location.connectionConfiguration
        try await within(timeout, what: "connecting to \(location)") {
            do {
                let c = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                try? await c.close()
            } catch {
                throw describe(error, at: location)
            }
        }
    }

    /// Why the server cannot be used now (for a commit that got no answer).
    func reasonUnavailable() async -> String? {
        do {
            try await Self.probe(location, timeout: .seconds(5), logger: Logger(label: "tianyan.store.postgres.probe"))
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Closes the pool (a one-shot command at its end; the controller at shutdown).
    public func close() { runner.cancel() }

    /// Runs `body` on one pooled connection inside a transaction, committed when it returns.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in
                try await connection.query("BEGIN", logger: logger)
                do {
                    let result = try await body(connection)
                    try await connection.query("COMMIT", logger: logger)
                    return result
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        } catch let e as PSQLError { throw PostgresStoreDatabase.describe(e, at: location) }
    }

    /// The rows of one query, decoded by `row` (reads run on any pooled connection).
    func rows<T>(_ query: PostgresQuery, _ row: (PostgresRandomAccessRow) throws -> T) async throws -> [T] {
        do {
            var out: [T] = []
            for try await r in try await client.query(query, logger: logger) { out.append(try row(PostgresRandomAccessRow(r))) }
            return out
        } catch let e as PSQLError { throw PostgresStoreDatabase.describe(e, at: location) }
    }

    /// The rows of one query decoded by position (the hot reads: positions).
    func rawRows<T>(_ query: PostgresQuery, _ row: (PostgresRow) throws -> T) async throws -> [T] {
        do {
            var out: [T] = []
            for try await r in try await client.query(query, logger: logger) { out.append(try row(r)) }
            return out
        } catch let e as PSQLError { throw PostgresStoreDatabase.describe(e, at: location) }
    }

    /// Ensures the daily partitions of `positions` for the given UTC days exist (created once per
    /// day per process; safe when two controllers race to create the same one).
    func ensurePartitions(days: Set<Int64>, on connection: PostgresConnection) async throws {
        let missing = partitionDays.withLock { days.subtracting($0) }
        for day in missing.sorted() {
            let date = Timestamp(milliseconds: day * 86_400_000)
            let create: PostgresQuery = "SELECT tianyan_position_partition(\(date))"
            try await connection.query(create, logger: logger)
        }
        partitionDays.withLock { $0.formUnion(missing) }
    }

    /// A server error as a message a dispatcher or an operator can act on (the server's own text
    /// and SQLSTATE, the database named without its password).
    static func describe(_ error: any Error, at location: Location) -> any Error {
        if error is DispatchError { return error }
        if let e = error as? PSQLError {
            if let server = e.serverInfo {
                let message = server[.message] ?? "error"
                let state = server[.sqlState] ?? "?"
                if state == "28P01" || state == "28000" {
                    return DispatchError.unavailable("PostgreSQL at \(location) refused user \(location.user): \(message)")
                }
                return DispatchError.unavailable("PostgreSQL at \(location): \(message) (SQLSTATE \(state))")
            }
            return DispatchError.unavailable("PostgreSQL at \(location) is unreachable: \(e.code)\(e.underlying.map { ": \($0)" } ?? "")")
        }
        return DispatchError.unavailable("PostgreSQL at \(location): \(error)")
    }

    /// Runs `body`, failing with a clear message after `timeout` (the pool waits for a server
    /// that does not answer; a command must not).
    static func within<T: Sendable>(_ timeout: Duration, what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw DispatchError.unavailable("\(what): no answer within \(timeout.components.seconds) s")
            }
            return value
        }
    }
}

// MARK: Timestamps as timestamptz (exact: microseconds since 2000-01-01, from milliseconds)

extension Timestamp: PostgresNonThrowingEncodable, PostgresDecodable, PostgresArrayEncodable,
    PostgresArrayDecodable {
    static let postgresEpochMilliseconds: Int64 = 946_684_800_000

    public static var psqlType: PostgresDataType { .timestamptz }
    public static var psqlFormat: PostgresFormat { .binary }
    public static var psqlArrayType: PostgresDataType { .timestamptzArray }

    public func encode<E: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<E>) {
        buffer.writeInteger((milliseconds - Self.postgresEpochMilliseconds) &* 1000)
    }

    public init<D: PostgresJSONDecoder>(from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
                                        context: PostgresDecodingContext<D>) throws {
        guard type == .timestamptz || type == .timestamp, format == .binary, buffer.readableBytes == 8,
              let micros = buffer.readInteger(as: Int64.self) else {
            throw PostgresDecodingError.Code.typeMismatch
        }
        let (q, r) = micros.quotientAndRemainder(dividingBy: 1000)
        self.init(milliseconds: (r < 0 ? q - 1 : q) + Self.postgresEpochMilliseconds)
    }
}
