import Arklet
import Foundation
import KubeClient
import KubeRuntime
import Logging
import Synchronization

/// The controller core of module-controller: turns every base heard on the tunnels into a virtual
/// node, holds the vnode's Lease, and makes each base run the bizzes of the module pods bound to
/// its vnode, writing Node and pod statuses as a kubelet would (contract §2–4).
///
/// ```swift
/// let controller = try VirtualKubeletController(configuration: .init(env: "dev", clientID: podName),
///                                               client: client, tunnels: [mqtt], logger: logger)
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { try await mqtt.run() }      // tunnels are run by the caller
///     group.addTask { await controller.run() }    // consumes the tunnels' events
/// }
/// ```
///
/// The controller is the single consumer of every tunnel's `events`; each tunnel's `run()` is the
/// caller's to run. ``run()`` lasts until its task is cancelled, then releases the Leases it holds
/// so that another replica takes over at once. With ``VirtualKubeletConfiguration/isCluster`` the
/// replicas spread the vnodes evenly between them (``FairShare``).
public final class VirtualKubeletController: Sendable {
    public let configuration: VirtualKubeletConfiguration
    private let client: KubernetesClient
    private let tunnels: [any Tunnel]
    private let clock: any ControllerClock
    private let logger: Logger
    private let registry = VNodeRegistry()
    private let queue: WorkQueue<String>
    private let pods: ModulePodCache
    private let nodeInformer: Informer<Node>
    private let leases: LeaseKeeper
    private let runner = CommandRunner()
    private let events: EventRecorder
    private let router: BaseEventRouter
    private let reconciler: VNodeReconciler
    private let started = AtomicFlag()

    /// - Throws: ``VirtualKubeletConfigurationError`` when a setting cannot work, or when no tunnel is given.
    public init(configuration: VirtualKubeletConfiguration, client: KubernetesClient, tunnels: [any Tunnel],
                clock: any ControllerClock = SystemClock(), baselines: (any BaselineProvider)? = nil,
                logger: Logger) throws(VirtualKubeletConfigurationError) {
        try configuration.validate()
        guard !tunnels.isEmpty else {
            throw VirtualKubeletConfigurationError(setting: "tunnels",
                                                   message: "enable at least one tunnel (ENABLE_MQTT_TUNNEL or ENABLE_HTTP_TUNNEL)")
        }
        self.configuration = configuration
        self.client = client
        self.tunnels = tunnels
        self.clock = clock
        self.logger = logger
        let queue = WorkQueue<String>(clock: clock, baseDelay: .milliseconds(100), maxDelay: .seconds(30))
        self.queue = queue
        let registry = self.registry
        pods = ModulePodCache(client: client, clock: clock, logger: logger) { change in
            var names: Set<String> = []
            if case .updated(let old, _) = change, let node = old.spec?.nodeName { names.insert(node) }
            if let node = change.object.spec?.nodeName { names.insert(node) }
            for name in names where registry.contains(name) { queue.add(name) }
        }
        // Leases and Events have request budgets of their own: renewals never queue behind status
        // writes, and a burst of Events never delays them either.
        let leaseClient = client.withRateLimit(queriesPerSecond: configuration.leaseRequestsPerSecond,
                                               burst: Int(configuration.leaseRequestsPerSecond * 2))
        let leases = LeaseKeeper(client: leaseClient, registry: registry, configuration: configuration, clock: clock,
                                 logger: logger) { name in queue.add(name) }
        self.leases = leases
        let env = configuration.env
        nodeInformer = Informer<Node>(
            client: client,
            labelSelector: LabelSelector([.equals(KouplelessKeys.component, KouplelessKeys.vnodeComponent),
                                          .equals(KouplelessKeys.env, env)]),
            clock: clock, logger: logger
        ) { change in
            guard let name = VNodeName.parse(change.object.metadata.name ?? "", env: env) else { return }
            let key = name.rawValue
            switch change {
            case .added, .updated:
                if Self.know(change.object, as: name, registry: registry, tunnels: tunnels, now: clock.now) {
                    leases.track(key)
                }
                queue.add(key)
            case .deleted:
                let owned = registry.record(key)?.isOwned(now: clock.now, leaseDuration: configuration.leaseDuration) ?? false
                if !owned, registry.record(key)?.tunnelConfirmed == false {
                    registry.remove(key)
                } else {
                    // Owned: the reconcile re-creates it. Heard from but owned elsewhere: the
                    // reconcile forgets it once its base is silent.
                    queue.add(key)
                }
            }
        }
        events = EventRecorder(client: client.withRateLimit(queriesPerSecond: configuration.eventRequestsPerSecond,
                                                            burst: Int(configuration.eventRequestsPerSecond * 2)),
                               component: configuration.eventComponent, clock: clock, logger: logger)
        router = BaseEventRouter(configuration: configuration, registry: registry, leases: leases, queue: queue,
                                 clock: clock, logger: logger)
        reconciler = VNodeReconciler(.init(
            configuration: configuration, client: client, registry: registry, pods: pods, nodes: nodeInformer.store,
            tunnels: tunnels, runner: runner, leases: leases, events: events, baselines: baselines, queue: queue,
            clock: clock, logger: logger))
    }

    /// Ready once the caches have synced, the existing vnodes were adopted and every tunnel can reach
    /// its bases (for `/readyz`).
    public var isReady: Bool {
        started.isSet && tunnels.allSatisfy(\.isReady)
    }

    /// Whether the pod and node caches have their first complete lists.
    public var isSynced: Bool {
        pods.isSynced && nodeInformer.store.isSynced && leases.membership?.isSynced != false
    }

    /// The names of the vnodes this replica owns right now.
    public var ownedVNodes: [String] {
        registry.ownedNames(now: clock.now, leaseDuration: configuration.leaseDuration).sorted()
    }

    /// In cluster mode, the replicas this one sees alive (itself included), sorted; else empty.
    public var clusterReplicas: [String] { leases.replicas }

    /// Base identities refused because they make no valid node name or topic level.
    public var refusedIdentities: Set<String> { router.refusedIdentities }

    /// Runs everything in one task group until the calling task is cancelled, then releases the
    /// Leases this replica holds.
    public func run() async {
        logger.info("virtual kubelet starting", metadata: [
            "env": "\(configuration.env)", "clientID": "\(configuration.clientID)",
            "tunnels": "\(tunnels.map(\.kind.rawValue))", "workers": "\(configuration.workerCount)",
            "cluster": "\(configuration.isCluster)", "workloadMaxLevel": "\(configuration.workloadMaxLevel)",
        ])
        await withDiscardingTaskGroup { group in
            for informer in pods.informers { group.addTask { await informer.run() } }
            group.addTask { await self.nodeInformer.run() }
            if let membership = leases.membership { group.addTask { await membership.run() } }
            group.addTask { await self.events.run() }
            group.addTask { await self.runner.run() }
            group.addTask { await self.queue.run() }
            group.addTask {
                guard await self.waitForCaches() else { return }
                self.adoptExistingNodes()
                self.started.set()
                self.logger.info("virtual kubelet ready: caches synced")
                await withDiscardingTaskGroup { workers in
                    workers.addTask { await self.leases.run() }
                    for (index, tunnel) in self.tunnels.enumerated() {
                        workers.addTask { await self.router.consume(tunnel, index: index) }
                    }
                    for _ in 0..<self.configuration.workerCount {
                        workers.addTask { await self.work() }
                    }
                    workers.addTask { await self.reportGauges() }
                }
            }
        }
        queue.shutDown()
        leases.shutDown()
        await releaseLeases()
        events.finish()
        logger.info("virtual kubelet stopped")
    }

    private func work() async {
        while let name = await queue.next() {
            do {
                try await reconciler.reconcile(name)
                queue.forget(name)
            } catch is CancellationError {
                queue.done(name)
                return
            } catch {
                VirtualKubeletMetrics.reconcileFailed()
                logger.warning("vnode reconcile failed; retrying with back-off", metadata: ["vnode": "\(name)", "error": "\(error)"])
                queue.addRateLimited(name)
            }
            queue.done(name)
        }
    }

    /// Waits until every cache ``isSynced`` counts holds its first list (pods, nodes and, in
    /// cluster mode, Leases); `false` when cancelled first.
    private func waitForCaches() async -> Bool {
        do {
            try await pods.waitUntilSynced()
            try await nodeInformer.store.waitUntilSynced()
            try await leases.membership?.waitUntilSynced()
            return true
        } catch {
            return false
        }
    }

    /// Vnodes of this env that exist at start-up are adopted before the replica says it is ready:
    /// it may take their Leases (its own from before a restart at once, others' once free) and
    /// delete them if their base stays silent. (The informer's handler has usually done it already.)
    private func adoptExistingNodes() {
        for node in nodeInformer.store.list() {
            guard let name = VNodeName.parse(node.metadata.name ?? "", env: configuration.env) else { continue }
            _ = Self.know(node, as: name, registry: registry, tunnels: tunnels, now: clock.now)
            leases.track(name.rawValue)
            queue.add(name.rawValue)
        }
    }

    /// Records a vnode known from its Node (every Node of this env the informer delivers, those of
    /// the first list included): this replica may take its Lease whenever it is free (its owner
    /// released it or let it expire; contract §3), and, until the base is heard from on this
    /// replica, the Node says where the base is (an HTTP base: its InternalIP and tunnel-port
    /// label) and what it looks like. Returns whether the vnode was new to this replica.
    static func know(_ node: Node, as name: VNodeName, registry: VNodeRegistry, tunnels: [any Tunnel],
                     now: Duration) -> Bool {
        let profile = BaseProfile(node: node)
        let (created, heard) = registry.upsert(name.rawValue, make: {
            VNodeRecord(name: name, tunnel: guessTunnel(for: node, kinds: tunnels.map(\.kind)), tunnelConfirmed: false,
                        profile: profile, now: now, mayAcquire: true)
        }) { record -> (tunnel: Int, confirmed: Bool) in
            record.mayAcquire = true
            if !record.tunnelConfirmed { record.profile = profile }
            return (record.tunnel, record.tunnelConfirmed)
        }
        if !heard.confirmed, !profile.localIP.isEmpty {
            tunnels[heard.tunnel].learnAddress(
                host: profile.localIP, port: node.metadata.labels?[KouplelessKeys.tunnelPort].flatMap(Int.init),
                for: name.identity)
        }
        return created
    }

    /// A Node with a tunnel-port label was registered over HTTP; otherwise over MQTT.
    static func guessTunnel(for node: Node, kinds: [TunnelKind]) -> Int {
        let wanted: TunnelKind = node.metadata.labels?[KouplelessKeys.tunnelPort] != nil ? .http : .mqtt
        return kinds.firstIndex(of: wanted) ?? 0
    }

    private func reportGauges() async {
        while !Task.isCancelled {
            let counts = registry.counts(now: clock.now, leaseDuration: configuration.leaseDuration)
            VirtualKubeletMetrics.vnodes(known: counts.known, owned: counts.owned)
            VirtualKubeletMetrics.modulePods(byPhase: pods.countsByPhase())
            if configuration.isCluster { VirtualKubeletMetrics.clusterReplicas(leases.replicas.count) }
            do { try await clock.sleep(for: .seconds(10)) } catch { return }
        }
    }

    /// Releases every held Lease, bounded in time, even though the calling task is cancelled.
    private func releaseLeases() async {
        let leases = self.leases
        // An unstructured task does not inherit the cancellation that ended `run()`, so the release
        // requests can still reach the API server; it is awaited here, so it does not outlive `run()`.
        await Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await leases.releaseAll() }
                group.addTask { try? await Task.sleep(for: .seconds(5)) }
                await group.next()
                group.cancelAll()
            }
        }.value
    }
}

/// A flag set once, readable from any thread.
private final class AtomicFlag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
