import KubeClient
import KubeRuntime
import Logging
import Metrics

/// Keeps peer module Deployments at one replica per Ready base of their cluster. Watches
/// Deployments labelled with this ENV and vnodes of this ENV; any change re-plans, one key at a
/// time, and writes `spec.replicas` only when it differs. Runs only when
/// `ENABLE_MODULE_REPLICAS_SYNC_WITH_BASE=true`.
public final class PeerReplicaController: Sendable {
    public let deployments: Informer<Deployment>
    public let nodes: Informer<Node>
    private let client: KubernetesClient
    private let planner: PeerReplicaPlanner
    private let queue: WorkQueue<ObjectKey>
    private let logger: Logger

    public init(client: KubernetesClient, env: String, clock: any ControllerClock = SystemClock(), logger: Logger) {
        self.client = client
        self.planner = PeerReplicaPlanner(env: env)
        self.logger = logger
        let queue = WorkQueue<ObjectKey>(clock: clock, baseDelay: .milliseconds(200), maxDelay: .seconds(60))
        self.queue = queue
        let deploymentStore = ObjectStore<Deployment>()
        deployments = Informer(
            client: client, labelSelector: LabelSelector(matching: [ModuleDeploymentLabels.env: env]), store: deploymentStore,
            clock: clock, logger: logger
        ) { change in queue.add(change.object.objectKey) }
        nodes = Informer(
            client: client,
            labelSelector: LabelSelector(matching: [
                ModuleDeploymentLabels.component: ModuleDeploymentLabels.vnode, ModuleDeploymentLabels.env: env,
            ]),
            clock: clock, logger: logger
        ) { [deploymentStore] change in
            // A base came, went or changed readiness: every peer Deployment of its cluster re-plans.
            let cluster = change.object.metadata.labels?[ModuleDeploymentLabels.clusterName]
            for deployment in deploymentStore.list() where ModuleDeploymentLabels.clusterName(of: deployment) == cluster {
                queue.add(deployment.objectKey)
            }
        }
    }

    /// Runs until cancelled.
    public func run(workers: Int = 2) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.deployments.run() }
            group.addTask { await self.nodes.run() }
            group.addTask { await self.queue.run() }
            group.addTask {
                do {
                    try await self.deployments.store.waitUntilSynced()
                    try await self.nodes.store.waitUntilSynced()
                } catch {
                    return
                }
                for deployment in self.deployments.store.list() { self.queue.add(deployment.objectKey) }
            }
            for _ in 0..<max(1, workers) {
                group.addTask {
                    while let key = await self.queue.next() {
                        await self.reconcile(key)
                        self.queue.done(key)
                    }
                }
            }
            // Children run until this task is cancelled; the queue is shut down then so that the
            // workers parked in `next()` return.
            await withTaskCancellationHandler {
                await group.waitForAll()
            } onCancel: {
                self.queue.shutDown()
            }
        }
    }

    private func reconcile(_ key: ObjectKey) async {
        guard deployments.store.isSynced, nodes.store.isSynced,
            let deployment = deployments.store.get(key)
        else { return }
        let ready = planner.readyBases(nodes.store.list())
        guard let desired = planner.desiredReplicas(of: deployment, readyBases: ready) else {
            queue.forget(key)
            return
        }
        do {
            _ = try await client.patch(
                Deployment.self, namespace: key.namespace, name: key.name,
                patch: .merge(["spec": ["replicas": .int(Int64(desired))]]))
            logger.info(
                "peer deployment replicas set",
                metadata: ["deployment": "\(key)", "replicas": "\(desired)", "was": "\(deployment.spec?.replicas ?? 0)"])
            Counter(label: "module_controller_peer_replica_updates_total").increment()
            queue.forget(key)
        } catch let error as KubeAPIError where error.isNotFound {
            queue.forget(key)
        } catch {
            logger.info("peer deployment replicas not set; retrying", metadata: ["deployment": "\(key)", "error": "\(error)"])
            queue.addRateLimited(key)
        }
    }
}
