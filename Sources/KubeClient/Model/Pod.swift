/// `core/v1` Pod, with the fields module-controller reads and writes.
public struct Pod: KubeResource, Hashable {
    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Pod", plural: "pods", isNamespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PodSpec?
    public var status: PodStatus?

    public init(metadata: ObjectMeta, spec: PodSpec? = nil, status: PodStatus? = nil) {
        self.apiVersion = Self.descriptor.apiVersion
        self.kind = Self.descriptor.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// `core/v1` PodSpec (subset). Scheduling fields we never interpret are kept as raw JSON.
public struct PodSpec: Codable, Sendable, Hashable {
    public var nodeName: String?
    public var containers: [Container]
    public var initContainers: [Container]?
    public var restartPolicy: String?
    public var terminationGracePeriodSeconds: Int64?
    public var activeDeadlineSeconds: Int64?
    public var schedulerName: String?
    public var nodeSelector: [String: String]?
    public var tolerations: [Toleration]?
    public var affinity: JSONValue?
    public var serviceAccountName: String?
    public var priority: Int64?

    public init(nodeName: String? = nil, containers: [Container], tolerations: [Toleration]? = nil,
        nodeSelector: [String: String]? = nil, affinity: JSONValue? = nil, restartPolicy: String? = nil,
        terminationGracePeriodSeconds: Int64? = nil)
    {
        self.nodeName = nodeName
        self.containers = containers
        self.tolerations = tolerations
        self.nodeSelector = nodeSelector
        self.affinity = affinity
        self.restartPolicy = restartPolicy
        self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
    }
}

/// `core/v1` Container (subset): for a module pod, name = biz name, image = biz URL,
/// env `BIZ_VERSION` = biz version.
public struct Container: Codable, Sendable, Hashable {
    public var name: String
    public var image: String?
    public var env: [EnvVar]?
    public var resources: JSONValue?
    public var ports: JSONValue?
    public var args: [String]?
    public var command: [String]?
    public var imagePullPolicy: String?

    public init(name: String, image: String? = nil, env: [EnvVar]? = nil, resources: JSONValue? = nil) {
        self.name = name
        self.image = image
        self.env = env
        self.resources = resources
    }

    /// The value of a literal environment variable (`valueFrom` sources are not resolved).
    public func environmentValue(_ name: String) -> String? {
        env?.first(where: { $0.name == name })?.value
    }
}

/// `core/v1` EnvVar; `valueFrom` is kept as raw JSON.
public struct EnvVar: Codable, Sendable, Hashable {
    public var name: String
    public var value: String?
    public var valueFrom: JSONValue?

    public init(name: String, value: String?) {
        self.name = name
        self.value = value
    }
}

/// `core/v1` Toleration.
public struct Toleration: Codable, Sendable, Hashable {
    public var key: String?
    public var `operator`: String?
    public var value: String?
    public var effect: String?
    public var tolerationSeconds: Int64?

    public init(key: String?, operator: String? = "Equal", value: String? = nil, effect: String? = nil,
        tolerationSeconds: Int64? = nil)
    {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }
}

/// `core/v1` PodStatus.
public struct PodStatus: Codable, Sendable, Hashable {
    public var phase: String?
    public var conditions: [PodCondition]?
    public var message: String?
    public var reason: String?
    public var hostIP: String?
    public var hostIPs: [PodIP]?
    public var podIP: String?
    public var podIPs: [PodIP]?
    public var startTime: KubeTime?
    public var containerStatuses: [ContainerStatus]?
    public var qosClass: String?

    public init(phase: String? = nil, conditions: [PodCondition]? = nil, hostIP: String? = nil,
        podIP: String? = nil, startTime: KubeTime? = nil, containerStatuses: [ContainerStatus]? = nil)
    {
        self.phase = phase
        self.conditions = conditions
        self.hostIP = hostIP
        self.podIP = podIP
        self.startTime = startTime
        self.containerStatuses = containerStatuses
    }

    /// The condition of a type (`Ready`, `ContainersReady`, `PodScheduled`, …).
    public func condition(_ type: String) -> PodCondition? {
        conditions?.first(where: { $0.type == type })
    }
}

/// `core/v1` PodIP.
public struct PodIP: Codable, Sendable, Hashable {
    public var ip: String
    public init(ip: String) { self.ip = ip }
}

/// `core/v1` PodCondition.
public struct PodCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var lastProbeTime: KubeTime?
    public var lastTransitionTime: KubeTime?
    public var reason: String?
    public var message: String?

    public init(type: String, status: String, lastTransitionTime: KubeTime? = nil, reason: String? = nil,
        message: String? = nil)
    {
        self.type = type
        self.status = status
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}

/// `core/v1` ContainerStatus.
public struct ContainerStatus: Codable, Sendable, Hashable {
    public var name: String
    public var state: ContainerState?
    public var lastState: ContainerState?
    public var ready: Bool
    public var restartCount: Int
    public var image: String
    public var imageID: String
    public var containerID: String?
    public var started: Bool?

    public init(name: String, state: ContainerState?, ready: Bool, restartCount: Int = 0, image: String,
        imageID: String, containerID: String? = nil, started: Bool? = nil)
    {
        self.name = name
        self.state = state
        self.ready = ready
        self.restartCount = restartCount
        self.image = image
        self.imageID = imageID
        self.containerID = containerID
        self.started = started
    }
}

/// `core/v1` ContainerState: at most one of the three is set.
public struct ContainerState: Codable, Sendable, Hashable {
    public var waiting: ContainerStateWaiting?
    public var running: ContainerStateRunning?
    public var terminated: ContainerStateTerminated?

    public init(waiting: ContainerStateWaiting? = nil, running: ContainerStateRunning? = nil,
        terminated: ContainerStateTerminated? = nil)
    {
        self.waiting = waiting
        self.running = running
        self.terminated = terminated
    }
}

/// `core/v1` ContainerStateWaiting.
public struct ContainerStateWaiting: Codable, Sendable, Hashable {
    public var reason: String?
    public var message: String?
    public init(reason: String? = nil, message: String? = nil) {
        self.reason = reason
        self.message = message
    }
}

/// `core/v1` ContainerStateRunning.
public struct ContainerStateRunning: Codable, Sendable, Hashable {
    public var startedAt: KubeTime?
    public init(startedAt: KubeTime? = nil) { self.startedAt = startedAt }
}

/// `core/v1` ContainerStateTerminated.
public struct ContainerStateTerminated: Codable, Sendable, Hashable {
    public var exitCode: Int
    public var reason: String?
    public var message: String?
    public var startedAt: KubeTime?
    public var finishedAt: KubeTime?
    public var containerID: String?

    public init(exitCode: Int, reason: String? = nil, message: String? = nil, startedAt: KubeTime? = nil,
        finishedAt: KubeTime? = nil)
    {
        self.exitCode = exitCode
        self.reason = reason
        self.message = message
        self.startedAt = startedAt
        self.finishedAt = finishedAt
    }
}
