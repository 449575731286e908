import Foundation
import KubeClient
@testable import VirtualKubelet

/// A stand-in for Kubernetes' Deployment and ReplicaSet controllers (there are none in the test
/// API server): replaces the pods of one app, labelled `rollout=<old>`, by pods labelled
/// `rollout=<new>`, deciding each step with ``RollingUpdatePlanner`` from a fresh list of the pods,
/// and syncing again on every change the API server reports, as a real controller does.
struct RollingUpdateStandIn: Sendable {
    static let revisionLabel = "rollout"

    let client: KubernetesClient
    let namespace: String
    /// The `app` label shared by every pod of the Deployment.
    let app: String
    let planner: RollingUpdatePlanner
    let oldRevision: String
    let newRevision: String
    /// A new-revision pod named `name` bound to `node` (without the labels this type adds).
    let makePod: @Sendable (_ name: String, _ node: String) -> Pod

    /// Every action taken, in order.
    struct Report: Sendable {
        var actions: [RollingUpdatePlanner.Action] = []
    }

    /// Runs the rollout until it is complete.
    func run() async throws -> Report {
        var report = Report()
        var created = 0
        let selector = LabelSelector([.equals("app", app)])
        while true {
            let list = try await client.list(Pod.self, namespace: namespace, options: ListOptions(labelSelector: selector))
            let old = list.items.filter { $0.metadata.labels?[Self.revisionLabel] == oldRevision }.map(Self.view)
            let new = list.items.filter { $0.metadata.labels?[Self.revisionLabel] == newRevision }.map(Self.view)
            if planner.isComplete(old: old, new: new) { return report }
            for action in planner.plan(old: old, new: new) {
                switch action {
                case .create(let node):
                    created += 1
                    var pod = makePod("\(app)-\(newRevision)-\(created)", node)
                    pod.metadata.labels = (pod.metadata.labels ?? [:]).merging(["app": app, Self.revisionLabel: newRevision]) { $1 }
                    _ = try await client.create(pod, namespace: namespace)
                case .delete(let name):
                    _ = try await client.delete(Pod.self, namespace: namespace, name: name)
                }
                report.actions.append(action)
            }
            // Our own writes are changes after the list too: the next sync sees them.
            try await waitForChange(after: list.metadata.resourceVersion, selector: selector)
        }
    }

    /// Waits for the next change of the app's pods after `version` (or a minute without one).
    private func waitForChange(after version: String?, selector: LabelSelector) async throws {
        let stream = try await client.watch(Pod.self, namespace: namespace,
                                            options: WatchOptions(labelSelector: selector, resourceVersion: version,
                                                                  timeoutSeconds: 60))
        for try await event in stream where event.object != nil { return }
    }

    private static func view(_ pod: Pod) -> RollingUpdatePlanner.PodView {
        RollingUpdatePlanner.PodView(name: pod.metadata.name ?? "", node: pod.spec?.nodeName ?? "",
                                     ready: PodStatusModel.isReady(pod.status),
                                     terminating: pod.metadata.deletionTimestamp != nil,
                                     created: pod.metadata.creationTimestamp?.date ?? .distantPast)
    }
}
