import Arklet
import Foundation
import KubeClient
import MosquittoTestSupport
@testable import VirtualKubelet

/// Controllers of a harness world, each with a tunnel of its own of the world's kind.
extension ControllerHarness {
    /// The MQTT settings of this world's broker, for a controller or a base. Only for MQTT worlds.
    func mqttConfiguration(clientID: String) -> MQTTConfiguration {
        guard let broker else { preconditionFailure("an HTTP world has no MQTT broker") }
        return MQTTConfiguration(broker: "127.0.0.1", port: broker.port, username: "", clientPrefix: "koupleless", env: env,
                                 clientID: clientID, keepAlive: .seconds(30), connectTimeout: .seconds(5),
                                 reconnectBackoff: ReconnectBackoff(initial: .milliseconds(50), maximum: .milliseconds(400)),
                                 maxPayloadBytes: 1 << 20)
    }

    /// A new tunnel of this world's kind: MQTT to the broker, or an HTTP listener on a free
    /// loopback port that sends commands through ``curl``.
    private func makeTunnel(clientID: String) -> any Tunnel {
        switch tunnel {
        case .mqtt:
            return MQTTTunnel(
                configuration: mqttConfiguration(clientID: clientID),
                options: MQTTTunnelOptions(timeouts: .uniform(.seconds(5)), resendInterval: .seconds(1), shutdownTimeout: .seconds(3)),
                logger: TestLogging.logger("tunnel"))
        case .http:
            return HTTPTunnel(
                options: HTTPTunnelOptions(host: "127.0.0.1", port: 0, timeouts: .uniform(.seconds(3)),
                                           shutdownGracePeriod: .seconds(1)),
                transport: CurlArkletTransport(client: curl, connectTimeout: .seconds(1)),
                logger: TestLogging.logger("tunnel"))
        }
    }

    /// Starts a controller with its own tunnel (and `client`, else the world's); waits until it is
    /// ready (caches synced, tunnel connected or listening).
    func startController(_ configuration: VirtualKubeletConfiguration, baselines: (any BaselineProvider)? = nil,
                         client: KubernetesClient? = nil) async throws -> RunningController {
        let tunnel = makeTunnel(clientID: configuration.clientID)
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
        var running = RunningController(controller: controller, tunnel: tunnel, task: task, ownClient: client)
        do {
            try await waitFor("controller ready") { controller.isReady ? true : nil }
            if let http = tunnel as? HTTPTunnel {
                running.heartbeatEndpoint = "http://127.0.0.1:\(try await http.waitUntilListening(timeout: .seconds(5)))"
            }
        } catch {
            await running.stop()
            throw error
        }
        return running
    }
}

/// A controller and its tunnel running in a task of their own.
struct RunningController: Sendable {
    let controller: VirtualKubeletController
    let tunnel: any Tunnel
    let task: Task<Void, Never>
    /// Where HTTP bases send heartbeats to this controller (`http://127.0.0.1:<port>`); `nil` for MQTT.
    /// Kept after the controller stops: a base may go on heart-beating to a listener that is gone.
    fileprivate(set) var heartbeatEndpoint: String?
    /// The client the controller was started with, if not the world's.
    let ownClient: KubernetesClient?

    init(controller: VirtualKubeletController, tunnel: any Tunnel, task: Task<Void, Never>, ownClient: KubernetesClient?) {
        self.controller = controller
        self.tunnel = tunnel
        self.task = task
        self.ownClient = ownClient
    }

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
