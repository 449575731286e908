import Foundation
import KubeClient
import Testing
@testable import VirtualKubelet

/// Cluster-mode helpers of the integration world: configurations, who owns which vnode, and
/// Leases of replicas that exist only in the API server.
extension ControllerHarness {
    /// A cluster-mode configuration (the harness's short durations unless `configure` changes them).
    func clusterConfiguration(clientID: String, level: Int = 1,
                              _ configure: (inout VirtualKubeletConfiguration) -> Void = { _ in })
        -> VirtualKubeletConfiguration
    {
        configuration(clientID: clientID) {
            $0.isCluster = true
            $0.workloadMaxLevel = level
            configure(&$0)
        }
    }

    /// Waits until every controller sees exactly the given replicas alive.
    func waitUntilEachSees(_ replicas: Set<String>, _ controllers: [RunningController]) async throws {
        try await waitFor("replicas \(replicas.sorted()) seen by all") {
            controllers.allSatisfy { Set($0.controller.clusterReplicas) == replicas } ? true : nil
        }
    }

    /// Waits until each vnode's Lease is held by exactly one of `controllers` (the Lease holder, and
    /// the only one of them that says it owns the vnode) and each Node is Ready; returns the holder
    /// of each base identity.
    @discardableResult
    func waitForOwners(_ identities: [String], among controllers: [RunningController],
                       timeout: Duration = .seconds(20)) async throws -> [String: String] {
        try await waitFor("\(identities) owned once each and Ready", timeout: timeout) {
            var owners: [String: String] = [:]
            for identity in identities {
                guard let holder = try await self.lease(identity)?.spec?.holderIdentity,
                      try await self.node(identity)?.status?.condition("Ready")?.status == "True"
                else { return nil }
                let claimants = controllers.filter { $0.controller.ownedVNodes.contains(self.nodeName(identity)) }
                guard claimants.map(\.controller.configuration.clientID) == [holder] else { return nil }
                owners[identity] = holder
            }
            return owners
        }
    }

    /// Writes the presence Lease of a replica that has no process: it counts as alive for the
    /// controllers of this world until `validFor` has passed.
    func createPhantomReplica(_ identity: String, validFor seconds: Int = 3600) async throws {
        var lease = Lease(
            metadata: ObjectMeta(name: ReplicaLeaseName.make(identity: identity, env: env), namespace: "kube-node-lease",
                                 labels: [KouplelessKeys.env: env, KouplelessKeys.component: KouplelessKeys.replicaLeaseComponent]),
            spec: LeaseSpec(holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: KubeMicroTime(Date()),
                            renewTime: KubeMicroTime(Date()), leaseTransitions: 0))
        lease.setTypeMeta()
        _ = try await client.create(lease, namespace: "kube-node-lease")
    }

    /// The presence Leases of this world.
    func presenceLeases() async throws -> [Lease] {
        try await client.list(Lease.self, namespace: "kube-node-lease").items.filter {
            $0.metadata.labels?[KouplelessKeys.component] == KouplelessKeys.replicaLeaseComponent
                && $0.metadata.labels?[KouplelessKeys.env] == env
        }
    }
}

/// `replica-a` and `replica-b` in cluster mode at level 1, sharing a ``ModuleWorld`` of four bases
/// that they have split two and two.
struct TwoReplicaWorld: Sendable {
    let a: RunningController
    let b: RunningController
    let world: ModuleWorld
    /// The bases whose vnodes `replica-b` owns.
    let ownedByB: [String]
    /// `leaseTransitions` of every vnode's Lease once split.
    let transitions: [String: Int]

    /// - Parameter crashableB: start `replica-b` with a client of its own, so that it can ``RunningController/crash()``.
    static func start(_ harness: ControllerHarness, crashableB: Bool = false,
                      _ configure: @escaping (inout VirtualKubeletConfiguration) -> Void) async throws -> TwoReplicaWorld {
        let a = try await harness.startController(harness.clusterConfiguration(clientID: "replica-a", configure))
        let b = try await harness.startController(harness.clusterConfiguration(clientID: "replica-b", configure),
                                                  client: crashableB ? harness.makeClient() : nil)
        try await harness.waitUntilEachSees(["replica-a", "replica-b"], [a, b])
        let world = try await ModuleWorld.start(harness, bases: 4)
        let owners = try await harness.waitForOwners(world.identities, among: [a, b])
        let ownedByB = world.identities.filter { owners[$0] == "replica-b" }
        #expect(ownedByB.count == 2, "\(owners)")
        return TwoReplicaWorld(a: a, b: b, world: world, ownedByB: ownedByB, transitions: try await world.leaseTransitions())
    }
}
