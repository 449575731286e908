import Synchronization

/// The vnodes this replica knows, by node name: one ``VNodeRecord`` each, shared by the event
/// router, the lease keeper and the reconcilers under one lock. Every access is a short critical
/// section on plain values; no I/O happens while the lock is held.
public final class VNodeRegistry: Sendable {
    private let records = Mutex<[String: VNodeRecord]>([:])

    public init() {}

    /// A copy of one record.
    public func record(_ name: String) -> VNodeRecord? {
        records.withLock { $0[name] }
    }

    /// Whether a vnode is known.
    public func contains(_ name: String) -> Bool {
        records.withLock { $0[name] != nil }
    }

    /// The names of all known vnodes.
    public var names: [String] {
        records.withLock { Array($0.keys) }
    }

    /// Changes a record if it exists; returns the closure's result (`nil` when unknown).
    @discardableResult
    public func update<T>(_ name: String, _ body: (inout VNodeRecord) -> T) -> T? {
        records.withLock { records -> T? in
            guard var record = records[name] else { return nil }
            let result = body(&record)
            records[name] = record
            return result
        }
    }

    /// Changes a record, creating it with `make` first when unknown; returns whether it was created
    /// and the closure's result.
    public func upsert<T>(_ name: String, make: () -> VNodeRecord, _ body: (inout VNodeRecord) -> T) -> (created: Bool, result: T) {
        records.withLock { records in
            var created = false
            var record: VNodeRecord
            if let existing = records[name] {
                record = existing
            } else {
                record = make()
                created = true
            }
            let result = body(&record)
            records[name] = record
            return (created, result)
        }
    }

    /// Forgets a vnode.
    @discardableResult
    public func remove(_ name: String) -> VNodeRecord? {
        records.withLock { $0.removeValue(forKey: name) }
    }

    /// How many vnodes are known, and how many of them this replica owns.
    public func counts(now: Duration, leaseDuration: Duration) -> (known: Int, owned: Int) {
        records.withLock { records in
            (records.count, records.values.filter { $0.isOwned(now: now, leaseDuration: leaseDuration) }.count)
        }
    }

    /// The names of the vnodes this replica owns.
    public func ownedNames(now: Duration, leaseDuration: Duration) -> [String] {
        records.withLock { records in
            records.values.filter { $0.isOwned(now: now, leaseDuration: leaseDuration) }.map(\.name.rawValue)
        }
    }
}
