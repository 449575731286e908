import Foundation
import KubeClient
import Testing

@Suite struct SubresourceContractTests {
    @Test func podStatusWritesIgnoreSpecAndMainWritesIgnoreStatus() async throws {
        try await ContractEnvironment.with { env in
            let node = env.nodeName("status")
            _ = try await env.client.create(modulePod("st", namespace: env.namespace, node: node))
            let patched = try await env.client.patch(
                Pod.self, namespace: env.namespace, name: "st",
                patch: .merge([
                    "spec": ["activeDeadlineSeconds": 5],
                    "status": ["phase": "Running", "podIP": "10.0.0.7", "hostIP": "10.0.0.7"],
                ]), subresource: "status")
            #expect(patched.status?.phase == "Running")
            #expect(patched.status?.podIP == "10.0.0.7")
            #expect(patched.spec?.activeDeadlineSeconds == nil)

            // Status sent to the main resource is dropped; the spec change there is kept.
            var main = try await env.client.getJSON(Pod.descriptor, namespace: env.namespace, name: "st")
            main.set("Failed", at: ["status", "phase"])
            main.set("yes", at: ["metadata", "labels", "seen"])
            let updated = try await env.client.replaceJSON(Pod.descriptor, namespace: env.namespace, name: "st", object: main)
            #expect(updated[path: ["status", "phase"]] == "Running")
            #expect(updated[path: ["metadata", "labels", "seen"]] == "yes")
        }
    }

    /// A strategic merge by `ip` would put a new IP after the old one; the v1 conversion keeps the
    /// single field authoritative, and `$patch: replace` (what the controller sends) replaces.
    @Test func podIPListsFollowPodIPAndCanBeReplaced() async throws {
        try await ContractEnvironment.with { env in
            _ = try await env.client.create(modulePod("ips", namespace: env.namespace, node: env.nodeName("ips")))
            func write(_ ip: String, replace: Bool) async throws -> Pod {
                var list: [JSONValue] = [["ip": .string(ip)]]
                if replace { list.append(["$patch": "replace"]) }
                return try await env.client.patch(
                    Pod.self, namespace: env.namespace, name: "ips",
                    patch: .strategicMerge(["status": ["podIP": .string(ip), "podIPs": .array(list)]]), subresource: "status")
            }
            _ = try await write("10.0.0.1", replace: false)
            #expect(try await write("10.0.0.2", replace: false).status?.podIPs == [PodIP(ip: "10.0.0.2")])
            #expect(try await write("10.0.0.3", replace: true).status?.podIPs == [PodIP(ip: "10.0.0.3")])
        }
    }

    @Test func nodeStatusWritesKeepLabelsButIgnoreSpec() async throws {
        try await ContractEnvironment.with { env in
            let name = env.nodeName("nstatus")
            _ = try await env.client.create(Node(metadata: ObjectMeta(name: name)))
            let patched = try await env.client.patch(
                Node.self, name: name,
                patch: .merge([
                    "metadata": ["labels": ["base.koupleless.io/name": "base"]],
                    "spec": ["unschedulable": true],
                    "status": ["conditions": [["type": "Ready", "status": "True"]]],
                ]), subresource: "status")
            #expect(patched.metadata.labels?["base.koupleless.io/name"] == "base")
            #expect(patched.spec?.unschedulable == nil)
            #expect(patched.status?.condition("Ready")?.status == "True")

            var main = patched
            main.status?.conditions = [NodeCondition(type: "Ready", status: "False")]
            let updated = try await env.client.update(main)
            #expect(updated.status?.condition("Ready")?.status == "True")
        }
    }
}

@Suite struct PatchContractTests {
    @Test func strategicMergeMergesListsByKey() async throws {
        try await ContractEnvironment.with { env in
            var pod = modulePod("smp", namespace: env.namespace, node: env.nodeName("smp"))
            pod.spec?.containers.append(
                Container(name: "biz2", image: "https://example.org/biz2.jar", env: [EnvVar(name: "BIZ_VERSION", value: "1")]))
            _ = try await env.client.create(pod)
            _ = try await env.client.patch(
                Pod.self, namespace: env.namespace, name: "smp",
                patch: .strategicMerge([
                    "status": ["conditions": [["type": "Ready", "status": "False"], ["type": "ContainersReady", "status": "False"]]]
                ]), subresource: "status")
            // Strategic merge: one condition changes, the other stays; one container changes, the other stays.
            let status = try await env.client.patch(
                Pod.self, namespace: env.namespace, name: "smp",
                patch: .strategicMerge(["status": ["conditions": [["type": "Ready", "status": "True"]]]]), subresource: "status")
            #expect(status.status?.condition("Ready")?.status == "True")
            #expect(status.status?.condition("ContainersReady")?.status == "False")
            let spec = try await env.client.patch(
                Pod.self, namespace: env.namespace, name: "smp",
                patch: .strategicMerge(["spec": ["containers": [["name": "biz2", "image": "https://example.org/biz2-v2.jar"]]]]))
            #expect(spec.spec?.containers.map(\.name) == ["biz1", "biz2"])
            #expect(spec.spec?.containers.first { $0.name == "biz2" }?.image == "https://example.org/biz2-v2.jar")
            #expect(spec.spec?.containers.first { $0.name == "biz1" }?.image == "https://example.org/biz1-0.0.1-ark-biz.jar")
        }
    }

    @Test func mergePatchReplacesListsAndDeletesWithNull() async throws {
        try await ContractEnvironment.with { env in
            let name = env.nodeName("merge")
            _ = try await env.client.create(Node(metadata: ObjectMeta(name: name, labels: ["a": "1", "b": "2"])))
            let patched = try await env.client.patch(
                Node.self, name: name, patch: .merge(["metadata": ["labels": ["a": nil, "c": "3"]]]))
            #expect(patched.metadata.labels == ["b": "2", "c": "3"])
        }
    }

    @Test func jsonPatchAppliesOperationsAndFailsOnATest() async throws {
        try await ContractEnvironment.with { env in
            _ = try await env.client.create(modulePod("jp", namespace: env.namespace, node: nil, labels: ["app": "x"]))
            let key = JSONPatchOperation.escape("example.org/tier")
            let patched = try await env.client.patch(
                Pod.self, namespace: env.namespace, name: "jp",
                patch: .json([.test("/metadata/labels/app", "x"), .add("/metadata/labels/\(key)", "gold"),
                    .remove("/metadata/labels/app")]))
            #expect(patched.metadata.labels?["example.org/tier"] == "gold")
            #expect(patched.metadata.labels?["app"] == nil)
            let error = await #expect(throws: KubeAPIError.self) {
                _ = try await env.client.patch(
                    Pod.self, namespace: env.namespace, name: "jp",
                    patch: .json([.test("/metadata/labels/\(key)", "silver"), .remove("/metadata/labels/\(key)")]))
            }
            #expect(error.map { $0.statusCode == 422 || $0.statusCode == 500 } == true)
            #expect(try await env.client.get(Pod.self, namespace: env.namespace, name: "jp").metadata.labels?["example.org/tier"] == "gold")
        }
    }
}

@Suite struct GracefulDeletionContractTests {
    @Test func boundPodStaysTerminatingUntilDeletedWithGraceZero() async throws {
        try await ContractEnvironment.with { env in
            let node = env.nodeName("grace")
            let created = try await env.client.create(modulePod("bound", namespace: env.namespace, node: node))
            let stream = try await env.client.watch(
                Pod.self, namespace: env.namespace,
                options: WatchOptions(resourceVersion: created.metadata.resourceVersion, timeoutSeconds: 60))

            let answer = try await env.client.delete(Pod.self, namespace: env.namespace, name: "bound")
            #expect(answer?.metadata.deletionTimestamp != nil)
            #expect(answer?.metadata.deletionGracePeriodSeconds == 30)
            let terminating = try await env.client.get(Pod.self, namespace: env.namespace, name: "bound")
            #expect(terminating.metadata.deletionTimestamp != nil)

            // A UID precondition that does not match is refused.
            let mismatch = await #expect(throws: KubeAPIError.self) {
                try await env.client.delete(
                    Pod.self, namespace: env.namespace, name: "bound",
                    options: DeleteOptions(gracePeriodSeconds: 0, preconditions: .init(uid: UUID().uuidString.lowercased())))
            }
            #expect(mismatch?.statusCode == 409)

            try await env.client.delete(
                Pod.self, namespace: env.namespace, name: "bound",
                options: DeleteOptions(gracePeriodSeconds: 0, preconditions: .init(uid: created.metadata.uid)))
            let gone = await #expect(throws: KubeAPIError.self) {
                _ = try await env.client.get(Pod.self, namespace: env.namespace, name: "bound")
            }
            #expect(gone?.isNotFound == true)

            // As kube-apiserver: the graceful delete, the grace-0 delete's own update, then the removal.
            let events = try await collect(stream, count: 3)
            #expect(eventSummary(events) == ["MODIFIED bound", "MODIFIED bound", "DELETED bound"])
            #expect(events.first?.object?.metadata.deletionGracePeriodSeconds == 30)
            #expect(events.dropFirst().first?.object?.metadata.deletionGracePeriodSeconds == 0)
        }
    }
}
