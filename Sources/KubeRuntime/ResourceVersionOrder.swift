/// Orders two `resourceVersion`s of objects of one resource, as Kubernetes 1.35 allows
/// (KEP-5504, client-go `CompareResourceVersion`): a well-formed version is a positive decimal
/// integer without leading zeros, of any length. Versions that are not well formed are compared
/// for equality only, as the older API conventions require.
public enum ResourceVersionOrder {
    /// Whether `version` should replace a stored copy at `stored`: a different version that is
    /// not known to be older.
    public static func isNewer(_ version: String, than stored: String?) -> Bool {
        guard let stored else { return true }
        guard version != stored else { return false }
        guard isWellFormed(version), isWellFormed(stored) else { return true }
        if version.utf8.count != stored.utf8.count { return version.utf8.count > stored.utf8.count }
        return version > stored
    }

    static func isWellFormed(_ version: String) -> Bool {
        guard let first = version.utf8.first, first != UInt8(ascii: "0") else { return false }
        return version.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
