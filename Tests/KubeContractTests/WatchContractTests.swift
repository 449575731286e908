import Foundation
import KubeClient
import Testing

@Suite struct WatchContractTests {
    @Test func watchDeliversChangesInOrderAndResumesFromAVersion() async throws {
        try await ContractEnvironment.with { env in
            let start = try await env.client.list(Pod.self, namespace: env.namespace)
            let stream = try await env.client.watch(
                Pod.self, namespace: env.namespace,
                options: WatchOptions(resourceVersion: start.metadata.resourceVersion, timeoutSeconds: 60))
            _ = try await env.client.create(modulePod("w1", namespace: env.namespace, node: nil))
            let second = try await env.client.create(modulePod("w2", namespace: env.namespace, node: nil))
            _ = try await env.client.patch(
                Pod.self, namespace: env.namespace, name: "w1", patch: .merge(["metadata": ["labels": ["x": "y"]]]))
            try await env.client.delete(Pod.self, namespace: env.namespace, name: "w2")

            // Deleting a pod sets its deletionTimestamp (MODIFIED) before removing it (DELETED), even
            // with no grace period, as kube-apiserver does.
            let events = try await collect(stream, count: 5)
            #expect(eventSummary(events) == ["ADDED w1", "ADDED w2", "MODIFIED w1", "MODIFIED w2", "DELETED w2"])
            let versions = events.compactMap { $0.resourceVersion.flatMap { UInt64($0) } }
            // resourceVersions are opaque, but a single server hands them out increasing.
            #expect(versions == versions.sorted())

            // Resuming after the second event replays exactly what followed it.
            let resumed = try await env.client.watch(
                Pod.self, namespace: env.namespace,
                options: WatchOptions(resourceVersion: second.metadata.resourceVersion, timeoutSeconds: 60))
            let replayed = try await collect(resumed, count: 3)
            #expect(eventSummary(replayed) == ["MODIFIED w1", "MODIFIED w2", "DELETED w2"])
        }
    }

    @Test func watchWithoutAVersionStartsWithTheCurrentObjects() async throws {
        try await ContractEnvironment.with { env in
            _ = try await env.client.create(modulePod("existing", namespace: env.namespace, node: nil))
            let stream = try await env.client.watch(Pod.self, namespace: env.namespace, options: WatchOptions(timeoutSeconds: 60))
            _ = try await env.client.create(modulePod("later", namespace: env.namespace, node: nil))
            let events = try await collect(stream, count: 2)
            #expect(eventSummary(events) == ["ADDED existing", "ADDED later"])
        }
    }

    @Test func watchFilteredBySelectorSeesObjectsLeaveAndEnter() async throws {
        try await ContractEnvironment.with { env in
            _ = try await env.client.create(modulePod("sel", namespace: env.namespace, node: nil, labels: ["app": "a"]))
            let start = try await env.client.list(Pod.self, namespace: env.namespace)
            let stream = try await env.client.watch(
                Pod.self, namespace: env.namespace,
                options: WatchOptions(labelSelector: LabelSelector(matching: ["app": "a"]),
                    resourceVersion: start.metadata.resourceVersion, timeoutSeconds: 60))
            _ = try await env.client.patch(
                Pod.self, namespace: env.namespace, name: "sel", patch: .merge(["metadata": ["labels": ["app": "b"]]]))
            _ = try await env.client.patch(
                Pod.self, namespace: env.namespace, name: "sel", patch: .merge(["metadata": ["labels": ["app": "a"]]]))
            let events = try await collect(stream, count: 2)
            #expect(eventSummary(events) == ["DELETED sel", "ADDED sel"])
        }
    }

    @Test func expiredResourceVersionIsGoneForListAndWatch() async throws {
        try await ContractEnvironment.with { env in
            let old = try await env.client.create(modulePod("old", namespace: env.namespace, node: nil))
            for index in 0..<3 {
                _ = try await env.client.patch(
                    Pod.self, namespace: env.namespace, name: "old",
                    patch: .merge(["metadata": ["labels": ["n": .string("\(index)")]]]))
            }
            env.compactHistory()
            // On a real server "1" is long compacted; on the test server everything before now is.
            let expired = env.isRealServer ? "1" : (old.metadata.resourceVersion ?? "1")

            let listError = await #expect(throws: KubeAPIError.self) {
                _ = try await env.client.list(
                    Pod.self, namespace: env.namespace,
                    options: ListOptions(resourceVersion: expired, resourceVersionMatch: "Exact"))
            }
            #expect(listError?.statusCode == 410)
            #expect(listError?.isGone == true)

            // A watch from a compacted version is accepted, then ends with an ERROR event: 410 Expired.
            // (Recorded from kube-apiserver v1.36: a watch from "1" may instead replay the current
            // objects as ADDED events — see ../shared/k8s-golden/watch-expired-resourceversion-410.json —
            // so against a real server either answer is accepted.)
            let stream = try await env.client.watch(
                Pod.self, namespace: env.namespace, options: WatchOptions(resourceVersion: expired, timeoutSeconds: 5))
            var replayed: [String] = []
            var watchError: KubeAPIError?
            do {
                for try await event in stream {
                    if case .added(let pod) = event { replayed.append(pod.metadata.name ?? "") }
                    if env.isRealServer, replayed == ["old"] { break }
                }
            } catch let error as KubeAPIError {
                watchError = error
            }
            if let watchError {
                #expect(watchError.isGone)
                #expect(watchError.status.code == 410)
            } else {
                #expect(env.isRealServer, "the test server must answer an expired watch with ERROR 410")
                #expect(replayed == ["old"])
            }
        }
    }
}
