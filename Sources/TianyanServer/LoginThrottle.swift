import Foundation
import TianyanModel

/// Failed logins, throttled per client address and per name from that address: past a number
/// of failures each further failure doubles the wait (capped), and an entry is forgotten a
/// while after its last failure. There is no switch that refuses every login: an address that
/// guesses is slowed down, and the right password from another address still logs in. The
/// table is bounded (`maxEntries`): expired entries go first, then the oldest.
struct LoginThrottle: Sendable {
    struct Limits: Sendable {
        /// Failures of one name from one address before it waits.
        var perName = 5
        /// Failures from one address (any names) before it waits.
        var perAddress = 20
        /// The first wait, doubled after every further failure up to `maxDelay`. Long enough that
        /// a guesser gains little, and that the wait is met by the next attempt however slowly the
        /// server hashes under load (a 1 s wait had run out before the next attempt was checked).
        var firstDelay = 30.0
        var maxDelay = 900.0
        /// An entry with no failure for this long is forgotten.
        var forgetAfter = 900.0
        var maxEntries = 10_000
    }

    enum Key: Hashable, Sendable {
        case address(String)
        case name(String, address: String)
    }

    struct Entry: Sendable {
        var failures: Int
        var last: Timestamp
        var blockedUntil: Timestamp?
    }

    let limits: Limits
    private(set) var entries: [Key: Entry] = [:]

    init(limits: Limits = Limits()) { self.limits = limits }

    static func keys(name: String, address: String) -> [Key] {
        [.address(address), .name(String(name.prefix(128)), address: address)]
    }

    /// Whole seconds to wait before `name` may try again from `address`, or nil.
    func retryAfter(name: String, address: String, now: Timestamp) -> Int? {
        let waits = Self.keys(name: name, address: address).compactMap { key -> Double? in
            guard let until = entries[key]?.blockedUntil, until > now else { return nil }
            return Double(until.milliseconds - now.milliseconds) / 1000
        }
        guard let longest = waits.max() else { return nil }
        return max(1, Int(longest.rounded(.up)))
    }

    mutating func recordFailure(name: String, address: String, now: Timestamp) {
        for key in Self.keys(name: name, address: address) {
            var e = entries[key].flatMap { expired($0, now: now) ? nil : $0 } ?? Entry(failures: 0, last: now)
            e.failures += 1
            e.last = now
            let threshold = if case .address = key { limits.perAddress } else { limits.perName }
            if e.failures >= threshold {
                let delay = min(limits.maxDelay, limits.firstDelay * pow(2, Double(min(e.failures - threshold, 30))))
                e.blockedUntil = now.adding(seconds: delay)
            }
            entries[key] = e
        }
        if entries.count > limits.maxEntries { prune(now: now) }
    }

    /// A successful login forgets the name's failures from that address (not the address's).
    mutating func clear(name: String, address: String) {
        entries[.name(String(name.prefix(128)), address: address)] = nil
    }

    /// Removes expired entries; if the table is still over `maxEntries`, the oldest.
    mutating func prune(now: Timestamp) {
        entries = entries.filter { !expired($0.value, now: now) }
        guard entries.count > limits.maxEntries else { return }
        let keep = limits.maxEntries * 9 / 10
        let oldest = entries.sorted { $0.value.last < $1.value.last }.prefix(entries.count - keep).map(\.key)
        for key in oldest { entries[key] = nil }
    }

    private func expired(_ e: Entry, now: Timestamp) -> Bool {
        if let until = e.blockedUntil, until > now { return false }
        return e.last.adding(seconds: limits.forgetAfter) < now
    }
}
