import KubeClient

/// Decides the replicas of peer module Deployments: a Deployment labelled
/// `virtual-kubelet.koupleless.io/strategy=peer` (and not `replicas-control=true`) in this ENV gets
/// `spec.replicas` = the number of Ready virtual nodes of its cluster in this ENV (contract §5).
public struct PeerReplicaPlanner: Sendable {
    public let env: String

    public init(env: String) {
        self.env = env
    }

    /// Whether this controller manages the Deployment's replicas.
    public func isManaged(_ deployment: Deployment) -> Bool {
        let labels = deployment.metadata.labels ?? [:]
        return labels[ModuleDeploymentLabels.strategy] == ModuleDeploymentLabels.peer
            && labels[ModuleDeploymentLabels.replicasControl] != "true"
            && labels[ModuleDeploymentLabels.env] == env
            && deployment.metadata.deletionTimestamp == nil
            && ModuleDeploymentLabels.clusterName(of: deployment) != nil
    }

    /// Ready vnodes of this ENV per cluster name.
    public func readyBases(_ nodes: [Node]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for node in nodes {
            let labels = node.metadata.labels ?? [:]
            guard labels[ModuleDeploymentLabels.component] == ModuleDeploymentLabels.vnode,
                labels[ModuleDeploymentLabels.env] == env,
                let cluster = labels[ModuleDeploymentLabels.clusterName], !cluster.isEmpty,
                node.metadata.deletionTimestamp == nil,
                node.status?.condition("Ready")?.status == "True"
            else { continue }
            counts[cluster, default: 0] += 1
        }
        return counts
    }

    /// The replicas the Deployment should have, or nil when it is not managed or already right.
    public func desiredReplicas(of deployment: Deployment, readyBases: [String: Int]) -> Int? {
        guard isManaged(deployment), let cluster = ModuleDeploymentLabels.clusterName(of: deployment) else { return nil }
        let desired = readyBases[cluster] ?? 0
        return deployment.spec?.replicas == desired ? nil : desired
    }
}
