import Foundation
import KubeClient
import KubeRuntime
import Logging
import Synchronization
import Testing

@Suite struct InformerContractTests {
    @Test func informerMirrorsTheServerAndReportsChanges() async throws {
        try await ContractEnvironment.with { env in
            let node = env.nodeName("inf")
            _ = try await env.client.create(modulePod("before", namespace: env.namespace, node: node))
            let seen = Mutex<[String]>([])
            let store = ObjectStore<Pod>(indexers: [ObjectStore<Pod>.nodeNameIndex: ObjectStore<Pod>.byNodeName])
            let informer = Informer(
                client: env.client, namespace: env.namespace,
                labelSelector: LabelSelector(matching: ["virtual-kubelet.koupleless.io/component": "module"]), store: store,
                logger: Logger(label: "informer")
            ) { change in
                let name = change.object.metadata.name ?? ""
                switch change {
                case .added: seen.withLock { $0.append("added \(name)") }
                case .updated: seen.withLock { $0.append("updated \(name)") }
                case .deleted: seen.withLock { $0.append("deleted \(name)") }
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await informer.run() }
                await store.waitUntilSynced()
                #expect(store.list(index: ObjectStore<Pod>.nodeNameIndex, value: node).map(\.metadata.name) == ["before"])

                _ = try await env.client.create(modulePod("after", namespace: env.namespace, node: node))
                _ = try await env.client.patch(
                    Pod.self, namespace: env.namespace, name: "before",
                    patch: .merge(["status": ["phase": "Running"]]), subresource: "status")
                try await env.client.delete(Pod.self, namespace: env.namespace, name: "after", options: DeleteOptions(gracePeriodSeconds: 0))
                // Not a module pod: filtered out by the selector.
                var other = modulePod("other", namespace: env.namespace, node: node)
                other.metadata.labels = ["app": "x"]
                _ = try await env.client.create(other)

                try await eventually { seen.withLock { $0 } == ["added before", "added after", "updated before", "updated after", "deleted after"] }
                #expect(store.get(namespace: env.namespace, name: "before")?.status?.phase == "Running")
                #expect(store.get(namespace: env.namespace, name: "other") == nil)
                group.cancelAll()
            }
        }
    }
}

/// Polls a condition until it holds or the deadline passes.
func eventually(
    timeout: Duration = .seconds(20), _ condition: @Sendable () -> Bool, sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(timeout)", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}
