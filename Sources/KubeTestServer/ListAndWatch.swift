import Foundation
import KubeClient

/// Options of a list request (`labelSelector`, `fieldSelector`, `limit`, `continue`, `resourceVersion`,
/// `resourceVersionMatch`).
struct ListOptions: Sendable {
    var labelSelector = LabelSelector()
    var fieldSelector = FieldSelector()
    var limit: Int?
    var continueToken: ContinueToken?
    var resourceVersion: String?
    var resourceVersionMatch: String?
}

/// The opaque `continue` token: URL-safe, unpadded base64 of `{"v":"meta.k8s.io/v1","rv":N,"start":"<key>\u0000"}`,
/// the same shape as the real server's.
struct ContinueToken: Sendable {
    var resourceVersion: UInt64
    var start: String

    var encoded: String {
        let json: JSONValue = ["v": "meta.k8s.io/v1", "rv": .int(Int64(resourceVersion)), "start": .string(start)]
        // URL-safe base64 without padding (Go's base64.RawURLEncoding), so the token needs no escaping.
        return Data(JSONCodec.serialize(json)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init(resourceVersion: UInt64, start: String) {
        self.resourceVersion = resourceVersion
        self.start = start
    }

    init(decoding text: String) throws(APIError) {
        var padded = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while padded.count % 4 != 0 { padded += "=" }
        guard let data = Data(base64Encoded: padded), let json = try? JSONCodec.parse(Array(data)),
            json["v"]?.stringValue == "meta.k8s.io/v1", let version = json["rv"]?.intValue, version > 0,
            let start = json["start"]?.stringValue
        else {
            throw APIError.badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        }
        self.init(resourceVersion: UInt64(version), start: start)
    }
}

/// A list answer before encoding: the items (sorted as etcd sorts keys) and the list metadata.
struct ListResult: Sendable {
    var kind: ResourceKind
    var items: [JSONValue]
    var resourceVersion: UInt64
    var continueToken: String?
    var remainingItemCount: Int?

    /// `{"kind":"PodList","apiVersion":"v1","metadata":{...},"items":[...]}`; items carry no
    /// `kind`/`apiVersion`, as in the real server's lists.
    func encoded() -> [UInt8] {
        var metadata: JSONValue = ["resourceVersion": .string(String(resourceVersion))]
        if let continueToken { metadata["continue"] = .string(continueToken) }
        if let remainingItemCount { metadata["remainingItemCount"] = .int(Int64(remainingItemCount)) }
        var out: [UInt8] = []
        out.reserveCapacity(256 + items.count * 2048)
        out.append(contentsOf: Array("{\"apiVersion\":".utf8))
        JSONCodec.writeString(kind.apiVersion, to: &out)
        out.append(contentsOf: Array(",\"items\":[".utf8))
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            if case .object(var members) = item {
                members.removeValue(forKey: "kind")
                members.removeValue(forKey: "apiVersion")
                JSONCodec.write(.object(members), to: &out)
            } else {
                JSONCodec.write(item, to: &out)
            }
        }
        out.append(contentsOf: Array("],\"kind\":".utf8))
        JSONCodec.writeString(kind.listKind, to: &out)
        out.append(contentsOf: Array(",\"metadata\":".utf8))
        JSONCodec.write(metadata, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }
}

extension StoreState {
    func list(_ kind: ResourceKind, namespace: String?, options: ListOptions) throws(APIError) -> ListResult {
        let filter = WatchFilter(resource: kind, namespace: namespace, labelSelector: options.labelSelector,
            fieldSelector: options.fieldSelector)
        var listVersion = resourceVersion
        var objects: [(String, JSONValue)]
        if let token = options.continueToken {
            if token.resourceVersion < compactedResourceVersion {
                throw APIError.expired(
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
            }
            listVersion = min(token.resourceVersion, resourceVersion)
            objects = listVersion == resourceVersion
                ? currentObjects(kind, namespace: namespace, nodeName: filter.indexedNodeName)
                : self.objects(kind, namespace: namespace, at: listVersion)
        } else if let text = options.resourceVersion, !text.isEmpty, text != "0" || options.resourceVersionMatch == "Exact" {
            guard let requested = UInt64(text) else {
                throw APIError.badRequest("invalid resource version \(FieldError.goQuote(text))")
            }
            if requested > resourceVersion {
                throw APIError(code: 504, reason: "Timeout",
                    message: "Timeout: Too large resource version: \(requested), current: \(resourceVersion)",
                    details: ["causes": [["reason": "ResourceVersionTooLarge", "message": "Too large resource version"]],
                        "retryAfterSeconds": 1])
            }
            if options.resourceVersionMatch == "Exact" {
                if requested < compactedResourceVersion {
                    throw APIError.expired("The resourceVersion for the provided list is too old.")
                }
                listVersion = requested
                objects = requested == resourceVersion
                    ? currentObjects(kind, namespace: namespace, nodeName: filter.indexedNodeName)
                    : self.objects(kind, namespace: namespace, at: requested)
            } else {
                objects = currentObjects(kind, namespace: namespace, nodeName: filter.indexedNodeName)
            }
        } else {
            objects = currentObjects(kind, namespace: namespace, nodeName: filter.indexedNodeName)
        }
        var matching = objects.filter { filter.matches($0.1) }
        matching.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        if let start = options.continueToken?.start {
            matching.removeAll { $0.0.utf8.lexicographicallyPrecedes(start.utf8) }
        }
        var result = ListResult(kind: kind, items: [], resourceVersion: listVersion)
        if let limit = options.limit, limit > 0, matching.count > limit {
            let page = matching.prefix(limit)
            result.items = page.map(\.1)
            let lastKey = page.last?.0 ?? ""
            result.continueToken = ContinueToken(resourceVersion: listVersion, start: lastKey + "\u{0}").encoded
            if options.labelSelector.isEmpty && options.fieldSelector.isEmpty {
                result.remainingItemCount = matching.count - limit
            }
        } else {
            result.items = matching.map(\.1)
        }
        return result
    }
}

/// Which event a watcher sends for a change, given its selectors: an object that starts matching
/// arrives as ADDED, one that stops matching as DELETED (as the real server's watch cache does).
func watchEventType(for event: ChangeEvent, filter: WatchFilter) -> ChangeEvent.EventType? {
    switch event.type {
    case .added:
        return filter.matches(event.object) ? .added : nil
    case .modified:
        let now = filter.matches(event.object)
        let before = event.previous.map(filter.matches) ?? false
        switch (before, now) {
        case (true, true): return .modified
        case (false, true): return .added
        case (true, false): return .deleted
        case (false, false): return nil
        }
    case .deleted:
        return filter.matches(event.previous ?? event.object) ? .deleted : nil
    }
}

/// Appends one newline-terminated watch event line.
func appendWatchLine(_ type: String, _ object: JSONValue, to out: inout [UInt8]) {
    out.append(contentsOf: Array("{\"type\":".utf8))
    JSONCodec.writeString(type, to: &out)
    out.append(contentsOf: Array(",\"object\":".utf8))
    JSONCodec.write(object, to: &out)
    out.append(contentsOf: Array("}\n".utf8))
}

/// The object of a BOOKMARK event: only type meta and the resourceVersion.
func bookmarkObject(_ kind: ResourceKind, resourceVersion: UInt64, initialEventsEnd: Bool) -> JSONValue {
    var metadata: JSONValue = ["resourceVersion": .string(String(resourceVersion))]
    if initialEventsEnd { metadata["annotations"] = ["k8s.io/initial-events-end": "true"] }
    return ["kind": .string(kind.kind), "apiVersion": .string(kind.apiVersion), "metadata": metadata]
}
