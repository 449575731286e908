/// Something a base told the controller. Every report, including the results of commands the
/// controller is awaiting, appears as an event, so the controller core can be level-triggered.
public enum BaseEvent: Sendable, Hashable {
    /// A heartbeat (T1 / `POST /heartbeat`); `identity` comes from the payload.
    case heartbeat(BaseIdentity, BaseStatus, via: TunnelKind)
    /// A base asks for its baseline (T2 / `POST /queryBaseline`).
    case baselineQuery(BaseIdentity, BaseMetadata)
    /// Answer to `health` (T8 / HTTP).
    case health(BaseIdentity, HealthReport)
    /// Full biz list (T9, T10 / HTTP `queryAllBiz`).
    case bizList(BaseIdentity, BizListReport)
    /// Install or uninstall result (T11 / HTTP).
    case operationResult(BaseIdentity, BizOperationOutcome)
    /// Batch install result (T12 / HTTP).
    case batchInstallResult(BaseIdentity, BatchInstallOutcome)

    /// The base the event is about.
    public var identity: BaseIdentity {
        switch self {
        case .heartbeat(let identity, _, _), .baselineQuery(let identity, _), .health(let identity, _),
             .bizList(let identity, _), .operationResult(let identity, _), .batchInstallResult(let identity, _):
            identity
        }
    }
}
