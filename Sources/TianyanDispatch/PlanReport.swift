import CoveragePlanner
import Foundation
import TianyanModel

/// `tianyan plan`: the schedule input from the store and the profiles, and the schedule as text,
/// JSON, CSV or one iCalendar file per pilot.
public enum PlanReport {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// An hourly forecast from CSV lines `time,wind_mps,rain` (time ISO 8601, rain 0-3). Hours
    /// missing from the file are unknown, and unknown hours are not flown.
    public static func forecast(csv text: String, file: String) throws(Failure) -> WeatherForecast {
        var hours: [(Timestamp, WeatherForecast.Hour)] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || (i == 0 && line.lowercased().hasPrefix("time")) { continue }
            let f = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count == 3, let t = Timestamp(parsing: f[0]), let wind = Double(f[1]), wind >= 0, let rain = Int(f[2]), (0...3).contains(rain) else {
                throw Failure(description: "\(file):\(i + 1): expected time,wind_mps,rain (e.g. 2026-11-25T08:00:00Z,4.5,0; rain 0-3), got \"\(line)\"")
            }
            hours.append((t, .init(windMetresPerSecond: wind, rainfall: rain)))
        }
        guard let first = hours.map(\.0).min() else { throw Failure(description: "\(file): no forecast hours") }
        let start = Timestamp(milliseconds: first.milliseconds - first.milliseconds % 3_600_000)
        var slots: [WeatherForecast.Hour?] = []
        for (t, h) in hours {
            let index = Int((t.milliseconds - start.milliseconds) / 3_600_000)
            if index >= slots.count { slots += Array(repeating: nil, count: index - slots.count + 1) }
            slots[index] = h
        }
        return WeatherForecast(start: start, hours: slots)
    }

    /// The input for `days` days from `start`: registry, dock capabilities by model, drones that
    /// are grounded or due, and when each cell was last covered (cells never covered are due at
    /// the start).
    public static func input(store: any FleetStorage, capabilities forModel: (String) -> DockProfile.Capabilities?, rules: MaintenanceRules, start: Timestamp, days: Int,
                             forecast: WeatherForecast, borrowing: Bool, flyingHours: FlyingHours = FlyingHours()) async throws -> ScheduleInput {
        let registry = try await store.registry()
        guard !registry.cells.isEmpty else { throw Failure(description: "the registry has no grid cells; import a fleet first (tianyan fleet import DIR)") }
        var capabilities: [String: DockProfile.Capabilities] = [:]
        for model in Set(registry.docks.map(\.model)) { capabilities[model] = forModel(model) }
        let statuses = try await MaintenanceReport.statuses(store: store, rules: rules, now: start)
        var options = ScheduleOptions()
        options.allowBorrowing = borrowing
        var lastCovered: [String: Timestamp] = [:]
        for c in try await store.coverage() { if let t = c.lastCovered { lastCovered[c.cell] = t } }
        return ScheduleInput(registry: registry, capabilitiesByDockModel: capabilities, lastCovered: lastCovered, horizonStart: start,
                             horizonDays: days, unavailability: DroneUnavailability.from(statuses), forecast: forecast,
                             flyingHours: flyingHours, options: options)
    }

    public static func summary(_ s: Schedule, input: ScheduleInput, seconds: Double, assumedWeather: Bool) -> String {
        let r = s.report
        var lines: [String] = []
        lines.append("plan: \(input.registry.cells.count) cells over \(input.horizonDays) days from \(input.horizonStart.iso8601), computed in \(String(format: "%.2f", seconds)) s")
        if assumedWeather { lines.append("weather: no forecast given, every hour assumed flyable (give --forecast FILE.csv)") }
        lines.append("cells due: \(r.cellsDue); visits: \(r.visitsScheduled) of \(r.visitsNeeded) scheduled; sorties: \(s.sorties.count); flight and transit: \(String(format: "%.1f", r.totalFlightSeconds / 3600)) h")
        lines.append("sorties per day: " + r.sortiesPerDay.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        let pilots = r.secondsPerPilot.values.map { $0 / 3600 }
        if !pilots.isEmpty {
            lines.append(String(format: "pilots flying: %d, hours each: min %.2f, mean %.2f, max %.2f", pilots.count, pilots.min()!,
                                pilots.reduce(0, +) / Double(pilots.count), pilots.max()!))
        }
        lines.append("drones flying: \(r.secondsPerDrone.count); grounded or due: \(Set(input.unavailability.map(\.drone)).count)")
        if !r.unknownWeatherHours.isEmpty || !r.closedWeatherHours.isEmpty {
            lines.append("weather: \(r.closedWeatherHours.count) hours closed by wind or rain, \(r.unknownWeatherHours.count) hours without forecast (not flown)")
        }
        // Late but flown: cells never covered (due at the start) or due before the fleet can get to
        // them; every visit is in the plan. Not flown: visits the horizon has no room for.
        let missing = r.overdue.filter { $0.visitsScheduled < $0.visitsNeeded }
        let lateButFlown = r.overdue.filter { $0.visitsScheduled >= $0.visitsNeeded }
        if r.overdue.isEmpty { lines.append("overdue: none") }
        if !lateButFlown.isEmpty {
            let last = s.sorties.filter { o in o.cells.contains { c in lateButFlown.contains { $0.cell == c } } }.map(\.end).max()
            lines.append(String(format: "late but flown: %d cells (never covered, or due before a drone is free), worst %.1f days late; the last of their visits ends %@",
                                lateButFlown.count, (lateButFlown.map(\.overdueSeconds).max() ?? 0) / 86_400, last?.iso8601 ?? "-"))
        }
        if !missing.isEmpty {
            let reasons = Dictionary(grouping: missing.flatMap(\.reasons), by: { $0 }).mapValues(\.count)
            lines.append("NOT FLOWN in the horizon: \(missing.count) cells (" + reasons.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ") + ")")
            for c in missing.prefix(10) {
                lines.append(String(format: "  %@ late by %.1f days: %@%@", c.cell, c.overdueSeconds / 86_400, c.reasons.map(\.rawValue).joined(separator: ", "),
                                    c.notes.isEmpty ? "" : " (" + c.notes.joined(separator: "; ") + ")"))
            }
            if missing.count > 10 { lines.append("  … \(missing.count - 10) more (--json lists every one)") }
        }
        for (cell, error) in r.planningErrors.sorted(by: { $0.key < $1.key }).prefix(5) { lines.append("cannot plan \(cell): \(error)") }
        return lines.joined(separator: "\n")
    }

    public static func json(_ s: Schedule, input: ScheduleInput) -> String {
        let sorties: [[String: Any]] = s.sorties.map { o in
            ["drone": o.drone, "dock": o.dock, "pilot": o.pilot, "formation": o.formation, "cells": o.cells, "start": o.start.iso8601,
             "end": o.end.iso8601, "duration_s": o.durationSeconds, "plan_sortie": o.planSortie, "plan_sorties": o.planSortieCount,
             "distance_m": o.route.distanceMetres, "photos": o.route.photoCount,
             "waypoints": o.route.waypoints.map { [$0.coordinate.latitude, $0.coordinate.longitude, $0.altitudeMetres] }]
        }
        let r = s.report
        let overdue: [[String: Any]] = r.overdue.map { c in
            ["cell": c.cell, "overdue_s": c.overdueSeconds, "reasons": c.reasons.map(\.rawValue), "notes": c.notes,
             "visits_needed": c.visitsNeeded, "visits_scheduled": c.visitsScheduled]
        }
        let object: [String: Any] = [
            "horizon_start": input.horizonStart.iso8601, "horizon_days": input.horizonDays,
            "summary": ["cells_due": r.cellsDue, "visits_needed": r.visitsNeeded, "visits_scheduled": r.visitsScheduled,
                        "flight_s": r.totalFlightSeconds, "sorties_per_day": r.sortiesPerDay, "seconds_per_pilot": r.secondsPerPilot,
                        "seconds_per_drone": r.secondsPerDrone],
            "overdue": overdue, "sorties": sorties,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    public static func csv(_ s: Schedule) -> String {
        var rows = [["start", "end", "drone", "dock", "pilot", "formation", "cells", "sortie", "duration_s", "distance_m", "photos"]]
        for o in s.sorties {
            rows.append([o.start.iso8601, o.end.iso8601, o.drone, o.dock, o.pilot, o.formation, o.cells.joined(separator: " "),
                                 "\(o.planSortie + 1)/\(o.planSortieCount)", String(format: "%.0f", o.durationSeconds),
                                 String(format: "%.0f", o.route.distanceMetres), "\(o.route.photoCount)"])
        }
        return CSV.format(rows)
    }

    /// One iCalendar file per pilot (`PILOT.ics`) in `directory`; returns the paths written.
    public static func calendars(_ s: Schedule, registry: FleetRegistry, to directory: String, now: Timestamp) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let names = Dictionary(uniqueKeysWithValues: registry.pilots.map { ($0.id, $0.name) })
        var written: [String] = []
        for (pilot, sorties) in Dictionary(grouping: s.sorties, by: \.pilot).sorted(by: { $0.key < $1.key }) {
            var lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Tianyan//coverage plan//EN", "CALSCALE:GREGORIAN",
                         "X-WR-CALNAME:\(ics("Sorties of \(names[pilot] ?? pilot)"))"]
            for o in sorties.sorted(by: { $0.start < $1.start }) {
                lines += ["BEGIN:VEVENT", "UID:\(o.drone)-\(o.start.milliseconds)-\(o.planSortie)@tianyan", "DTSTAMP:\(icsTime(now))",
                          "DTSTART:\(icsTime(o.start))", "DTEND:\(icsTime(o.end))",
                          "SUMMARY:\(ics("Survey \(o.cells.joined(separator: ", ")) with \(o.drone)"))",
                          "LOCATION:\(ics("dock \(o.dock)"))",
                          "DESCRIPTION:\(ics("sortie \(o.planSortie + 1) of \(o.planSortieCount), \(Int(o.route.distanceMetres)) m, \(o.route.photoCount) photos, formation \(o.formation)"))",
                          "END:VEVENT"]
            }
            lines.append("END:VCALENDAR")
            let path = (directory as NSString).appendingPathComponent("\(pilot).ics")
            try (lines.joined(separator: "\r\n") + "\r\n").write(toFile: path, atomically: true, encoding: .utf8)
            written.append(path)
        }
        return written
    }

    static func icsTime(_ t: Timestamp) -> String {
        // 2026-11-25T08:00:00.000Z → 20261125T080000Z
        let iso = t.iso8601
        let digits = iso.prefix(19).filter { $0 != "-" && $0 != ":" }
        return digits + "Z"
    }

    static func ics(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ";", with: "\\;")
            .replacingOccurrences(of: ",", with: "\\,").replacingOccurrences(of: "\n", with: "\\n")
    }
}
