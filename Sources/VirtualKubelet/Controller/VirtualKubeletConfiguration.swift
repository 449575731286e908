/// Settings of the ``VirtualKubeletController``; the defaults are the upstream ones (reference §7).
public struct VirtualKubeletConfiguration: Sendable, Hashable {
    /// `ENV`: the env label and taint value and the node-name suffix.
    public var env: String
    /// `CLIENT_ID`: this replica's identity as Lease holder. Keep it stable (pod name) so that a
    /// restarted replica recognises its own leases.
    public var clientID: String
    /// `VNODE_WORKER_NUM`: how many vnode reconciles run at once.
    public var workerCount: Int
    /// Lease duration (40 s) and renewal period (10 s).
    public var leaseDuration: Duration
    public var leaseRenewInterval: Duration
    /// A base without an ACTIVATED heartbeat or health answer for this long is unreachable: its
    /// Node and pods become not ready (25 s).
    public var unreachableAfter: Duration
    /// … and for this long dead: its Node and Lease are deleted (60 s).
    public var deadAfter: Duration
    /// How often the owner asks each base for its health (10 s) and its biz list (15 s).
    public var healthPollInterval: Duration
    public var bizListPollInterval: Duration
    /// Back-off of failed installs and uninstalls: doubling from the base delay up to the cap.
    public var operationRetryBaseDelay: Duration
    public var operationRetryMaxDelay: Duration
    /// How long a deleted pod waits for its bizzes to be uninstalled before it is removed anyway
    /// (never longer than the pod's own grace period).
    public var uninstallWaitTimeout: Duration
    /// A biz the base runs that no pod wants is uninstalled after this long (and only once this
    /// replica has owned the vnode that long), except bizzes of the base's baseline.
    public var orphanGracePeriod: Duration
    /// The `source.component` of Kubernetes Events.
    public var eventComponent: String
    /// `IS_CLUSTER`: replicas spread the vnodes evenly (``FairShare``); off, a replica takes every
    /// vnode whose Lease it finds free, as upstream.
    public var isCluster: Bool
    /// `WORKLOAD_MAX_LEVEL` (≥ 1): in cluster mode a replica stops taking new vnodes once it holds
    /// ⌈vnodes ÷ replicas⌉ + level − 1 of them (1: the strictly even split).
    public var workloadMaxLevel: Int
    /// Requests a second for Lease work (renewals, takeovers, releases), a budget of its own so
    /// that renewals never wait behind pod status writes: 1,000 vnodes renewed every 10 s need 100.
    public var leaseRequestsPerSecond: Double
    /// Requests a second for Kubernetes Events, a budget of its own so that a burst of installs'
    /// Events never delays status writes.
    public var eventRequestsPerSecond: Double

    public init(env: String = "dev", clientID: String, workerCount: Int = 8,
                leaseDuration: Duration = .seconds(40), leaseRenewInterval: Duration = .seconds(10),
                unreachableAfter: Duration = .seconds(25), deadAfter: Duration = .seconds(60),
                healthPollInterval: Duration = .seconds(10), bizListPollInterval: Duration = .seconds(15),
                operationRetryBaseDelay: Duration = .seconds(1), operationRetryMaxDelay: Duration = .seconds(300),
                uninstallWaitTimeout: Duration = .seconds(25), orphanGracePeriod: Duration = .seconds(120),
                eventComponent: String = "module-controller", isCluster: Bool = false, workloadMaxLevel: Int = 3,
                leaseRequestsPerSecond: Double = 300, eventRequestsPerSecond: Double = 50) {
        self.env = env
        self.clientID = clientID
        self.workerCount = workerCount
        self.leaseDuration = leaseDuration
        self.leaseRenewInterval = leaseRenewInterval
        self.unreachableAfter = unreachableAfter
        self.deadAfter = deadAfter
        self.healthPollInterval = healthPollInterval
        self.bizListPollInterval = bizListPollInterval
        self.operationRetryBaseDelay = operationRetryBaseDelay
        self.operationRetryMaxDelay = operationRetryMaxDelay
        self.uninstallWaitTimeout = uninstallWaitTimeout
        self.orphanGracePeriod = orphanGracePeriod
        self.eventComponent = eventComponent
        self.isCluster = isCluster
        self.workloadMaxLevel = workloadMaxLevel
        self.leaseRequestsPerSecond = leaseRequestsPerSecond
        self.eventRequestsPerSecond = eventRequestsPerSecond
    }

    /// Checks the settings; the error says which one to change and how.
    public func validate() throws(VirtualKubeletConfigurationError) {
        func fail(_ setting: String, _ message: String) -> VirtualKubeletConfigurationError {
            VirtualKubeletConfigurationError(setting: setting, message: message)
        }
        guard DNS1123.isLabel(env) else {
            throw fail("ENV", "\(env.debugDescription) must be a DNS-1123 label (lower-case letters, digits and '-', no dots), because it ends every node name")
        }
        guard !clientID.isEmpty, clientID.utf8.count <= 253 else {
            throw fail("CLIENT_ID", "must be non-empty and at most 253 characters; use the pod name")
        }
        guard workerCount >= 1 else { throw fail("VNODE_WORKER_NUM", "must be at least 1 (is \(workerCount))") }
        guard leaseRequestsPerSecond > 0, eventRequestsPerSecond > 0 else {
            throw fail("request budgets", "the Lease and Event requests per second must be positive")
        }
        guard leaseDuration >= .seconds(1), leaseRenewInterval > .zero, leaseRenewInterval < leaseDuration else {
            throw fail("lease", "the renew interval must be positive and shorter than the lease duration (at least 1 s)")
        }
        guard unreachableAfter > .zero, deadAfter > unreachableAfter else {
            throw fail("liveness", "the dead timeout must be longer than the unreachable timeout, both positive")
        }
        guard healthPollInterval > .zero, bizListPollInterval > .zero else {
            throw fail("polls", "health and biz list poll intervals must be positive")
        }
        guard workloadMaxLevel >= 1 else {
            throw fail("WORKLOAD_MAX_LEVEL", "must be at least 1 (is \(workloadMaxLevel)); 1 is the strictly even split")
        }
        guard operationRetryBaseDelay > .zero, operationRetryMaxDelay >= operationRetryBaseDelay else {
            throw fail("retry", "the retry base delay must be positive and not above the maximum delay")
        }
    }
}

/// A setting of ``VirtualKubeletConfiguration`` that cannot work, and what to change.
public struct VirtualKubeletConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var setting: String
    public var message: String

    public var description: String { "\(setting): \(message)" }
}
