import Arklet
import BaseSimulation
import Foundation
import KubeClient
import KubeRuntime
import KubeTestServer
import Logging
import Synchronization
import Testing
@testable import VirtualKubelet
import MosquittoTestSupport

/// Loggers for tests: silent unless `VK_TEST_LOG_LEVEL` (e.g. `debug`) is set.
enum TestLogging {
    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        let level = ProcessInfo.processInfo.environment["VK_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .critical
        return logger
    }
}

/// No condition within the deadline.
struct DeadlineExceeded: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// One integration test's world: a test API server, a mosquitto broker, an env of its own, and
/// controllers (each with its own MQTT tunnel) and simulated bases that the test starts and stops.
final class ControllerHarness: Sendable {
    let server: KubeTestServer
    let client: KubernetesClient
    let broker: TestBroker
    let env: String
    private let token: String
    /// Clients made for single controllers (see ``makeClient()``), shut down with the world.
    private let extraClients = Mutex<[KubernetesClient]>([])

    private init(server: KubeTestServer, client: KubernetesClient, broker: TestBroker, env: String, token: String) {
        self.server = server
        self.client = client
        self.broker = broker
        self.env = env
        self.token = token
    }

    /// Runs `body` in a fresh world and tears it down afterwards.
    static func with(_ body: (ControllerHarness) async throws -> Void) async throws {
        let token = UUID().uuidString
        let server = try await KubeTestServer.start(KubeTestServerConfiguration(token: token), logger: TestLogging.logger("apiserver"))
        let client = KubernetesClient(configuration: KubeConfiguration(server: server.baseURL, credentials: .token(token)),
                                      logger: TestLogging.logger("client"))
        let broker: TestBroker
        do {
            broker = try await TestBroker.launch()
        } catch {
            await server.shutdown()
            throw error
        }
        let harness = ControllerHarness(server: server, client: client, broker: broker,
                                        env: "t\(UInt32.random(in: 0...UInt32.max))", token: token)
        do {
            try await body(harness)
        } catch {
            await harness.tearDown()
            throw error
        }
        await harness.tearDown()
    }

    private func tearDown() async {
        await broker.shutdown()
        for extra in extraClients.withLock({ $0 }) { extra.shutdown() }
        client.shutdown()
        await server.shutdown()
    }

    /// Short durations so that liveness, polls and retries happen within seconds.
    func configuration(clientID: String = "replica-1", _ configure: (inout VirtualKubeletConfiguration) -> Void = { _ in })
        -> VirtualKubeletConfiguration
    {
        var configuration = VirtualKubeletConfiguration(
            env: env, clientID: clientID, workerCount: 4, leaseDuration: .seconds(10), leaseRenewInterval: .seconds(2),
            unreachableAfter: .seconds(3), deadAfter: .seconds(6), healthPollInterval: .seconds(1),
            bizListPollInterval: .seconds(1), operationRetryBaseDelay: .milliseconds(200),
            operationRetryMaxDelay: .seconds(1), uninstallWaitTimeout: .seconds(20), orphanGracePeriod: .seconds(30))
        configure(&configuration)
        return configuration
    }

    func mqttConfiguration(clientID: String) -> MQTTConfiguration {
        MQTTConfiguration(broker: "127.0.0.1", port: broker.port, username: "", clientPrefix: "koupleless", env: env,
                          clientID: clientID, keepAlive: .seconds(30), connectTimeout: .seconds(5),
                          reconnectBackoff: ReconnectBackoff(initial: .milliseconds(50), maximum: .milliseconds(400)),
                          maxPayloadBytes: 1 << 20)
    }

    /// A Kubernetes client of its own, for a controller the test will cut off from the API server
    /// (``RunningController/crash()``).
    func makeClient() -> KubernetesClient {
        let client = KubernetesClient(configuration: KubeConfiguration(server: server.baseURL, credentials: .token(token)),
                                      logger: TestLogging.logger("client"))
        extraClients.withLock { $0.append(client) }
        return client
    }

    /// Starts a controller with its own tunnel (and `client`, else the world's); waits until it is ready.
    func startController(_ configuration: VirtualKubeletConfiguration, baselines: (any BaselineProvider)? = nil,
                         client: KubernetesClient? = nil) async throws -> RunningController {
        let tunnel = MQTTTunnel(
            configuration: mqttConfiguration(clientID: configuration.clientID),
            options: MQTTTunnelOptions(timeouts: .uniform(.seconds(5)), resendInterval: .seconds(1), shutdownTimeout: .seconds(3)),
            logger: TestLogging.logger("tunnel"))
        let controller = try VirtualKubeletController(configuration: configuration, client: client ?? self.client,
                                                      tunnels: [tunnel], baselines: baselines,
                                                      logger: TestLogging.logger("controller"))
        // Owned by the returned value and awaited by `stop()`: the controller lives as long as the test wants.
        let task = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { try? await tunnel.run() }
                group.addTask { await controller.run() }
            }
        }
        let running = RunningController(controller: controller, tunnel: tunnel, task: task, ownClient: client)
        do {
            try await waitFor("controller ready") { controller.isReady ? true : nil }
        } catch {
            await running.stop()
            throw error
        }
        return running
    }

    /// A simulated base of this world.
    func makeBase(_ identity: String, configure: (inout SimulatedBaseConfiguration) -> Void = { _ in }) -> MQTTSimulatedBase {
        var configuration = SimulatedBaseConfiguration(
            identity: BaseIdentity(identity)!, localIP: "10.9.0.\(UInt8.random(in: 1...250))", localHostName: "\(identity)-host",
            heartbeatInterval: .seconds(1), installDuration: .milliseconds(50), uninstallDuration: .milliseconds(20))
        configure(&configuration)
        return MQTTSimulatedBase(arklet: SimulatedArklet(configuration: configuration),
                                 mqtt: mqttConfiguration(clientID: identity), logger: TestLogging.logger("base"))
    }

    func start(_ base: MQTTSimulatedBase) -> RunningBase {
        // Owned by the returned value and awaited by `stop()`.
        RunningBase(base: base, task: Task { await base.run() })
    }

    func nodeName(_ identity: String) -> String { "vnode.\(identity).\(env)" }

    /// Starts a base and waits until its vnode is Ready.
    func startReadyBase(_ identity: String, configure: (inout SimulatedBaseConfiguration) -> Void = { _ in }) async throws -> RunningBase {
        let running = start(makeBase(identity, configure: configure))
        try await waitFor("vnode of \(identity) Ready") { try await self.node(identity)?.status?.condition("Ready")?.status == "True" ? true : nil }
        return running
    }

    func node(_ identity: String) async throws -> Node? {
        do {
            return try await client.get(Node.self, name: nodeName(identity))
        } catch let error as KubeAPIError where error.isNotFound {
            return nil
        }
    }

    func lease(_ identity: String) async throws -> Lease? {
        do {
            return try await client.get(Lease.self, namespace: "kube-node-lease", name: nodeName(identity))
        } catch let error as KubeAPIError where error.isNotFound {
            return nil
        }
    }

    /// Creates a module pod bound to a base's vnode, with the tolerations a user would add.
    @discardableResult
    func createPod(_ name: String, on identity: String, bizzes: [(name: String, version: String)],
                   grace: Int64 = 30) async throws -> Pod {
        let containers = bizzes.map { biz in
            Container(name: biz.name, image: "https://repo.example/\(biz.name)-\(biz.version)-ark-biz.jar",
                      env: [EnvVar(name: "BIZ_VERSION", value: biz.version)])
        }
        let pod = Pod(
            metadata: ObjectMeta(name: name, namespace: "default",
                                 labels: ["virtual-kubelet.koupleless.io/component": "module", "app": name]),
            spec: PodSpec(nodeName: nodeName(identity), containers: containers,
                          tolerations: [Toleration(key: "schedule.koupleless.io/virtual-node", operator: "Equal", value: "True", effect: "NoExecute"),
                                        Toleration(key: "schedule.koupleless.io/node-env", operator: "Equal", value: env, effect: "NoExecute")],
                          terminationGracePeriodSeconds: grace))
        return try await client.create(pod)
    }

    func pod(_ name: String) async throws -> Pod? {
        do {
            return try await client.get(Pod.self, namespace: "default", name: name)
        } catch let error as KubeAPIError where error.isNotFound {
            return nil
        }
    }

    /// Waits until the pod shows `Ready` = `ready`; returns it.
    @discardableResult
    func waitForPod(_ name: String, ready: Bool, timeout: Duration = .seconds(20)) async throws -> Pod {
        try await waitFor("pod \(name) Ready=\(ready)", timeout: timeout) {
            guard let pod = try await self.pod(name) else { return nil }
            return PodStatusModel.isReady(pod.status) == ready && pod.status?.condition("Ready") != nil ? pod : nil
        }
    }
}

/// Polls `condition` until it gives a value or the deadline passes (a deadline, not a sleep that
/// stands in for synchronisation).
@discardableResult
func waitFor<T: Sendable>(_ what: String, timeout: Duration = .seconds(20), every interval: Duration = .milliseconds(50),
                          _ condition: @Sendable () async throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await condition() { return value }
        guard ContinuousClock.now < deadline else { throw DeadlineExceeded(what: what) }
        try await Task.sleep(for: interval)
    }
}

/// A controller and its tunnel running in a task of their own.
struct RunningController: Sendable {
    let controller: VirtualKubeletController
    let tunnel: MQTTTunnel
    let task: Task<Void, Never>
    /// The client the controller was started with, if not the world's.
    let ownClient: KubernetesClient?

    /// Stops the controller the SIGTERM way: it releases its Leases.
    func stop() async {
        task.cancel()
        await task.value
    }

    /// Stops the controller the way a crash does: first its API connection is cut (every request
    /// fails from then on), so that nothing it holds is released. Needs a controller started with
    /// a client of its own.
    func crash() async {
        precondition(ownClient != nil, "crash() needs a controller started with harness.makeClient()")
        ownClient?.shutdown()
        await stop()
    }
}

/// A simulated base running in a task of its own.
struct RunningBase: Sendable {
    let base: MQTTSimulatedBase
    let task: Task<Void, Never>

    var arklet: SimulatedArklet { base.arklet }

    func stop() async {
        task.cancel()
        await task.value
    }
}
