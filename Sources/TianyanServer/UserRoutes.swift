import Foundation
import HTTPTypes
import Hummingbird
import TianyanModel
import TianyanDispatch

/// Users (admin only): list, add, set a password, disable and enable. No answer carries a
/// password or its hash; every change is audited, refusals too. Disabling a user or setting its
/// password ends its sessions (and closes their live connections).
enum UserRoutes {
    static func add(_ on: SortieRoutes.On, parts: DispatchServices, sessions: Sessions) {
        let users = parts.users
        let audit = AuditTrail(parts: parts)

        on(.get, "api/v1/users") { request, _ -> Response in
            _ = try sessions.authorize(request, role: .admin)
            return PageJSON.response(.ok, ["users": try await users.list().map(user)])
        }

        on(.post, "api/v1/users") { request, context -> Response in
            let admin = try await audit.authorize(request, sessions: sessions, role: .admin, action: "user add", target: "users", logger: context.logger)
            let body = try await JSONBody.read(request)
            let name = try body.string("name")
            let roleText = try body.string("role")
            let password = try body.string("password")
            do throws(UserError) { try UserDirectory.validate(name: name) } catch { throw APIError(.badRequest, error.description, field: "name") }
            guard let role = Role(rawValue: roleText) else {
                throw APIError(.badRequest, "\"\(roleText)\" is not a role; one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))", field: "role")
            }
            do throws(UserError) { try UserDirectory.validate(password: password) } catch {
                throw APIError(.badRequest, error.description, field: "password")
            }
            do { try await users.add(name: name, role: role, password: password, by: admin.name) } catch let f as DispatchError {
                await audit.refused(admin.name, "user add", name, "\(f)", logger: context.logger)
                throw APIError(.conflict, "user \(name) exists; POST /api/v1/users/\(name)/password changes the password", field: "name")
            }
            guard let added = try await users.list().first(where: { $0.name == name }) else { throw APIError(.internalServerError, "the user was not stored") }
            var headers = HTTPFields()
            headers[.location] = "/api/v1/users/\(name)"
            return PageJSON.response(.created, user(added), headers: headers)
        }

        on(.post, "api/v1/users/:name/password") { request, context -> Response in
            let name = try context.parameters.require("name")
            let admin = try await audit.authorize(request, sessions: sessions, role: .admin, action: "user passwd", target: name, logger: context.logger)
            let password = try await JSONBody.read(request).string("password")
            do throws(UserError) { try UserDirectory.validate(password: password) } catch {
                throw APIError(.badRequest, error.description, field: "password")
            }
            guard let existing = try await users.list().first(where: { $0.name == name }) else {
                await audit.refused(admin.name, "user passwd", name, "no such user", logger: context.logger)
                throw APIError(.notFound, "no user \(name.prefix(40)); GET /api/v1/users lists them")
            }
            try await users.setPassword(name: name, password: password, by: admin.name)
            // Whoever was logged in with the old password logs in again.
            sessions.endAll(of: name, why: .passwordChanged)
            return PageJSON.response(.ok, user(existing))
        }

        for (verb, disable) in [("disable", true), ("enable", false)] {
            on(.post, "api/v1/users/:name/\(verb)") { request, context -> Response in
                let name = try context.parameters.require("name")
                let admin = try await audit.authorize(request, sessions: sessions, role: .admin, action: "user \(verb)", target: name,
                                                      logger: context.logger)
                if disable, name == admin.name {
                    await audit.refused(admin.name, "user disable", name, "an admin cannot disable itself", logger: context.logger)
                    throw APIError(.conflict, "you cannot disable yourself; another admin can", field: "name")
                }
                do { try await users.setDisabled(name: name, disable, by: admin.name) } catch let f as DispatchError {
                    await audit.refused(admin.name, "user \(verb)", name, "\(f)", logger: context.logger)
                    throw APIError(.notFound, "no user \(name.prefix(40)); GET /api/v1/users lists them")
                }
                // Its sessions end now, and with them its live connections.
                if disable { sessions.endAll(of: name, why: .disabled) }
                guard let changed = try await users.list().first(where: { $0.name == name }) else {
                    throw APIError(.internalServerError, "the user was not stored")
                }
                return PageJSON.response(.ok, user(changed))
            }
        }
    }

    static func user(_ u: User) -> [String: Any] {
        ["name": u.name, "role": u.role.rawValue, "created": u.created.iso8601, "disabled": u.disabled]
    }
}
