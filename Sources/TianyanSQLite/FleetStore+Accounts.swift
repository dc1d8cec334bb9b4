import TianyanModel

/// Alarm handling and user accounts through the store ports: forwarders to `AlarmHandling` and
/// `UserStore` (each change one transaction with its audit line), their failures as `DispatchError`.
extension FleetStore {
    public func acknowledgeAlarm(_ id: String, by user: String, note: String?, at time: Timestamp) async throws -> HandledAlarm {
        do { return try await AlarmHandling(database: database).acknowledge(id, by: user, note: note, at: time) } catch let e as AlarmHandling.Failure {
            throw Self.dispatchError(e)
        }
    }

    public func clearAlarm(_ id: String, by user: String, note: String, at time: Timestamp) async throws -> HandledAlarm {
        do { return try await AlarmHandling(database: database).clear(id, by: user, note: note, at: time) } catch let e as AlarmHandling.Failure {
            throw Self.dispatchError(e)
        }
    }

    public func addUser(name: String, role: String, passwordHash: String, by actor: String) async throws {
        do { try await UserStore(database: database).add(name: name, role: role, passwordHash: passwordHash, by: actor) } catch let e as UserStore.Failure {
            throw Self.dispatchError(e)
        }
    }

    public func setPasswordHash(name: String, passwordHash: String, by actor: String) async throws {
        do { try await UserStore(database: database).setPasswordHash(name: name, passwordHash: passwordHash, by: actor) } catch let e as UserStore.Failure {
            throw Self.dispatchError(e)
        }
    }

    @discardableResult
    public func setDisabled(name: String, _ disabled: Bool, by actor: String) async throws -> Bool {
        do { return try await UserStore(database: database).setDisabled(name: name, disabled, by: actor) } catch let e as UserStore.Failure {
            throw Self.dispatchError(e)
        }
    }

    public func users() async throws -> [UserAccount] {
        try await UserStore(database: database).all()
    }

    public func user(named name: String) async throws -> UserAccount? {
        try await UserStore(database: database).user(named: name)
    }

    static func dispatchError(_ e: AlarmHandling.Failure) -> DispatchError {
        switch e {
        case .unknown: .notFound(e.description)
        case .alreadyCleared: .conflict(e.description)
        }
    }

    static func dispatchError(_ e: UserStore.Failure) -> DispatchError {
        switch e {
        case .unknown: .notFound(e.description)
        case .exists: .conflict(e.description)
        }
    }
}
