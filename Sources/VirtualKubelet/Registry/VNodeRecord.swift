import Arklet
import Foundation
import KubeClient

/// Everything one replica knows about one base and its vnode: liveness, ownership, the base's
/// last reports and the commands in flight. Plain state; the registry guards it.
public struct VNodeRecord: Sendable {
    /// Who holds the vnode's Lease, as this replica last saw it.
    public enum Ownership: Sendable, Hashable {
        case unknown
        /// We hold it; renewed at `renewedAt`, held since `since` (monotonic).
        case owned(since: Duration, renewedAt: Duration)
        case heldByOther(String)
    }

    public let name: VNodeName
    /// Index of the tunnel the base was discovered on.
    public var tunnel: Int
    /// Whether ``tunnel`` comes from a heartbeat (rather than a guess from an adopted Node).
    public var tunnelConfirmed: Bool
    public var profile: BaseProfile
    public var health: HealthData?
    /// Monotonic time of the last ACTIVATED heartbeat or health answer (or of adoption).
    public var lastRefresh: Duration
    /// Set by a heartbeat or health answer whose state is not ACTIVATED.
    public var deactivatedState: String?
    /// Whether this replica may take the Lease once it is free: it heard from the base, or knows its
    /// Node (an HTTP base heart-beats to one replica only; the others take over from the Node).
    public var mayAcquire: Bool
    public var ownership: Ownership = .unknown

    public var report: BizReport?
    public var healthPollStartedAt: Duration?
    public var healthPollInFlight = false
    public var bizListPollStartedAt: Duration?
    public var bizListPollInFlight = false
    /// A fresh biz list is needed (an operation finished since the last one was asked for).
    public var bizListWanted = true

    public var operations: [BizKey: BizOperation] = [:]
    public var failures: [BizKey: BizFailure] = [:]
    /// When the base reported the last result per key; a biz list older than that is not trusted for the key.
    public var lastResultAt: [BizKey: Date] = [:]
    /// The URL each installed biz was installed from (to notice image changes).
    public var installedURLs: [BizKey: String] = [:]
    /// Biz keys of the pods seen on this vnode, by pod UID (to notice pods that vanished).
    public var podKeys: [String: Set<BizKey>] = [:]
    /// Keys of vanished pods that no live pod wants: uninstalled without the orphan grace period.
    public var releasedKeys: Set<BizKey> = []
    /// When each orphaned biz was first seen orphaned.
    public var orphanSince: [BizKey: Duration] = [:]
    /// When each terminating pod (by UID) was first seen terminating.
    public var deletionSeen: [String: Duration] = [:]
    /// A baseline query not answered yet (answered by the owner).
    public var pendingBaseline: BaseMetadata?
    /// Keys of the base's baseline, never treated as orphans.
    public var baselineKeys: Set<BizKey> = []
    /// Our last status write per pod UID: the resourceVersion it was based on and the status written.
    public var recentStatusWrites: [String: (basedOn: String, status: PodStatus)] = [:]
    /// Our last Node status write: the resourceVersion it was based on and the status written.
    public var recentNodeWrite: (basedOn: String, status: NodeStatus)?
    /// The earliest scheduled re-reconcile.
    public var scheduledWake: Duration?

    public init(name: VNodeName, tunnel: Int, tunnelConfirmed: Bool, profile: BaseProfile, now: Duration, mayAcquire: Bool) {
        self.name = name
        self.tunnel = tunnel
        self.tunnelConfirmed = tunnelConfirmed
        self.profile = profile
        self.lastRefresh = now
        self.mayAcquire = mayAcquire
    }

    // MARK: liveness

    /// Whether the base is reachable and activated, or why not.
    public func reachability(now: Duration, unreachableAfter: Duration) -> BaseReachability {
        if let state = deactivatedState {
            return .unreachable(reason: "BaseDeactivated",
                                message: "the base reported state \(state.isEmpty ? "(empty)" : state) instead of ACTIVATED")
        }
        if now - lastRefresh > unreachableAfter {
            return .unreachable(reason: "BaseUnreachable",
                                message: "no ACTIVATED heartbeat or health answer from the base for more than \(Self.seconds(unreachableAfter))")
        }
        return .reachable
    }

    /// Whether the base has been silent long enough for its Node and Lease to be deleted.
    public func isDead(now: Duration, deadAfter: Duration) -> Bool {
        now - lastRefresh >= deadAfter
    }

    /// An ACTIVATED heartbeat or health answer.
    public mutating func refresh(at now: Duration) {
        lastRefresh = max(lastRefresh, now)
        deactivatedState = nil
        mayAcquire = true
    }

    // MARK: ownership

    /// Whether we hold the lease and renewed it within its duration.
    public func isOwned(now: Duration, leaseDuration: Duration) -> Bool {
        if case .owned(_, let renewedAt) = ownership { return now - renewedAt < leaseDuration }
        return false
    }

    public var ownedSince: Duration? {
        if case .owned(let since, _) = ownership { return since }
        return nil
    }

    /// Records a successful acquisition or renewal; returns whether ownership was just gained.
    public mutating func leaseHeld(at now: Duration, leaseDuration: Duration) -> Bool {
        let gained = !isOwned(now: now, leaseDuration: leaseDuration)
        if gained {
            ownership = .owned(since: now, renewedAt: now)
            // A new owner trusts nothing from before: fresh reports, a fresh liveness grace period.
            report = nil
            bizListWanted = true
            healthPollStartedAt = nil
            bizListPollStartedAt = nil
            orphanSince = [:]
            lastRefresh = max(lastRefresh, now)
        } else if case .owned(let since, _) = ownership {
            ownership = .owned(since: since, renewedAt: now)
        }
        return gained
    }

    /// Records that another replica holds the lease; returns whether we just lost it.
    public mutating func leaseHeldByOther(_ holder: String, now: Duration, leaseDuration: Duration) -> Bool {
        let lost = isOwned(now: now, leaseDuration: leaseDuration)
        ownership = .heldByOther(holder)
        return lost
    }

    // MARK: reports

    /// Applies a full biz list unless an equally new or newer one is already known.
    public mutating func apply(_ list: BizListReport) -> Bool {
        if let report, report.reportedAt > list.reportedAt { return false }
        let fresh = BizReport(list)
        if fresh == report { return false }
        report = fresh
        releasedKeys.formIntersection(fresh.entries.keys)
        return true
    }

    /// Applies a health answer; returns whether anything the Node shows changed.
    public mutating func apply(_ health: HealthReport, at now: Duration) -> Bool {
        guard health.code.isSuccess, let data = health.healthData else { return false }
        let before = (self.health.flatMap(VNodeModel.memory).map { [$0.capacity, $0.allocatable] }, deactivatedState)
        self.health = data
        let state = data.masterBizInfo?.bizState
        switch state {
        case .activated?: refresh(at: now)
        case nil, .unknown("")?: break
        case let other?: deactivatedState = other.javaName
        }
        return before != (VNodeModel.memory(data).map { [$0.capacity, $0.allocatable] }, deactivatedState)
    }

    /// Whether a biz list reported after the last result of `key` is known.
    public func isSettled(_ key: BizKey) -> Bool {
        guard let report else { return false }
        guard let last = lastResultAt[key] else { return true }
        return report.reportedAt >= last
    }

    // MARK: operations

    /// Records the answer of an install or uninstall; returns the failure recorded, if any.
    public mutating func finish(
        _ operation: BizOperation, outcome: Result<BizOperationOutcome, TunnelError>, now: Duration,
        retryBase: Duration, retryMax: Duration
    ) -> BizFailure? {
        let key = operation.biz.key
        operations[key] = nil
        bizListWanted = true
        switch outcome {
        case .success(let result):
            lastResultAt[key] = max(lastResultAt[key] ?? result.reportedAt, result.reportedAt)
            let alreadyDone = operation.kind == .install ? result.clientCode == "REPEAT_BIZ" : result.clientCode == "NOT_FOUND_BIZ"
            if result.isSuccess || alreadyDone {
                failures[key] = nil
                if operation.kind == .install {
                    installedURLs[key] = operation.biz.bizUrl
                } else {
                    installedURLs[key] = nil
                    releasedKeys.remove(key)
                }
                return nil
            }
            let code = result.clientCode.flatMap { $0.isEmpty || $0 == "SUCCESS" ? nil : $0 } ?? result.code.rawValue
            return recordFailure(operation, code: code, message: result.summary, now: now,
                                 retry: result.isConflict ? retryBase : nil, retryBase: retryBase, retryMax: retryMax)
        case .failure(let error):
            let code: String
            switch error {
            case .timeout: code = "Timeout"
            default: code = "TunnelError"
            }
            return recordFailure(operation, code: code, message: error.description, now: now, retry: nil,
                                 retryBase: retryBase, retryMax: retryMax)
        }
    }

    private mutating func recordFailure(
        _ operation: BizOperation, code: String, message: String, now: Duration, retry: Duration?,
        retryBase: Duration, retryMax: Duration
    ) -> BizFailure {
        let key = operation.biz.key
        let attempts = (failures[key].map { $0.kind == operation.kind ? $0.attempts : 0 } ?? 0) + 1
        let delay = retry ?? Self.backoff(attempts: attempts, base: retryBase, max: retryMax)
        let failure = BizFailure(kind: operation.kind, code: code, message: message, attempts: attempts, retryAt: now + delay)
        failures[key] = failure
        return failure
    }

    /// `base · 2^(attempts-1)`, capped.
    static func backoff(attempts: Int, base: Duration, max: Duration) -> Duration {
        let exponent = Swift.min(Swift.max(attempts - 1, 0), 30)
        let delay = base * (1 << exponent)
        return Swift.min(delay, max)
    }

    /// What is known about a biz key, for the pod status model.
    public func observation(of key: BizKey) -> BizObservation {
        if let report, let entry = report.entries[key] {
            return .reported(entry, reportedAt: report.reportedAt)
        }
        if let failure = failures[key], failure.kind == .install {
            return .installFailed(code: failure.code, message: failure.message)
        }
        return .absent
    }

    static func seconds(_ duration: Duration) -> String {
        let components = duration.components
        if components.attoseconds == 0 { return "\(components.seconds)s" }
        return "\(Double(components.seconds) + Double(components.attoseconds) / 1e18)s"
    }
}
