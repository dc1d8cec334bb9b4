import TianyanModel

/// The store ports' contract as named cases, run against every adapter (in memory, SQLite, and
/// PostgreSQL when it lands): the writer's merge rules, the query filters, orders and paging, and
/// alarm handling and user accounts. A case fails by throwing `TestFailure` saying what differs.
///
/// Each case gets an empty store, its sink, and `settle`, which returns once everything
/// submitted so far is committed and readable. Records meant to arrive in separate transactions
/// are committed one call at a time (`commit`). Plain closures, no `import Testing`: this library
/// also links into tools.
public enum StoreConformance {
    public typealias Settle = @Sendable () async throws -> Void
    public typealias Run = @Sendable (any FleetStorage, any RecordSink, Settle) async throws -> Void
    public typealias Case = (name: String, run: Run)

    public static var names: [String] { cases.map(\.name) }

    public static func run(_ name: String, store: any FleetStorage, sink: any RecordSink, settle: @escaping Settle) async throws {
        guard let c = cases.first(where: { $0.name == name }) else { throw TestFailure("no store conformance case \(name)") }
        try await c.run(store, sink, settle)
    }

    public static let cases: [Case] = [
        ("registry round trip", registryRoundTrip),
        ("registry replaced all or nothing", registryAllOrNothing),
        ("positions insert or ignore on unit and time", positionsInsertOrIgnore),
        ("track range, order and limit", trackRangeOrderLimit),
        ("last position never replaced by an older one", lastPositionNeverOlder),
        ("unit kind guessed from a position, fixed by a sighting", unitKind),
        ("units in registry order, then unregistered by id", unitsOrder),
        ("voice call upserts end, cause, emergency, priority", voiceCallUpsert),
        ("voice transmissions upsert on talker and start", voiceTransmissionsUpsert),
        ("voice log filters, order and paging", voiceLogQuery),
        ("alarm cleared only becomes set", alarmClearedOnlyBecomesSet),
        ("alarm filters and order", alarmQuery),
        ("alarm acknowledge and clear with audit", alarmHandling),
        ("command outcome upserts", commandUpsert),
        ("audit order, filters and paging", auditQuery),
        ("device health latest wins", healthLatestWins),
        ("health history one sample per unit per 10 minutes", healthHistory),
        ("flight task fields merge, older updates ignored", flightTaskMerge),
        ("flight task filters, order and paging", flightTaskQuery),
        ("maintenance log insert or ignore", maintenanceLog),
        ("page history never shrinks", pageHistory),
        ("page filters and order", pageQuery),
        ("radio messages filters, order and paging", radioMessageQuery),
        ("sortie history never shrinks, final state never left", sortieMerge),
        ("sortie overlap, states, drone and order", sortieQuery),
        ("coverage only moves forward", coverageForward),
        ("task step count never goes down", taskMerge),
        ("task filters, order, unfinished and touching", taskQuery),
        ("user accounts with audit", userAccounts),
        ("counts and health", countsAndHealth),
    ]

    // MARK: Helpers

    static func t(_ ms: Int64) -> Timestamp { Timestamp(milliseconds: ms) }

    /// Commits `records` in their own transaction and returns when they are committed.
    static func commit(_ sink: any RecordSink, _ records: [StoreRecord]) async throws {
        try await sink.waitUntilCommitted(sink.submit(records))
    }

    static func expect<T: Equatable>(_ actual: T, _ expected: T, _ what: String) throws {
        guard actual == expected else { throw TestFailure("\(what): expected \(expected), got \(actual)") }
    }

    static func expect(_ condition: Bool, _ what: String) throws {
        guard condition else { throw TestFailure(what) }
    }

    /// Runs `body` and expects it to throw `DispatchError` of `kind`.
    static func expectError(_ kind: DispatchError.Kind, _ what: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let e as DispatchError {
            try expect(e.kind, kind, "\(what): error kind (\(e.message))")
            return
        } catch {
            throw TestFailure("\(what): expected DispatchError.\(kind), got \(error)")
        }
        throw TestFailure("\(what): expected DispatchError.\(kind), nothing was thrown")
    }

    static func position(_ unit: String, _ ms: Int64, lat: Double = 22.8, source: PositionSource = .lip) -> Position {
        Position(unit: unit, time: t(ms), latitude: lat, longitude: 113.8, altitude: 10, speed: 2, heading: 45, accuracy: 5, source: source)
    }

    static func registry() -> FleetRegistry {
        FleetRegistry(
            formations: [Formation(id: "F2", name: "North", community: "Nanshan", lead: "P1"),
                         Formation(id: "F1", name: "South", community: "Futian", lead: nil)],
            pilots: [Pilot(id: "P1", name: "Li Wei", formation: "F2", licenceClass: .bvlos, licenceExpiry: CivilDate(year: 2027, month: 3, day: 31)!,
                           maxDutyHoursPerDay: 8, minRestHours: 10)],
            docks: [Dock(serial: "DOCK-B", name: "Dock B", model: "dock2", formation: "F2",
                         location: Coordinate(latitude: 22.5, longitude: 113.9), altitudeMetres: 12.5, firmware: "1.2.3"),
                    Dock(serial: "DOCK-A", name: "Dock A", model: "dock3", formation: "F1",
                         location: Coordinate(latitude: 22.6, longitude: 114.0), altitudeMetres: 8, firmware: "1.2.4")],
            drones: [Drone(serial: "DRONE-1", name: "M3D one", model: "m3d", formation: "F2", dock: "DOCK-B", firmware: "9.1"),
                     Drone(serial: "DRONE-0", name: "M3D zero", model: "m3d", formation: "F1", dock: nil, firmware: "9.0")],
            talkgroups: [Talkgroup(gssi: "9001", name: "Ops"), Talkgroup(gssi: "9000", name: "All")],
            radios: [Radio(issi: "2100002", alias: "Bravo", person: "Li Wei", pilot: "P1", talkgroups: ["9001", "9000"]),
                     Radio(issi: "2100001", alias: "Alpha", person: "Zhang San", pilot: nil, talkgroups: [])],
            cells: [GridCell(id: "C2", community: "Nanshan",
                             polygon: [Coordinate(latitude: 22.5, longitude: 113.9), Coordinate(latitude: 22.51, longitude: 113.9),
                                       Coordinate(latitude: 22.51, longitude: 113.91)], revisitDays: 7)])
    }

    // MARK: Registry

    static let registryRoundTrip: Run = { store, _, _ in
        let r = registry()
        try await store.replaceRegistry(r)
        try expect(try await store.registry(), r, "the registry read back")
        var smaller = r
        smaller.docks.removeLast()
        smaller.cells = []
        try await store.replaceRegistry(smaller)
        try expect(try await store.registry(), smaller, "the registry after a second import replaced the first")
    }

    static let registryAllOrNothing: Run = { store, _, _ in
        let r = registry()
        try await store.replaceRegistry(r)
        var bad = FleetRegistry(formations: [Formation(id: "F9", name: "New", community: "X", lead: nil)])
        bad.docks = [r.docks[0], r.docks[0]]
        var threw = false
        do { try await store.replaceRegistry(bad) } catch { threw = true }
        try expect(threw, "a registry naming a dock twice is refused")
        try expect(try await store.registry(), r, "the registry after a refused import")
    }

    // MARK: Units and positions

    static let positionsInsertOrIgnore: Run = { store, sink, settle in
        try await commit(sink, [.position(position("R1", 1_000, lat: 22.1))])
        try await commit(sink, [.position(position("R1", 1_000, lat: 22.9)), .position(position("R1", 2_000, lat: 22.2))])
        try await settle()
        let track = try await store.track(unit: "R1", from: t(0), to: t(10_000))
        try expect(track.map(\.time.milliseconds), [1_000, 2_000], "track times after a redelivery")
        try expect(track[0].latitude, 22.1, "a redelivered position keeps the first copy")
        try expect(try await store.counts()["positions"], 2, "positions counted")
    }

    static let trackRangeOrderLimit: Run = { store, sink, settle in
        try await commit(sink, [5_000, 1_000, 3_000, 4_000, 2_000].map { .position(position("R1", $0)) }
                                 + [.position(position("R2", 3_500))])
        try await settle()
        let all = try await store.track(unit: "R1", from: t(2_000), to: t(4_000))
        try expect(all.map(\.time.milliseconds), [2_000, 3_000, 4_000], "track within inclusive bounds, oldest first")
        try expect(all[1], position("R1", 3_000), "a position read back with every field")
        let two = try await store.track(unit: "R1", from: t(0), to: t(10_000), limit: 2)
        try expect(two.map(\.time.milliseconds), [1_000, 2_000], "track with a limit keeps the oldest")
        try expect(try await store.track(unit: "R3", from: t(0), to: t(10_000)).isEmpty, "track of a unit never heard is empty")
    }

    static let lastPositionNeverOlder: Run = { store, sink, settle in
        try await commit(sink, [.position(position("R1", 5_000, lat: 22.85)), .position(position("R1", 9_000, lat: 22.90))])
        try await commit(sink, [.position(position("R1", 1_000, lat: 22.70))])
        try await commit(sink, [.sighting(UnitSighting(unit: "R1", kind: .radio, time: t(12_000)))])
        try await commit(sink, [.sighting(UnitSighting(unit: "R1", kind: .radio, time: t(11_000))),
                                .sighting(UnitSighting(unit: "R2", kind: .radio, time: t(11_000)))])
        try await settle()
        let last = try await store.lastPositions()
        try expect(last.count, 1, "one last position per unit, none for a unit only sighted")
        try expect(last[0].time.milliseconds, 9_000, "the last position after an older one arrived")
        try expect(last[0].latitude, 22.90, "the last position's latitude")
        let unit = try await store.units().first { $0.id == "R1" }
        try expect(unit?.lastSeen?.milliseconds, 12_000, "last seen only moves forward")
        try expect(unit?.position?.time.milliseconds, 9_000, "the unit's position")
        try await commit(sink, [.position(position("R1", 10_000, lat: 22.95))])
        try await settle()
        try expect(try await store.lastPositions().first?.latitude, 22.95, "a newer position replaces the last one")
    }

    static let unitKind: Run = { store, sink, settle in
        try await commit(sink, [.position(position("U1", 1_000, source: .lip)), .position(position("U2", 1_000, source: .osd))])
        try await settle()
        var kinds = Dictionary(try await store.units().map { ($0.id, $0.kind) }) { a, _ in a }
        try expect(kinds["U1"], .radio, "a unit first heard by LIP is guessed a radio")
        try expect(kinds["U2"], .drone, "a unit first heard by OSD is guessed a drone")
        try await commit(sink, [.sighting(UnitSighting(unit: "U1", kind: .dock, time: t(500)))])
        try await commit(sink, [.position(position("U1", 2_000, source: .osd)), .position(position("U2", 2_000, source: .lip))])
        try await settle()
        kinds = Dictionary(try await store.units().map { ($0.id, $0.kind) }) { a, _ in a }
        try expect(kinds["U1"], .dock, "a sighting fixes the kind, and a later position does not change it")
        try expect(kinds["U2"], .drone, "a position never changes a unit's kind")
        try await commit(sink, [.sighting(UnitSighting(unit: "U3", kind: .dock, time: t(3_000))), .position(position("U3", 3_000, source: .lip))])
        try await settle()
        let u3 = try await store.units().first { $0.id == "U3" }
        try expect(u3?.kind, .dock, "a sighting in the same batch as a position wins")
    }

    static let unitsOrder: Run = { store, sink, settle in
        try await store.replaceRegistry(registry())
        try await commit(sink, [.position(position("2100001", 4_000)), .position(position("ZZ9", 1_000, source: .osd)),
                                .sighting(UnitSighting(unit: "AA1", kind: .dock, time: t(2_000))),
                                .position(position("DRONE-0", 3_000, source: .osd))])
        try await settle()
        let units = try await store.units()
        try expect(units.map(\.id), ["DOCK-B", "DOCK-A", "DRONE-1", "DRONE-0", "2100002", "2100001", "AA1", "ZZ9"],
                   "units: docks, drones, radios in registry order, then unregistered by id")
        try expect(units.map(\.registered), [true, true, true, true, true, true, false, false], "registered flags")
        try expect(units.map(\.kind), [.dock, .dock, .drone, .drone, .radio, .radio, .dock, .drone], "kinds")
        try expect(units.map(\.name), ["Dock B", "Dock A", "M3D one", "M3D zero", "Bravo (Li Wei)", "Alpha (Zhang San)", "AA1", "ZZ9"], "names")
        try expect(units.map(\.formation), ["F2", "F1", "F2", "F1", "F2", nil, nil, nil], "formations (a radio's from its pilot)")
        try expect(units[5].lastSeen?.milliseconds, 4_000, "a registered radio heard")
        try expect(units[5].position, position("2100001", 4_000), "its position")
        try expect(units[0].lastSeen == nil && units[0].position == nil, "a registered dock never heard")
        try expect(units[6].position == nil && units[6].lastSeen?.milliseconds == 2_000, "a unit only sighted has no position")
    }

    // MARK: Voice log

    static func call(_ id: String, called: String = "9001", start: Int64, end: Int64? = nil, cause: String? = nil,
                     transmissions: [Transmission] = []) -> VoiceCall {
        VoiceCall(id: id, gateway: "gw1", kind: .group, called: called, caller: "2100001", priority: 0, emergency: false,
                  start: t(start), end: end.map(t), cause: cause, transmissions: transmissions)
    }

    static let voiceCallUpsert: Run = { store, sink, settle in
        try await commit(sink, [.voiceCall(call("c1", start: 1_000))])
        var later = call("c1", start: 1_000, end: 9_000, cause: "user requested disconnect")
        later.emergency = true
        later.priority = 15
        later.caller = "2100009"
        later.called = "9009"
        try await commit(sink, [.voiceCall(later)])
        try await settle()
        let got = try await store.voiceLog(talkgroup: nil, since: nil, limit: 10)
        try expect(got.count, 1, "a call updated in place")
        var expected = call("c1", start: 1_000, end: 9_000, cause: "user requested disconnect")
        expected.emergency = true
        expected.priority = 15
        try expect(got[0], expected, "the call keeps caller and called, takes end, cause, emergency and priority")
    }

    static let voiceTransmissionsUpsert: Run = { store, sink, settle in
        try await commit(sink, [.voiceCall(call("c1", start: 1_000, transmissions: [Transmission(talker: "A", start: t(1_000), end: nil)]))])
        try await commit(sink, [.voiceCall(call("c1", start: 1_000, transmissions: [
            Transmission(talker: "B", start: t(5_000), end: t(6_000)),
            Transmission(talker: "A", start: t(1_000), end: t(3_500)),
        ]))])
        try await commit(sink, [.voiceCall(call("c1", start: 1_000, transmissions: [Transmission(talker: "A", start: t(4_000), end: nil)]))])
        try await settle()
        let got = try await store.voiceLog(talkgroup: "9001", since: nil, limit: 10)
        try expect(got.first?.transmissions ?? [], [Transmission(talker: "A", start: t(1_000), end: t(3_500)),
                                                    Transmission(talker: "A", start: t(4_000), end: nil),
                                                    Transmission(talker: "B", start: t(5_000), end: t(6_000))],
                   "transmissions merged on (talker, start), none lost, by start")
    }

    static let voiceLogQuery: Run = { store, sink, settle in
        try await commit(sink, [
            .voiceCall(call("c1", start: 1_000)), .voiceCall(call("c2", called: "9002", start: 2_000)),
            .voiceCall(call("c3", start: 3_000)), .voiceCall(call("c4b", start: 4_000)), .voiceCall(call("c4a", start: 4_000)),
            .voiceCall(call("c5", start: 5_000)),
        ])
        try await settle()
        let all = try await store.voiceLog(talkgroup: nil, since: nil, limit: 100)
        try expect(all.map(\.id), ["c5", "c4b", "c4a", "c3", "c2", "c1"], "newest first, then id descending")
        try expect(try await store.voiceLog(talkgroup: "9001", since: nil, limit: 100).map(\.id), ["c5", "c4b", "c4a", "c3", "c1"],
                   "by talkgroup")
        try expect(try await store.voiceLog(talkgroup: nil, since: t(2_000), limit: 100, until: t(4_000)).map(\.id), ["c4b", "c4a", "c3", "c2"],
                   "since...until, inclusive")
        try expect(try await store.voiceLog(talkgroup: nil, since: nil, limit: 2, offset: 1).map(\.id), ["c4b", "c4a"], "limit and offset")
    }

    // MARK: Alarms

    static func alarm(_ id: String, unit: String = "DOCK-A", at ms: Int64, kind: String = "hms", text: String = "fan stalled",
                      cleared: Int64? = nil) -> Alarm {
        Alarm(id: id, unit: unit, time: t(ms), kind: kind, severity: .warning, code: "0x1600", text: text, clearedAt: cleared.map(t))
    }

    static let alarmClearedOnlyBecomesSet: Run = { store, sink, settle in
        try await commit(sink, [.alarm(alarm("a1", at: 1_000))])
        try await commit(sink, [.alarm(alarm("a1", at: 1_000, text: "changed", cleared: 5_000))])
        try await commit(sink, [.alarm(alarm("a1", at: 1_000))])
        try await settle()
        try expect(try await store.alarm(id: "a1"), alarm("a1", at: 1_000, cleared: 5_000),
                   "a redelivery without a clear time leaves the alarm cleared, and the text as first stored")
        try expect(try await store.alarm(id: "nope") == nil, "an unknown alarm")
    }

    static let alarmQuery: Run = { store, sink, settle in
        try await commit(sink, [.alarm(alarm("a1", at: 1_000)), .alarm(alarm("a2", unit: "DOCK-B", at: 2_000)),
                                .alarm(alarm("a3", at: 3_000, kind: "emergency")), .alarm(alarm("a4", at: 4_000, cleared: 4_500))])
        try await settle()
        try expect(try await store.alarms().map(\.id), ["a4", "a3", "a2", "a1"], "newest first")
        try expect(try await store.alarms(kind: "hms").map(\.id), ["a4", "a2", "a1"], "by kind")
        try expect(try await store.alarms(unit: "DOCK-A").map(\.id), ["a4", "a3", "a1"], "by unit")
        try expect(try await store.alarms(open: true).map(\.id), ["a3", "a2", "a1"], "open only")
        try expect(try await store.alarms(kind: "hms", unit: "DOCK-A", open: true, limit: 5).map(\.id), ["a1"], "all filters")
        try expect(try await store.alarms(limit: 2).map(\.id), ["a4", "a3"], "limit")
        try expect(try await store.alarms(AlarmQuery(unit: "DOCK-B")).map(\.alarm.id), ["a2"], "the query form")
    }

    static let alarmHandling: Run = { store, sink, settle in
        try await commit(sink, [.alarm(alarm("a1", at: 1_000)), .alarm(alarm("a2", at: 2_000, cleared: 2_500))])
        try await settle()
        let acked = try await store.acknowledgeAlarm("a1", by: "alice", note: "on it", at: t(10_000))
        try expect(acked.acknowledgedAt?.milliseconds, 10_000, "acknowledged at")
        try expect(acked.acknowledgedBy, "alice", "acknowledged by")
        try expect(acked.note, "on it", "note")
        let again = try await store.acknowledgeAlarm("a1", by: "bob", note: nil, at: t(11_000))
        try expect(again.acknowledgedBy, "alice", "the first acknowledgement stands")
        try expect(again.acknowledgedAt?.milliseconds, 10_000, "the first acknowledgement's time stands")
        try expect(again.note, "on it", "no note keeps the note")
        let cleared = try await store.clearAlarm("a1", by: "bob", note: "fan replaced", at: t(12_000))
        try expect(cleared.alarm.clearedAt?.milliseconds, 12_000, "cleared at")
        try expect(cleared.clearedBy, "bob", "cleared by")
        try expect(cleared.note, "fan replaced", "the clear's note")
        try expect(try await store.handledAlarm(id: "a1"), cleared, "the handled alarm read back")
        try expect(try await store.alarms(open: true).map(\.id), [], "no alarm open")
        try await expectError(.conflict, "clearing a cleared alarm") { _ = try await store.clearAlarm("a1", by: "bob", note: "x", at: t(13_000)) }
        try await expectError(.conflict, "acknowledging a cleared alarm") { _ = try await store.acknowledgeAlarm("a2", by: "bob", note: nil, at: t(13_000)) }
        try await expectError(.notFound, "an unknown alarm") { _ = try await store.acknowledgeAlarm("zz", by: "bob", note: nil, at: t(13_000)) }
        let cleared2 = try await store.handledAlarm(id: "a2")
        try expect(cleared2?.acknowledgedBy == nil && cleared2?.clearedBy == nil, "a refused change changes nothing")
        try await settle()
        let audit = try await store.audit(limit: 10).map { "\($0.actor) \($0.action) \($0.target) \($0.outcome) \($0.detail ?? "-")" }
        try expect(audit, ["bob alarm clear a1 ok fan replaced", "bob alarm ack a1 ok -", "alice alarm ack a1 ok on it"],
                   "one audit line per change, none for refusals")
    }

    // MARK: Commands and audit

    static let commandUpsert: Run = { store, sink, settle in
        let sent = CommandRecord(id: "cmd1", unit: "DOCK-A", method: "flighttask_prepare", data: "{}", requestedBy: "lead",
                                 requestedAt: t(1_000), outcome: .pending)
        try await commit(sink, [.command(sent), .command(CommandRecord(id: "cmd2", unit: "DOCK-A", method: "return_home", data: nil,
                                                                       requestedBy: "lead", requestedAt: t(2_000), outcome: .pending)),
                                .command(CommandRecord(id: "cmd3", unit: "DOCK-B", method: "return_home", data: nil,
                                                       requestedBy: "lead", requestedAt: t(3_000), outcome: .pending))])
        var done = sent
        done.method = "changed"
        done.requestedBy = "someone else"
        done.outcome = .failed
        done.resultCode = 314_000
        done.resultText = "busy"
        done.completedAt = t(1_500)
        try await commit(sink, [.command(done)])
        try await settle()
        var expected = sent
        expected.outcome = .failed
        expected.resultCode = 314_000
        expected.resultText = "busy"
        expected.completedAt = t(1_500)
        try expect(try await store.commands(unit: "DOCK-A").map(\.id), ["cmd2", "cmd1"], "a unit's commands, newest first")
        try expect(try await store.commands(unit: "DOCK-A").last, expected, "the outcome upserted, the request as sent")
        try expect(try await store.commands(limit: 2).map(\.id), ["cmd3", "cmd2"], "limit")
    }

    static let auditQuery: Run = { store, sink, settle in
        let entries = [
            AuditEntry(time: t(1_000), actor: "alice", action: "login", target: "api", outcome: "ok"),
            AuditEntry(time: t(3_000), actor: "bob", action: "login", target: "api", outcome: "refused", detail: "bad password"),
            AuditEntry(time: t(2_000), actor: "alice", action: "page", target: "2100001", outcome: "queued"),
            AuditEntry(time: t(4_000), actor: "alice", action: "login", target: "api", outcome: "ok"),
        ]
        for e in entries { try await commit(sink, [.audit(e)]) }
        try await settle()
        try expect(try await store.audit(), Array(entries.reversed()), "newest written first, every field")
        try expect(try await store.audit(actor: "alice").map(\.time.milliseconds), [4_000, 2_000, 1_000], "by actor")
        try expect(try await store.audit(action: "login").map(\.actor), ["alice", "bob", "alice"], "by action")
        try expect(try await store.audit(since: t(2_000), until: t(3_000)).map(\.time.milliseconds), [2_000, 3_000],
                   "since...until in the order written, newest first")
        try expect(try await store.audit(limit: 2, offset: 1).map(\.time.milliseconds), [2_000, 3_000], "limit and offset")
    }

    // MARK: Maintenance

    static func health(_ unit: String, _ ms: Int64, flightSeconds: Double) -> DeviceHealth {
        var h = DeviceHealth(unit: unit, kind: .drone, time: t(ms))
        h.flightSeconds = flightSeconds
        h.flightCount = Int(flightSeconds / 600)
        h.batteryPercent = 80
        h.temperatureCelsius = 31.5
        h.batteries = [BatteryPack(serial: "B1", index: 0, cycles: 120, chargePercent: 80, temperature: 30, voltage: 15.2,
                                   highVoltageStorageDays: 0, firmware: "1.0"),
                       BatteryPack(serial: "B2", index: 1, cycles: 140, chargePercent: 81, temperature: 30, voltage: 15.3,
                                   highVoltageStorageDays: 0, firmware: "1.0")]
        return h
    }

    static let healthLatestWins: Run = { store, sink, settle in
        try await commit(sink, [.health(health("DRONE-1", 5_000, flightSeconds: 500)), .health(health("DOCK-A", 1_000, flightSeconds: 0))])
        try await commit(sink, [.health(health("DRONE-1", 4_000, flightSeconds: 400))])
        try await settle()
        try expect(try await store.deviceHealth(), [health("DOCK-A", 1_000, flightSeconds: 0), health("DRONE-1", 5_000, flightSeconds: 500)],
                   "the latest report per unit, by unit")
        try await commit(sink, [.health(health("DRONE-1", 6_000, flightSeconds: 600))])
        try await settle()
        try expect(try await store.deviceHealth().last, health("DRONE-1", 6_000, flightSeconds: 600), "a newer report replaces it")
    }

    static let healthHistory: Run = { store, sink, settle in
        let minute: Int64 = 60_000
        for m: Int64 in [0, 5, 10, 19, 21, 30] {
            try await commit(sink, [.health(health("DRONE-1", 1_000_000 + m * minute, flightSeconds: Double(m)))])
        }
        try await commit(sink, [.health(health("DRONE-2", 1_000_000, flightSeconds: 1))])
        try await settle()
        let all = try await store.healthHistory(unit: "DRONE-1", from: t(0), to: t(10_000_000), limit: 100)
        try expect(all.map { ($0.time.milliseconds - 1_000_000) / minute }, [0, 10, 21], "one sample per 10 minutes, oldest first")
        try expect(all[1], HealthSample(time: t(1_000_000 + 10 * minute), flightSeconds: 10, flightCount: 0, batteryCycles: 140,
                                        batteryPercent: 80, temperatureCelsius: 31.5), "a sample's figures (the highest battery cycles)")
        try expect(try await store.healthHistory(unit: "DRONE-1", from: t(1_000_000 + 10 * minute), to: t(1_000_000 + 21 * minute), limit: 1)
                       .map(\.time.milliseconds), [1_000_000 + 10 * minute], "from...to inclusive, with a limit")
    }

    static let maintenanceLog: Run = { store, sink, settle in
        let ground = MaintenanceAction(unit: "DRONE-1", time: t(2_000), kind: .ground, by: "alice", note: "prop chipped", flightSeconds: 3600)
        try await commit(sink, [.maintenance(ground),
                                .maintenance(MaintenanceAction(unit: "DRONE-2", time: t(1_000), kind: .serviced, by: "bob", note: nil))])
        var copy = ground
        copy.note = "another note"
        try await commit(sink, [.maintenance(copy),
                                .maintenance(MaintenanceAction(unit: "DRONE-1", time: t(3_000), kind: .unground, by: "alice", note: nil))])
        try await settle()
        let log = try await store.maintenanceLog(unit: "DRONE-1")
        try expect(log.map(\.kind), [.ground, .unground], "a unit's log, oldest first")
        try expect(log[0], ground, "a repeated action is stored once, as first written")
        try expect(try await store.maintenanceLog().map(\.unit), ["DRONE-2", "DRONE-1", "DRONE-1"], "every unit's log by time")
    }

    // MARK: Flight tasks

    static let flightTaskMerge: Run = { store, sink, settle in
        try await commit(sink, [.flightTask(FlightTaskUpdate(flightID: "f1", dock: "DOCK-A", time: t(1_000), status: "in_progress",
                                                              percent: 10, step: 1, waypointIndex: 2, mediaCount: 0, trackID: "trk"))])
        try await commit(sink, [.flightTask(FlightTaskUpdate(flightID: "f1", dock: "DOCK-B", time: t(2_000), status: "in_progress",
                                                              percent: 50, waypointIndex: nil, mediaCount: 4))])
        try await commit(sink, [.flightTask(FlightTaskUpdate(flightID: "f1", dock: "DOCK-A", time: t(1_500), status: "paused", percent: 20))])
        try await commit(sink, [.flightTask(FlightTaskUpdate(flightID: "f1", dock: "DOCK-B", time: t(2_000), status: "ok",
                                                              resultCode: 0, resultText: "done"))])
        try await settle()
        let expected = FlightTaskUpdate(flightID: "f1", dock: "DOCK-B", time: t(2_000), status: "ok", percent: 50, step: 1, waypointIndex: 2,
                                        mediaCount: 4, trackID: "trk", resultCode: 0, resultText: "done")
        try expect(try await store.flightTask(id: "f1"), expected,
                   "fields merged (a missing field keeps the last value), an older update ignored, an equal time applied")
        try expect(try await store.flightTasks(ids: ["f1", "nope"]), ["f1": expected], "by ids, unknown ids left out")
        try expect(try await store.flightTasks(ids: []).isEmpty, "no ids")
    }

    static let flightTaskQuery: Run = { store, sink, settle in
        try await commit(sink, [
            .flightTask(FlightTaskUpdate(flightID: "f1", dock: "DOCK-A", time: t(1_000), status: "ok")),
            .flightTask(FlightTaskUpdate(flightID: "f2", dock: "DOCK-B", time: t(2_000), status: "ok")),
            .flightTask(FlightTaskUpdate(flightID: "f3b", dock: "DOCK-A", time: t(3_000), status: "sent")),
            .flightTask(FlightTaskUpdate(flightID: "f3a", dock: "DOCK-A", time: t(3_000), status: "sent")),
        ])
        try await settle()
        try expect(try await store.flightTasks().map(\.flightID), ["f3b", "f3a", "f2", "f1"], "by last update, then id, descending")
        try expect(try await store.flightTasks(dock: "DOCK-A").map(\.flightID), ["f3b", "f3a", "f1"], "by dock")
        try expect(try await store.flightTasks(since: t(2_000), until: t(2_000)).map(\.flightID), ["f2"], "since...until inclusive")
        try expect(try await store.flightTasks(limit: 2, offset: 1).map(\.flightID), ["f3a", "f2"], "limit and offset")
    }

    // MARK: Pages and radio messages

    static func page(_ id: String, to destination: String = "2100001", at ms: Int64, steps: [PageState]) -> Page {
        Page(id: id, gateway: "gw1", destination: destination, target: .radio, text: "report to gate 3", requestedBy: "alice",
             requestedAt: t(ms), state: steps.last ?? .queued,
             history: steps.enumerated().map { PageStep(state: $1, time: t(ms + Int64($0) * 100), detail: $0 == 0 ? nil : "step \($0)") })
    }

    static let pageHistory: Run = { store, sink, settle in
        try await commit(sink, [.page(page("p1", at: 1_000, steps: [.queued, .accepted]))])
        try await commit(sink, [.page(page("p1", at: 1_000, steps: [.queued]))])
        try await settle()
        try expect(try await store.page(id: "p1"), page("p1", at: 1_000, steps: [.queued, .accepted]), "a late copy with less history is ignored")
        var newer = page("p1", at: 1_000, steps: [.queued, .accepted, .sent])
        newer.text = "changed"
        newer.destination = "9001"
        try await commit(sink, [.page(newer)])
        try await settle()
        try expect(try await store.page(id: "p1"), page("p1", at: 1_000, steps: [.queued, .accepted, .sent]),
                   "more history moves the state on; what was asked stays as first stored")
        try expect(try await store.page(id: "nope") == nil, "an unknown page")
    }

    static let pageQuery: Run = { store, sink, settle in
        try await commit(sink, [.page(page("p1", at: 1_000, steps: [.queued])), .page(page("p2", to: "9001", at: 2_000, steps: [.queued])),
                                .page(page("p3b", at: 3_000, steps: [.queued])), .page(page("p3a", at: 3_000, steps: [.queued]))])
        try await settle()
        try expect(try await store.pages().map(\.id), ["p3b", "p3a", "p2", "p1"], "newest first, then id descending")
        try expect(try await store.pages(destination: "2100001").map(\.id), ["p3b", "p3a", "p1"], "by destination")
        try expect(try await store.pages(since: t(2_000)).map(\.id), ["p3b", "p3a", "p2"], "since, inclusive")
        try expect(try await store.pages(limit: 1).map(\.id), ["p3b"], "limit")
    }

    static let radioMessageQuery: Run = { store, sink, settle in
        let m = [
            RadioMessage(gateway: "gw1", unit: "2100001", time: t(1_000), kind: .status, status: 0x8002, meaning: "accepted", text: "Accepted",
                         called: "9001"),
            RadioMessage(gateway: "gw1", unit: "2100002", time: t(2_000), kind: .text, text: "at the gate"),
            RadioMessage(gateway: "gw1", unit: "2100001", time: t(2_000), kind: .text, text: "second at the same time"),
            RadioMessage(gateway: "gw1", unit: "2100001", time: t(3_000), kind: .status, status: 0x8004),
        ]
        try await commit(sink, m.map { .radioMessage($0) })
        try await commit(sink, [.radioMessage(m[0])])
        try await settle()
        try expect(try await store.radioMessages(), [m[3], m[2], m[1], m[0], m[0]],
                   "newest first, then the later arrival first; a repeat is another message")
        try expect(try await store.radioMessages(unit: "2100001", since: t(1_500), until: t(3_000)), [m[3], m[2]], "by unit, since...until")
        try expect(try await store.radioMessages(limit: 2, offset: 1), [m[2], m[1]], "limit and offset")
    }

    // MARK: Sorties and coverage

    static let route = SortieRoute(points: [RoutePoint(latitude: 22.5, longitude: 113.9, altitudeMetres: 120, kind: .dock),
                                            RoutePoint(latitude: 22.51, longitude: 113.91, altitudeMetres: 120, kind: .laneStart)],
                                   surveySpeedMetresPerSecond: 8, transitSpeedMetresPerSecond: 12, photoTriggerDistanceMetres: 30,
                                   distanceMetres: 1_500, durationSeconds: 300)

    static func sortie(_ id: String, drone: String = "DRONE-1", start: Int64, end: Int64, steps: [SortieState], percent: Double? = nil) -> SortieRecord {
        SortieRecord(id: id, drone: drone, dock: "DOCK-B", pilot: "P1", formation: "F2", cells: ["C2"], start: t(start), end: t(end),
                     state: steps.last ?? .planned, urgent: false, part: 0, parts: 1, route: route, percent: percent,
                     history: steps.enumerated().map { SortieStep(state: $1, time: t(start - 1_000 + Int64($0) * 10)) })
    }

    static let sortieMerge: Run = { store, sink, settle in
        try await commit(sink, [.sortie(sortie("s1", start: 10_000, end: 20_000, steps: [.planned]))])
        var prepared = sortie("s1", start: 11_000, end: 21_000, steps: [.planned, .prepared], percent: 5)
        prepared.formation = "F9"
        prepared.cells = ["C9"]
        prepared.urgent = true
        try await commit(sink, [.sortie(prepared)])
        try await commit(sink, [.sortie(sortie("s1", start: 10_000, end: 20_000, steps: [.planned]))])
        try await settle()
        try expect(try await store.sortie(id: "s1"), sortie("s1", start: 11_000, end: 21_000, steps: [.planned, .prepared], percent: 5),
                   "state, times and history move; formation, cells and urgency stay; a stale copy is ignored")
        try await commit(sink, [.sortie(sortie("s1", start: 11_000, end: 21_000, steps: [.planned, .prepared, .executing]))])
        try await settle()
        try expect(try await store.sortie(id: "s1")?.percent, 5, "a missing percent keeps the last one")
        try await commit(sink, [.sortie(sortie("s1", start: 11_000, end: 21_000, steps: [.planned, .prepared, .executing, .done], percent: 100))])
        try await commit(sink, [.sortie(sortie("s1", start: 11_000, end: 21_000,
                                               steps: [.planned, .prepared, .executing, .done, .executing], percent: 50))])
        try await settle()
        try expect(try await store.sortie(id: "s1"),
                   sortie("s1", start: 11_000, end: 21_000, steps: [.planned, .prepared, .executing, .done], percent: 100),
                   "a final state is never left")
        try expect(try await store.sortie(id: "nope") == nil, "an unknown sortie")
    }

    static let sortieQuery: Run = { store, sink, settle in
        try await commit(sink, [
            .sortie(sortie("s1", start: 1_000, end: 2_000, steps: [.planned])),
            .sortie(sortie("s2", drone: "DRONE-0", start: 2_000, end: 3_000, steps: [.planned, .prepared])),
            .sortie(sortie("s3b", start: 3_000, end: 4_000, steps: [.planned])),
            .sortie(sortie("s3a", start: 3_000, end: 4_000, steps: [.planned, .canceled])),
        ])
        try await settle()
        try expect(try await store.sorties().map(\.id), ["s1", "s2", "s3a", "s3b"], "by start, then id")
        try expect(try await store.sorties(from: t(2_000)).map(\.id), ["s2", "s3a", "s3b"], "from: ends after it (a sortie ending at it is out)")
        try expect(try await store.sorties(to: t(3_000)).map(\.id), ["s1", "s2"], "to: starts before it (a sortie starting at it is out)")
        try expect(try await store.sorties(states: [.planned, .prepared]).map(\.id), ["s1", "s2", "s3b"], "by states")
        try expect(try await store.sorties(drone: "DRONE-0").map(\.id), ["s2"], "by drone")
        try expect(try await store.sorties(limit: 2).map(\.id), ["s1", "s2"], "limit")
    }

    static let coverageForward: Run = { store, sink, settle in
        try await commit(sink, [.cellCoverage(CellCoverageRecord(cell: "C2", lastCovered: nil, lastFraction: 0.4, lastSortie: "s1", lastFlown: t(1_000))),
                                .cellCoverage(CellCoverageRecord(cell: "C1", lastCovered: t(500), lastFraction: 0.95, lastSortie: "s0", lastFlown: t(500)))])
        try await commit(sink, [.cellCoverage(CellCoverageRecord(cell: "C2", lastCovered: t(3_000), lastFraction: 0.9, lastSortie: "s3", lastFlown: t(3_000)))])
        try await commit(sink, [.cellCoverage(CellCoverageRecord(cell: "C2", lastCovered: t(2_000), lastFraction: 0.92, lastSortie: "s2", lastFlown: t(2_000)))])
        try await settle()
        try expect(try await store.coverage(), [
            CellCoverageRecord(cell: "C1", lastCovered: t(500), lastFraction: 0.95, lastSortie: "s0", lastFlown: t(500)),
            CellCoverageRecord(cell: "C2", lastCovered: t(3_000), lastFraction: 0.9, lastSortie: "s3", lastFlown: t(3_000)),
        ], "an older flight changes nothing; by cell")
        try await commit(sink, [.cellCoverage(CellCoverageRecord(cell: "C2", lastCovered: nil, lastFraction: 0.3, lastSortie: "s4", lastFlown: t(4_000)))])
        try await settle()
        try expect(try await store.coverage().last,
                   CellCoverageRecord(cell: "C2", lastCovered: t(3_000), lastFraction: 0.3, lastSortie: "s4", lastFlown: t(4_000)),
                   "a newer flight that did not cover keeps when it was last covered, and takes the fraction and sortie")
    }

    // MARK: Tasks

    static func task(_ id: String, at ms: Int64, team: String? = "F1", steps: Int = 1, state: TaskState = .open,
                     closed: Int64? = nil) -> DispatchTask {
        var task = DispatchTask(id: id, title: "Smoke at \(id)", description: "seen from the road", priority: .high,
                                location: Coordinate(latitude: 22.5, longitude: 113.9), source: TaskSource(kind: .point),
                                team: team, createdBy: "alice", createdAt: t(ms))
        for i in 1..<max(1, steps) {
            task.history.append(TaskStep(action: "note \(i)", time: t(ms + Int64(i) * 10), actor: "alice", state: state))
        }
        task.state = state
        task.closedAt = closed.map(t)
        return task
    }

    static let taskMerge: Run = { store, sink, settle in
        try await commit(sink, [.task(task("T1", at: 1_000, steps: 2, state: .dispatched))])
        try await commit(sink, [.task(task("T1", at: 1_000, steps: 1))])
        try await settle()
        try expect(try await store.task(id: "T1"), task("T1", at: 1_000, steps: 2, state: .dispatched), "a stale copy with fewer steps is ignored")
        try await commit(sink, [.task(task("T1", at: 1_000, team: "F2", steps: 3, state: .done, closed: 5_000))])
        try await settle()
        try expect(try await store.task(id: "T1"), task("T1", at: 1_000, team: "F2", steps: 3, state: .done, closed: 5_000),
                   "a copy with more steps replaces the task")
        try expect(try await store.tasks(team: "F2").map(\.id), ["T1"], "the team moved with it")
        try expect(try await store.task(id: "nope") == nil, "an unknown task")
    }

    static let taskQuery: Run = { store, sink, settle in
        try await commit(sink, [
            .task(task("T1", at: 1_000, state: .done, closed: 6_000)),
            .task(task("T2", at: 2_000, team: "F2", state: .dispatched)),
            .task(task("T3b", at: 3_000, state: .canceled, closed: 3_500)),
            .task(task("T3a", at: 3_000)),
            .task(task("T4", at: 4_000, team: nil, state: .onScene)),
        ])
        try await settle()
        try expect(try await store.tasks().map(\.id), ["T4", "T3b", "T3a", "T2", "T1"], "newest first, then id descending")
        try expect(try await store.tasks(states: [.open, .dispatched]).map(\.id), ["T3a", "T2"], "by states")
        try expect(try await store.tasks(team: "F1").map(\.id), ["T3b", "T3a", "T1"], "by team")
        try expect(try await store.tasks(since: t(2_000), until: t(3_000)).map(\.id), ["T3b", "T3a", "T2"], "created since...until")
        try expect(try await store.tasks(limit: 2, offset: 2).map(\.id), ["T3a", "T2"], "limit and offset")
        try expect(try await store.unfinishedTasks().map(\.id), ["T2", "T3a", "T4"], "unfinished, oldest first")
        try expect(Set(try await store.tasksTouching(from: t(3_500), to: t(4_000)).map(\.id)), ["T3b", "T4"],
                   "created or closed within from...to")
        try expect(Set(try await store.tasksTouching(from: t(5_000), to: t(7_000)).map(\.id)), ["T1"], "closed within")
    }

    // MARK: Users

    static let userAccounts: Run = { store, _, settle in
        try await store.addUser(name: "bob", role: "dispatcher", passwordHash: "$y$h1", by: "cli")
        try await store.addUser(name: "alice", role: "admin", passwordHash: "$y$h2", by: "cli")
        try await expectError(.conflict, "adding a user that exists") {
            try await store.addUser(name: "bob", role: "admin", passwordHash: "$y$x", by: "cli")
        }
        try await store.setPasswordHash(name: "bob", passwordHash: "$y$h3", by: "alice")
        try await expectError(.notFound, "a new password for nobody") {
            try await store.setPasswordHash(name: "carol", passwordHash: "$y$x", by: "alice")
        }
        try expect(try await store.setDisabled(name: "bob", true, by: "alice"), true, "disabling an enabled user")
        try expect(try await store.setDisabled(name: "bob", true, by: "alice"), false, "disabling a disabled user")
        try await expectError(.notFound, "disabling nobody") { try await store.setDisabled(name: "carol", true, by: "alice") }
        let users = try await store.users()
        try expect(users.map(\.name), ["alice", "bob"], "users by name")
        try expect(users.map(\.role), ["admin", "dispatcher"], "roles")
        try expect(users.map(\.disabled), [false, true], "disabled")
        try expect(users.map(\.passwordHash), ["$y$h2", "$y$h3"], "password hashes")
        try expect(try await store.user(named: "bob"), users[1], "one user by name")
        try expect(try await store.user(named: "carol") == nil, "an unknown user")
        try await settle()
        let audit = try await store.audit(limit: 10).map { "\($0.actor) \($0.action) \($0.target) \($0.detail ?? "-")" }
        try expect(audit, ["alice user disable bob already disabled", "alice user disable bob -", "alice user passwd bob -",
                           "cli user add alice role admin", "cli user add bob role dispatcher"], "one audit line per change, none for refusals")
    }

    // MARK: Status

    static let countsAndHealth: Run = { store, sink, settle in
        try await store.replaceRegistry(registry())
        try await commit(sink, [.position(position("R1", 1_000)), .position(position("R1", 2_000)), .voiceCall(call("c1", start: 1_000)),
                                .alarm(alarm("a1", at: 1_000)), .audit(AuditEntry(time: t(1), actor: "a", action: "b", target: "c", outcome: "ok")),
                                .page(page("p1", at: 1_000, steps: [.queued])),
                                .radioMessage(RadioMessage(gateway: "gw1", unit: "R1", time: t(1_000), kind: .text, text: "x")),
                                .flightTask(FlightTaskUpdate(flightID: "f1", dock: "DOCK-A", time: t(1_000), status: "ok")),
                                .health(health("DRONE-1", 1_000, flightSeconds: 1)),
                                .command(CommandRecord(id: "cmd1", unit: "DOCK-A", method: "m", data: nil, requestedBy: "x",
                                                       requestedAt: t(1), outcome: .pending))])
        try await settle()
        let counts = try await store.counts()
        let expected = ["formations": 2, "pilots": 1, "docks": 2, "drones": 2, "talkgroups": 2, "radios": 2, "cells": 1, "positions": 2,
                        "voice_calls": 1, "alarms": 1, "commands": 1, "audit": 1, "device_health": 1, "flight_tasks": 1, "pages": 1,
                        "radio_messages": 1]
        try expect(counts, expected, "row counts per table")
        let status = await store.health
        try expect(status.problems, [], "a healthy store reports no problem")
    }
}
