import Synchronization

/// Items scheduled for a moment in the future, delivered by one `run()` loop that sleeps until the
/// earliest deadline: one timer for any number of delayed items.
public final class DelayQueue<Item: Sendable>: Sendable {
    private struct Entry {
        var deadline: Duration
        var sequence: UInt64
        var item: Item
    }

    private struct State {
        var heap: [Entry] = []
        var sequence: UInt64 = 0
        var wake: CheckedContinuation<Void, Never>?
        var wakePending = false
        var shuttingDown = false
    }

    private let clock: any ControllerClock
    private let state = Mutex(State())

    public init(clock: any ControllerClock) {
        self.clock = clock
    }

    /// Schedules an item `delay` from now.
    public func schedule(_ item: Item, after delay: Duration) {
        schedule(item, at: clock.now + delay)
    }

    /// Schedules an item for a monotonic deadline of the clock.
    public func schedule(_ item: Item, at deadline: Duration) {
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.shuttingDown else { return nil }
            state.sequence += 1
            Self.push(Entry(deadline: deadline, sequence: state.sequence, item: item), into: &state.heap)
            // Wake the loop only when the new item is the earliest.
            guard state.heap[0].sequence == state.sequence else { return nil }
            return Self.takeWake(&state)
        }
        wake?.resume()
    }

    /// Number of items waiting.
    public var count: Int { state.withLock { $0.heap.count } }

    public func shutDown() {
        let wake = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.shuttingDown = true
            state.heap.removeAll()
            return Self.takeWake(&state)
        }
        wake?.resume()
    }

    /// Delivers due items (in deadline order) until shut down or cancelled.
    public func run(deliver: @Sendable (Item) -> Void) async {
        while !Task.isCancelled {
            let now = clock.now
            let (due, next, stop) = state.withLock { state -> ([Item], Duration?, Bool) in
                var due: [Item] = []
                while let first = state.heap.first, first.deadline <= now {
                    due.append(Self.pop(from: &state.heap).item)
                }
                return (due, state.heap.first?.deadline, state.shuttingDown)
            }
            for item in due { deliver(item) }
            if stop { return }
            await waitUntil(next)
        }
    }

    /// Returns when `deadline` passes, an earlier item is scheduled, or the queue shuts down.
    private func waitUntil(_ deadline: Duration?) async {
        await withTaskGroup(of: Void.self) { group in
            if let deadline {
                group.addTask { [clock] in try? await clock.sleep(until: deadline) }
            }
            group.addTask { await self.waitForWake() }
            await group.next()
            group.cancelAll()
            // Release a wake waiter left behind by the cancelled child.
            let wake = state.withLock { Self.takeWake(&$0) }
            wake?.resume()
            await group.waitForAll()
            state.withLock { $0.wakePending = false }
        }
    }

    private func waitForWake() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.wakePending || state.shuttingDown {
                        state.wakePending = false
                        return true
                    }
                    state.wake = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let wake = state.withLock { Self.takeWake(&$0) }
            wake?.resume()
        }
    }

    private static func takeWake(_ state: inout State) -> CheckedContinuation<Void, Never>? {
        if let wake = state.wake {
            state.wake = nil
            return wake
        }
        state.wakePending = true
        return nil
    }

    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline != b.deadline ? a.deadline < b.deadline : a.sequence < b.sequence
    }

    private static func push(_ entry: Entry, into heap: inout [Entry]) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func pop(from heap: inout [Entry]) -> Entry {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, before(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count, before(heap[right], heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return top
    }
}
