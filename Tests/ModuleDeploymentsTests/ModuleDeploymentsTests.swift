import Arklet
import Foundation
import KubeClient
import KubeRuntime
import KubeTestServer
import Logging
import ModuleDeployments
import Testing

/// A module Deployment as users write them (samples/module-deployment.yaml).
func moduleDeployment(
    _ name: String, namespace: String = "default", env: String = "dev", cluster: String, peer: Bool = true,
    replicas: Int = 1, containers: [(String, String)], clusterViaAffinity: Bool = false
) -> Deployment {
    var labels = [
        "virtual-kubelet.koupleless.io/component": "module-deployment", "virtual-kubelet.koupleless.io/env": env,
    ]
    if peer { labels["virtual-kubelet.koupleless.io/strategy"] = "peer" }
    var spec = PodSpec(
        containers: containers.map { name, version in
            Container(name: name, image: "https://example.org/\(name)-\(version).jar", env: [EnvVar(name: "BIZ_VERSION", value: version)])
        })
    if clusterViaAffinity {
        spec.affinity = [
            "nodeAffinity": [
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    "nodeSelectorTerms": [
                        ["matchExpressions": [["key": "base.koupleless.io/cluster-name", "operator": "In", "values": [.string(cluster)]]]]
                    ]
                ]
            ]
        ]
    } else {
        spec.nodeSelector = ["base.koupleless.io/cluster-name": cluster]
    }
    return Deployment(
        metadata: ObjectMeta(name: name, namespace: namespace, labels: labels),
        spec: DeploymentSpec(
            replicas: replicas, selector: LabelSelectorSpec(matchLabels: ["app": name]),
            template: PodTemplateSpec(
                metadata: ObjectMeta(labels: ["app": name, "virtual-kubelet.koupleless.io/component": "module"]), spec: spec)))
}

func vnode(_ identity: String, env: String = "dev", cluster: String, ready: Bool) -> Node {
    Node(
        metadata: ObjectMeta(
            name: "vnode.\(identity).\(env)",
            labels: [
                "virtual-kubelet.koupleless.io/component": "vnode", "virtual-kubelet.koupleless.io/env": env,
                "base.koupleless.io/cluster-name": cluster,
            ]),
        status: NodeStatus(conditions: [NodeCondition(type: "Ready", status: ready ? "True" : "False")]))
}

@Suite struct BaselineResolverTests {
    @Test func answersTheClustersModulesOldestDeploymentFirst() {
        var older = moduleDeployment("biz-old", cluster: "c1", containers: [("a", "1"), ("b", "2")], clusterViaAffinity: true)
        older.metadata.creationTimestamp = KubeTime(Date(timeIntervalSince1970: 100))
        var newer = moduleDeployment("biz-new", cluster: "c1", containers: [("c", "3")])
        newer.metadata.creationTimestamp = KubeTime(Date(timeIntervalSince1970: 200))
        var otherCluster = moduleDeployment("elsewhere", cluster: "c2", containers: [("d", "4")])
        otherCluster.metadata.creationTimestamp = KubeTime(Date(timeIntervalSince1970: 50))
        var otherEnv = moduleDeployment("other-env", env: "prod", cluster: "c1", containers: [("e", "5")])
        otherEnv.metadata.creationTimestamp = KubeTime(Date(timeIntervalSince1970: 10))

        let baseline = BaselineResolver(env: "dev").baseline(clusterName: "c1", deployments: [newer, otherEnv, otherCluster, older])
        #expect(baseline == [
            BizModel(bizName: "a", bizVersion: "1", bizUrl: "https://example.org/a-1.jar"),
            BizModel(bizName: "b", bizVersion: "2", bizUrl: "https://example.org/b-2.jar"),
            BizModel(bizName: "c", bizVersion: "3", bizUrl: "https://example.org/c-3.jar"),
        ])
        #expect(BaselineResolver(env: "dev").baseline(clusterName: "", deployments: [older]).isEmpty)
    }
}

@Suite struct PeerReplicaPlannerTests {
    @Test func countsReadyBasesOfTheClusterInThisEnvOnly() {
        let planner = PeerReplicaPlanner(env: "dev")
        let nodes = [
            vnode("a", cluster: "c1", ready: true), vnode("b", cluster: "c1", ready: true),
            vnode("c", cluster: "c1", ready: false), vnode("d", env: "prod", cluster: "c1", ready: true),
            vnode("e", cluster: "c2", ready: true),
        ]
        let ready = planner.readyBases(nodes)
        #expect(ready == ["c1": 2, "c2": 1])
        #expect(planner.desiredReplicas(of: moduleDeployment("p", cluster: "c1", replicas: 1, containers: [("a", "1")]), readyBases: ready) == 2)
        #expect(planner.desiredReplicas(of: moduleDeployment("p", cluster: "c1", replicas: 2, containers: [("a", "1")]), readyBases: ready) == nil)
        #expect(planner.desiredReplicas(of: moduleDeployment("p", cluster: "c3", replicas: 1, containers: [("a", "1")]), readyBases: ready) == 0)
        #expect(planner.desiredReplicas(of: moduleDeployment("np", cluster: "c1", peer: false, containers: [("a", "1")]), readyBases: ready) == nil)
        var controlled = moduleDeployment("rc", cluster: "c1", containers: [("a", "1")])
        controlled.metadata.labels?["virtual-kubelet.koupleless.io/replicas-control"] = "true"
        #expect(planner.desiredReplicas(of: controlled, readyBases: ready) == nil)
    }
}

@Suite struct PeerReplicaControllerTests {
    @Test func peerDeploymentsFollowTheNumberOfReadyBases() async throws {
        let token = UUID().uuidString
        let server = try await KubeTestServer.start(KubeTestServerConfiguration(token: token), logger: Logger(label: "server"))
        let client = KubernetesClient(
            configuration: KubeConfiguration(server: server.baseURL, credentials: .token(token)), logger: Logger(label: "client"))
        defer { client.shutdown() }
        _ = try await client.create(moduleDeployment("peer-c1", cluster: "c1", replicas: 5, containers: [("a", "1")]))
        _ = try await client.create(moduleDeployment("peer-c2", cluster: "c2", replicas: 3, containers: [("b", "1")]))
        _ = try await client.create(moduleDeployment("fixed", cluster: "c1", peer: false, replicas: 7, containers: [("c", "1")]))

        func replicas(_ name: String) async throws -> Int? {
            try await client.get(Deployment.self, namespace: "default", name: name).spec?.replicas
        }
        let controller = PeerReplicaController(client: client, env: "dev", logger: Logger(label: "peer"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await controller.run() }
            // No bases yet: peer Deployments go to 0, the others are left alone.
            try await until {
                let first = try await replicas("peer-c1")
                let second = try await replicas("peer-c2")
                return first == 0 && second == 0
            }
            #expect(try await replicas("fixed") == 7)

            _ = try await client.create(vnode("a", cluster: "c1", ready: true))
            try await until { try await replicas("peer-c1") == 1 }
            _ = try await client.create(vnode("b", cluster: "c1", ready: true))
            _ = try await client.create(vnode("x", env: "prod", cluster: "c1", ready: true))
            try await until { try await replicas("peer-c1") == 2 }

            // A base that becomes NotReady no longer counts; a deleted one neither.
            _ = try await client.patch(
                Node.self, name: "vnode.b.dev",
                patch: .strategicMerge(["status": ["conditions": [["type": "Ready", "status": "False"]]]]), subresource: "status")
            try await until { try await replicas("peer-c1") == 1 }
            try await client.delete(Node.self, name: "vnode.a.dev")
            try await until { try await replicas("peer-c1") == 0 }
            #expect(try await replicas("peer-c2") == 0)
            #expect(try await replicas("fixed") == 7)
            group.cancelAll()
        }
        await server.shutdown()
    }
}

/// Polls an async condition until it holds or the deadline passes.
func until(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool, sourceLocation: SourceLocation = #_sourceLocation)
    async throws
{
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(timeout)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
