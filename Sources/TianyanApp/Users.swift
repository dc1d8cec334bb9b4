import CCrypt
import Foundation
import TianyanModel
import TianyanStore

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

/// Password hashing with libxcrypt's yescrypt (`$y$…`), the hash Debian uses for /etc/shadow.
public enum PasswordHash {
    public static func make(_ password: String) throws(UserError) -> String {
        var salt = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        // nil random bytes: libxcrypt reads them from the kernel (getrandom).
        guard crypt_gensalt_rn("$y$", 0, nil, 0, &salt, Int32(salt.count)) != nil else {
            throw UserError("cannot make a password salt: \(String(cString: strerror(errno)))")
        }
        guard let hash = run(password, setting: String(cString: salt)), hash.hasPrefix("$y$") else {
            throw UserError("cannot hash the password")
        }
        return hash
    }

    /// True when `password` matches `hash` (compared in constant time).
    public static func verify(_ password: String, against hash: String) -> Bool {
        guard let computed = run(password, setting: hash) else { return false }
        let a = Array(computed.utf8), b = Array(hash.utf8)
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }

    private static func run(_ password: String, setting: String) -> String? {
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer {
            // The work area held the password: wipe it.
            memset(data, 0, MemoryLayout<crypt_data>.size)
            data.deallocate()
        }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let out = crypt_r(password, setting, data) else { return nil }
        let text = String(cString: out)
        return text.hasPrefix("*") ? nil : text
    }
}

/// Users on the controller's database: validation, hashing, authentication.
public struct UserDirectory: Sendable {
    public let store: UserStore

    public init(database: TianyanDatabase) { store = UserStore(database: database) }

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
        try await store.add(name: name, role: role.rawValue, passwordHash: try PasswordHash.make(password), by: actor)
    }

    public func setPassword(name: String, password: String, by actor: String = "cli") async throws {
        try Self.validate(password: password)
        try await store.setPasswordHash(name: name, passwordHash: try PasswordHash.make(password), by: actor)
    }

    /// Disables (`true`) or enables a user; false when it already was so. A disabled user
    /// cannot log in; the server also ends its sessions.
    @discardableResult
    public func setDisabled(name: String, _ disabled: Bool, by actor: String = "cli") async throws -> Bool {
        try await store.setDisabled(name: name, disabled, by: actor)
    }

    public func list() async throws -> [User] {
        try await store.all().map { User(name: $0.name, role: Role(rawValue: $0.role) ?? .viewer, created: $0.created, disabled: $0.disabled) }
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
            _ = PasswordHash.verify(password, against: Self.decoyHash)
            return .refused
        }
        guard PasswordHash.verify(password, against: row.passwordHash) else { return .refused }
        guard !row.disabled else { return .disabled(row.name) }
        return .user(User(name: row.name, role: Role(rawValue: row.role) ?? .viewer, created: row.created, disabled: false),
                     fingerprint: Self.fingerprint(row.passwordHash))
    }

    /// For each user, whether it is disabled and a fingerprint of its password hash (it changes
    /// when the password does); the server ends sessions whose user changed under them.
    public func credentialStates() async throws -> [String: (disabled: Bool, fingerprint: Int)] {
        var out: [String: (disabled: Bool, fingerprint: Int)] = [:]
        for row in try await store.all() { out[row.name] = (row.disabled, Self.fingerprint(row.passwordHash)) }
        return out
    }

    /// Not a secret: a hash of the password hash, only compared for change.
    public static func fingerprint(_ passwordHash: String) -> Int {
        var h = Hasher()
        h.combine(passwordHash)
        return h.finalize()
    }

    private static let decoyHash = (try? PasswordHash.make("decoy-password-never-used")) ?? "$y$j9T$decoy"
}
