import Logging
import VirtualKubelet

/// What a ``ScaleScenario`` run does: how many bases and pods, how fast they come, and how long
/// each phase may take. The controller runs with its production defaults
/// (``VirtualKubeletConfiguration``, `MQTTTunnelOptions`, the Kubernetes client's 100 QPS / 200
/// burst); only ``env`` and ``clientID`` are set.
public struct ScaleScenarioConfiguration: Sendable {
    /// Simulated bases (one ``BaseSimulation/MQTTSimulatedFleet`` connection answers for all of them).
    public var bases: Int
    /// Module pods per base, each with a biz of its own.
    public var podsPerBase: Int
    /// Pods created per second; `nil`: as fast as ``creationConcurrency`` requests in flight go.
    public var podCreationRate: Double?
    /// Create and delete requests in flight at once.
    public var creationConcurrency: Int
    /// How long the steady state is watched for API writes, after waiting ``settleDuration``
    /// once every pod is Ready (Events of the installs may still be on their way).
    public var steadyStateDuration: Duration
    public var settleDuration: Duration
    /// Pods deleted at the end (one per base, from the first base on).
    public var deletions: Int
    /// Base heartbeat period (arklet: 10 s) and the spread of the bases' first heartbeats.
    public var heartbeatInterval: Duration
    public var startupSpread: Duration
    /// How long a simulated install and uninstall take.
    public var installDuration: Duration
    public var uninstallDuration: Duration
    /// Deadline of each phase (vnodes ready, pods ready, pods deleted).
    public var phaseTimeout: Duration
    /// Lines added to the broker's configuration (the default lifts mosquitto's per-client queue
    /// of 1,000 QoS 1 messages: one connection carries every base's traffic here).
    public var brokerConfiguration: String
    public var env: String
    public var clientID: String
    /// Log level of the controller, tunnel and fleet (stderr).
    public var logLevel: Logger.Level

    public init(bases: Int = 1_000, podsPerBase: Int = 10, podCreationRate: Double? = nil, creationConcurrency: Int = 32,
                steadyStateDuration: Duration = .seconds(60), settleDuration: Duration = .seconds(5), deletions: Int? = nil, heartbeatInterval: Duration = .seconds(10),
                startupSpread: Duration = .zero, installDuration: Duration = .milliseconds(200),
                uninstallDuration: Duration = .milliseconds(50), phaseTimeout: Duration = .seconds(900),
                brokerConfiguration: String = "max_queued_messages 1000000\nset_tcp_nodelay true", env: String = "scale",
                clientID: String = "scale-controller", logLevel: Logger.Level = .error) {
        self.bases = bases
        self.podsPerBase = podsPerBase
        self.podCreationRate = podCreationRate
        self.creationConcurrency = creationConcurrency
        self.steadyStateDuration = steadyStateDuration
        self.settleDuration = settleDuration
        self.deletions = deletions ?? bases
        self.heartbeatInterval = heartbeatInterval
        self.startupSpread = startupSpread
        self.installDuration = installDuration
        self.uninstallDuration = uninstallDuration
        self.phaseTimeout = phaseTimeout
        self.brokerConfiguration = brokerConfiguration
        self.env = env
        self.clientID = clientID
        self.logLevel = logLevel
    }

    /// The scale target: 1,000 bases, 10,000 module pods.
    public static let target = ScaleScenarioConfiguration()

    /// A quick variant: 100 bases, 1,000 pods, 10 s of steady state.
    public static let small = ScaleScenarioConfiguration(bases: 100, steadyStateDuration: .seconds(10), phaseTimeout: .seconds(300))
}
