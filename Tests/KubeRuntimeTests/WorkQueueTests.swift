import KubeRuntime
import Testing

@Suite struct WorkQueueTests {
    @Test func aKeyAddedTwiceIsHandedOutOnce() async {
        let queue = WorkQueue<String>()
        queue.add("a")
        queue.add("b")
        queue.add("a")
        #expect(queue.count == 2)
        #expect(await queue.next() == "a")
        #expect(await queue.next() == "b")
        #expect(queue.count == 0)
    }

    @Test func aKeyBeingProcessedIsNotHandedToASecondWorkerAndIsRequeuedOnDone() async {
        let queue = WorkQueue<String>()
        queue.add("a")
        let first = await queue.next()
        #expect(first == "a")
        queue.add("a")
        // Still being processed: not available to another worker.
        #expect(queue.count == 0)
        #expect(queue.isProcessing("a"))
        queue.done("a")
        #expect(queue.count == 1)
        #expect(await queue.next() == "a")
        queue.done("a")
        #expect(queue.count == 0)
    }

    @Test func aWaitingWorkerReceivesAKeyAddedLater() async throws {
        let queue = WorkQueue<Int>()
        async let received = queue.next()
        try await waitUntil { queue.waitingWorkers == 1 }
        queue.add(7)
        let key = await received
        #expect(key == 7)
    }

    @Test func backoffDoublesPerFailureAndIsCapped() {
        let queue = WorkQueue<String>(baseDelay: .milliseconds(5), maxDelay: .seconds(1))
        #expect(queue.backoff(recording: "k") == .milliseconds(5))
        #expect(queue.backoff(recording: "k") == .milliseconds(10))
        #expect(queue.backoff(recording: "k") == .milliseconds(20))
        for _ in 0..<20 { _ = queue.backoff(recording: "k") }
        #expect(queue.backoff(recording: "k") == .seconds(1))
        #expect(queue.failures(of: "k") == 24)
        queue.forget("k")
        #expect(queue.failures(of: "k") == 0)
        #expect(queue.backoff(recording: "k") == .milliseconds(5))
    }

    @Test func delayedAddsArriveWhenTheClockReachesThem() async throws {
        let clock = ManualClock()
        let queue = WorkQueue<String>(clock: clock)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await queue.run() }
            queue.add("late", after: .seconds(10))
            queue.add("early", after: .seconds(2))
            try await waitUntil { clock.sleeperCount > 0 }
            clock.advance(by: .seconds(1))
            #expect(queue.count == 0)
            clock.advance(by: .seconds(1))
            try await waitUntil { queue.count == 1 }
            #expect(await queue.next() == "early")
            try await waitUntil { clock.nextDeadline == .seconds(10) }
            clock.advance(by: .seconds(8))
            try await waitUntil { queue.count == 1 }
            #expect(await queue.next() == "late")
            queue.shutDown()
            try await group.waitForAll()
        }
    }

    @Test func shutDownReleasesWaitingWorkers() async {
        let queue = WorkQueue<String>()
        await withTaskGroup(of: String?.self) { group in
            group.addTask { await queue.next() }
            group.addTask { await queue.next() }
            await Task.yield()
            queue.shutDown()
            var results: [String?] = []
            for await result in group { results.append(result) }
            #expect(results == [nil, nil])
        }
    }
}

/// Waits (yielding, with a deadline) until a condition holds.
func waitUntil(
    timeout: Duration = .seconds(10), _ condition: @Sendable () -> Bool, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now > deadline {
            Issue.record("condition not reached within \(timeout)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(1))
    }
}
