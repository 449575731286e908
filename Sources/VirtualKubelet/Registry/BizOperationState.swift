import Arklet
import Foundation

/// A command to a base that has been sent and not yet answered.
public struct BizOperation: Sendable, Hashable {
    /// Which command was sent.
    public enum Kind: String, Sendable, Hashable {
        case install, uninstall
    }

    public var kind: Kind
    public var biz: BizModel
    /// Monotonic time the command was sent.
    public var startedAt: Duration
}

/// The last failure of an install or uninstall of a biz key, kept until it succeeds.
public struct BizFailure: Sendable, Hashable {
    public var kind: BizOperation.Kind
    /// Arklet code (`FAILED`, …) or, without an answer, `Timeout` / `TunnelError`.
    public var code: String
    public var message: String
    public var attempts: Int
    /// Monotonic time before which the operation is not tried again.
    public var retryAt: Duration
}

/// A base's full biz list, as last reported.
public struct BizReport: Sendable, Hashable {
    public var entries: [BizKey: BizStatusEntry]
    /// When the base produced it (base or tunnel clock; compared only with other times of the same tunnel).
    public var reportedAt: Date

    public init(_ report: BizListReport) {
        entries = Dictionary(report.bizzes.map { ($0.key, $0) }, uniquingKeysWith: { _, last in last })
        reportedAt = report.reportedAt
    }
}
