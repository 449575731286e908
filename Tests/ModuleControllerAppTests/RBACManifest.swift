import Foundation
import KubeTestServer
import Yams

/// The ClusterRoles and Roles of a manifest file (e.g. `deploy/rbac.yaml`), answering whether they
/// grant a request as Kubernetes' RBAC authorizer would (no aggregation, no resourceNames).
struct RBACManifest {
    struct Rule: Decodable {
        var apiGroups: [String]
        var resources: [String]
        var verbs: [String]

        func allows(_ request: RequestAttributes) -> Bool {
            (apiGroups.contains("*") || apiGroups.contains(request.apiGroup))
                && (resources.contains("*") || resources.contains(request.resource))
                && (verbs.contains("*") || verbs.contains(request.verb))
        }
    }

    private struct Object: Decodable {
        struct Metadata: Decodable { var namespace: String? }
        var kind: String
        var metadata: Metadata
        var rules: [Rule]?
    }

    /// Rules that apply everywhere (ClusterRoles) and rules by namespace (Roles).
    private var clusterRules: [Rule] = []
    private var namespacedRules: [String: [Rule]] = [:]

    init(contentsOf url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        for document in text.components(separatedBy: "\n---\n") where document.contains("kind:") {
            let object = try YAMLDecoder().decode(Object.self, from: document)
            switch object.kind {
            case "ClusterRole": clusterRules += object.rules ?? []
            case "Role": namespacedRules[object.metadata.namespace ?? "", default: []] += object.rules ?? []
            default: break
            }
        }
    }

    func allows(_ request: RequestAttributes) -> Bool {
        let rules = clusterRules + (request.namespace.isEmpty ? [] : namespacedRules[request.namespace] ?? [])
        return rules.contains { $0.allows(request) }
    }
}
