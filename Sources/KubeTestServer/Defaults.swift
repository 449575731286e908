import KubeClient

/// The defaulting the real API server applies to every object it decodes (`SetDefaults_*`), plus
/// the create-time additions of its registry strategies and default admission plugins, plus the
/// members Go always serialises (zero-valued struct fields such as `lastProbeTime: null`).
///
/// Not reproduced: the ServiceAccount admission plugin's projected token volume and volume mounts,
/// `managedFields`, and anything controllers add later (node TTL annotation, deployment revision).
enum Defaulting {
    /// Defaults applied whenever the server decodes an object of `kind` (create, update, patch result).
    static func applyDefaults(_ kind: ResourceKind, to object: inout JSONValue) {
        switch kind {
        case .pods:
            object.edit("spec") { spec in
                guard var value = spec, value.objectValue != nil else { return }
                spec = nil
                defaultPodSpec(&value, isPod: true)
                value.setDefault("enableServiceLinks", true)
                spec = value
            }
            normalizePodStatus(&object)
        case .deployments:
            object.edit("spec") { spec in
                guard var value = spec, value.objectValue != nil else { return }
                spec = nil
                value.setDefault("replicas", 1)
                value.setDefault("revisionHistoryLimit", 10)
                value.setDefault("progressDeadlineSeconds", 600)
                value.edit("strategy") { strategy in
                    guard var current = strategy else { return }
                    strategy = nil
                    current.setDefault("type", "RollingUpdate")
                    if current["type"]?.stringValue == "RollingUpdate" {
                        current.edit("rollingUpdate") { rolling in
                            guard var update = rolling else { return }
                            rolling = nil
                            update.setDefault("maxUnavailable", "25%")
                            update.setDefault("maxSurge", "25%")
                            rolling = update
                        }
                    }
                    strategy = current
                }
                defaultTemplate(&value)
                spec = value
            }
            normalizeConditions(&object, timeFields: ["lastUpdateTime", "lastTransitionTime"])
        case .replicasets:
            object.edit("spec") { spec in
                guard var value = spec, value.objectValue != nil else { return }
                spec = nil
                value.setDefault("replicas", 1)
                defaultTemplate(&value)
                spec = value
            }
            object.edit("status") { status in
                guard var value = status else { return }
                status = nil
                value.setDefault("replicas", 0)
                status = value
            }
            normalizeConditions(&object, timeFields: ["lastTransitionTime"])
        case .nodes:
            object.edit("status") { status in
                guard var value = status else { return }
                status = nil
                value.edit("daemonEndpoints") { endpoints in
                    guard var current = endpoints else { return }
                    endpoints = nil
                    current.edit("kubeletEndpoint") { endpoint in
                        guard var port = endpoint else { return }
                        endpoint = nil
                        port.setDefault("Port", 0)
                        endpoint = port
                    }
                    endpoints = current
                }
                value.edit("nodeInfo") { info in
                    guard var current = info else { return }
                    info = nil
                    for field in [
                        "machineID", "systemUUID", "bootID", "kernelVersion", "osImage", "containerRuntimeVersion",
                        "kubeletVersion", "kubeProxyVersion", "operatingSystem", "architecture",
                    ] {
                        current.setDefault(field, "")
                    }
                    info = current
                }
                status = value
            }
            normalizeConditions(&object, timeFields: ["lastHeartbeatTime", "lastTransitionTime"])
        case .namespaces:
            normalizeConditions(&object, timeFields: ["lastTransitionTime"])
        case .events:
            object.setIfAbsent("eventTime", .null)
            object.setIfAbsent("firstTimestamp", .null)
            object.setIfAbsent("lastTimestamp", .null)
            object.setDefault("reportingComponent", "")
            object.setDefault("reportingInstance", "")
            object.setIfAbsent("involvedObject", [:])
        case .services:
            object.edit("spec") { spec in
                guard var value = spec, value.objectValue != nil else { return }
                spec = nil
                value.setDefault("type", "ClusterIP")
                value.setDefault("sessionAffinity", "None")
                value.editElements("ports") { port, _ in
                    port.setDefault("protocol", "TCP")
                    if let number = port["port"] { port.setDefault("targetPort", number) }
                }
                if value["type"]?.stringValue != "ExternalName" {
                    value.setDefault("internalTrafficPolicy", "Cluster")
                }
                spec = value
            }
            object.setDefault("status", ["loadBalancer": [:]])
        case .leases:
            break
        }
    }

    /// Create-time changes: the registry strategy's `PrepareForCreate` (status reset, generation) and
    /// the default admission plugins (priority, default tolerations, service account, node taint).
    static func prepareForCreate(_ kind: ResourceKind, _ object: inout JSONValue) {
        switch kind {
        case .pods:
            object.edit("spec") { spec in
                guard var value = spec else { return }
                spec = nil
                // Priority admission (no default PriorityClass).
                value.setDefault("priority", 0)
                value.setDefault("preemptionPolicy", "PreemptLowerPriority")
                // ServiceAccount admission (without the projected token volume).
                let account = value["serviceAccountName"]?.stringValue ?? value["serviceAccount"]?.stringValue ?? "default"
                value["serviceAccountName"] = .string(account)
                value["serviceAccount"] = .string(account)
                // DefaultTolerationSeconds admission.
                var tolerations = value["tolerations"]?.arrayValue ?? []
                for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"] {
                    let tolerated = tolerations.contains { toleration in
                        let tolerationKey = toleration["key"]?.stringValue ?? ""
                        let effect = toleration["effect"]?.stringValue ?? ""
                        let keyMatches = tolerationKey == key
                            || (tolerationKey.isEmpty && toleration["operator"]?.stringValue == "Exists")
                        return keyMatches && (effect.isEmpty || effect == "NoExecute")
                    }
                    if !tolerated {
                        tolerations.append([
                            "key": .string(key), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300,
                        ])
                    }
                }
                value["tolerations"] = .array(tolerations)
                spec = value
            }
            let qos = qosClass(of: object["spec"] ?? [:])
            object["status"] = ["phase": "Pending", "qosClass": .string(qos)]
        case .nodes:
            // TaintNodesByCondition admission: new nodes start not-ready.
            object.edit("spec") { spec in
                guard var value = spec else { return }
                spec = nil
                var taints = value["taints"]?.arrayValue ?? []
                if !taints.contains(where: { $0["key"]?.stringValue == "node.kubernetes.io/not-ready" }) {
                    taints.append(["key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"])
                }
                value["taints"] = .array(taints)
                spec = value
            }
            // Node status is kept on create; `applyDefaults` fills its Go zero values.
        case .namespaces:
            let name = object.metadataString("name") ?? ""
            object.edit("metadata") { metadata in
                guard var value = metadata else { return }
                metadata = nil
                value.edit("labels") { labels in
                    var current = labels ?? [:]
                    if current.objectValue == nil { current = [:] }
                    labels = nil
                    current["kubernetes.io/metadata.name"] = .string(name)
                    labels = current
                }
                metadata = value
            }
            object.edit("spec") { spec in
                guard var value = spec else { return }
                spec = nil
                var finalizers = value["finalizers"]?.arrayValue ?? []
                if !finalizers.contains("kubernetes") { finalizers.append("kubernetes") }
                value["finalizers"] = .array(finalizers)
                spec = value
            }
            object["status"] = ["phase": "Active"]
        case .deployments:
            object["status"] = [:]
        case .replicasets:
            object["status"] = ["replicas": 0]
        case .services:
            object["status"] = ["loadBalancer": [:]]
        case .events, .leases:
            break
        }
    }

    /// `SetDefaults_PodSpec` and the container defaults; `isPod` adds the pod-only defaults
    /// (requests copied from limits) that templates do not get.
    static func defaultPodSpec(_ spec: inout JSONValue, isPod: Bool) {
        spec.setDefault("dnsPolicy", "ClusterFirst")
        spec.setDefault("restartPolicy", "Always")
        spec.setDefault("terminationGracePeriodSeconds", 30)
        spec.setDefault("schedulerName", "default-scheduler")
        spec.setDefault("securityContext", [:])
        for list in ["containers", "initContainers"] {
            spec.editElements(list) { container, _ in
                defaultContainer(&container, isPod: isPod)
            }
        }
    }

    static func defaultTemplate(_ spec: inout JSONValue) {
        spec.edit("template") { template in
            guard var value = template else { return }
            template = nil
            value.edit("spec") { podSpec in
                guard var current = podSpec, current.objectValue != nil else { return }
                podSpec = nil
                defaultPodSpec(&current, isPod: false)
                podSpec = current
            }
            template = value
        }
    }

    static func defaultContainer(_ container: inout JSONValue, isPod: Bool) {
        guard container.objectValue != nil else { return }
        if container["imagePullPolicy"] == nil || container["imagePullPolicy"]?.isNull == true {
            let image = container["image"]?.stringValue ?? ""
            container["imagePullPolicy"] = .string(imageTag(image) == "latest" ? "Always" : "IfNotPresent")
        }
        container.setDefault("terminationMessagePath", "/dev/termination-log")
        container.setDefault("terminationMessagePolicy", "File")
        container.setDefault("resources", [:])
        if isPod {
            container.edit("resources") { resources in
                guard var value = resources, let limits = value["limits"]?.objectValue else { return }
                resources = nil
                var requests = value["requests"]?.objectValue ?? [:]
                for (name, quantity) in limits where requests[name] == nil { requests[name] = quantity }
                value["requests"] = .object(requests)
                resources = value
            }
        }
        container.editElements("ports") { port, _ in port.setDefault("protocol", "TCP") }
        container.editElements("env") { variable, _ in
            variable.editObject("valueFrom") { source in
                source.editObject("fieldRef") { reference in reference.setDefault("apiVersion", "v1") }
            }
        }
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            container.editObject(probe) { value in
                value.setDefault("timeoutSeconds", 1)
                value.setDefault("periodSeconds", 10)
                value.setDefault("successThreshold", 1)
                value.setDefault("failureThreshold", 3)
                value.editObject("httpGet") { get in get.setDefault("scheme", "HTTP") }
            }
        }
    }

    /// The tag `parsers.ParseImageName` finds: `latest` when none is given, empty when the
    /// reference does not parse (such images get `IfNotPresent`, as with the real server).
    static func imageTag(_ image: String) -> String {
        if image.contains("://") || image.isEmpty { return "" }
        if image.contains(where: { $0.isUppercase }) { return "" }
        var reference = Substring(image)
        if let at = reference.firstIndex(of: "@") {
            reference = reference[..<at]
            let lastSegment = reference.split(separator: "/").last ?? ""
            if let colon = lastSegment.lastIndex(of: ":") { return String(lastSegment[lastSegment.index(after: colon)...]) }
            return ""
        }
        let lastSegment = reference.split(separator: "/").last ?? ""
        if let colon = lastSegment.lastIndex(of: ":") { return String(lastSegment[lastSegment.index(after: colon)...]) }
        return "latest"
    }

    /// `qos.GetPodQOS` for the resource kinds we see (cpu and memory).
    static func qosClass(of spec: JSONValue) -> String {
        var containers = spec["containers"]?.arrayValue ?? []
        containers += spec["initContainers"]?.arrayValue ?? []
        var anySetting = false
        var guaranteed = true
        for container in containers {
            let requests = container["resources"]?["requests"]?.objectValue ?? [:]
            let limits = container["resources"]?["limits"]?.objectValue ?? [:]
            for name in ["cpu", "memory"] {
                if requests[name] != nil || limits[name] != nil { anySetting = true }
                guard let limit = limits[name] else {
                    guaranteed = false
                    continue
                }
                if let request = requests[name], request != limit { guaranteed = false }
            }
        }
        if !anySetting { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }

    /// The members Go writes for zero values in a pod's status, and the v1 → internal conversion
    /// of the IP lists: when `podIP` (`hostIP`) is set and differs from the first entry of `podIPs`
    /// (`hostIPs`), the single field is authoritative and the list becomes just it.
    static func normalizePodStatus(_ object: inout JSONValue) {
        normalizeConditions(&object, timeFields: ["lastProbeTime", "lastTransitionTime"])
        object.editObject("status") { status in
            for (single, list) in [("podIP", "podIPs"), ("hostIP", "hostIPs")] {
                guard let ip = status[single]?.stringValue, !ip.isEmpty,
                      case .array(let entries)? = status[list], let first = entries.first,
                      first["ip"]?.stringValue != ip
                else { continue }
                status[list] = [["ip": .string(ip)]]
            }
            for list in ["containerStatuses", "initContainerStatuses"] {
                status.editElements(list) { containerStatus, _ in
                    containerStatus.setDefault("name", "")
                    containerStatus.setDefault("state", [:])
                    containerStatus.setDefault("lastState", [:])
                    containerStatus.setDefault("ready", false)
                    containerStatus.setDefault("restartCount", 0)
                    containerStatus.setDefault("image", "")
                    containerStatus.setDefault("imageID", "")
                }
            }
        }
    }

    /// `status.conditions[*]` time members that Go writes as `null` when unset.
    static func normalizeConditions(_ object: inout JSONValue, timeFields: [String]) {
        object.editObject("status") { status in
            status.editElements("conditions") { condition, _ in
                for field in timeFields { condition.setIfAbsent(field, .null) }
            }
        }
    }
}
