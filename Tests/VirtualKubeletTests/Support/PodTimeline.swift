import Foundation
import KubeClient
import Synchronization
@testable import VirtualKubelet

/// Records, from a list and then a watch on the API server, every change of the pods of a namespace in the order
/// the server committed them: the `Ready` condition, the node and the labels after each
/// `resourceVersion`, and deletions.
final class PodTimeline: Sendable {
    struct Entry: Sendable {
        var pod: String
        var ready: Bool
        var reason: String?
        var node: String?
        var labels: [String: String]
        var resourceVersion: String?
        /// The pod has a `deletionTimestamp` (graceful deletion under way).
        var terminating: Bool
        /// The server removed the pod (a `DELETED` event).
        var deleted: Bool
    }

    private let entries = Mutex<[Entry]>([])
    private let client: KubernetesClient
    private let namespace: String
    private let resourceVersion: String

    /// Starts the timeline with the namespace's pods as they are now (one entry each, from a
    /// list); ``record()`` then follows every change after that list.
    init(client: KubernetesClient, namespace: String) async throws {
        let list = try await client.list(Pod.self, namespace: namespace)
        self.client = client
        self.namespace = namespace
        resourceVersion = list.metadata.resourceVersion ?? ""
        entries.withLock { $0 = list.items.map { Self.entry($0, deleted: false) } }
    }

    var all: [Entry] { entries.withLock { $0 } }

    /// Watches from the initial list until cancelled.
    func record() async {
        do {
            let stream = try await client.watch(Pod.self, namespace: namespace,
                                                options: WatchOptions(resourceVersion: resourceVersion, timeoutSeconds: 600))
            for try await event in stream {
                let deleted: Bool
                switch event {
                case .added, .modified: deleted = false
                case .deleted: deleted = true
                case .bookmark: continue
                }
                guard let pod = event.object else { continue }
                entries.withLock { $0.append(Self.entry(pod, deleted: deleted)) }
            }
        } catch {}
    }

    /// Records the pods of `namespace` from now on while `body` runs; returns what was recorded.
    static func recording(client: KubernetesClient, namespace: String = "default",
                          during body: () async throws -> Void) async throws -> PodTimeline {
        let timeline = try await PodTimeline(client: client, namespace: namespace)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await timeline.record() }
            try await body()
            group.cancelAll()
        }
        return timeline
    }

    private static func entry(_ pod: Pod, deleted: Bool) -> Entry {
        Entry(pod: pod.metadata.name ?? "", ready: PodStatusModel.isReady(pod.status),
              reason: pod.status?.condition("Ready")?.reason, node: pod.spec?.nodeName,
              labels: pod.metadata.labels ?? [:], resourceVersion: pod.metadata.resourceVersion,
              terminating: pod.metadata.deletionTimestamp != nil, deleted: deleted)
    }

    /// The pods present after each recorded change (by name), oldest change first.
    var snapshots: [[String: Entry]] {
        var current: [String: Entry] = [:]
        return all.map { entry in
            current[entry.pod] = entry.deleted ? nil : entry
            return current
        }
    }

    /// The readiness of each present pod after each recorded change.
    var states: [[String: Bool]] {
        snapshots.map { $0.mapValues(\.ready) }
    }
}
