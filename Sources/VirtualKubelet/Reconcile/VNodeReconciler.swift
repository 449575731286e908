import Arklet
import Foundation
import KubeClient
import KubeRuntime
import Logging

/// One reconcile pass for one vnode key (design.md): if this replica owns the vnode, keep its Node
/// right, poll its base, compare the bizzes its pods want with what the base reports, hand the
/// commands that closes the gap to the ``CommandRunner``, write the pod statuses that changed in
/// the lossless order, and finish deleted pods. Never waits for a base. A key is never reconciled
/// by two workers at once (the work queue guarantees it); a pass that throws is retried with
/// back-off.
final class VNodeReconciler: Sendable {
    struct Dependencies: Sendable {
        var configuration: VirtualKubeletConfiguration
        var client: KubernetesClient
        var registry: VNodeRegistry
        var pods: ModulePodCache
        var nodes: ObjectStore<Node>
        var tunnels: [any Tunnel]
        var runner: CommandRunner
        var leases: LeaseKeeper
        var events: EventRecorder
        var baselines: (any BaselineProvider)?
        var queue: WorkQueue<String>
        var clock: any ControllerClock
        var logger: Logger
    }

    private let deps: Dependencies
    private var configuration: VirtualKubeletConfiguration { deps.configuration }
    private var clock: any ControllerClock { deps.clock }

    init(_ dependencies: Dependencies) {
        deps = dependencies
    }

    func reconcile(_ name: String) async throws {
        guard let record = deps.registry.record(name) else { return }
        var logger = deps.logger
        logger[metadataKey: "vnode"] = "\(name)"
        let now = clock.now
        guard record.isOwned(now: now, leaseDuration: configuration.leaseDuration) else {
            if !record.isDead(now: now, deadAfter: configuration.deadAfter) {
                schedule(name, at: record.lastRefresh + configuration.deadAfter)
            } else if deps.nodes.get(namespace: nil, name: name) == nil {
                deps.registry.remove(name)
                logger.debug("forgetting silent vnode owned elsewhere")
            }
            // Silent here but its Node exists: its owner hears from the base (an HTTP base
            // heart-beats to one replica only) or retires it. This replica keeps it, to take its
            // Lease when the owner frees it; the informer's deletion brings the key back.
            return
        }
        if record.isDead(now: now, deadAfter: configuration.deadAfter) {
            try await retire(record, logger: logger)
            return
        }
        let reachability = record.reachability(now: now, unreachableAfter: configuration.unreachableAfter)
        // Everything that goes to the base first: commands and polls wait for no API request, so
        // the way from a pod to its base never queues behind the rate-limited writes below.
        startPolls(name)
        answerBaseline(name, logger: logger)
        let pods = deps.pods.pods(on: name).filter(ModulePod.isModulePod)
        track(pods, on: name)
        var wakes: [Duration] = []
        var podsToDelete: [Pod] = []
        if let current = deps.registry.record(name), current.report != nil {
            let plan = BizPlan.make(record: current, pods: pods, now: now,
                                    uninstallWaitTimeout: configuration.uninstallWaitTimeout,
                                    orphanGracePeriod: configuration.orphanGracePeriod)
            apply(plan, on: name, pods: pods, logger: logger)
            podsToDelete = plan.podsToDelete
            if let wake = plan.nextWake { wakes.append(wake) }
        }

        try await upkeepNode(record, reachability: reachability, logger: logger)
        try await writeStatuses(of: pods, on: name, reachability: reachability, logger: logger)
        for pod in podsToDelete { try await finalize(pod, on: name, logger: logger) }

        if let current = deps.registry.record(name) {
            if reachability.isReachable { wakes.append(current.lastRefresh + configuration.unreachableAfter + .milliseconds(1)) }
            wakes.append(current.lastRefresh + configuration.deadAfter)
            if let started = current.healthPollStartedAt { wakes.append(started + configuration.healthPollInterval) }
            if let started = current.bizListPollStartedAt { wakes.append(started + configuration.bizListPollInterval) }
        }
        if let earliest = wakes.min() { schedule(name, at: earliest) }
    }

    // MARK: node

    private func upkeepNode(_ record: VNodeRecord, reachability: BaseReachability, logger: Logger) async throws {
        let name = record.name.rawValue
        let cached = deps.nodes.get(namespace: nil, name: name)
        var current = cached
        if let cached, let write = record.recentNodeWrite, write.basedOn == cached.metadata.resourceVersion {
            current?.status = write.status
        }
        let desired = VNodeModel.status(base: record.profile, health: record.health, reachability: reachability,
                                        current: current?.status, now: clock.wallNow)
        guard var node = current else {
            do {
                let created = try await deps.client.create(VNodeModel.node(name: record.name, base: record.profile, status: desired))
                VirtualKubeletMetrics.nodeWrite("create")
                logger.info("vnode created", metadata: ["ready": "\(reachability.isReachable)"])
                deps.registry.update(name) { $0.recentNodeWrite = nil }
                _ = created
            } catch let error as KubeAPIError where error.isAlreadyExists {
                // Not in the cache yet (just created, or created by another replica): write what differs.
                let existing = try await deps.client.get(Node.self, name: name)
                try await writeNode(existing, record: record, reachability: reachability, logger: logger)
            }
            return
        }
        node.status = current?.status
        try await writeNode(node, record: record, reachability: reachability, logger: logger)
    }

    private func writeNode(_ node: Node, record: VNodeRecord, reachability: BaseReachability, logger: Logger) async throws {
        let name = record.name.rawValue
        if record.profile.metadata != nil {
            let changes = VNodeModel.labelChanges(current: node.metadata.labels,
                                                  desired: VNodeModel.labels(name: record.name, base: record.profile))
            if !changes.isEmpty {
                var labels: [String: JSONValue] = [:]
                for (key, value) in changes { labels[key] = value.map(JSONValue.string) ?? .null }
                // Through the status subresource, as the kubelet reconciles its node's labels: the
                // node status strategy keeps metadata changes, so no `patch` on nodes is needed.
                _ = try await deps.client.patch(Node.self, name: name, patch: .merge(["metadata": ["labels": .object(labels)]]),
                                                subresource: "status")
                VirtualKubeletMetrics.nodeWrite("labels")
                logger.info("vnode labels updated", metadata: ["labels": "\(changes.keys.sorted())"])
            }
        }
        let desired = VNodeModel.status(base: record.profile, health: record.health, reachability: reachability,
                                        current: node.status, now: clock.wallNow)
        guard VNodeModel.differs(current: node.status, desired: desired) else { return }
        let updated = try await deps.client.patch(
            Node.self, name: name, patch: .strategicMerge(try VNodeModel.statusPatch(current: node.status, desired: desired)),
            subresource: "status")
        VirtualKubeletMetrics.nodeWrite("status")
        if node.status?.condition("Ready")?.status != desired.condition("Ready")?.status {
            logger.info("vnode readiness changed", metadata: [
                "ready": "\(reachability.isReachable)", "reason": "\(desired.condition("Ready")?.reason ?? "")",
            ])
        }
        deps.registry.update(name) { record in
            if let version = node.metadata.resourceVersion, let status = updated.status {
                record.recentNodeWrite = (version, status)
            }
        }
    }

    /// The base is dead: delete its Node and Lease so that Kubernetes reschedules its pods.
    private func retire(_ record: VNodeRecord, logger: Logger) async throws {
        let name = record.name.rawValue
        logger.warning("base silent for too long: deleting its vnode and lease",
                       metadata: ["silentFor": "\(VNodeRecord.seconds(configuration.deadAfter))"])
        do {
            try await deps.client.delete(Node.self, name: name)
            VirtualKubeletMetrics.nodeWrite("delete")
        } catch let error as KubeAPIError where error.isNotFound {}
        try await deps.leases.delete(name)
        deps.registry.remove(name)
    }

    // MARK: polls and commands

    private func startPolls(_ name: String) {
        let now = clock.now
        let due = deps.registry.update(name) { record -> (health: Bool, bizList: Bool) in
            var health = false, bizList = false
            if !record.healthPollInFlight,
               record.healthPollStartedAt.map({ now - $0 >= configuration.healthPollInterval }) ?? true {
                record.healthPollInFlight = true
                record.healthPollStartedAt = now
                health = true
            }
            if !record.bizListPollInFlight,
               record.bizListWanted || (record.bizListPollStartedAt.map({ now - $0 >= configuration.bizListPollInterval }) ?? true) {
                record.bizListPollInFlight = true
                record.bizListPollStartedAt = now
                record.bizListWanted = false
                bizList = true
            }
            return (health, bizList)
        }
        guard let due, let record = deps.registry.record(name) else { return }
        let tunnel = deps.tunnels[record.tunnel]
        let identity = record.name.identity
        let registry = deps.registry, queue = deps.queue, clock = self.clock, logger = deps.logger
        if due.health {
            deps.runner.submit {
                do {
                    let report = try await tunnel.health(of: identity)
                    registry.update(name) { _ = $0.apply(report, at: clock.now) }
                } catch {
                    logger.debug("health poll failed", metadata: ["vnode": "\(name)", "error": "\(error)"])
                }
                registry.update(name) { $0.healthPollInFlight = false }
                queue.add(name)
            }
        }
        if due.bizList {
            deps.runner.submit {
                do {
                    let report = try await tunnel.queryAllBiz(of: identity)
                    registry.update(name) { _ = $0.apply(report) }
                } catch {
                    logger.debug("biz list poll failed", metadata: ["vnode": "\(name)", "error": "\(error)"])
                }
                registry.update(name) { $0.bizListPollInFlight = false }
                queue.add(name)
            }
        }
    }

    /// Answers a pending baseline query once, from the provider, and remembers the baseline's keys.
    private func answerBaseline(_ name: String, logger: Logger) {
        guard let provider = deps.baselines,
              let (metadata, record) = deps.registry.update(name, { record -> (BaseMetadata, VNodeRecord)? in
                  guard let metadata = record.pendingBaseline else { return nil }
                  record.pendingBaseline = nil
                  return (metadata, record)
              }) ?? nil
        else { return }
        let tunnel = deps.tunnels[record.tunnel]
        let registry = deps.registry, queue = deps.queue
        deps.runner.submit {
            do {
                let bizzes = try await provider.baseline(for: metadata)
                registry.update(name) { $0.baselineKeys = Set(bizzes.map(\.key)) }
                try await tunnel.replyBaseline(bizzes, to: record.name.identity)
                logger.info("baseline answered", metadata: ["bizzes": "\(bizzes.map(\.key.description))"])
            } catch {
                logger.warning("baseline not answered", metadata: ["error": "\(error)"])
            }
            queue.add(name)
        }
    }

    /// Notes the pods seen on the vnode; the bizzes of pods that vanished become released.
    private func track(_ pods: [Pod], on name: String) {
        let liveKeys = Set(pods.filter(ModulePod.isLive).flatMap { ModulePod.bizzes(of: $0).map(\.key) })
        deps.registry.update(name) { record in
            var present: [String: Set<BizKey>] = [:]
            for pod in pods {
                present[pod.metadata.uid ?? ModulePod.reference(pod)] = Set(ModulePod.bizzes(of: pod).map(\.key))
            }
            for (uid, keys) in record.podKeys where present[uid] == nil {
                for key in keys where !liveKeys.contains(key) && record.report?.entries[key] != nil {
                    record.releasedKeys.insert(key)
                }
            }
            record.podKeys = present
            record.deletionSeen = record.deletionSeen.filter { present[$0.key] != nil }
            record.recentStatusWrites = record.recentStatusWrites.filter { present[$0.key] != nil }
        }
    }

    private func apply(_ plan: BizPlan, on name: String, pods: [Pod], logger: Logger) {
        let now = clock.now
        let started = deps.registry.update(name) { record -> [BizOperation] in
            record.orphanSince = plan.orphanSince
            record.deletionSeen.merge(plan.deletionSeen) { old, _ in old }
            for (key, url) in plan.adoptedURLs { record.installedURLs[key] = url }
            var operations: [BizOperation] = []
            for biz in plan.installs where record.operations[biz.key] == nil {
                operations.append(BizOperation(kind: .install, biz: biz, startedAt: now))
            }
            for uninstall in plan.uninstalls where record.operations[uninstall.biz.key] == nil {
                operations.append(BizOperation(kind: .uninstall, biz: uninstall.biz, startedAt: now))
            }
            for operation in operations { record.operations[operation.biz.key] = operation }
            return operations
        } ?? []
        guard let record = deps.registry.record(name) else { return }
        let reasons = Dictionary(plan.uninstalls.map { ($0.biz.key, $0.reason) }, uniquingKeysWith: { first, _ in first })
        for operation in started {
            var logger = logger
            logger[metadataKey: "biz"] = "\(operation.biz.key)"
            logger[metadataKey: "command"] = "\(operation.kind.rawValue)"
            logger.info("sending biz command", metadata: ["reason": "\(reasons[operation.biz.key] ?? "a pod wants it")"])
            submit(operation, on: record, logger: logger)
        }
    }

    private func submit(_ operation: BizOperation, on record: VNodeRecord, logger: Logger) {
        let name = record.name.rawValue
        let tunnel = deps.tunnels[record.tunnel]
        let identity = record.name.identity
        deps.runner.submit { [self] in
            let started = clock.now
            defer { VirtualKubeletMetrics.bizOperationDuration(operation.kind, clock.now - started) }
            let outcome: Result<BizOperationOutcome, TunnelError>
            do throws(TunnelError) {
                switch operation.kind {
                case .install: outcome = .success(try await tunnel.install(operation.biz, on: identity))
                case .uninstall: outcome = .success(try await tunnel.uninstall(operation.biz, on: identity))
                }
            } catch {
                outcome = .failure(error)
            }
            let failure = deps.registry.update(name) {
                $0.finish(operation, outcome: outcome, now: clock.now, retryBase: configuration.operationRetryBaseDelay,
                          retryMax: configuration.operationRetryMaxDelay)
            } ?? nil
            report(operation, outcome: outcome, failure: failure, on: name, logger: logger)
            deps.queue.add(name)
        }
    }

    /// Logs, counts and records a Kubernetes Event on the pods that want the biz.
    private func report(
        _ operation: BizOperation, outcome: Result<BizOperationOutcome, TunnelError>, failure: BizFailure?,
        on name: String, logger: Logger
    ) {
        let key = operation.biz.key
        let install = operation.kind == .install
        let metricOutcome: String
        switch outcome {
        case .success: metricOutcome = failure == nil ? "success" : "failure"
        case .failure(.timeout): metricOutcome = "timeout"
        case .failure: metricOutcome = "error"
        }
        VirtualKubeletMetrics.bizOperation(operation.kind, outcome: metricOutcome)
        if case .failure(.cancelled) = outcome { return }
        if case .failure(.shutdown) = outcome { return }
        let reason: String
        let message: String
        let type: String
        if let failure {
            reason = install ? "ModuleInstallFailed" : "ModuleUninstallFailed"
            type = "Warning"
            message = "\(install ? "install" : "uninstall") of biz \(key) on base \(name) failed (\(failure.code)): \(failure.message); retrying with back-off"
            logger.warning("biz command failed", metadata: [
                "code": "\(failure.code)", "error": "\(failure.message)", "attempts": "\(failure.attempts)",
            ])
        } else {
            reason = install ? "ModuleInstalled" : "ModuleUninstalled"
            type = "Normal"
            message = "biz \(key) \(install ? "installed from \(operation.biz.bizUrl)" : "uninstalled") on base \(name)"
            logger.info("biz command succeeded")
        }
        let pods = deps.pods.pods(on: name).filter { pod in ModulePod.bizzes(of: pod).contains { $0.key == key } }
        for pod in pods {
            deps.events.record(
                ObjectReference(apiVersion: "v1", kind: "Pod", namespace: pod.metadata.namespace, name: pod.metadata.name,
                                uid: pod.metadata.uid, fieldPath: "spec.containers{\(key.name)}"),
                type: type, reason: reason, message: message, host: name)
        }
    }

    // MARK: pod statuses

    private func writeStatuses(of pods: [Pod], on name: String, reachability: BaseReachability, logger: Logger) async throws {
        guard let record = deps.registry.record(name) else { return }
        guard record.report != nil || !reachability.isReachable else { return }
        let now = clock.wallNow
        var writes: [PodStatusWrite] = []
        for pod in pods where !ModulePod.isTerminal(pod) {
            var seen = pod
            if let uid = pod.metadata.uid, let write = record.recentStatusWrites[uid],
               write.basedOn == pod.metadata.resourceVersion {
                seen.status = write.status
            }
            let status: PodStatus
            if record.report != nil {
                status = PodStatusModel.status(of: seen, baseIP: record.profile.localIP, reachability: reachability, now: now,
                                               observe: record.observation)
            } else if case .unreachable(let reason, let message) = reachability {
                status = PodStatusModel.withoutReadiness(seen, reason: reason, message: message, now: now)
            } else {
                continue
            }
            if PodStatusModel.differs(current: seen.status, computed: status) {
                writes.append(PodStatusWrite(pod: seen, status: status))
            }
        }
        let (revoking, others) = StatusWriteOrder.order(writes)
        for write in revoking + others {
            try await writeStatus(write, on: name, logger: logger)
        }
    }

    private func writeStatus(_ write: PodStatusWrite, on name: String, logger: Logger) async throws {
        var logger = logger
        logger[metadataKey: "pod"] = "\(ModulePod.reference(write.pod))"
        let updated: Pod
        do {
            updated = try await deps.client.patch(
                Pod.self, namespace: write.pod.metadata.namespace, name: write.pod.metadata.name ?? "",
                patch: .strategicMerge(try PodStatusModel.patch(for: write.status)), subresource: "status")
        } catch let error as KubeAPIError where error.isNotFound {
            return
        }
        VirtualKubeletMetrics.podStatusWrite(revoking: write.revokesReadiness)
        let wasReady = PodStatusModel.isReady(write.pod.status), ready = PodStatusModel.isReady(write.status)
        if wasReady != ready {
            logger.info("pod readiness changed", metadata: ["ready": "\(ready)", "phase": "\(write.status.phase ?? "")"])
        } else {
            logger.debug("pod status written", metadata: ["phase": "\(write.status.phase ?? "")"])
        }
        if let uid = write.pod.metadata.uid, let version = write.pod.metadata.resourceVersion, let status = updated.status {
            deps.registry.update(name) { $0.recentStatusWrites[uid] = (version, status) }
        }
    }

    /// Deletes a terminating pod for good (grace period 0, UID precondition), as a kubelet does once
    /// its containers stopped.
    private func finalize(_ pod: Pod, on name: String, logger: Logger) async throws {
        var logger = logger
        logger[metadataKey: "pod"] = "\(ModulePod.reference(pod))"
        do {
            try await deps.client.delete(
                Pod.self, namespace: pod.metadata.namespace, name: pod.metadata.name ?? "",
                options: DeleteOptions(gracePeriodSeconds: 0, preconditions: .init(uid: pod.metadata.uid)))
            VirtualKubeletMetrics.podFinalized(timedOut: false)
            logger.info("deleted pod removed after its bizzes were uninstalled")
        } catch let error as KubeAPIError where error.isNotFound || error.isConflict {
            return
        }
    }

    // MARK: timers

    /// Makes sure the key is reconciled again at `at` (monotonic), without piling up timers: a
    /// wake is only scheduled when none is pending that comes earlier.
    private func schedule(_ name: String, at: Duration) {
        let now = clock.now
        guard at > now else {
            deps.queue.add(name)
            return
        }
        let needed = deps.registry.update(name) { record -> Bool in
            if let pending = record.scheduledWake, pending > now, pending <= at { return false }
            record.scheduledWake = at
            return true
        } ?? false
        if needed { deps.queue.add(name, after: at - now) }
    }
}
