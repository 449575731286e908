import Foundation
import ModuleControllerApp
import Testing
import Yams

/// The Helm chart in `charts/module-controller`, checked without helm against the plain manifests
/// in `deploy/` and against what the controller reads and serves.
///
/// Templates are not YAML until rendered, so the checks read them in two ways: the `rules:` and
/// probe blocks are kept free of template actions and compared as they are, and the rest is read
/// as a *skeleton*: lines that hold only actions (`{{- if … }}`, `{{- toYaml … }}`) are dropped and
/// actions inside a line become the word `TEMPLATE`. Both branches of an `if` stay in a skeleton,
/// so it holds everything some rendering can contain.
@Suite struct HelmChartTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let chart = root.appendingPathComponent("charts/module-controller")
    static let templates = chart.appendingPathComponent("templates")

    /// Settings of ControllerSettings the chart deliberately does not set, and why.
    static let variablesNotInTheChart: [String: String] = [
        "KUBECONFIG": "in a pod the controller uses its ServiceAccount",
        "NAMESPACE": "only used to find the kubelet-proxy Service; the kubelet proxy is not served",
        "KUBELET_PROXY_ENABLED": "the kubelet proxy is not served",
        "KUBELET_PROXY_PORT": "the kubelet proxy is not served",
    ]

    // MARK: Chart.yaml and values.yaml

    struct ChartMetadata: Decodable {
        var apiVersion: String
        var name: String
        var version: String
        var appVersion: String
    }

    struct Values: Decodable {
        struct Image: Decodable { var repository: String; var tag: String; var pullPolicy: String }
        struct ServiceAccount: Decodable { var create: Bool; var name: String }
        struct Env: Decodable {
            struct MQTT: Decodable {
                struct PasswordSecret: Decodable { var name: String; var key: String }
                struct TLS: Decodable { var secretName: String; var caKey: String; var clientCertKey: String; var clientKeyKey: String; var caPath: String }
                var enabled: Bool
                var broker: String
                var port: Int
                var username: String
                var passwordSecret: PasswordSecret
                var clientPrefix: String
                var tls: TLS
            }
            struct HTTP: Decodable { var enabled: Bool; var listenPort: Int; var requireSourceMatch: Bool; var allowedCIDRs: [String] }
            var env: String
            var isCluster: Bool
            var workloadMaxLevel: Int
            var vnodeWorkerNum: Int
            var kubeApiQPS: Int
            var kubeApiBurst: Int
            var enableModuleReplicasSyncWithBase: Bool
            var mqtt: MQTT
            var http: HTTP
        }
        struct Service: Decodable { var type: String; var httpTunnelPort: Int; var metricsPort: Int }
        var replicaCount: Int
        var image: Image
        var serviceAccount: ServiceAccount
        var env: Env
        var terminationGracePeriodSeconds: Int
        var podAnnotations: [String: String]
        var resources: Resources
        var nodeSelector: [String: String]
        var tolerations: [[String: String]]
        var affinity: [String: String]
        var service: Service
    }

    struct Resources: Decodable, Equatable {
        var requests: [String: String]?
        var limits: [String: String]?
    }

    // MARK: Workloads, as far as the checks read them (every scalar as a string)

    struct Workload: Decodable {
        struct Spec: Decodable { var replicas: String?; var template: Template }
        struct Template: Decodable { var spec: PodSpec }
        struct PodSpec: Decodable {
            var terminationGracePeriodSeconds: String?
            var serviceAccountName: String?
            var containers: [Container]
        }
        struct Container: Decodable {
            var image: String
            var imagePullPolicy: String?
            var env: [EnvVar]
            var ports: [Port]
            var livenessProbe: Probe?
            var readinessProbe: Probe?
            var resources: Resources?
        }
        struct EnvVar: Decodable {
            struct Source: Decodable {
                struct FieldRef: Decodable { var fieldPath: String }
                var fieldRef: FieldRef?
                var secretKeyRef: [String: String]?
            }
            var name: String
            var value: String?
            var valueFrom: Source?
        }
        struct Port: Decodable { var name: String; var containerPort: String }
        struct Probe: Decodable {
            struct HTTPGet: Decodable { var path: String; var port: String }
            var httpGet: HTTPGet
        }
        var kind: String
        var spec: Spec
    }

    struct ServiceObject: Decodable {
        struct Spec: Decodable { var ports: [Port] }
        struct Port: Decodable { var name: String; var port: String; var targetPort: String }
        var kind: String
        var spec: Spec
    }

    struct RBACObject: Decodable {
        struct Metadata: Decodable { var namespace: String? }
        struct RoleRef: Decodable { var kind: String }
        struct Subject: Decodable { var kind: String }
        var kind: String
        var metadata: Metadata
        var roleRef: RoleRef?
        var subjects: [Subject]?
    }

    struct PolicyRule: Decodable, Hashable {
        var apiGroups: [String]
        var resources: [String]
        var verbs: [String]
    }

    struct Rules: Decodable { var rules: [PolicyRule] }

    // MARK: Reading

    static func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }
    static func template(_ name: String) throws -> String { try text(templates.appendingPathComponent(name)) }
    static func deploy(_ name: String) throws -> String { try text(root.appendingPathComponent("deploy").appendingPathComponent(name)) }

    static var action: Regex<AnyRegexOutput> { try! Regex(#"\{\{.*?\}\}"#) }

    /// The template with its actions taken out (see the suite's comment).
    static func skeleton(_ template: String) -> String {
        template.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line -> String? in
            guard line.contains("{{") else { return String(line) }
            if line.replacing(action, with: "").allSatisfy(\.isWhitespace) { return nil }
            return String(line.replacing(action, with: "TEMPLATE"))
        }.joined(separator: "\n")
    }

    /// The YAML documents of a file, split at `---` lines.
    static func documents(_ text: String) -> [String] {
        var documents: [[Substring]] = [[]]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces) == "---" { documents.append([]) } else { documents[documents.count - 1].append(line) }
        }
        return documents.map { $0.joined(separator: "\n") }.filter { document in
            document.split(separator: "\n").contains { !$0.hasPrefix("#") && !$0.allSatisfy(\.isWhitespace) }
        }
    }

    /// The lines of the block `key:` at `indent` spaces, the key line included, until the next line
    /// indented as little (a list item at the key's own indentation still belongs to it).
    static func block(_ key: String, indent: Int = 0, in text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let prefix = String(repeating: " ", count: indent)
        guard let start = lines.firstIndex(where: { $0 == "\(prefix)\(key):" }) else { return nil }
        var end = start + 1
        while end < lines.count {
            let line = lines[end]
            let lineIndent = line.prefix { $0 == " " }.count
            let content = line.dropFirst(lineIndent)
            guard content.isEmpty || lineIndent > indent || (lineIndent == indent && content.hasPrefix("- ")) else { break }
            end += 1
        }
        return lines[start..<end].map { String($0.dropFirst(indent)) }.joined(separator: "\n")
    }

    /// The body of `{{- define "name" -}}` in _helpers.tpl.
    static func helper(_ name: String) throws -> String {
        let text = try template("_helpers.tpl")
        let start = try #require(text.range(of: "{{- define \"\(name)\" -}}"), "no helper \(name)")
        let end = try #require(text.range(of: "{{- end }}", range: start.upperBound..<text.endIndex))
        return String(text[start.upperBound..<end.lowerBound])
    }

    static func values() throws -> Values { try YAMLDecoder().decode(Values.self, from: text(chart.appendingPathComponent("values.yaml"))) }

    static func deployWorkload() throws -> Workload {
        let document = try #require(documents(try deploy("controller.yaml")).first { $0.contains("kind: Deployment") })
        return try YAMLDecoder().decode(Workload.self, from: document)
    }

    static func chartWorkload() throws -> Workload {
        try YAMLDecoder().decode(Workload.self, from: skeleton(try template("deployment.yaml")))
    }

    // MARK: Tests

    @Test func chartAndValuesHaveTheRequiredKeys() throws {
        let metadata = try YAMLDecoder().decode(ChartMetadata.self, from: Self.text(Self.chart.appendingPathComponent("Chart.yaml")))
        #expect(metadata.apiVersion == "v2")
        #expect(metadata.name == "module-controller")
        #expect(metadata.version == "0.1.0")
        let deployed = try #require(try Self.deployWorkload().spec.template.spec.containers.first)
        let image = deployed.image.split(separator: ":", maxSplits: 1).map(String.init)
        try #require(image.count == 2, "deploy/controller.yaml's image has no tag")
        let (repository, tag) = (image[0], image[1])
        #expect(metadata.appVersion == tag, "appVersion is the image tag of deploy/controller.yaml")

        // Decoding Values already requires every key; these are the defaults deploy/ applies.
        let values = try Self.values()
        #expect(values.image.repository == repository)
        #expect(values.image.tag.isEmpty, "an empty tag deploys the appVersion")
        #expect(values.image.pullPolicy == deployed.imagePullPolicy)
        #expect(values.resources == deployed.resources)
        #expect(values.serviceAccount.create)
        #expect(values.terminationGracePeriodSeconds >= 15, "SIGTERM must have time to release the vnode leases")
        let deploySpec = try Self.deployWorkload().spec
        #expect("\(values.replicaCount)" == deploySpec.replicas)
        #expect("\(values.terminationGracePeriodSeconds)" == deploySpec.template.spec.terminationGracePeriodSeconds)

        // Every setting deploy/controller.yaml gives a value has the same default in values.yaml.
        let env = values.env
        let chartDefaults: [String: String] = [
            "ENV": env.env, "IS_CLUSTER": "\(env.isCluster)", "ENABLE_MQTT_TUNNEL": "\(env.mqtt.enabled)", "MQTT_BROKER": env.mqtt.broker,
            "MQTT_PORT": "\(env.mqtt.port)", "MQTT_USERNAME": env.mqtt.username, "MQTT_CLIENT_PREFIX": env.mqtt.clientPrefix,
            "ENABLE_HTTP_TUNNEL": "\(env.http.enabled)", "HTTP_TUNNEL_LISTEN_PORT": "\(env.http.listenPort)",
            "MQTT_PASSWORD": "",  // no Secret named: no password
        ]
        for variable in deployed.env where variable.value != nil {
            #expect(chartDefaults[variable.name] == variable.value, "\(variable.name): values.yaml and deploy/controller.yaml differ")
        }
        #expect(env.mqtt.passwordSecret.name.isEmpty)
    }

    @Test func rbacRulesAreThoseOfDeploy() throws {
        // deploy/rbac.yaml is plain YAML.
        var deployRules: [String: [PolicyRule]] = [:]
        for document in Self.documents(try Self.deploy("rbac.yaml")) {
            let object = try YAMLDecoder().decode(RBACObject.self, from: document)
            if object.kind == "ClusterRole" || object.kind == "Role" {
                deployRules[object.kind] = try YAMLDecoder().decode(Rules.self, from: document).rules
            }
        }
        #expect(Set(deployRules.keys) == ["ClusterRole", "Role"])

        // The chart: the rules: blocks as they are, the rest of each object as a skeleton.
        var chartRules: [String: [PolicyRule]] = [:]
        var kinds: [String] = []
        for document in Self.documents(try Self.template("rbac.yaml")) {
            let object = try YAMLDecoder().decode(RBACObject.self, from: Self.skeleton(document))
            kinds.append(object.kind)
            switch object.kind {
            case "ClusterRole", "Role":
                let rules = try #require(Self.block("rules", in: document), "\(object.kind) has no rules: block")
                #expect(!rules.contains("{{"), "the \(object.kind)'s rules: block must be free of template actions:\n\(rules)")
                chartRules[object.kind] = try YAMLDecoder().decode(Rules.self, from: rules).rules
            case "ClusterRoleBinding", "RoleBinding":
                #expect(object.roleRef?.kind == (object.kind == "RoleBinding" ? "Role" : "ClusterRole"))
                let subjects = try #require(Self.block("subjects", in: document), "\(object.kind) has no subjects")
                #expect(subjects.contains(#"include "module-controller.subjects""#), "\(object.kind) binds the chart's subjects")
            default:
                Issue.record("unexpected \(object.kind) in templates/rbac.yaml")
            }
            if object.kind == "Role" || object.kind == "RoleBinding" {
                #expect(object.metadata.namespace == "kube-node-lease", "leases are granted in kube-node-lease only")
            }
        }
        #expect(kinds.sorted() == ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"])
        let subjects = try YAMLDecoder().decode([RBACObject.Subject].self, from: Self.skeleton(try Self.helper("module-controller.subjects")))
        #expect(subjects.map(\.kind) == ["ServiceAccount"], "the bindings name the controller's ServiceAccount only")
        #expect(chartRules == deployRules)
        #expect(chartRules["Role"] == [PolicyRule(
            apiGroups: ["coordination.k8s.io"], resources: ["leases"],
            verbs: ["get", "list", "watch", "create", "patch", "delete"])])

        // No other template grants anything.
        for file in try FileManager.default.contentsOfDirectory(atPath: Self.templates.path) where file != "rbac.yaml" {
            let text = try Self.template(file)
            #expect(!text.contains("kind: ClusterRole") && !text.contains("kind: Role"), "\(file) must not grant permissions")
        }
    }

    @Test func theDeploymentSetsOnlyVariablesTheControllerReads() throws {
        let known = Set(ControllerSettings.environmentHelp.map(\.name))
        let container = try #require(try Self.chartWorkload().spec.template.spec.containers.first)
        let names = Set(container.env.map(\.name))
        #expect(names.subtracting(known).isEmpty, "unknown to ControllerSettings: \(names.subtracting(known).sorted())")
        let missing = known.subtracting(names).subtracting(Self.variablesNotInTheChart.keys)
        #expect(missing.isEmpty, "settings the chart cannot set: \(missing.sorted())")
        #expect(Set(Self.variablesNotInTheChart.keys).isSubset(of: known))

        let deployed = try #require(try Self.deployWorkload().spec.template.spec.containers.first)
        let deployNames = Set(deployed.env.map(\.name))
        #expect(deployNames.isSubset(of: names), "deploy/ sets what the chart cannot: \(deployNames.subtracting(names).sorted())")

        // The replica identity is the pod's name; the MQTT password only comes from a Secret.
        #expect(container.env.first { $0.name == "CLIENT_ID" }?.valueFrom?.fieldRef?.fieldPath == "metadata.name")
        let password = container.env.filter { $0.name == "MQTT_PASSWORD" }
        #expect(password.count == 1 && password.allSatisfy { $0.value == nil && $0.valueFrom?.secretKeyRef != nil })

        // Environment values must be strings: every templated value is quoted.
        let template = try Self.template("deployment.yaml")
        for line in template.split(separator: "\n") where line.trimmingCharacters(in: .whitespaces).hasPrefix("value: {{") {
            #expect(line.hasSuffix("| quote }}"), "unquoted env value: \(line)")
        }
    }

    @Test func probesAndPortsAreTheControllers() throws {
        let settings = try ControllerSettings.fromEnvironment([:])
        let template = try Self.template("deployment.yaml")
        for probe in ["livenessProbe", "readinessProbe"] {
            let block = try #require(Self.block(probe, indent: 10, in: template), "no \(probe)")
            #expect(!block.contains("{{"), "\(probe) must be free of template actions")
        }
        for (source, workload) in [("chart", try Self.chartWorkload()), ("deploy", try Self.deployWorkload())] {
            let container = try #require(workload.spec.template.spec.containers.first)
            let ports = Dictionary(container.ports.map { ($0.name, $0.containerPort) }, uniquingKeysWith: { first, _ in first })
            #expect(ports["health"] == "\(settings.healthPort)" && settings.healthPort == 8081, "\(source)")
            #expect(ports["metrics"] == "\(settings.metricsPort)" && settings.metricsPort == 9090, "\(source)")
            #expect(ports["http-tunnel"] != nil, "\(source)")
            #expect(container.livenessProbe?.httpGet.path == "/healthz" && container.livenessProbe?.httpGet.port == "health", "\(source)")
            #expect(container.readinessProbe?.httpGet.path == "/readyz" && container.readinessProbe?.httpGet.port == "health", "\(source)")
        }

        let values = try Self.values()
        #expect(values.env.http.listenPort == settings.httpTunnelPort)
        #expect(values.podAnnotations["prometheus.io/scrape"] == "true")
        #expect(values.podAnnotations["prometheus.io/port"] == "\(settings.metricsPort)")
        #expect(values.podAnnotations["prometheus.io/path"] == "/metrics")
        #expect(values.service.metricsPort == settings.metricsPort)
        #expect(values.service.httpTunnelPort == settings.httpTunnelPort)

        let service = try YAMLDecoder().decode(ServiceObject.self, from: Self.skeleton(try Self.template("service.yaml")))
        #expect(service.kind == "Service")
        #expect(Set(service.spec.ports.map(\.name)) == ["http-tunnel", "metrics"])
        #expect(service.spec.ports.allSatisfy { $0.targetPort == $0.name }, "the Service targets the container's named ports")
    }

    /// What `helm lint` would catch first, without helm: unbalanced blocks, bad trim markers,
    /// helpers never defined, values never declared, and YAML that cannot parse.
    @Test func templatesAreWellFormed() throws {
        let values = try #require(try Yams.load(yaml: Self.text(Self.chart.appendingPathComponent("values.yaml"))) as? [String: Any])
        func declared(_ path: Substring) -> Bool {
            var node: Any? = values
            for key in path.split(separator: ".") {
                guard let map = node as? [String: Any], let next = map[String(key)] else { return false }
                node = next
            }
            return true
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.templates.path).sorted()
        #expect(Set(files).isSuperset(of: ["_helpers.tpl", "serviceaccount.yaml", "rbac.yaml", "deployment.yaml", "service.yaml", "NOTES.txt"]))
        let sources = try files.map { ($0, try Self.template($0)) }
        let defined = Set(sources.flatMap { _, text in text.matches(of: try! Regex(#"define\s+"([^"]+)""#)).compactMap { $0.output[1].substring.map(String.init) } })

        for (file, text) in sources {
            var depth = 0
            for match in text.matches(of: try! Regex(#"\{\{-?\s*(if|with|range|define|block|end)\b"#)) {
                depth += match.output[1].substring == "end" ? -1 : 1
                #expect(depth >= 0, "\(file): end without a block")
            }
            #expect(depth == 0, "\(file): a block is not closed")
            #expect(text.matches(of: try! Regex(#"\{\{-\S"#)).isEmpty, "\(file): '{{-' must be followed by a space")
            #expect(text.matches(of: try! Regex(#"\S-\}\}"#)).isEmpty, "\(file): '-}}' must follow a space")
            for match in text.matches(of: try! Regex(#"(?:include|template)\s+"([^"]+)""#)) {
                let name = try #require(match.output[1].substring)
                #expect(defined.contains(String(name)), "\(file): \(name) is not defined")
            }
            // .Values paths, directly or through a variable assigned from one.
            var variables: [Substring: Substring] = [:]
            for match in text.matches(of: try! Regex(#"\$(\w+)\s*:=\s*\.Values((?:\.\w+)*)"#)) {
                variables[try #require(match.output[1].substring)] = match.output[2].substring ?? ""
            }
            for match in text.matches(of: try! Regex(#"\.Values((?:\.\w+)+)"#)) {
                let path = try #require(match.output[1].substring)
                #expect(declared(path), "\(file): .Values\(path) is not in values.yaml")
            }
            for match in text.matches(of: try! Regex(#"\$(\w+)((?:\.\w+)+)"#)) {
                guard let name = match.output[1].substring, let base = variables[name] else { continue }
                let path = "\(base)\(match.output[2].substring ?? "")"
                #expect(declared(path[...]), "\(file): $\(name)… is .Values\(path), which is not in values.yaml")
            }
            if file.hasSuffix(".yaml") {
                for document in Self.documents(Self.skeleton(text)) {
                    do { _ = try Yams.load(yaml: document) } catch {
                        Issue.record("\(file) is not YAML once its actions are taken out: \(error)")
                    }
                }
            }
        }
    }
}
