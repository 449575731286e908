import KubeClient

/// A change to one object: what the watch history records and watchers receive.
struct ChangeEvent: Sendable {
    enum EventType: String, Sendable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
    }

    let resourceVersion: UInt64
    let resource: ResourceKind
    let type: EventType
    let namespace: String
    let name: String
    /// The object after the change (for DELETED: the last state, carrying the deletion's resourceVersion).
    let object: JSONValue
    /// The object before the change (MODIFIED and DELETED), used to roll lists back to an older
    /// resourceVersion and to tell when an object starts or stops matching a watch's selectors.
    let previous: JSONValue?
}

/// The objects of one kind, by namespace ("" for cluster-scoped kinds) and name, with a
/// `spec.nodeName` index for pods.
struct ObjectTable: Sendable {
    var byNamespace: [String: [String: JSONValue]] = [:]
    var count = 0
    /// Pod keys by `spec.nodeName` ("" for unscheduled pods); only maintained for pods.
    var byNodeName: [String: Set<ObjectName>] = [:]

    func get(_ namespace: String, _ name: String) -> JSONValue? { byNamespace[namespace]?[name] }

    mutating func put(_ namespace: String, _ name: String, _ object: JSONValue, indexNodeName: Bool) {
        let previous = byNamespace[namespace, default: [:]].updateValue(object, forKey: name)
        if previous == nil { count += 1 }
        if indexNodeName {
            let key = ObjectName(namespace: namespace, name: name)
            let oldNode = previous.map(Self.nodeName)
            let newNode = Self.nodeName(object)
            if oldNode != newNode {
                if let oldNode { removeIndex(oldNode, key) }
                byNodeName[newNode, default: []].insert(key)
            }
        }
    }

    mutating func remove(_ namespace: String, _ name: String, indexNodeName: Bool) {
        guard let previous = byNamespace[namespace]?.removeValue(forKey: name) else { return }
        count -= 1
        if byNamespace[namespace]?.isEmpty == true { byNamespace.removeValue(forKey: namespace) }
        if indexNodeName { removeIndex(Self.nodeName(previous), ObjectName(namespace: namespace, name: name)) }
    }

    private mutating func removeIndex(_ node: String, _ key: ObjectName) {
        byNodeName[node]?.remove(key)
        if byNodeName[node]?.isEmpty == true { byNodeName.removeValue(forKey: node) }
    }

    static func nodeName(_ pod: JSONValue) -> String { pod["spec"]?["nodeName"]?.stringValue ?? "" }
}

/// Namespace and name of a stored object; `storageKey` orders objects as etcd keys do.
struct ObjectName: Sendable, Hashable {
    var namespace: String
    var name: String

    var storageKey: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }
}

/// The watch history: every change, oldest first, up to a limit.
struct EventLog: Sendable {
    private var events: [ChangeEvent] = []
    private var start = 0

    var count: Int { events.count - start }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ event: ChangeEvent) { events.append(event) }

    /// Drops the oldest event and returns it.
    mutating func dropFirst() -> ChangeEvent? {
        guard start < events.count else { return nil }
        let event = events[start]
        start += 1
        if start > 1024, start * 2 > events.count {
            events.removeFirst(start)
            start = 0
        }
        return event
    }

    mutating func removeAll() {
        events = []
        start = 0
    }

    /// The events with a resourceVersion greater than `resourceVersion`, oldest first.
    func events(after resourceVersion: UInt64) -> ArraySlice<ChangeEvent> {
        var low = start
        var high = events.count
        while low < high {
            let middle = (low + high) / 2
            if events[middle].resourceVersion <= resourceVersion { low = middle + 1 } else { high = middle }
        }
        return events[low...]
    }
}

/// What a watch selects: a kind, optionally one namespace, label and field selectors.
struct WatchFilter: Sendable {
    let resource: ResourceKind
    let namespace: String?
    let labelSelector: LabelSelector
    let fieldSelector: FieldSelector

    func matches(_ object: JSONValue) -> Bool {
        if let namespace, object.metadataString("namespace") != namespace { return false }
        if !labelSelector.isEmpty, !labelSelector.matches(object["metadata"]?.stringMap("labels")) { return false }
        if !fieldSelector.isEmpty, !fieldSelector.matches({ resource.fieldValue(object, $0) }) { return false }
        return true
    }

    /// The node name of a pod watch selecting `spec.nodeName=<name>`: such watchers only receive
    /// events of pods on that node (the real server's "indexed trigger").
    var indexedNodeName: String? {
        guard resource == .pods else { return nil }
        return fieldSelector.requirements.first { $0.field == "spec.nodeName" && $0.equals }?.value
    }
}

/// Why a watch stream ends.
enum WatchEndReason: Sendable {
    case timeout
    case clientGone
    case overflow
    case shutdown
}

/// One open watch, as the store sees it: the events queued for its writer.
struct WatcherState: Sendable {
    let filter: WatchFilter
    var pending: [ChangeEvent] = []
    let signal: AsyncStream<Void>.Continuation
    var endReason: WatchEndReason?
    var bookmarkDue = false
}

/// What a drained watcher gets: queued events, the store's resourceVersion at that moment (all
/// events up to it have been queued), and whether to send a bookmark or stop.
struct WatchBatch: Sendable {
    var events: [ChangeEvent]
    var resourceVersion: UInt64
    var bookmarkDue: Bool
    var endReason: WatchEndReason?
}

/// How a watch starts: the events to send first, or 410 when its resourceVersion is compacted.
enum WatchRegistration: Sendable {
    case expired(APIError)
    case started(id: Int, initial: [ChangeEvent], resourceVersion: UInt64, signals: AsyncStream<Void>)
}

/// DELETE options from the body and the query.
struct DeleteOptions: Sendable {
    var gracePeriodSeconds: Int64?
    var preconditionUID: String?
    var preconditionResourceVersion: String?
    var propagationPolicy: String?
}

/// What a DELETE answers: the object (pods, services, or any object that is not gone yet) or a
/// `Status` of kind Success.
enum DeleteResult: Sendable {
    case object(JSONValue)
    case status(JSONValue)
}

/// Which part of an object a write addresses.
enum Subresource: String, Sendable {
    case main = ""
    case status
    case scale
}
