import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TianyanDispatch

/// The web console: its own files (bundled with this module, read once at start), Leaflet from
/// the machine (Debian's libjs-leaflet, `console.leaflet_dir`), and the settings the console
/// needs before login (`GET /api/v1/console`). Nothing is fetched from the internet: the only
/// outside origin a console page may load from is a configured tile server.
public enum ConsoleRoutes {
    /// The console's files by path under /console/, and index.html for /.
    struct Files: Sendable {
        var byName: [String: (type: String, bytes: ByteBuffer)] = [:]
        var problem: String?

        static func load() -> Files {
            var files = Files()
            guard let root = Bundle.module.url(forResource: "Console", withExtension: nil) else {
                files.problem = "the console's files are not installed next to the program (Tianyan_TianyanServer.resources/Console)"
                return files
            }
            let fm = FileManager.default
            guard let walker = fm.enumerator(at: root, includingPropertiesForKeys: nil) else { return files }
            let base = root.standardizedFileURL.path
            for case let url as URL in walker {
                guard let data = try? Data(contentsOf: url) else { continue }
                let name = String(url.standardizedFileURL.path.dropFirst(base.count + 1))
                files.byName[name] = (contentType(url.pathExtension), ByteBuffer(bytes: data))
            }
            return files
        }
    }

    static func contentType(_ ext: String) -> String {
        switch ext {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "png": "image/png"
        case "svg": "image/svg+xml"
        case "json": "application/json; charset=utf-8"
        default: "application/octet-stream"
        }
    }

    /// The Content-Security-Policy of console pages: everything from this origin only (the live
    /// feed included), images also from the tile server when one is configured, no inline script.
    public static func policy(tileURL: String) -> String {
        var images = "'self' data:"
        if let origin = origin(of: tileURL) { images += " \(origin)" }
        return "default-src 'none'; script-src 'self'; style-src 'self'; img-src \(images); connect-src 'self'; "
            + "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }

    /// `https://host:port` of a tile URL template such as `https://tiles.example/{z}/{x}/{y}.png`.
    static func origin(of url: String) -> String? {
        guard let c = URLComponents(string: url.replacingOccurrences(of: "{", with: "%7B").replacingOccurrences(of: "}", with: "%7D")),
              let scheme = c.scheme, scheme == "http" || scheme == "https", var host = c.host, !host.isEmpty
        else { return nil }
        // Leaflet's {s} subdomain placeholder becomes a CSP wildcard; any other brace is refused.
        host = host.replacingOccurrences(of: "%7Bs%7D", with: "*").replacingOccurrences(of: "{s}", with: "*")
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "*" }) else { return nil }
        return "\(scheme)://\(host)" + (c.port.map { ":\($0)" } ?? "")
    }

    static func add(to router: Router<APIRequestContext>, _ on: SortieRoutes.On, parts: DispatchServices) {
        let files = Files.load()
        let config = parts.configuration
        let csp = policy(tileURL: config.consoleTileURL)
        let leaflet = config.consoleLeafletDirectory

        @Sendable func serve(_ name: String) throws -> Response {
            if let problem = files.problem { throw APIError(.serviceUnavailable, problem) }
            guard let file = files.byName[name] else { throw APIError(.notFound, "no console file \(name.prefix(80))") }
            var headers = HTTPFields()
            headers[.contentType] = file.type
            headers[.cacheControl] = "no-cache"
            headers[ErrorMiddleware.csp] = csp
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: file.bytes))
        }

        router.get("/") { _, _ in try serve("index.html") }
        router.get("/console/:file") { _, context in try serve(try context.parameters.require("file")) }
        router.get("/console/js/:file") { _, context in try serve("js/" + (try context.parameters.require("file"))) }

        // Leaflet's script, style sheet and marker images, by fixed names only.
        let allowed: Set<String> = ["leaflet.js", "leaflet.esm.min.js", "leaflet.css", "images/layers.png", "images/layers-2x.png", "images/marker-icon.png",
                                    "images/marker-icon-2x.png", "images/marker-shadow.png"]
        @Sendable func vendor(_ name: String) throws -> Response {
            guard allowed.contains(name) else { throw APIError(.notFound, "no such file") }
            let path = leaflet + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw APIError(.serviceUnavailable, "Leaflet is not installed at \(leaflet) (Debian: apt-get install libjs-leaflet; or set console.leaflet_dir)")
            }
            var headers = HTTPFields()
            headers[.contentType] = contentType((name as NSString).pathExtension)
            headers[.cacheControl] = "max-age=86400"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("/vendor/leaflet/:file") { _, context in try vendor(try context.parameters.require("file")) }
        router.get("/vendor/leaflet/images/:file") { _, context in try vendor("images/" + (try context.parameters.require("file"))) }

        on(.get, "api/v1/console") { _, _ -> Response in
            PageJSON.response(.ok, [
                "tile_url": config.consoleTileURL.isEmpty ? NSNull() as Any : config.consoleTileURL as Any,
                "tile_datum": config.consoleTileDatum,
                "tile_attribution": config.consoleTileAttribution,
                "leaflet": FileManager.default.fileExists(atPath: leaflet + "/leaflet.esm.min.js"),
                "online_seconds": config.onlineSeconds,
                "task_sla": ["contact_minutes": config.taskContactMinutes, "on_site_minutes": config.taskOnSiteMinutes],
            ])
        }
    }
}
