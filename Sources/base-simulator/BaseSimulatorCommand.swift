import ArgumentParser
import Arklet
import BaseSimulation
import CurlHTTP
import Dispatch
import Foundation
import Logging

/// `base-simulator`: simulated Koupleless bases speaking arklet over MQTT or HTTP, for tests,
/// benchmarks and demos.
@main
struct BaseSimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "base-simulator",
        abstract: "Simulated Koupleless bases that speak the arklet protocol over MQTT or HTTP.",
        discussion: """
            Each simulated base behaves like a Java base running SOFAArk + arklet: it heart-beats, \
            answers health and queryAllBiz, installs and uninstalls bizzes (taking --install-duration, \
            failing with --install-failure-rate), deactivates the older version of a biz when a new one \
            is installed (activate.new.module=true), refuses concurrent operations on one biz with a \
            "conflict", and batch-installs its baseline.

            MQTT settings come from the controller's environment variables: MQTT_BROKER (default \
            test-broker), MQTT_PORT (1883), MQTT_USERNAME (test-username), MQTT_PASSWORD (empty), \
            MQTT_CLIENT_PREFIX (koupleless), MQTT_CA_PATH / MQTT_CLIENT_CRT_PATH / MQTT_CLIENT_KEY_PATH \
            (TLS), and ENV (dev), which must equal the controller's ENV. Each base connects as \
            <MQTT_CLIENT_PREFIX>@@@<identity>.

            HTTP (--tunnel http): each base serves the arklet command server (POST /health, \
            /queryAllBiz, /installBiz, /uninstallBiz, /batchInstallBiz; always HTTP 200 with the \
            arklet envelope) on its own port, --arklet-port for the first base and the next ports \
            for the others, and POSTs its status to <--heartbeat-endpoint>/heartbeat every \
            --heartbeat-interval seconds (12 by default, like the arklet), the first one at once. \
            The heartbeat's localIP (--local-ip) must be an address the controller can reach the \
            bases on.

            Stop with SIGINT or SIGTERM.
            """
    )

    enum TunnelChoice: String, ExpressibleByArgument, CaseIterable {
        case mqtt
        case http
    }

    @Option(help: "Transport the bases speak: mqtt or http.")
    var tunnel: TunnelChoice = .mqtt

    @Option(help: "Number of bases to simulate (default: the number of --identity options, else 1).")
    var bases: Int?

    @Option(help: "Base identities are <prefix>-1 … <prefix>-N (unless --identity is given).")
    var identityPrefix: String = "sim-base"

    @Option(name: .customLong("identity"),
            help: "Identity of one base; repeat for several bases, in order (overrides --identity-prefix).")
    var identities: [String] = []

    @Option(help: "IP address the bases report as localIP; over HTTP the controller sends commands to it.")
    var localIP: String = "127.0.0.1"

    @Option(help: "Host name the bases report as localHostName (default: this machine's host name).")
    var localHostName: String?

    @Option(help: "Base application name reported in heartbeats (node label base.koupleless.io/name).")
    var baseName: String = "base"

    @Option(help: "Base application version reported in heartbeats.")
    var baseVersion: String = "1.0.0"

    @Option(help: "Cluster name reported in heartbeats; selects the baseline the controller answers.")
    var clusterName: String = "default"

    @Option(help: "HTTP only: arklet port of the first base; base i listens on port + i - 1 (0: free ports).")
    var arkletPort: Int = 1238

    @Option(help: "HTTP only: address the arklet command servers listen on.")
    var listenHost: String = "0.0.0.0"

    @Option(help: "HTTP only: controller endpoint the bases POST heartbeats to, e.g. http://127.0.0.1:7777.")
    var heartbeatEndpoint: String?

    @Option(help: "Seconds between heartbeats (arklet: 10 over MQTT, 12 over HTTP).")
    var heartbeatInterval: Double?

    @Option(help: "Milliseconds an install takes.")
    var installDuration: Int = 500

    @Option(help: "Probability (0…1) that an install fails.")
    var installFailureRate: Double = 0

    @Flag(inversion: .prefixedNo,
          help: "MQTT only: answer for every base over one broker connection (default when --bases is above \(Self.fleetThreshold)); --no-fleet gives each base its own connection and thread, like real bases.")
    var fleet: Bool?

    @Option(help: "MQTT fleet only: spread the bases' first heartbeats over this many seconds (0: all at once).")
    var startupSpread: Double = 0

    /// Above this many bases, MQTT bases share one connection unless --no-fleet is given.
    static let fleetThreshold = 50

    @Flag(help: "On SIGINT/SIGTERM, send one DEACTIVATED heartbeat before leaving (like the upstream mock; real arklets go silent).")
    var deactivateOnExit = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    /// How many bases run.
    private var baseCount: Int { bases ?? max(1, identities.count) }

    func validate() throws {
        guard baseCount >= 1 else { throw ValidationError("--bases must be at least 1") }
        if let bases, !identities.isEmpty, bases != identities.count {
            throw ValidationError("--bases \(bases) does not match the \(identities.count) --identity options")
        }
        guard (0...1).contains(installFailureRate) else { throw ValidationError("--install-failure-rate must be within 0…1") }
        guard installDuration >= 0 else { throw ValidationError("--install-duration must not be negative") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        let lastPort = arkletPort + baseCount - 1
        guard arkletPort == 0 || (arkletPort >= 1 && lastPort <= 65_535) else {
            throw ValidationError("--arklet-port must leave a TCP port for each of the \(baseCount) bases, or be 0")
        }
        if tunnel == .http, let heartbeatEndpoint {
            guard let url = URL(string: heartbeatEndpoint), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw ValidationError("--heartbeat-endpoint must be an http(s) URL such as http://127.0.0.1:7777")
            }
        }
        if fleet == true, tunnel != .mqtt { throw ValidationError("--fleet is for --tunnel mqtt only") }
        guard startupSpread >= 0 else { throw ValidationError("--startup-spread must not be negative") }
        if let heartbeatInterval, heartbeatInterval <= 0 { throw ValidationError("--heartbeat-interval must be positive") }
        for index in 1...baseCount where !BaseIdentity.isValid(identity(index)) {
            throw ValidationError("--identity-prefix gives the invalid identity \(identity(index).debugDescription)")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "base-simulator")
        switch tunnel {
        case .mqtt:
            try await runMQTT(logger: logger)
        case .http:
            await runHTTP(logger: logger)
        }
    }

    private func identity(_ index: Int) -> String {
        identities.indices.contains(index - 1) ? identities[index - 1] : "\(identityPrefix)-\(index)"
    }

    private func baseConfiguration(_ index: Int, defaultHeartbeat: Double) -> SimulatedBaseConfiguration {
        SimulatedBaseConfiguration(
            identity: BaseIdentity(identity(index))!, name: baseName, version: baseVersion, clusterName: clusterName,
            localIP: localIP, localHostName: localHostName ?? ProcessInfo.processInfo.hostName,
            heartbeatInterval: .milliseconds(Int64((heartbeatInterval ?? defaultHeartbeat) * 1000)),
            installDuration: .milliseconds(installDuration), installFailureRate: installFailureRate)
    }

    private func runMQTT(logger: Logger) async throws {
        let mqtt: MQTTConfiguration
        do {
            mqtt = try MQTTConfiguration.fromEnvironment()
        } catch {
            throw ValidationError(error.description)
        }
        logger.info("starting simulated MQTT bases", metadata: [
            "bases": "\(baseCount)", "broker": "\(mqtt.broker):\(mqtt.port)", "env": "\(mqtt.env)",
        ])
        if fleet ?? (baseCount > Self.fleetThreshold) {
            try await runMQTTFleet(mqtt: mqtt, logger: logger)
            return
        }
        let deactivateOnExit = deactivateOnExit
        let simulated = (1...baseCount).map { index in
            MQTTSimulatedBase(arklet: SimulatedArklet(configuration: baseConfiguration(index, defaultHeartbeat: 10)),
                              mqtt: mqtt, logger: logger)
        }
        await runUntilSignalled {
            await withDiscardingTaskGroup { group in
                for base in simulated {
                    group.addTask { await base.run(deactivatedHeartbeatOnExit: deactivateOnExit) }
                }
            }
        }
        logger.info("simulated bases stopped")
    }

    /// Every base over one connection (`<MQTT_CLIENT_PREFIX>@@@<CLIENT_ID, else base-simulator-fleet>`).
    private func runMQTTFleet(mqtt: MQTTConfiguration, logger: Logger) async throws {
        var mqtt = mqtt
        mqtt.clientID = ProcessInfo.processInfo.environment["CLIENT_ID"] ?? "base-simulator-fleet"
        let fleet = MQTTSimulatedFleet(
            arklets: (1...baseCount).map { SimulatedArklet(configuration: baseConfiguration($0, defaultHeartbeat: 10)) },
            mqtt: mqtt, startupSpread: .milliseconds(Int64(startupSpread * 1000)), logger: logger)
        logger.info("one connection answers for every base", metadata: ["client": "\(mqtt.clientIdentifier)"])
        let deactivateOnExit = deactivateOnExit
        await runUntilSignalled { await fleet.run(deactivatedHeartbeatOnExit: deactivateOnExit) }
        logger.info("simulated bases stopped")
    }

    private func runHTTP(logger: Logger) async {
        if heartbeatEndpoint == nil {
            logger.notice("no --heartbeat-endpoint: the bases will not heart-beat, so no controller discovers them")
        }
        logger.info("starting simulated HTTP bases", metadata: [
            "bases": "\(baseCount)", "firstPort": "\(arkletPort)", "heartbeatEndpoint": "\(heartbeatEndpoint ?? "none")",
        ])
        // One libcurl client (one thread) carries the heartbeats of every base; the arklet's own
        // client connects within 30 s.
        let transport = CurlArkletTransport(client: CurlHTTPClient(logger: logger), connectTimeout: .seconds(30))
        let deactivateOnExit = deactivateOnExit
        let simulated = (1...baseCount).map { index in
            HTTPSimulatedBase(arklet: SimulatedArklet(configuration: baseConfiguration(index, defaultHeartbeat: 12)),
                              port: arkletPort == 0 ? 0 : arkletPort + index - 1, host: listenHost,
                              heartbeatEndpoint: heartbeatEndpoint, heartbeatTransport: transport, logger: logger)
        }
        await runUntilSignalled {
            await withDiscardingTaskGroup { group in
                for base in simulated {
                    group.addTask {
                        do {
                            try await base.run(deactivatedHeartbeatOnExit: deactivateOnExit)
                        } catch {
                            logger.error("simulated base failed", metadata: [
                                "vnode": "\(base.arklet.configuration.identity)", "error": "\(error)",
                            ])
                        }
                    }
                }
            }
        }
        logger.info("simulated bases stopped")
    }

    /// Runs `work` until SIGINT or SIGTERM cancels it.
    private func runUntilSignalled(_ work: @escaping @Sendable () async -> Void) async {
        let task = Task { await work() }
        let queue = DispatchQueue(label: "base-simulator.signals")
        let sources = [SIGINT, SIGTERM].map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        await task.value
        for source in sources { source.cancel() }
    }
}
