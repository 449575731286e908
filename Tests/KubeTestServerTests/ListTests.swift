import Foundation
import KubeClient
import Testing

@testable import KubeTestServer

/// List: selectors, paging, resourceVersion semantics.
@Suite("List")
struct ListTests {
    static func names(_ answer: HTTPAnswer) throws -> [String] {
        try (answer.json["items"]?.arrayValue ?? []).compactMap { $0.metadataString("name") }
    }

    @Test("label and field selectors, across namespaces; items carry no kind; unsupported fields are 400")
    func selectors() async throws {
        try await withServer { _, client in
            try await client.create("/api/v1/namespaces", Fixtures.namespace("other"))
            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("a", node: "n1", labels: ["app": "x", "tier": "web"]))
            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("b", node: "n2", labels: ["app": "y"]))
            try await client.create("/api/v1/namespaces/other/pods", Fixtures.pod("c", node: "n1", labels: ["app": "x"]))
            try await client.create("/api/v1/namespaces/other/pods", Fixtures.pod("d", labels: ["app": "z"]))
            _ = try await client.patch("/api/v1/namespaces/other/pods/c/status", ["status": ["phase": "Running", "podIP": "10.0.0.9"]])

            let all = try await client.get("/api/v1/pods")
            #expect(try Self.names(all) == ["a", "b", "c", "d"])
            let list = try all.json
            #expect(list["kind"] == "PodList" && list["apiVersion"] == "v1")
            #expect(list["items"]?[0]?["kind"] == nil && list["items"]?[0]?["apiVersion"] == nil)
            #expect(list["metadata"]?["resourceVersion"]?.stringValue.flatMap { UInt64($0) } != nil)

            let cases: [(String, [String])] = [
                ("/api/v1/pods?labelSelector=app%3Dx", ["a", "c"]),
                ("/api/v1/pods?labelSelector=app!%3Dx", ["b", "d"]),
                ("/api/v1/pods?labelSelector=app%20in%20(y,z)", ["b", "d"]),
                ("/api/v1/pods?labelSelector=app+notin+(y,z)", ["a", "c"]),
                ("/api/v1/pods?labelSelector=tier", ["a"]),
                ("/api/v1/pods?labelSelector=!tier", ["b", "c", "d"]),
                ("/api/v1/pods?fieldSelector=spec.nodeName%3Dn1", ["a", "c"]),
                ("/api/v1/pods?fieldSelector=spec.nodeName%3D", ["d"]),
                ("/api/v1/pods?fieldSelector=spec.nodeName!%3Dn1", ["b", "d"]),
                ("/api/v1/pods?fieldSelector=metadata.namespace%3Dother", ["c", "d"]),
                ("/api/v1/pods?fieldSelector=status.phase%3DRunning", ["c"]),
                ("/api/v1/pods?fieldSelector=status.podIP%3D10.0.0.9", ["c"]),
                ("/api/v1/namespaces/other/pods?fieldSelector=metadata.name%3Dd", ["d"]),
                ("/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dn1&labelSelector=app%3Dx", ["a"]),
            ]
            for (path, expected) in cases {
                let answer = try await client.get(path)
                #expect(answer.status == 200, "\(path)")
                #expect(try Self.names(answer) == expected, "\(path)")
            }
            let badField = try await client.get("/api/v1/nodes?fieldSelector=spec.nodeName%3Dx")
            #expect(badField.status == 400)
            #expect(try badField.json["message"] == "field label not supported: spec.nodeName")
            #expect(try await client.get("/api/v1/pods?labelSelector=app%20in%20(x").status == 400)
        }
    }

    @Test("limit and continue page through a consistent snapshot")
    func paging() async throws {
        try await withServer { _, client in
            for index in 0..<7 { try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("p\(index)")) }
            let first = try await client.get("/api/v1/namespaces/default/pods?limit=3").json
            #expect(first["items"]?.arrayValue?.compactMap { $0.metadataString("name") } == ["p0", "p1", "p2"])
            #expect(first["metadata"]?["remainingItemCount"] == 4)
            let listVersion = try #require(first["metadata"]?["resourceVersion"]?.stringValue)
            let token = try #require(first["metadata"]?["continue"]?.stringValue)

            // Changes after the first page do not show in later pages.
            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("p5a"))
            _ = try await client.delete("/api/v1/namespaces/default/pods/p4")

            let second = try await client.get("/api/v1/namespaces/default/pods?limit=3&continue=\(token)").json
            #expect(second["items"]?.arrayValue?.compactMap { $0.metadataString("name") } == ["p3", "p4", "p5"])
            #expect(second["metadata"]?["resourceVersion"]?.stringValue == listVersion)
            let token2 = try #require(second["metadata"]?["continue"]?.stringValue)
            let third = try await client.get("/api/v1/namespaces/default/pods?limit=3&continue=\(token2)").json
            #expect(third["items"]?.arrayValue?.compactMap { $0.metadataString("name") } == ["p6"])
            #expect(third["metadata"]?["continue"] == nil)

            #expect(try await client.get("/api/v1/namespaces/default/pods?limit=3&continue=garbage").status == 400)
            let fresh = try await client.get("/api/v1/namespaces/default/pods").json
            #expect(fresh["items"]?.arrayValue?.compactMap { $0.metadataString("name") } == ["p0", "p1", "p2", "p3", "p5", "p5a", "p6"])
        }
    }

    @Test("resourceVersionMatch=Exact serves the state at that resourceVersion until it is compacted")
    func exactResourceVersion() async throws {
        try await withServer { server, client in
            try await client.create("/api/v1/nodes", Fixtures.node("n1"))
            let before = server.currentResourceVersion
            _ = try await client.patch("/api/v1/nodes/n1", ["metadata": ["labels": ["type": "changed"]]])
            try await client.create("/api/v1/nodes", Fixtures.node("n2"))
            let old = try await client.get("/api/v1/nodes?resourceVersion=\(before)&resourceVersionMatch=Exact").json
            #expect(old["metadata"]?["resourceVersion"]?.stringValue == String(before))
            let items = old["items"]?.arrayValue ?? []
            #expect(items.compactMap { $0.metadataString("name") } == ["n1"])
            #expect(items.first?["metadata"]?["labels"] == ["type": "virtual-kubelet"])
            let current = try await client.get("/api/v1/nodes?resourceVersion=\(before)&resourceVersionMatch=NotOlderThan").json
            #expect(current["items"]?.arrayValue?.count == 2)
            #expect(try await client.get("/api/v1/nodes?resourceVersion=\(before + 100)&resourceVersionMatch=Exact").status == 504)
            server.compact()
            let expired = try await client.get("/api/v1/nodes?resourceVersion=\(before)&resourceVersionMatch=Exact")
            #expect(expired.status == 410)
            #expect(try expired.json["reason"] == "Expired")
        }
    }
}
