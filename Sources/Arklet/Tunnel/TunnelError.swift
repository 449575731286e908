/// Why a tunnel command did not produce an answer.
public enum TunnelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No answer within the command's timeout (after re-sends, over MQTT).
    case timeout(command: ArkletCommand, identity: BaseIdentity)
    /// The tunnel does not offer this command (MQTT has no `batchInstallBiz` topic).
    case unsupported(command: ArkletCommand)
    /// The request cannot be correlated or is refused before sending (e.g. a biz without name
    /// and version).
    case invalidRequest(String)
    /// The base answered with something that does not decode.
    case malformedAnswer(command: ArkletCommand, identity: BaseIdentity, detail: String)
    /// Transport-level failure (HTTP connect/status, MQTT publish refused).
    case transport(String)
    /// The tunnel could not reach its broker within the timeout.
    case notConnected
    /// The tunnel is shut down.
    case shutdown
    /// The calling task was cancelled.
    case cancelled

    public var description: String {
        switch self {
        case .timeout(let command, let identity): "\(command) to \(identity) timed out"
        case .unsupported(let command): "\(command) is not supported by this tunnel"
        case .invalidRequest(let detail): "invalid request: \(detail)"
        case .malformedAnswer(let command, let identity, let detail): "malformed \(command) answer from \(identity): \(detail)"
        case .transport(let detail): "transport error: \(detail)"
        case .notConnected: "not connected"
        case .shutdown: "tunnel is shut down"
        case .cancelled: "cancelled"
        }
    }
}
