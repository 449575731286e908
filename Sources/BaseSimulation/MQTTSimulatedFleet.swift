import Arklet
import Foundation
import Logging

/// Many simulated MQTT bases answering over **one** broker connection: what thousands of
/// arklets look like to a controller, without a connection (and a network thread) per base.
///
/// Subscribes to `koupleless_<env>/+/+` and `koupleless_<env>/+/base/baseline` on every connect
/// and routes each command by the identity level of its topic to that base's
/// ``SimulatedArklet`` (messages for identities outside the fleet are ignored). On the first
/// connect every base publishes `queryBaseline` (T2) and starts heart-beating: its first
/// heartbeat after a random delay within ``startupSpread`` (all at once when zero, like bases
/// that start together), then one every ``SimulatedBaseConfiguration/heartbeatInterval`` give or
/// take ``heartbeatJitter``. Commands are handled concurrently and answered exactly as an
/// ``MQTTSimulatedBase`` answers them (both use the same responder).
///
/// The connection's client id is `<prefix>@@@<mqtt.clientID>`; a real broker ACL that ties
/// client ids to base identities would refuse it (a simulator, not a base).
public final class MQTTSimulatedFleet: Sendable {
    /// The simulated bases, in the order given.
    public let arklets: [SimulatedArklet]
    public let mqtt: MQTTConfiguration
    /// The first heartbeats are spread uniformly over this long.
    public let startupSpread: Duration
    /// Each heartbeat period is the interval ± up to this much.
    public let heartbeatJitter: Duration
    private let responders: [BaseIdentity: ArkletMQTTResponder]
    private let link: MQTTReportLink
    private let logger: Logger

    /// - Parameters:
    ///   - arklets: the bases; identities must be distinct.
    ///   - mqtt: broker settings; its `clientID` names the fleet's one connection.
    ///   - startupSpread: first heartbeats spread over this long (zero: all at once).
    ///   - heartbeatJitter: heartbeat periods vary by up to this much (default a tenth of a second).
    public init(arklets: [SimulatedArklet], mqtt: MQTTConfiguration, startupSpread: Duration = .zero,
                heartbeatJitter: Duration = .milliseconds(100), logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        precondition(Set(arklets.map(\.configuration.identity)).count == arklets.count, "fleet identities must be distinct")
        self.arklets = arklets
        self.mqtt = mqtt
        self.startupSpread = startupSpread
        self.heartbeatJitter = heartbeatJitter
        self.logger = logger
        // Every base may have reports waiting while disconnected.
        let link = MQTTReportLink(outboxLimit: 1_000 * max(1, arklets.count))
        self.link = link
        var responders: [BaseIdentity: ArkletMQTTResponder] = [:]
        for arklet in arklets {
            responders[arklet.configuration.identity] = ArkletMQTTResponder(arklet: arklet, topics: mqtt.topics, link: link,
                                                                            logger: logger, now: now)
        }
        self.responders = responders
    }

    /// Whether the fleet's connection is up and subscribed.
    public var isConnected: Bool { link.isConnected }

    /// The arklet of `identity`, if it is in the fleet.
    public func arklet(_ identity: BaseIdentity) -> SimulatedArklet? { responders[identity]?.arklet }

    /// Connects and behaves like every base of the fleet until the calling task is cancelled.
    /// One `run()` at a time.
    ///
    /// - Parameter deactivatedHeartbeatOnExit: on cancellation, every base publishes one
    ///   `DEACTIVATED` heartbeat before the connection closes (like the upstream Go mock).
    public func run(deactivatedHeartbeatOnExit: Bool = false) async {
        let topics = mqtt.topics
        let connection = MosquittoClient(
            options: .init(configuration: mqtt, clientIdentifier: mqtt.clientIdentifier,
                           subscriptions: ["\(topics.root)/+/+", "\(topics.root)/+/base/baseline"]),
            logger: logger)
        logger.info("simulated fleet connecting", metadata: ["bases": "\(arklets.count)"])
        let responders = self.responders
        await link.serve(connection, firstConnect: { group in
            startBases(in: &group)
        }, route: { message in
            guard let topic = try? topics.parse(message.topic), let responder = responders[topic.identity] else { return nil }
            return { await responder.handle(topic, payload: message.payload) }
        }, beforeDisconnect: {
            guard deactivatedHeartbeatOnExit else { return }
            for responder in responders.values { responder.publishHeartbeat(state: "DEACTIVATED") }
        })
    }

    private func startBases(in group: inout DiscardingTaskGroup) {
        let spreadSeconds = Double(startupSpread.components.seconds) + Double(startupSpread.components.attoseconds) / 1e18
        for responder in responders.values {
            responder.publishQueryBaseline()
            let delay = spreadSeconds > 0
                ? Duration.seconds(spreadSeconds * responder.arklet.configuration.random()) : .zero
            let jitter = heartbeatJitter
            group.addTask { await responder.heartBeat(firstDelay: delay, jitter: jitter) }
        }
    }
}
