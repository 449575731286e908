import Metrics
import Synchronization

/// Why an incoming message was not turned into an event.
public enum DroppedMessageReason: String, Sendable, Hashable, CaseIterable {
    /// Older than the envelope expiry (T1, T2, T8–T10).
    case expired
    /// Not JSON, or not the expected shape (includes empty payloads).
    case malformed
    /// Larger than the configured limit; not even copied.
    case oversized
    /// The base identity is empty or not a valid topic level.
    case invalidIdentity = "invalid_identity"
    /// A topic we do not handle.
    case unknownTopic = "unknown_topic"
    /// A legacy biz list whose `code` is not `SUCCESS`.
    case unsuccessfulResponse = "unsuccessful_response"
    /// A `bizOperation` for a command other than install/uninstall.
    case unsupportedCommand = "unsupported_command"
    /// The consumer of the event stream is too far behind.
    case eventBufferFull = "event_buffer_full"
}

/// Counts dropped messages by reason, both in swift-metrics
/// (`module_controller_tunnel_messages_dropped_total{reason, tunnel}`) and in memory for tests
/// and diagnostics (per tunnel instance, so parallel tests do not see each other's counts).
public final class DroppedMessageCounter: Sendable {
    /// The metric name.
    public static let metricLabel = "module_controller_tunnel_messages_dropped_total"

    private let tunnel: TunnelKind
    private let state = Mutex<[DroppedMessageReason: (count: Int, counter: Counter)]>([:])

    public init(tunnel: TunnelKind) {
        self.tunnel = tunnel
    }

    /// Counts one dropped message.
    public func record(_ reason: DroppedMessageReason) {
        let counter = state.withLock { entries -> Counter in
            let counter = entries[reason]?.counter
                ?? Counter(label: Self.metricLabel, dimensions: [("reason", reason.rawValue), ("tunnel", tunnel.rawValue)])
            entries[reason] = ((entries[reason]?.count ?? 0) + 1, counter)
            return counter
        }
        counter.increment()
    }

    /// Messages dropped for `reason` so far.
    public func count(_ reason: DroppedMessageReason) -> Int {
        state.withLock { $0[reason]?.count ?? 0 }
    }

    /// All non-zero counts.
    public var counts: [DroppedMessageReason: Int] {
        state.withLock { $0.mapValues(\.count) }
    }
}
