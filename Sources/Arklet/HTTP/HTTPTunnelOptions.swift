/// How the HTTP tunnel listens, whom it accepts, and how long its commands may take.
public struct HTTPTunnelOptions: Sendable, Hashable {
    /// The upstream listener port (`HTTP_TUNNEL_LISTEN_PORT`).
    public static let defaultPort = 7777

    /// Address to listen on (upstream: all interfaces).
    public var host: String
    /// Port to listen on; `0` picks a free one (read it from ``HTTPTunnel/port``).
    public var port: Int
    /// Budgets of the commands sent to arklets.
    public var timeouts: CommandTimeouts
    /// Refuse (`403`) a heartbeat whose `localIP` is not the address the request came from
    /// (contract §7). Off by default: behind a NAT or proxy the addresses differ.
    public var requireSourceAddressMatch: Bool
    /// When not empty, only peers inside one of these blocks may use the listener; others get
    /// `403` (contract §7).
    public var allowedCIDRs: [CIDRBlock]
    /// How long a `/queryBaseline` request waits for the controller's answer (the
    /// ``HTTPTunnel/setBaselineProvider(_:)`` closure or a ``HTTPTunnel/replyBaseline(_:to:timeout:)``)
    /// before it is answered with an empty baseline.
    public var baselineAnswerTimeout: Duration
    /// Largest request body accepted (the arklet's own limit is 1 MiB); larger ones get `413`.
    public var maxRequestBytes: Int
    /// Events buffered for a slow consumer before new ones are dropped (and counted).
    public var eventBufferSize: Int
    /// Once ``HTTPTunnel/run()`` is cancelled, requests in progress get this long to be answered
    /// (new connections are refused at once); then they are cut off (upstream: 5 s).
    public var shutdownGracePeriod: Duration

    public init(host: String = "0.0.0.0", port: Int = HTTPTunnelOptions.defaultPort,
                timeouts: CommandTimeouts = CommandTimeouts(), requireSourceAddressMatch: Bool = false,
                allowedCIDRs: [CIDRBlock] = [], baselineAnswerTimeout: Duration = .seconds(5),
                maxRequestBytes: Int = 1 << 20, eventBufferSize: Int = 10_000,
                shutdownGracePeriod: Duration = .seconds(5)) {
        self.host = host
        self.port = port
        self.timeouts = timeouts
        self.requireSourceAddressMatch = requireSourceAddressMatch
        self.allowedCIDRs = allowedCIDRs
        self.baselineAnswerTimeout = baselineAnswerTimeout
        self.maxRequestBytes = maxRequestBytes
        self.eventBufferSize = eventBufferSize
        self.shutdownGracePeriod = shutdownGracePeriod
    }
}
