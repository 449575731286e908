/// How the MQTT tunnel treats commands and its event stream (the broker connection itself is
/// ``MQTTConfiguration``).
public struct MQTTTunnelOptions: Sendable, Hashable {
    /// Budgets of the commands.
    public var timeouts: CommandTimeouts
    /// An unanswered command is published again after this long (and after every reconnect),
    /// until its timeout. Commands go out at QoS 1, but a connection loss can still lose them.
    public var resendInterval: Duration
    /// Events buffered for a slow consumer before new ones are dropped (and counted).
    public var eventBufferSize: Int
    /// How long shutting down may wait for the network thread.
    public var shutdownTimeout: Duration

    public init(timeouts: CommandTimeouts = CommandTimeouts(), resendInterval: Duration = .seconds(30),
                eventBufferSize: Int = 10_000, shutdownTimeout: Duration = .seconds(3)) {
        self.timeouts = timeouts
        self.resendInterval = resendInterval
        self.eventBufferSize = eventBufferSize
        self.shutdownTimeout = shutdownTimeout
    }
}
