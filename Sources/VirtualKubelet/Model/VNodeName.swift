import Arklet

/// The Kubernetes name of a base's virtual node (and of its Lease): `vnode.<identity>.<ENV>`.
///
/// Only identities that make a valid DNS-1123 subdomain (and a valid MQTT topic level) are
/// accepted; the same identity always gives the same name, so a restarted base reuses its node.
public struct VNodeName: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let identity: BaseIdentity
    public let env: String
    /// `vnode.<identity>.<env>`.
    public let rawValue: String

    /// Builds the name, or explains why the identity cannot be used.
    public static func make(identity: String, env: String) -> Result<VNodeName, IdentityRefusal> {
        guard let base = BaseIdentity(identity) else {
            return .failure(IdentityRefusal(identity: identity, reason: .topicLevel))
        }
        let name = "vnode.\(identity).\(env)"
        guard DNS1123.isSubdomain(name) else {
            return .failure(IdentityRefusal(identity: identity, reason: .dnsSubdomain(name)))
        }
        return .success(VNodeName(identity: base, env: env, rawValue: name))
    }

    private init(identity: BaseIdentity, env: String, rawValue: String) {
        self.identity = identity
        self.env = env
        self.rawValue = rawValue
    }

    /// Recovers the identity from a node name of this env (everything between the first and the
    /// last dot); `nil` when the name is not of the form `vnode.<identity>.<env>`.
    public static func parse(_ nodeName: String, env: String) -> VNodeName? {
        let prefix = "vnode.", suffix = ".\(env)"
        guard nodeName.hasPrefix(prefix), nodeName.hasSuffix(suffix), nodeName.count > prefix.count + suffix.count else {
            return nil
        }
        let identity = String(nodeName.dropFirst(prefix.count).dropLast(suffix.count))
        return try? make(identity: identity, env: env).get()
    }

    public var description: String { rawValue }

    public static func < (lhs: VNodeName, rhs: VNodeName) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Why a base identity was refused.
public struct IdentityRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of refusal (also the `reason` dimension of the refusal metric).
    public enum Reason: Sendable, Hashable {
        /// Empty, or contains `/`, `+`, `#` or NUL.
        case topicLevel
        /// `vnode.<identity>.<env>` is not a DNS-1123 subdomain.
        case dnsSubdomain(String)

        public var metricValue: String {
            switch self {
            case .topicLevel: "invalid_topic_level"
            case .dnsSubdomain: "invalid_node_name"
            }
        }
    }

    public let identity: String
    public let reason: Reason

    public var description: String {
        switch reason {
        case .topicLevel:
            "base identity \(identity.debugDescription) is empty or contains '/', '+', '#' or NUL; "
                + "configure the base with an identity made of lower-case letters, digits, '-' and '.'"
        case .dnsSubdomain(let name):
            "base identity \(identity.debugDescription) gives node name \(name.debugDescription), which is not a "
                + "DNS-1123 subdomain; configure the base with an identity made of lower-case letters, digits, '-' "
                + "and '.', starting and ending with a letter or digit, at most \(253 - name.count + identity.count) characters"
        }
    }
}

/// DNS-1123 name rules, as the API server applies them to object names and label values.
public enum DNS1123 {
    /// A DNS-1123 label: 1–63 of `[a-z0-9-]`, starting and ending alphanumeric.
    public static func isLabel(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 63 else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool { (97...122).contains(byte) || (48...57).contains(byte) }
        guard alphanumeric(bytes.first!), alphanumeric(bytes.last!) else { return false }
        return bytes.allSatisfy { alphanumeric($0) || $0 == 45 }
    }

    /// A DNS-1123 subdomain: at most 253 characters of dot-separated labels.
    public static func isSubdomain(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        return text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isLabel(String($0)) }
    }

    /// A valid label value: empty, or at most 63 of `[A-Za-z0-9-_.]`, starting and ending alphanumeric.
    public static func isLabelValue(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        if bytes.isEmpty { return true }
        guard bytes.count <= 63 else { return false }
        func alphanumeric(_ byte: UInt8) -> Bool {
            (97...122).contains(byte) || (65...90).contains(byte) || (48...57).contains(byte)
        }
        guard alphanumeric(bytes.first!), alphanumeric(bytes.last!) else { return false }
        return bytes.allSatisfy { alphanumeric($0) || $0 == 45 || $0 == 95 || $0 == 46 }
    }
}
