import Foundation
import KubeClient

/// Everything the server stores, changed only under the store's lock: objects, the global
/// resourceVersion, the watch history and the open watchers' queues.
struct StoreState: Sendable {
    let historyLimit: Int
    let watcherQueueLimit: Int

    var resourceVersion: UInt64 = 0
    /// Events with a resourceVersion greater than this are all in `log`.
    var compactedResourceVersion: UInt64 = 0
    var tables: [ResourceKind: ObjectTable] = [:]
    var log = EventLog()
    var watchers: [Int: WatcherState] = [:]
    var watchersByResource: [ResourceKind: Set<Int>] = [:]
    var podWatchersByNode: [String: Set<Int>] = [:]
    var nextWatcherID = 1
    var nextServiceIP = 1

    init(historyLimit: Int, watcherQueueLimit: Int) {
        self.historyLimit = max(1, historyLimit)
        self.watcherQueueLimit = max(1, watcherQueueLimit)
    }

    // MARK: Writes

    /// Records a change: assigns the next resourceVersion, stores or removes the object, appends
    /// to the history and queues the event for every interested watcher. Returns the stored object.
    @discardableResult
    mutating func commit(_ type: ChangeEvent.EventType, _ resource: ResourceKind, _ object: JSONValue,
        previous: JSONValue?) -> JSONValue
    {
        resourceVersion += 1
        var stored = object
        stored.edit("metadata") { metadata in
            metadata?["resourceVersion"] = .string(String(resourceVersion))
        }
        let namespace = stored.metadataString("namespace") ?? ""
        let name = stored.metadataString("name") ?? ""
        switch type {
        case .added, .modified:
            tables[resource, default: ObjectTable()].put(namespace, name, stored, indexNodeName: resource == .pods)
        case .deleted:
            tables[resource, default: ObjectTable()].remove(namespace, name, indexNodeName: resource == .pods)
        }
        let event = ChangeEvent(resourceVersion: resourceVersion, resource: resource, type: type, namespace: namespace,
            name: name, object: stored, previous: previous)
        log.append(event)
        while log.count > historyLimit, let dropped = log.dropFirst() {
            compactedResourceVersion = dropped.resourceVersion
        }
        fanOut(event)
        return stored
    }

    private mutating func fanOut(_ event: ChangeEvent) {
        var targets = watchersByResource[event.resource] ?? []
        if event.resource == .pods {
            targets.formUnion(podWatchersByNode[ObjectTable.nodeName(event.object)] ?? [])
            if let previous = event.previous {
                targets.formUnion(podWatchersByNode[ObjectTable.nodeName(previous)] ?? [])
            }
        }
        for id in targets {
            guard let watcher = watchers[id], watcher.endReason == nil else { continue }
            if let namespace = watcher.filter.namespace, namespace != event.namespace { continue }
            if watcher.pending.count >= watcherQueueLimit {
                // A consumer this far behind is closed, as the real server does; it re-watches from
                // the last resourceVersion it saw.
                watchers[id]?.pending = []
                watchers[id]?.endReason = .overflow
                unindexWatcher(id, watcher.filter)
            } else {
                watchers[id]?.pending.append(event)
            }
            watcher.signal.yield()
        }
    }

    /// Drops the watch history: watches and exact lists from any older resourceVersion answer 410.
    mutating func compact() {
        log.removeAll()
        compactedResourceVersion = resourceVersion
    }

    // MARK: Reads

    func get(_ kind: ResourceKind, _ namespace: String, _ name: String) throws(APIError) -> JSONValue {
        guard let object = tables[kind]?.get(namespace, name) else { throw APIError.notFound(kind, name) }
        return object
    }

    /// The objects of a kind in scope at the current resourceVersion, possibly narrowed by the
    /// node-name index, unsorted.
    func currentObjects(_ kind: ResourceKind, namespace: String?, nodeName: String?) -> [(String, JSONValue)] {
        guard let table = tables[kind] else { return [] }
        var result: [(String, JSONValue)] = []
        if let nodeName {
            for key in table.byNodeName[nodeName] ?? [] {
                if let namespace, key.namespace != namespace { continue }
                if let object = table.get(key.namespace, key.name) { result.append((key.storageKey, object)) }
            }
            return result
        }
        if let namespace {
            for (name, object) in table.byNamespace[namespace] ?? [:] {
                result.append((ObjectName(namespace: namespace, name: name).storageKey, object))
            }
            return result
        }
        result.reserveCapacity(table.count)
        for (objectNamespace, objects) in table.byNamespace {
            for (name, object) in objects {
                result.append((ObjectName(namespace: objectNamespace, name: name).storageKey, object))
            }
        }
        return result
    }

    /// The objects of a kind in scope as they were at `resourceVersion` (which must not be compacted),
    /// rebuilt by undoing the newer history.
    func objects(_ kind: ResourceKind, namespace: String?, at target: UInt64) -> [(String, JSONValue)] {
        var objects: [String: JSONValue] = [:]
        for (key, object) in currentObjects(kind, namespace: namespace, nodeName: nil) { objects[key] = object }
        for event in log.events(after: target).reversed() where event.resource == kind {
            if let namespace, event.namespace != namespace { continue }
            let key = ObjectName(namespace: event.namespace, name: event.name).storageKey
            switch event.type {
            case .added: objects.removeValue(forKey: key)
            case .modified, .deleted: objects[key] = event.previous
            }
        }
        return objects.map { ($0.key, $0.value) }
    }

    // MARK: Watchers

    mutating func registerWatcher(_ filter: WatchFilter, from start: UInt64?) -> WatchRegistration {
        var initial: [ChangeEvent] = []
        if let start {
            if start < compactedResourceVersion {
                return .expired(APIError.expired("too old resource version: \(start) (\(compactedResourceVersion))"))
            }
            for event in log.events(after: start) where event.resource == filter.resource {
                if let namespace = filter.namespace, event.namespace != namespace { continue }
                initial.append(event)
            }
        } else {
            let objects = currentObjects(filter.resource, namespace: filter.namespace, nodeName: filter.indexedNodeName)
            for (_, object) in objects.sorted(by: { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }) {
                let resourceVersion = UInt64(object.metadataString("resourceVersion") ?? "") ?? 0
                initial.append(ChangeEvent(resourceVersion: resourceVersion, resource: filter.resource, type: .added,
                    namespace: object.metadataString("namespace") ?? "", name: object.metadataString("name") ?? "",
                    object: object, previous: nil))
            }
        }
        let (signals, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = nextWatcherID
        nextWatcherID += 1
        watchers[id] = WatcherState(filter: filter, signal: continuation)
        if let node = filter.indexedNodeName {
            podWatchersByNode[node, default: []].insert(id)
        } else {
            watchersByResource[filter.resource, default: []].insert(id)
        }
        return .started(id: id, initial: initial, resourceVersion: resourceVersion, signals: signals)
    }

    private mutating func unindexWatcher(_ id: Int, _ filter: WatchFilter) {
        if let node = filter.indexedNodeName {
            podWatchersByNode[node]?.remove(id)
            if podWatchersByNode[node]?.isEmpty == true { podWatchersByNode.removeValue(forKey: node) }
        } else {
            watchersByResource[filter.resource]?.remove(id)
        }
    }

    mutating func drain(_ id: Int) -> WatchBatch {
        guard let watcher = watchers[id] else {
            return WatchBatch(events: [], resourceVersion: resourceVersion, bookmarkDue: false, endReason: .shutdown)
        }
        watchers[id]?.pending = []
        watchers[id]?.bookmarkDue = false
        return WatchBatch(events: watcher.pending, resourceVersion: resourceVersion, bookmarkDue: watcher.bookmarkDue,
            endReason: watcher.endReason)
    }

    /// Asks a watcher's writer to stop (the events already queued are still sent).
    mutating func endWatcher(_ id: Int, _ reason: WatchEndReason) {
        guard let watcher = watchers[id] else { return }
        if watcher.endReason == nil {
            watchers[id]?.endReason = reason
            unindexWatcher(id, watcher.filter)
        }
        watcher.signal.yield()
    }

    mutating func requestBookmark(_ id: Int) {
        guard let watcher = watchers[id] else { return }
        watchers[id]?.bookmarkDue = true
        watcher.signal.yield()
    }

    mutating func removeWatcher(_ id: Int) {
        guard let watcher = watchers.removeValue(forKey: id) else { return }
        unindexWatcher(id, watcher.filter)
        watcher.signal.finish()
    }

    mutating func endAllWatchers() {
        for id in Array(watchers.keys) { endWatcher(id, .shutdown) }
    }
}
