import Foundation

/// The decisions of Kubernetes' Deployment and ReplicaSet controllers during a `RollingUpdate`,
/// as a pure function of the pods they see (pkg/controller/deployment/rolling.go and
/// replica_set.go), so that a test can replace old pods by new ones the way a cluster would:
///
/// 1. Scale the new ReplicaSet up while the total stays within `replicas + maxSurge`; a sync that
///    scales up does nothing else.
/// 2. Otherwise scale old ReplicaSets down, never below `replicas - maxUnavailable` available pods:
///    nothing while `all - minAvailable - newUnavailable` is not positive; else first unhealthy (not
///    Ready) old pods, up to that many; then further old pods while `available - minAvailable` allows.
/// 3. A ReplicaSet picks the pods it deletes as Kubernetes ranks them: not Ready before Ready, on a
///    node crowded with pods of the same Deployment before others, newer before older.
///
/// Terminating pods (with a `deletionTimestamp`) count for no ReplicaSet, as in Kubernetes.
/// New pods are also "scheduled" here: each goes to the node with the fewest new pods, so the
/// rollout spreads like a Deployment with a topology spread constraint on the hostname.
struct RollingUpdatePlanner: Sendable {
    /// What the planner knows of one pod.
    struct PodView: Sendable, Hashable {
        var name: String
        var node: String
        var ready: Bool
        var terminating: Bool
        var created: Date
    }

    enum Action: Sendable, Hashable {
        /// Create a pod of the new ReplicaSet bound to this node.
        case create(node: String)
        /// Delete (gracefully) this old pod.
        case delete(pod: String)
    }

    var replicas: Int
    var maxSurge: Int
    var maxUnavailable: Int
    var nodes: [String]

    /// True when the new ReplicaSet is complete and every old pod is gone.
    func isComplete(old: [PodView], new: [PodView]) -> Bool {
        old.isEmpty && new.filter { !$0.terminating && $0.ready }.count == replicas
            && new.filter { !$0.terminating }.count == replicas
    }

    /// The next sync's actions.
    func plan(old allOld: [PodView], new allNew: [PodView]) -> [Action] {
        let old = allOld.filter { !$0.terminating }
        let new = allNew.filter { !$0.terminating }
        let total = old.count + new.count
        let scaleUp = min(replicas + maxSurge - total, replicas - new.count)
        if scaleUp > 0 {
            return schedule(count: scaleUp, new: new)
        }
        let minAvailable = replicas - maxUnavailable
        let newUnavailable = new.filter { !$0.ready }.count
        let maxScaledDown = total - minAvailable - newUnavailable
        guard maxScaledDown > 0 else { return [] }
        let related = allOld + allNew
        let unhealthy = ranked(old.filter { !$0.ready }, related: related).prefix(maxScaledDown)
        let remaining = old.filter { pod in !unhealthy.contains { $0.name == pod.name } }
        let available = remaining.filter(\.ready).count + new.filter(\.ready).count
        let readyScaleDown = max(0, available - minAvailable)
        let ready = ranked(remaining, related: related).prefix(readyScaleDown)
        return (unhealthy + ready).map { .delete(pod: $0.name) }
    }

    /// Nodes for `count` new pods: fewest new pods first, then node order.
    private func schedule(count: Int, new: [PodView]) -> [Action] {
        var load = Dictionary(uniqueKeysWithValues: nodes.map { ($0, 0) })
        for pod in new { load[pod.node, default: 0] += 1 }
        return (0..<count).map { _ in
            let node = nodes.min { (load[$0] ?? 0, $0) < (load[$1] ?? 0, $1) } ?? nodes[0]
            load[node, default: 0] += 1
            return .create(node: node)
        }
    }

    /// Kubernetes' deletion order (controller.ActivePodsWithRanks, simplified to what these pods have).
    private func ranked(_ pods: [PodView], related: [PodView]) -> [PodView] {
        var crowd: [String: Int] = [:]
        for pod in related where !pod.terminating { crowd[pod.node, default: 0] += 1 }
        return pods.sorted { a, b in
            if a.ready != b.ready { return !a.ready }
            let (ca, cb) = (crowd[a.node] ?? 0, crowd[b.node] ?? 0)
            if ca != cb { return ca > cb }
            if a.created != b.created { return a.created > b.created }
            return a.name < b.name
        }
    }
}
