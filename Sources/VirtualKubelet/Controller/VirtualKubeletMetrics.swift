import Metrics

/// The metrics of the controller core, all prefixed `module_controller_`.
enum VirtualKubeletMetrics {
    /// Base identities refused because they cannot name a node or a topic level, by reason.
    static func identityRefused(_ reason: IdentityRefusal.Reason) {
        Counter(label: "module_controller_vnode_identities_refused_total", dimensions: [("reason", reason.metricValue)])
            .increment()
    }

    /// Install and uninstall commands by outcome (`success`, `failure`, `timeout`, `error`).
    static func bizOperation(_ kind: BizOperation.Kind, outcome: String) {
        Counter(label: "module_controller_biz_operations_total", dimensions: [("command", kind.rawValue), ("outcome", outcome)])
            .increment()
    }

    /// How long install and uninstall commands took, from sending to the base's answer.
    static func bizOperationDuration(_ kind: BizOperation.Kind, _ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        Timer(label: "module_controller_biz_operation_duration_seconds", dimensions: [("command", kind.rawValue)])
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Module pods bound to vnodes, by phase.
    static func modulePods(byPhase counts: [String: Int]) {
        for phase in ["Pending", "Running", "Succeeded", "Failed", "Unknown"] {
            Gauge(label: "module_controller_module_pods", dimensions: [("phase", phase)]).record(counts[phase] ?? 0)
        }
    }

    /// Pod status writes, by whether they took readiness away.
    static func podStatusWrite(revoking: Bool) {
        Counter(label: "module_controller_pod_status_writes_total", dimensions: [("revokes_readiness", "\(revoking)")])
            .increment()
    }

    /// Node writes by operation (`create`, `labels`, `status`, `delete`).
    static func nodeWrite(_ operation: String) {
        Counter(label: "module_controller_node_writes_total", dimensions: [("operation", operation)]).increment()
    }

    /// Module pods deleted for good after their bizzes were uninstalled (or the wait timed out).
    static func podFinalized(timedOut: Bool) {
        Counter(label: "module_controller_pods_finalized_total", dimensions: [("timed_out", "\(timedOut)")]).increment()
    }

    /// Failed reconcile passes.
    static func reconcileFailed() {
        Counter(label: "module_controller_vnode_reconcile_failures_total").increment()
    }

    /// Known and owned vnodes.
    static func vnodes(known: Int, owned: Int) {
        Gauge(label: "module_controller_vnodes", dimensions: [("ownership", "known")]).record(known)
        Gauge(label: "module_controller_vnodes", dimensions: [("ownership", "owned")]).record(owned)
    }

    /// Live controller replicas this replica sees in cluster mode (itself included).
    static func clusterReplicas(_ count: Int) {
        Gauge(label: "module_controller_cluster_replicas").record(count)
    }
}
