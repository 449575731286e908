import Arklet
import Foundation
import Logging

/// A simulated base speaking the arklet MQTT protocol: what a real arklet does with
/// `koupleless.arklet.mqtt.enable=true`.
///
/// Connects as `<prefix>@@@<identity>`, subscribes to `koupleless_<env>/<id>/+` and
/// `…/base/baseline` on every connect; on the *first* connect publishes `queryBaseline` (T2)
/// and starts heart-beating (T1, first one immediately). Commands are handled concurrently, like
/// the arklet's thread pool: `health` → T8, `queryAllBiz` → T9, `installBiz`/`uninstallBiz` →
/// T11, a baseline (T3) → batch install → T12; other commands are refused (logged, no answer).
/// Reports that cannot be published while disconnected are kept and sent after reconnecting,
/// as the arklet's in-memory MQTT persistence does.
///
/// ``run()`` lasts until its task is cancelled and may be called again afterwards: cancel it and
/// call ``SimulatedArklet/crash()`` to simulate a JVM crash, then run again to restart with the
/// same identity and no bizzes. For many bases at once, ``MQTTSimulatedFleet`` answers for all of
/// them over one connection.
public final class MQTTSimulatedBase: Sendable {
    public let arklet: SimulatedArklet
    public let mqtt: MQTTConfiguration
    private let responder: ArkletMQTTResponder
    private let link = MQTTReportLink()

    /// - Parameter mqtt: broker settings; its `clientID` is replaced by the base identity.
    public init(arklet: SimulatedArklet, mqtt: MQTTConfiguration, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.arklet = arklet
        var mqtt = mqtt
        mqtt.clientID = arklet.configuration.identity.rawValue
        self.mqtt = mqtt
        self.responder = ArkletMQTTResponder(arklet: arklet, topics: mqtt.topics, link: link, logger: logger, now: now)
    }

    private var identity: BaseIdentity { arklet.configuration.identity }

    /// Whether the base is connected and subscribed.
    public var isConnected: Bool { link.isConnected }

    /// Connects and behaves like an arklet until the calling task is cancelled. Not re-entrant:
    /// one `run()` at a time.
    ///
    /// - Parameter deactivatedHeartbeatOnExit: on cancellation, publish one `DEACTIVATED`
    ///   heartbeat before disconnecting (the upstream Go mock does; a real arklet just goes silent).
    public func run(deactivatedHeartbeatOnExit: Bool = false) async {
        let connection = MosquittoClient(
            options: .init(configuration: mqtt, clientIdentifier: mqtt.clientIdentifier,
                           subscriptions: mqtt.topics.baseSubscriptions(for: identity)),
            logger: responder.logger)
        let responder = self.responder, topics = mqtt.topics, identity = self.identity
        await link.serve(connection, firstConnect: { group in
            responder.publishQueryBaseline()
            group.addTask { await responder.heartBeat() }
        }, route: { message in
            guard let topic = try? topics.parse(message.topic), topic.identity == identity else {
                responder.logger.debug("ignoring message", metadata: ["topic": "\(message.topic)"])
                return nil
            }
            return { await responder.handle(topic, payload: message.payload) }
        }, beforeDisconnect: {
            if deactivatedHeartbeatOnExit { responder.publishHeartbeat(state: "DEACTIVATED") }
        })
    }

    /// Publishes one heartbeat now (`state` `activated` like the arklet; mocks also use `DEACTIVATED`).
    public func publishHeartbeat(state: String = "activated") {
        responder.publishHeartbeat(state: state)
    }

    /// Publishes a baseline query (T2), as the arklet does on its first connect.
    public func publishQueryBaseline() {
        responder.publishQueryBaseline()
    }

    /// Publishes `payload` exactly as given on one of this base's report topics, for tests of
    /// what a controller does with empty, expired or failed messages.
    public func publishRaw(_ kind: BaseReportKind, payload: [UInt8]) {
        responder.publishRaw(kind, payload: payload)
    }
}
