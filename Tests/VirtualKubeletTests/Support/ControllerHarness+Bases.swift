import Arklet
import BaseSimulation
import Foundation

/// A simulated base a harness can run: MQTT (through the world's broker) or HTTP (its own arklet
/// server on loopback, heart-beating to one controller's listener).
protocol HarnessBase: Sendable {
    var arklet: SimulatedArklet { get }
    /// Behaves like an arklet until the calling task is cancelled.
    func runUntilCancelled(deactivatedHeartbeatOnExit: Bool) async
}

extension MQTTSimulatedBase: HarnessBase {
    func runUntilCancelled(deactivatedHeartbeatOnExit: Bool) async {
        await run(deactivatedHeartbeatOnExit: deactivatedHeartbeatOnExit)
    }
}

extension HTTPSimulatedBase: HarnessBase {
    /// A port that cannot be bound shows as a base that never listens (see
    /// ``ControllerHarness/startReadyHTTPBase(_:heartbeatingTo:configure:)``).
    func runUntilCancelled(deactivatedHeartbeatOnExit: Bool) async {
        try? await run(deactivatedHeartbeatOnExit: deactivatedHeartbeatOnExit)
    }
}

/// Simulated bases of a harness world.
extension ControllerHarness {
    /// Who a simulated base is, with short durations (heartbeat every second, quick installs).
    private func baseConfiguration(_ identity: String, localIP: String,
                                   configure: (inout SimulatedBaseConfiguration) -> Void) -> SimulatedBaseConfiguration {
        var configuration = SimulatedBaseConfiguration(
            identity: BaseIdentity(identity)!, localIP: localIP, localHostName: "\(identity)-host",
            heartbeatInterval: .seconds(1), installDuration: .milliseconds(50), uninstallDuration: .milliseconds(20))
        configure(&configuration)
        return configuration
    }

    /// A simulated MQTT base of this world (an MQTT world).
    func makeBase(_ identity: String, configure: (inout SimulatedBaseConfiguration) -> Void = { _ in }) -> MQTTSimulatedBase {
        let configuration = baseConfiguration(identity, localIP: "10.9.0.\(UInt8.random(in: 1...250))", configure: configure)
        return MQTTSimulatedBase(arklet: SimulatedArklet(configuration: configuration),
                                 mqtt: mqttConfiguration(clientID: identity), logger: TestLogging.logger("base"))
    }

    /// A simulated HTTP base whose arklet listens on a free loopback port (kept across restarts)
    /// and which heart-beats to `controller`'s listener, and only there, even once it is gone.
    func makeHTTPBase(_ identity: String, heartbeatingTo controller: RunningController,
                      configure: (inout SimulatedBaseConfiguration) -> Void = { _ in }) -> HTTPSimulatedBase {
        precondition(controller.heartbeatEndpoint != nil, "an HTTP base needs a controller with an HTTP tunnel")
        // The controller sends commands to the heartbeat's `localIP`: the base is on loopback.
        let configuration = baseConfiguration(identity, localIP: "127.0.0.1", configure: configure)
        return HTTPSimulatedBase(arklet: SimulatedArklet(configuration: configuration), port: 0, host: "127.0.0.1",
                                 heartbeatEndpoint: controller.heartbeatEndpoint,
                                 heartbeatTransport: CurlArkletTransport(client: curl), logger: TestLogging.logger("base"))
    }

    /// A fleet of simulated MQTT bases answering over one connection (an MQTT world).
    func makeFleet(_ identities: [String], configure: (inout SimulatedBaseConfiguration) -> Void = { _ in })
        -> MQTTSimulatedFleet
    {
        let arklets = identities.map { identity in
            SimulatedArklet(configuration: baseConfiguration(identity, localIP: "10.9.1.\(UInt8.random(in: 1...250))",
                                                             configure: configure))
        }
        return MQTTSimulatedFleet(arklets: arklets, mqtt: mqttConfiguration(clientID: "fleet"),
                                  startupSpread: .milliseconds(500), logger: TestLogging.logger("fleet"))
    }

    func start<Base: HarnessBase>(_ base: Base, deactivatedHeartbeatOnExit: Bool = false) -> RunningBase<Base> {
        // Owned by the returned value and awaited by `stop()`.
        RunningBase(base: base, task: Task { await base.runUntilCancelled(deactivatedHeartbeatOnExit: deactivatedHeartbeatOnExit) })
    }

    /// Starts an MQTT base and waits until its vnode is Ready.
    func startReadyBase(_ identity: String, configure: (inout SimulatedBaseConfiguration) -> Void = { _ in })
        async throws -> RunningBase<MQTTSimulatedBase>
    {
        try await startReady(makeBase(identity, configure: configure))
    }

    /// Starts an HTTP base heart-beating to `controller` and waits until its vnode is Ready.
    func startReadyHTTPBase(_ identity: String, heartbeatingTo controller: RunningController,
                            deactivatedHeartbeatOnExit: Bool = false,
                            configure: (inout SimulatedBaseConfiguration) -> Void = { _ in })
        async throws -> RunningBase<HTTPSimulatedBase>
    {
        try await startReady(makeHTTPBase(identity, heartbeatingTo: controller, configure: configure),
                             deactivatedHeartbeatOnExit: deactivatedHeartbeatOnExit)
    }

    private func startReady<Base: HarnessBase>(_ base: Base, deactivatedHeartbeatOnExit: Bool = false)
        async throws -> RunningBase<Base>
    {
        let running = start(base, deactivatedHeartbeatOnExit: deactivatedHeartbeatOnExit)
        do {
            try await waitForNode(base.arklet.configuration.identity.rawValue, ready: true)
        } catch {
            await running.stop()
            throw error
        }
        return running
    }
}

/// A simulated base running in a task of its own.
struct RunningBase<Base: HarnessBase>: Sendable {
    let base: Base
    let task: Task<Void, Never>

    var arklet: SimulatedArklet { base.arklet }

    func stop() async {
        task.cancel()
        await task.value
    }
}
