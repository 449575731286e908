import Foundation

/// The controller's calls to a base's arklet over HTTP (`POST /health`, `/queryAllBiz`,
/// `/installBiz`, `/uninstallBiz`, `/batchInstallBiz`), turned into the same values the MQTT
/// tunnel produces.
///
/// Every call is bounded by its timeout. A transport failure or an HTTP status other than 200 is
/// ``TunnelError/transport(_:)``; an undecodable body is ``TunnelError/malformedAnswer(command:identity:detail:)``;
/// an arklet answer with a non-`SUCCESS` code is a normal result (e.g. a failed install), not an error.
public struct ArkletHTTPClient: Sendable {
    private let transport: any ArkletHTTPTransport
    private let now: @Sendable () -> Date

    /// - Parameter now: the clock stamping reports (HTTP answers carry no timestamp).
    public init(transport: any ArkletHTTPTransport, now: @escaping @Sendable () -> Date = { Date() }) {
        self.transport = transport
        self.now = now
    }

    public func health(of identity: BaseIdentity, at address: ArkletAddress, timeout: Duration) async throws(TunnelError) -> HealthReport {
        let response = try await call(.health, ArkletResponse<HealthResponseData>.self, body: WireCoding.emptyObject,
                                      identity: identity, address: address, timeout: timeout)
        return HealthReport(response, reportedAt: now())
    }

    /// The base's bizzes, without its master biz. A non-`SUCCESS` answer is malformed: there is no list.
    public func queryAllBiz(of identity: BaseIdentity, at address: ArkletAddress, timeout: Duration) async throws(TunnelError) -> BizListReport {
        let response = try await call(.queryAllBiz, ArkletResponse<[ArkBizInfo]>.self, body: WireCoding.emptyObject,
                                      identity: identity, address: address, timeout: timeout)
        guard response.code.isSuccess else {
            throw .malformedAnswer(command: .queryAllBiz, identity: identity, detail: "code \(response.code)")
        }
        return BizListReport(bizzes: BizStatusEntry.entries(from: response.data ?? []), reportedAt: now())
    }

    public func install(_ biz: BizModel, on identity: BaseIdentity, at address: ArkletAddress,
                        timeout: Duration) async throws(TunnelError) -> BizOperationOutcome {
        try await operate(.installBiz, biz, identity: identity, address: address, timeout: timeout)
    }

    public func uninstall(_ biz: BizModel, on identity: BaseIdentity, at address: ArkletAddress,
                          timeout: Duration) async throws(TunnelError) -> BizOperationOutcome {
        try await operate(.uninstallBiz, biz, identity: identity, address: address, timeout: timeout)
    }

    public func batchInstall(_ bizzes: [BizModel], on identity: BaseIdentity, at address: ArkletAddress,
                             timeout: Duration) async throws(TunnelError) -> BatchInstallOutcome {
        let body = try encode(BatchInstallRequest(bizList: bizzes))
        let response = try await call(.batchInstallBiz, ArkletResponse<BatchInstallResponse>.self, body: body,
                                      identity: identity, address: address, timeout: timeout)
        let requested = Dictionary(bizzes.map { ($0.bizUrl, $0) }, uniquingKeysWith: { _, last in last })
        return BatchInstallOutcome(response, requested: requested, reportedAt: now())
    }

    private func operate(_ command: ArkletCommand, _ biz: BizModel, identity: BaseIdentity, address: ArkletAddress,
                         timeout: Duration) async throws(TunnelError) -> BizOperationOutcome {
        let response = try await call(command, ArkletResponse<ClientResponse>.self, body: try encode(biz),
                                      identity: identity, address: address, timeout: timeout)
        return BizOperationOutcome(command: command, key: biz.key, response: response, reportedAt: now())
    }

    private func encode<T: Encodable>(_ value: T) throws(TunnelError) -> [UInt8] {
        do {
            return try WireCoding.encode(value)
        } catch {
            throw .invalidRequest("body does not encode: \(error)")
        }
    }

    private func call<Answer: Decodable & Sendable>(_ command: ArkletCommand, _ type: Answer.Type, body: [UInt8],
                                                    identity: BaseIdentity, address: ArkletAddress,
                                                    timeout: Duration) async throws(TunnelError) -> Answer {
        let url = address.url(for: command)
        let reply: HTTPReply?
        do {
            // The transport is asked to honour the timeout; the deadline is a safety net.
            reply = try await withDeadline(timeout) { [transport] in
                try await transport.post(url: url, body: body, timeout: timeout)
            }
        } catch is CancellationError {
            throw .cancelled
        } catch is ArkletHTTPTransportTimeout {
            throw .timeout(command: command, identity: identity)
        } catch let error as TunnelError {
            throw error
        } catch {
            throw .transport("\(command) to \(identity) at \(address): \(error)")
        }
        guard let reply else { throw .timeout(command: command, identity: identity) }
        guard reply.status == 200 else {
            throw .transport("\(command) to \(identity) at \(address): HTTP \(reply.status)")
        }
        do {
            return try WireCoding.decode(type, from: reply.body)
        } catch {
            throw .malformedAnswer(command: command, identity: identity, detail: "\(error)")
        }
    }
}
