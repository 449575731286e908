import Foundation
import Hummingbird
import Logging

/// The HTTP tunnel's listener: `/heartbeat` and `/queryBaseline`, answered exactly as upstream.
extension HTTPTunnel {
    func respond(to request: Request, context: PeerAddressRequestContext) async -> Response {
        let path = request.uri.path
        var logger = logger
        logger[metadataKey: "path"] = "\(path)"
        logger[metadataKey: "peer"] = "\(context.peerAddress ?? "unknown")"
        if let refusal = checkAllowed(peer: context.peerAddress, logger: logger) { return refusal }
        guard path == "/heartbeat" || path == "/queryBaseline" else { return ListenerAnswer.notFound }
        guard request.method == .post else { return ListenerAnswer.methodNotAllowed }
        let body: [UInt8]
        do {
            var request = request
            body = Array(try await request.collectBody(upTo: options.maxRequestBytes).readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            droppedMessages.record(.oversized)
            logger.debug("request body too large")
            return ListenerAnswer.text(.contentTooLarge, "request body larger than \(options.maxRequestBytes) bytes")
        } catch {
            logger.debug("request body unreadable", metadata: ["error": "\(error)"])
            return ListenerAnswer.text(.badRequest, "\(error)")
        }
        return path == "/heartbeat"
            ? heartbeat(body, peer: context.peerAddress, logger: logger)
            : await queryBaseline(body, logger: logger)
    }

    // MARK: - Routes

    private func heartbeat(_ body: [UInt8], peer: String?, logger: Logger) -> Response {
        let status: BaseStatus
        switch decode(BaseStatus.self, from: body, logger: logger) {
        case .value(let decoded): status = decoded
        case .refused(let answer): return answer
        }
        guard let identity = validIdentity(status.baseMetadata.identity, logger: logger) else {
            return ListenerAnswer.text(.badRequest, "invalid base identity \(status.baseMetadata.identity.debugDescription)")
        }
        var logger = logger
        logger[metadataKey: "vnode"] = "\(identity)"
        if options.requireSourceAddressMatch, let refusal = checkSource(of: status, peer: peer, logger: logger) {
            return refusal
        }
        if let address = ArkletAddressBook.address(from: status, peer: peer) {
            addresses.set(address, for: identity)
        }
        logger.trace("heartbeat", metadata: ["state": "\(status.state)", "port": "\(status.port)"])
        yield(.heartbeat(identity, status, via: .http))
        return ListenerAnswer.success
    }

    private func queryBaseline(_ body: [UInt8], logger: Logger) async -> Response {
        let metadata: BaseMetadata
        switch decode(BaseMetadata.self, from: body, logger: logger) {
        case .value(let decoded): metadata = decoded
        case .refused(let answer): return answer
        }
        guard let identity = validIdentity(metadata.identity, logger: logger) else {
            return ListenerAnswer.text(.badRequest, "invalid base identity \(metadata.identity.debugDescription)")
        }
        var logger = logger
        logger[metadataKey: "vnode"] = "\(identity)"
        let bizzes = await baseline(for: identity, metadata: metadata)
        logger.debug("baseline query answered", metadata: ["count": "\(bizzes.count)"])
        do {
            return ListenerAnswer.json(try WireCoding.encode(bizzes))
        } catch {
            logger.error("baseline does not encode", metadata: ["error": "\(error)"])
            return ListenerAnswer.json(Array("[]".utf8))
        }
    }

    /// The controller's answer to a baseline query: from the provider, else from a
    /// ``replyBaseline(_:to:timeout:)``; `[]` when neither comes in time.
    private func baseline(for identity: BaseIdentity, metadata: BaseMetadata) async -> [BizModel] {
        let event = BaseEvent.baselineQuery(identity, metadata)
        let answer: [BizModel]??
        if let provider = currentBaselineProvider {
            yield(event)
            answer = try? await withDeadline(options.baselineAnswerTimeout) { await provider(metadata) }
        } else {
            answer = try? await withDeadline(options.baselineAnswerTimeout) { [self] in
                await baselineQueries.wait(for: identity) { yield(event) }
            }
        }
        return (answer ?? nil) ?? []
    }

    // MARK: - Checks

    private func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], logger: Logger) -> Decoded<T> {
        do {
            return .value(try WireCoding.decode(type, from: body))
        } catch {
            let text = DecodingErrorText.describe(error)
            droppedMessages.record(.malformed)
            logger.debug("malformed request", metadata: ["error": "\(text)"])
            return .refused(ListenerAnswer.text(.badRequest, text))
        }
    }

    private func validIdentity(_ text: String, logger: Logger) -> BaseIdentity? {
        guard let identity = BaseIdentity(text) else {
            droppedMessages.record(.invalidIdentity)
            logger.notice("request with an invalid base identity refused", metadata: ["identity": "\(text.debugDescription)"])
            return nil
        }
        return identity
    }

    /// `403` when allowed CIDR blocks are configured and the peer is in none of them.
    private func checkAllowed(peer: String?, logger: Logger) -> Response? {
        guard !options.allowedCIDRs.isEmpty else { return nil }
        guard let address = peer.flatMap(IPAddress.init) else {
            return refuse(.unknownPeer, "the peer address is unknown", logger: logger)
        }
        guard options.allowedCIDRs.contains(where: { $0.contains(address) }) else {
            return refuse(.addressNotAllowed, "\(address) is not in an allowed network", logger: logger)
        }
        return nil
    }

    /// `403` when the heartbeat's `localIP` is not the address it came from.
    private func checkSource(of status: BaseStatus, peer: String?, logger: Logger) -> Response? {
        guard let peerAddress = peer.flatMap(IPAddress.init) else {
            return refuse(.unknownPeer, "the peer address is unknown", logger: logger)
        }
        guard IPAddress(status.localIP) == peerAddress else {
            return refuse(.sourceAddressMismatch,
                          "localIP \(status.localIP.debugDescription) is not the sender's address \(peerAddress)", logger: logger)
        }
        return nil
    }

    private func refuse(_ reason: HTTPRefusalReason, _ detail: String, logger: Logger) -> Response {
        refusals.record(reason)
        logger.notice("HTTP tunnel request refused", metadata: ["reason": "\(reason.rawValue)", "detail": "\(detail)"])
        return ListenerAnswer.text(.forbidden, "forbidden: \(detail)")
    }
}

/// A decoded request body, or the `400` answer explaining why it does not decode.
private enum Decoded<T> {
    case value(T)
    case refused(Response)
}
