/// `core/v1` Node, with the fields a virtual node carries.
public struct Node: KubeResource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Node", plural: "nodes", isNamespaced: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: NodeSpec?
    public var status: NodeStatus?

    public init(metadata: ObjectMeta, spec: NodeSpec? = nil, status: NodeStatus? = nil) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// `core/v1` NodeSpec (subset).
public struct NodeSpec: Codable, Sendable, Hashable {
    public var taints: [Taint]?
    public var unschedulable: Bool?
    public var podCIDR: String?
    public var providerID: String?

    public init(taints: [Taint]? = nil, unschedulable: Bool? = nil) {
        self.taints = taints
        self.unschedulable = unschedulable
    }
}

/// `core/v1` Taint.
public struct Taint: Codable, Sendable, Hashable {
    public var key: String
    public var value: String?
    public var effect: String
    public var timeAdded: KubeTime?

    public init(key: String, value: String?, effect: String) {
        self.key = key
        self.value = value
        self.effect = effect
    }
}

/// `core/v1` NodeStatus (subset). Quantities are kept as strings (`"65535"`, `"262144Ki"`).
public struct NodeStatus: Codable, Sendable, Hashable {
    public var phase: String?
    public var conditions: [NodeCondition]?
    public var addresses: [NodeAddress]?
    public var capacity: [String: String]?
    public var allocatable: [String: String]?
    public var nodeInfo: JSONValue?
    public var daemonEndpoints: JSONValue?

    public init(phase: String? = nil, conditions: [NodeCondition]? = nil, addresses: [NodeAddress]? = nil,
        capacity: [String: String]? = nil, allocatable: [String: String]? = nil)
    {
        self.phase = phase
        self.conditions = conditions
        self.addresses = addresses
        self.capacity = capacity
        self.allocatable = allocatable
    }

    /// The condition of a type (`Ready`, `MemoryPressure`, …).
    public func condition(_ type: String) -> NodeCondition? {
        conditions?.first(where: { $0.type == type })
    }
}

/// `core/v1` NodeCondition.
public struct NodeCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var lastHeartbeatTime: KubeTime?
    public var lastTransitionTime: KubeTime?
    public var reason: String?
    public var message: String?

    public init(type: String, status: String, lastHeartbeatTime: KubeTime? = nil,
        lastTransitionTime: KubeTime? = nil, reason: String? = nil, message: String? = nil)
    {
        self.type = type
        self.status = status
        self.lastHeartbeatTime = lastHeartbeatTime
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}

/// `core/v1` NodeAddress.
public struct NodeAddress: Codable, Sendable, Hashable {
    public var type: String
    public var address: String

    public init(type: String, address: String) {
        self.type = type
        self.address = address
    }
}
