import Foundation
import KubeClient
import KubeRuntime
import Logging
import Synchronization

/// Holds the Leases of vnodes (`kube-node-lease/vnode.<id>.<env>`): one work queue of vnode names
/// whose delayed adds are the single shared timer for every renewal, a couple of workers, standard
/// lease semantics from `LeaseLock` (create, renew, take over once expired). Every gain or loss of
/// ownership is written to the registry and announced through `onChange`, so the vnode's reconcile
/// starts or stops acting. Renewals are jittered so that many vnodes do not renew in lockstep.
///
/// In cluster mode (`IS_CLUSTER=true`) a vnode Lease this replica does not hold is only tried when
/// the ``FairShareGate`` admits it (the ``FairShare`` rule over the ``ClusterMembership`` census);
/// renewals of Leases it holds never ask. Vacancies the membership sees (a Lease released, a
/// replica gone) bring the vnodes concerned back at once.
final class LeaseKeeper: Sendable {
    private let lock: LeaseLock
    private let registry: VNodeRegistry
    private let configuration: VirtualKubeletConfiguration
    private let queue: WorkQueue<String>
    private let clock: any ControllerClock
    private let logger: Logger
    private let onChange: @Sendable (String) -> Void
    /// This replica's view of the others; `nil` unless in cluster mode.
    let membership: ClusterMembership?
    /// The newest copy of each vnode Lease this replica wrote (its last renewal or takeover), so
    /// that a renewal is one patch, not a read and a patch.
    private let written = Mutex<[String: Lease]>([:])
    private let gate: FairShareGate?

    init(client: KubernetesClient, registry: VNodeRegistry, configuration: VirtualKubeletConfiguration,
         clock: any ControllerClock, logger: Logger, onChange: @escaping @Sendable (String) -> Void) {
        lock = LeaseLock(client: client, identity: configuration.clientID, leaseDuration: configuration.leaseDuration,
                         clock: clock)
        self.registry = registry
        self.configuration = configuration
        queue = WorkQueue(clock: clock, baseDelay: .milliseconds(200), maxDelay: configuration.leaseRenewInterval)
        self.clock = clock
        self.logger = logger
        self.onChange = onChange
        if configuration.isCluster {
            let membership = ClusterMembership(client: client, configuration: configuration, clock: clock, logger: logger)
            self.membership = membership
            gate = FairShareGate(rule: FairShare(maxLevel: configuration.workloadMaxLevel, grace: configuration.leaseDuration),
                                 membership: membership, registry: registry, leaseDuration: configuration.leaseDuration,
                                 clock: clock)
        } else {
            membership = nil
            gate = nil
        }
    }

    var labels: [String: String] {
        [KouplelessKeys.env: configuration.env, KouplelessKeys.component: KouplelessKeys.leaseComponent]
    }

    /// Starts keeping the lease of a vnode (idempotent).
    func track(_ name: String) {
        queue.add(name)
    }

    /// Renews leases until cancelled.
    func run(workers: Int = 2) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.queue.run() }
            if let membership, let gate {
                group.addTask {
                    for await vacancy in membership.vacancies { self.reconsider(after: vacancy, gate: gate) }
                }
            }
            for _ in 0..<max(1, workers) {
                group.addTask {
                    while let name = await self.queue.next() {
                        await self.keep(name)
                        self.queue.done(name)
                    }
                }
            }
        }
    }

    /// Looks again at once at the vnodes a vacancy may let this replica take: the one released and
    /// those the gate turned away, if this replica heard from them (or adopted them) and does not own them.
    private func reconsider(after vacancy: ClusterMembership.Vacancy, gate: FairShareGate) {
        var candidates = gate.deferredNames
        if case .vnode(let name) = vacancy { candidates.insert(name) }
        let now = clock.now
        for name in candidates {
            guard let record = registry.record(name), record.mayAcquire,
                  !record.isOwned(now: now, leaseDuration: configuration.leaseDuration)
            else { continue }
            queue.add(name)
        }
    }

    private func keep(_ name: String) async {
        guard let record = registry.record(name) else {
            queue.forget(name)
            gate?.forget(name)
            written.withLock { $0[name] = nil }
            return
        }
        let now = clock.now
        let owned = record.isOwned(now: now, leaseDuration: configuration.leaseDuration)
        guard owned || record.mayAcquire else {
            queue.add(name, after: jittered(configuration.leaseRenewInterval))
            return
        }
        var logger = logger
        logger[metadataKey: "vnode"] = "\(name)"
        if !owned, let gate {
            switch gate.admit(name) {
            case .granted(let anyway):
                if anyway {
                    logger.info("vnode above this replica's fair share, but no other replica took it within the grace: trying anyway")
                }
            case .deferred(let retryAfter, let ownedCount, let limit):
                logger.debug("vnode left to other replicas: this replica holds its fair share",
                             metadata: ["owned": "\(ownedCount)", "limit": "\(limit)"])
                queue.forget(name)
                queue.add(name, after: max(.milliseconds(50), jittered(min(retryAfter, configuration.leaseRenewInterval / 2))))
                return
            }
        }
        // The claim of a grant ends only once the outcome is in the registry.
        defer { if !owned { gate?.finish(name) } }
        do {
            let outcome = try await lock.acquireOrRenew(namespace: KouplelessKeys.nodeLeaseNamespace, name: name,
                                                        labels: labels, known: knownLease(name))
            queue.forget(name)
            let after = clock.now
            switch outcome {
            case .held(let lease, let acquired):
                written.withLock { $0[name] = lease }
                let gained = registry.update(name) { $0.leaseHeld(at: after, leaseDuration: configuration.leaseDuration) } ?? false
                if gained {
                    logger.info("vnode lease held: this replica now owns the vnode", metadata: ["acquired": "\(acquired)"])
                    onChange(name)
                }
                queue.add(name, after: jittered(configuration.leaseRenewInterval))
            case .heldByOther(let holder, let expiresAt):
                written.withLock { $0[name] = nil }
                let lost = registry.update(name) {
                    $0.leaseHeldByOther(holder, now: after, leaseDuration: configuration.leaseDuration)
                } ?? false
                if lost {
                    logger.warning("vnode lease taken by another replica: this replica stops acting for it",
                                   metadata: ["holder": "\(holder)"])
                    onChange(name)
                }
                let remaining = expiresAt.timeIntervalSince(clock.wallNow)
                let wait = min(configuration.leaseRenewInterval, .milliseconds(max(100, Int(remaining * 1000) + 100)))
                queue.add(name, after: jittered(wait))
            }
        } catch {
            written.withLock { $0[name] = nil }
            logger.info("vnode lease attempt failed; retrying", metadata: ["error": "\(error)"])
            let stillOwned = registry.record(name)?.isOwned(now: clock.now, leaseDuration: configuration.leaseDuration) ?? false
            if owned, !stillOwned { onChange(name) }
            queue.addRateLimited(name)
        }
    }

    /// The newest copy of a vnode Lease this replica knows without asking: its own last write, or
    /// (in cluster mode) what the watch of the env's Leases delivered. `nil`: read it.
    private func knownLease(_ name: String) -> Lease? {
        let own = written.withLock { $0[name] }
        guard let watched = membership?.lease(named: name), let version = watched.metadata.resourceVersion else { return own }
        guard let own else { return watched }
        return ResourceVersionOrder.isNewer(version, than: own.metadata.resourceVersion) ? watched : own
    }

    /// Up to ±10 % of `duration`, so that renewals spread out.
    private func jittered(_ duration: Duration) -> Duration {
        let spread = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return .milliseconds(Int(spread * 1000 * Double.random(in: 0.9...1.0)))
    }

    /// Gives up every lease this replica holds, so that another replica can take the vnodes at once;
    /// in cluster mode the presence Lease goes first, so that the others no longer count this
    /// replica when its vnode Leases come free.
    func releaseAll() async {
        await membership?.withdraw()
        let names = registry.ownedNames(now: clock.now, leaseDuration: configuration.leaseDuration)
        await withDiscardingTaskGroup { group in
            for name in names {
                group.addTask {
                    do {
                        try await self.lock.release(namespace: KouplelessKeys.nodeLeaseNamespace, name: name)
                        self.registry.update(name) { $0.ownership = .unknown }
                        self.logger.info("vnode lease released", metadata: ["vnode": "\(name)"])
                    } catch {
                        self.logger.warning("vnode lease not released", metadata: ["vnode": "\(name)", "error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Deletes a vnode's Lease (its base is dead) and stops keeping it.
    func delete(_ name: String) async throws {
        queue.forget(name)
        gate?.forget(name)
        written.withLock { $0[name] = nil }
        do {
            try await lock.client.delete(Lease.self, namespace: KouplelessKeys.nodeLeaseNamespace, name: name)
        } catch let error as KubeAPIError where error.isNotFound {
            return
        }
    }

    /// The live replicas this replica sees, sorted; empty unless in cluster mode.
    var replicas: [String] { membership?.census().replicas.sorted() ?? [] }

    func shutDown() {
        queue.shutDown()
    }
}
