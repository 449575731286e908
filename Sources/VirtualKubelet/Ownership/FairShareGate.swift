import KubeRuntime
import Synchronization

/// Applies the ``FairShare`` rule in cluster mode before the ``LeaseKeeper`` tries to take a vnode
/// Lease it does not hold. It counts:
/// - `owned`: the vnodes this replica owns in the registry plus the acquisitions granted and still
///   in flight (so that concurrent lease workers cannot overshoot the limit together);
/// - `vnodes`: the vnodes known in the registry (heard bases, Nodes of the env) together with the
///   vnode Leases of the env;
/// - `replicas`: the live replicas of the ``ClusterMembership`` census.
///
/// A vnode turned away is remembered with the moment it was first turned away, so that the grace
/// of the rule runs from there; a grant or ``forget(_:)`` clears it. Renewals never come here.
final class FairShareGate: Sendable {
    enum Admission: Sendable, Hashable {
        /// Go ahead; `anyway`: above the limit, after the whole grace.
        case granted(anyway: Bool)
        /// Ask again after `retryAfter`; `owned` and `limit` for the log.
        case deferred(retryAfter: Duration, owned: Int, limit: Int)
    }

    private struct State {
        var claims: Set<String> = []
        var deferredSince: [String: Duration] = [:]
    }

    private let rule: FairShare
    private let membership: ClusterMembership
    private let registry: VNodeRegistry
    private let leaseDuration: Duration
    private let clock: any ControllerClock
    private let state = Mutex(State())

    init(rule: FairShare, membership: ClusterMembership, registry: VNodeRegistry, leaseDuration: Duration,
         clock: any ControllerClock) {
        self.rule = rule
        self.membership = membership
        self.registry = registry
        self.leaseDuration = leaseDuration
        self.clock = clock
    }

    /// Whether this replica may try to take `name`'s Lease now. A grant must be followed by
    /// ``finish(_:)`` once the attempt's outcome is in the registry.
    func admit(_ name: String) -> Admission {
        let now = clock.now
        let census = membership.census()
        let vnodes = census.vnodeLeases.union(registry.names).count
        let owned = registry.counts(now: now, leaseDuration: leaseDuration).owned
        return state.withLock { state in
            let total = owned + state.claims.count
            let waited = state.deferredSince[name].map { now - $0 }
            let verdict = rule.verdict(owned: total, vnodes: vnodes, replicas: census.replicas.count, waited: waited)
            switch verdict {
            case .acquire, .acquireAnyway:
                // The work queue never hands one vnode to two workers, so `name` holds no claim yet.
                state.claims.insert(name)
                state.deferredSince[name] = nil
                return .granted(anyway: verdict == .acquireAnyway)
            case .wait(let remaining):
                if state.deferredSince[name] == nil { state.deferredSince[name] = now }
                return .deferred(retryAfter: remaining, owned: total,
                                 limit: rule.limit(vnodes: vnodes, replicas: census.replicas.count))
            }
        }
    }

    /// Ends the acquisition granted for `name` (its outcome is in the registry by now).
    func finish(_ name: String) {
        _ = state.withLock { $0.claims.remove(name) }
    }

    /// The vnodes turned away and not granted since.
    var deferredNames: Set<String> { state.withLock { Set($0.deferredSince.keys) } }

    /// Forgets a vnode that is gone.
    func forget(_ name: String) {
        state.withLock { state in
            state.claims.remove(name)
            state.deferredSince[name] = nil
        }
    }
}
