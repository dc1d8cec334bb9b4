import Foundation
import TianyanModel

/// JSON shapes of stored records as the API and the live feed show them: snake_case keys,
/// ISO 8601 UTC times, `null` for what is not known. One place, so a page looks the same in
/// `GET /api/v1/pages` and on the live feed.
public enum RecordJSON {
    /// A position, the one shape everywhere (`/api/v1/units`, `/track`, task suggestions, the live
    /// feed, `units`/`track --json`): what is not known is `null`.
    public static func position(_ p: Position) -> [String: Any] {
        [
            "unit": p.unit, "time": p.time.iso8601, "lat": p.latitude, "lon": p.longitude, "alt_m": p.altitude ?? NSNull(),
            "speed_mps": p.speed ?? NSNull(), "heading_deg": p.heading ?? NSNull(), "accuracy_m": p.accuracy ?? NSNull(),
            "source": p.source.rawValue,
        ]
    }

    public static func sighting(_ s: UnitSighting) -> [String: Any] {
        ["unit": s.unit, "kind": s.kind.rawValue, "last_seen": s.time.iso8601]
    }

    public static func health(_ h: DeviceHealth) -> [String: Any] {
        [
            "unit": h.unit, "kind": h.kind.rawValue, "time": h.time.iso8601, "model": h.model ?? NSNull(), "firmware": h.firmware ?? NSNull(),
            "mode_code": h.modeCode ?? NSNull(), "mode": h.mode ?? NSNull(), "battery_percent": h.batteryPercent ?? NSNull(),
            "flight_count": h.flightCount ?? NSNull(), "flight_seconds": h.flightSeconds ?? NSNull(),
            "temperature_c": h.temperatureCelsius ?? NSNull(), "wind_speed_mps": h.windSpeedMetresPerSecond ?? NSNull(),
            "network_type": h.networkType ?? NSNull(), "network_quality": h.networkQuality ?? NSNull(),
        ]
    }

    /// A voice call, the one shape everywhere (`/api/v1/voice-log`, the live feed, `voice-log
    /// --json`): `talking` is whoever holds the channel now (a transmission without an end);
    /// `transmissions` are who held the floor, when and how long.
    public static func call(_ c: VoiceCall) -> [String: Any] {
        let talking = c.end == nil ? c.transmissions.last(where: { $0.end == nil })?.talker : nil
        return [
            "id": c.id, "gateway": c.gateway, "kind": c.kind.rawValue, "called": c.called, "caller": c.caller, "priority": c.priority,
            "emergency": c.emergency, "start": c.start.iso8601, "end": c.end?.iso8601 ?? NSNull(),
            "duration_s": c.end.map { Double($0.milliseconds - c.start.milliseconds) / 1000 } ?? NSNull(), "cause": c.cause ?? NSNull(),
            "talking": talking ?? NSNull(),
            "transmissions": c.transmissions.map { t -> [String: Any] in
                ["talker": t.talker, "start": t.start.iso8601, "end": t.end?.iso8601 ?? NSNull(), "duration_s": t.durationSeconds ?? NSNull()]
            },
        ]
    }

    /// An alarm as a device raised it (the alarm routes add who acknowledged and cleared it).
    public static func alarm(_ a: Alarm) -> [String: Any] {
        [
            "id": a.id, "unit": a.unit, "time": a.time.iso8601, "kind": a.kind, "severity": a.severity.rawValue, "code": a.code ?? NSNull(),
            "text": a.text, "cleared_at": a.clearedAt?.iso8601 ?? NSNull(),
        ]
    }

    public static func page(_ p: Page) -> [String: Any] {
        [
            "id": p.id, "gateway": p.gateway, "to": p.destination, "target": p.target.rawValue, "text": p.text,
            "status": p.status ?? NSNull(),
            "requested_by": p.requestedBy, "requested_at": p.requestedAt.iso8601, "state": p.state.rawValue, "final": p.isFinal,
            "history": p.history.map { s -> [String: Any] in
                ["state": s.state.rawValue, "time": s.time.iso8601, "detail": s.detail ?? NSNull()]
            },
        ]
    }

    public static func sortie(_ s: SortieRecord, route: Bool) -> [String: Any] {
        var out: [String: Any] = [
            "id": s.id, "drone": s.drone, "dock": s.dock, "pilot": s.pilot, "formation": s.formation, "cells": s.cells,
            "start": s.start.iso8601, "end": s.end.iso8601, "state": s.state.rawValue, "final": s.state.isFinal, "urgent": s.urgent,
            "percent": s.percent ?? NSNull(), "updated": s.updated.iso8601,
            "route_distance_m": s.route.distanceMetres.rounded(), "route_duration_s": s.route.durationSeconds.rounded(),
            "history": s.history.map { h -> [String: Any] in ["state": h.state.rawValue, "time": h.time.iso8601, "detail": h.detail ?? NSNull()] },
        ]
        if route {
            out["route"] = [
                "survey_speed_mps": s.route.surveySpeedMetresPerSecond, "photo_trigger_m": s.route.photoTriggerDistanceMetres,
                "points": s.route.points.map { p -> [String: Any] in
                    ["lat": p.latitude, "lon": p.longitude, "alt_m": p.altitudeMetres, "kind": p.kind.rawValue]
                },
            ]
        }
        return out
    }

    public static func flightTask(_ f: FlightTaskUpdate) -> [String: Any] {
        [
            "flight_id": f.flightID, "dock": f.dock, "time": f.time.iso8601, "status": f.status.rawValue, "percent": f.percent ?? NSNull(),
            "step": f.step ?? NSNull(), "waypoint_index": f.waypointIndex ?? NSNull(), "media_count": f.mediaCount ?? NSNull(),
            "track_id": f.trackID ?? NSNull(), "result_code": f.resultCode ?? NSNull(), "result_text": f.resultText ?? NSNull(),
        ]
    }

    public static func radioMessage(_ m: RadioMessage) -> [String: Any] {
        [
            "gateway": m.gateway, "unit": m.unit, "time": m.time.iso8601, "kind": m.kind.rawValue, "status": m.status ?? NSNull(),
            "meaning": m.meaning ?? NSNull(), "text": m.text ?? NSNull(), "called": m.called ?? NSNull(),
        ]
    }

    /// A dispatch task with its SLA standing at `now`, its units (each with the page that told it
    /// and how far that page got) and its whole history. `GET /api/v1/tasks/{id}` and the live
    /// feed's `task` events have this shape.
    public static func task(_ t: DispatchTask, now: Timestamp = .now()) -> [String: Any] {
        func sla(_ s: TaskSLA) -> [String: Any] {
            let status = t.sla(s, now: now)
            return [
                "deadline": status.deadline.iso8601, "state": status.state.rawValue, "met_at": status.metAt?.iso8601 ?? NSNull(),
                "escalated_at": status.escalatedAt?.iso8601 ?? NSNull(),
                "remaining_s": status.remainingSeconds.map { ($0 * 10).rounded() / 10 } ?? NSNull(),
            ]
        }
        var source: [String: Any] = ["kind": t.source.kind.rawValue]
        source["alarm"] = t.source.alarm ?? NSNull()
        source["drone"] = t.source.drone ?? NSNull()
        source["note"] = t.source.note ?? NSNull()
        return [
            "id": t.id, "title": t.title, "description": t.description, "priority": t.priority.rawValue,
            "location": ["lat": t.location.latitude, "lon": t.location.longitude], "source": source,
            "team": t.team ?? NSNull(), "created_by": t.createdBy, "created_at": t.createdAt.iso8601, "updated": t.updated.iso8601,
            "state": t.state.rawValue, "final": t.state.isFinal, "closed_at": t.closedAt?.iso8601 ?? NSNull(),
            "contact_at": t.contactAt?.iso8601 ?? NSNull(), "on_scene_at": t.onSceneAt?.iso8601 ?? NSNull(),
            "reopened": t.reopenCount,
            "sla": ["contact": sla(.contact), "on_site": sla(.onSite)],
            "units": t.assignments.map { a -> [String: Any] in
                [
                    "unit": a.unit, "kind": a.kind.rawValue, "name": a.name ?? NSNull(), "formation": a.formation ?? NSNull(),
                    "assigned_at": a.assignedAt.iso8601, "assigned_by": a.assignedBy, "page": a.page ?? NSNull(),
                    "page_state": a.pageState?.rawValue ?? NSNull(), "status": a.status ?? NSNull(), "status_at": a.statusAt?.iso8601 ?? NSNull(),
                    "active": a.active && t.state.isActive,
                ]
            },
            "history": t.history.map { h -> [String: Any] in
                ["action": h.action, "time": h.time.iso8601, "actor": h.actor, "state": h.state.rawValue, "detail": h.detail ?? NSNull()]
            },
        ]
    }
}
