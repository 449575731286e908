import Foundation
import KubeClient
import KubeTestServer
import Logging
import Testing

/// Where a contract test runs: the in-repo test API server (default), or a real API server when
/// `KUBE_CONTRACT_KUBECONFIG` names a kubeconfig file. Each test gets its own namespace (and, on
/// the test server, its own server), removed afterwards together with the cluster-scoped objects
/// the test registered.
final class ContractEnvironment: Sendable {
    let client: KubernetesClient
    let namespace: String
    /// A prefix for names of cluster-scoped objects (nodes), unique to this test.
    let prefix: String
    let server: KubeTestServer?
    private let createdNodes = LockedList()

    private init(client: KubernetesClient, namespace: String, prefix: String, server: KubeTestServer?) {
        self.client = client
        self.namespace = namespace
        self.prefix = prefix
        self.server = server
    }

    var isRealServer: Bool { server == nil }

    /// Runs `body` in a fresh environment and cleans up afterwards, whatever happens.
    static func with(_ body: (ContractEnvironment) async throws -> Void) async throws {
        let id = UUID().uuidString.lowercased().prefix(8)
        let logger = Logger(label: "contract")
        let environment: ContractEnvironment
        if let path = ProcessInfo.processInfo.environment["KUBE_CONTRACT_KUBECONFIG"], !path.isEmpty {
            let configuration = try KubeConfigLoader().load(explicitPath: path)
            let client = KubernetesClient(configuration: configuration, logger: logger)
            environment = ContractEnvironment(
                client: client, namespace: "contract-\(id)", prefix: "contract-\(id)", server: nil)
        } else {
            let token = UUID().uuidString
            let server = try await KubeTestServer.start(KubeTestServerConfiguration(token: token), logger: logger)
            let client = KubernetesClient(
                configuration: KubeConfiguration(server: server.baseURL, credentials: .token(token)), logger: logger)
            environment = ContractEnvironment(client: client, namespace: "contract-\(id)", prefix: "contract-\(id)", server: server)
        }
        _ = try await environment.client.create(Namespace(metadata: ObjectMeta(name: environment.namespace)))
        do {
            try await body(environment)
        } catch {
            await environment.cleanUp()
            throw error
        }
        await environment.cleanUp()
    }

    /// A node name unique to this test; the node is deleted at clean-up.
    func nodeName(_ suffix: String) -> String {
        let name = "vnode.\(prefix)-\(suffix).contract"
        createdNodes.append(name)
        return name
    }

    /// Makes every resourceVersion older than the current one unavailable (410), as etcd
    /// compaction does. A real server compacts on its own schedule: there, versions such as "1"
    /// are long gone.
    func compactHistory() {
        server?.compact()
    }

    private func cleanUp() async {
        for node in createdNodes.values {
            _ = try? await client.delete(Node.self, name: node, options: DeleteOptions(gracePeriodSeconds: 0))
        }
        _ = try? await client.delete(Namespace.self, name: namespace)
        client.shutdown()
        await server?.shutdown()
    }
}

/// A list of strings shared between a test and its clean-up.
final class LockedList: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ value: String) { storage.withLock { $0.append(value) } }
    var values: [String] { storage.withLock { $0 } }
}

import Synchronization

/// A module pod bound to `node`, as the controller will see them.
func modulePod(_ name: String, namespace: String, node: String?, labels: [String: String] = [:], version: String = "0.0.1")
    -> Pod
{
    Pod(
        metadata: ObjectMeta(
            name: name, namespace: namespace,
            labels: ["virtual-kubelet.koupleless.io/component": "module"].merging(labels) { $1 }),
        spec: PodSpec(
            nodeName: node,
            containers: [
                Container(
                    name: "biz1", image: "https://example.org/biz1-\(version)-ark-biz.jar",
                    env: [EnvVar(name: "BIZ_VERSION", value: version)])
            ],
            tolerations: [
                Toleration(key: "schedule.koupleless.io/virtual-node", operator: "Equal", value: "True", effect: "NoExecute")
            ]))
}

/// Reads watch events until `count` have arrived or `timeout` passes.
func collect<R: KubeResource>(
    _ stream: WatchEventStream<R>, count: Int, timeout: Duration = .seconds(20)
) async throws -> [WatchEvent<R>] {
    try await withThrowingTaskGroup(of: [WatchEvent<R>]?.self) { group in
        group.addTask {
            var events: [WatchEvent<R>] = []
            for try await event in stream {
                if case .bookmark = event { continue }
                events.append(event)
                if events.count == count { break }
            }
            return events
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        guard let events = first else {
            Issue.record("watch did not deliver \(count) events within \(timeout)")
            return []
        }
        return events
    }
}

func eventSummary<R: KubeResource>(_ events: [WatchEvent<R>]) -> [String] {
    events.map { event in
        switch event {
        case .added(let object): return "ADDED \(object.metadata.name ?? "")"
        case .modified(let object): return "MODIFIED \(object.metadata.name ?? "")"
        case .deleted(let object): return "DELETED \(object.metadata.name ?? "")"
        case .bookmark: return "BOOKMARK"
        }
    }
}
