import KubeClient
import KubeRuntime
import Logging

/// The module pods of the cluster, kept by two label-selected informers (the current
/// `virtual-kubelet.koupleless.io/component=module` key and the older
/// `module-controller.koupleless.io/component=module` one), indexed by node name. No cache of
/// other pods is kept.
final class ModulePodCache: Sendable {
    let informers: [Informer<Pod>]

    init(client: KubernetesClient, clock: any ControllerClock, logger: Logger,
         onChange: @escaping @Sendable (StoreChange<Pod>) -> Void) {
        informers = [KouplelessKeys.component, KouplelessKeys.legacyComponent].map { key in
            Informer<Pod>(
                client: client, labelSelector: LabelSelector([.equals(key, KouplelessKeys.moduleComponent)]),
                store: ObjectStore(indexers: [ObjectStore<Pod>.nodeNameIndex: ObjectStore<Pod>.byNodeName]),
                clock: clock, logger: logger, handler: onChange)
        }
    }

    /// The module pods bound to a node (each once, even when it carries both labels).
    func pods(on nodeName: String) -> [Pod] {
        var seen = Set<ObjectKey>()
        var pods: [Pod] = []
        for informer in informers {
            for pod in informer.store.list(index: ObjectStore<Pod>.nodeNameIndex, value: nodeName)
            where seen.insert(pod.objectKey).inserted {
                pods.append(pod)
            }
        }
        return pods
    }

    var isSynced: Bool { informers.allSatisfy { $0.store.isSynced } }

    /// Returns once every informer holds its first list.
    func waitUntilSynced() async throws(CancellationError) {
        for informer in informers { try await informer.store.waitUntilSynced() }
    }

    /// Module pods bound to a node, counted by phase (each pod once).
    func countsByPhase() -> [String: Int] {
        var seen = Set<ObjectKey>()
        var counts: [String: Int] = [:]
        for informer in informers {
            for pod in informer.store.list() where pod.spec?.nodeName?.isEmpty == false && seen.insert(pod.objectKey).inserted {
                counts[pod.status?.phase ?? "Pending", default: 0] += 1
            }
        }
        return counts
    }
}
