import GRDB
import TianyanModel

/// The users table (schema v4). Passwords arrive here already hashed.
public struct UserStore: Sendable {
    /// A user account as stored (now in the model).
    public typealias Row = UserAccount

    public enum Failure: Error, CustomStringConvertible {
        case exists(String)
        case unknown(String)
        public var description: String {
            switch self {
            case .exists(let name): "user \(name) exists; use `tianyan users passwd \(name)` to change the password"
            case .unknown(let name): "no user \(name); `tianyan users list` shows them"
            }
        }
    }

    public let database: TianyanDatabase
    public init(database: TianyanDatabase) { self.database = database }

    /// Adds a user and its audit line in one transaction.
    public func add(name: String, role: String, passwordHash: String, by actor: String) async throws {
        try await database.transact { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM users WHERE name = ?", arguments: [name]) == true { throw Failure.exists(name) }
            let now = Timestamp.now().milliseconds
            try db.execute(sql: "INSERT INTO users(name, role, password_hash, created, disabled) VALUES (?, ?, ?, ?, 0)",
                           arguments: [name, role, passwordHash, now])
            try db.execute(sql: "INSERT INTO audit(time, actor, action, target, outcome, detail) VALUES (?, ?, 'user add', ?, 'ok', ?)",
                           arguments: [now, actor, name, "role \(role)"])
        }
    }

    public func setPasswordHash(name: String, passwordHash: String, by actor: String) async throws {
        try await database.transact { db in
            try db.execute(sql: "UPDATE users SET password_hash = ? WHERE name = ?", arguments: [passwordHash, name])
            guard db.changesCount == 1 else { throw Failure.unknown(name) }
            try db.execute(sql: "INSERT INTO audit(time, actor, action, target, outcome, detail) VALUES (?, ?, 'user passwd', ?, 'ok', NULL)",
                           arguments: [Timestamp.now().milliseconds, actor, name])
        }
    }

    /// Disables or enables a user, with its audit line, in one transaction. False when the user
    /// already was in that state (the audit line says so).
    @discardableResult
    public func setDisabled(name: String, _ disabled: Bool, by actor: String) async throws -> Bool {
        try await database.transact { db in
            guard let current = try Bool.fetchOne(db, sql: "SELECT disabled FROM users WHERE name = ?", arguments: [name]) else {
                throw Failure.unknown(name)
            }
            if current != disabled { try db.execute(sql: "UPDATE users SET disabled = ? WHERE name = ?", arguments: [disabled, name]) }
            try db.execute(sql: "INSERT INTO audit(time, actor, action, target, outcome, detail) VALUES (?, ?, ?, ?, 'ok', ?)",
                           arguments: [Timestamp.now().milliseconds, actor, disabled ? "user disable" : "user enable", name,
                                       current == disabled ? (disabled ? "already disabled" : "already enabled") : nil])
            return current != disabled
        }
    }

    public func all() async throws -> [Row] {
        try await database.read { db in
            try GRDB.Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY name").map(Self.row)
        }
    }

    public func user(named name: String) async throws -> Row? {
        try await database.read { db in
            try GRDB.Row.fetchOne(db, sql: "SELECT * FROM users WHERE name = ?", arguments: [name]).map(Self.row)
        }
    }

    private static func row(_ r: GRDB.Row) -> Row {
        Row(name: r["name"], role: r["role"], created: Timestamp(milliseconds: r["created"]), disabled: r["disabled"],
            passwordHash: r["password_hash"])
    }
}
