/// Who a base is: carried in heartbeats (`baseMetadata`) and as the body of `queryBaseline` (T2).
public struct BaseMetadata: Sendable, Hashable, Codable {
    /// The base identity (arklet default: its first non-loopback IPv4 address).
    public var identity: String
    /// Base application name (vnode label `base.koupleless.io/name`).
    public var name: String
    /// Base application version (vnode label `base.koupleless.io/version`).
    public var version: String
    /// Cluster name (vnode label `base.koupleless.io/cluster-name`); selects the baseline.
    public var clusterName: String

    public init(identity: String, name: String, version: String, clusterName: String) {
        self.identity = identity
        self.name = name
        self.version = version
        self.clusterName = clusterName
    }

    enum CodingKeys: String, CodingKey { case identity, name, version, clusterName }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        identity = container.lenientString(.identity) ?? ""
        name = container.lenientString(.name) ?? ""
        version = container.lenientString(.version) ?? ""
        clusterName = container.lenientString(.clusterName) ?? ""
    }
}
