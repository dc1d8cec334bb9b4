/// The kind of a unit the controller tracks.
public enum UnitKind: String, Sendable, Codable, CaseIterable {
    case dock, drone, radio
}

/// An automated hangar that charges and launches a drone; speaks MQTT through the broker.
public struct Dock: Hashable, Sendable, Codable {
    public var serial: String
    public var name: String
    /// Product model, e.g. `DJI Dock 2`; selects the firmware profile.
    public var model: String
    public var formation: String
    public var location: Coordinate
    public var altitudeMetres: Double
    public var firmware: String

    public init(serial: String, name: String, model: String, formation: String, location: Coordinate, altitudeMetres: Double, firmware: String) {
        self.serial = serial
        self.name = name
        self.model = model
        self.formation = formation
        self.location = location
        self.altitudeMetres = altitudeMetres
        self.firmware = firmware
    }
}

public struct Drone: Hashable, Sendable, Codable {
    public var serial: String
    public var name: String
    public var model: String
    public var formation: String
    /// Serial number of the dock it lives in; nil for a drone flown from a pilot's hand controller.
    public var dock: String?
    public var firmware: String

    public init(serial: String, name: String, model: String, formation: String, dock: String?, firmware: String) {
        self.serial = serial
        self.name = name
        self.model = model
        self.formation = formation
        self.dock = dock
        self.firmware = firmware
    }
}

/// A flight team: drones and pilots responsible for the cells of one community.
public struct Formation: Hashable, Sendable, Codable {
    public var id: String
    public var name: String
    public var community: String
    /// Pilot id of the team lead.
    public var lead: String?

    public init(id: String, name: String, community: String, lead: String?) {
        self.id = id
        self.name = name
        self.community = community
        self.lead = lead
    }
}

public enum LicenceClass: String, Sendable, Codable, CaseIterable {
    /// Visual line of sight.
    case vlos
    /// Beyond visual line of sight (needed for dock operations).
    case bvlos
    case instructor
}

public struct Pilot: Hashable, Sendable, Codable {
    public var id: String
    public var name: String
    public var formation: String
    public var licenceClass: LicenceClass
    public var licenceExpiry: CivilDate
    /// Most flight-duty hours in one day.
    public var maxDutyHoursPerDay: Double
    /// Least rest between two shifts, hours.
    public var minRestHours: Double

    public init(id: String, name: String, formation: String, licenceClass: LicenceClass, licenceExpiry: CivilDate, maxDutyHoursPerDay: Double, minRestHours: Double) {
        self.id = id
        self.name = name
        self.formation = formation
        self.licenceClass = licenceClass
        self.licenceExpiry = licenceExpiry
        self.maxDutyHoursPerDay = maxDutyHoursPerDay
        self.minRestHours = minRestHours
    }
}

/// A TETRA/DMR/PDT talkgroup, identified by its group short subscriber identity.
public struct Talkgroup: Hashable, Sendable, Codable {
    public var gssi: String
    public var name: String

    public init(gssi: String, name: String) {
        self.gssi = gssi
        self.name = name
    }
}

/// A handheld or vehicle radio, identified by its individual short subscriber identity.
public struct Radio: Hashable, Sendable, Codable {
    public var issi: String
    public var alias: String
    /// Who carries it.
    public var person: String
    /// Pilot id when the radio belongs to a pilot.
    public var pilot: String?
    public var talkgroups: [String]

    public init(issi: String, alias: String, person: String, pilot: String?, talkgroups: [String]) {
        self.issi = issi
        self.alias = alias
        self.person = person
        self.pilot = pilot
        self.talkgroups = talkgroups
    }
}

/// One cell of the periodic coverage grid.
public struct GridCell: Hashable, Sendable, Codable {
    public var id: String
    public var community: String
    /// Closed ring, WGS-84, first vertex repeated at the end.
    public var polygon: [Coordinate]
    /// How often the cell must be flown and photographed, days (14 normally, 7 for hot spots).
    public var revisitDays: Int

    public init(id: String, community: String, polygon: [Coordinate], revisitDays: Int) {
        self.id = id
        self.community = community
        self.polygon = polygon
        self.revisitDays = revisitDays
    }
}

/// The whole registry: what the controller knows it should hear from.
public struct FleetRegistry: Hashable, Sendable, Codable {
    public var formations: [Formation]
    public var pilots: [Pilot]
    public var docks: [Dock]
    public var drones: [Drone]
    public var talkgroups: [Talkgroup]
    public var radios: [Radio]
    public var cells: [GridCell]

    public init(formations: [Formation] = [], pilots: [Pilot] = [], docks: [Dock] = [], drones: [Drone] = [], talkgroups: [Talkgroup] = [], radios: [Radio] = [], cells: [GridCell] = []) {
        self.formations = formations
        self.pilots = pilots
        self.docks = docks
        self.drones = drones
        self.talkgroups = talkgroups
        self.radios = radios
        self.cells = cells
    }

    public var counts: [String: Int] {
        ["formations": formations.count, "pilots": pilots.count, "docks": docks.count, "drones": drones.count,
         "talkgroups": talkgroups.count, "radios": radios.count, "cells": cells.count]
    }
}
