import RecordWriter
import Foundation
import Logging
import ServiceLifecycle
import Testing
import TianyanApp
import TianyanDJI
import TianyanDispatch
import TianyanTetra
import TianyanModel
import TianyanSQLite
import TianyanTesting

/// A task dispatched for real: the gateway built from the configuration as the controller builds
/// it (generic-pei profile), a scripted radio on a TCP socket, the real writer into a SQLite
/// file, and the task service fed by the gateway's observer as in `Controller.run`.
@Suite("Dispatch task over a radio line")
struct TaskDispatchTests {
    @Test("the dispatch page reaches the radio and shows read on the task; the radio's status 3 (call accepted, en route) moves the task",
          .timeLimit(.minutes(2)))
    func dispatchedPageAndStatusReply() async throws {
        let dir = try TemporaryDirectory("tianyan-task-radio")
        defer { dir.remove() }
        let radio = try ScriptedRadio(.tcp)
        defer { radio.stop() }
        radio.autoDeliver = true
        var logger = Logger(label: "test.task.radio")
        logger.logLevel = .warning
        var config = TianyanConfiguration()
        config.database = dir.file("db.sqlite")
        config.profilesDirectory = packageRoot() + "/firmware-profiles"
        config.gateways = [try RadioGatewaySetting(parsing: "g1=\(radio.url)")]
        let controller = Controller(configuration: config, logger: logger)
        let database = try controller.openDatabase()
        let store = FleetStore(database: database)
        let registry = FleetSample.make()
        try await store.replaceRegistry(registry)
        let writer = StoreWriter(database: database, configuration: .init(batchSize: 1000, maxDelay: .milliseconds(5)), logger: logger)
        let inbox = TaskInbox()
        let gateways = try controller.makeGateways(registry: registry, sink: writer, observer: inbox.observe)
        let radios = RadioNetwork(gateways: gateways, directory: RadioDirectory(registry: registry), sink: writer)
        let tasks = TaskService(settings: .init(configuration: config), store: store, sink: writer, radios: radios, inbox: inbox, logger: logger)
        let group = ServiceGroup(services: [writer, tasks] + gateways.map { $0 as any Service }, logger: logger)
        let running = Task { try await group.run() }
        defer { running.cancel() }
        do {
            let gateway = try #require(radios.gateways.first)
            try await waitUntil("the gateway to initialise", timeout: .seconds(20)) { gateway.status.ready }

            let task = try await tasks.create(.init(title: "Gas smell, Building 3", priority: .urgent,
                                                    location: Coordinate(latitude: 22.8012, longitude: 113.7998), source: .init(kind: .point)),
                                              by: "disp")
            let (dispatched, outcomes) = try await tasks.dispatch(task.id, units: ["CM-0001"], by: "disp")
            let pageID = try #require(outcomes.first?.page?.id)
            #expect(dispatched.assignments.first?.unit == "2100001")

            // The SDS on the wire carries the task's text.
            try await waitUntil("the page submitted to the radio", timeout: .seconds(20)) { !radio.submissions.isEmpty }
            let submission = try #require(radio.submissions.first)
            #expect(submission.destination == "2100001")
            let expected = "\(task.id) URGENT Gas smell, Building 3 @22.80120,113.79980"
            let hexText = expected.utf8.map { String(format: "%02X", $0) }.joined()
            #expect(submission.hex.hasSuffix(hexText), "SDS \(submission.hex) does not end with the text \(expected)")

            // sent → received → read on the task, from the radio's reports.
            try await waitUntil("the task's page read", timeout: .seconds(20)) {
                try await tasks.task(id: task.id)?.assignments.first?.pageState == .read
            }
            // The radio answers with status 3 (0x8005): generic-pei means en_route ("call accepted, en route").
            radio.send(["+CTSDSR: 13,2100001,0,2000999,0,16", "8005"])
            try await waitUntil("the task moved by the radio's status", timeout: .seconds(20)) {
                try await tasks.task(id: task.id)?.state == .enRoute
            }
            let moved = try #require(try await tasks.task(id: task.id))
            #expect(moved.contactAt != nil && moved.sla(.contact, now: .now()).state == .met, "accepted (contact) within the SLA")
            #expect(moved.assignments.first?.status == "en_route")
            #expect(moved.history.last?.action == "status" && moved.history.last?.actor == "radio 2100001")
            #expect(moved.history.last?.detail?.contains("call accepted") == true)
            #expect(moved.history.contains { $0.action == "page" && $0.detail?.contains("\(pageID) to 2100001 read") == true },
                    "the read report is in the history")

            // Stored as shown, with the page's own record.
            try await writer.flush()
            #expect(try await store.task(id: task.id) == moved)
            #expect(try await store.page(id: pageID)?.state == .read)
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            throw error
        }
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}
