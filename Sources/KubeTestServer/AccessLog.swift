import Synchronization

/// One kind of request as an RBAC authorizer sees it: the verb (`get`, `list`, `watch`, `create`,
/// `update`, `patch`, `delete`, `deletecollection`), the API group, the resource with its
/// subresource (`pods/status`) and the namespace ("" for cluster-scoped objects). Tests compare
/// what a controller asked for with the permissions its manifests grant.
public struct RequestAttributes: Sendable, Hashable, CustomStringConvertible {
    public var verb: String
    public var apiGroup: String
    public var resource: String
    public var namespace: String

    public init(verb: String, apiGroup: String, resource: String, namespace: String) {
        self.verb = verb
        self.apiGroup = apiGroup
        self.resource = resource
        self.namespace = namespace
    }

    public var description: String {
        "\(verb) \(apiGroup.isEmpty ? "core" : apiGroup)/\(resource)\(namespace.isEmpty ? "" : " in \(namespace)")"
    }
}

/// How many requests of each kind a server has served, by bearer token (authenticated requests
/// to resources, whatever their answer).
final class AccessLog: Sendable {
    private let counts = Mutex<[String: [RequestAttributes: Int]]>([:])

    func record(_ attributes: RequestAttributes, token: String) {
        counts.withLock { $0[token, default: [:]][attributes, default: 0] += 1 }
    }

    func all(token: String) -> Set<RequestAttributes> { Set(counts(token: token).keys) }

    func counts(token: String) -> [RequestAttributes: Int] { counts.withLock { $0[token] ?? [:] } }
}

extension ResourcePath {
    /// The RBAC attributes of a request to this path with `method` (and, for GET, `watch`).
    func attributes(method: String, watch: Bool) -> RequestAttributes {
        let verb: String
        switch method {
        case "GET": verb = name != nil ? "get" : (watch ? "watch" : "list")
        case "POST": verb = "create"
        case "PUT": verb = "update"
        case "PATCH": verb = "patch"
        case "DELETE": verb = name != nil ? "delete" : "deletecollection"
        default: verb = method.lowercased()
        }
        let resource = subresource == .main ? kind.plural : "\(kind.plural)/\(subresource.rawValue)"
        return RequestAttributes(verb: verb, apiGroup: kind.group, resource: resource, namespace: namespace ?? "")
    }
}
