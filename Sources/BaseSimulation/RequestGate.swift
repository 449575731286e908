import Synchronization

/// Holds requests while closed: how a simulated base "stops answering" (a hung JVM whose socket
/// still accepts connections). Opening it, or releasing it when the server stops, lets every held
/// request continue.
final class RequestGate: Sendable {
    private struct State {
        var isOpen = true
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    var isOpen: Bool { state.withLock { $0.isOpen } }

    /// Closes (`false`) or opens (`true`) the gate; opening releases held requests.
    func set(open: Bool) {
        let released = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.isOpen = open
            guard open else { return [] }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in released { waiter.resume() }
    }

    /// Releases the requests held now without opening the gate (the server is stopping).
    func releaseHeld() {
        let released = state.withLock { state in
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in released { waiter.resume() }
    }

    /// Returns at once when open; otherwise when opened, released, or the task is cancelled.
    func pass() async {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let held = state.withLock { state -> Bool in
                    guard !state.isOpen, !Task.isCancelled else { return false }
                    state.waiters[id] = continuation
                    return true
                }
                if !held { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
