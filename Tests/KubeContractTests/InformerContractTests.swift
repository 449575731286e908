import Foundation
import KubeClient
import KubeRuntime
import KubeTestServer
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
                try await store.waitUntilSynced()
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

/// Needs the test server's hooks (closing watches on demand), so it runs against the test server
/// only; the Contract suites above cover the same 410 answers against any server.
@Suite struct InformerRelistTests {
    @Test func informerRelistsWhenItsResourceVersionIsCompactedAway() async throws {
        try await ContractEnvironment.with { env in
            guard let server = env.server else { return }
            let store = ObjectStore<Pod>()
            let informer = Informer(
                client: env.client, namespace: env.namespace, labelSelector: LabelSelector(matching: ["app": "a"]),
                store: store, logger: Logger(label: "informer"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await informer.run() }
                try await store.waitUntilSynced()
                #expect(informer.listCount == 1)
                _ = try await env.client.create(modulePod("a1", namespace: env.namespace, node: nil, labels: ["app": "a"]))
                try await eventually { store.get(namespace: env.namespace, name: "a1") != nil }
                // Changes the informer does not select move the server's resourceVersion past the
                // informer's last one; compaction then makes the informer's version unusable.
                for index in 0..<3 {
                    _ = try await env.client.create(modulePod("b\(index)", namespace: env.namespace, node: nil, labels: ["app": "b"]))
                }
                server.compact()
                server.closeWatches()
                try await eventually { informer.listCount == 2 }
                #expect(store.list().compactMap(\.metadata.name) == ["a1"])
                // And it keeps following changes after the relist.
                _ = try await env.client.create(modulePod("a2", namespace: env.namespace, node: nil, labels: ["app": "a"]))
                try await eventually { store.get(namespace: env.namespace, name: "a2") != nil }
                group.cancelAll()
            }
        }
    }
}
