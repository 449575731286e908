import Arklet
import Foundation
import VirtualKubelet

/// Every setting of the controller, read from the environment variables of the upstream controller
/// (same names, same defaults) and overridable by command-line flags.
public struct ControllerSettings: Sendable {
    /// Lease holder identity and MQTT client id suffix (`CLIENT_ID`); defaults to the pod or host
    /// name so that a restarted replica recognises its own leases.
    public var clientID: String
    /// `ENV`: node-name suffix, env label and taint value, MQTT topic prefix `koupleless_<ENV>`.
    public var env: String
    /// `NAMESPACE`: where the kubelet-proxy Service is looked up.
    public var namespace: String
    /// `IS_CLUSTER`: spread vnodes evenly between replicas.
    public var isCluster: Bool
    /// `WORKLOAD_MAX_LEVEL`: how far above its fair share of vnodes a replica may go.
    public var workloadMaxLevel: Int
    /// `VNODE_WORKER_NUM`: reconcile workers.
    public var workerCount: Int
    /// `KUBE_API_QPS` / `KUBE_API_BURST`: the client-side rate limit of pod, node and Deployment
    /// requests. Lease renewals and Events have budgets of their own.
    public var apiQueriesPerSecond: Int = 200
    public var apiBurst: Int = 400
    /// `ENABLE_MQTT_TUNNEL` and the `MQTT_*` variables.
    public var enableMQTTTunnel: Bool
    public var mqtt: MQTTConfiguration
    /// `ENABLE_HTTP_TUNNEL` and `HTTP_TUNNEL_LISTEN_PORT`.
    public var enableHTTPTunnel: Bool
    public var httpTunnelPort: Int
    /// `HTTP_TUNNEL_REQUIRE_SOURCE_MATCH`: refuse heartbeats whose `localIP` is not the sender's address.
    public var httpTunnelRequireSourceMatch: Bool
    /// `HTTP_TUNNEL_ALLOWED_CIDRS` (comma-separated): only these source addresses may use the HTTP tunnel.
    public var httpTunnelAllowedCIDRs: [CIDRBlock]
    /// `ENABLE_MODULE_REPLICAS_SYNC_WITH_BASE`: peer Deployments follow the number of bases.
    public var enableModuleReplicasSync: Bool
    /// `KUBELET_PROXY_ENABLED` / `KUBELET_PROXY_PORT`.
    public var kubeletProxyEnabled: Bool
    public var kubeletProxyPort: Int
    /// `--kubeconfig`, else `KUBECONFIG`, in-cluster, `~/.kube/config`.
    public var kubeconfig: String?
    /// Health probes (`/healthz`, `/readyz`) and Prometheus (`/metrics`) listeners.
    public var healthPort: Int
    public var metricsPort: Int

    /// The names and defaults of every environment variable read, for `--help`.
    public static let environmentHelp: [(name: String, defaultValue: String, meaning: String)] = [
        ("CLIENT_ID", "pod name ($POD_NAME), else host name", "lease holder identity; MQTT client id <prefix>@@@<CLIENT_ID>"),
        ("ENV", "dev", "node name suffix vnode.<id>.<ENV>, env label/taint, topics koupleless_<ENV>/…"),
        ("NAMESPACE", "default", "namespace of the kubelet-proxy Service"),
        ("IS_CLUSTER", "false", "exactly 'true': spread vnodes evenly between replicas"),
        ("WORKLOAD_MAX_LEVEL", "3", "allowed vnode imbalance between replicas"),
        ("VNODE_WORKER_NUM", "8", "reconcile workers"),
        ("ENABLE_MQTT_TUNNEL", "false", "exactly 'true': talk to bases over MQTT"),
        ("MQTT_BROKER", "test-broker", "MQTT broker host"),
        ("MQTT_PORT", "1883", "MQTT broker port"),
        ("MQTT_USERNAME", "test-username", "MQTT user"),
        ("MQTT_PASSWORD", "(empty)", "MQTT password"),
        ("MQTT_CLIENT_PREFIX", "koupleless", "MQTT client id prefix"),
        ("MQTT_CA_PATH", "(empty)", "CA file: enables TLS and verifies the broker against it"),
        ("MQTT_CLIENT_CRT_PATH", "(empty)", "client certificate for MQTT TLS"),
        ("MQTT_CLIENT_KEY_PATH", "(empty)", "client key for MQTT TLS"),
        ("ENABLE_HTTP_TUNNEL", "false", "exactly 'true': talk to bases over HTTP"),
        ("HTTP_TUNNEL_LISTEN_PORT", "7777", "port of the HTTP tunnel listener (/heartbeat, /queryBaseline)"),
        ("HTTP_TUNNEL_REQUIRE_SOURCE_MATCH", "false", "exactly 'true': refuse heartbeats whose localIP is not the sender's address"),
        ("HTTP_TUNNEL_ALLOWED_CIDRS", "(any)", "comma-separated CIDRs allowed to use the HTTP tunnel, e.g. 10.0.0.0/8,fd00::/8"),
        ("ENABLE_MODULE_REPLICAS_SYNC_WITH_BASE", "false", "exactly 'true': peer Deployments get replicas = Ready bases"),
        ("KUBELET_PROXY_ENABLED", "false", "exactly 'true': serve kubectl logs for module pods"),
        ("KUBELET_PROXY_PORT", "10250", "kubelet proxy port"),
        ("KUBECONFIG", "(unset)", "kubeconfig file when --kubeconfig is not given"),
        ("KUBE_API_QPS", "200", "requests a second to the API server for pods, nodes and Deployments (Leases and Events have budgets of their own)"),
        ("KUBE_API_BURST", "400", "burst above KUBE_API_QPS"),
    ]

    /// Reads the environment; a value that cannot be used is an error naming the variable.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> ControllerSettings
    {
        func flag(_ name: String) -> Bool { environment[name] == "true" }
        func integer(_ name: String, _ fallback: Int, range: ClosedRange<Int> = 0...Int.max) throws -> Int {
            guard let text = environment[name], !text.isEmpty else { return fallback }
            guard let value = Int(text), range.contains(value) else {
                throw ConfigurationError(variable: name, value: text, expected: "an integer in \(range.lowerBound)…\(range.upperBound)")
            }
            return value
        }
        let clientID = environment["CLIENT_ID"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["POD_NAME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ProcessInfo.processInfo.hostName
        let env = environment["ENV"].flatMap { $0.isEmpty ? nil : $0 } ?? "dev"
        guard !env.contains("."), !env.contains("/"), !env.contains("+"), !env.contains("#") else {
            throw ConfigurationError(variable: "ENV", value: env, expected: "free of '.', '/', '+' and '#' (it ends node names and starts MQTT topics)")
        }
        var cidrs: [CIDRBlock] = []
        for text in (environment["HTTP_TUNNEL_ALLOWED_CIDRS"] ?? "").split(separator: ",") {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            guard let block = CIDRBlock(trimmed) else {
                throw ConfigurationError(variable: "HTTP_TUNNEL_ALLOWED_CIDRS", value: trimmed, expected: "a CIDR such as 10.0.0.0/8 or fd00::/8")
            }
            cidrs.append(block)
        }
        var mqtt = try MQTTConfiguration.fromEnvironment(environment)
        mqtt.env = env
        mqtt.clientID = clientID
        var settings = ControllerSettings(
            clientID: clientID, env: env, namespace: environment["NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default",
            isCluster: flag("IS_CLUSTER"), workloadMaxLevel: try integer("WORKLOAD_MAX_LEVEL", 3, range: 1...1000),
            workerCount: try integer("VNODE_WORKER_NUM", 8, range: 1...1024), enableMQTTTunnel: flag("ENABLE_MQTT_TUNNEL"),
            mqtt: mqtt, enableHTTPTunnel: flag("ENABLE_HTTP_TUNNEL"),
            httpTunnelPort: try integer("HTTP_TUNNEL_LISTEN_PORT", 7777, range: 0...65535),
            httpTunnelRequireSourceMatch: flag("HTTP_TUNNEL_REQUIRE_SOURCE_MATCH"), httpTunnelAllowedCIDRs: cidrs,
            enableModuleReplicasSync: flag("ENABLE_MODULE_REPLICAS_SYNC_WITH_BASE"),
            kubeletProxyEnabled: flag("KUBELET_PROXY_ENABLED"),
            kubeletProxyPort: try integer("KUBELET_PROXY_PORT", 10250, range: 0...65535),
            kubeconfig: nil, healthPort: 8081, metricsPort: 9090)
        settings.apiQueriesPerSecond = try integer("KUBE_API_QPS", settings.apiQueriesPerSecond, range: 1...100_000)
        settings.apiBurst = try integer("KUBE_API_BURST", settings.apiBurst, range: 1...100_000)
        return settings
    }

    /// The settings of the controller core: identity, env, workers and cluster mode; every other
    /// setting keeps the upstream default.
    public var virtualKubeletConfiguration: VirtualKubeletConfiguration {
        VirtualKubeletConfiguration(env: env, clientID: clientID, workerCount: workerCount, isCluster: isCluster,
                                    workloadMaxLevel: workloadMaxLevel)
    }

    /// Problems that make the settings unusable, each saying what to change.
    public func validate() throws {
        if !enableMQTTTunnel && !enableHTTPTunnel {
            throw ConfigurationError(
                variable: "ENABLE_MQTT_TUNNEL/ENABLE_HTTP_TUNNEL", value: "false",
                expected: "enabled: set ENABLE_MQTT_TUNNEL=true and/or ENABLE_HTTP_TUNNEL=true (or --enable-mqtt-tunnel / --enable-http-tunnel)")
        }
        if clientID.isEmpty {
            throw ConfigurationError(variable: "CLIENT_ID", value: "", expected: "a non-empty replica identity")
        }
    }
}
