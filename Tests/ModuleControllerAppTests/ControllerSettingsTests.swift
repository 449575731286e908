import Arklet
import ModuleControllerApp
import Testing
import VirtualKubelet

@Suite struct ControllerSettingsTests {
    @Test func upstreamDefaultsApplyWhenNothingIsSet() throws {
        let settings = try ControllerSettings.fromEnvironment(["POD_NAME": "module-controller-0"])
        #expect(settings.clientID == "module-controller-0")
        #expect(settings.env == "dev")
        #expect(settings.namespace == "default")
        #expect(!settings.isCluster)
        #expect(settings.workloadMaxLevel == 3)
        #expect(settings.workerCount == 8)
        #expect(!settings.enableMQTTTunnel)
        #expect(settings.mqtt.broker == "test-broker")
        #expect(settings.mqtt.port == 1883)
        #expect(settings.mqtt.username == "test-username")
        #expect(settings.mqtt.clientPrefix == "koupleless")
        #expect(settings.mqtt.clientIdentifier == "koupleless@@@module-controller-0")
        #expect(!settings.enableHTTPTunnel)
        #expect(settings.httpTunnelPort == 7777)
        #expect(!settings.enableModuleReplicasSync)
        #expect(settings.kubeletProxyPort == 10250)
        #expect(throws: ConfigurationError.self) { try settings.validate() }
    }

    @Test func variablesAreReadWithTheirUpstreamNames() throws {
        let settings = try ControllerSettings.fromEnvironment([
            "CLIENT_ID": "replica-a", "ENV": "prod", "IS_CLUSTER": "true", "VNODE_WORKER_NUM": "4",
            "ENABLE_MQTT_TUNNEL": "true", "MQTT_BROKER": "broker.example", "MQTT_PORT": "8883",
            "MQTT_CLIENT_PREFIX": "kp", "ENABLE_HTTP_TUNNEL": "true", "HTTP_TUNNEL_LISTEN_PORT": "17777",
            "HTTP_TUNNEL_REQUIRE_SOURCE_MATCH": "true", "HTTP_TUNNEL_ALLOWED_CIDRS": "10.0.0.0/8, fd00::/8",
            "ENABLE_MODULE_REPLICAS_SYNC_WITH_BASE": "true", "KUBE_API_QPS": "500", "KUBE_API_BURST": "900",
        ])
        #expect(settings.clientID == "replica-a")
        #expect(settings.apiQueriesPerSecond == 500 && settings.apiBurst == 900)
        #expect(settings.env == "prod")
        #expect(settings.mqtt.env == "prod")
        #expect(settings.isCluster)
        #expect(settings.workerCount == 4)
        #expect(settings.mqtt.broker == "broker.example")
        #expect(settings.mqtt.port == 8883)
        #expect(settings.mqtt.clientIdentifier == "kp@@@replica-a")
        #expect(settings.httpTunnelPort == 17777)
        #expect(settings.httpTunnelRequireSourceMatch)
        #expect(settings.httpTunnelAllowedCIDRs.count == 2)
        #expect(settings.enableModuleReplicasSync)
        try settings.validate()
        // Only the exact string "true" enables, as upstream.
        #expect(!(try ControllerSettings.fromEnvironment(["ENABLE_MQTT_TUNNEL": "TRUE"]).enableMQTTTunnel))
    }

    @Test func unusableValuesAreRefusedWithTheVariableNamed() {
        for (name, value) in [("VNODE_WORKER_NUM", "many"), ("HTTP_TUNNEL_LISTEN_PORT", "70000"), ("ENV", "dev.eu"),
            ("HTTP_TUNNEL_ALLOWED_CIDRS", "10.0.0.0/40"), ("MQTT_PORT", "x"), ("KUBE_API_QPS", "0")]
        {
            let error = #expect(throws: ConfigurationError.self) {
                _ = try ControllerSettings.fromEnvironment([name: value])
            }
            #expect(error?.description.contains(name) == true, "\(name)=\(value): \(String(describing: error))")
        }
    }

    @Test func clusterModeReachesTheControllerCore() throws {
        let defaults = try ControllerSettings.fromEnvironment(["CLIENT_ID": "replica-a"]).virtualKubeletConfiguration
        #expect(!defaults.isCluster)
        #expect(defaults.workloadMaxLevel == 3)
        let cluster = try ControllerSettings.fromEnvironment([
            "CLIENT_ID": "replica-a", "ENV": "prod", "IS_CLUSTER": "true", "WORKLOAD_MAX_LEVEL": "1", "VNODE_WORKER_NUM": "4",
        ]).virtualKubeletConfiguration
        #expect(cluster.isCluster)
        #expect(cluster.workloadMaxLevel == 1)
        #expect(cluster.clientID == "replica-a")
        #expect(cluster.env == "prod")
        #expect(cluster.workerCount == 4)
        try cluster.validate()
        #expect(throws: ConfigurationError.self) { _ = try ControllerSettings.fromEnvironment(["WORKLOAD_MAX_LEVEL": "0"]) }
    }
}
