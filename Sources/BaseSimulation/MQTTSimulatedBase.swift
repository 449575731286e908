import Arklet
import Foundation
import Logging
import Synchronization

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
/// same identity and no bizzes.
public final class MQTTSimulatedBase: Sendable {
    public let arklet: SimulatedArklet
    public let mqtt: MQTTConfiguration
    private let topics: ArkletTopics
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let client = Mutex<MosquittoClientBox?>(nil)
    private let outbox = Mutex<[MQTTMessage]>([])
    private static let outboxLimit = 1_000

    /// - Parameter mqtt: broker settings; its `clientID` is replaced by the base identity.
    public init(arklet: SimulatedArklet, mqtt: MQTTConfiguration, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.arklet = arklet
        var mqtt = mqtt
        mqtt.clientID = arklet.configuration.identity.rawValue
        self.mqtt = mqtt
        self.topics = mqtt.topics
        var logger = logger
        logger[metadataKey: "vnode"] = "\(arklet.configuration.identity)"
        logger[metadataKey: "tunnel"] = "mqtt"
        self.logger = logger
        self.now = now
    }

    private var identity: BaseIdentity { arklet.configuration.identity }

    /// Whether the base is connected and subscribed.
    public var isConnected: Bool { client.withLock { $0?.client.isConnected ?? false } }

    /// Connects and behaves like an arklet until the calling task is cancelled. Not re-entrant:
    /// one `run()` at a time.
    ///
    /// - Parameter deactivatedHeartbeatOnExit: on cancellation, publish one `DEACTIVATED`
    ///   heartbeat before disconnecting (the upstream Go mock does; a real arklet just goes silent).
    public func run(deactivatedHeartbeatOnExit: Bool = false) async {
        let connection = MosquittoClient(
            options: .init(configuration: mqtt, clientIdentifier: mqtt.clientIdentifier,
                           subscriptions: topics.baseSubscriptions(for: identity)),
            logger: logger)
        client.withLock { $0 = MosquittoClientBox(client: connection) }
        connection.start()
        await withDiscardingTaskGroup { group in
            var firstConnect = true
            for await event in connection.events {
                switch event {
                case .ready:
                    flushOutbox()
                    if firstConnect {
                        firstConnect = false
                        publishQueryBaseline()
                        group.addTask { await self.heartBeat() }
                    }
                case .message(let message):
                    group.addTask { await self.handle(message) }
                case .connectFailed, .disconnected, .oversized:
                    break
                }
            }
            group.cancelAll()
        }
        if deactivatedHeartbeatOnExit { publishHeartbeat(state: "DEACTIVATED") }
        await connection.stop()
        client.withLock { $0 = nil }
    }

    /// Publishes one heartbeat now (`state` `activated` like the arklet; mocks also use `DEACTIVATED`).
    public func publishHeartbeat(state: String = "activated") {
        let configuration = arklet.configuration
        let status = BaseStatus(baseMetadata: configuration.metadata, localIP: configuration.localIP,
                                localHostName: configuration.localHostName, port: 0, state: state)
        publish(.heart, status, keepIfDisconnected: false)
    }

    /// Publishes a baseline query (T2), as the arklet does on its first connect.
    public func publishQueryBaseline() {
        publish(.queryBaseline, arklet.configuration.metadata, keepIfDisconnected: true)
    }

    private func heartBeat() async {
        while !Task.isCancelled {
            publishHeartbeat()
            try? await Task.sleep(for: arklet.configuration.heartbeatInterval)
        }
    }

    private func handle(_ message: MQTTMessage) async {
        let topic: ArkletTopic
        do {
            topic = try topics.parse(message.topic)
        } catch {
            logger.debug("ignoring message", metadata: ["topic": "\(message.topic)"])
            return
        }
        guard topic.identity == identity else { return }
        switch topic {
        case .command(_, .health):
            publish(.health, await arklet.health())
        case .command(_, .queryAllBiz):
            publish(.simpleBiz, await arklet.simpleBizList())
        case .command(_, let command) where command == .installBiz || command == .uninstallBiz:
            guard let biz = try? WireCoding.decode(BizModel.self, from: message.payload) else {
                logger.info("malformed biz command", metadata: ["command": "\(command)"])
                return
            }
            let response = command == .installBiz ? await arklet.install(biz) : await arklet.uninstall(biz)
            guard let response else { return }
            publish(.bizOperation, BizOperationResult(command: command, bizName: biz.bizName, bizVersion: biz.bizVersion,
                                                      response: response))
        case .command(_, let command):
            _ = await arklet.handle(command, body: message.payload)
            logger.info("unsupported command", metadata: ["command": "\(command)"])
        case .baseline:
            guard let bizzes = try? WireCoding.decode([BizModel].self, from: message.payload) else {
                logger.info("malformed baseline")
                return
            }
            guard let response = await arklet.batchInstall(bizzes) else { return }
            publish(.batchInstallBizResponse, BatchInstallResult(response: response))
        case .report:
            break
        }
    }

    /// Publishes `payload` exactly as given on one of this base's report topics, for tests of
    /// what a controller does with empty, expired or failed messages.
    public func publishRaw(_ kind: BaseReportKind, payload: [UInt8]) {
        publish(MQTTMessage(topic: topics.report(kind, for: identity), payload: payload), keepIfDisconnected: false)
    }

    private func publish<T: Codable & Sendable>(_ kind: BaseReportKind, _ data: T, keepIfDisconnected: Bool = true) {
        let message: MQTTMessage
        do {
            let payload = try WireCoding.encode(MQTTEnvelope(data: data, publishedAt: now()))
            message = MQTTMessage(topic: topics.report(kind, for: identity), payload: payload)
        } catch {
            logger.error("cannot encode report", metadata: ["kind": "\(kind.rawValue)", "error": "\(error)"])
            return
        }
        publish(message, keepIfDisconnected: keepIfDisconnected)
    }

    private func publish(_ message: MQTTMessage, keepIfDisconnected: Bool) {
        do {
            try client.withLock { box throws(MosquittoPublishError) in
                guard let box else { throw .notConnected }
                try box.client.publish(topic: message.topic, payload: message.payload)
            }
        } catch {
            guard keepIfDisconnected else { return }
            outbox.withLock { queued in
                if queued.count < Self.outboxLimit { queued.append(message) }
            }
        }
    }

    private func flushOutbox() {
        let queued = outbox.withLock { queued in
            defer { queued = [] }
            return queued
        }
        for (index, message) in queued.enumerated() {
            do {
                try client.withLock { box throws(MosquittoPublishError) in
                    guard let box else { throw .notConnected }
                    try box.client.publish(topic: message.topic, payload: message.payload)
                }
            } catch {
                outbox.withLock { $0.insert(contentsOf: queued[index...], at: 0) }
                return
            }
        }
    }
}

/// Holds the current connection so publishers can reach it.
private struct MosquittoClientBox: Sendable {
    let client: MosquittoClient
}
