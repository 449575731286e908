import KubeClient
import Logging
import Synchronization
import VirtualKubelet

/// Watches the API server the way a user would and notes, in the order the watch delivers them
/// (resourceVersion order), when each vnode first turned Ready, when each pod first turned Ready
/// and when each pod was deleted for good.
final class ClusterObserver: Sendable {
    private struct State {
        var nodesReady: [String: ContinuousClock.Instant] = [:]
        var podsReady: [String: ContinuousClock.Instant] = [:]
        var podsGone: [String: ContinuousClock.Instant] = [:]
    }

    private let state = Mutex(State())
    private let client: KubernetesClient
    private let env: String
    private let logger: Logger

    init(client: KubernetesClient, env: String, logger: Logger) {
        self.client = client
        self.env = env
        self.logger = logger
    }

    var readyNodeCount: Int { state.withLock { $0.nodesReady.count } }
    var nodesReady: [String: ContinuousClock.Instant] { state.withLock { $0.nodesReady } }
    var podsReady: [String: ContinuousClock.Instant] { state.withLock { $0.podsReady } }
    var podsGone: [String: ContinuousClock.Instant] { state.withLock { $0.podsGone } }

    /// How many of `names` are Ready / gone.
    func readyCount(of names: some Sequence<String>) -> Int { state.withLock { state in names.count { state.podsReady[$0] != nil } } }
    func goneCount(of names: some Sequence<String>) -> Int { state.withLock { state in names.count { state.podsGone[$0] != nil } } }

    /// Watches nodes and pods until cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                await self.watch(Node.self, namespace: nil,
                                 selector: LabelSelector(matching: [KouplelessKeys.env: self.env])) { event, at in
                    guard let node = event.object, let name = node.metadata.name,
                          node.status?.condition("Ready")?.status == "True" else { return }
                    if case .deleted = event { return }
                    self.state.withLock { state in if state.nodesReady[name] == nil { state.nodesReady[name] = at } }
                }
            }
            group.addTask {
                await self.watch(Pod.self, namespace: "default",
                                 selector: LabelSelector(matching: [KouplelessKeys.component: KouplelessKeys.moduleComponent])) { event, at in
                    switch event {
                    case .added(let pod), .modified(let pod):
                        guard let name = pod.metadata.name, PodStatusModel.isReady(pod.status) else { return }
                        self.state.withLock { state in if state.podsReady[name] == nil { state.podsReady[name] = at } }
                    case .deleted(let pod):
                        guard let name = pod.metadata.name else { return }
                        self.state.withLock { $0.podsGone[name] = at }
                    case .bookmark:
                        break
                    }
                }
            }
        }
    }

    /// One resource's watch from now on, re-opened from the last version seen when the server ends it.
    private func watch<R: KubeResource>(_ type: R.Type, namespace: String?, selector: LabelSelector,
                                        _ note: @Sendable (WatchEvent<R>, ContinuousClock.Instant) -> Void) async {
        var version: String?
        while !Task.isCancelled {
            do {
                if version == nil {
                    version = try await client.list(R.self, namespace: namespace,
                                                    options: ListOptions(labelSelector: selector, limit: 1)).metadata.resourceVersion
                }
                let stream = try await client.watch(R.self, namespace: namespace,
                                                    options: WatchOptions(labelSelector: selector, resourceVersion: version,
                                                                          timeoutSeconds: 3_600))
                for try await event in stream {
                    note(event, ContinuousClock.now)
                    if let next = event.resourceVersion { version = next }
                }
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("observer watch failed; re-opening", metadata: ["error": "\(error)"])
                if let error = error as? KubeAPIError, error.isGone { version = nil }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}
