import Arklet
import Foundation
import KubeClient
import KubeRuntime
import Logging
import Metrics
import ModuleDeployments
import Prometheus
import ServiceLifecycle
import UnixSignals
import VirtualKubelet

/// The whole controller process: Kubernetes client, tunnels, probes and metrics, run as one
/// `ServiceGroup` that shuts down gracefully on SIGTERM/SIGINT.
public struct ModuleControllerApplication: Sendable {
    public let settings: ControllerSettings
    public let logger: Logger

    public init(settings: ControllerSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Bootstraps the process-wide metrics backend once; returns the registry `/metrics` renders.
    public static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    /// Runs until SIGTERM/SIGINT (or a service fails).
    public func run(registry: PrometheusCollectorRegistry) async throws {
        try settings.validate()
        var configuration = try KubeConfigLoader().load(explicitPath: settings.kubeconfig)
        configuration.queriesPerSecond = Double(settings.apiQueriesPerSecond)
        configuration.burst = settings.apiBurst
        logger.info(
            "kubernetes configuration", metadata: ["source": "\(configuration.source)", "server": "\(configuration.server)"])
        let client = KubernetesClient(configuration: configuration, logger: logger)
        defer { client.shutdown() }
        try await checkAPIAccess(client)

        var tunnels: [any Tunnel] = []
        if settings.enableMQTTTunnel {
            var mqttLogger = logger
            mqttLogger[metadataKey: "tunnel"] = "mqtt"
            tunnels.append(MQTTTunnel(configuration: settings.mqtt, logger: mqttLogger))
            logger.info(
                "MQTT tunnel enabled",
                metadata: ["broker": "\(settings.mqtt.broker):\(settings.mqtt.port)", "clientID": "\(settings.mqtt.clientIdentifier)"])
        }
        if settings.enableHTTPTunnel {
            var httpLogger = logger
            httpLogger[metadataKey: "tunnel"] = "http"
            tunnels.append(
                HTTPTunnel(
                    options: HTTPTunnelOptions(
                        port: settings.httpTunnelPort, requireSourceAddressMatch: settings.httpTunnelRequireSourceMatch,
                        allowedCIDRs: settings.httpTunnelAllowedCIDRs),
                    logger: httpLogger))
            logger.info("HTTP tunnel enabled", metadata: ["port": "\(settings.httpTunnelPort)"])
        }

        // One watch of this ENV's module Deployments serves both the baseline answers and, when
        // enabled, the peer replica sync.
        var services: [any ServiceLifecycle.Service] = tunnels.map { TunnelService(tunnel: $0) }
        let deployments: Informer<Deployment>
        if settings.enableModuleReplicasSync {
            let peers = PeerReplicaController(client: client, env: settings.env, logger: logger)
            deployments = peers.deployments
            services.append(RunLoopService { await peers.run() })
        } else {
            let informer = Informer<Deployment>(
                client: client, labelSelector: LabelSelector(matching: [ModuleDeploymentLabels.env: settings.env]),
                logger: logger)
            deployments = informer
            services.append(RunLoopService { await informer.run() })
        }
        let baselines = DeploymentBaselines(deployments: deployments.store, env: settings.env)
        let controller = try VirtualKubeletController(
            configuration: settings.virtualKubeletConfiguration,
            client: client, tunnels: tunnels, baselines: baselines, logger: logger)

        let readiness: ReadinessCheck = { [tunnels] in
            var reasons = tunnels.filter { !$0.isReady }.map { "\($0.kind) tunnel not connected" }
            if !controller.isSynced { reasons.append("caches not synced") }
            return reasons
        }
        services.append(RunLoopService { await controller.run() })
        services.append(ObservabilityServer.health(port: settings.healthPort, readiness: readiness, logger: logger))
        services.append(ObservabilityServer.metrics(port: settings.metricsPort, registry: registry, logger: logger))
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        logger.info("module-controller running", metadata: ["env": "\(settings.env)", "clientID": "\(settings.clientID)"])
        try await group.run()
        logger.info("module-controller stopped")
    }

    /// Fails fast, with a message saying what to fix, when the API server cannot be reached or
    /// refuses the controller's credentials.
    private func checkAPIAccess(_ client: KubernetesClient) async throws {
        do {
            _ = try await client.list(
                Node.self,
                options: ListOptions(
                    labelSelector: LabelSelector(matching: ["virtual-kubelet.koupleless.io/component": "vnode"]), limit: 1))
        } catch let error as KubeAPIError where error.isUnauthorized || error.isForbidden {
            throw KubeConfigError(
                "the API server at \(client.configuration.server) refused the controller (\(error.statusCode) \(error.reason)): grant the permissions of deploy/rbac.yaml to its service account or user"
            )
        } catch let error as KubeClientError {
            throw KubeConfigError("cannot reach the API server at \(client.configuration.server): \(error)")
        }
    }
}
