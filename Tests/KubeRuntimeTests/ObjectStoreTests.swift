import KubeClient
import KubeRuntime
import Testing

@Suite struct ObjectStoreTests {
    func pod(_ name: String, node: String?, version: String, labels: [String: String] = [:]) -> Pod {
        var metadata = ObjectMeta(name: name, namespace: "ns", labels: labels)
        metadata.resourceVersion = version
        return Pod(metadata: metadata, spec: PodSpec(nodeName: node, containers: [Container(name: "c")]))
    }

    @Test func indexesFollowUpdatesAndDeletes() {
        let store = ObjectStore<Pod>(indexers: [
            ObjectStore<Pod>.nodeNameIndex: ObjectStore<Pod>.byNodeName, "app": StoreIndex.label("app"),
        ])
        store.replace(with: [pod("a", node: "n1", version: "1", labels: ["app": "x"]), pod("b", node: "n1", version: "2")],
            resourceVersion: "2")
        #expect(store.isSynced)
        #expect(Set(store.list(index: "spec.nodeName", value: "n1").map { $0.metadata.name }) == ["a", "b"])
        let change = store.apply(pod("a", node: "n2", version: "3", labels: ["app": "y"]))
        guard case .updated(let old, let new) = change else {
            Issue.record("expected an update, got \(String(describing: change))")
            return
        }
        #expect(old.spec?.nodeName == "n1")
        #expect(new.spec?.nodeName == "n2")
        #expect(store.list(index: "spec.nodeName", value: "n1").map { $0.metadata.name } == ["b"])
        #expect(store.list(index: "app", value: "x").isEmpty)
        #expect(store.list(index: "app", value: "y").count == 1)
        // The same version again is no change.
        #expect(store.apply(pod("a", node: "n2", version: "3")) == nil)
        #expect(store.remove(pod("b", node: "n1", version: "4")) != nil)
        #expect(store.list(index: "spec.nodeName", value: "n1").isEmpty)
        #expect(store.indexValues("spec.nodeName") == ["n2"])
        #expect(store.resourceVersion == "4")
    }

    @Test func replaceReportsTheDifference() {
        let store = ObjectStore<Pod>()
        store.replace(with: [pod("a", node: nil, version: "1"), pod("b", node: nil, version: "1")], resourceVersion: "1")
        let changes = store.replace(
            with: [pod("b", node: nil, version: "5"), pod("c", node: nil, version: "5")], resourceVersion: "5")
        var added: [String] = []
        var updated: [String] = []
        var deleted: [String] = []
        for change in changes {
            switch change {
            case .added(let object): added.append(object.metadata.name ?? "")
            case .updated(_, let object): updated.append(object.metadata.name ?? "")
            case .deleted(let object): deleted.append(object.metadata.name ?? "")
            }
        }
        #expect(added == ["c"])
        #expect(updated == ["b"])
        #expect(deleted == ["a"])
    }

    @Test func waitUntilSyncedReturnsAfterTheFirstList() async throws {
        let store = ObjectStore<Pod>()
        async let waited: Void = store.waitUntilSynced()
        await Task.yield()
        store.replace(with: [], resourceVersion: "1")
        try await waited
        #expect(store.isSynced)
        try await store.waitUntilSynced()
    }

    @Test func aCancelledWaitForSyncEndsWithCancellationError() async {
        let store = ObjectStore<Pod>()
        let waiter = Task { try await store.waitUntilSynced() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(!store.isSynced)
        // A later list still releases new waiters.
        let later = Task { try await store.waitUntilSynced() }
        store.replace(with: [], resourceVersion: "1")
        await #expect(throws: Never.self) { try await later.value }
    }

    @Test func anOlderCopyNeverReplacesANewerOne() {
        let store = ObjectStore<Pod>()
        var pod = Pod(metadata: ObjectMeta(name: "p", namespace: "default"), spec: PodSpec(containers: []))
        pod.metadata.resourceVersion = "10"
        #expect(store.apply(pod) != nil)
        var older = pod
        older.metadata.resourceVersion = "9"
        older.metadata.labels = ["stale": "yes"]
        #expect(store.apply(older) == nil)
        #expect(store.get(namespace: "default", name: "p")?.metadata.labels == nil)
        var newer = pod
        newer.metadata.resourceVersion = "11"
        #expect(store.apply(newer) != nil)
        #expect(store.get(namespace: "default", name: "p")?.metadata.resourceVersion == "11")
    }

    @Test func resourceVersionsCompareAsKEP5504Integers() {
        #expect(ResourceVersionOrder.isNewer("100", than: "99"))
        #expect(!ResourceVersionOrder.isNewer("99", than: "100"))
        #expect(!ResourceVersionOrder.isNewer("5", than: "5"))
        #expect(ResourceVersionOrder.isNewer("123456789012345678901234567890", than: "99999999999999999999"))
        #expect(ResourceVersionOrder.isNewer("5", than: nil))
        // Not well formed: only equality is known, so a different version replaces.
        #expect(ResourceVersionOrder.isNewer("abc", than: "def"))
        #expect(ResourceVersionOrder.isNewer("007", than: "8"))
    }
}
