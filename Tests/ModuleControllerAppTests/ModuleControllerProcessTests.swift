import Arklet
import BaseSimulation
import CurlHTTP
import Foundation
import KubeClient
import KubeTestServer
import Logging
import MosquittoTestSupport
import Testing

/// The `module-controller` executable as operators run it — configured by environment variables
/// and flags, against an API server (the test server, through a kubeconfig) and a mosquitto
/// broker — with simulated bases: probes, metrics, peer Deployments and baselines (C-M9), and a
/// SIGTERM that releases every Lease and exits within 10 s (contract §6).
@Suite(.serialized) struct ModuleControllerProcessTests {
    /// The executable sits next to the test bundle in the build directory.
    static var executable: URL {
        let bundle = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return bundle.deletingLastPathComponent().appendingPathComponent("module-controller")
    }

    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        return logger
    }

    @Test func peerDeploymentsAndBaselinesFollowTheBasesAndSIGTERMReleasesEveryLease() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.executable.path),
                "build the package first (swift build): \(Self.executable.path) is missing")
        let token = UUID().uuidString, controllerToken = UUID().uuidString
        let env = "p\(UInt32.random(in: 0...UInt32.max))"
        var serverConfiguration = KubeTestServerConfiguration(token: token)
        // The controller has a token of its own, so its requests can be checked against deploy/rbac.yaml.
        serverConfiguration.additionalTokens = [controllerToken]
        let server = try await KubeTestServer.start(serverConfiguration, logger: Self.logger("apiserver"))
        let client = KubernetesClient(configuration: KubeConfiguration(server: server.baseURL, credentials: .token(token)),
                                      logger: Self.logger("client"))
        let broker = try await TestBroker.launch()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mc-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = directory.appendingPathComponent("kubeconfig")
        try server.kubeconfig(token: controllerToken).write(to: kubeconfig, atomically: true, encoding: .utf8)
        let http = CurlHTTPClient(logger: Self.logger("http"))

        for deployment in [peerDeployment("peer-c1", env: env, cluster: "c1", biz: "biz-a", replicas: 5),
                           peerDeployment("peer-c2", env: env, cluster: "c2", biz: "biz-b", replicas: 3)] {
            _ = try await client.create(deployment)
        }
        let healthPort = try TestBroker.freeLoopbackPort()
        var metricsPort = try TestBroker.freeLoopbackPort()
        while metricsPort == healthPort || metricsPort == broker.port { metricsPort = try TestBroker.freeLoopbackPort() }
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--kubeconfig", kubeconfig.path, "--health-port", "\(healthPort)",
                             "--metrics-port", "\(metricsPort)", "--log-level", "warning"]
        process.environment = [
            "PATH": "/usr/bin:/bin", "ENV": env, "CLIENT_ID": "replica-p", "ENABLE_MQTT_TUNNEL": "true",
            "MQTT_BROKER": "127.0.0.1", "MQTT_PORT": "\(broker.port)", "MQTT_USERNAME": "",
            "ENABLE_MODULE_REPLICAS_SYNC_WITH_BASE": "true",
        ]
        let log = directory.appendingPathComponent("controller.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let logHandle = try FileHandle(forWritingTo: log)
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
        var bases: [(MQTTSimulatedBase, Task<Void, Never>)] = []
        func stopEverything() async {
            if process.isRunning { process.interrupt() }
            for (_, task) in bases { task.cancel(); await task.value }
            http.shutdown()
            client.shutdown()
            await broker.shutdown()
            await server.shutdown()
        }
        do {
            func get(_ port: Int, _ path: String) async throws -> HTTPResponse {
                try await http.execute(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)\(path)", timeout: .seconds(5)))
            }
            try await poll("/readyz 200") { (try? await get(healthPort, "/readyz"))?.status == 200 }
            #expect(try await get(healthPort, "/healthz").status == 200)
            func replicas(_ name: String) async throws -> Int? {
                try await client.get(Deployment.self, namespace: "default", name: name).spec?.replicas
            }
            // No bases: peer Deployments go to 0.
            try await poll("peer Deployments at 0") {
                let first = try await replicas("peer-c1"), second = try await replicas("peer-c2")
                return first == 0 && second == 0
            }

            func startBase(_ identity: String, cluster: String) -> MQTTSimulatedBase {
                let arklet = SimulatedArklet(configuration: SimulatedBaseConfiguration(
                    identity: BaseIdentity(identity)!, clusterName: cluster, heartbeatInterval: .seconds(1),
                    installDuration: .milliseconds(20)))
                let base = MQTTSimulatedBase(
                    arklet: arklet,
                    mqtt: MQTTConfiguration(broker: "127.0.0.1", port: broker.port, username: "", env: env, clientID: identity,
                                            connectTimeout: .seconds(5)),
                    logger: Self.logger("base"))
                bases.append((base, Task { await base.run(deactivatedHeartbeatOnExit: true) }))
                return base
            }
            // Each base gets its cluster's modules as its baseline, and the peer Deployment counts it.
            let first = startBase("base-1", cluster: "c1")
            try await poll("peer-c1 at 1") { try await replicas("peer-c1") == 1 }
            try await poll("base-1 baseline installed") { await first.arklet.bizStates.keys.map(\.name) == ["biz-a"] }
            let second = startBase("base-2", cluster: "c1")
            try await poll("peer-c1 at 2") { try await replicas("peer-c1") == 2 }
            let third = startBase("base-3", cluster: "c2")
            try await poll("peer-c2 at 1") { try await replicas("peer-c2") == 1 }
            try await poll("base-2 and base-3 baselines installed") {
                let two = await second.arklet.bizStates.keys.map(\.name), three = await third.arklet.bizStates.keys.map(\.name)
                return two == ["biz-a"] && three == ["biz-b"]
            }
            #expect(try await replicas("peer-c1") == 2)
            for base in [first, second, third] {
                #expect(await base.arklet.count(of: .batchInstallBiz) == 1, "baseline answered once")
            }
            let leases = try await client.list(Lease.self, namespace: "kube-node-lease").items
            #expect(Set(leases.compactMap(\.spec?.holderIdentity)) == ["replica-p"])
            #expect(leases.count == 3)
            let metrics = String(decoding: try await get(metricsPort, "/metrics").body, as: UTF8.self)
            #expect(metrics.contains("module_controller_vnodes"), "metrics: \(metrics.prefix(500))")

            // A module pod through its whole life: installed, Ready, an Event, deleted once uninstalled.
            _ = try await client.create(modulePod("app", env: env, node: "vnode.base-3.\(env)"))
            try await poll("module pod Ready") {
                try await client.get(Pod.self, namespace: "default", name: "app").status?.condition("Ready")?.status == "True"
            }
            #expect(await third.arklet.bizStates[BizKey(name: "biz-c", version: "1.0.0")] == .activated)
            #expect(try await client.list(Event.self, namespace: "default").items.contains { $0.reason == "ModuleInstalled" })
            _ = try await client.delete(Pod.self, namespace: "default", name: "app")
            try await poll("module pod gone") {
                do {
                    _ = try await client.get(Pod.self, namespace: "default", name: "app")
                    return false
                } catch let error as KubeAPIError where error.isNotFound {
                    return true
                }
            }
            #expect(await third.arklet.bizStates[BizKey(name: "biz-c", version: "1.0.0")] == nil)

            // Bases that leave (a DEACTIVATED heartbeat on exit) no longer count.
            for index in [1, 0] {
                bases[index].1.cancel()
                await bases[index].1.value
                let expected = index
                try await poll("peer-c1 at \(expected)") { try await replicas("peer-c1") == expected }
            }
            #expect(try await replicas("peer-c2") == 1)

            // SIGTERM: every Lease released, exit 0 within 10 s.
            let stopAt = ContinuousClock.now
            process.terminate()
            try await poll("process exited", timeout: .seconds(10)) { !process.isRunning }
            #expect(ContinuousClock.now - stopAt < .seconds(10))
            #expect(process.terminationReason == .exit && process.terminationStatus == 0,
                    "log: \(String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self).suffix(2000))")
            let released = try await client.list(Lease.self, namespace: "kube-node-lease").items
            #expect(!released.isEmpty && released.allSatisfy { $0.spec?.holderIdentity == nil })

            // Everything the controller asked of the API server is granted by deploy/rbac.yaml.
            let rbac = try RBACManifest(contentsOf: Self.repository.appendingPathComponent("deploy/rbac.yaml"))
            let requested = server.requestedAttributes(token: controllerToken)
            #expect(requested.contains { $0.resource == "pods/status" } && requested.contains { $0.resource == "events" })
            for attributes in requested.sorted(by: { $0.description < $1.description }) {
                #expect(rbac.allows(attributes), "deploy/rbac.yaml does not grant: \(attributes)")
            }
        } catch {
            let text = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
            Issue.record("\(error); controller log (tail): \(text.suffix(3000))")
            await stopEverything()
            throw error
        }
        await stopEverything()
    }

    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A module pod bound to `node`, as a user's Deployment would make it.
    func modulePod(_ name: String, env: String, node: String) -> Pod {
        Pod(metadata: ObjectMeta(name: name, namespace: "default",
                                 labels: ["virtual-kubelet.koupleless.io/component": "module", "app": name]),
            spec: PodSpec(nodeName: node,
                          containers: [Container(name: "biz-c", image: "https://repo.example/biz-c-1.0.0-ark-biz.jar",
                                                 env: [EnvVar(name: "BIZ_VERSION", value: "1.0.0")])],
                          tolerations: [Toleration(key: "schedule.koupleless.io/virtual-node", operator: "Equal", value: "True",
                                                   effect: "NoExecute"),
                                        Toleration(key: "schedule.koupleless.io/node-env", operator: "Equal", value: env,
                                                   effect: "NoExecute")]))
    }

    /// A peer module Deployment of one biz for one cluster (as samples/module-deployment.yaml, with a nodeSelector).
    func peerDeployment(_ name: String, env: String, cluster: String, biz: String, replicas: Int) -> Deployment {
        let spec = PodSpec(
            containers: [Container(name: biz, image: "https://repo.example/\(biz)-1.0.0-ark-biz.jar",
                                   env: [EnvVar(name: "BIZ_VERSION", value: "1.0.0")])],
            nodeSelector: ["base.koupleless.io/cluster-name": cluster])
        return Deployment(
            metadata: ObjectMeta(name: name, namespace: "default",
                                 labels: ["virtual-kubelet.koupleless.io/component": "module-deployment",
                                          "virtual-kubelet.koupleless.io/env": env,
                                          "virtual-kubelet.koupleless.io/strategy": "peer"]),
            spec: DeploymentSpec(
                replicas: replicas, selector: LabelSelectorSpec(matchLabels: ["app": name]),
                template: PodTemplateSpec(metadata: ObjectMeta(labels: ["app": name, "virtual-kubelet.koupleless.io/component": "module"]),
                                          spec: spec)))
    }
}

/// Polls `condition` until it holds; fails after `timeout` (a deadline, not a sleep standing in for synchronisation).
func poll(_ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw PollTimeout(what: what) }
        try await Task.sleep(for: .milliseconds(50))
    }
}

struct PollTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}
