import ArgumentParser
import Arklet
import Foundation
import Logging
import ModuleControllerApp

/// The `module-controller` command: turns Koupleless bases into virtual nodes and module pods into
/// installed modules.
@main
struct ModuleControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "module-controller",
        abstract: "Koupleless module controller: virtual nodes for bases, module pods as Ark biz installs.",
        discussion: """
            Settings come from the environment variables of the upstream module controller (same names \
            and defaults); the flags below override them.

            Environment variables:
            \(ControllerSettings.environmentHelp.map { "  \($0.name) (default \($0.defaultValue)): \($0.meaning)" }.joined(separator: "\n"))

            Endpoints: /healthz and /readyz on --health-port, Prometheus /metrics on --metrics-port.
            SIGTERM or SIGINT stops the controller gracefully.
            """
    )

    @Option(help: "Path of a kubeconfig file. Default: $KUBECONFIG, then the in-cluster service account, then ~/.kube/config.")
    var kubeconfig: String?

    @Option(name: .customLong("env"), help: "Overrides ENV.")
    var environmentName: String?

    @Option(help: "Overrides CLIENT_ID (the replica identity).")
    var clientID: String?

    @Flag(help: "Enables the MQTT tunnel (as ENABLE_MQTT_TUNNEL=true).")
    var enableMQTTTunnel = false

    @Flag(help: "Enables the HTTP tunnel (as ENABLE_HTTP_TUNNEL=true).")
    var enableHTTPTunnel = false

    @Option(help: "Overrides HTTP_TUNNEL_LISTEN_PORT.")
    var httpTunnelPort: Int?

    @Option(help: "Port of /healthz and /readyz.")
    var healthPort = 8081

    @Option(help: "Port of the Prometheus /metrics endpoint.")
    var metricsPort = 9090

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level \(logLevel) is not one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = ModuleControllerApplication.bootstrapMetrics()
        var settings = try ControllerSettings.fromEnvironment()
        if let kubeconfig { settings.kubeconfig = kubeconfig }
        if let environmentName {
            settings.env = environmentName
            settings.mqtt.env = environmentName
        }
        if let clientID {
            settings.clientID = clientID
            settings.mqtt.clientID = clientID
        }
        if enableMQTTTunnel { settings.enableMQTTTunnel = true }
        if enableHTTPTunnel { settings.enableHTTPTunnel = true }
        if let httpTunnelPort { settings.httpTunnelPort = httpTunnelPort }
        settings.healthPort = healthPort
        settings.metricsPort = metricsPort
        let logger = Logger(label: "module-controller")
        try await ModuleControllerApplication(settings: settings, logger: logger).run(registry: registry)
    }
}
