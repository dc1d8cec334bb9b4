import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TianyanApp
import TianyanDispatch

/// `tianyan page UNIT|GROUP TEXT`: asks the running controller (its HTTP API) to page, then
/// follows the page until it is read, fails, or the wait is over.
struct PageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "page",
        abstract: "Page a radio or a talkgroup through the running controller and follow the delivery.",
        discussion: """
        UNIT is a radio ID (an ISSI, a Hytera radio ID) or a radio alias (CM-0001); GROUP is a talkgroup. \
        It goes out through the gateway that last heard the radio, else the first ready one. On TETRA the \
        text is one SDS asking for delivery reports: queued → accepted → sent → received → read (or \
        failed); on a Hytera radio a TMP text in UTF-16: queued → accepted → received (or failed with \
        the radio's reason). With --status instead of TEXT it is a status callout (TETRA only: a status \
        SDS, a value such as 0x8009 or a status name of the gateway's profile), done once sent.
        Exit status: 0 once sent (a talkgroup gives no per-member receipts) or better, 1 if it failed or \
        was refused, 2 if it was still not sent when --wait ran out.
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Radio ID (ISSI, Hytera ID), radio alias or talkgroup.") var destination: String
    @Argument(help: "The text (one SDS; up to about 80 characters).") var text: String?
    @Option(help: ArgumentHelp("Send a status callout instead of a text.", valueName: "VALUE|NAME")) var status: String?
    @Option(help: ArgumentHelp("The controller's HTTP address (same as --set http=HOST:PORT).", valueName: "HOST:PORT"))
    var http: String?
    @Option(help: "Send through this gateway (default: the one that last heard the radio, else the first ready one).") var gateway: String?
    @Option(help: "Your user name (a dispatcher or admin; default: $USER).") var user: String?
    @Option(help: ArgumentHelp("Read your password from the first line of this file (else it is asked for).", valueName: "FILE"))
    var passwordFile: String?
    @Option(help: ArgumentHelp("Follow the page this many seconds (0: do not wait).", valueName: "SECONDS")) var wait: Double = 60
    @Flag(help: "Print the final page as JSON.") var json = false

    func validate() throws {
        if (text == nil) == (status == nil) {
            throw ValidationError(text == nil ? "give the page TEXT, or --status VALUE for a status callout" : "give TEXT or --status, not both")
        }
    }

    func run() async throws {
        let config = try global.load(extra: http.map { [("http", $0)] } ?? [])
        let base = "http://\(config.http)/api/v1"
        let name = user ?? ProcessInfo.processInfo.environment["USER"] ?? "dispatcher"
        let password = try PasswordInput.read(file: passwordFile, prompt: "Password for \(name): ")
        let (loginStatus, login) = try await request("POST", base + "/session", body: ["name": name, "password": password], address: config.http)
        guard loginStatus == 201, let token = login["token"] as? String else {
            Console.error("error: cannot log in as \(name): \(Self.errorText(login, status: loginStatus))")
            throw ExitCode(1)
        }
        var body: [String: Any] = ["to": destination]
        if let text { body["text"] = text }
        if let status { body["status"] = status }
        if let gateway { body["gateway"] = gateway }
        let (status, created) = try await request("POST", base + "/pages", body: body, address: config.http, token: token)
        guard status == 202, let id = created["id"] as? String else {
            Console.error("error: page refused: \(Self.errorText(created, status: status))")
            throw ExitCode(1)
        }
        Console.emit("page \(id) to \(created["to"] as? String ?? destination) via \(created["gateway"] as? String ?? "?")")
        var shown = 0
        var page = created
        let deadline = Date().addingTimeInterval(wait)
        while true {
            let history = page["history"] as? [[String: Any]] ?? []
            for step in history.dropFirst(shown) {
                let detail = (step["detail"] as? String).map { "  (\($0))" } ?? ""
                Console.emit("  \(step["time"] as? String ?? "")  \(step["state"] as? String ?? "?")\(detail)")
            }
            shown = history.count
            let state = page["state"] as? String ?? "queued"
            if state == "read" || state == "failed" || Date() >= deadline { break }
            if page["final"] as? Bool == true { break }
            try await Task.sleep(for: .milliseconds(200))
            let (code, fresh) = try await request("GET", base + "/pages/\(id)", body: nil, address: config.http, token: token)
            guard code == 200 else {
                Console.error("error: cannot follow page \(id): \(Self.errorText(fresh, status: code))")
                throw ExitCode(1)
            }
            page = fresh
        }
        if json, let data = try? JSONSerialization.data(withJSONObject: page, options: [.prettyPrinted, .sortedKeys]) {
            Console.emit(String(decoding: data, as: UTF8.self))
        }
        switch page["state"] as? String ?? "" {
        case "failed": throw ExitCode(1)
        case "sent", "received", "read": return
        default:
            Console.error("not sent within \(Int(wait)) s; the controller keeps it queued (follow it with GET \(base)/pages/\(id))")
            throw ExitCode(2)
        }
    }

    static func errorText(_ body: [String: Any], status: Int) -> String {
        guard let error = body["error"] as? [String: Any], let message = error["message"] as? String else { return "HTTP \(status)" }
        if let field = error["field"] as? String { return "\(field): \(message)" }
        return message
    }

    private func request(_ method: String, _ url: String, body: [String: Any]?, address: String, token: String? = nil) async throws -> (Int, [String: Any]) {
        guard let u = URL(string: url) else { throw ValidationError("http address \(address) does not make a URL") }
        var request = URLRequest(url: u, timeoutInterval: 10)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data
        let response: URLResponse
        do { (data, response) = try await URLSession.shared.data(for: request) } catch {
            Console.error("error: cannot reach the controller at http://\(address) (\(error.localizedDescription)); is `tianyan serve` or `tianyan demo` running, and is --http right?")
            throw ExitCode(1)
        }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return (status, object)
    }
}

