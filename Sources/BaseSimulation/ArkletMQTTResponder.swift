import Arklet
import Foundation
import Logging

/// What one simulated arklet does on MQTT, whatever connection carries it: answers the commands
/// sent to its topics and publishes its reports (T1, T2, T8, T9, T11, T12) through a
/// ``MQTTReportLink``. Shared by ``MQTTSimulatedBase`` (one arklet, one connection) and
/// ``MQTTSimulatedFleet`` (many arklets, one connection).
struct ArkletMQTTResponder: Sendable {
    let arklet: SimulatedArklet
    let topics: ArkletTopics
    let link: MQTTReportLink
    let logger: Logger
    let now: @Sendable () -> Date

    init(arklet: SimulatedArklet, topics: ArkletTopics, link: MQTTReportLink, logger: Logger,
         now: @escaping @Sendable () -> Date) {
        self.arklet = arklet
        self.topics = topics
        self.link = link
        var logger = logger
        logger[metadataKey: "vnode"] = "\(arklet.configuration.identity)"
        logger[metadataKey: "tunnel"] = "mqtt"
        self.logger = logger
        self.now = now
    }

    var identity: BaseIdentity { arklet.configuration.identity }

    /// Handles a message on one of this arklet's topics (`topic.identity` is this arklet's):
    /// `health` → T8, `queryAllBiz` → T9, `installBiz`/`uninstallBiz` → T11, a baseline (T3) →
    /// batch install → T12; other commands are refused (logged, no answer).
    func handle(_ topic: ArkletTopic, payload: [UInt8]) async {
        switch topic {
        case .command(_, .health):
            publish(.health, await arklet.health())
        case .command(_, .queryAllBiz):
            publish(.simpleBiz, await arklet.simpleBizList())
        case .command(_, let command) where command == .installBiz || command == .uninstallBiz:
            guard let biz = try? WireCoding.decode(BizModel.self, from: payload) else {
                logger.info("malformed biz command", metadata: ["command": "\(command)"])
                return
            }
            let response = command == .installBiz ? await arklet.install(biz) : await arklet.uninstall(biz)
            guard let response else { return }
            publish(.bizOperation, BizOperationResult(command: command, bizName: biz.bizName, bizVersion: biz.bizVersion,
                                                      response: response))
        case .command(_, let command):
            _ = await arklet.handle(command, body: payload)
            logger.info("unsupported command", metadata: ["command": "\(command)"])
        case .baseline:
            guard let bizzes = try? WireCoding.decode([BizModel].self, from: payload) else {
                logger.info("malformed baseline")
                return
            }
            guard let response = await arklet.batchInstall(bizzes) else { return }
            publish(.batchInstallBizResponse, BatchInstallResult(response: response))
        case .report:
            break
        }
    }

    /// Heart-beats until the calling task is cancelled: the first heartbeat after `firstDelay`,
    /// then one every ``SimulatedBaseConfiguration/heartbeatInterval``, each period stretched or
    /// shortened by up to `jitter` (a uniform draw of ``SimulatedBaseConfiguration/random``).
    func heartBeat(firstDelay: Duration = .zero, jitter: Duration = .zero) async {
        if firstDelay > .zero {
            do { try await Task.sleep(for: firstDelay) } catch { return }
        }
        let configuration = arklet.configuration
        while !Task.isCancelled {
            publishHeartbeat()
            let offset = jitter * ((configuration.random() * 2) - 1)
            do { try await Task.sleep(for: configuration.heartbeatInterval + offset) } catch { return }
        }
    }

    /// Publishes one heartbeat now (`state` `activated` like the arklet; mocks also use `DEACTIVATED`).
    func publishHeartbeat(state: String = "activated") {
        let configuration = arklet.configuration
        let status = BaseStatus(baseMetadata: configuration.metadata, localIP: configuration.localIP,
                                localHostName: configuration.localHostName, port: 0, state: state)
        publish(.heart, status, keepIfDisconnected: false)
    }

    /// Publishes a baseline query (T2), as the arklet does on its first connect.
    func publishQueryBaseline() {
        publish(.queryBaseline, arklet.configuration.metadata, keepIfDisconnected: true)
    }

    /// Publishes `payload` exactly as given on one of this arklet's report topics.
    func publishRaw(_ kind: BaseReportKind, payload: [UInt8]) {
        link.publish(MQTTMessage(topic: topics.report(kind, for: identity), payload: payload), keepIfDisconnected: false)
    }

    private func publish<T: Codable & Sendable>(_ kind: BaseReportKind, _ data: T, keepIfDisconnected: Bool = true) {
        let payload: [UInt8]
        do {
            payload = try WireCoding.encode(MQTTEnvelope(data: data, publishedAt: now()))
        } catch {
            logger.error("cannot encode report", metadata: ["kind": "\(kind.rawValue)", "error": "\(error)"])
            return
        }
        link.publish(MQTTMessage(topic: topics.report(kind, for: identity), payload: payload),
                     keepIfDisconnected: keepIfDisconnected)
    }
}
