import Foundation
import Synchronization

/// The time a controller runs on: a monotonic clock for deadlines and back-off, and the wall
/// clock for Kubernetes timestamps. Injected so that tests advance time instead of sleeping.
public protocol ControllerClock: Sendable {
    /// Monotonic time since an arbitrary origin.
    var now: Duration { get }
    /// Wall-clock time, for timestamps written to the API.
    var wallNow: Date { get }
    /// Suspends until `now >= deadline` (or throws `CancellationError`).
    func sleep(until deadline: Duration) async throws
}

extension ControllerClock {
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }
}

/// The real clocks: `ContinuousClock` and `Date()`.
public struct SystemClock: ControllerClock {
    private let origin = ContinuousClock.now

    public init() {}

    public var now: Duration { ContinuousClock.now - origin }
    public var wallNow: Date { Date() }

    public func sleep(until deadline: Duration) async throws {
        try await ContinuousClock().sleep(until: origin + deadline, tolerance: nil)
    }
}

/// A clock that moves only when a test advances it. Sleepers wake when the time they wait for is
/// reached; `sleeperCount` lets a test wait until the code under test is parked on the clock.
public final class ManualClock: ControllerClock {
    private struct Sleeper {
        var deadline: Duration
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Duration = .zero
        var wallOrigin: Date
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    public init(wallOrigin: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex(State(wallOrigin: wallOrigin))
    }

    public var now: Duration { state.withLock { $0.now } }

    public var wallNow: Date {
        state.withLock { state in
            state.wallOrigin.addingTimeInterval(
                Double(state.now.components.seconds) + Double(state.now.components.attoseconds) / 1e18)
        }
    }

    /// How many tasks are sleeping on this clock.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// The earliest deadline a sleeper waits for.
    public var nextDeadline: Duration? { state.withLock { $0.sleepers.values.map(\.deadline).min() } }

    public func sleep(until deadline: Duration) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    if Task.isCancelled || state.now >= deadline { return true }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if resumeNow {
                    if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        let woken = state.withLock { state -> [Sleeper] in
            state.now += duration
            let due = state.sleepers.filter { $0.value.deadline <= state.now }
            for id in due.keys { state.sleepers.removeValue(forKey: id) }
            return Array(due.values)
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }
}
