import Synchronization

/// A token bucket: `queriesPerSecond` tokens a second, holding at most `burst`. `acquire()` waits
/// (without blocking a thread) until a token is available.
public final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let rate: Double
    private let capacity: Double
    private let bucket: Mutex<Bucket>

    public init(queriesPerSecond: Double, burst: Int) {
        rate = queriesPerSecond
        capacity = Double(max(1, burst))
        bucket = Mutex(Bucket(tokens: Double(max(1, burst)), updated: .now))
    }

    /// Takes one token, waiting for it if the bucket is empty. A rate ≤ 0 never waits.
    public func acquire() async throws {
        guard rate > 0 else { return }
        let wait: Double = bucket.withLock { bucket in
            let now = ContinuousClock.now
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + seconds * rate)
            bucket.updated = now
            bucket.tokens -= 1
            // A negative balance is a reservation: this caller waits until it is paid back.
            return bucket.tokens >= 0 ? 0 : -bucket.tokens / rate
        }
        if wait > 0 {
            try await Task.sleep(for: .milliseconds(Int((wait * 1000).rounded(.up))))
        }
    }
}
