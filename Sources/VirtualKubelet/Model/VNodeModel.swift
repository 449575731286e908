import Arklet
import Foundation
import KubeClient

/// What the controller knows about a base that shapes its Node: from the last heartbeat, or, for a
/// node adopted at start-up before any heartbeat, from the existing Node.
public struct BaseProfile: Sendable, Hashable {
    public var metadata: BaseMetadata?
    public var localIP: String
    public var localHostName: String
    /// The arklet HTTP port (`0` over MQTT).
    public var port: Int

    public init(metadata: BaseMetadata?, localIP: String, localHostName: String, port: Int) {
        self.metadata = metadata
        self.localIP = localIP
        self.localHostName = localHostName
        self.port = port
    }

    public init(_ status: BaseStatus) {
        self.init(metadata: status.baseMetadata, localIP: status.localIP, localHostName: status.localHostName,
                  port: status.port)
    }

    /// From an existing Node: its InternalIP and Hostname addresses and base labels.
    public init(node: Node) {
        let addresses = node.status?.addresses ?? []
        let labels = node.metadata.labels ?? [:]
        self.init(metadata: nil,
                  localIP: addresses.first { $0.type == "InternalIP" }?.address ?? "",
                  localHostName: addresses.first { $0.type == "Hostname" }?.address
                      ?? labels[KouplelessKeys.baseHostName] ?? "",
                  port: labels[KouplelessKeys.tunnelPort].flatMap { Int($0) } ?? 0)
    }
}

/// Builds a base's virtual Node (reference §3.2, with contract §2's changes: `Ready=False` with a
/// reason while the base is unreachable, no `memory` resource for an unbounded metaspace) and
/// decides whether the API server's copy needs a write.
public enum VNodeModel {
    /// Pods a vnode can hold.
    public static let podCapacity = "65535"
    static let pressureConditions = ["MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable"]

    /// The labels a vnode carries. Values that are not valid label values become empty.
    public static func labels(name: VNodeName, base: BaseProfile) -> [String: String] {
        func value(_ text: String?) -> String {
            guard let text, DNS1123.isLabelValue(text) else { return "" }
            return text
        }
        var labels = [
            "type": "virtual-kubelet",
            "kubernetes.io/role": "agent",
            "kubernetes.io/hostname": value(base.localHostName),
            KouplelessKeys.baseHostName: value(base.localHostName),
            KouplelessKeys.component: KouplelessKeys.vnodeComponent,
            KouplelessKeys.env: name.env,
        ]
        if let metadata = base.metadata {
            labels[KouplelessKeys.baseName] = value(metadata.name)
            labels[KouplelessKeys.baseVersion] = value(metadata.version)
            labels[KouplelessKeys.baseClusterName] = value(metadata.clusterName)
        }
        if base.port != 0 { labels[KouplelessKeys.tunnelPort] = String(base.port) }
        return labels
    }

    /// The taints of a new vnode: module pods must tolerate both.
    public static func taints(env: String) -> [Taint] {
        [Taint(key: KouplelessKeys.virtualNodeTaint, value: "True", effect: "NoExecute"),
         Taint(key: KouplelessKeys.nodeEnvTaint, value: env, effect: "NoExecute")]
    }

    /// `memory` capacity and allocatable from metaspace (`<bytes/1024>Ki`); `nil` when unbounded or unknown.
    public static func memory(_ health: HealthData?) -> (capacity: String, allocatable: String)? {
        guard let max = health?.maxMetaspace, max > 0 else { return nil }
        let committed = Swift.max(0, health?.committedMetaspace ?? 0)
        return ("\(max / 1024)Ki", "\(Swift.max(0, max - committed) / 1024)Ki")
    }

    /// The status the node should have. `current` supplies transition times (and the memory figures
    /// when no health report arrived yet).
    public static func status(
        base: BaseProfile, health: HealthData?, reachability: BaseReachability, current: NodeStatus?, now: Date
    ) -> NodeStatus {
        let stamp = WholeSeconds.time(now)
        func condition(_ type: String, _ status: String, reason: String, message: String) -> NodeCondition {
            let previous = current?.condition(type)
            let transition = previous?.status == status ? (previous?.lastTransitionTime ?? stamp) : stamp
            return NodeCondition(type: type, status: status, lastHeartbeatTime: stamp, lastTransitionTime: transition,
                                 reason: reason, message: message)
        }
        var conditions: [NodeCondition] = []
        switch reachability {
        case .reachable:
            conditions.append(condition("Ready", "True", reason: "BaseReady", message: "the base is reachable and activated"))
        case .unreachable(let reason, let message):
            conditions.append(condition("Ready", "False", reason: reason, message: message))
        }
        for type in pressureConditions {
            conditions.append(condition(type, "False", reason: "BaseHasNo\(type)", message: "not applicable to a base"))
        }
        var addresses = [NodeAddress(type: "InternalIP", address: base.localIP.isEmpty ? "127.0.0.1" : base.localIP)]
        if !base.localHostName.isEmpty { addresses.append(NodeAddress(type: "Hostname", address: base.localHostName)) }
        var capacity = ["pods": podCapacity]
        var allocatable = ["pods": podCapacity]
        if let memory = memory(health) {
            capacity["memory"] = memory.capacity
            allocatable["memory"] = memory.allocatable
        } else if health == nil {
            capacity["memory"] = current?.capacity?["memory"]
            allocatable["memory"] = current?.allocatable?["memory"]
        }
        return NodeStatus(phase: "Running", conditions: conditions, addresses: addresses, capacity: capacity,
                          allocatable: allocatable)
    }

    /// A new Node object.
    public static func node(name: VNodeName, base: BaseProfile, status: NodeStatus) -> Node {
        var node = Node(metadata: ObjectMeta(name: name.rawValue, labels: labels(name: name, base: base)),
                        spec: NodeSpec(taints: taints(env: name.env)), status: status)
        node.setTypeMeta()
        return node
    }

    /// Whether the server's status differs from `desired` in what this controller owns (heartbeat
    /// and transition times are not compared).
    public static func differs(current: NodeStatus?, desired: NodeStatus) -> Bool {
        OwnedNodeStatus(current) != OwnedNodeStatus(desired)
    }

    /// The labels to change on the server's node (`nil` values remove); empty when none.
    public static func labelChanges(current: [String: String]?, desired: [String: String]) -> [String: String?] {
        var changes: [String: String?] = [:]
        let current = current ?? [:]
        for (key, value) in desired where current[key] != value { changes[key] = .some(value) }
        if desired[KouplelessKeys.tunnelPort] == nil, current[KouplelessKeys.tunnelPort] != nil {
            changes[KouplelessKeys.tunnelPort] = .some(nil)
        }
        return changes
    }

    /// The strategic merge patch writing `desired` over `current` (resources the node should no
    /// longer have are removed).
    public static func statusPatch(current: NodeStatus?, desired: NodeStatus) throws -> JSONValue {
        var status = try JSONValue(encoding: desired)
        for field in ["capacity", "allocatable"] {
            let had = field == "capacity" ? current?.capacity : current?.allocatable
            let wants = field == "capacity" ? desired.capacity : desired.allocatable
            for key in (had ?? [:]).keys where wants?[key] == nil {
                status.set(.null, at: [field, key])
            }
        }
        return ["status": status]
    }
}

/// The part of a node status this controller owns, normalised for comparison.
private struct OwnedNodeStatus: Equatable {
    struct Condition: Equatable {
        var status: String
        var reason: String?
        var message: String?
    }

    var phase: String?
    var conditions: [String: Condition]
    var addresses: Set<NodeAddress>
    var capacity: [String: String]
    var allocatable: [String: String]

    init(_ status: NodeStatus?) {
        phase = status?.phase
        conditions = [:]
        for condition in status?.conditions ?? [] {
            conditions[condition.type] = Condition(status: condition.status, reason: condition.reason, message: condition.message)
        }
        addresses = Set(status?.addresses ?? [])
        capacity = status?.capacity ?? [:]
        allocatable = status?.allocatable ?? [:]
    }
}
