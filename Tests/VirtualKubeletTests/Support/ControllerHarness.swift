@testable import Arklet
import BaseSimulation
import CurlHTTP
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

/// One integration test's world: a test API server, an env of its own, the transport its
/// controllers reach their bases by (``tunnel``: a mosquitto broker for MQTT, loopback listeners
/// for HTTP), and the controllers and simulated bases that the test starts and stops
/// (`ControllerHarness+Controllers.swift`, `ControllerHarness+Bases.swift`).
final class ControllerHarness: Sendable {
    let server: KubeTestServer
    let client: KubernetesClient
    /// The tunnel kind of every controller of this world.
    let tunnel: TunnelKind
    /// The broker of an MQTT world; `nil` in an HTTP world.
    let broker: TestBroker?
    /// The libcurl client that HTTP tunnels send commands through and HTTP bases heart-beat through.
    let curl: CurlHTTPClient
    let env: String
    private let token: String
    /// Clients made for single controllers (see ``makeClient()``), shut down with the world.
    private let extraClients = Mutex<[KubernetesClient]>([])

    private init(server: KubeTestServer, client: KubernetesClient, tunnel: TunnelKind, broker: TestBroker?, env: String,
                 token: String) {
        self.server = server
        self.client = client
        self.tunnel = tunnel
        self.broker = broker
        self.curl = CurlHTTPClient(logger: TestLogging.logger("curl"))
        self.env = env
        self.token = token
    }

    /// Runs `body` in a fresh world whose controllers use `tunnel`, and tears it down afterwards.
    static func with(_ tunnel: TunnelKind = .mqtt, _ body: (ControllerHarness) async throws -> Void) async throws {
        let token = UUID().uuidString
        let server = try await KubeTestServer.start(KubeTestServerConfiguration(token: token), logger: TestLogging.logger("apiserver"))
        let client = KubernetesClient(configuration: KubeConfiguration(server: server.baseURL, credentials: .token(token)),
                                      logger: TestLogging.logger("client"))
        var broker: TestBroker?
        if tunnel == .mqtt {
            do {
                broker = try await TestBroker.launch()
            } catch {
                client.shutdown()
                await server.shutdown()
                throw error
            }
        }
        let harness = ControllerHarness(server: server, client: client, tunnel: tunnel, broker: broker,
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
        await broker?.shutdown()
        curl.shutdown()
        for extra in extraClients.withLock({ $0 }) { extra.shutdown() }
        client.shutdown()
        await server.shutdown()
    }

    /// For tests that make a base go silent: NotReady after 3 s, deleted after 6 s. The default
    /// (8 s, 12 s) leaves room for a loaded CI machine, so that no test sees a live base flap.
    static func fastLiveness(_ configuration: inout VirtualKubeletConfiguration) {
        configuration.unreachableAfter = .seconds(3)
        configuration.deadAfter = .seconds(6)
    }

    /// Short durations so that liveness, polls and retries happen within seconds.
    func configuration(clientID: String = "replica-1", _ configure: (inout VirtualKubeletConfiguration) -> Void = { _ in })
        -> VirtualKubeletConfiguration
    {
        var configuration = VirtualKubeletConfiguration(
            env: env, clientID: clientID, workerCount: 4, leaseDuration: .seconds(10), leaseRenewInterval: .seconds(2),
            unreachableAfter: .seconds(8), deadAfter: .seconds(12), healthPollInterval: .seconds(1),
            bizListPollInterval: .seconds(1), operationRetryBaseDelay: .milliseconds(200),
            operationRetryMaxDelay: .seconds(1), uninstallWaitTimeout: .seconds(20), orphanGracePeriod: .seconds(30))
        configure(&configuration)
        return configuration
    }

    /// A Kubernetes client of its own, for a controller the test will cut off from the API server
    /// (``RunningController/crash()``).
    func makeClient() -> KubernetesClient {
        let client = KubernetesClient(configuration: KubeConfiguration(server: server.baseURL, credentials: .token(token)),
                                      logger: TestLogging.logger("client"))
        extraClients.withLock { $0.append(client) }
        return client
    }

    func nodeName(_ identity: String) -> String { "vnode.\(identity).\(env)" }

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

    /// Waits until the base's vnode shows `Ready` = `ready`; returns it.
    @discardableResult
    func waitForNode(_ identity: String, ready: Bool, timeout: Duration = .seconds(20)) async throws -> Node {
        try await waitFor("vnode of \(identity) Ready=\(ready)", timeout: timeout) {
            let node = try await self.node(identity)
            return node?.status?.condition("Ready")?.status == (ready ? "True" : "False") ? node : nil
        }
    }

    /// Waits until neither the base's Node nor its Lease exists.
    func waitForNodeAndLeaseDeleted(_ identity: String, timeout: Duration = .seconds(20)) async throws {
        try await waitFor("vnode and lease of \(identity) deleted", timeout: timeout) {
            let node = try await self.node(identity), lease = try await self.lease(identity)
            return node == nil && lease == nil ? true : nil
        }
    }

    /// Creates a module pod bound to a base's vnode, with the tolerations a user would add.
    @discardableResult
    func createPod(_ name: String, on identity: String, bizzes: [(name: String, version: String)],
                   grace: Int64 = 30) async throws -> Pod {
        try await client.create(modulePod(name, node: nodeName(identity), bizzes: bizzes, grace: grace))
    }

    /// A module pod as a user's Deployment would make it, bound to `node` (the scheduler's part).
    func modulePod(_ name: String, node: String, bizzes: [(name: String, version: String)], grace: Int64 = 30,
                   labels: [String: String] = [:]) -> Pod {
        let containers = bizzes.map { biz in
            Container(name: biz.name, image: "https://repo.example/\(biz.name)-\(biz.version)-ark-biz.jar",
                      env: [EnvVar(name: "BIZ_VERSION", value: biz.version)])
        }
        return Pod(
            metadata: ObjectMeta(name: name, namespace: "default",
                                 labels: ["virtual-kubelet.koupleless.io/component": "module", "app": name]
                                    .merging(labels) { $1 }),
            spec: PodSpec(nodeName: node, containers: containers,
                          tolerations: [Toleration(key: "schedule.koupleless.io/virtual-node", operator: "Equal", value: "True", effect: "NoExecute"),
                                        Toleration(key: "schedule.koupleless.io/node-env", operator: "Equal", value: env, effect: "NoExecute")],
                          terminationGracePeriodSeconds: grace))
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

/// Runs `body`, failing with ``DeadlineExceeded`` if it has not finished within `timeout`.
func withDeadline<T: Sendable>(_ timeout: Duration, _ what: String,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    guard let value = try await Arklet.withDeadline(timeout, operation: body) else { throw DeadlineExceeded(what: what) }
    return value
}
