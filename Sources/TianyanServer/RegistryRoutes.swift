import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TianyanModel
import TianyanDispatch

/// The fleet registry: formations, pilots, docks, drones, talkgroups and radios with their
/// counts, and the grid cells as GeoJSON. The registry changes only on import, so it is one answer.
enum RegistryRoutes {
    static func add(_ on: SortieRoutes.On, parts: DispatchServices, sessions: Sessions) {
        let store = parts.store

        on(.get, "api/v1/registry") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            let r = try await store.registry()
            return try SortieJSON.encoded(.ok, Body(counts: r.counts, formations: r.formations, pilots: r.pilots, docks: r.docks,
                                                    drones: r.drones, talkgroups: r.talkgroups, radios: r.radios))
        }

        on(.get, "api/v1/registry/cells") { request, _ -> Response in
            _ = try sessions.authorize(request, role: nil)
            let r = try await store.registry()
            let geojson = FleetRegistryCodec.encode(FleetRegistry(cells: r.cells))[FleetRegistryCodec.File.cells.rawValue] ?? ""
            return Response(status: .ok, headers: [.contentType: "application/geo+json; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: geojson)))
        }
    }

    struct Body: Encodable {
        var counts: [String: Int]
        var formations: [Formation]
        var pilots: [Pilot]
        var docks: [Dock]
        var drones: [Drone]
        var talkgroups: [Talkgroup]
        var radios: [Radio]
    }
}
