import DequeModule
import Synchronization

/// A controller work queue in the client-go style: a key waiting in the queue is held once however
/// often it is added; a key being processed is never handed to a second worker, and if it is added
/// meanwhile it is queued again when `done` is called. Failed keys come back after a per-key
/// exponential back-off; `add(_:after:)` schedules a delayed add.
///
/// Delayed adds are driven by `run()`, which the owner runs in its task group for as long as the
/// queue is used.
public final class WorkQueue<Key: Hashable & Sendable>: Sendable {
    private struct State {
        var queue = Deque<Key>()
        var dirty = Set<Key>()
        var processing = Set<Key>()
        var failures: [Key: Int] = [:]
        var waiters = Deque<(id: UInt64, continuation: CheckedContinuation<Key?, Never>)>()
        var nextWaiterID: UInt64 = 0
        var shuttingDown = false
    }

    private let state = Mutex(State())
    private let timers: DelayQueue<Key>
    private let baseDelay: Duration
    private let maxDelay: Duration

    /// - Parameters:
    ///   - baseDelay, maxDelay: per-key back-off `baseDelay · 2^(failures-1)`, capped at `maxDelay`.
    public init(clock: any ControllerClock = SystemClock(), baseDelay: Duration = .milliseconds(5),
        maxDelay: Duration = .seconds(300))
    {
        timers = DelayQueue(clock: clock)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Queues a key unless it is already waiting.
    public func add(_ key: Key) {
        let waiter = state.withLock { state -> CheckedContinuation<Key?, Never>? in
            guard !state.shuttingDown, !state.dirty.contains(key) else { return nil }
            state.dirty.insert(key)
            if state.processing.contains(key) { return nil }
            return Self.dispatch(key, &state)
        }
        waiter?.resume(returning: key)
    }

    /// Queues a key after a delay.
    public func add(_ key: Key, after delay: Duration) {
        if delay <= .zero {
            add(key)
        } else {
            timers.schedule(key, after: delay)
        }
    }

    /// Queues a key after its back-off, and counts one more failure for it.
    public func addRateLimited(_ key: Key) {
        add(key, after: backoff(recording: key))
    }

    /// The back-off the next `addRateLimited` of this key would wait, counting one more failure.
    public func backoff(recording key: Key) -> Duration {
        let failures = state.withLock { state -> Int in
            state.failures[key, default: 0] += 1
            return state.failures[key]!
        }
        let exponent = min(failures - 1, 40)
        let delay = baseDelay * Int(1 << min(exponent, 30))
        return exponent >= 30 ? maxDelay : min(delay, maxDelay)
    }

    /// How many failures are counted for a key.
    public func failures(of key: Key) -> Int { state.withLock { $0.failures[key] ?? 0 } }

    /// Clears the failure count of a key (after it was processed successfully).
    public func forget(_ key: Key) {
        _ = state.withLock { $0.failures.removeValue(forKey: key) }
    }

    /// The next key to process, waiting for one; `nil` once the queue is shut down. The caller must
    /// call `done(_:)` with the key when finished.
    public func next() async -> Key? {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Key?, Never>) in
                let immediate = state.withLock { state -> Key?? in
                    if let key = state.queue.popFirst() {
                        state.dirty.remove(key)
                        state.processing.insert(key)
                        return .some(key)
                    }
                    if state.shuttingDown || Task.isCancelled { return .some(nil) }
                    state.waiters.append((id, continuation))
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Key?, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: nil)
        }
    }

    /// Marks a key as processed; if it was added meanwhile it is queued again.
    public func done(_ key: Key) {
        let waiter = state.withLock { state -> CheckedContinuation<Key?, Never>? in
            state.processing.remove(key)
            guard state.dirty.contains(key), !state.shuttingDown else { return nil }
            return Self.dispatch(key, &state)
        }
        waiter?.resume(returning: key)
    }

    /// Hands a dirty key to a parked worker (returned, to resume outside the lock) or queues it.
    private static func dispatch(_ key: Key, _ state: inout State) -> CheckedContinuation<Key?, Never>? {
        if let waiter = state.waiters.popFirst() {
            state.dirty.remove(key)
            state.processing.insert(key)
            return waiter.continuation
        }
        state.queue.append(key)
        return nil
    }

    /// Keys waiting (not counting those being processed or delayed).
    public var count: Int { state.withLock { $0.queue.count } }

    /// Workers parked in `next()` waiting for a key.
    public var waitingWorkers: Int { state.withLock { $0.waiters.count } }

    /// Whether a key is being processed right now.
    public func isProcessing(_ key: Key) -> Bool { state.withLock { $0.processing.contains(key) } }

    /// Stops handing out keys: waiting `next()` calls return nil.
    public func shutDown() {
        let waiters = state.withLock { state -> [CheckedContinuation<Key?, Never>] in
            state.shuttingDown = true
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.continuation)
        }
        for waiter in waiters { waiter.resume(returning: nil) }
        timers.shutDown()
    }

    /// Delivers delayed adds until the queue is shut down or the task is cancelled.
    public func run() async {
        await timers.run { [weak self] key in self?.add(key) }
    }
}
