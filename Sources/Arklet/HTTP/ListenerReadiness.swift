import Synchronization

/// Whether an HTTP listener has bound its port, and a way to wait for it without sleeping.
///
/// Shared by the HTTP tunnel and the simulated HTTP base: `listening(on:)` when the server
/// runs, `notListening()` while it is down but may come back (waiters keep waiting),
/// `failed(_:)` when it will not (waiters fail).
package final class ListenerReadiness: Sendable {
    private enum Status {
        case notListening
        case listening(port: Int)
        case failed(String)
    }

    private struct State {
        var status = Status.notListening
        var nextWaiterID = 0
        var waiters: [Int: CheckedContinuation<Int, any Error>] = [:]
    }

    /// Why a wait for the listener ended without a port.
    package struct NotListening: Error, CustomStringConvertible {
        package let reason: String
        package var description: String { reason }
    }

    private let state = Mutex(State())

    package init() {}

    /// The bound port, while listening.
    package var port: Int? {
        state.withLock { state in
            if case .listening(let port) = state.status { return port }
            return nil
        }
    }

    package func listening(on port: Int) {
        let waiters = state.withLock { state in
            state.status = .listening(port: port)
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    package func notListening() {
        state.withLock { $0.status = .notListening }
    }

    package func failed(_ reason: String) {
        let waiters = state.withLock { state in
            state.status = .failed(reason)
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(throwing: NotListening(reason: reason)) }
    }

    /// The bound port, once listening; throws ``NotListening`` when the listener failed or
    /// `timeout` passed, `CancellationError` when the task is cancelled.
    package func waitUntilListening(timeout: Duration) async throws -> Int {
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        let port = try await withDeadline(timeout) { try await self.wait(id: id) }
        guard let port else { throw NotListening(reason: "not listening within \(timeout)") }
        return port
    }

    private func wait(id: Int) async throws -> Int {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int, any Error>) in
                let outcome = state.withLock { state -> Result<Int, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    switch state.status {
                    case .listening(let port): return .success(port)
                    case .failed(let reason): return .failure(NotListening(reason: reason))
                    case .notListening:
                        state.waiters[id] = continuation
                        return nil
                    }
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }
}
