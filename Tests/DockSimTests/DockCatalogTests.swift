import Foundation
import Testing
import TianyanModel
@testable import dock_sim

/// The package's firmware-profiles folder, found from this file's path.
let profilesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("firmware-profiles").path

@Suite struct DockCatalogTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: profilesDirectory + "/docks/dji-dock2.yaml")))
    func everyDockOfTheSampleGetsAProfileWithHMSCodes() throws {
        let catalog = try DockCatalog(profilesDirectory: profilesDirectory)
        let identities = try catalog.identities(fleet: FleetSample.make(), count: nil)
        #expect(identities.count == FleetSample.dockCount)
        #expect(identities.allSatisfy { !$0.dockHMSCodes.isEmpty && !$0.aircraftHMSCodes.isEmpty })
        #expect(Set(identities.map(\.dockModelKey)) == ["3-2-0", "3-3-0"])
        #expect(Set(identities.map(\.aircraftModelKey)) == ["0-91-1", "0-100-1"])
        #expect(identities.allSatisfy { !$0.dockFirmware.hasPrefix("v") })
    }

    @Test func aMissingProfileFolderNamesTheOption() {
        #expect(throws: DockCatalog.Failure.self) { try DockCatalog(profilesDirectory: "/nonexistent/profiles") }
        do {
            _ = try DockCatalog(profilesDirectory: "/nonexistent/profiles")
        } catch {
            #expect("\(error)".contains("--profiles"))
        }
    }

    @Test func lawnmowerHasFourLanesOf400MetresAroundTheDock() {
        let centre = Coordinate(latitude: 22.8, longitude: 113.8)
        let route = PatrolRoute.lawnmower(around: centre)
        #expect(route.count == 8)
        for lane in 0..<4 {
            #expect(abs(Geodesy.distance(route[2 * lane], route[2 * lane + 1]) - 400) < 0.5)
        }
        #expect(route.allSatisfy { Geodesy.distance($0, centre) < 260 })
    }
}
