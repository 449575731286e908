import Foundation
import KubeClient

/// What the Leases of one env in kube-node-lease say about the cluster at one moment: which
/// replicas are alive and which vnodes have a Lease. A replica is alive when it holds an unexpired
/// presence Lease (``ReplicaLeaseName``) or an unexpired vnode Lease; this replica always counts.
/// Released Leases (no holder) and expired ones (`renewTime + leaseDurationSeconds` passed) count
/// for nobody.
struct ClusterCensus: Sendable, Hashable {
    /// Identities of the live replicas, this one included.
    var replicas: Set<String>
    /// Names of the vnode Leases of the env.
    var vnodeLeases: Set<String>

    init(leases: [Lease], identity: String, now: Date) {
        var replicas: Set<String> = [identity]
        var vnodeLeases: Set<String> = []
        for lease in leases {
            let component = lease.metadata.labels?[KouplelessKeys.component]
            if component == KouplelessKeys.leaseComponent, let name = lease.metadata.name {
                vnodeLeases.insert(name)
            }
            guard component == KouplelessKeys.leaseComponent || component == KouplelessKeys.replicaLeaseComponent,
                  let holder = Self.liveHolder(of: lease, now: now)
            else { continue }
            replicas.insert(holder)
        }
        self.replicas = replicas
        self.vnodeLeases = vnodeLeases
    }

    /// The holder of a Lease that has not expired, if any.
    static func liveHolder(of lease: Lease, now: Date) -> String? {
        guard let spec = lease.spec, let holder = spec.holderIdentity, !holder.isEmpty,
              let renewed = spec.renewTime?.date, let seconds = spec.leaseDurationSeconds
        else { return nil }
        return renewed.addingTimeInterval(TimeInterval(seconds)) > now ? holder : nil
    }
}
