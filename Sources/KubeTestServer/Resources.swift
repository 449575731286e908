import KubeClient

/// The kinds of object the test API server serves, with the per-kind rules of the real API server
/// (registry strategies): which subresources exist, which fields can be selected, what a delete returns.
enum ResourceKind: String, CaseIterable, Sendable, Hashable {
    case pods, nodes, namespaces, events, services, leases, deployments, replicasets

    var descriptor: ResourceDescriptor {
        switch self {
        case .pods: ResourceDescriptor(group: "", version: "v1", kind: "Pod", plural: "pods", isNamespaced: true)
        case .nodes: ResourceDescriptor(group: "", version: "v1", kind: "Node", plural: "nodes", isNamespaced: false)
        case .namespaces:
            ResourceDescriptor(group: "", version: "v1", kind: "Namespace", plural: "namespaces", isNamespaced: false)
        case .events: ResourceDescriptor(group: "", version: "v1", kind: "Event", plural: "events", isNamespaced: true)
        case .services:
            ResourceDescriptor(group: "", version: "v1", kind: "Service", plural: "services", isNamespaced: true)
        case .leases:
            ResourceDescriptor(group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", isNamespaced: true)
        case .deployments:
            ResourceDescriptor(group: "apps", version: "v1", kind: "Deployment", plural: "deployments", isNamespaced: true)
        case .replicasets:
            ResourceDescriptor(group: "apps", version: "v1", kind: "ReplicaSet", plural: "replicasets", isNamespaced: true)
        }
    }

    var group: String { descriptor.group }
    var kind: String { descriptor.kind }
    var plural: String { descriptor.plural }
    var apiVersion: String { descriptor.apiVersion }
    var isNamespaced: Bool { descriptor.isNamespaced }
    var listKind: String { kind + "List" }

    /// `pods`, `leases.coordination.k8s.io`: the resource as error messages name it.
    var qualifiedResource: String { group.isEmpty ? plural : "\(plural).\(group)" }
    /// `Pod`, `Deployment.apps`: the kind as validation and precondition messages name it.
    var qualifiedKind: String { group.isEmpty ? kind : "\(kind).\(group)" }

    /// Kinds with a `status` subresource: writes to the main resource keep the old status.
    var hasStatusSubresource: Bool {
        switch self {
        case .pods, .nodes, .deployments, .replicasets, .services, .namespaces: true
        case .events, .leases: false
        }
    }

    var hasScaleSubresource: Bool { self == .deployments || self == .replicasets }

    /// Kinds whose `metadata.generation` the server maintains (1 on create, +1 on spec changes).
    var tracksGeneration: Bool { self == .pods || self == .deployments || self == .replicasets }

    /// Whether DELETE answers with the deleted object (`ReturnDeletedObject`) rather than a `Status`.
    var returnsDeletedObject: Bool { self == .pods || self == .services }

    /// Whether PUT of a missing object creates it (`AllowCreateOnUpdate`).
    var allowsCreateOnUpdate: Bool { self == .events }

    /// The field selector labels the real server supports for this kind.
    var selectableFields: Set<String> {
        var fields: Set<String> = ["metadata.name"]
        if isNamespaced { fields.insert("metadata.namespace") }
        switch self {
        case .pods:
            fields.formUnion([
                "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
            ])
        case .nodes: fields.insert("spec.unschedulable")
        case .namespaces: fields.insert("status.phase")
        case .events:
            fields.formUnion([
                "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                "reportingComponent", "source", "type",
            ])
        case .services: fields.formUnion(["spec.clusterIP", "spec.type"])
        case .replicasets: fields.insert("status.replicas")
        case .leases, .deployments: break
        }
        return fields
    }

    /// The value of a selectable field of an object, as the real server's field set renders it.
    func fieldValue(_ object: JSONValue, _ field: String) -> String {
        switch field {
        case "metadata.name": return object.metadataString("name") ?? ""
        case "metadata.namespace": return object.metadataString("namespace") ?? ""
        case "spec.hostNetwork": return object["spec"]?["hostNetwork"]?.boolValue == true ? "true" : "false"
        case "spec.unschedulable": return object["spec"]?["unschedulable"]?.boolValue == true ? "true" : "false"
        case "status.replicas": return String(object["status"]?["replicas"]?.intValue ?? 0)
        case "source": return object["source"]?["component"]?.stringValue ?? ""
        default:
            let path = field.split(separator: ".").map(String.init)
            guard let value = object[path: path] else { return "" }
            switch value {
            case .string(let text): return text
            case .int(let number): return String(number)
            case .bool(let flag): return flag ? "true" : "false"
            default: return ""
            }
        }
    }

    /// Finds the kind served at `/api/v1/<plural>` or `/apis/<group>/<version>/<plural>`.
    static func lookup(group: String, version: String, plural: String) -> ResourceKind? {
        guard let kind = ResourceKind(rawValue: plural), kind.group == group, kind.descriptor.version == version else {
            return nil
        }
        return kind
    }
}
