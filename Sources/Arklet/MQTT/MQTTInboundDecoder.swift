import Foundation

/// Turns one MQTT message from a base into a ``BaseEvent``, or says why it is dropped.
///
/// Pure: no I/O, time passed in. Expiry (T1, T2, T8–T10) is checked on the envelope header before
/// the payload is decoded. Identities come from the topic's second level, except for heartbeats
/// (T1), where upstream takes them from the payload.
struct MQTTInboundDecoder: Sendable {
    enum Outcome: Sendable {
        case event(BaseEvent)
        case dropped(DroppedMessageReason, detail: String)
    }

    let topics: ArkletTopics

    /// - Parameter requestedBaseline: the bizzes (by URL) we last sent a base as its baseline, to
    ///   name T12 entries the base reports without `bizInfos`.
    func decode(topic: String, payload: [UInt8], now: Date,
                requestedBaseline: (BaseIdentity) -> [String: BizModel] = { _ in [:] }) -> Outcome {
        let parsed: ArkletTopic
        do {
            parsed = try topics.parse(topic)
        } catch .invalidIdentity(let identity) {
            return .dropped(.invalidIdentity, detail: "identity \(identity.debugDescription) in \(topic)")
        } catch {
            return .dropped(.unknownTopic, detail: topic)
        }
        guard case .report(let identity, let kind) = parsed else {
            return .dropped(.unknownTopic, detail: topic)
        }
        do {
            let header = try WireCoding.decode(MQTTEnvelopeHeader.self, from: payload)
            if kind.isExpiryChecked, header.isExpired(now: now) {
                return .dropped(.expired, detail: "\(kind.rawValue) published at \(header.publishTimestamp)")
            }
            return try event(kind: kind, identity: identity, payload: payload, requestedBaseline: requestedBaseline)
        } catch {
            return .dropped(.malformed, detail: "\(kind.rawValue) from \(identity): \(error)")
        }
    }

    private func event(kind: BaseReportKind, identity: BaseIdentity, payload: [UInt8],
                       requestedBaseline: (BaseIdentity) -> [String: BizModel]) throws -> Outcome {
        switch kind {
        case .heart:
            let envelope = try WireCoding.decode(MQTTEnvelope<BaseStatus>.self, from: payload)
            let claimed = envelope.data.baseMetadata.identity
            guard let payloadIdentity = BaseIdentity(claimed) else {
                return .dropped(.invalidIdentity, detail: "heartbeat identity \(claimed.debugDescription)")
            }
            return .event(.heartbeat(payloadIdentity, envelope.data, via: .mqtt))
        case .queryBaseline:
            let envelope = try WireCoding.decode(MQTTEnvelope<BaseMetadata>.self, from: payload)
            return .event(.baselineQuery(identity, envelope.data))
        case .health:
            let envelope = try WireCoding.decode(MQTTEnvelope<ArkletResponse<HealthResponseData>>.self, from: payload)
            return .event(.health(identity, HealthReport(envelope.data, reportedAt: envelope.publishedAt)))
        case .simpleBiz:
            let envelope = try WireCoding.decode(MQTTEnvelope<[SimpleBizInfo]>.self, from: payload)
            let entries = envelope.data.map(BizStatusEntry.init)
            return .event(.bizList(identity, BizListReport(bizzes: entries, reportedAt: envelope.publishedAt)))
        case .biz:
            let envelope = try WireCoding.decode(MQTTEnvelope<ArkletResponse<[ArkBizInfo]>>.self, from: payload)
            guard envelope.data.code.isSuccess else {
                return .dropped(.unsuccessfulResponse, detail: "biz list code \(envelope.data.code.rawValue.debugDescription)")
            }
            let entries = BizStatusEntry.entries(from: envelope.data.data ?? [])
            return .event(.bizList(identity, BizListReport(bizzes: entries, reportedAt: envelope.publishedAt)))
        case .bizOperation:
            let envelope = try WireCoding.decode(MQTTEnvelope<BizOperationResult>.self, from: payload)
            guard envelope.data.command == .installBiz || envelope.data.command == .uninstallBiz else {
                return .dropped(.unsupportedCommand, detail: "bizOperation for \(envelope.data.command)")
            }
            return .event(.operationResult(identity, BizOperationOutcome(envelope.data, reportedAt: envelope.publishedAt)))
        case .batchInstallBizResponse:
            let envelope = try WireCoding.decode(MQTTEnvelope<BatchInstallResult>.self, from: payload)
            let outcome = BatchInstallOutcome(envelope.data.response, requested: requestedBaseline(identity),
                                              reportedAt: envelope.publishedAt)
            return .event(.batchInstallResult(identity, outcome))
        }
    }
}
