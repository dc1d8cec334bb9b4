/// Passwords as the user directory needs them: hashed for storing, checked against a stored hash.
public protocol PasswordHasher: Sendable {
    func hash(_ password: String) throws -> String
    func verify(_ password: String, against hash: String) -> Bool
}
