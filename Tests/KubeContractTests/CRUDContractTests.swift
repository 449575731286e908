import Foundation
import KubeClient
import Testing

@Suite struct CRUDContractTests {
    @Test func podCreateGetListUpdateDelete() async throws {
        try await ContractEnvironment.with { env in
            let created = try await env.client.create(modulePod("biz1-a", namespace: env.namespace, node: nil))
            #expect(created.metadata.uid?.isEmpty == false)
            #expect(created.metadata.resourceVersion?.isEmpty == false)
            #expect(created.metadata.creationTimestamp != nil)
            #expect(created.status?.phase == "Pending")
            #expect(created.spec?.restartPolicy == "Always")
            #expect(created.spec?.terminationGracePeriodSeconds == 30)

            let fetched = try await env.client.get(Pod.self, namespace: env.namespace, name: "biz1-a")
            #expect(fetched.metadata.uid == created.metadata.uid)

            let updated = try await env.client.modify(Pod.self, namespace: env.namespace, name: "biz1-a") { pod in
                pod.metadata.labels?["tier"] = "gold"
            }
            #expect(updated.metadata.labels?["tier"] == "gold")
            #expect(updated.metadata.resourceVersion != fetched.metadata.resourceVersion)
            // Server-defaulted fields the typed model does not carry survive the update.
            let raw = try await env.client.getJSON(Pod.descriptor, namespace: env.namespace, name: "biz1-a")
            #expect(raw[path: ["spec", "dnsPolicy"]] == "ClusterFirst")

            // A full PUT with the current resourceVersion succeeds; with a stale one it is a conflict.
            var document = raw
            document.set("silver", at: ["metadata", "labels", "tier"])
            let replaced = try await env.client.replaceJSON(Pod.descriptor, namespace: env.namespace, name: "biz1-a", object: document)
            #expect(replaced[path: ["metadata", "labels", "tier"]] == "silver")
            document.set("bronze", at: ["metadata", "labels", "tier"])
            let stale = await #expect(throws: KubeAPIError.self) {
                _ = try await env.client.replaceJSON(Pod.descriptor, namespace: env.namespace, name: "biz1-a", object: document)
            }
            #expect(stale?.isConflict == true)

            let list = try await env.client.list(Pod.self, namespace: env.namespace)
            #expect(list.items.map(\.metadata.name) == ["biz1-a"])
            #expect(list.metadata.resourceVersion?.isEmpty == false)

            // Not bound to a node: deleted at once.
            try await env.client.delete(Pod.self, namespace: env.namespace, name: "biz1-a")
            let error = await #expect(throws: KubeAPIError.self) {
                _ = try await env.client.get(Pod.self, namespace: env.namespace, name: "biz1-a")
            }
            #expect(error?.isNotFound == true)
            #expect(error?.status.reason == "NotFound")
            #expect(error?.status.details?.name == "biz1-a")
            #expect(error?.status.details?.kind == "pods")
        }
    }

    @Test func createOfAnExistingNameIsAlreadyExists() async throws {
        try await ContractEnvironment.with { env in
            let name = env.nodeName("dup")
            _ = try await env.client.create(Node(metadata: ObjectMeta(name: name)))
            let error = await #expect(throws: KubeAPIError.self) {
                _ = try await env.client.create(Node(metadata: ObjectMeta(name: name)))
            }
            #expect(error?.statusCode == 409)
            #expect(error?.isAlreadyExists == true)
            #expect(error?.status.details?.name == name)
        }
    }

    @Test func invalidPodIsRejectedWithCauses() async throws {
        try await ContractEnvironment.with { env in
            let pod = Pod(metadata: ObjectMeta(name: "no-image", namespace: env.namespace),
                spec: PodSpec(containers: [Container(name: "biz1")]))
            let error = await #expect(throws: KubeAPIError.self) { _ = try await env.client.create(pod) }
            #expect(error?.statusCode == 422)
            #expect(error?.isInvalid == true)
            #expect(error?.status.details?.causes?.contains { $0.field == "spec.containers[0].image" } == true)
        }
    }

    @Test func staleResourceVersionIsAConflict() async throws {
        try await ContractEnvironment.with { env in
            let name = env.nodeName("stale")
            let node = try await env.client.create(Node(metadata: ObjectMeta(name: name, labels: ["a": "1"])))
            var first = node
            first.metadata.labels?["a"] = "2"
            _ = try await env.client.update(first)
            var stale = node
            stale.metadata.labels?["a"] = "3"
            let error = await #expect(throws: KubeAPIError.self) { _ = try await env.client.update(stale) }
            #expect(error?.statusCode == 409)
            #expect(error?.isConflict == true)
            #expect(error?.status.message?.contains("the object has been modified") == true)

            // A merge patch carrying a stale resourceVersion is refused the same way.
            let patchError = await #expect(throws: KubeAPIError.self) {
                _ = try await env.client.patch(
                    Node.self, name: name,
                    patch: .merge(["metadata": ["resourceVersion": .string(node.metadata.resourceVersion ?? ""),
                        "labels": ["a": "4"]]]))
            }
            #expect(patchError?.isConflict == true)
            #expect(try await env.client.get(Node.self, name: name).metadata.labels?["a"] == "2")
        }
    }
}

@Suite struct SelectorContractTests {
    @Test func labelAndFieldSelectorsNarrowLists() async throws {
        try await ContractEnvironment.with { env in
            let nodeA = env.nodeName("sel-a")
            let nodeB = env.nodeName("sel-b")
            _ = try await env.client.create(modulePod("p1", namespace: env.namespace, node: nodeA, labels: ["app": "one"]))
            _ = try await env.client.create(modulePod("p2", namespace: env.namespace, node: nodeA, labels: ["app": "two"]))
            _ = try await env.client.create(modulePod("p3", namespace: env.namespace, node: nodeB, labels: ["app": "one"]))

            let onA = try await env.client.list(
                Pod.self, namespace: env.namespace, options: ListOptions(fieldSelector: .equals("spec.nodeName", nodeA)))
            #expect(Set(onA.items.compactMap(\.metadata.name)) == ["p1", "p2"])

            let appOne = try await env.client.list(
                Pod.self, namespace: env.namespace,
                options: ListOptions(labelSelector: try LabelSelector(parsing: "app=one,virtual-kubelet.koupleless.io/component=module")))
            #expect(Set(appOne.items.compactMap(\.metadata.name)) == ["p1", "p3"])

            let both = try await env.client.list(
                Pod.self, namespace: env.namespace,
                options: ListOptions(labelSelector: try LabelSelector(parsing: "app in (one,two)"),
                    fieldSelector: try FieldSelector(parsing: "spec.nodeName=\(nodeB)")))
            #expect(both.items.compactMap(\.metadata.name) == ["p3"])

            let notOne = try await env.client.list(
                Pod.self, namespace: env.namespace, options: ListOptions(labelSelector: try LabelSelector(parsing: "app!=one")))
            #expect(notOne.items.compactMap(\.metadata.name) == ["p2"])
        }
    }

    @Test func unsupportedFieldSelectorIsABadRequest() async throws {
        try await ContractEnvironment.with { env in
            let error = await #expect(throws: KubeAPIError.self) {
                _ = try await env.client.list(
                    Pod.self, namespace: env.namespace, options: ListOptions(fieldSelector: .equals("spec.image", "x")))
            }
            #expect(error?.statusCode == 400)
            #expect(error?.status.reason == "BadRequest")
        }
    }

    @Test func limitAndContinuePageThroughAList() async throws {
        try await ContractEnvironment.with { env in
            for index in 0..<5 {
                _ = try await env.client.create(modulePod("page-\(index)", namespace: env.namespace, node: nil))
            }
            let first = try await env.client.list(Pod.self, namespace: env.namespace, options: ListOptions(limit: 2))
            #expect(first.items.count == 2)
            #expect(first.metadata.continue?.isEmpty == false)
            let all = try await env.client.listAll(Pod.self, namespace: env.namespace, pageSize: 2)
            #expect(Set(all.items.compactMap(\.metadata.name)) == Set((0..<5).map { "page-\($0)" }))
            #expect(all.items.count == 5)
        }
    }
}
