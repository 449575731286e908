import Metrics
import Synchronization

/// Why the HTTP tunnel's listener refused a request for security reasons (contract §7).
public enum HTTPRefusalReason: String, Sendable, Hashable, CaseIterable {
    /// A heartbeat's `localIP` is not the address the request came from.
    case sourceAddressMismatch = "source_address_mismatch"
    /// The peer is outside every allowed CIDR block.
    case addressNotAllowed = "address_not_allowed"
    /// The peer's address is unknown (not an IP connection) while a check needs it.
    case unknownPeer = "unknown_peer"
}

/// Counts refused listener requests by reason, in swift-metrics
/// (`module_controller_http_tunnel_refusals_total{reason}`) and in memory per tunnel instance
/// (tests, diagnostics).
public final class HTTPRefusalCounter: Sendable {
    /// The metric name.
    public static let metricLabel = "module_controller_http_tunnel_refusals_total"

    private let state = Mutex<[HTTPRefusalReason: (count: Int, counter: Counter)]>([:])

    public init() {}

    /// Counts one refusal.
    public func record(_ reason: HTTPRefusalReason) {
        let counter = state.withLock { entries -> Counter in
            let counter = entries[reason]?.counter
                ?? Counter(label: Self.metricLabel, dimensions: [("reason", reason.rawValue)])
            entries[reason] = ((entries[reason]?.count ?? 0) + 1, counter)
            return counter
        }
        counter.increment()
    }

    /// Requests refused for `reason` so far.
    public func count(_ reason: HTTPRefusalReason) -> Int {
        state.withLock { $0[reason]?.count ?? 0 }
    }

    /// All non-zero counts.
    public var counts: [HTTPRefusalReason: Int] {
        state.withLock { $0.mapValues(\.count) }
    }
}
