/// A transport between the controller and its bases (MQTT or HTTP), as the controller core sees it.
///
/// Every base report arrives on ``events`` (one consumer). Commands are `async`, bounded by a
/// timeout, and return the base's answer; the answer is *also* delivered as an event so the core
/// can stay level-triggered. Answers are correlated by base identity, command and biz key, never
/// by arrival order. A tunnel knows nothing about Kubernetes.
public protocol Tunnel: Sendable {
    /// Which transport this is.
    var kind: TunnelKind { get }

    /// Everything the bases report, in arrival order. Single consumer.
    var events: AsyncStream<BaseEvent> { get }

    /// Default budgets used by the convenience overloads.
    var timeouts: CommandTimeouts { get }

    /// Whether the tunnel can currently reach bases (MQTT: connected and subscribed); for readiness probes.
    var isReady: Bool { get }

    /// Runs the transport until the calling task is cancelled, then shuts down within a bounded
    /// time and finishes ``events``. Call once, in a long-lived task (a `ServiceGroup` service).
    func run() async throws(TunnelError)

    /// Whether ``batchInstall(_:on:timeout:)`` is available (HTTP only; MQTT bases batch-install
    /// in reaction to ``replyBaseline(_:to:timeout:)``).
    var supportsBatchInstall: Bool { get }

    /// Asks a base for its health figures.
    func health(of identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> HealthReport

    /// Asks a base for its full biz list.
    func queryAllBiz(of identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> BizListReport

    /// Installs one biz; returns when the base reports the result for that biz key.
    func install(_ biz: BizModel, on identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> BizOperationOutcome

    /// Uninstalls one biz; returns when the base reports the result for that biz key.
    func uninstall(_ biz: BizModel, on identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> BizOperationOutcome

    /// Installs several bizzes in one command.
    func batchInstall(_ bizzes: [BizModel], on identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> BatchInstallOutcome

    /// Tells the tunnel where a base it has not heard from yet can be reached (a replica that takes
    /// over a vnode knows the base's address from its Node). An address the tunnel learned from the
    /// base itself wins; a newer Node address replaces an older one. Tunnels that address bases by
    /// topic ignore it.
    func learnAddress(host: String, port: Int?, for identity: BaseIdentity)

    /// Answers a base's baseline query with the bizzes it should run.
    func replyBaseline(_ bizzes: [BizModel], to identity: BaseIdentity, timeout: Duration) async throws(TunnelError)
}

extension Tunnel {
    /// Topic-addressed tunnels (MQTT) need no address.
    public func learnAddress(host: String, port: Int?, for identity: BaseIdentity) {}

    /// ``health(of:timeout:)`` with the default budget.
    public func health(of identity: BaseIdentity) async throws(TunnelError) -> HealthReport {
        try await health(of: identity, timeout: timeouts.health)
    }

    /// ``queryAllBiz(of:timeout:)`` with the default budget.
    public func queryAllBiz(of identity: BaseIdentity) async throws(TunnelError) -> BizListReport {
        try await queryAllBiz(of: identity, timeout: timeouts.queryAllBiz)
    }

    /// ``install(_:on:timeout:)`` with the default budget.
    public func install(_ biz: BizModel, on identity: BaseIdentity) async throws(TunnelError) -> BizOperationOutcome {
        try await install(biz, on: identity, timeout: timeouts.install)
    }

    /// ``uninstall(_:on:timeout:)`` with the default budget.
    public func uninstall(_ biz: BizModel, on identity: BaseIdentity) async throws(TunnelError) -> BizOperationOutcome {
        try await uninstall(biz, on: identity, timeout: timeouts.uninstall)
    }

    /// ``batchInstall(_:on:timeout:)`` with the default budget.
    public func batchInstall(_ bizzes: [BizModel], on identity: BaseIdentity) async throws(TunnelError) -> BatchInstallOutcome {
        try await batchInstall(bizzes, on: identity, timeout: timeouts.batchInstall)
    }

    /// ``replyBaseline(_:to:timeout:)`` with the default budget.
    public func replyBaseline(_ bizzes: [BizModel], to identity: BaseIdentity) async throws(TunnelError) {
        try await replyBaseline(bizzes, to: identity, timeout: timeouts.publish)
    }
}
