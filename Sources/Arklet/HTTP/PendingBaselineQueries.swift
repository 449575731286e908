import Synchronization

/// `/queryBaseline` requests waiting for the controller's ``HTTPTunnel/replyBaseline(_:to:timeout:)``,
/// by base identity. One reply answers every query of that base that is waiting.
final class PendingBaselineQueries: Sendable {
    private struct State {
        var nextID = 0
        var waiters: [BaseIdentity: [Int: CheckedContinuation<[BizModel]?, Never>]] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// Registers a waiter for `identity`, calls `registered` (which announces the query), and
    /// returns the bizzes of the next reply to that base; `nil` when the task is cancelled or the
    /// tunnel closes first.
    func wait(for identity: BaseIdentity, registered: @Sendable () -> Void) async -> [BizModel]? {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[BizModel]?, Never>) in
                let accepted = state.withLock { state -> Bool in
                    guard !state.closed, !Task.isCancelled else { return false }
                    state.waiters[identity, default: [:]][id] = continuation
                    return true
                }
                if accepted {
                    registered()
                } else {
                    continuation.resume(returning: nil)
                }
            }
        } onCancel: {
            state.withLock { state in
                let waiter = state.waiters[identity]?.removeValue(forKey: id)
                if state.waiters[identity]?.isEmpty == true { state.waiters[identity] = nil }
                return waiter
            }?.resume(returning: nil)
        }
    }

    /// Answers every query of `identity` that is waiting; returns how many there were.
    @discardableResult
    func reply(_ bizzes: [BizModel], to identity: BaseIdentity) -> Int {
        let waiters = state.withLock { $0.waiters.removeValue(forKey: identity) ?? [:] }
        for waiter in waiters.values { waiter.resume(returning: bizzes) }
        return waiters.count
    }

    /// Ends every wait with `nil` and refuses new ones (tunnel shut down).
    func close() {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters = [:] }
            return state.waiters.values.flatMap(\.values)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }
}
