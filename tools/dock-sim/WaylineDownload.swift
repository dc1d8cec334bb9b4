import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A route file the simulation wants downloaded (`file.url` of a `flighttask_prepare`), and what
/// the download gave. The shell (`DockConnection`) fetches; the pure `SimulatedDock` checks.
struct WaylineFetch: Sendable, Equatable {
    var flightID: String
    var url: String
}

enum WaylineFetchResult: Sendable, Equatable {
    case downloaded([UInt8])
    /// Why nothing usable arrived: bad URL, connection refused, timeout, an HTTP error status.
    case failed(String)
}

/// The I/O half of a route download: one HTTP(S) GET through URLSession, bounded by a timeout.
/// Non-blocking (URLSession's own threads), cancelled with the task that awaits it.
enum WaylineDownload {
    static func fetch(_ url: String, timeout: Double = 15) async -> WaylineFetchResult {
        guard let target = URL(string: url), let scheme = target.scheme?.lowercased(), ["http", "https"].contains(scheme) else {
            return .failed("file.url \(url) is not an http(s) URL")
        }
        var request = URLRequest(url: target)
        request.timeoutInterval = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let box = TaskBox()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<WaylineFetchResult, Never>) in
                let task = session.dataTask(with: request) { data, response, error in
                    if let error {
                        continuation.resume(returning: .failed("GET \(url): \(error.localizedDescription)"))
                    } else if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                        continuation.resume(returning: .failed("GET \(url): HTTP \(http.statusCode)"))
                    } else {
                        continuation.resume(returning: .downloaded(Array(data ?? Data())))
                    }
                }
                box.set(task)
                task.resume()
            }
        } onCancel: {
            box.cancel()
        }
    }
}

/// Holds the data task so that cancellation, which may come from another thread, can reach it.
private final class TaskBox: Sendable {
    private let state = Mutex<(task: URLSessionDataTask?, cancelled: Bool)>((nil, false))

    func set(_ task: URLSessionDataTask) {
        let cancelled = state.withLock { s in
            s.task = task
            return s.cancelled
        }
        if cancelled { task.cancel() }
    }

    func cancel() {
        state.withLock { s in
            s.cancelled = true
            s.task?.cancel()
        }
    }
}
