import CoveragePlanner
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TianyanModel

/// The scheduler service: plans the coverage sorties, turns each into dock commands at the right
/// times (`SortieTiming`), serves its route file, follows the task's progress to its end, and
/// records what each flight really imaged. Leads pause, resume, cancel, add urgent sorties and
/// re-plan through it. Every state lives in the store (`sorties`), so a restart carries on.
public final class SortieService: Service, Sendable {
    public struct Settings: Sendable {
        public var timing = SortieTiming()
        public var tickSeconds: Double = 2
        public var planDays = 14
        public var autoPlan = true
        public var borrowing = false
        public var flyingHours = FlyingHours()
        public var coverageThreshold = 0.95
        /// Hourly forecast CSV; nil = every hour flyable.
        public var forecastFile: String?
        /// Base URL of route files, ending in `/`.
        public var routeFilesURL: String
        /// Given by the configuration (`http.public_url`): not replaced by the address the server binds.
        public var routeFilesURLIsFixed = false

        public init(routeFilesURL: String) { self.routeFilesURL = routeFilesURL }

    }

    public typealias Failure = DispatchError

    public let settings: Settings
    let store: any FleetStorage
    let sink: any RecordSink
    /// The docks: the link's state, flights handed over, commands.
    public let docks: any DockFleet
    let rules: MaintenanceRules
    let logger: Logger
    let now: @Sendable () -> Timestamp
    /// Sorties a command or a lead's action is working on; nobody else touches them meanwhile.
    private let busy = Mutex<Set<String>>([])
    let tally = Mutex<Counters>(Counters())
    let wake: AsyncStream<Void>.Continuation
    private let wakes: AsyncStream<Void>

    public struct Counters: Sendable {
        public var prepared = 0, launched = 0, finished = 0, failed = 0, plans = 0
        public var lastPlan: String?
        /// The dock link is down since then (nil: up). Said once in the log when it goes down and
        /// once when it is back, not per sortie per tick.
        public var dockLinkDownSince: Timestamp?
        /// Sorties held for the dock link in this outage (each has said so once in its history).
        public var heldForDockLink: Set<String> = []
        /// The last outage: when it began and ended.
        var lastOutage: (down: Timestamp, back: Timestamp)?
        /// When the last plan was made (the service's clock), and what the next re-plan must take in.
        var lastPlanAt: Timestamp?
        var lastMaintenanceCheck: Timestamp?
        /// The forecast file's modification time when last read.
        var forecastStamp: Date?
        var forecastUpdated = false
        /// The forecast the stored plan was last made or re-made under.
        var lastForecast: WeatherForecast?
        var ended: [SortieRecord] = []
        var groundings: [(drone: String, until: Timestamp, reason: String)] = []
        /// Drones whose dock did not answer or refused, kept out of plans until then.
        var resting: [String: (until: Timestamp, reason: String)] = [:]
        /// Sorties waiting for their drone's rest to end (and until when), each said once.
        var waitingForRest: [String: Timestamp] = [:]
    }

    /// Re-plans are coalesced: at most one a minute, with every reason since the last.
    static let replanSpacingMilliseconds: Int64 = 60_000

    /// `now`: the clock every decision reads (ticks, slots, re-plan spacing).
    public init(settings: Settings, store: any FleetStorage, sink: any RecordSink, docks: any DockFleet,
                rules: MaintenanceRules, logger: Logger, now: @escaping @Sendable () -> Timestamp = { .now() }) {
        self.settings = settings
        self.store = store
        self.sink = sink
        self.docks = docks
        self.rules = rules
        self.logger = logger
        self.now = now
        routeBase = Mutex(settings.routeFilesURL)
        (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public var counters: Counters { tally.withLock { $0 } }

    private let routeBase: Mutex<String>

    /// Where route files are served from now.
    public var routeFilesURL: String { routeBase.withLock { $0 } }

    /// The HTTP server is listening on `port`: route-file URLs use it (loopback for a wildcard
    /// host), unless the configuration fixed the public URL.
    public func serverListening(host: String, port: Int) {
        guard !settings.routeFilesURLIsFixed else { return }
        let h = host == "0.0.0.0" || host == "::" || host.isEmpty ? "127.0.0.1" : host
        let url = "http://" + (h.contains(":") ? "[\(h)]" : h) + ":\(port)/files/routes/"
        routeBase.withLock { $0 = url }
    }

    public func run() async throws {
        await restoreRouteFiles()
        if settings.autoPlan {
            do {
                let upcoming = try await store.sorties(from: now(), states: Set(SortieState.allCases.filter { !$0.isFinal }), limit: 1)
                if upcoming.isEmpty { _ = try await plan(reason: "no sorties planned ahead", by: "scheduler") }
            } catch {
                logger.error("automatic plan failed; sorties can still be added and re-planned by a lead", metadata: ["plan.error": "\(error)"])
            }
        }
        let tick = Duration.milliseconds(Int64(settings.tickSeconds * 1_000))
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                // A look every tick, and at once when a lead's action or a new plan asks for one.
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: tick)
                        self.wake.yield()
                    }
                }
                for await _ in wakes {
                    for (sortie, action) in await look() {
                        group.addTask { await self.perform(action, on: sortie) }
                    }
                }
                // Commands in flight are abandoned; their sorties are looked at again after a restart.
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
    }

    // MARK: The tick

    /// One look: a re-plan if one is wanted, then every unfinished sortie that needs something
    /// now, claimed for the caller.
    func look() async -> [(SortieRecord, SortieTiming.Action)] {
        await replanIfWanted()
        return await decide()
    }

    /// One look with its actions done before it returns: what `run` does on every tick, for a
    /// caller that moves the clock itself.
    func tick() async {
        let actions = await look()
        await withDiscardingTaskGroup { group in
            for (sortie, action) in actions { group.addTask { await self.perform(action, on: sortie) } }
        }
    }

    /// The dock link now, noting when it goes down and comes back (logged once each).
    func dockLink() -> SortieTiming.Link {
        let up = docks.isUp
        let t = now()
        enum Change { case none, down, back(Timestamp, Int) }
        let (link, change) = tally.withLock { c -> (SortieTiming.Link, Change) in
            var change = Change.none
            if up, let since = c.dockLinkDownSince {
                change = .back(since, c.heldForDockLink.count)
                c.lastOutage = (since, t)
                c.dockLinkDownSince = nil
                c.heldForDockLink.removeAll()
            } else if !up, c.dockLinkDownSince == nil {
                c.dockLinkDownSince = t
                change = .down
            }
            if let since = c.dockLinkDownSince { return (.init(up: false, downSince: since), change) }
            return (.init(up: true, downSince: c.lastOutage?.down, backAt: c.lastOutage?.back), change)
        }
        switch change {
        case .none: break
        case .down:
            logger.warning("dock link down: sorties due for a dock command are held (not failed, not re-planned) until it is back",
                           metadata: ["link.down_since": "\(t.iso8601)"])
        case let .back(since, held):
            logger.info("dock link back: held sorties go ahead",
                        metadata: ["link.down_since": "\(since.iso8601)", "link.down_seconds": "\((t.milliseconds - since.milliseconds) / 1_000)",
                                   "sorties.held": "\(held)"])
        }
        return link
    }

    /// Every unfinished sortie that needs something now, claimed for the caller.
    private func decide() async -> [(SortieRecord, SortieTiming.Action)] {
        let link = dockLink()
        let t = now()
        let open: [SortieRecord]
        let tasks: [String: FlightTaskUpdate]
        do {
            open = try await store.sorties(to: t.adding(seconds: settings.timing.prepareLeadSeconds),
                                           states: Set(SortieState.allCases.filter { !$0.isFinal }))
            tasks = try await store.flightTasks(ids: open.filter { $0.state.isWithDock }.map(\.id))
        } catch {
            logger.error("scheduler cannot read the sorties", metadata: ["store.error": "\(error)"])
            return []
        }
        let next = SortieTiming.docksNext(open)
        var out: [(SortieRecord, SortieTiming.Action)] = []
        for s in open {
            guard let action = settings.timing.action(for: s, now: t, isDocksNext: next[s.dock] == s.id, task: tasks[s.id], link: link) else { continue }
            guard claim(s.id) else { continue }
            // A held sortie says so once an outage.
            if case .hold = action, !tally.withLock({ $0.heldForDockLink.insert(s.id).inserted }) {
                release(s.id)
                continue
            }
            // A dock that refused or did not answer is not asked again while its drone rests (else
            // each refusal fails the sortie, the re-plan puts the cell on the same dock, and the
            // next prepare is refused a minute later); the sortie waits, saying so once a rest.
            if case .prepare = action, let r = restingUntil(s.drone, at: t) {
                if tally.withLock({ $0.waitingForRest.updateValue(r.until, forKey: s.id) != r.until }) {
                    out.append((s, .hold("waits: \(r.reason); dock \(s.dock) is asked again from \(r.until.iso8601)")))
                } else {
                    release(s.id)
                }
                continue
            }
            out.append((s, action))
        }
        return out
    }

    func claim(_ id: String) -> Bool { busy.withLock { $0.insert(id).inserted } }
    func release(_ id: String) { _ = busy.withLock { $0.remove(id) } }

    private func perform(_ action: SortieTiming.Action, on sortie: SortieRecord) async {
        defer { release(sortie.id) }
        var s = sortie
        switch action {
        case .prepare:
            await prepare(&s)
        case .execute:
            guard dockLink().up else { return await hold(&s) }
            let result = await command(s, .launch)
            if Task.isCancelled { return }
            // Not sent, or no answer, because the link went down meanwhile: the sortie waits.
            if !result.succeeded, !dockLink().up { return await hold(&s) }
            if !result.succeeded, let task = try? await store.flightTask(id: s.id), task.status != .sent {
                // Launched already (an earlier run's execute went through before it stopped).
                s.move(to: .executing, at: now(), "already flying: the dock reports \(task.status)")
            } else if result.succeeded {
                s.move(to: .executing, at: now(), "take-off ordered")
                tally.withLock { $0.launched += 1 }
            } else {
                s.move(to: .failed, at: now(), "launch refused: " + Self.describe(result))
                rest(s.drone, reason: "dock \(s.dock) did not launch sortie \(s.id): \(Self.describe(result))")
            }
            await save(s)
        case let .progress(state, percent, detail):
            if let percent { s.percent = percent }
            if state != s.state { s.move(to: state, at: now(), detail) }
            await save(s)
        case let .finish(state, why):
            await finish(&s, state, why)
        case let .hold(why):
            // Said once (`decide` sees to it); the sortie stays as it is.
            s.move(to: s.state, at: now(), why)
            await save(s)
        }
        if s.state.isFinal, s.state != .done { replanAfter(s) }
    }

    /// The rest of `drone` after its dock refused or did not answer, if it lasts beyond `t`.
    func restingUntil(_ drone: String, at t: Timestamp) -> (until: Timestamp, reason: String)? {
        tally.withLock { c in
            c.waitingForRest = c.waitingForRest.filter { $0.value > t }
            guard let r = c.resting[drone], r.until > t else { return nil }
            return r
        }
    }

    /// The dock link is down: the sortie stays as it is, and its history says why, once an outage.
    private func hold(_ s: inout SortieRecord) async {
        let link = dockLink()
        guard !link.up, tally.withLock({ $0.heldForDockLink.insert(s.id).inserted }) else { return }
        s.move(to: s.state, at: now(), SortieTiming.holdReason(s, link))
        await save(s)
    }

    /// Builds the route file, serves it, and gives the dock the task with its execute time.
    private func prepare(_ s: inout SortieRecord) async {
        guard dockLink().up else { return await hold(&s) }
        let prepared: PreparedFlight
        do {
            prepared = try await docks.prepareFlight(try await preparation(of: s))
        } catch {
            s.move(to: .failed, at: now(), "route file not built: \(error)")
            await save(s)
            return
        }
        if Task.isCancelled { return }
        let result = prepared.outcome
        if result.succeeded {
            s.move(to: .prepared, at: now(), "dock has the route (\(prepared.routeBytes) bytes, md5 \(prepared.fingerprint)) for \(s.start.iso8601)")
            tally.withLock { $0.prepared += 1 }
        } else if !dockLink().up {
            // Not sent, or no answer, because the link went down meanwhile: the sortie waits.
            docks.forgetFlight(s.id)
            return await hold(&s)
        } else {
            docks.forgetFlight(s.id)
            s.move(to: .failed, at: now(), "prepare refused: " + Self.describe(result))
            rest(s.drone, reason: "dock \(s.dock) did not take sortie \(s.id): \(Self.describe(result))")
        }
        await save(s)
    }

    /// What the dock needs to fly `s`.
    func preparation(of s: SortieRecord) async throws -> FlightPreparation {
        FlightPreparation(flightID: s.id, dock: s.dock, drone: s.drone, droneModel: try await droneModel(s.drone), start: s.start,
                          route: s.route, routeBaseURL: routeFilesURL)
    }

    private func finish(_ s: inout SortieRecord, _ state: SortieState, _ why: String) async {
        let t = now()
        var records: [StoreRecord] = []
        var detail = why
        if s.state.isWithDock {
            // What was really imaged, from the drone's own track.
            let from = s.history.last { $0.state == .executing }?.time ?? s.start
            do {
                let track = try await store.track(unit: s.drone, from: from, to: t)
                let coverage = try await cellCoverage(of: s, track: track, at: t)
                records += coverage.map { .cellCoverage($0) }
                let covered = coverage.filter { $0.lastCovered != nil }.count
                detail += "; \(covered) of \(s.cells.count) cells covered (" + coverage.map { "\($0.cell) \(Int(($0.lastFraction * 100).rounded(.down))) %" }.joined(separator: ", ") + ")"
            } catch {
                detail += "; coverage not computed: \(error)"
                logger.error("coverage accounting failed", metadata: ["sortie": "\(s.id)", "error": "\(error)"])
            }
        }
        s.move(to: state, at: t, detail)
        if state == .done { s.percent = 100 }
        records.append(.sortie(s))
        tally.withLock { if state == .failed { $0.failed += 1 } else { $0.finished += 1 } }
        await save(records)
        docks.forgetFlight(s.id)
        logger.info("sortie ended", metadata: ["sortie": "\(s.id)", "drone": "\(s.drone)", "state": "\(state.rawValue)", "detail": "\(detail)"])
    }

    /// The cells' coverage from the flown track.
    func cellCoverage(of s: SortieRecord, track: [Position], at time: Timestamp) async throws -> [CellCoverageRecord] {
        let registry = try await store.registry()
        let cells = registry.cells.filter { s.cells.contains($0.id) }
        guard let dock = registry.docks.first(where: { $0.serial == s.dock }),
              let capabilities = docks.capabilities(forModel: dock.model) else {
            throw Failure(.invalid, "no dock profile for \(s.dock)")
        }
        return try SortieCoverage.records(cells: cells, track: track, camera: capabilities.camera, takeOffAltitude: dock.altitudeMetres,
                                          threshold: settings.coverageThreshold, sortie: s.id, at: time)
    }

    // MARK: Commands

    func command(_ s: SortieRecord, _ action: DockAction, by: String = "scheduler") async -> DockCommandOutcome {
        await docks.command(action, serial: s.dock, flightID: s.id, requestedBy: by)
    }

    static func describe(_ r: DockCommandOutcome) -> String {
        var text = r.record.outcome.rawValue
        if let code = r.record.resultCode { text += " \(code)" }
        if let t = r.record.resultText { text += ": \(t)" }
        return text
    }

    func save(_ s: SortieRecord) async { await save([.sortie(s)]) }

    func save(_ records: [StoreRecord]) async {
        let ticket = sink.submit(records)
        do { try await sink.waitUntilCommitted(ticket) } catch {
            logger.error("sortie state not committed yet", metadata: ["store.error": "\(error)"])
        }
    }

    /// The forecast to plan with from `start`: the configured file (hours it lacks are not
    /// flown), or fair weather when none is configured. A file that cannot be read is logged and
    /// planned around as fair weather, said loudly, rather than stopping the plan.
    func forecast(from start: Timestamp, days: Int) -> WeatherForecast {
        guard let file = settings.forecastFile else { return .fair(from: start, days: days) }
        do {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let stamp = (try? FileManager.default.attributesOfItem(atPath: file)[.modificationDate]) as? Date
            tally.withLock { $0.forecastStamp = stamp }
            return try PlanReport.forecast(csv: text, file: file)
        } catch {
            logger.error("forecast file not usable; planning with every hour flyable", metadata: ["planner.forecast_file": "\(file)", "error": "\(error)"])
            return .fair(from: start, days: days)
        }
    }

    /// Has the forecast file changed since it was last read?
    func forecastChanged() -> Bool {
        guard let file = settings.forecastFile,
              let stamp = (try? FileManager.default.attributesOfItem(atPath: file)[.modificationDate]) as? Date else { return false }
        return tally.withLock { $0.forecastStamp.map { $0 != stamp } ?? false }
    }

    func droneModel(_ serial: String) async throws -> String {
        try await store.registry().drones.first { $0.serial == serial }?.model ?? ""
    }

    /// Route files of sorties already with a dock (after a restart, the dock may fetch again).
    func restoreRouteFiles() async {
        guard let open = try? await store.sorties(states: [.prepared, .executing, .paused]) else { return }
        for s in open {
            guard let flight = try? await preparation(of: s) else { continue }
            do { try docks.restoreFlight(flight) } catch {
                logger.warning("route file not served again", metadata: ["sortie": "\(s.id)", "error": "\(error)"])
            }
        }
    }
}
