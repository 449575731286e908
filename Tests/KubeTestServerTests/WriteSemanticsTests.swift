import Foundation
import KubeClient
import Testing

@testable import KubeTestServer

/// Create, update, patch and status semantics over HTTP.
@Suite("Writes")
struct WriteSemanticsTests {
    @Test("requests without the bearer token get 401 with an Unauthorized Status")
    func authentication() async throws {
        try await withServer { _, client in
            for token: String? in [nil, "wrong"] {
                let answer = try await client.request("GET", "/api/v1/namespaces", token: .some(token))
                #expect(answer.status == 401)
                let body = try answer.json
                #expect(body["kind"] == "Status" && body["reason"] == "Unauthorized" && body["code"] == 401)
            }
            #expect(try await client.get("/api/v1/namespaces").status == 200)
        }
    }

    @Test("unknown resources answer 404 and unsupported methods 405, with Status bodies")
    func routing() async throws {
        try await withServer { _, client in
            let unknown = try await client.get("/api/v1/namespaces/default/configmaps")
            #expect(unknown.status == 404)
            #expect(try unknown.json["reason"] == "NotFound")
            #expect(try await client.get("/api/v1/pods/some-pod").status == 404)
            #expect(try await client.get("/api/v1/namespaces/default/pods/p/exec").status == 404)
            let put = try await client.put("/api/v1/namespaces/default/pods", Fixtures.pod("p"))
            #expect(put.status == 405)
            #expect(try put.json["reason"] == "MethodNotAllowed")
            for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                #expect(try await client.get("/api/v1/namespaces/\(name)").status == 200)
            }
        }
    }

    @Test("generateName gives a name of the prefix and five random characters")
    func generateName() async throws {
        try await withServer { _, client in
            var pod = Fixtures.pod("")
            pod["metadata"] = ["generateName": "biz1-"]
            let created = try await client.create("/api/v1/namespaces/default/pods", pod)
            let name = try #require(created.metadataString("name"))
            #expect(name.hasPrefix("biz1-") && name.count == 10)
            #expect(name.dropFirst(5).allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) })
            #expect(created.metadataString("generateName") == "biz1-")
        }
    }

    @Test("creates check the namespace: missing namespace 404, mismatching namespace 400")
    func createNamespaceChecks() async throws {
        try await withServer { _, client in
            let missing = try await client.post("/api/v1/namespaces/nope/pods", Fixtures.pod("p"))
            #expect(missing.status == 404)
            let status = try missing.json
            #expect(status["message"] == "namespaces \"nope\" not found")
            #expect(status["details"] == ["name": "nope", "kind": "namespaces"])
            var pod = Fixtures.pod("p")
            pod["metadata"]?["namespace"] = "kube-system"
            let mismatch = try await client.post("/api/v1/namespaces/default/pods", pod)
            #expect(mismatch.status == 400)
            #expect(try mismatch.json["reason"] == "BadRequest")
            var withVersion = Fixtures.pod("q")
            withVersion["metadata"]?["resourceVersion"] = "5"
            #expect(try await client.post("/api/v1/namespaces/default/pods", withVersion).status == 500)
        }
    }

    @Test("invalid objects answer 422 with one cause per problem")
    func validation() async throws {
        try await withServer { _, client in
            let pod: JSONValue = [
                "metadata": ["name": "ok", "labels": ["bad key!": "x"]],
                "spec": ["containers": [["name": "Main"], ["image": "i"]]],
            ]
            let answer = try await client.post("/api/v1/namespaces/default/pods", pod)
            #expect(answer.status == 422)
            let body = try answer.json
            let fields = (body["details"]?["causes"]?.arrayValue ?? []).compactMap { $0["field"]?.stringValue }
            #expect(fields == ["metadata.labels", "spec.containers[0].name", "spec.containers[0].image", "spec.containers[1].name"])
            #expect(body["details"]?["kind"] == "Pod")
            let node = try await client.post("/api/v1/nodes", Fixtures.node("Bad_Node"))
            #expect(node.status == 422)
            let deployment: JSONValue = [
                "metadata": ["name": "d"],
                "spec": ["selector": ["matchLabels": ["app": "x"]],
                    "template": ["metadata": ["labels": ["app": "y"]], "spec": ["containers": [["name": "c", "image": "i"]]]]],
            ]
            let invalid = try await client.post("/apis/apps/v1/namespaces/default/deployments", deployment)
            #expect(invalid.status == 422)
            #expect(try invalid.json["message"]?.stringValue?.hasPrefix("Deployment.apps \"d\" is invalid: spec.template.metadata.labels") == true)
        }
    }

    @Test("PUT: stale resourceVersion 409, no resourceVersion is unconditional, a no-op keeps the resourceVersion")
    func updates() async throws {
        try await withServer { _, client in
            let created = try await client.create("/api/v1/nodes", Fixtures.node("n1"))
            var stale = created
            stale["metadata"]?["resourceVersion"] = "1"
            let conflict = try await client.put("/api/v1/nodes/n1", stale)
            #expect(conflict.status == 409)
            #expect(try conflict.json["message"]
                == "Operation cannot be fulfilled on nodes \"n1\": the object has been modified; please apply your changes to the latest version and try again")

            let same = try await client.put("/api/v1/nodes/n1", created)
            #expect(same.status == 200)
            #expect(try same.json.metadataString("resourceVersion") == created.metadataString("resourceVersion"))

            var unconditional = created
            unconditional["metadata"]?["resourceVersion"] = nil
            unconditional["metadata"]?["labels"] = ["type": "changed"]
            let updated = try await client.put("/api/v1/nodes/n1", unconditional)
            #expect(updated.status == 200)
            let body = try updated.json
            #expect(body.resourceVersionNumber > created.resourceVersionNumber)
            #expect(body["metadata"]?["labels"] == ["type": "changed"])
            #expect(body.metadataString("uid") == created.metadataString("uid"))
            #expect(body.metadataString("creationTimestamp") == created.metadataString("creationTimestamp"))

            let renamed = try await client.put("/api/v1/nodes/other", created)
            #expect(renamed.status == 400)
            #expect(try renamed.json["message"] == "the name of the object (n1) does not match the name on the URL (other)")
            var missing = Fixtures.node("ghost")
            missing["metadata"]?["resourceVersion"] = "3"
            #expect(try await client.put("/api/v1/nodes/ghost", missing).status == 404)
            var uidChanged = body
            uidChanged["metadata"]?["uid"] = "00000000-0000-0000-0000-000000000000"
            #expect(try await client.put("/api/v1/nodes/n1", uidChanged).status == 409)

            // Events are created by PUT (AllowCreateOnUpdate).
            let event: JSONValue = ["metadata": ["name": "e1"], "involvedObject": ["kind": "Pod", "name": "p"], "reason": "R"]
            #expect(try await client.put("/api/v1/namespaces/default/events/e1", event).status == 201)
        }
    }

    @Test("status subresource: main writes keep the status; status writes keep the spec (pods keep labels, deployments do not)")
    func statusSubresource() async throws {
        try await withServer { _, client in
            let pod = try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("p", node: "n1"))
            let main = try await client.patch("/api/v1/namespaces/default/pods/p", ["status": ["phase": "Running"], "metadata": ["labels": ["x": "1"]]])
            #expect(main.status == 200)
            #expect(try main.json["status"]?["phase"] == "Pending")
            #expect(try main.json["metadata"]?["labels"]?["x"] == "1")

            let status = try await client.patch("/api/v1/namespaces/default/pods/p/status",
                ["status": ["phase": "Running"], "spec": ["activeDeadlineSeconds": 5], "metadata": ["labels": ["y": "2"]]])
            let patched = try status.json
            #expect(patched["status"]?["phase"] == "Running")
            #expect(patched["status"]?["qosClass"] == "BestEffort")
            #expect(patched["spec"]?["activeDeadlineSeconds"] == nil)
            #expect(patched["metadata"]?["labels"]?["y"] == "2")
            #expect(patched["metadata"]?["generation"] == pod["metadata"]?["generation"])

            let deployment = try await client.create("/apis/apps/v1/namespaces/default/deployments", Self.deployment("d"))
            let deploymentStatus = try await client.patch("/apis/apps/v1/namespaces/default/deployments/d/status",
                ["status": ["replicas": 1], "spec": ["replicas": 9], "metadata": ["labels": ["z": "3"]]])
            let afterStatus = try deploymentStatus.json
            #expect(afterStatus["status"]?["replicas"] == 1)
            #expect(afterStatus["spec"]?["replicas"] == 1)
            #expect(afterStatus["metadata"]?["labels"] == deployment["metadata"]?["labels"])
            #expect(afterStatus["metadata"]?["generation"] == 1)
        }
    }

    @Test("pod status IP lists: a podIP/hostIP that differs from the list's first entry wins, as in the v1 conversion")
    func podIPConversion() async throws {
        try await withServer { _, client in
            _ = try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("p", node: "n1"))
            _ = try await client.patch("/api/v1/namespaces/default/pods/p/status",
                ["status": ["podIP": "10.0.0.1", "podIPs": [["ip": "10.0.0.1"]], "hostIP": "10.0.0.1", "hostIPs": [["ip": "10.0.0.1"]]]],
                type: "application/strategic-merge-patch+json")
            let moved = try await client.patch("/api/v1/namespaces/default/pods/p/status",
                ["status": ["podIP": "10.0.0.2", "podIPs": [["ip": "10.0.0.2"]], "hostIP": "10.0.0.2", "hostIPs": [["ip": "10.0.0.2"]]]],
                type: "application/strategic-merge-patch+json")
            let status = try moved.json["status"]
            #expect(status?["podIPs"] == [["ip": "10.0.0.2"]])
            #expect(status?["hostIPs"] == [["ip": "10.0.0.2"]])
        }
    }

    @Test("generation: +1 on spec changes only; pod spec changes beyond images are forbidden")
    func generation() async throws {
        try await withServer { _, client in
            try await client.create("/apis/apps/v1/namespaces/default/deployments", Self.deployment("d"))
            let labels = try await client.patch("/apis/apps/v1/namespaces/default/deployments/d", ["metadata": ["labels": ["a": "b"]]])
            #expect(try labels.json["metadata"]?["generation"] == 1)
            let spec = try await client.patch("/apis/apps/v1/namespaces/default/deployments/d", ["spec": ["replicas": 4]])
            #expect(try spec.json["metadata"]?["generation"] == 2)

            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("p", node: "n1"))
            let image = try await client.patch("/api/v1/namespaces/default/pods/p",
                ["spec": ["containers": [["name": "main", "image": "example.org/app:2.0"]]]],
                type: "application/strategic-merge-patch+json")
            #expect(image.status == 200)
            #expect(try image.json["metadata"]?["generation"] == 2)
            #expect(try image.json["spec"]?["containers"]?.arrayValue?.first?["imagePullPolicy"] == "IfNotPresent")
            let moved = try await client.patch("/api/v1/namespaces/default/pods/p", ["spec": ["nodeName": "n2"]])
            #expect(moved.status == 422)
            let body = try moved.json
            #expect(body["details"]?["causes"]?[0]?["field"] == "spec")
            #expect(body["details"]?["causes"]?[0]?["reason"] == "FieldValueForbidden")
        }
    }

    @Test("strategic merge: keyed lists merge, $patch directives apply, unkeyed lists are replaced")
    func strategicMerge() async throws {
        try await withServer { _, client in
            var deployment = Self.deployment("d")
            deployment["spec"]?["template"]?["spec"]?["containers"] = [
                ["name": "a", "image": "i:1", "env": [["name": "X", "value": "1"], ["name": "Y", "value": "2"]]],
                ["name": "b", "image": "j:1"],
            ]
            try await client.create("/apis/apps/v1/namespaces/default/deployments", deployment)
            let patch: JSONValue = ["spec": ["template": ["spec": ["containers": [
                ["name": "a", "env": [["name": "X", "value": "10"], ["name": "Y", "$patch": "delete"], ["name": "Z", "value": "3"]]],
            ]]]]]
            let answer = try await client.patch("/apis/apps/v1/namespaces/default/deployments/d", patch,
                type: "application/strategic-merge-patch+json")
            #expect(answer.status == 200)
            let containers = try answer.json["spec"]?["template"]?["spec"]?["containers"]?.arrayValue ?? []
            #expect(containers.compactMap { $0["name"]?.stringValue } == ["a", "b"])
            #expect(containers.first?["image"] == "i:1")
            #expect(containers.first?["env"] == [["name": "X", "value": "10"], ["name": "Z", "value": "3"]])

            try await client.create("/api/v1/nodes", Fixtures.node("n1"))
            let conditions: JSONValue = ["status": ["conditions": [
                ["type": "Ready", "status": "False"], ["type": "MemoryPressure", "status": "False"],
            ]]]
            _ = try await client.patch("/api/v1/nodes/n1/status", conditions, type: "application/strategic-merge-patch+json")
            let ready = try await client.patch("/api/v1/nodes/n1/status", ["status": ["conditions": [["type": "Ready", "status": "True"]]]],
                type: "application/strategic-merge-patch+json")
            let merged = try ready.json["status"]?["conditions"]?.arrayValue ?? []
            #expect(merged.map { $0["type"] } == ["Ready", "MemoryPressure"])
            #expect(merged.first?["status"] == "True")
            #expect(merged.first?["lastHeartbeatTime"] == .null)
            let taints = try await client.patch("/api/v1/nodes/n1", ["spec": ["taints": [["key": "k", "effect": "NoSchedule"]]]],
                type: "application/strategic-merge-patch+json")
            #expect(try taints.json["spec"]?["taints"] == [["key": "k", "effect": "NoSchedule"]])
            let finalizers = try await client.patch("/api/v1/nodes/n1", ["metadata": ["finalizers": ["a/b"]]],
                type: "application/strategic-merge-patch+json")
            let more = try await client.patch("/api/v1/nodes/n1", ["metadata": ["finalizers": ["c/d"]]],
                type: "application/strategic-merge-patch+json")
            #expect(try finalizers.json["metadata"]?["finalizers"] == ["a/b"])
            #expect(try more.json["metadata"]?["finalizers"] == ["a/b", "c/d"])
            let replaced = try await client.patch("/api/v1/nodes/n1", ["metadata": ["labels": ["$patch": "replace", "only": "this"]]],
                type: "application/strategic-merge-patch+json")
            #expect(try replaced.json["metadata"]?["labels"] == ["only": "this"])

            // containerStatuses are atomic in the API types: a patch replaces the whole list.
            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("p", node: "n1"))
            let statuses: JSONValue = ["status": ["containerStatuses": [["name": "main", "ready": true], ["name": "side", "ready": true]]]]
            _ = try await client.patch("/api/v1/namespaces/default/pods/p/status", statuses, type: "application/strategic-merge-patch+json")
            let one = try await client.patch("/api/v1/namespaces/default/pods/p/status",
                ["status": ["containerStatuses": [["name": "main", "ready": false]]]], type: "application/strategic-merge-patch+json")
            let list = try one.json["status"]?["containerStatuses"]?.arrayValue ?? []
            #expect(list.count == 1 && list.first?["ready"] == false && list.first?["lastState"] == [:])
        }
    }

    @Test("JSON patch: all operations; a failed test or missing path is 422, a malformed patch 400, other types 415")
    func jsonPatch() async throws {
        try await withServer { _, client in
            try await client.create("/api/v1/nodes", Fixtures.node("n1"))
            let operations: JSONValue = [
                ["op": "test", "path": "/metadata/labels/type", "value": "virtual-kubelet"],
                ["op": "add", "path": "/metadata/labels/a~1b", "value": "1"],
                ["op": "copy", "from": "/metadata/labels/type", "path": "/metadata/labels/copied"],
                ["op": "move", "from": "/metadata/labels/copied", "path": "/metadata/labels/moved"],
                ["op": "replace", "path": "/metadata/labels/type", "value": "x"],
                ["op": "add", "path": "/spec/taints", "value": []],
                ["op": "add", "path": "/spec/taints/-", "value": ["key": "k1", "effect": "NoSchedule"]],
                ["op": "add", "path": "/spec/taints/0", "value": ["key": "k0", "effect": "NoSchedule"]],
                ["op": "remove", "path": "/spec/taints/1"],
            ]
            let answer = try await client.patch("/api/v1/nodes/n1", operations, type: "application/json-patch+json")
            #expect(answer.status == 200)
            let node = try answer.json
            #expect(node["metadata"]?["labels"] == ["type": "x", "a/b": "1", "moved": "virtual-kubelet"])
            #expect(node["spec"]?["taints"] == [["key": "k0", "effect": "NoSchedule"]])

            let failedTest = try await client.patch("/api/v1/nodes/n1", [["op": "test", "path": "/metadata/labels/type", "value": "nope"]],
                type: "application/json-patch+json")
            #expect(failedTest.status == 422)
            let status = try failedTest.json
            #expect(status["reason"] == "Invalid")
            #expect(status["message"] == "the server rejected our request due to an error in our request")
            let missing = try await client.patch("/api/v1/nodes/n1", [["op": "remove", "path": "/metadata/annotations/x"]],
                type: "application/json-patch+json")
            #expect(missing.status == 422)
            let malformed = try await client.patch("/api/v1/nodes/n1", ["op": "add"], type: "application/json-patch+json")
            #expect(malformed.status == 400)
            let unsupported = try await client.patch("/api/v1/nodes/n1", ["metadata": [:]], type: "text/plain")
            #expect(unsupported.status == 415)
            #expect(try await client.get("/api/v1/nodes/n1").json["metadata"]?["labels"]?["type"] == "x")
        }
    }

    @Test("scale subresource: GET, PATCH and PUT of spec.replicas, with conflicts and validation")
    func scale() async throws {
        try await withServer { _, client in
            let created = try await client.create("/apis/apps/v1/namespaces/default/deployments", Self.deployment("d"))
            let scale = try await client.get("/apis/apps/v1/namespaces/default/deployments/d/scale").json
            #expect(scale["kind"] == "Scale" && scale["apiVersion"] == "autoscaling/v1")
            #expect(scale["spec"] == ["replicas": 1])
            #expect(scale["status"] == ["replicas": 0, "selector": "app=d"])
            let patched = try await client.patch("/apis/apps/v1/namespaces/default/deployments/d/scale", ["spec": ["replicas": 5]])
            #expect(try patched.json["spec"]?["replicas"] == 5)
            let deployment = try await client.get("/apis/apps/v1/namespaces/default/deployments/d").json
            #expect(deployment["spec"]?["replicas"] == 5)
            #expect(deployment["metadata"]?["generation"] == 2)
            var stale = scale
            stale["spec"] = ["replicas": 2]
            stale["metadata"]?["resourceVersion"] = created["metadata"]?["resourceVersion"]
            #expect(try await client.put("/apis/apps/v1/namespaces/default/deployments/d/scale", stale).status == 409)
            stale["metadata"]?["resourceVersion"] = deployment["metadata"]?["resourceVersion"]
            #expect(try await client.put("/apis/apps/v1/namespaces/default/deployments/d/scale", stale).status == 200)
            let negative = try await client.patch("/apis/apps/v1/namespaces/default/deployments/d/scale", ["spec": ["replicas": -1]])
            #expect(negative.status == 422)
        }
    }

    @Test("services get a cluster IP and port defaults; DELETE answers the deleted service")
    func services() async throws {
        try await withServer { _, client in
            let service: JSONValue = ["metadata": ["name": "svc"], "spec": ["selector": ["app": "a"], "ports": [["port": 80]]]]
            let created = try await client.create("/api/v1/namespaces/default/services", service)
            let spec = try #require(created["spec"])
            #expect(spec["type"] == "ClusterIP")
            #expect(spec["clusterIP"]?.stringValue?.hasPrefix("10.96.") == true)
            #expect(spec["ports"] == [["port": 80, "protocol": "TCP", "targetPort": 80]])
            let deleted = try await client.delete("/api/v1/namespaces/default/services/svc")
            #expect(deleted.status == 200)
            #expect(try deleted.json["kind"] == "Service")
        }
    }

    static func deployment(_ name: String) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "labels": ["component": "module-deployment"]],
            "spec": [
                "replicas": 1, "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": ["containers": [["name": "c", "image": "example.org/c:1"]]],
                ],
            ],
        ]
    }
}
