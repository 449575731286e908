import Foundation
import KubeClient
import Synchronization

/// The server's storage: a `Mutex` around `StoreState`. Every write is serialised under the lock
/// (so resourceVersions are global and monotonic, and events reach each watcher's queue in order);
/// encoding answers and writing to sockets happen outside it.
final class ObjectStore: Sendable {
    private let state: Mutex<StoreState>

    init(historyLimit: Int, watcherQueueLimit: Int) {
        var initial = StoreState(historyLimit: historyLimit, watcherQueueLimit: watcherQueueLimit)
        let now = Date()
        for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            // The built-in namespaces are valid by construction.
            _ = try? initial.create(.namespaces, namespace: nil, body: ["metadata": ["name": .string(name)]], now: now)
        }
        state = Mutex(initial)
    }

    func withState<Result: Sendable>(_ body: (inout StoreState) throws(APIError) -> Result) throws(APIError) -> Result {
        try state.withLock { (state: inout StoreState) throws(APIError) -> Result in try body(&state) }
    }

    var resourceVersion: UInt64 { state.withLock { $0.resourceVersion } }

    func compact() { state.withLock { $0.compact() } }

    func registerWatcher(_ filter: WatchFilter, from start: UInt64?) -> WatchRegistration {
        state.withLock { $0.registerWatcher(filter, from: start) }
    }

    func drain(_ id: Int) -> WatchBatch { state.withLock { $0.drain(id) } }

    func endWatcher(_ id: Int, _ reason: WatchEndReason) { state.withLock { $0.endWatcher(id, reason) } }

    func requestBookmark(_ id: Int) { state.withLock { $0.requestBookmark(id) } }

    func removeWatcher(_ id: Int) { state.withLock { $0.removeWatcher(id) } }

    func endAllWatchers() { state.withLock { $0.endAllWatchers() } }

    var watcherCount: Int { state.withLock { $0.watchers.count } }
}
