import KubeClient
import Synchronization

/// A change the store saw, handed to the informer's handlers.
public enum StoreChange<Object: KubeResource>: Sendable {
    case added(Object)
    case updated(old: Object, new: Object)
    case deleted(Object)

    /// The object as it is now (for a deletion, as it was last seen).
    public var object: Object {
        switch self {
        case .added(let object), .deleted(let object): return object
        case .updated(_, let new): return new
        }
    }
}

/// An in-memory cache of one kind of object, filled by an `Informer`, with secondary indexes
/// (e.g. pods by `spec.nodeName`, objects by a label value) and a "synced" state that readers can
/// wait for. Reads are cheap and never touch the API server.
public final class ObjectStore<Object: KubeResource>: Sendable {
    /// Computes the index values of an object (empty: not in the index).
    public typealias IndexFunction = @Sendable (Object) -> [String]

    private struct State {
        var objects: [ObjectKey: Object] = [:]
        var indexes: [String: [String: Set<ObjectKey>]] = [:]
        var synced = false
        /// Tasks in ``waitUntilSynced()``, by a number of their own (so a cancelled one can leave).
        var syncWaiters: [UInt64: CheckedContinuation<Bool, Never>] = [:]
        var nextWaiter: UInt64 = 0
        var resourceVersion: String?
    }

    private let indexers: [String: IndexFunction]
    private let state = Mutex(State())

    public init(indexers: [String: IndexFunction] = [:]) {
        self.indexers = indexers
    }

    // MARK: reading

    public func get(_ key: ObjectKey) -> Object? { state.withLock { $0.objects[key] } }

    public func get(namespace: String?, name: String) -> Object? { get(ObjectKey(namespace: namespace, name: name)) }

    public func list() -> [Object] { state.withLock { Array($0.objects.values) } }

    public var count: Int { state.withLock { $0.objects.count } }

    public var keys: [ObjectKey] { state.withLock { Array($0.objects.keys) } }

    /// The objects whose index function gave `value`.
    public func list(index name: String, value: String) -> [Object] {
        state.withLock { state in
            guard let keys = state.indexes[name]?[value] else { return [] }
            return keys.compactMap { state.objects[$0] }
        }
    }

    /// The values an index currently holds.
    public func indexValues(_ name: String) -> [String] {
        state.withLock { Array(($0.indexes[name] ?? [:]).keys) }
    }

    /// Whether the first complete list has been stored.
    public var isSynced: Bool { state.withLock { $0.synced } }

    /// The resourceVersion of the last list or event applied.
    public var resourceVersion: String? { state.withLock { $0.resourceVersion } }

    /// Returns once the first complete list has been stored.
    /// - Throws: `CancellationError` when the waiting task is cancelled first.
    public func waitUntilSynced() async throws(CancellationError) {
        let id = state.withLock { state in
            defer { state.nextWaiter &+= 1 }
            return state.nextWaiter
        }
        let synced = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                // Checked under the lock that `onCancel` takes: either it finds this waiter or this
                // sees the cancellation.
                let answer = state.withLock { state -> Bool? in
                    if state.synced { return true }
                    if Task.isCancelled { return false }
                    state.syncWaiters[id] = continuation
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            state.withLock { $0.syncWaiters.removeValue(forKey: id) }?.resume(returning: false)
        }
        if !synced { throw CancellationError() }
    }

    // MARK: writing (the informer)

    /// Replaces the whole content with a fresh list; returns the changes against the old content.
    @discardableResult
    public func replace(with objects: [Object], resourceVersion: String?) -> [StoreChange<Object>] {
        let (changes, waiters) = state.withLock { state -> ([StoreChange<Object>], [CheckedContinuation<Bool, Never>]) in
            var changes: [StoreChange<Object>] = []
            var fresh: [ObjectKey: Object] = [:]
            fresh.reserveCapacity(objects.count)
            for object in objects { fresh[object.objectKey] = object }
            for (key, old) in state.objects where fresh[key] == nil {
                changes.append(.deleted(old))
            }
            for (key, object) in fresh {
                if let old = state.objects[key] {
                    if old.metadata.resourceVersion != object.metadata.resourceVersion {
                        changes.append(.updated(old: old, new: object))
                    }
                } else {
                    changes.append(.added(object))
                }
            }
            state.objects = fresh
            state.indexes = [:]
            for (key, object) in fresh { insertIndexes(key, object, into: &state.indexes) }
            state.resourceVersion = resourceVersion
            state.synced = true
            defer { state.syncWaiters.removeAll() }
            return (changes, Array(state.syncWaiters.values))
        }
        for waiter in waiters { waiter.resume(returning: true) }
        return changes
    }

    /// Stores an added or modified object; returns the change (nil when the stored copy is the same
    /// version, or a newer one: an older copy never replaces a newer one).
    @discardableResult
    public func apply(_ object: Object) -> StoreChange<Object>? {
        state.withLock { state in
            let key = object.objectKey
            if let version = object.metadata.resourceVersion { state.resourceVersion = version }
            let old = state.objects[key]
            if let old, let version = object.metadata.resourceVersion,
                !ResourceVersionOrder.isNewer(version, than: old.metadata.resourceVersion)
            {
                return nil
            }
            if let old { removeIndexes(key, old, from: &state.indexes) }
            state.objects[key] = object
            insertIndexes(key, object, into: &state.indexes)
            return old.map { .updated(old: $0, new: object) } ?? .added(object)
        }
    }

    /// Removes a deleted object; returns the change (nil when it was not stored).
    @discardableResult
    public func remove(_ object: Object) -> StoreChange<Object>? {
        state.withLock { state in
            let key = object.objectKey
            if let version = object.metadata.resourceVersion { state.resourceVersion = version }
            guard let old = state.objects.removeValue(forKey: key) else { return nil }
            removeIndexes(key, old, from: &state.indexes)
            return .deleted(object)
        }
    }

    /// Records progress without a change (a bookmark).
    public func setResourceVersion(_ version: String) {
        state.withLock { $0.resourceVersion = version }
    }

    private func insertIndexes(_ key: ObjectKey, _ object: Object, into indexes: inout [String: [String: Set<ObjectKey>]]) {
        for (name, function) in indexers {
            for value in function(object) { indexes[name, default: [:]][value, default: []].insert(key) }
        }
    }

    private func removeIndexes(_ key: ObjectKey, _ object: Object, from indexes: inout [String: [String: Set<ObjectKey>]]) {
        for (name, function) in indexers {
            for value in function(object) {
                indexes[name]?[value]?.remove(key)
                if indexes[name]?[value]?.isEmpty == true { indexes[name]?[value] = nil }
            }
        }
    }
}

extension ObjectStore where Object == Pod {
    /// The name of the pods-by-node index.
    public static var nodeNameIndex: String { "spec.nodeName" }

    /// An index function putting each pod under its `spec.nodeName`.
    public static var byNodeName: IndexFunction {
        { pod in pod.spec?.nodeName.map { [$0] } ?? [] }
    }
}

/// Index functions usable with any kind.
public enum StoreIndex {
    /// Puts each object under the value of one of its labels.
    public static func label<Object: KubeResource>(_ key: String) -> ObjectStore<Object>.IndexFunction {
        { object in object.metadata.labels?[key].map { [$0] } ?? [] }
    }

    /// Puts each object under its namespace.
    public static func namespace<Object: KubeResource>() -> ObjectStore<Object>.IndexFunction {
        { object in object.metadata.namespace.map { [$0] } ?? [] }
    }
}
