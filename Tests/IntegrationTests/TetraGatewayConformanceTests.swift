import Foundation
import Testing
import TianyanModel
import TianyanSQLite
import TianyanTesting
import TianyanTetra

/// The radio port's conformance cases on the TETRA PEI adapter: the gateway service over TCP to
/// a scripted radio, writing through the real writer into SQLite (the same cases run on the fake
/// in TianyanDispatchTests).
@Suite("TETRA gateway conforms to the radio port")
struct TetraGatewayConformanceTests {
    @Test("the radio port's conformance cases on the TETRA PEI gateway", arguments: RadioGatewayConformance.names)
    func conformance(_ name: String) async throws {
        let rig = try await GatewayRig({ _ in .tcp })
        do {
            try await rig.waitReady()
            try await RadioGatewayConformance.run(name, gateway: rig.service) { id in
                try await rig.writer.flush()
                return try await rig.store.page(id: id)
            }
        } catch {
            await rig.close()
            throw error
        }
        await rig.close()
    }
}
