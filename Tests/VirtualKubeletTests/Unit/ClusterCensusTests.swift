import Foundation
import KubeClient
import KubeRuntime
import Testing
@testable import VirtualKubelet

/// Reading the cluster from the Leases of an env, and naming presence Leases.
@Suite struct ClusterCensusTests {
    let now = Fixtures.epoch

    func lease(_ name: String, component: String, holder: String?, renewedAgo: TimeInterval, duration: Int = 10) -> Lease {
        Lease(metadata: ObjectMeta(name: name, namespace: "kube-node-lease",
                                   labels: [KouplelessKeys.env: "test", KouplelessKeys.component: component]),
              spec: LeaseSpec(holderIdentity: holder, leaseDurationSeconds: duration,
                              renewTime: KubeMicroTime(now.addingTimeInterval(-renewedAgo))))
    }

    @Test func liveReplicasAreHoldersOfUnexpiredLeasesAndThisReplica() {
        let census = ClusterCensus(leases: [
            lease("vnode.a.test", component: KouplelessKeys.leaseComponent, holder: "replica-a", renewedAgo: 2),
            lease("vnode.b.test", component: KouplelessKeys.leaseComponent, holder: "replica-b", renewedAgo: 11),
            lease("vnode.c.test", component: KouplelessKeys.leaseComponent, holder: nil, renewedAgo: 0),
            lease("controller.replica-c.test", component: KouplelessKeys.replicaLeaseComponent, holder: "replica-c", renewedAgo: 1),
            lease("controller.replica-d.test", component: KouplelessKeys.replicaLeaseComponent, holder: "replica-d", renewedAgo: 30),
            lease("other", component: "something-else", holder: "replica-e", renewedAgo: 0),
        ], identity: "replica-self", now: now)
        // b's and d's Leases expired, c's vnode Lease was released, e's Lease is none of ours.
        #expect(census.replicas == ["replica-self", "replica-a", "replica-c"])
        #expect(census.vnodeLeases == ["vnode.a.test", "vnode.b.test", "vnode.c.test"])
    }

    @Test func aLoneReplicaCountsItself() {
        #expect(ClusterCensus(leases: [], identity: "replica-a", now: now).replicas == ["replica-a"])
    }

    @Test func releasedVnodeLeasesAndWithdrawnReplicasAreVacancies() {
        let held = lease("vnode.a.test", component: KouplelessKeys.leaseComponent, holder: "replica-a", renewedAgo: 0)
        var released = held
        released.spec?.holderIdentity = nil
        let presence = lease("controller.replica-b.test", component: KouplelessKeys.replicaLeaseComponent,
                             holder: "replica-b", renewedAgo: 0)
        #expect(ClusterMembership.vacancy(in: .updated(old: held, new: released)) == .vnode("vnode.a.test"))
        #expect(ClusterMembership.vacancy(in: .added(released)) == .vnode("vnode.a.test"))
        #expect(ClusterMembership.vacancy(in: .updated(old: released, new: held)) == nil)
        #expect(ClusterMembership.vacancy(in: .deleted(held)) == nil)
        #expect(ClusterMembership.vacancy(in: .deleted(presence)) == .replicaLeft("replica-b"))
        #expect(ClusterMembership.vacancy(in: .added(presence)) == nil)
    }

    @Test func presenceLeaseNamesAreValidAndDistinct() {
        #expect(ReplicaLeaseName.make(identity: "module-controller-0", env: "dev") == "controller.module-controller-0.dev")
        let odd = ["Module-Controller-0", "module_controller_0", "host.example.com", "-a-", "", "x" + String(repeating: "y", count: 80)]
        let labels = odd.map(ReplicaLeaseName.label(for:))
        #expect(Set(labels).count == odd.count)
        for label in labels {
            #expect((1...63).contains(label.count), "\(label)")
            #expect(label.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, "\(label)")
            #expect(label.first != "-" && label.last != "-", "\(label)")
        }
        // Distinct identities that clean up the same way still get distinct names.
        #expect(ReplicaLeaseName.label(for: "a_b") != ReplicaLeaseName.label(for: "a.b"))
    }
}
