import Foundation
import KubeClient
import Testing

@testable import KubeTestServer

/// Replays the HTTP exchanges recorded from a real kube-apiserver v1.36 (`shared/k8s-golden`) in
/// the order they were recorded and compares every answer by shape (see `GoldenComparison`).
@Suite("Golden replay against kube-apiserver v1.36 recordings")
struct GoldenReplayTests {
    /// Replays one recorded request and compares the answer; returns our answer's body.
    final class Replayer {
        let client: TestClient
        /// Golden uids mapped to ours, substituted into later request bodies (delete preconditions).
        var uids: [String: String] = [:]
        var replayed: [String] = []

        init(client: TestClient) { self.client = client }

        @discardableResult
        func replay(_ file: String, path overridePath: String? = nil, sourceLocation: SourceLocation = #_sourceLocation)
            async throws -> JSONValue
        {
            let golden = try Golden.load(file)
            let request = try #require(golden["request"])
            let response = try #require(golden["response"])
            let method = try #require(request["method"]?.stringValue)
            let path = try overridePath ?? #require(request["path"]?.stringValue)
            var body = request["body"]
            if body?.isNull == true { body = nil }
            body = body.map(substituteUIDs)
            let answer = try await client.request(method, path, body: body,
                contentType: request["contentType"]?.stringValue ?? "application/json")
            #expect(answer.status == Int(response["status"]?.intValue ?? 0), "\(file): status \(answer.status): \(answer.text)",
                sourceLocation: sourceLocation)
            #expect(answer.headers["content-type"]?.hasPrefix("application/json") == true, "\(file): content type",
                sourceLocation: sourceLocation)
            let actual = try answer.json
            if let expected = response["body"] {
                let differences = GoldenComparison.differences(expected: expected, actual: actual)
                #expect(differences.isEmpty, "\(file): \(differences.joined(separator: "\n"))", sourceLocation: sourceLocation)
                if let goldenUID = expected.metadataString("uid"), let ourUID = actual.metadataString("uid") {
                    uids[goldenUID] = ourUID
                }
            }
            replayed.append(file)
            return actual
        }

        func substituteUIDs(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let text): return .string(uids[text] ?? text)
            case .array(let elements): return .array(elements.map(substituteUIDs))
            case .object(let members): return .object(members.mapValues(substituteUIDs))
            default: return value
            }
        }
    }

    @Test("the recorded node, lease, pod, event and deployment exchanges answer the same way")
    func recordedLifecycle() async throws {
        try await withServer { server, client in
            let replayer = Replayer(client: client)
            try await replayer.replay("namespace-create.json")
            try await replayer.replay("node-create.json")
            try await replayer.replay("node-get.json")
            try await replayer.replay("node-status-strategic-patch.json")
            try await replayer.replay("node-status-merge-patch-with-spec-and-labels.json")
            try await replayer.replay("node-create-conflict-409.json")
            try await replayer.replay("node-update-stale-resourceversion-409.json")
            try await replayer.replay("lease-create.json")
            try await replayer.replay("lease-renew-merge-patch.json")
            try await replayer.replay("pod-create-invalid-422.json")

            let beforePod = server.currentResourceVersion
            let created = try await replayer.replay("pod-create-bound.json")
            try await replayer.replay("pod-list-fieldselector-nodename.json")
            let listed = try await replayer.replay("pod-list-labelselector.json")
            let listVersion = try #require(listed["metadata"]?["resourceVersion"]?.stringValue)

            // The recorded watch was opened at the label-selected list's resourceVersion.
            let lifecycleGolden = try Golden.load("pod-watch-lifecycle.json")
            let lifecyclePath = try #require(lifecycleGolden["request"]?["path"]?.stringValue)
                .replacingOccurrences(of: "resourceVersion=329", with: "resourceVersion=\(listVersion)")
            let watch = try await client.watch(lifecyclePath)
            #expect(watch.status == 200)

            try await replayer.replay("pod-list-limit.json")
            try await replayer.replay("pod-list-bad-fieldselector-400.json")
            try await replayer.replay("pod-update-stale-409.json")
            let statusPatched = try await replayer.replay("pod-status-strategic-patch.json")
            let specIgnored = try await replayer.replay("pod-status-merge-patch-spec-ignored.json")
            // A write that changes nothing is not a write: same resourceVersion, no event.
            #expect(specIgnored.metadataString("resourceVersion") == statusPatched.metadataString("resourceVersion"))
            try await replayer.replay("pod-json-patch-label.json")
            try await replayer.replay("pod-delete-graceful-bound.json")
            try await replayer.replay("pod-get-terminating.json")
            try await replayer.replay("pod-delete-uid-precondition-mismatch-409.json")
            let final = try await replayer.replay("pod-delete-grace0-final.json")
            try await replayer.replay("pod-get-after-delete-404.json")
            #expect(final.metadataString("uid") == created.metadataString("uid"))

            // The watch saw what the real one saw, event by event.
            let goldenLines = try #require(lifecycleGolden["response"]?["eventLines"]?.arrayValue)
            let goldenEvents = try goldenLines.map { try JSONCodec.parse(Array(($0.stringValue ?? "").utf8)) }
            let events = try await watch.waitForEvents(goldenEvents.count)
            #expect(watch.types == goldenEvents.compactMap { $0["type"]?.stringValue })
            for (ours, theirs) in zip(events, goldenEvents) {
                #expect(ours["type"] == theirs["type"])
                let differences = GoldenComparison.differences(expected: theirs["object"] ?? .null, actual: ours["object"] ?? .null)
                #expect(differences.isEmpty, "watch event: \(differences.joined(separator: "\n"))")
            }
            let versions = events.map { $0["object"]?.resourceVersionNumber ?? 0 }
            #expect(versions == versions.sorted() && Set(versions).count == versions.count)
            #expect(versions.last == final.resourceVersionNumber)
            watch.close()

            // A watch from before the pod replays its whole life, like pod-watch-from-old-resourceversion-replays.
            let replayGolden = try Golden.load("pod-watch-from-old-resourceversion-replays.json")
            let replayLines = try #require(replayGolden["response"]?["eventLines"]?.arrayValue)
            let replayTypes = try replayLines.map { try JSONCodec.parse(Array(($0.stringValue ?? "").utf8)) }
                .filter { $0["object"]?.metadataString("resourceVersion").flatMap { UInt64($0) } ?? 0 >= 328 }
                .compactMap { $0["type"]?.stringValue }
            let replay = try await client.watch("/api/v1/namespaces/golden/pods?watch=1&resourceVersion=\(beforePod)&timeoutSeconds=1")
            try await replay.waitUntilClosed()
            #expect(replay.types == replayTypes)
            #expect(replay.types == ["ADDED", "MODIFIED", "MODIFIED", "MODIFIED", "MODIFIED", "DELETED"])

            try await replayer.replay("event-create-core-v1.json")
            try await replayer.replay("deployment-create.json")
            try await replayer.replay("deployment-replicas-merge-patch.json")
            try await replayer.replay("deployment-scale-get.json")
            try await replayer.replay("lease-delete.json")
            try await replayer.replay("node-delete.json")
            try await replayer.replay("node-get-404.json")
            #expect(replayer.replayed.count == 31)
        }
    }

    @Test("a list at a compacted resourceVersion answers 410 Expired like list-expired-resourceversion-exact-410")
    func listExpired() async throws {
        try await withServer { server, client in
            try await client.create("/api/v1/namespaces", Fixtures.namespace("g410"))
            try await client.create("/api/v1/namespaces/g410/pods", Fixtures.pod("p1"))
            server.compact()
            let golden = try Golden.load("list-expired-resourceversion-exact-410.json")
            let answer = try await client.get("/api/v1/namespaces/g410/pods?resourceVersion=1&resourceVersionMatch=Exact")
            #expect(answer.status == 410)
            let expected = try #require(golden["response"]?["body"])
            #expect(try answer.json == expected)
        }
    }

    @Test("a watch from a compacted resourceVersion gets one ERROR event with a 410 Expired Status")
    func watchExpired() async throws {
        try await withServer { server, client in
            try await client.create("/api/v1/namespaces", Fixtures.namespace("g410"))
            try await client.create("/api/v1/namespaces/g410/pods", Fixtures.pod("p1"))
            server.compact()
            let watch = try await client.watch("/api/v1/namespaces/g410/pods?watch=1&resourceVersion=1")
            #expect(watch.status == 200)
            try await watch.waitUntilClosed()
            let events = watch.events
            try #require(events.count == 1)
            #expect(events[0]["type"] == "ERROR")
            let status = try #require(events[0]["object"])
            #expect(status["kind"] == "Status")
            #expect(status["apiVersion"] == "v1")
            #expect(status["status"] == "Failure")
            #expect(status["code"] == 410)
            #expect(status["reason"] == "Expired")
            #expect(status["message"]?.stringValue?.hasPrefix("too old resource version: 1 (") == true)
        }
    }
}
