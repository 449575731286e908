import Arklet
import BaseSimulation
import Foundation
import Logging
import MosquittoTestSupport

/// Loggers for tests: silent unless `ARKLET_TEST_LOG_LEVEL` (e.g. `debug`) is set.
enum TestLogging {
    static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        let level = ProcessInfo.processInfo.environment["ARKLET_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .critical
        return logger
    }
}

/// One test's world: its own broker on its own port, its own topic env, a running controller
/// tunnel and a recorder of the tunnel's events.
struct MQTTHarness: Sendable {
    let broker: TestBroker
    let env: String
    let tunnel: MQTTTunnel
    let recorder: EventRecorder

    /// Broker settings for any client of this test.
    func configuration(clientID: String) -> MQTTConfiguration {
        MQTTHarness.configuration(port: broker.port, env: env, clientID: clientID)
    }

    static func configuration(port: Int, env: String, clientID: String) -> MQTTConfiguration {
        MQTTConfiguration(broker: "127.0.0.1", port: port, username: "", clientPrefix: "koupleless", env: env,
                          clientID: clientID, keepAlive: .seconds(30), connectTimeout: .seconds(5),
                          reconnectBackoff: ReconnectBackoff(initial: .milliseconds(50), maximum: .milliseconds(400)),
                          maxPayloadBytes: 64 * 1024)
    }

    /// A simulated base of this test's broker and env.
    func makeBase(_ identity: String, configure: (inout SimulatedBaseConfiguration) -> Void = { _ in }) -> MQTTSimulatedBase {
        var configuration = SimulatedBaseConfiguration(identity: BaseIdentity(identity)!, heartbeatInterval: .seconds(60),
                                                       installDuration: .milliseconds(50), uninstallDuration: .milliseconds(20))
        configure(&configuration)
        return MQTTSimulatedBase(arklet: SimulatedArklet(configuration: configuration),
                                 mqtt: self.configuration(clientID: identity), logger: TestLogging.logger("base"))
    }

    /// Runs `base` until the returned runner is stopped.
    func start(_ base: MQTTSimulatedBase) -> RunningBase {
        RunningBase(base: base, task: Task { await base.run() })
    }

    /// Starts `base` and waits until the controller has seen its first heartbeat (which the base
    /// sends only once it is subscribed, so commands can reach it from then on).
    func startAndAwaitHeartbeat(_ base: MQTTSimulatedBase) async throws -> RunningBase {
        let mark = recorder.mark
        let identity = base.arklet.configuration.identity
        let running = start(base)
        try await recorder.waitFor(from: mark) { event in
            if case .heartbeat(identity, _, _) = event { return true }
            return false
        }
        return running
    }
}

/// A simulated base running in its own task.
struct RunningBase: Sendable {
    let base: MQTTSimulatedBase
    let task: Task<Void, Never>

    func stop() async {
        task.cancel()
        await task.value
    }
}

extension MQTTTunnelOptions {
    static func forTests(timeout: Duration = .seconds(10), resendInterval: Duration = .seconds(2)) -> MQTTTunnelOptions {
        MQTTTunnelOptions(timeouts: .uniform(timeout), resendInterval: resendInterval, shutdownTimeout: .seconds(3))
    }
}

/// Runs `body` with a fresh broker and a connected controller tunnel; tears everything down after.
func withMQTTHarness(options: MQTTTunnelOptions = .forTests(), now: @escaping @Sendable () -> Date = { Date() },
                     _ body: @Sendable (MQTTHarness) async throws -> Void) async throws {
    let broker = try await TestBroker.launch()
    let env = "test\(UInt32.random(in: 0...UInt32.max))"
    let tunnel = MQTTTunnel(configuration: MQTTHarness.configuration(port: broker.port, env: env, clientID: "controller"),
                            options: options, logger: TestLogging.logger("tunnel"), now: now)
    let harness = MQTTHarness(broker: broker, env: env, tunnel: tunnel, recorder: EventRecorder())
    do {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await tunnel.run() }
            group.addTask { await harness.recorder.consume(tunnel.events) }
            try await tunnel.waitUntilConnected(timeout: .seconds(10))
            try await body(harness)
            group.cancelAll()
            try await group.waitForAll()
        }
    } catch {
        await broker.shutdown()
        throw error
    }
    await broker.shutdown()
}
