import Foundation

/// A realistic registry for Chang'an town (Dongguan, Guangdong): 126 drones in 94 formations
/// flown by 205 pilots, docks for part of the fleet, radios for every pilot and thousands of
/// city officers, talkgroups, and 501 grid cells of about 0.2 km² tiling ~98 km² in 13
/// communities. Deterministic for a given seed.
public enum FleetSample {
    public static let center = Coordinate(latitude: 22.80, longitude: 113.80)
    public static let cellCount = 501
    public static let formationCount = 94
    public static let pilotCount = 205
    public static let droneCount = 126
    public static let dockCount = 84
    public static let officerRadioCount = 2_400
    /// Cell edge, degrees: 0.004° of latitude ≈ 445 m; 0.00435° of longitude ≈ 446 m at 22.8° N.
    static let latStep = 0.004
    static let lonStep = 0.00435

    /// Communities of Chang'an with their rough offsets from the town centre, km (east, north).
    public static let communities: [(name: String, east: Double, north: Double)] = [
        ("Chang'an", 0.0, 0.0), ("Xiaobian", 3.2, 1.5), ("Wusha", -3.4, 0.8), ("Shatou", -1.8, -3.0),
        ("Jinxia", 1.0, 3.4), ("Shangsha", 4.2, -1.4), ("Xin'an", -0.6, -1.6), ("Yongtou", 2.0, -3.6),
        ("Xiagang", -4.6, -2.2), ("Shangjiao", 5.0, 2.8), ("Xianxi", -2.2, 3.2), ("Xinmin", 1.9, 0.9),
        ("Xiabian", -5.4, 2.6),
    ]

    static let surnames = ["Chen", "Li", "Zhang", "Wang", "Liu", "Huang", "Lin", "Ye", "He", "Luo", "Zhou", "Wu",
                           "Liang", "Mai", "Zheng", "Tan", "Lu", "Cai", "Deng", "Yuan", "Xie", "Feng", "Guo", "Yang"]
    static let givenNames = ["Wei", "Jun", "Hao", "Min", "Jie", "Fang", "Qiang", "Lei", "Ying", "Tao", "Xin", "Bo",
                             "Yan", "Ping", "Kai", "Hui", "Jian", "Lin", "Zhen", "Yu", "Rong", "Peng", "Ning", "Xiang",
                             "Jiahao", "Zihan", "Haoran", "Yuxuan", "Shuai", "Wenjie", "Zhiqiang", "Guohua"]

    public static func make(seed: UInt64 = 20_261_124) -> FleetRegistry {
        var rng = SeededGenerator(seed: seed)
        let cells = makeCells(&rng)

        // Formations: each community gets formations in proportion to its cells, at least one.
        var cellsPerCommunity: [String: Int] = [:]
        for c in cells { cellsPerCommunity[c.community, default: 0] += 1 }
        let names = communities.map(\.name).filter { cellsPerCommunity[$0, default: 0] > 0 }
        var share = names.map { _ in 1 }
        var remaining = formationCount - share.count
        while remaining > 0 {
            // Give the next formation to the community with the most cells per formation.
            let i = names.indices.max { a, b in
                Double(cellsPerCommunity[names[a]]!) / Double(share[a]) < Double(cellsPerCommunity[names[b]]!) / Double(share[b])
            }!
            share[i] += 1
            remaining -= 1
        }
        var formations: [Formation] = []
        for (i, community) in names.enumerated() {
            for k in 0..<share[i] {
                let id = String(format: "F%03d", formations.count + 1)
                formations.append(Formation(id: id, name: "\(community) team \(k + 1)", community: community, lead: nil))
            }
        }

        // Pilots: two per formation, a third for the busiest; the first of each formation leads it.
        var pilots: [Pilot] = []
        var usedNames: Set<String> = []
        func personName(_ rng: inout SeededGenerator) -> String {
            while true {
                let n = "\(surnames.randomElement(using: &rng)!) \(givenNames.randomElement(using: &rng)!)"
                if usedNames.insert(n).inserted { return n }
                let m = "\(n) \(usedNames.count % 97)"
                if usedNames.insert(m).inserted { return m }
            }
        }
        for i in 0..<pilotCount {
            let formation = formations[i < formationCount * 2 ? i / 2 : (i - formationCount * 2) * 5 % formationCount]
            let licence: LicenceClass = i % 17 == 0 ? .instructor : (i % 3 == 0 ? .vlos : .bvlos)
            let expiryDays = CivilDate(year: 2026, month: 6, day: 1)!.daysSinceEpoch + Int64.random(in: 0..<(365 * 3 + 200), using: &rng)
            pilots.append(Pilot(id: String(format: "P%04d", i + 1), name: personName(&rng), formation: formation.id,
                                licenceClass: licence, licenceExpiry: CivilDate(days: expiryDays),
                                maxDutyHoursPerDay: [6, 8, 8, 8, 10].randomElement(using: &rng)!,
                                minRestHours: [10, 12, 12].randomElement(using: &rng)!))
        }
        for i in formations.indices { formations[i].lead = pilots[2 * i].id }

        // Docks at the centre of a cell of their formation's community; a drone in each.
        let cellsByCommunity = Dictionary(grouping: cells, by: \.community)
        var docks: [Dock] = []
        var drones: [Drone] = []
        for i in 0..<droneCount {
            let formation = formations[i < formationCount ? i : (i - formationCount) * 3 % formationCount]
            let docked = i < dockCount
            let dock3 = docked && i % 7 >= 4
            var dockSerial: String?
            if docked {
                let pool = cellsByCommunity[formation.community]!
                let cell = pool[(i * 7 + 3) % pool.count]
                let c = Geodesy.centroid(of: cell.polygon)
                let serial = dock3 ? String(format: "8UUXN4P00A%04d", i + 1) : String(format: "7CTDM3D00B%04d", i + 1)
                docks.append(Dock(serial: serial, name: "\(formation.community) dock \(docks.count + 1)",
                                  model: dock3 ? "DJI Dock 3" : "DJI Dock 2", formation: formation.id,
                                  location: Coordinate(latitude: round6(c.latitude), longitude: round6(c.longitude)),
                                  altitudeMetres: Double(Int.random(in: 8...60, using: &rng)),
                                  firmware: dock3 ? "v10.01.1612" : "v10.01.1804"))
                dockSerial = serial
            }
            let model = docked ? (dock3 ? "Matrice 4TD" : "Matrice 3TD") : (i % 2 == 0 ? "Matrice 30T" : "Mavic 3E")
            let prefix = docked ? (dock3 ? "1581F8HHD24A" : "1581F6Q8D23C") : "1581F5FHD22B"
            drones.append(Drone(serial: prefix + String(format: "%04d", i + 1), name: "\(formation.name) drone \(i + 1)",
                                model: model, formation: formation.id, dock: dockSerial,
                                firmware: docked ? (dock3 ? "v10.01.1612" : "v10.01.1804") : "v09.02.0403"))
        }

        // Talkgroups: town dispatch, drone operations, emergency, maintenance, one per community.
        var talkgroups = [
            Talkgroup(gssi: "9001", name: "Chang'an dispatch"),
            Talkgroup(gssi: "9002", name: "Drone operations"),
            Talkgroup(gssi: "9003", name: "Emergency"),
            Talkgroup(gssi: "9004", name: "Maintenance"),
        ]
        var communityGroup: [String: String] = [:]
        for (i, c) in communities.enumerated() {
            let gssi = String(9101 + i)
            communityGroup[c.name] = gssi
            talkgroups.append(Talkgroup(gssi: gssi, name: "\(c.name) community"))
        }

        var radios: [Radio] = []
        let formationByID = Dictionary(uniqueKeysWithValues: formations.map { ($0.id, $0) })
        for (i, p) in pilots.enumerated() {
            let community = formationByID[p.formation]!.community
            radios.append(Radio(issi: String(2_001_001 + i), alias: "UAV-\(p.id)", person: p.name, pilot: p.id,
                                talkgroups: ["9002", communityGroup[community]!, "9003"]))
        }
        for i in 0..<officerRadioCount {
            let community = communities[i % communities.count].name
            radios.append(Radio(issi: String(2_100_001 + i), alias: String(format: "CM-%04d", i + 1), person: personName(&rng),
                                pilot: nil, talkgroups: ["9001", communityGroup[community]!, "9003"]))
        }
        return FleetRegistry(formations: formations, pilots: pilots, docks: docks, drones: drones,
                             talkgroups: talkgroups, radios: radios, cells: cells)
    }

    static func round6(_ v: Double) -> Double { (v * 1_000_000).rounded() / 1_000_000 }

    /// 501 square cells in an irregular, star-shaped town outline, each assigned to the nearest
    /// community centre; about one in ten is a weekly hot spot.
    static func makeCells(_ rng: inout SeededGenerator) -> [GridCell] {
        struct Candidate { var row: Int; var col: Int; var score: Double }
        let kmPerLat = 111.32, kmPerLon = 111.32 * cos(center.latitude * .pi / 180)
        var candidates: [Candidate] = []
        for row in -20...20 {
            for col in -20...20 {
                let north = (Double(row) + 0.5) * latStep * kmPerLat
                let east = (Double(col) + 0.5) * lonStep * kmPerLon
                let θ = atan2(north, east)
                let wobble = 1 + 0.18 * sin(3 * θ + 0.4) + 0.09 * cos(5 * θ + 1.1)
                let stretch = sqrt(east * east / 1.35 + north * north * 1.35)
                candidates.append(Candidate(row: row, col: col, score: stretch / wobble))
            }
        }
        candidates.sort { $0.score != $1.score ? $0.score < $1.score : ($0.row, $0.col) < ($1.row, $1.col) }
        let chosen = candidates.prefix(cellCount).sorted { ($0.row, $0.col) < ($1.row, $1.col) }
        var cells: [GridCell] = []
        for c in chosen {
            let south = round6(center.latitude + Double(c.row) * latStep)
            let north = round6(center.latitude + Double(c.row + 1) * latStep)
            let west = round6(center.longitude + Double(c.col) * lonStep)
            let east = round6(center.longitude + Double(c.col + 1) * lonStep)
            let ring = [
                Coordinate(latitude: south, longitude: west), Coordinate(latitude: south, longitude: east),
                Coordinate(latitude: north, longitude: east), Coordinate(latitude: north, longitude: west),
                Coordinate(latitude: south, longitude: west),
            ]
            let eastKm = (Double(c.col) + 0.5) * lonStep * kmPerLon
            let northKm = (Double(c.row) + 0.5) * latStep * kmPerLat
            let community = communities.min { a, b in
                hypot(a.east - eastKm, a.north - northKm) < hypot(b.east - eastKm, b.north - northKm)
            }!.name
            let hot = Int.random(in: 0..<10, using: &rng) == 0
            cells.append(GridCell(id: String(format: "CA-%03d", cells.count + 1), community: community,
                                  polygon: ring, revisitDays: hot ? 7 : 14))
        }
        return cells
    }
}
