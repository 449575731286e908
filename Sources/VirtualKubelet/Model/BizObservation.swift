import Arklet
import Foundation
import KubeClient

/// What the controller knows about one biz of a pod when it computes the pod's status.
public enum BizObservation: Sendable, Hashable {
    /// The base's last full biz list has the biz in this state.
    case reported(BizStatusEntry, reportedAt: Date)
    /// The base does not run the biz and the last install attempt failed with this arklet code and
    /// message (retried with back-off).
    case installFailed(code: String, message: String)
    /// The base does not report the biz (not installed yet, being installed, or vanished).
    case absent
}

/// Whether a base can currently be reached, and if not, why (shown in Ready conditions).
public enum BaseReachability: Sendable, Hashable {
    case reachable
    /// `reason` is a CamelCase word (`BaseUnreachable`, `BaseDeactivated`), `message` a sentence.
    case unreachable(reason: String, message: String)

    public var isReachable: Bool {
        if case .reachable = self { return true }
        return false
    }
}

/// Kubernetes timestamps have whole seconds; everything we compare or write is cut to them so that
/// what we compute equals what the API server gives back.
enum WholeSeconds {
    static func time(_ date: Date) -> KubeTime {
        KubeTime(Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)))
    }
}
