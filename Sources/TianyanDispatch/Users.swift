import Foundation
import Synchronization
import TianyanModel

/// Who may do what through the API.
public enum Role: String, CaseIterable, Sendable, Codable {
    /// Plans and launches sorties.
    case lead
    /// Pages units, handles alarms and tasks.
    case dispatcher
    /// Grounds and ungrounds, records service.
    case maintenance
    /// Reads everything, changes nothing.
    case viewer
    /// Manages users; may do everything.
    case admin

    /// Whether this role may do what `required` may.
    public func allows(_ required: Role) -> Bool { self == .admin || self == required }
}

/// A console or API user. The password is kept only as a yescrypt hash (libxcrypt).
public struct User: Sendable, Hashable {
    public var name: String
    public var role: Role
    public var created: Timestamp
    public var disabled: Bool
}

public struct UserError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Users on the store: validation, hashing (through the hasher the controller gives),
/// authentication.
public struct UserDirectory: Sendable {
    public let store: any UserAccountStore
    public let hasher: any PasswordHasher

    public init(store: any UserAccountStore, hasher: any PasswordHasher) {
        self.store = store
        self.hasher = hasher
    }

    public static func validate(name: String) throws(UserError) {
        guard (1...40).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw UserError("user name \"\(name)\" must be 1 to 40 letters, digits, '-', '_' or '.'")
        }
    }

    public static func validate(password: String) throws(UserError) {
        guard password.count >= 10 else { throw UserError("the password must be at least 10 characters") }
    }

    public func add(name: String, role: Role, password: String, by actor: String = "cli") async throws {
        try Self.validate(name: name)
        try Self.validate(password: password)
        try await store.addUser(name: name, role: role.rawValue, passwordHash: try hasher.hash(password), by: actor)
    }

    public func setPassword(name: String, password: String, by actor: String = "cli") async throws {
        try Self.validate(password: password)
        try await store.setPasswordHash(name: name, passwordHash: try hasher.hash(password), by: actor)
    }

    /// Disables (`true`) or enables a user; false when it already was so. A disabled user
    /// cannot log in; the server also ends its sessions.
    @discardableResult
    public func setDisabled(name: String, _ disabled: Bool, by actor: String = "cli") async throws -> Bool {
        try await store.setDisabled(name: name, disabled, by: actor)
    }

    public func list() async throws -> [User] {
        try await store.users().map { User(name: $0.name, role: Role(rawValue: $0.role) ?? .viewer, created: $0.created, disabled: $0.disabled) }
    }

    /// What a login attempt comes to.
    public enum Authentication: Sendable, Hashable {
        /// Logged in; `fingerprint` identifies the password it was done with (see `fingerprint(_:)`).
        case user(User, fingerprint: Int)
        /// The password is right but the user is disabled.
        case disabled(String)
        /// Wrong name or password (which one is not told).
        case refused
    }

    /// The user if `password` is right and the user is not disabled.
    public func authenticate(name: String, password: String) async throws -> User? {
        if case .user(let u, _) = try await check(name: name, password: password) { return u }
        return nil
    }

    /// Checks a login. Only a caller who knows the password learns that a user is disabled.
    public func check(name: String, password: String) async throws -> Authentication {
        guard let row = try await store.user(named: name) else {
            // Same work as a real check, so that timing does not tell which names exist.
            _ = hasher.verify(password, against: decoyHash)
            return .refused
        }
        guard hasher.verify(password, against: row.passwordHash) else { return .refused }
        guard !row.disabled else { return .disabled(row.name) }
        return .user(User(name: row.name, role: Role(rawValue: row.role) ?? .viewer, created: row.created, disabled: false),
                     fingerprint: Self.fingerprint(row.passwordHash))
    }

    /// For each user, whether it is disabled and a fingerprint of its password hash (it changes
    /// when the password does); the server ends sessions whose user changed under them.
    public func credentialStates() async throws -> [String: (disabled: Bool, fingerprint: Int)] {
        var out: [String: (disabled: Bool, fingerprint: Int)] = [:]
        for row in try await store.users() { out[row.name] = (row.disabled, Self.fingerprint(row.passwordHash)) }
        return out
    }

    /// Not a secret: a hash of the password hash, only compared for change.
    public static func fingerprint(_ passwordHash: String) -> Int {
        var h = Hasher()
        h.combine(passwordHash)
        return h.finalize()
    }

    /// A hash of the hasher's own kind, checked when the name is unknown.
    private var decoyHash: String { DecoyHashes.hash(for: hasher) }
}

/// One decoy hash per hasher type, made once (hashing is slow on purpose).
enum DecoyHashes {
    private static let made = Mutex<[ObjectIdentifier: String]>([:])

    static func hash(for hasher: any PasswordHasher) -> String {
        let key = ObjectIdentifier(type(of: hasher))
        if let h = made.withLock({ $0[key] }) { return h }
        let h = (try? hasher.hash("decoy-password-never-used")) ?? "$y$j9T$decoy"
        made.withLock { $0[key] = h }
        return h
    }
}
