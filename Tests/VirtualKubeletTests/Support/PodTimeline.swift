import Foundation
import KubeClient
import Synchronization
@testable import VirtualKubelet

/// Records, from a watch on the API server, the `Ready` condition of every pod of a namespace in
/// the order the server committed the changes.
final class PodTimeline: Sendable {
    struct Entry: Sendable {
        var pod: String
        var ready: Bool
        var reason: String?
    }

    private let entries = Mutex<[Entry]>([])

    var all: [Entry] { entries.withLock { $0 } }

    /// Watches from `resourceVersion` until cancelled.
    func record(client: KubernetesClient, namespace: String, from resourceVersion: String) async {
        do {
            let stream = try await client.watch(Pod.self, namespace: namespace,
                                                options: WatchOptions(resourceVersion: resourceVersion, timeoutSeconds: 600))
            for try await event in stream {
                switch event {
                case .added(let pod), .modified(let pod):
                    let entry = Entry(pod: pod.metadata.name ?? "", ready: PodStatusModel.isReady(pod.status),
                                      reason: pod.status?.condition("Ready")?.reason)
                    entries.withLock { $0.append(entry) }
                default:
                    break
                }
            }
        } catch {}
    }

    /// Records the pods of `namespace` from now on while `body` runs; returns what was recorded.
    static func recording(client: KubernetesClient, namespace: String = "default",
                          during body: () async throws -> Void) async throws -> PodTimeline {
        let timeline = PodTimeline()
        let version = try await client.list(Pod.self, namespace: namespace).metadata.resourceVersion ?? ""
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await timeline.record(client: client, namespace: namespace, from: version) }
            try await body()
            group.cancelAll()
        }
        return timeline
    }

    /// The readiness of each pod after each recorded change.
    var states: [[String: Bool]] {
        var current: [String: Bool] = [:]
        return all.map { entry in
            current[entry.pod] = entry.ready
            return current
        }
    }
}
