import Arklet
import KubeRuntime
import Logging
import Synchronization

/// Turns what bases report through a tunnel into registry changes and vnode keys to reconcile:
/// heartbeats create and refresh vnodes (or mark them deactivated), health answers refresh
/// liveness and capacity, biz lists and operation results update what the base runs. Invalid
/// identities are refused with a logged reason (once per identity) and a metric.
final class BaseEventRouter: Sendable {
    private let configuration: VirtualKubeletConfiguration
    private let registry: VNodeRegistry
    private let leases: LeaseKeeper
    private let queue: WorkQueue<String>
    private let clock: any ControllerClock
    private let logger: Logger
    private let refused = Mutex<Set<String>>([])
    /// Baseline queries of bases whose vnode does not exist yet (the arklet asks before its first heartbeat).
    private let earlyBaselines = Mutex<[String: BaseMetadata]>([:])

    init(configuration: VirtualKubeletConfiguration, registry: VNodeRegistry, leases: LeaseKeeper,
         queue: WorkQueue<String>, clock: any ControllerClock, logger: Logger) {
        self.configuration = configuration
        self.registry = registry
        self.leases = leases
        self.queue = queue
        self.clock = clock
        self.logger = logger
    }

    /// Identities refused so far (bounded; for diagnostics and tests).
    var refusedIdentities: Set<String> { refused.withLock { $0 } }

    /// Consumes one tunnel's events until it finishes or the task is cancelled.
    func consume(_ tunnel: any Tunnel, index: Int) async {
        for await event in tunnel.events {
            handle(event, tunnel: index)
        }
    }

    func handle(_ event: BaseEvent, tunnel index: Int) {
        let name: VNodeName
        switch VNodeName.make(identity: event.identity.rawValue, env: configuration.env) {
        case .success(let valid):
            name = valid
        case .failure(let refusal):
            VirtualKubeletMetrics.identityRefused(refusal.reason)
            let first = refused.withLock { refused -> Bool in
                if refused.count > 10_000 { refused.removeAll() }
                return refused.insert(refusal.identity).inserted
            }
            if first { logger.warning("base refused", metadata: ["reason": "\(refusal)"]) }
            return
        }
        let key = name.rawValue
        let now = clock.now
        switch event {
        case .heartbeat(_, let status, let via):
            if status.isActivated {
                let (created, _) = registry.upsert(key, make: {
                    VNodeRecord(name: name, tunnel: index, tunnelConfirmed: true, profile: BaseProfile(status), now: now,
                                mayAcquire: true)
                }) { record in
                    if !record.tunnelConfirmed {
                        record.tunnel = index
                        record.tunnelConfirmed = true
                    }
                    record.profile = BaseProfile(status)
                    record.refresh(at: now)
                }
                if created {
                    if let metadata = earlyBaselines.withLock({ $0.removeValue(forKey: key) }) {
                        registry.update(key) { $0.pendingBaseline = metadata }
                    }
                    logger.info("base discovered", metadata: ["vnode": "\(key)", "tunnel": "\(via)",
                                                             "ip": "\(status.localIP)"])
                    leases.track(key)
                }
            } else {
                let changed = registry.update(key) { record -> Bool in
                    let state = status.state.uppercased()
                    defer { record.deactivatedState = state }
                    return record.deactivatedState != state
                } ?? false
                if changed { logger.info("base deactivated", metadata: ["vnode": "\(key)", "state": "\(status.state)"]) }
            }
        case .health(_, let report):
            registry.update(key) { _ = $0.apply(report, at: now) }
        case .bizList(_, let report):
            registry.update(key) { _ = $0.apply(report) }
        case .operationResult(_, let outcome):
            registry.update(key) { record in
                record.bizListWanted = true
                record.lastResultAt[outcome.key] = max(record.lastResultAt[outcome.key] ?? outcome.reportedAt, outcome.reportedAt)
            }
        case .batchInstallResult:
            registry.update(key) { $0.bizListWanted = true }
        case .baselineQuery(_, let metadata):
            if registry.update(key, { $0.pendingBaseline = metadata }) == nil {
                earlyBaselines.withLock { pending in
                    if pending.count > 10_000 { pending.removeAll() }
                    pending[key] = metadata
                }
            }
        }
        if registry.contains(key) { queue.add(key) }
    }
}
