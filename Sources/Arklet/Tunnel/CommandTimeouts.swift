/// How long each kind of command may take before it fails with ``TunnelError/timeout(command:identity:)``.
///
/// Install and uninstall run synchronously inside the arklet (the answer comes after the biz has
/// started or failed), so their budgets are long.
public struct CommandTimeouts: Sendable, Hashable {
    public var health: Duration
    public var queryAllBiz: Duration
    public var install: Duration
    public var uninstall: Duration
    public var batchInstall: Duration
    /// Handing a one-way message (baseline reply) to the transport.
    public var publish: Duration

    public init(health: Duration = .seconds(10), queryAllBiz: Duration = .seconds(15),
                install: Duration = .seconds(300), uninstall: Duration = .seconds(120),
                batchInstall: Duration = .seconds(600), publish: Duration = .seconds(10)) {
        self.health = health
        self.queryAllBiz = queryAllBiz
        self.install = install
        self.uninstall = uninstall
        self.batchInstall = batchInstall
        self.publish = publish
    }

    /// The same budget for every command (tests).
    public static func uniform(_ timeout: Duration) -> CommandTimeouts {
        CommandTimeouts(health: timeout, queryAllBiz: timeout, install: timeout, uninstall: timeout,
                        batchInstall: timeout, publish: timeout)
    }
}
