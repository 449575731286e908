import Foundation
import KubeClient
import Testing

@testable import KubeTestServer

/// DELETE semantics: graceful pod deletion, preconditions, finalizers, namespaces.
@Suite("Deletion")
struct DeletionTests {
    @Test("an unbound pod is deleted at once: MODIFIED with deletionTimestamp, then DELETED; the answer is the pod")
    func unboundPod() async throws {
        try await withServer { server, client in
            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("p"))
            let watch = try await client.watch("/api/v1/namespaces/default/pods?watch=1&resourceVersion=\(server.currentResourceVersion)")
            let answer = try await client.delete("/api/v1/namespaces/default/pods/p")
            #expect(answer.status == 200)
            let body = try answer.json
            #expect(body["kind"] == "Pod")
            #expect(body["metadata"]?["deletionGracePeriodSeconds"] == 0)
            #expect(try await client.get("/api/v1/namespaces/default/pods/p").status == 404)
            try await watch.waitForEvents(2)
            #expect(watch.types == ["MODIFIED", "DELETED"])
            #expect(watch.events.last?["object"]?.resourceVersionNumber == body.resourceVersionNumber)
        }
    }

    @Test("a bound pod is deleted gracefully: it stays, a longer grace changes nothing, a shorter one shortens, 0 removes it")
    func boundPod() async throws {
        try await withServer { server, client in
            let created = try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("p", node: "n1"))
            let watch = try await client.watch("/api/v1/namespaces/default/pods?watch=1&resourceVersion=\(server.currentResourceVersion)")
            // No body: the pod's terminationGracePeriodSeconds (30) applies.
            let first = try await client.delete("/api/v1/namespaces/default/pods/p").json
            #expect(first["metadata"]?["deletionGracePeriodSeconds"] == 30)
            #expect(first["metadata"]?["generation"] == 2)
            let firstDeadline = try #require(first.metadataString("deletionTimestamp").flatMap(RFC3339.parse))
            let creation = try #require(created.metadataString("creationTimestamp").flatMap(RFC3339.parse))
            #expect(firstDeadline.timeIntervalSince(creation) >= 29 && firstDeadline.timeIntervalSince(creation) <= 40)
            #expect(try await client.get("/api/v1/namespaces/default/pods/p").status == 200)

            let longer = try await client.delete("/api/v1/namespaces/default/pods/p", ["gracePeriodSeconds": 60]).json
            #expect(longer.metadataString("resourceVersion") == first.metadataString("resourceVersion"))

            let mismatch = try await client.delete("/api/v1/namespaces/default/pods/p", ["preconditions": ["resourceVersion": "1"]])
            #expect(mismatch.status == 409)
            #expect(try mismatch.json["details"]?["kind"] == "Pod")

            let shorter = try await client.delete("/api/v1/namespaces/default/pods/p", ["gracePeriodSeconds": 10]).json
            #expect(shorter["metadata"]?["deletionGracePeriodSeconds"] == 10)
            let shorterDeadline = try #require(shorter.metadataString("deletionTimestamp").flatMap(RFC3339.parse))
            #expect(firstDeadline.timeIntervalSince(shorterDeadline) == 20)

            let final = try await client.request("DELETE", "/api/v1/namespaces/default/pods/p?gracePeriodSeconds=0")
            #expect(final.status == 200)
            #expect(try final.json["metadata"]?["deletionGracePeriodSeconds"] == 0)
            #expect(try await client.get("/api/v1/namespaces/default/pods/p").status == 404)
            try await watch.waitForEvents(4)
            #expect(watch.types == ["MODIFIED", "MODIFIED", "MODIFIED", "DELETED"])
        }
    }

    @Test("objects with finalizers get a deletionTimestamp and go when the last finalizer is removed")
    func finalizers() async throws {
        try await withServer { server, client in
            let lease: JSONValue = [
                "metadata": ["name": "l1", "finalizers": ["example.org/keep"]], "spec": ["holderIdentity": "me"],
            ]
            try await client.create("/apis/coordination.k8s.io/v1/namespaces/default/leases", lease)
            let watch = try await client.watch(
                "/apis/coordination.k8s.io/v1/namespaces/default/leases?watch=true&resourceVersion=\(server.currentResourceVersion)")
            let deleting = try await client.delete("/apis/coordination.k8s.io/v1/namespaces/default/leases/l1")
            #expect(deleting.status == 200)
            let marked = try deleting.json
            #expect(marked["kind"] == "Lease")
            #expect(marked.metadataString("deletionTimestamp") != nil)
            #expect(try await client.get("/apis/coordination.k8s.io/v1/namespaces/default/leases/l1").status == 200)
            let again = try await client.delete("/apis/coordination.k8s.io/v1/namespaces/default/leases/l1").json
            #expect(again.metadataString("resourceVersion") == marked.metadataString("resourceVersion"))

            let emptied = try await client.patch("/apis/coordination.k8s.io/v1/namespaces/default/leases/l1",
                ["metadata": ["finalizers": nil]])
            #expect(emptied.status == 200)
            #expect(try await client.get("/apis/coordination.k8s.io/v1/namespaces/default/leases/l1").status == 404)
            try await watch.waitForEvents(2)
            #expect(watch.types == ["MODIFIED", "DELETED"])
        }
    }

    @Test("deleting a node answers a Success Status naming it; deleting a missing object 404")
    func statusAnswers() async throws {
        try await withServer { _, client in
            let node = try await client.create("/api/v1/nodes", Fixtures.node("n1"))
            let answer = try await client.delete("/api/v1/nodes/n1")
            #expect(answer.status == 200)
            #expect(try answer.json == [
                "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success",
                "details": ["name": "n1", "kind": "nodes", "uid": node["metadata"]?["uid"] ?? .null],
            ])
            let again = try await client.delete("/api/v1/nodes/n1")
            #expect(again.status == 404)
            #expect(try again.json["message"] == "nodes \"n1\" not found")
            let badPolicy = try await client.delete("/api/v1/nodes/n2", ["propagationPolicy": "Sometimes"])
            #expect(badPolicy.status == 422)
        }
    }

    @Test("deleting a namespace deletes what is in it; the answer is the Terminating namespace")
    func namespaces() async throws {
        try await withServer { server, client in
            try await client.create("/api/v1/namespaces", Fixtures.namespace("team"))
            try await client.create("/api/v1/namespaces/team/pods", Fixtures.pod("a", node: "n1"))
            try await client.create("/api/v1/namespaces/team/pods", Fixtures.pod("b"))
            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("c"))
            let watch = try await client.watch("/api/v1/pods?watch=1&resourceVersion=\(server.currentResourceVersion)")
            let answer = try await client.delete("/api/v1/namespaces/team")
            #expect(answer.status == 200)
            #expect(try answer.json["status"]?["phase"] == "Terminating")
            #expect(try await client.get("/api/v1/namespaces/team").status == 404)
            let pods = try await client.get("/api/v1/pods").json["items"]?.arrayValue ?? []
            #expect(pods.compactMap { $0.metadataString("name") } == ["c"])
            #expect(try await client.post("/api/v1/namespaces/team/pods", Fixtures.pod("d")).status == 404)
            try await watch.waitForEvents(2)
            #expect(watch.types == ["DELETED", "DELETED"])
            #expect(try await client.delete("/api/v1/namespaces/default").status == 403)
        }
    }

    @Test("DELETE on a collection deletes the selected objects")
    func deleteCollection() async throws {
        try await withServer { _, client in
            for name in ["a", "b", "c"] {
                try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod(name, labels: ["app": name == "c" ? "keep" : "go"]))
            }
            let answer = try await client.request("DELETE", "/api/v1/namespaces/default/pods?labelSelector=app%3Dgo")
            #expect(answer.status == 200)
            #expect(try answer.json["items"]?.arrayValue?.count == 2)
            let left = try await client.get("/api/v1/namespaces/default/pods").json["items"]?.arrayValue ?? []
            #expect(left.compactMap { $0.metadataString("name") } == ["c"])
        }
    }
}
