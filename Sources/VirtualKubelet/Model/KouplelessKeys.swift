/// The label, taint and annotation keys Koupleless users and bases depend on (reference §3–4).
public enum KouplelessKeys {
    /// `virtual-kubelet.koupleless.io/component`: `module` on module pods, `vnode` on vnodes,
    /// `vnode-lease` on their Leases, `controller-replica` on the presence Leases of cluster mode.
    public static let component = "virtual-kubelet.koupleless.io/component"
    /// The older module-pod label key still shown in the Koupleless user docs.
    public static let legacyComponent = "module-controller.koupleless.io/component"
    /// `virtual-kubelet.koupleless.io/env`: the controller's `ENV`.
    public static let env = "virtual-kubelet.koupleless.io/env"

    public static let moduleComponent = "module"
    public static let vnodeComponent = "vnode"
    public static let leaseComponent = "vnode-lease"
    public static let replicaLeaseComponent = "controller-replica"

    public static let baseName = "base.koupleless.io/name"
    public static let baseVersion = "base.koupleless.io/version"
    public static let baseClusterName = "base.koupleless.io/cluster-name"
    public static let baseHostName = "base.koupleless.io/host-name"
    public static let tunnelPort = "base.koupleless.io/tunnel-port"

    public static let virtualNodeTaint = "schedule.koupleless.io/virtual-node"
    public static let nodeEnvTaint = "schedule.koupleless.io/node-env"

    /// The container environment variable holding a biz version.
    public static let bizVersionEnv = "BIZ_VERSION"
    /// The namespace of node Leases.
    public static let nodeLeaseNamespace = "kube-node-lease"
}
