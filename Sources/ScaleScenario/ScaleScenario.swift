import Arklet
import BaseSimulation
import Foundation
import KubeClient
import KubeTestServer
import Logging
import MosquittoTestSupport
import Synchronization
import VirtualKubelet

/// The scale scenario of the developers' guide, run in one process on loopback: the in-repo API
/// server, a mosquitto broker, a ``MQTTSimulatedFleet`` of ``ScaleScenarioConfiguration/bases``
/// bases on one connection, and one ``VirtualKubeletController`` with its production defaults.
///
/// 1. The bases come online; time until every vnode is Ready (seen on a watch).
/// 2. ``ScaleScenarioConfiguration/podsPerBase`` module pods per base are created already bound
///    (`spec.nodeName`), each wanting a biz of its own; per pod: creation → the base receives the
///    install (timestamped inside the simulated arklet), and the base's answer → the pod's
///    `Ready=True` on a watch of the API server.
/// 3. Steady state: every request the controller makes, by verb and resource, over
///    ``ScaleScenarioConfiguration/steadyStateDuration`` (the API server counts them by token).
/// 4. ``ScaleScenarioConfiguration/deletions`` pods are deleted; per pod: the delete request →
///    the pod is gone (its DELETED event).
///
/// CPU and memory are the whole process's: controller, API server, fleet and the scenario's
/// own bookkeeping share it (the broker is a separate process).
public enum ScaleScenario {
    /// Runs the scenario; `progress` is told what happens, a line at a time.
    public static func run(_ configuration: ScaleScenarioConfiguration,
                           progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> ScaleReport {
        var logger = Logger(label: "scale") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = configuration.logLevel
        let driverToken = "driver-\(UUID().uuidString)", controllerToken = "controller-\(UUID().uuidString)"
        var serverConfiguration = KubeTestServerConfiguration(token: driverToken, watchHistoryLimit: 1_000_000,
                                                              watcherQueueLimit: 1_000_000)
        serverConfiguration.additionalTokens = [controllerToken]
        let server = try await KubeTestServer.start(serverConfiguration, logger: logger)
        let broker: TestBroker
        do {
            broker = try await TestBroker.launch(extraConfiguration: configuration.brokerConfiguration)
        } catch {
            await server.shutdown()
            throw error
        }
        // The scenario's own client is not rate limited; the controller's has the production limits.
        let driver = KubernetesClient(configuration: KubeConfiguration(server: server.baseURL, credentials: .token(driverToken),
                                                                       queriesPerSecond: 0),
                                      logger: logger)
        let controllerClient = KubernetesClient(configuration: KubeConfiguration(server: server.baseURL,
                                                                                 credentials: .token(controllerToken)),
                                                logger: logger)
        let world = World(configuration: configuration, server: server, broker: broker, driver: driver,
                          controllerClient: controllerClient, controllerToken: controllerToken, logger: logger,
                          progress: progress)
        let result: Result<ScaleReport, any Error>
        do {
            result = .success(try await world.run())
        } catch {
            result = .failure(error)
        }
        driver.shutdown()
        controllerClient.shutdown()
        await broker.shutdown()
        await server.shutdown()
        return try result.get()
    }
}

/// One run's servers, clients and measurements.
private struct World: Sendable {
    let configuration: ScaleScenarioConfiguration
    let server: KubeTestServer
    let broker: TestBroker
    let driver: KubernetesClient
    let controllerClient: KubernetesClient
    let controllerToken: String
    let logger: Logger
    let progress: @Sendable (String) -> Void

    /// Where each pod lives and what it wants.
    struct PodPlan: Sendable {
        var name: String
        var base: String
        var biz: String
    }

    var nodeSuffix: String { ".\(configuration.env)" }

    func run() async throws -> ScaleReport {
        let operations = OperationLog()
        let fleet = makeFleet(operations: operations)
        let tunnel = MQTTTunnel(
            configuration: MQTTConfiguration(broker: "127.0.0.1", port: broker.port, username: "", env: configuration.env,
                                             clientID: configuration.clientID),
            logger: logger)
        let controller = try VirtualKubeletController(
            configuration: VirtualKubeletConfiguration(env: configuration.env, clientID: configuration.clientID),
            client: controllerClient, tunnels: [tunnel], logger: logger)
        let observer = ClusterObserver(client: driver, env: configuration.env, logger: logger)
        var report = ScaleReport(bases: configuration.bases, pods: configuration.bases * configuration.podsPerBase)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try? await tunnel.run() }
            group.addTask { await controller.run() }
            group.addTask { await observer.run() }
            defer { group.cancelAll() }
            try await waitFor("controller ready") { controller.isReady }
            let usageAtStart = ProcessUsage.now()

            // 1. Bases come online.
            progress("starting \(configuration.bases) simulated bases on one MQTT connection")
            let basesStarted = ContinuousClock.now
            group.addTask { await fleet.run() }
            try await waitFor("\(configuration.bases) vnodes Ready") { observer.readyNodeCount >= configuration.bases }
            report.vnodesReady = LatencySummary(observer.nodesReady.values.map { basesStarted.duration(to: $0) })
            let usageAfterBases = ProcessUsage.now()
            report.usage.append(.init(phase: "bases online", usage: usageAfterBases,
                                      cores: usageAfterBases.cores(since: usageAtStart, over: basesStarted.duration(to: .now))))
            progress("all vnodes Ready: \(report.vnodesReady)")

            // 2. Module pods.
            let plans = podPlans()
            progress("creating \(plans.count) module pods")
            let podsStarted = ContinuousClock.now
            let created = try await createPods(plans)
            report.podCreation = podsStarted.duration(to: .now)
            progress("created in \(report.podCreation.milliseconds); waiting for Ready")
            try await waitFor("\(plans.count) pods Ready") { observer.readyCount(of: plans.map(\.name)) == plans.count }
            report.allPodsReady = podsStarted.duration(to: .now)
            measure(plans, created: created, operations: operations, observer: observer, into: &report)
            let usageAfterPods = ProcessUsage.now()
            report.usage.append(.init(phase: "pods created and Ready", usage: usageAfterPods,
                                      cores: usageAfterPods.cores(since: usageAfterBases, over: report.allPodsReady)))
            progress("pods Ready: creation → base \(report.podToBase); answer → Ready \(report.answerToReady)")

            // 3. Steady state.
            try await Task.sleep(for: configuration.settleDuration)
            let before = server.requestCounts(token: controllerToken), usageBefore = ProcessUsage.now()
            progress("steady state for \(configuration.steadyStateDuration)")
            try await Task.sleep(for: configuration.steadyStateDuration)
            let after = server.requestCounts(token: controllerToken), usageAfter = ProcessUsage.now()
            report.steadyStateRequests = after.reduce(into: [:]) { counts, entry in
                let delta = entry.value - (before[entry.key] ?? 0)
                if delta > 0 { counts[entry.key.description] = delta }
            }
            report.steadyStateWrites = after.reduce(into: [:]) { counts, entry in
                let delta = entry.value - (before[entry.key] ?? 0)
                if delta > 0, ScaleReport.writeVerbs.contains(entry.key.verb) { counts[entry.key.description] = delta }
            }
            report.steadyStateDuration = configuration.steadyStateDuration
            report.usage.append(.init(phase: "steady state", usage: usageAfter,
                                      cores: usageAfter.cores(since: usageBefore, over: configuration.steadyStateDuration)))
            progress("steady-state writes: \(report.steadyStateWrites)")

            // 4. Deletions.
            let doomed = (0..<min(max(0, configuration.deletions), configuration.bases)).map { podName(base: $0 + 1, index: 0) }
            progress("deleting \(doomed.count) pods")
            let deletionsStarted = ContinuousClock.now, usageBeforeDeletions = ProcessUsage.now()
            let requested = try await deletePods(doomed)
            try await waitFor("\(doomed.count) pods gone") { observer.goneCount(of: doomed) == doomed.count }
            let gone = observer.podsGone
            report.deletion = LatencySummary(doomed.compactMap { name in requested[name].flatMap { start in gone[name].map { start.duration(to: $0) } } })
            let usageAfterDeletions = ProcessUsage.now()
            report.usage.append(.init(phase: "deletions", usage: usageAfterDeletions,
                                      cores: usageAfterDeletions.cores(since: usageBeforeDeletions,
                                                                       over: deletionsStarted.duration(to: .now))))
            progress("deleted: \(report.deletion)")
            report.droppedTunnelMessages = tunnel.droppedMessages.counts.values.reduce(0, +)
            report.controllerRequests = server.requestCounts(token: controllerToken).reduce(into: [:]) { $0[$1.key.description] = $1.value }
        }
        return report
    }

    // MARK: bases and pods

    private func makeFleet(operations: OperationLog) -> MQTTSimulatedFleet {
        let arklets = (1...configuration.bases).map { index in
            var base = SimulatedBaseConfiguration(
                identity: BaseIdentity("base-\(index)")!, localIP: "10.\(index / 65_536 % 256).\(index / 256 % 256).\(index % 256)",
                localHostName: "base-\(index)", heartbeatInterval: configuration.heartbeatInterval,
                installDuration: configuration.installDuration, uninstallDuration: configuration.uninstallDuration)
            base.operationObserver = { operations.note($0) }
            return SimulatedArklet(configuration: base)
        }
        return MQTTSimulatedFleet(
            arklets: arklets,
            mqtt: MQTTConfiguration(broker: "127.0.0.1", port: broker.port, username: "", env: configuration.env,
                                    clientID: "scale-fleet"),
            startupSpread: configuration.startupSpread, logger: logger)
    }

    private func podName(base: Int, index: Int) -> String { "m-\(base)-\(index)" }

    /// Round-robin over the bases, so every base gets its pods spread over the whole creation.
    private func podPlans() -> [PodPlan] {
        (0..<configuration.podsPerBase).flatMap { index in
            (1...configuration.bases).map { base in
                PodPlan(name: podName(base: base, index: index), base: "base-\(base)", biz: "biz-\(base)-\(index)")
            }
        }
    }

    private func pod(_ plan: PodPlan) -> Pod {
        Pod(metadata: ObjectMeta(name: plan.name, namespace: "default",
                                 labels: [KouplelessKeys.component: KouplelessKeys.moduleComponent, "app": plan.name]),
            spec: PodSpec(nodeName: "vnode.\(plan.base)\(nodeSuffix)",
                          containers: [Container(name: plan.biz, image: "https://repo.example/\(plan.biz)-1.0.0-ark-biz.jar",
                                                 env: [EnvVar(name: KouplelessKeys.bizVersionEnv, value: "1.0.0")])],
                          tolerations: [Toleration(key: KouplelessKeys.virtualNodeTaint, operator: "Equal", value: "True", effect: "NoExecute"),
                                        Toleration(key: KouplelessKeys.nodeEnvTaint, operator: "Equal", value: configuration.env,
                                                   effect: "NoExecute")],
                          terminationGracePeriodSeconds: 30))
    }

    /// Creates the pods (at most ``ScaleScenarioConfiguration/creationConcurrency`` requests at
    /// once, paced by ``ScaleScenarioConfiguration/podCreationRate``); returns when each request was sent.
    private func createPods(_ plans: [PodPlan]) async throws -> [String: ContinuousClock.Instant] {
        try await paced(plans.map(\.name)) { index in _ = try await driver.create(pod(plans[index])) }
    }

    private func deletePods(_ names: [String]) async throws -> [String: ContinuousClock.Instant] {
        try await paced(names) { index in _ = try await driver.delete(Pod.self, namespace: "default", name: names[index]) }
    }

    private func paced(_ names: [String], _ request: @escaping @Sendable (Int) async throws -> Void)
        async throws -> [String: ContinuousClock.Instant]
    {
        let started = ContinuousClock.now
        let rate = configuration.podCreationRate
        return try await withThrowingTaskGroup(of: (String, ContinuousClock.Instant).self) { group in
            var sent: [String: ContinuousClock.Instant] = [:]
            for index in names.indices {
                if index >= configuration.creationConcurrency, let (name, at) = try await group.next() { sent[name] = at }
                if let rate { try await Task.sleep(until: started.advanced(by: .seconds(Double(index) / rate))) }
                group.addTask {
                    let at = ContinuousClock.now
                    try await request(index)
                    return (names[index], at)
                }
            }
            for try await (name, at) in group { sent[name] = at }
            return sent
        }
    }

    private func measure(_ plans: [PodPlan], created: [String: ContinuousClock.Instant], operations: OperationLog,
                         observer: ClusterObserver, into report: inout ScaleReport) {
        let ready = observer.podsReady
        let installs = operations.installs
        var toBase: [Duration] = [], toReady: [Duration] = [], endToEnd: [Duration] = []
        for plan in plans {
            guard let createdAt = created[plan.name], let readyAt = ready[plan.name] else { continue }
            endToEnd.append(createdAt.duration(to: readyAt))
            guard let install = installs["\(plan.base)/\(plan.biz)"] else { continue }
            toBase.append(createdAt.duration(to: install.received))
            if let answered = install.answered { toReady.append(answered.duration(to: readyAt)) }
        }
        report.podToBase = LatencySummary(toBase)
        report.answerToReady = LatencySummary(toReady)
        report.podToReady = LatencySummary(endToEnd)
        report.installCommands = operations.installCount
    }

    /// Polls `condition` every 10 ms until it holds, or fails after the phase timeout.
    private func waitFor(_ what: String, _ condition: @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now.advanced(by: configuration.phaseTimeout)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw ScaleScenarioError.timedOut(what, configuration.phaseTimeout) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// A phase did not finish within ``ScaleScenarioConfiguration/phaseTimeout``.
public enum ScaleScenarioError: Error, CustomStringConvertible {
    case timedOut(String, Duration)

    public var description: String {
        switch self {
        case .timedOut(let what, let timeout): "timed out after \(timeout) waiting for \(what)"
        }
    }
}

/// When each install reached its base and when the base answered (the first of each).
final class OperationLog: Sendable {
    struct Install: Sendable {
        var received: ContinuousClock.Instant
        var answered: ContinuousClock.Instant?
    }

    private let state = Mutex<(installs: [String: Install], count: Int)>(([:], 0))

    func note(_ event: SimulatedOperationEvent) {
        guard event.command == .installBiz else { return }
        let key = "\(event.identity)/\(event.key.name)"
        state.withLock { state in
            switch event.phase {
            case .received:
                state.count += 1
                if state.installs[key] == nil { state.installs[key] = Install(received: event.instant) }
            case .answered:
                if state.installs[key]?.answered == nil { state.installs[key]?.answered = event.instant }
            }
        }
    }

    var installs: [String: Install] { state.withLock { $0.installs } }
    var installCount: Int { state.withLock { $0.count } }
}
