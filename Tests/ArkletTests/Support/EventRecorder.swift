import Arklet
import Synchronization

/// Collects a tunnel's events so a test can wait for one matching a condition, with a deadline.
final class EventRecorder: Sendable {
    private let events = Mutex<[BaseEvent]>([])

    /// Consumes `stream` until it ends or the task is cancelled.
    func consume(_ stream: AsyncStream<BaseEvent>) async {
        for await event in stream {
            events.withLock { $0.append(event) }
        }
    }

    var all: [BaseEvent] { events.withLock { $0 } }

    func count(where predicate: (BaseEvent) -> Bool) -> Int {
        events.withLock { $0.filter(predicate).count }
    }

    /// The first event recorded at index `from` or later that matches, waiting until `timeout`.
    @discardableResult
    func waitFor(from start: Int = 0, timeout: Duration = .seconds(10),
                 _ predicate: @Sendable (BaseEvent) -> Bool) async throws -> BaseEvent {
        try await poll(timeout: timeout, what: "event") {
            self.events.withLock { events in events.dropFirst(start).first(where: predicate) }
        }
    }

    /// Index of the next event to be recorded (a starting point for ``waitFor(from:timeout:_:)``).
    var mark: Int { events.withLock { $0.count } }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    let what: String
    let timeout: Duration
    var description: String { "\(what) not seen within \(timeout)" }
}

/// Checks `condition` until it yields a value or `timeout` passes (then throws).
@discardableResult
func poll<T>(timeout: Duration = .seconds(10), what: String = "condition", interval: Duration = .milliseconds(10),
             _ condition: () async throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while true {
        if let value = try await condition() { return value }
        guard ContinuousClock.now < deadline else { throw DeadlineExceeded(what: what, timeout: timeout) }
        try await Task.sleep(for: interval)
    }
}
