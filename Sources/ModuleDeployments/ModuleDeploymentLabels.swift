import KubeClient

/// The label keys and values module Deployments and virtual nodes carry (reference Appendix B, §5).
public enum ModuleDeploymentLabels {
    public static let component = "virtual-kubelet.koupleless.io/component"
    public static let env = "virtual-kubelet.koupleless.io/env"
    public static let strategy = "virtual-kubelet.koupleless.io/strategy"
    public static let replicasControl = "virtual-kubelet.koupleless.io/replicas-control"
    public static let clusterName = "base.koupleless.io/cluster-name"
    public static let moduleDeployment = "module-deployment"
    public static let peer = "peer"
    public static let vnode = "vnode"

    /// The base cluster a Deployment targets: its `base.koupleless.io/cluster-name` label, else its
    /// pod template's nodeSelector, else the first value of a required node-affinity expression on
    /// that key. `nil` when none is set.
    public static func clusterName(of deployment: Deployment) -> String? {
        if let value = deployment.metadata.labels?[clusterName], !value.isEmpty { return value }
        let spec = deployment.spec?.template.spec
        if let value = spec?.nodeSelector?[clusterName], !value.isEmpty { return value }
        let terms = spec?.affinity?[path: ["nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"]]?
            .arrayValue ?? []
        for term in terms {
            for expression in term["matchExpressions"]?.arrayValue ?? [] where expression["key"]?.stringValue == clusterName {
                if let value = expression["values"]?.arrayValue?.first?.stringValue, !value.isEmpty { return value }
            }
        }
        return nil
    }
}
