import Arklet

/// Who a simulated base is and how its simulated SOFAArk behaves.
public struct SimulatedBaseConfiguration: Sendable {
    public var identity: BaseIdentity
    /// Base name/version/cluster reported in heartbeats and baseline queries.
    public var metadata: BaseMetadata
    public var localIP: String
    public var localHostName: String
    /// Arklet heartbeat period (arklet: 10 s over MQTT, 12 s over HTTP).
    public var heartbeatInterval: Duration
    /// How long an install takes before its result is reported.
    public var installDuration: Duration
    /// Per biz name overrides of ``installDuration``.
    public var installDurations: [String: Duration] = [:]
    /// How long an uninstall takes.
    public var uninstallDuration: Duration
    /// Probability in `0...1` that an install fails.
    public var installFailureRate: Double
    /// Metaspace figures reported by `health`, in bytes (`-1` = unbounded).
    public var maxMetaspace: Int64
    public var committedMetaspace: Int64
    public var usedMetaspace: Int64
    /// Uniform random numbers in `0..<1` (failure draws).
    public var random: @Sendable () -> Double
    /// Keep every state the base's bizzes went through (``SimulatedArklet/stateHistory``), for
    /// tests that check what a base ran at every moment. Off by default: the history grows with
    /// every operation.
    public var recordsStateHistory = false
    /// Told of every install and uninstall when it reaches the arklet and when its answer is
    /// ready (benchmarks time the way through the base with it). Called on the arklet's actor:
    /// keep it short. `nil` by default.
    public var operationObserver: (@Sendable (SimulatedOperationEvent) -> Void)?

    public init(identity: BaseIdentity, name: String = "base", version: String = "1.0.0", clusterName: String = "default",
                localIP: String = "127.0.0.1", localHostName: String = "localhost",
                heartbeatInterval: Duration = .seconds(10), installDuration: Duration = .milliseconds(200),
                uninstallDuration: Duration = .milliseconds(50), installFailureRate: Double = 0,
                maxMetaspace: Int64 = 268_435_456, committedMetaspace: Int64 = 83_886_080, usedMetaspace: Int64 = 81_000_000,
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        self.identity = identity
        self.metadata = BaseMetadata(identity: identity.rawValue, name: name, version: version, clusterName: clusterName)
        self.localIP = localIP
        self.localHostName = localHostName
        self.heartbeatInterval = heartbeatInterval
        self.installDuration = installDuration
        self.uninstallDuration = uninstallDuration
        self.installFailureRate = installFailureRate
        self.maxMetaspace = maxMetaspace
        self.committedMetaspace = committedMetaspace
        self.usedMetaspace = usedMetaspace
        self.random = random
    }
}
