/// `apps/v1` Deployment (subset): module Deployments, their replicas and pod template.
public struct Deployment: KubeResource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "apps", version: "v1", kind: "Deployment", plural: "deployments", isNamespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: DeploymentSpec?
    public var status: DeploymentStatus?

    public init(metadata: ObjectMeta, spec: DeploymentSpec? = nil, status: DeploymentStatus? = nil) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// `apps/v1` DeploymentSpec (subset); `strategy` is kept as raw JSON.
public struct DeploymentSpec: Codable, Sendable, Hashable {
    public var replicas: Int?
    public var selector: LabelSelectorSpec?
    public var template: PodTemplateSpec
    public var strategy: JSONValue?
    public var minReadySeconds: Int?
    public var revisionHistoryLimit: Int?
    public var paused: Bool?

    public init(replicas: Int?, selector: LabelSelectorSpec?, template: PodTemplateSpec, strategy: JSONValue? = nil) {
        self.replicas = replicas
        self.selector = selector
        self.template = template
        self.strategy = strategy
    }
}

/// `apps/v1` DeploymentStatus (subset).
public struct DeploymentStatus: Codable, Sendable, Hashable {
    public var observedGeneration: Int64?
    public var replicas: Int?
    public var updatedReplicas: Int?
    public var readyReplicas: Int?
    public var availableReplicas: Int?
    public var unavailableReplicas: Int?

    public init() {}
}

/// `apps/v1` ReplicaSet (subset): used by tests that stand in for the Deployment controller.
public struct ReplicaSet: KubeResource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "apps", version: "v1", kind: "ReplicaSet", plural: "replicasets", isNamespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ReplicaSetSpec?
    public var status: JSONValue?

    public init(metadata: ObjectMeta, spec: ReplicaSetSpec? = nil) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.spec = spec
    }
}

/// `apps/v1` ReplicaSetSpec (subset).
public struct ReplicaSetSpec: Codable, Sendable, Hashable {
    public var replicas: Int?
    public var selector: LabelSelectorSpec?
    public var template: PodTemplateSpec?

    public init(replicas: Int?, selector: LabelSelectorSpec?, template: PodTemplateSpec?) {
        self.replicas = replicas
        self.selector = selector
        self.template = template
    }
}

/// `core/v1` PodTemplateSpec.
public struct PodTemplateSpec: Codable, Sendable, Hashable {
    public var metadata: ObjectMeta?
    public var spec: PodSpec?

    public init(metadata: ObjectMeta?, spec: PodSpec?) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// `metav1.LabelSelector` as written in objects (`matchLabels` / `matchExpressions`).
public struct LabelSelectorSpec: Codable, Sendable, Hashable {
    public var matchLabels: [String: String]?
    public var matchExpressions: [LabelSelectorRequirement]?

    public init(matchLabels: [String: String]? = nil, matchExpressions: [LabelSelectorRequirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }
}

/// `metav1.LabelSelectorRequirement`.
public struct LabelSelectorRequirement: Codable, Sendable, Hashable {
    public var key: String
    public var `operator`: String
    public var values: [String]?

    public init(key: String, operator: String, values: [String]? = nil) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }
}

/// `core/v1` Service (subset): the kubelet-proxy Service lookup.
public struct Service: KubeResource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Service", plural: "services", isNamespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ServiceSpec?

    public init(metadata: ObjectMeta, spec: ServiceSpec? = nil) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.spec = spec
    }
}

/// `core/v1` ServiceSpec (subset).
public struct ServiceSpec: Codable, Sendable, Hashable {
    public var clusterIP: String?
    public var type: String?
    public var selector: [String: String]?
    public var ports: JSONValue?

    public init(clusterIP: String? = nil, type: String? = nil, selector: [String: String]? = nil,
        ports: JSONValue? = nil)
    {
        self.clusterIP = clusterIP
        self.type = type
        self.selector = selector
        self.ports = ports
    }
}

/// `core/v1` Namespace.
public struct Namespace: KubeResource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Namespace", plural: "namespaces", isNamespaced: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var status: JSONValue?

    public init(metadata: ObjectMeta) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
    }
}
