import CCrypt
import Foundation
import TianyanDispatch
import TianyanModel
import TianyanSQLite

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

/// The controller's password hasher: yescrypt through libxcrypt.
public struct YescryptHasher: PasswordHasher {
    public init() {}
    public func hash(_ password: String) throws -> String { try PasswordHash.make(password) }
    public func verify(_ password: String, against hash: String) -> Bool { PasswordHash.verify(password, against: hash) }
}

extension UserDirectory {
    /// Users on the controller's SQLite database, hashed with yescrypt.
    public init(database: TianyanDatabase) {
        self.init(store: FleetStore(database: database), hasher: YescryptHasher())
    }
}
