import Foundation
import KubeClient
import KubeRuntime
import Logging

/// This replica's view of the other replicas in cluster mode, kept only through Leases in
/// kube-node-lease (contract §3: no other coordination channel):
///
/// - a watch of every Lease of the env (vnode Leases and presence Leases), from which
///   ``census()`` tells the live replicas and the vnodes that have a Lease;
/// - this replica's own presence Lease `controller.<id>.<env>` (``ReplicaLeaseName``), held with the
///   vnode Leases' duration and renewal period, so that a replica that owns no vnode yet still counts
///   in everyone's fair share; ``withdraw()`` deletes it when the replica stops, and presence Leases
///   left by crashed replicas are deleted by the others once expired for a whole lease duration.
///
/// Leases freed by a peer (released on SIGTERM) and peers that leave are announced on
/// ``vacancies`` so that the vnodes concerned are looked at again at once instead of at their next
/// retry. They are hints: when the buffer is full the oldest are dropped, and the retries catch up.
final class ClusterMembership: Sendable {
    /// Something that may let this replica take vnodes it could not take before.
    enum Vacancy: Sendable, Hashable {
        /// A vnode Lease was released.
        case vnode(String)
        /// A replica withdrew its presence Lease.
        case replicaLeft(String)
    }

    let identity: String
    let presenceName: String
    /// Vacancies as the watch sees them; consumed by one task.
    let vacancies: AsyncStream<Vacancy>
    private let informer: Informer<Lease>
    private let lock: LeaseLock
    private let configuration: VirtualKubeletConfiguration
    private let clock: any ControllerClock
    private let logger: Logger

    init(client: KubernetesClient, configuration: VirtualKubeletConfiguration, clock: any ControllerClock,
         logger: Logger) {
        identity = configuration.clientID
        presenceName = ReplicaLeaseName.make(identity: configuration.clientID, env: configuration.env)
        lock = LeaseLock(client: client, identity: configuration.clientID, leaseDuration: configuration.leaseDuration,
                         clock: clock)
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        let (vacancies, continuation) = AsyncStream<Vacancy>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        self.vacancies = vacancies
        informer = Informer<Lease>(
            client: client, namespace: KouplelessKeys.nodeLeaseNamespace,
            labelSelector: LabelSelector([.equals(KouplelessKeys.env, configuration.env)]), clock: clock, logger: logger
        ) { change in
            if let vacancy = Self.vacancy(in: change) { continuation.yield(vacancy) }
        }
    }

    /// Whether the Lease cache holds its first complete list.
    var isSynced: Bool { informer.store.isSynced }

    /// Returns once the Lease cache holds its first complete list.
    func waitUntilSynced() async throws(CancellationError) {
        try await informer.store.waitUntilSynced()
    }

    /// The Lease cache's copy of one Lease of kube-node-lease, if it has one.
    func lease(named name: String) -> Lease? {
        informer.store.get(namespace: KouplelessKeys.nodeLeaseNamespace, name: name)
    }

    /// The cluster as the Lease cache shows it now.
    func census() -> ClusterCensus {
        ClusterCensus(leases: informer.store.list(), identity: identity, now: clock.wallNow)
    }

    /// Watches the Leases and keeps the presence Lease until cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.informer.run() }
            group.addTask { await self.keepPresence() }
        }
    }

    private func keepPresence() async {
        let labels = [KouplelessKeys.env: configuration.env, KouplelessKeys.component: KouplelessKeys.replicaLeaseComponent]
        var metadata: Logger.Metadata = ["lease": "\(presenceName)", "holder": "\(identity)"]
        var announced = false
        while !Task.isCancelled {
            do {
                switch try await lock.acquireOrRenew(namespace: KouplelessKeys.nodeLeaseNamespace, name: presenceName,
                                                     labels: labels) {
                case .held:
                    if !announced { logger.info("cluster mode: replica presence announced", metadata: metadata) }
                    announced = true
                case .heldByOther(let holder, _):
                    metadata["other"] = "\(holder)"
                    logger.warning("cluster mode: presence Lease held by another identity; is CLIENT_ID unique?",
                                   metadata: metadata)
                }
            } catch {
                logger.info("cluster mode: presence Lease not renewed; retrying", metadata: ["error": "\(error)"])
            }
            await collectAbandonedPresences()
            do { try await clock.sleep(for: configuration.leaseRenewInterval) } catch { return }
        }
    }

    /// Deletes presence Leases that expired a whole lease duration ago (their replicas crashed),
    /// each only if unchanged since it was read.
    private func collectAbandonedPresences() async {
        let horizon = clock.wallNow.addingTimeInterval(-TimeInterval(configuration.leaseDuration.components.seconds))
        for lease in informer.store.list() where lease.metadata.labels?[KouplelessKeys.component] == KouplelessKeys.replicaLeaseComponent {
            guard let name = lease.metadata.name, name != presenceName,
                  ClusterCensus.liveHolder(of: lease, now: horizon) == nil
            else { continue }
            do {
                _ = try await lock.client.delete(
                    Lease.self, namespace: KouplelessKeys.nodeLeaseNamespace, name: name,
                    options: DeleteOptions(preconditions: .init(resourceVersion: lease.metadata.resourceVersion)))
                logger.info("cluster mode: abandoned presence Lease deleted",
                            metadata: ["lease": "\(name)", "holder": "\(lease.spec?.holderIdentity ?? "")"])
            } catch {
                logger.debug("cluster mode: abandoned presence Lease not deleted", metadata: ["lease": "\(name)", "error": "\(error)"])
            }
        }
    }

    /// Deletes this replica's presence Lease, so that the others stop counting it at once.
    func withdraw() async {
        do {
            _ = try await lock.client.delete(Lease.self, namespace: KouplelessKeys.nodeLeaseNamespace, name: presenceName)
            logger.info("cluster mode: replica presence withdrawn", metadata: ["lease": "\(presenceName)"])
        } catch let error as KubeAPIError where error.isNotFound {
            return
        } catch {
            logger.warning("cluster mode: presence Lease not deleted", metadata: ["lease": "\(presenceName)", "error": "\(error)"])
        }
    }

    /// A vnode Lease that lost its holder, or a presence Lease that went away.
    static func vacancy(in change: StoreChange<Lease>) -> Vacancy? {
        let lease = change.object
        guard let name = lease.metadata.name else { return nil }
        let holder = lease.spec?.holderIdentity ?? ""
        switch lease.metadata.labels?[KouplelessKeys.component] {
        case KouplelessKeys.leaseComponent:
            if case .deleted = change { return nil }
            return holder.isEmpty ? .vnode(name) : nil
        case KouplelessKeys.replicaLeaseComponent:
            switch change {
            case .deleted(let old): return .replicaLeft(old.spec?.holderIdentity ?? "")
            case .updated(let old, _) where holder.isEmpty: return .replicaLeft(old.spec?.holderIdentity ?? "")
            default: return nil
            }
        default:
            return nil
        }
    }
}
