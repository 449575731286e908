import Foundation
import KubeClient
import KubeRuntime
import KubeTestServer
import Logging
import Synchronization
import Testing

@Suite struct RuntimeContractTests {
    @Test func leaseHolderAcquiresRenewsAndReleasesOnCancellation() async throws {
        try await ContractEnvironment.with { env in
            let clock = ManualClock(wallOrigin: Date())
            let lock = LeaseLock(client: env.client, identity: "holder-1", leaseDuration: .seconds(40), clock: clock)
            let holder = LeaseHolder(
                lock: lock, namespace: env.namespace, name: "singleton", renewInterval: .seconds(10),
                logger: Logger(label: "lease"))
            let changes = LockedValues<Bool>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await holder.run { held in changes.append(held) } }
                try await eventually { changes.values == [true] && clock.sleeperCount == 1 }
                let first = try await env.client.get(Lease.self, namespace: env.namespace, name: "singleton")
                #expect(first.spec?.holderIdentity == "holder-1")

                clock.advance(by: .seconds(10))
                try await eventually {
                    clock.sleeperCount == 1 && clock.nextDeadline == .seconds(20)
                }
                let renewed = try await env.client.get(Lease.self, namespace: env.namespace, name: "singleton")
                #expect(renewed.spec?.renewTime?.date ?? .distantPast > first.spec?.renewTime?.date ?? .distantFuture)
                #expect(renewed.spec?.leaseTransitions == 0)

                group.cancelAll()
                try await group.waitForAll()
            }
            #expect(changes.values == [true, false])
            let released = try await env.client.get(Lease.self, namespace: env.namespace, name: "singleton")
            #expect(released.spec?.holderIdentity == nil)
        }
    }

    @Test func eventRecorderCreatesEventsAndCountsRepeats() async throws {
        try await ContractEnvironment.with { env in
            let pod = try await env.client.create(modulePod("evented", namespace: env.namespace, node: nil))
            let recorder = EventRecorder(client: env.client, component: "module-controller", logger: Logger(label: "events"))
            let reference = ObjectReference(
                apiVersion: "v1", kind: "Pod", namespace: env.namespace, name: "evented", uid: pod.metadata.uid)
            recorder.record(reference, type: "Warning", reason: "ModuleInstallFailed", message: "arklet FAILED: boom", host: "vnode.x.dev")
            recorder.record(reference, type: "Warning", reason: "ModuleInstallFailed", message: "arklet FAILED: boom", host: "vnode.x.dev")
            recorder.record(reference, type: "Normal", reason: "ModuleInstalled", message: "biz1:0.0.1 installed", host: "vnode.x.dev")
            recorder.finish()
            await recorder.run()

            let events = try await env.client.list(Event.self, namespace: env.namespace).items
            #expect(events.count == 2)
            let failed = events.first { $0.reason == "ModuleInstallFailed" }
            #expect(failed?.count == 2)
            #expect(failed?.type == "Warning")
            #expect(failed?.involvedObject.uid == pod.metadata.uid)
            #expect(failed?.source?.component == "module-controller")
            #expect(failed?.source?.host == "vnode.x.dev")
            #expect(events.first { $0.reason == "ModuleInstalled" }?.count == 1)
        }
    }

    @Test func oversizedAnswersAreRefusedNotBuffered() async throws {
        try await ContractEnvironment.with { env in
            for index in 0..<5 {
                _ = try await env.client.create(modulePod("big-\(index)", namespace: env.namespace, node: nil))
            }
            var configuration = env.client.configuration
            configuration.maxResponseBytes = 2048
            let small = KubernetesClient(configuration: configuration, logger: Logger(label: "small"))
            defer { small.shutdown() }
            let error = await #expect(throws: KubeClientError.self) {
                _ = try await small.list(Pod.self, namespace: env.namespace)
            }
            #expect(error.map { "\($0)".contains("exceeds the limit of 2048 bytes") } == true)
        }
    }
}

@Suite struct WatchBookmarkTests {
    /// Real servers send bookmarks about once a minute; the test server is told to send them often.
    @Test func bookmarksArriveAsProgressMarkers() async throws {
        let token = UUID().uuidString
        let server = try await KubeTestServer.start(
            KubeTestServerConfiguration(token: token, bookmarkInterval: .milliseconds(50)), logger: Logger(label: "server"))
        let client = KubernetesClient(
            configuration: KubeConfiguration(server: server.baseURL, credentials: .token(token)), logger: Logger(label: "client"))
        defer { client.shutdown() }
        let created = try await client.create(Node(metadata: ObjectMeta(name: "vnode.bookmark.dev")))
        let stream = try await client.watch(
            Node.self, options: WatchOptions(resourceVersion: created.metadata.resourceVersion, allowBookmarks: true, timeoutSeconds: 30))
        var bookmark: String?
        for try await event in stream {
            if case .bookmark(let version) = event {
                bookmark = version
                break
            }
        }
        #expect(bookmark.flatMap { UInt64($0) }.map { $0 >= UInt64(created.metadata.resourceVersion ?? "0") ?? 0 } == true)
        await server.shutdown()
    }
}


/// Values appended from concurrent tasks and read by the test.
final class LockedValues<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])
    func append(_ value: Value) { storage.withLock { $0.append(value) } }
    var values: [Value] { storage.withLock { $0 } }
}
