import Arklet
import Foundation
import KubeClient

/// Computes a module pod's status from what its base reported (reference §4.5, with the
/// improvements of contract §4): container states from Ark states, phase and the `Ready` /
/// `ContainersReady` conditions, the base IP as host and pod IP, `startTime`, and
/// `lastTransitionTime` that moves only when a condition's status changes. Pure: the same inputs
/// give the same status, so a status is written only when it differs from the API server's.
public enum PodStatusModel {
    /// The conditions this controller owns; all others (`PodScheduled`, …) are left alone.
    public static let ownedConditions = ["Ready", "ContainersReady"]

    /// The status the pod should have.
    /// - Parameters:
    ///   - pod: the pod as the API server has it (its current status supplies the times to keep).
    ///   - baseIP: the base's IP (host and pod IP); empty leaves the IPs as they are.
    ///   - reachability: an unreachable base makes every container and the pod not ready.
    ///   - now: wall-clock time for new transitions and `startTime`.
    ///   - observe: what is known about each biz key.
    public static func status(
        of pod: Pod, baseIP: String, reachability: BaseReachability, now: Date,
        observe: (BizKey) -> BizObservation
    ) -> PodStatus {
        let current = pod.status ?? PodStatus()
        let containers = pod.spec?.containers ?? []
        var statuses = containers.map { container in
            containerStatus(container, observation: observe(ModulePod.biz(of: container).key))
        }
        if !reachability.isReachable {
            for index in statuses.indices { statuses[index].ready = false }
        }
        let phase = phase(of: statuses)
        let allReady = !statuses.isEmpty && statuses.allSatisfy(\.ready)
        let ready = phase == "Running" && allReady && reachability.isReachable
        var reason: String?
        var message: String?
        if !ready {
            switch reachability {
            case .unreachable(let why, let text):
                reason = why
                message = text
            case .reachable:
                let unready = statuses.filter { !$0.ready }.map(\.name)
                reason = phase == "Succeeded" ? "PodCompleted" : "ContainersNotReady"
                message = unready.isEmpty ? nil : "containers with unready status: [\(unready.joined(separator: " "))]"
            }
        }
        var status = current
        status.phase = phase
        status.containerStatuses = statuses
        var conditions = (current.conditions ?? []).filter { !ownedConditions.contains($0.type) }
        for type in ownedConditions {
            conditions.append(condition(type, ready: ready, reason: reason, message: message,
                                        previous: current.condition(type), now: now))
        }
        status.conditions = conditions
        if !baseIP.isEmpty {
            status.hostIP = baseIP
            status.hostIPs = [PodIP(ip: baseIP)]
            status.podIP = baseIP
            status.podIPs = [PodIP(ip: baseIP)]
        }
        status.startTime = current.startTime ?? WholeSeconds.time(now)
        return status
    }

    /// The pod's current status with readiness taken away (the base became unreachable before this
    /// replica learned what it runs): every container not ready, `Ready`/`ContainersReady` False.
    public static func withoutReadiness(_ pod: Pod, reason: String, message: String, now: Date) -> PodStatus {
        var status = pod.status ?? PodStatus()
        status.containerStatuses = status.containerStatuses?.map { container in
            var container = container
            container.ready = false
            return container
        }
        var conditions = (status.conditions ?? []).filter { !ownedConditions.contains($0.type) }
        for type in ownedConditions {
            conditions.append(condition(type, ready: false, reason: reason, message: message,
                                        previous: pod.status?.condition(type), now: now))
        }
        status.conditions = conditions
        return status
    }

    /// The status of one container from what is known of its biz (reference §4.5.1).
    public static func containerStatus(_ container: Container, observation: BizObservation) -> ContainerStatus {
        let biz = ModulePod.biz(of: container)
        let image = container.image ?? ""
        var state = ContainerState()
        var ready = false
        switch observation {
        case .reported(let entry, let reportedAt):
            let at = WholeSeconds.time(entry.changeTime ?? reportedAt)
            let detail = [entry.reason, entry.message].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            switch entry.state {
            case .activated:
                state.running = ContainerStateRunning(startedAt: at)
                ready = true
            case .resolved, .deactivated, .broken:
                state.waiting = ContainerStateWaiting(reason: entry.state.javaName, message: detail.isEmpty ? nil : detail)
            case .stopped:
                state.terminated = ContainerStateTerminated(
                    exitCode: 1, reason: entry.state.javaName, message: detail.isEmpty ? nil : detail,
                    startedAt: at, finishedAt: at)
            case .unresolved, .unknown:
                break
            }
        case .installFailed(let code, let message):
            state.waiting = ContainerStateWaiting(reason: code, message: message)
        case .absent:
            break
        }
        return ContainerStatus(name: container.name, state: state, ready: ready, restartCount: 0, image: image,
                               imageID: image, containerID: "ark://\(biz.key)", started: state.running != nil)
    }

    /// The pod phase from its container statuses (reference §4.5.2).
    public static func phase(of statuses: [ContainerStatus]) -> String {
        func isEmpty(_ status: ContainerStatus) -> Bool {
            status.state?.running == nil && status.state?.waiting == nil && status.state?.terminated == nil
        }
        if statuses.isEmpty || statuses.allSatisfy({ $0.state?.terminated != nil }) { return "Succeeded" }
        if statuses.allSatisfy(isEmpty) { return "Pending" }
        if statuses.allSatisfy(\.ready) { return "Running" }
        if statuses.contains(where: { $0.state?.waiting != nil || $0.state?.running != nil || $0.ready }) {
            return "Running"
        }
        return "Pending"
    }

    private static func condition(
        _ type: String, ready: Bool, reason: String?, message: String?, previous: PodCondition?, now: Date
    ) -> PodCondition {
        let status = ready ? "True" : "False"
        let transition = previous?.status == status ? previous?.lastTransitionTime : WholeSeconds.time(now)
        var condition = PodCondition(type: type, status: status, lastTransitionTime: transition, reason: reason,
                                     message: message)
        condition.lastProbeTime = previous?.lastProbeTime
        return condition
    }

    /// Whether the API server's status differs from `computed` in anything this controller owns
    /// (phase, owned conditions, IPs, start time, container statuses). Fields owned by others and
    /// list orders the server may merge differently are not compared.
    public static func differs(current: PodStatus?, computed: PodStatus) -> Bool {
        OwnedPodStatus(current ?? PodStatus()) != OwnedPodStatus(computed)
    }

    /// Whether a status grants readiness (`Ready=True`).
    public static func isReady(_ status: PodStatus?) -> Bool {
        status?.condition("Ready")?.status == "True"
    }

    /// The strategic merge patch that writes the owned fields of `status` (conditions merge by
    /// type, so `PodScheduled` and other conditions stay as they are).
    public static func patch(for status: PodStatus) throws -> JSONValue {
        var owned = PodStatus(phase: status.phase,
                              conditions: status.conditions?.filter { ownedConditions.contains($0.type) },
                              hostIP: status.hostIP, podIP: status.podIP, startTime: status.startTime,
                              containerStatuses: status.containerStatuses)
        owned.hostIPs = status.hostIPs
        owned.podIPs = status.podIPs
        var encoded = try JSONValue(encoding: owned)
        // podIPs/hostIPs merge by `ip`: without `$patch: replace` a base that moved to a new IP
        // would leave the old one first in the list (kube-apiserver then keeps only podIP, by its
        // conversion rule, but a server or a reader that takes the list as written would not).
        for list in ["podIPs", "hostIPs"] {
            if case .array(let entries)? = encoded[list] { encoded[list] = .array(entries + [["$patch": "replace"]]) }
        }
        // Conditions merge by type, field by field: a reason or message the condition no longer has
        // must be cleared with an explicit null, or the server keeps the old one (a Ready=True with
        // reason ContainersNotReady), the status never equals the computed one, and every
        // reconcile writes the pod again.
        if case .array(let conditions)? = encoded["conditions"] {
            encoded["conditions"] = .array(conditions.map { condition in
                var condition = condition
                for field in ["reason", "message"] where condition[field] == nil { condition[field] = .null }
                return condition
            })
        }
        return ["status": encoded]
    }
}

/// The part of a pod status this controller owns, normalised for comparison.
private struct OwnedPodStatus: Equatable {
    struct Condition: Equatable {
        var status: String
        var reason: String?
        var message: String?
        var lastTransitionTime: KubeTime?
    }

    struct Container: Equatable {
        var name: String
        var state: ContainerState
        var ready: Bool
        var restartCount: Int
        var image: String
        var imageID: String
        var containerID: String?
        var started: Bool
    }

    var phase: String?
    var conditions: [String: Condition]
    var hostIP: String?
    var podIP: String?
    var startTime: KubeTime?
    var containers: [Container]

    init(_ status: PodStatus) {
        phase = status.phase
        conditions = [:]
        for condition in status.conditions ?? [] where PodStatusModel.ownedConditions.contains(condition.type) {
            conditions[condition.type] = Condition(status: condition.status, reason: condition.reason,
                                                   message: condition.message,
                                                   lastTransitionTime: condition.lastTransitionTime)
        }
        hostIP = status.hostIP
        podIP = status.podIP
        startTime = status.startTime
        containers = (status.containerStatuses ?? []).map {
            Container(name: $0.name, state: $0.state ?? ContainerState(), ready: $0.ready, restartCount: $0.restartCount,
                      image: $0.image, imageID: $0.imageID, containerID: $0.containerID, started: $0.started ?? false)
        }
    }
}
