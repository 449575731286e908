/// The cluster-mode rule (`IS_CLUSTER=true`, contract §3) that decides whether a replica may take
/// one more vnode: pure arithmetic on what the replica sees in the Lease namespace.
///
/// With `N` vnodes, `R` live replicas (including this one) and `L` = `WORKLOAD_MAX_LEVEL` (≥ 1):
///
///     limit(N, R) = ⌈N / R⌉ + (L − 1)
///
/// A replica that holds `owned` Leases (acquisitions in flight included) may acquire a free or
/// expired vnode Lease only while `owned < limit`. Otherwise it waits; once the same vnode has
/// waited `grace` and still nobody took it, the replica takes it anyway. Renewals of Leases it
/// already holds never ask: nothing is ever shed, so ownership never flaps.
///
/// Why this bound:
/// - A lone replica (`R = 1`) has `limit ≥ N`: it takes every vnode at once.
/// - `Σ limit = R·⌈N/R⌉ + R·(L−1) ≥ N`: while a vnode is free, the replicas own at most `N − 1`, so
///   at least one of them is below its limit and takes it without waiting (when their views agree).
/// - `L = 1` caps every replica at `⌈N/R⌉`: the split is as even as integers allow (for two replicas
///   and five vnodes, 3 and 2). Each further level is one vnode of slack that absorbs the lag of a
///   replica's view (`N` grows as heartbeats arrive, a peer's Lease is seen one watch event later)
///   without making vnodes wait for the grace.
/// - The grace bounds how long a vnode can stay unowned when the views disagree or when the only
///   replicas below their limit cannot hear the base (an HTTP base behind a Service heart-beats to
///   one replica only): no vnode is left without an owner for longer than the grace plus one retry.
public struct FairShare: Sendable, Hashable {
    /// What a replica does about a vnode whose Lease it does not hold.
    public enum Verdict: Sendable, Hashable {
        /// Below the limit: take the Lease if it is free or expired.
        case acquire
        /// At or above the limit, but the vnode waited the whole grace: take it all the same.
        case acquireAnyway
        /// At or above the limit: ask again after at most this long (the rest of the grace).
        case wait(Duration)
    }

    /// `WORKLOAD_MAX_LEVEL`: 1 is the strictly even split; each level above allows one more vnode.
    public var maxLevel: Int
    /// How long a free vnode waits for a replica below its limit before one above it takes it.
    public var grace: Duration

    public init(maxLevel: Int, grace: Duration) {
        self.maxLevel = max(1, maxLevel)
        self.grace = grace
    }

    /// The most vnodes one replica takes: `⌈vnodes / replicas⌉ + maxLevel − 1`.
    public func limit(vnodes: Int, replicas: Int) -> Int {
        let vnodes = max(0, vnodes), replicas = max(1, replicas)
        return (vnodes + replicas - 1) / replicas + maxLevel - 1
    }

    /// - Parameters:
    ///   - owned: Leases this replica holds, plus the acquisitions it has in flight.
    ///   - vnodes: vnodes known in the env (with or without a Lease).
    ///   - replicas: live replicas, this one included.
    ///   - waited: how long this vnode has been waiting for this replica already (`nil`: not yet).
    public func verdict(owned: Int, vnodes: Int, replicas: Int, waited: Duration?) -> Verdict {
        if owned < limit(vnodes: vnodes, replicas: replicas) { return .acquire }
        let waited = waited ?? .zero
        if waited >= grace { return .acquireAnyway }
        return .wait(grace - waited)
    }
}
