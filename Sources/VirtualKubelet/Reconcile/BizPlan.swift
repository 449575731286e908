import Arklet
import KubeClient

/// What one reconcile pass should do with a base's bizzes: compare the bizzes the pods want
/// (desired) with what the base last reported (actual). Pure, so the rules are unit-tested:
///
/// - a biz a live pod wants and the base does not run is installed (unless in flight, backing off,
///   or the base's list predates the last result for that key);
/// - a biz installed from another URL than the pod's image now has is uninstalled first
///   (in-place update), then installed again from the new URL;
/// - a `BROKEN` biz a pod wants is uninstalled so that it can be installed again;
/// - a terminating pod's bizzes that no live pod wants are uninstalled; the pod is deleted once
///   the base reports them gone, or after the wait timeout;
/// - a biz of a vanished pod is uninstalled at once; any other biz no pod wants is an orphan,
///   uninstalled after the grace period, never when it belongs to the baseline.
public struct BizPlan: Sendable {
    /// An uninstall with the reason, for logs and events.
    public struct Uninstall: Sendable, Hashable {
        public var biz: BizModel
        public var reason: String
    }

    public var installs: [BizModel] = []
    public var uninstalls: [Uninstall] = []
    /// Terminating pods whose bizzes are gone (or whose wait timed out): delete them for good.
    public var podsToDelete: [Pod] = []
    /// URLs of running bizzes first seen wanted (adopted after a restart).
    public var adoptedURLs: [BizKey: String] = [:]
    /// The orphan clocks to keep.
    public var orphanSince: [BizKey: Duration] = [:]
    /// When terminating pods were first seen terminating.
    public var deletionSeen: [String: Duration] = [:]
    /// The earliest moment a later pass has something to do without any new event.
    public var nextWake: Duration?

    public init() {}

    /// Plans one pass for `record` and the module pods bound to its node.
    public static func make(
        record: VNodeRecord, pods: [Pod], now: Duration, uninstallWaitTimeout: Duration, orphanGracePeriod: Duration
    ) -> BizPlan {
        var plan = BizPlan()
        guard let report = record.report else { return plan }
        func wake(_ at: Duration) { plan.nextWake = min(plan.nextWake ?? at, at) }
        func backingOff(_ key: BizKey) -> Bool {
            guard let failure = record.failures[key], failure.retryAt > now else { return false }
            wake(failure.retryAt)
            return true
        }
        func actionable(_ key: BizKey) -> Bool {
            record.operations[key] == nil && record.isSettled(key) && !backingOff(key)
        }
        func uninstallModel(_ key: BizKey) -> BizModel {
            BizModel(bizName: key.name, bizVersion: key.version, bizUrl: record.installedURLs[key] ?? "")
        }

        let ordered = pods.sorted { a, b in
            StatusWriteOrder.olderFirst(PodStatusWrite(pod: a, status: PodStatus()), PodStatusWrite(pod: b, status: PodStatus()))
        }
        var wanted: [BizKey: BizModel] = [:]
        var wantedOrder: [BizKey] = []
        for pod in ordered where ModulePod.isLive(pod) {
            for biz in ModulePod.bizzes(of: pod) where wanted[biz.key] == nil {
                wanted[biz.key] = biz
                wantedOrder.append(biz.key)
            }
        }

        // Desired bizzes.
        for key in wantedOrder {
            let biz = wanted[key]!
            guard !biz.bizVersion.isEmpty, !biz.bizUrl.isEmpty else { continue }
            guard actionable(key) else { continue }
            guard let entry = report.entries[key] else {
                plan.installs.append(biz)
                continue
            }
            switch entry.state {
            case .activated, .deactivated, .resolved:
                if let installed = record.installedURLs[key] {
                    if installed != biz.bizUrl, entry.state == .activated {
                        plan.uninstalls.append(Uninstall(biz: uninstallModel(key),
                                                         reason: "image changed to \(biz.bizUrl)"))
                    }
                } else {
                    plan.adoptedURLs[key] = biz.bizUrl
                }
            case .broken:
                plan.uninstalls.append(Uninstall(biz: uninstallModel(key), reason: "the base reports it BROKEN; reinstalling"))
            case .stopped, .unresolved, .unknown:
                break
            }
        }

        // Terminating pods.
        var leaving: Set<BizKey> = []
        for pod in ordered where pod.metadata.deletionTimestamp != nil {
            let uid = pod.metadata.uid ?? ModulePod.reference(pod)
            let seen = record.deletionSeen[uid] ?? now
            plan.deletionSeen[uid] = seen
            let keys = Set(ModulePod.bizzes(of: pod).map(\.key)).filter { wanted[$0] == nil }
            leaving.formUnion(keys)
            let gone = keys.allSatisfy { key in
                record.operations[key] == nil && record.isSettled(key)
                    && (report.entries[key] == nil || report.entries[key]?.state == .stopped)
            }
            let grace = pod.metadata.deletionGracePeriodSeconds.map { Duration.seconds($0) } ?? uninstallWaitTimeout
            let deadline = seen + min(uninstallWaitTimeout, grace)
            if gone || now >= deadline {
                plan.podsToDelete.append(pod)
                continue
            }
            wake(deadline)
            for key in keys.sorted() where report.entries[key] != nil && report.entries[key]?.state != .stopped {
                if actionable(key) {
                    plan.uninstalls.append(Uninstall(biz: uninstallModel(key), reason: "pod \(ModulePod.reference(pod)) deleted"))
                }
            }
        }

        // Bizzes no pod wants.
        let ownedFor = record.ownedSince.map { now - $0 } ?? .zero
        for key in report.entries.keys.sorted() where wanted[key] == nil && !leaving.contains(key) {
            guard report.entries[key]?.state != .stopped else { continue }
            if record.releasedKeys.contains(key) {
                if actionable(key) {
                    plan.uninstalls.append(Uninstall(biz: uninstallModel(key), reason: "its pod is gone"))
                }
                continue
            }
            guard !record.baselineKeys.contains(key) else { continue }
            let since = record.orphanSince[key] ?? now
            plan.orphanSince[key] = since
            let due = max(since + orphanGracePeriod, now + max(.zero, orphanGracePeriod - ownedFor))
            if now >= due {
                if actionable(key) {
                    plan.uninstalls.append(Uninstall(biz: uninstallModel(key),
                                                     reason: "no pod on this base wants it (orphaned for \(VNodeRecord.seconds(orphanGracePeriod)))"))
                }
            } else {
                wake(due)
            }
        }
        return plan
    }
}
