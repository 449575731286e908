/// The name of a replica's presence Lease in cluster mode: `controller.<id>.<env>` in
/// kube-node-lease, next to the vnode Leases `vnode.<id>.<env>` (which never start with
/// `controller.`). The replica identity (pod name, host name, any `CLIENT_ID`) is made a DNS-1123
/// label: lower-cased, other characters turned into `-`, at most 63 characters; whenever that
/// changes the identity, a hash of the original is appended so that two identities never share a
/// name. The Lease's `holderIdentity` keeps the identity as it is.
enum ReplicaLeaseName {
    static func make(identity: String, env: String) -> String {
        "controller.\(label(for: identity)).\(env)"
    }

    static func label(for identity: String) -> String {
        let mapped = String(identity.lowercased().unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "a"..."z", "0"..."9": Character(scalar)
            default: "-"
            }
        })
        let trimmed = mapped.drop { $0 == "-" }.reversed().drop { $0 == "-" }.reversed()
        let base = String(trimmed)
        if !base.isEmpty, base == identity, base.count <= 63 { return base }
        let hash = String(fnv1a(identity), radix: 16)
        let prefix = String(base.prefix(63 - 1 - hash.count))
        return prefix.isEmpty ? "r-\(hash)" : "\(prefix)-\(hash)"
    }

    /// 32-bit FNV-1a: stable across processes and platforms (unlike `hashValue`).
    private static func fnv1a(_ text: String) -> UInt32 {
        var hash: UInt32 = 0x811c_9dc5
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return hash
    }
}
