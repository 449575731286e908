/// Jittered exponential back-off between connection attempts (libmosquitto's own reconnect delay
/// has no jitter, and its reconnect logic is not used).
///
/// The n-th consecutive failure waits a random time in `[d/2, d]` where
/// `d = min(maximum, initial × 2ⁿ)` ("equal jitter"), so that many clients losing one broker do
/// not come back in lock-step.
public struct ReconnectBackoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30)) {
        self.initial = initial
        self.maximum = max(initial, maximum)
    }

    /// The delay before attempt number `failures + 1`, given a uniform random number in `0..<1`.
    public func delay(afterFailures failures: Int, random: Double) -> Duration {
        let exponent = min(max(failures - 1, 0), 30)
        let ceiling = min(maximum, initial * (1 << exponent))
        let jitter = min(max(random, 0), 1)
        return ceiling / 2 + (ceiling / 2) * jitter
    }
}
