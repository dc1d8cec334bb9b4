import ArgumentParser
import Foundation
import TianyanApp
import TianyanDispatch
import TianyanModel

/// `tianyan users add|list|passwd|disable|enable`: the people who may use the API and the console.
struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "API and console users: lead, dispatcher, maintenance, viewer, admin.",
        subcommands: [Add.self, List.self, Passwd.self, Disable.self, Enable.self], defaultSubcommand: List.self)

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user (the password is read from --password-file, else asked for).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "User name (letters, digits, - _ .).") var name: String
        @Option(help: "lead, dispatcher, maintenance, viewer or admin.") var role: String
        @Option(help: ArgumentHelp("Read the password from the first line of this file.", valueName: "FILE")) var passwordFile: String?

        func validate() throws {
            guard Role(rawValue: role) != nil else {
                throw ValidationError("--role \(role): must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            try await global.withStore { _, db in
                let password = try PasswordInput.read(file: passwordFile, prompt: "Password for \(name): ", confirm: true)
                try await db.users.add(name: name, role: Role(rawValue: role)!, password: password)
                Console.emit("user \(name) added as \(role)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users and their roles.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "JSON output.") var json = false

        func run() async throws {
            try await global.withStore { _, db in
                let users = try await db.users.list()
                if json {
                    let list = users.map { ["name": $0.name, "role": $0.role.rawValue, "created": $0.created.iso8601, "disabled": $0.disabled] as [String: Any] }
                    let data = try JSONSerialization.data(withJSONObject: list, options: [.prettyPrinted, .sortedKeys])
                    Console.emit(String(decoding: data, as: UTF8.self))
                    return
                }
                if users.isEmpty { Console.emit("no users yet: tianyan users add NAME --role dispatcher"); return }
                for u in users {
                    Console.emit("\(u.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(u.role.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) since \(u.created.iso8601)\(u.disabled ? "  (disabled)" : "")")
                }
            }
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's password (its sessions end: it logs in again).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option(help: ArgumentHelp("Read the password from the first line of this file.", valueName: "FILE")) var passwordFile: String?

        func run() async throws {
            try await global.withStore { _, db in
                let password = try PasswordInput.read(file: passwordFile, prompt: "New password for \(name): ", confirm: true)
                try await db.users.setPassword(name: name, password: password)
                Console.emit("password of \(name) changed")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a user: it cannot log in, and a running controller on this database ends its sessions within a second.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String

        func run() async throws {
            try await global.withStore { _, db in
                let changed = try await db.users.setDisabled(name: name, true)
                Console.emit(changed ? "user \(name) disabled; a controller running on this database ends its sessions within a second" : "user \(name) was already disabled")
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user again (it logs in anew).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String

        func run() async throws {
            try await global.withStore { _, db in
                let changed = try await db.users.setDisabled(name: name, false)
                Console.emit(changed ? "user \(name) enabled" : "user \(name) was not disabled")
            }
        }
    }
}

/// A password from a file's first line, or typed at the terminal without echo.
enum PasswordInput {
    static func read(file: String?, prompt: String, confirm: Bool = false) throws -> String {
        if let file {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("cannot read the password file \(file)") }
            let line = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard !line.isEmpty else { throw ValidationError("the password file \(file) is empty") }
            return line
        }
        guard isatty(0) == 1 else { throw ValidationError("no terminal to ask the password on; give --password-file FILE") }
        let first = askHidden(prompt)
        if confirm, askHidden("Again: ") != first { throw ValidationError("the two passwords differ") }
        return first
    }

    private static func askHidden(_ prompt: String) -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        tcgetattr(0, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(0, TCSANOW, &quiet)
        defer {
            tcsetattr(0, TCSANOW, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return Swift.readLine(strippingNewline: true) ?? ""
    }
}
