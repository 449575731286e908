import KubeClient

/// One pod status to write: the pod as the API server has it and the status it should get.
public struct PodStatusWrite: Sendable {
    public var pod: Pod
    public var status: PodStatus

    public init(pod: Pod, status: PodStatus) {
        self.pod = pod
        self.status = status
    }

    /// Whether this write takes readiness away (`Ready=True` now, `Ready=False` after).
    public var revokesReadiness: Bool {
        PodStatusModel.isReady(pod.status) && !PodStatusModel.isReady(status)
    }
}

/// The lossless order of status writes on one base (contract §4): writes that take readiness away
/// come before all others, so that no new pod shows `Ready=True` while an older pod whose biz the
/// base has deactivated still shows `Ready=True`; within each group, pods go oldest first.
public enum StatusWriteOrder {
    /// The writes in the order they must reach the API server, split into the two groups.
    public static func order(_ writes: [PodStatusWrite]) -> (revoking: [PodStatusWrite], others: [PodStatusWrite]) {
        let sorted = writes.sorted(by: olderFirst)
        return (sorted.filter(\.revokesReadiness), sorted.filter { !$0.revokesReadiness })
    }

    /// Creation time, then namespace/name for a stable order.
    static func olderFirst(_ a: PodStatusWrite, _ b: PodStatusWrite) -> Bool {
        let ta = a.pod.metadata.creationTimestamp, tb = b.pod.metadata.creationTimestamp
        if ta != tb {
            switch (ta, tb) {
            case (let x?, let y?): return x < y
            case (nil, _): return true
            case (_, nil): return false
            }
        }
        return a.pod.objectKey < b.pod.objectKey
    }
}
