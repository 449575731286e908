import Foundation
import KubeClient
import Testing

@testable import KubeTestServer

/// Watch: starting points, selectors, bookmarks, endings, ordering.
@Suite("Watch")
struct WatchTests {
    static func names(_ events: [JSONValue]) -> [String] {
        events.compactMap { $0["object"]?.metadataString("name") }
    }

    @Test("resourceVersion 0 (or none) starts with a synthetic ADDED per existing object, then live events")
    func initialState() async throws {
        try await withServer { _, client in
            try await client.create("/api/v1/nodes", Fixtures.node("b"))
            try await client.create("/api/v1/nodes", Fixtures.node("a"))
            for path in ["/api/v1/nodes?watch=1&resourceVersion=0", "/api/v1/watch/nodes"] {
                let watch = try await client.watch(path)
                let initial = try await watch.waitForEvents(2)
                #expect(watch.types == ["ADDED", "ADDED"])
                #expect(Self.names(initial) == ["a", "b"])
                watch.close()
            }
            let watch = try await client.watch("/api/v1/nodes?watch=true")
            try await watch.waitForEvents(2)
            try await client.create("/api/v1/nodes", Fixtures.node("c"))
            _ = try await client.patch("/api/v1/nodes/a", ["metadata": ["labels": ["x": "y"]]])
            let events = try await watch.waitForEvents(4)
            #expect(watch.types == ["ADDED", "ADDED", "ADDED", "MODIFIED"])
            #expect(Self.names(events) == ["a", "b", "c", "a"])
            #expect(events[3]["object"]?["kind"] == "Node" && events[3]["object"]?["apiVersion"] == "v1")
        }
    }

    @Test("a watch from a resourceVersion replays exactly the later changes of its kind and namespace")
    func replayFromResourceVersion() async throws {
        try await withServer { server, client in
            try await client.create("/api/v1/namespaces", Fixtures.namespace("other"))
            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("before"))
            let start = server.currentResourceVersion
            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("p1"))
            try await client.create("/api/v1/namespaces/other/pods", Fixtures.pod("elsewhere"))
            try await client.create("/api/v1/nodes", Fixtures.node("n1"))
            _ = try await client.patch("/api/v1/namespaces/default/pods/p1", ["metadata": ["labels": ["v": "2"]]])
            _ = try await client.delete("/api/v1/namespaces/default/pods/before")
            let watch = try await client.watch("/api/v1/namespaces/default/pods?watch=1&resourceVersion=\(start)&timeoutSeconds=1")
            try await watch.waitUntilClosed()
            #expect(watch.types == ["ADDED", "MODIFIED", "MODIFIED", "DELETED"])
            #expect(Self.names(watch.events) == ["p1", "p1", "before", "before"])
            let versions = watch.events.map { $0["object"]?.resourceVersionNumber ?? 0 }
            #expect(versions == versions.sorted() && versions.allSatisfy { $0 > start })
        }
    }

    @Test("objects that start matching a selector arrive as ADDED, ones that stop matching as DELETED")
    func selectorTransitions() async throws {
        try await withServer { _, client in
            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("p", labels: ["app": "other"]))
            let watch = try await client.watch("/api/v1/namespaces/default/pods?watch=1&labelSelector=app%3Dx")
            let path = "/api/v1/namespaces/default/pods/p"
            _ = try await client.patch(path, ["metadata": ["labels": ["app": "x"]]])
            _ = try await client.patch(path, ["metadata": ["labels": ["note": "1"]]])
            _ = try await client.patch(path, ["metadata": ["labels": ["app": "gone"]]])
            _ = try await client.patch(path, ["metadata": ["labels": ["note": "2"]]])
            _ = try await client.patch(path, ["metadata": ["labels": ["app": "x"]]])
            let events = try await watch.waitForEvents(4)
            #expect(watch.types == ["ADDED", "MODIFIED", "DELETED", "ADDED"])
            #expect(events[2]["object"]?["metadata"]?["labels"]?["app"] == "gone")
            #expect(events[3]["object"]?["metadata"]?["labels"]?["note"] == "2")
        }
    }

    @Test("a spec.nodeName watch only sees pods on that node, including pods scheduled onto it later")
    func nodeScopedWatch() async throws {
        try await withServer { _, client in
            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("on-n1", node: "n1"))
            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("on-n2", node: "n2"))
            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("unscheduled"))
            let watch = try await client.watch("/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3Dn1")
            try await watch.waitForEvents(1)
            _ = try await client.patch("/api/v1/namespaces/default/pods/on-n2/status", ["status": ["phase": "Running"]])
            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("later", node: "n1"))
            _ = try await client.patch("/api/v1/namespaces/default/pods/on-n1/status", ["status": ["phase": "Running"]])
            let events = try await watch.waitForEvents(3)
            #expect(watch.types == ["ADDED", "ADDED", "MODIFIED"])
            #expect(Self.names(events) == ["on-n1", "later", "on-n1"])
        }
    }

    @Test("allowWatchBookmarks gets periodic BOOKMARKs at the current resourceVersion; without it none")
    func bookmarks() async throws {
        try await withServer({ $0.bookmarkInterval = .milliseconds(100) }) { server, client in
            try await client.create("/api/v1/nodes", Fixtures.node("n1"))
            let plain = try await client.watch("/api/v1/nodes?watch=1&resourceVersion=\(server.currentResourceVersion)&timeoutSeconds=4")
            let watch = try await client.watch(
                "/api/v1/nodes?watch=1&allowWatchBookmarks=true&resourceVersion=\(server.currentResourceVersion)")
            try await client.create("/api/v1/nodes", Fixtures.node("n2"))
            let expected = server.currentResourceVersion
            // Bookmarks may also come before the ADDED; the first one after it carries its resourceVersion.
            func bookmarkAfterAdded() -> JSONValue? {
                let types = watch.types
                guard let added = types.firstIndex(of: "ADDED") else { return nil }
                return watch.events[(added + 1)...].first { $0["type"] == "BOOKMARK" }
            }
            try await waitUntil("a bookmark after the ADDED") { bookmarkAfterAdded() != nil }
            let bookmark = try #require(bookmarkAfterAdded())
            #expect(bookmark["object"] == [
                "kind": "Node", "apiVersion": "v1", "metadata": ["resourceVersion": .string(String(expected))],
            ])
            #expect(watch.types.filter { $0 != "BOOKMARK" } == ["ADDED"])
            try await plain.waitUntilClosed()
            #expect(plain.types == ["ADDED"])
        }
    }

    @Test("sendInitialEvents ends the initial ADDED events with an initial-events-end BOOKMARK")
    func watchList() async throws {
        try await withServer { server, client in
            try await client.create("/api/v1/nodes", Fixtures.node("n1"))
            let watch = try await client.watch(
                "/api/v1/nodes?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&resourceVersion=")
            let events = try await watch.waitForEvents(2)
            #expect(watch.types == ["ADDED", "BOOKMARK"])
            #expect(events[1]["object"]?["metadata"]?["annotations"] == ["k8s.io/initial-events-end": "true"])
            #expect(events[1]["object"]?["metadata"]?["resourceVersion"]?.stringValue == String(server.currentResourceVersion))
        }
    }

    @Test("timeoutSeconds ends the stream cleanly; a client that leaves and shutdown end the server's watcher")
    func endings() async throws {
        try await withServer { server, client in
            let timed = try await client.watch("/api/v1/nodes?watch=1&timeoutSeconds=1")
            try await timed.waitUntilClosed(timeout: .seconds(5))
            #expect(timed.status == 200)
            let leaving = try await client.watch("/api/v1/nodes?watch=1")
            try await waitUntil("one open watch") { server.openWatchCount == 1 }
            leaving.close()
            try await waitUntil("no open watch") { server.openWatchCount == 0 }
            let open = try await client.watch("/api/v1/nodes?watch=1")
            try await waitUntil("one open watch again") { server.openWatchCount == 1 }
            await server.shutdown()
            try await open.waitUntilClosed()
        }
    }

    @Test("a watch from before the history limit gets 410 Expired")
    func historyLimit() async throws {
        try await withServer({ $0.watchHistoryLimit = 5 }) { server, client in
            let start = server.currentResourceVersion
            for index in 0..<8 { try await client.create("/api/v1/nodes", Fixtures.node("n\(index)")) }
            let expired = try await client.watch("/api/v1/nodes?watch=1&resourceVersion=\(start)")
            try await expired.waitUntilClosed()
            #expect(expired.types == ["ERROR"])
            #expect(expired.events.first?["object"]?["code"] == 410)
            let recent = try await client.watch("/api/v1/nodes?watch=1&resourceVersion=\(server.currentResourceVersion - 3)&timeoutSeconds=1")
            try await recent.waitUntilClosed()
            #expect(recent.types == ["ADDED", "ADDED", "ADDED"])
        }
    }

    @Test("concurrent writers: a watcher receives every event once, in resourceVersion order")
    func orderingUnderConcurrency() async throws {
        try await withServer { server, client in
            let watch = try await client.watch("/api/v1/pods?watch=1&resourceVersion=\(server.currentResourceVersion)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        for index in 0..<25 {
                            try await client.create("/api/v1/namespaces/default/pods", Fixtures.pod("w\(writer)-\(index)"))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let events = try await watch.waitForEvents(100, timeout: .seconds(30))
            #expect(events.count == 100)
            let versions = events.map { $0["object"]?.resourceVersionNumber ?? 0 }
            #expect(versions == versions.sorted())
            #expect(Set(versions).count == 100)
            #expect(Set(Self.names(events)).count == 100)
        }
    }

    @Test("a watcher more than the queue limit behind is closed and stops receiving")
    func overflow() {
        var state = StoreState(historyLimit: 100, watcherQueueLimit: 3)
        let filter = WatchFilter(resource: .nodes, namespace: nil, labelSelector: LabelSelector(), fieldSelector: FieldSelector())
        guard case .started(let id, _, _, _) = state.registerWatcher(filter, from: nil) else {
            Issue.record("watch did not start")
            return
        }
        for index in 0..<3 { state.commit(.added, .nodes, Fixtures.node("n\(index)"), previous: nil) }
        #expect(state.watchers[id]?.pending.count == 3)
        state.commit(.added, .nodes, Fixtures.node("n3"), previous: nil)
        let batch = state.drain(id)
        #expect(batch.endReason == .overflow)
        #expect(batch.events.isEmpty)
        state.commit(.added, .nodes, Fixtures.node("n4"), previous: nil)
        #expect(state.watchers[id]?.pending.isEmpty == true)
    }
}
