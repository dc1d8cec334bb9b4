import Foundation
import Synchronization
import TianyanModel

/// A command to a dock: one of the services the controller sends.
public struct DockCommand: Sendable, Hashable {
    public enum Method: String, Sendable, CaseIterable {
        case flighttaskPrepare = "flighttask_prepare", flighttaskExecute = "flighttask_execute"
        case flighttaskPause = "flighttask_pause", flighttaskRecovery = "flighttask_recovery"
        case flighttaskUndo = "flighttask_undo", returnHome = "return_home", returnHomeCancel = "return_home_cancel"
    }
    /// Dock or aircraft serial; commands go to the dock that carries the aircraft.
    public var serial: String
    public var method: Method
    public var data: JSONValue
    public var requestedBy: String
    /// Business id: the flight id for task commands, so that every message of a task shares it.
    public var bid: String?

    public init(serial: String, method: Method, data: JSONValue = .object([:]), requestedBy: String, bid: String? = nil) {
        self.serial = serial
        self.method = method
        self.data = data
        self.requestedBy = requestedBy
        self.bid = bid
    }
}

/// How a command ended, with the dock's result code and its text (the dock port's outcome).
public typealias DockCommandResult = DockCommandOutcome

/// Sends services and matches `services_reply` by tid (and bid), with the profile's timeout per
/// method; retries with a fresh tid only where the profile says a retry is safe. Every command is
/// recorded (pending, then its outcome) and audited.
public final class DockCommander: Sendable {
    public typealias Publish = @Sendable (OutgoingMessage) async throws -> Void

    /// A command waiting for its reply. Registered before the service is published, so that a
    /// reply arriving before the waiting task runs is kept, not lost.
    private enum Slot {
        case pending(bid: String)
        case arrived(DockIngest.ServiceReply)
        case waiting(CheckedContinuation<DockIngest.ServiceReply?, Never>, bid: String)
    }

    private let publish: Publish
    private let sink: any RecordSink
    private let slots = Mutex<[String: Slot]>([:])
    private let now: @Sendable () -> Timestamp
    /// Retries after a timeout, for retry-safe methods.
    public let maxRetries: Int

    public init(publish: @escaping Publish, sink: any RecordSink, maxRetries: Int = 2, now: @escaping @Sendable () -> Timestamp = { Timestamp.now() }) {
        self.publish = publish
        self.sink = sink
        self.maxRetries = maxRetries
        self.now = now
    }

    /// Hands a reply to the command waiting for it. Returns false when nobody waits (a late
    /// reply after a timeout, or another controller's command).
    @discardableResult
    public func deliver(_ reply: DockIngest.ServiceReply) -> Bool {
        let (matched, waiter) = slots.withLock { s -> (Bool, CheckedContinuation<DockIngest.ServiceReply?, Never>?) in
            switch s[reply.tid] {
            case .pending(let bid) where reply.bid == nil || reply.bid == bid:
                s[reply.tid] = .arrived(reply)
                return (true, nil)
            case .waiting(let c, let bid) where reply.bid == nil || reply.bid == bid:
                s[reply.tid] = nil
                return (true, c)
            default:
                return (false, nil)
            }
        }
        waiter?.resume(returning: reply)
        return matched
    }

    /// Sends `command` to `gateway` with `profile`'s rules and waits for its outcome.
    public func send(_ command: DockCommand, gateway: String, profile: DockProfile) async -> DockCommandResult {
        let rules = profile.methods[command.method.rawValue] ?? .init(timeoutSeconds: 30, retrySafe: false, description: "")
        let bid = command.bid ?? UUID().uuidString.lowercased()
        let commandID = UUID().uuidString.lowercased()
        let dataText = Self.compact(command.data)
        var record = CommandRecord(id: commandID, unit: gateway, method: command.method.rawValue, data: dataText,
                                   requestedBy: command.requestedBy, requestedAt: now(), outcome: .pending)
        sink.submit([.command(record)])
        let topic = DockProfile.topic(profile.topics.services, serial: gateway)
        var attempts = 0
        var lastError: String?
        while true {
            attempts += 1
            let tid = UUID().uuidString.lowercased()
            let message = OutgoingMessage.make(topic: topic, tid: tid, bid: bid, method: command.method.rawValue,
                                               timestamp: now(), data: command.data)
            let reply = await waitForReply(tid: tid, bid: bid, timeout: .milliseconds(Int64(rules.timeoutSeconds * 1000))) {
                try await self.publish(message)
            }
            switch reply {
            case .replied(let r):
                record.resultCode = r.result
                record.resultText = profile.resultText(r.result)
                record.outcome = r.result == 0 ? .succeeded : .rejected
                lastError = nil
            case .publishFailed(let text):
                record.outcome = .failed
                record.resultText = "not sent: \(text)"
                lastError = text
            case .timedOut:
                record.outcome = .timedOut
                record.resultText = "no reply within \(Self.seconds(rules.timeoutSeconds)) (attempt \(attempts))"
            }
            let retry = (record.outcome == .timedOut || lastError != nil) && rules.retrySafe && attempts <= maxRetries
            if !retry || Task.isCancelled { break }
        }
        record.completedAt = now()
        let audit = AuditEntry(time: record.completedAt!, actor: command.requestedBy, action: "dock.\(command.method.rawValue)",
                               target: gateway, outcome: record.outcome.rawValue,
                               detail: [record.resultCode.map { "result \($0)" }, record.resultText, dataText == "{}" ? nil : "data \(dataText)",
                                        attempts > 1 ? "\(attempts) attempts" : nil].compactMap { $0 }.joined(separator: "; "))
        let ticket = sink.submit([.command(record), .audit(audit)])
        try? await sink.waitUntilCommitted(ticket)
        return DockCommandResult(record: record, attempts: attempts)
    }

    private enum Wait { case replied(DockIngest.ServiceReply), timedOut, publishFailed(String) }

    private func waitForReply(tid: String, bid: String, timeout: Duration, send: @escaping @Sendable () async throws -> Void) async -> Wait {
        slots.withLock { $0[tid] = .pending(bid: bid) }
        // If the caller is cancelled, the waiting side is released at once (the timer side sees
        // the cancellation too), so `send` always returns.
        return await withTaskCancellationHandler {
            await race(tid: tid, timeout: timeout, send: send)
        } onCancel: {
            let leftover = self.slots.withLock { $0.removeValue(forKey: tid) }
            if case .waiting(let c, _) = leftover { c.resume(returning: nil) }
        }
    }

    private func race(tid: String, timeout: Duration, send: @escaping @Sendable () async throws -> Void) async -> Wait {
        await withTaskGroup(of: Wait?.self) { group in
            group.addTask {
                let reply: DockIngest.ServiceReply? = await withCheckedContinuation { c in
                    let early = self.slots.withLock { s -> DockIngest.ServiceReply?? in
                        switch s[tid] {
                        case .arrived(let r):
                            s[tid] = nil
                            return .some(r)
                        case .pending(let bid):
                            s[tid] = .waiting(c, bid: bid)
                            return .none
                        default:
                            return .some(nil)  // already given up
                        }
                    }
                    if let early { c.resume(returning: early) }
                }
                return reply.map { .replied($0) }
            }
            group.addTask {
                do {
                    try await send()
                } catch {
                    return .publishFailed("\(error)")
                }
                try? await Task.sleep(for: timeout)
                return Task.isCancelled ? nil : .timedOut
            }
            var outcome: Wait = .timedOut
            for await result in group {
                guard let result else {
                    // The timer ended without timing out: cancelled. Release the waiter.
                    let leftover = slots.withLock { $0.removeValue(forKey: tid) }
                    if case .waiting(let c, _) = leftover { c.resume(returning: nil) }
                    continue
                }
                outcome = result
                break
            }
            // Whatever ended the wait, the other side must not linger: resume the waiter (nil)
            // and cancel the timer.
            let leftover = slots.withLock { $0.removeValue(forKey: tid) }
            if case .waiting(let c, _) = leftover { c.resume(returning: nil) }
            group.cancelAll()
            return outcome
        }
    }

    static func compact(_ value: JSONValue) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? e.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s)
    }
}
