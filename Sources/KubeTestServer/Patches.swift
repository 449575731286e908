import Foundation
import KubeClient

/// The three patch formats of the Kubernetes API.
enum PatchType: Sendable {
    /// `application/merge-patch+json` (RFC 7386).
    case merge
    /// `application/strategic-merge-patch+json`: merge patch where some lists merge by a key.
    case strategic
    /// `application/json-patch+json` (RFC 6902).
    case json

    init?(contentType: String) {
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch mediaType {
        case "application/merge-patch+json": self = .merge
        case "application/strategic-merge-patch+json": self = .strategic
        case "application/json-patch+json": self = .json
        default: return nil
        }
    }

    /// Applies `patch` to `document`; errors are the `Status` answers of the real server.
    func apply(_ patch: JSONValue, to document: JSONValue, kind: ResourceKind) throws(APIError) -> JSONValue {
        switch self {
        case .merge:
            guard patch.objectValue != nil else { throw APIError.badRequest("invalid JSON merge patch: not an object") }
            return document.applyingMergePatch(patch)
        case .strategic:
            guard patch.objectValue != nil else { throw APIError.badRequest("invalid strategic merge patch: not an object") }
            return try StrategicMerge(kind: kind).mergeObject(document, patch, path: "") ?? [:]
        case .json:
            return try JSONPatch.apply(patch, to: document)
        }
    }
}

/// How a list field merges under a strategic merge patch (the `patchStrategy` / `patchMergeKey`
/// tags of the Kubernetes API types); lists without a strategy are replaced.
enum ListStrategy: Sendable, Hashable {
    case mergeByKey(String)
    case mergePrimitives
}

/// Strategic merge patch for the fields of our kinds (`k8s.io/apimachinery/pkg/util/strategicpatch`).
/// Supports the `$patch: replace|delete|merge` directives and `$deleteFromPrimitiveList/<field>`;
/// `$setElementOrder/<field>` and `$retainKeys` are accepted and ignored.
struct StrategicMerge {
    let kind: ResourceKind

    static let podSpecLists: [String: ListStrategy] = {
        var table: [String: ListStrategy] = [
            "volumes": .mergeByKey("name"), "imagePullSecrets": .mergeByKey("name"), "hostAliases": .mergeByKey("ip"),
            "schedulingGates": .mergeByKey("name"), "resourceClaims": .mergeByKey("name"),
            "topologySpreadConstraints": .mergeByKey("topologyKey"),
        ]
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            table[list] = .mergeByKey("name")
            table["\(list).ports"] = .mergeByKey("containerPort")
            table["\(list).env"] = .mergeByKey("name")
            table["\(list).volumeMounts"] = .mergeByKey("mountPath")
            table["\(list).volumeDevices"] = .mergeByKey("devicePath")
        }
        return table
    }()

    static let tables: [ResourceKind: [String: ListStrategy]] = {
        let common: [String: ListStrategy] = [
            "metadata.finalizers": .mergePrimitives, "metadata.ownerReferences": .mergeByKey("uid"),
        ]
        func prefixed(_ prefix: String) -> [String: ListStrategy] {
            Dictionary(uniqueKeysWithValues: podSpecLists.map { ("\(prefix).\($0.key)", $0.value) })
        }
        var tables: [ResourceKind: [String: ListStrategy]] = [:]
        for kind in ResourceKind.allCases {
            var table = common
            switch kind {
            case .pods:
                table.merge(prefixed("spec")) { $1 }
                table["status.conditions"] = .mergeByKey("type")
                table["status.podIPs"] = .mergeByKey("ip")
                table["status.hostIPs"] = .mergeByKey("ip")
            case .deployments, .replicasets:
                table.merge(prefixed("spec.template.spec")) { $1 }
                table["status.conditions"] = .mergeByKey("type")
            case .nodes:
                table["status.conditions"] = .mergeByKey("type")
                table["status.addresses"] = .mergeByKey("type")
                table["spec.podCIDRs"] = .mergePrimitives
            case .services:
                table["spec.ports"] = .mergeByKey("port")
                table["status.conditions"] = .mergeByKey("type")
            case .namespaces:
                table["status.conditions"] = .mergeByKey("type")
            case .events, .leases:
                break
            }
            tables[kind] = table
        }
        return tables
    }()

    func strategy(at path: String) -> ListStrategy? { Self.tables[kind]?[path] }

    /// Merges `patch` into `original`; `nil` means the object is deleted (`$patch: delete`).
    func mergeObject(_ original: JSONValue?, _ patch: JSONValue, path: String) throws(APIError) -> JSONValue? {
        guard case .object(var patchMembers) = patch else { return patch }
        if let directive = patchMembers.removeValue(forKey: "$patch") {
            switch directive.stringValue {
            case "replace": return Self.stripDirectives(.object(patchMembers))
            case "delete": return nil
            case "merge": break
            default: throw APIError.badRequest("Unknown patch directive \(directive.compactText)")
            }
        }
        var result = original?.objectValue ?? [:]
        for (key, value) in patchMembers where key.hasPrefix("$deleteFromPrimitiveList/") {
            let field = String(key.dropFirst("$deleteFromPrimitiveList/".count))
            let removed = value.arrayValue ?? []
            if let existing = result[field]?.arrayValue {
                result[field] = .array(existing.filter { !removed.contains($0) })
            }
        }
        for (key, value) in patchMembers where !key.hasPrefix("$") {
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            switch value {
            case .null:
                result.removeValue(forKey: key)
            case .object:
                result[key] = try mergeObject(result[key], value, path: childPath)
            case .array(let elements):
                result[key] = try mergeList(result[key], elements, path: childPath)
            default:
                result[key] = value
            }
        }
        return .object(result)
    }

    func mergeList(_ original: JSONValue?, _ elements: [JSONValue], path: String) throws(APIError) -> JSONValue {
        if elements.contains(where: { $0["$patch"]?.stringValue == "replace" }) {
            return .array(elements.filter { $0["$patch"] == nil }.map(Self.stripDirectives))
        }
        switch strategy(at: path) {
        case nil:
            return .array(elements.map(Self.stripDirectives))
        case .mergePrimitives:
            var list = original?.arrayValue ?? []
            for element in elements where !list.contains(element) { list.append(element) }
            return .array(list)
        case .mergeByKey(let key):
            var list = original?.arrayValue ?? []
            for element in elements {
                guard let keyValue = element[key] else {
                    if element["$patch"] == nil { list.append(Self.stripDirectives(element)) }
                    continue
                }
                if element["$patch"]?.stringValue == "delete" {
                    list.removeAll { $0[key] == keyValue }
                    continue
                }
                if let index = list.firstIndex(where: { $0[key] == keyValue }) {
                    if let merged = try mergeObject(list[index], element, path: path) {
                        list[index] = merged
                    } else {
                        list.remove(at: index)
                    }
                } else if let added = try mergeObject(nil, element, path: path) {
                    list.append(added)
                }
            }
            return .array(list)
        }
    }

    /// Removes `$`-directives from a value inserted as a whole.
    static func stripDirectives(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var result: [String: JSONValue] = [:]
            for (key, member) in members where !key.hasPrefix("$") { result[key] = stripDirectives(member) }
            return .object(result)
        case .array(let elements):
            return .array(elements.map(stripDirectives))
        default:
            return value
        }
    }
}

/// JSON patch (RFC 6902). Malformed patches answer 400; operations that cannot be applied
/// (missing path, failed `test`) answer 422 `Invalid` with the generic message, as the real server does.
enum JSONPatch {
    static func apply(_ patch: JSONValue, to document: JSONValue) throws(APIError) -> JSONValue {
        guard let operations = patch.arrayValue else {
            throw APIError.badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
        }
        var result = document
        for operation in operations {
            guard let op = operation["op"]?.stringValue else { throw APIError.badRequest("Unexpected kind: missing op") }
            guard let pathText = operation["path"]?.stringValue else {
                throw APIError.badRequest("operation missing path")
            }
            let path = try pointer(pathText)
            switch op {
            case "add":
                guard let value = operation["value"] else { throw APIError.jsonPatchFailed }
                try add(&result, path[...], value)
            case "remove":
                try remove(&result, path[...])
            case "replace":
                guard let value = operation["value"] else { throw APIError.jsonPatchFailed }
                guard get(result, path[...]) != nil else { throw APIError.jsonPatchFailed }
                if path.isEmpty {
                    result = value
                } else {
                    try remove(&result, path[...])
                    try add(&result, path[...], value)
                }
            case "move", "copy":
                guard let fromText = operation["from"]?.stringValue else { throw APIError.jsonPatchFailed }
                let from = try pointer(fromText)
                guard let value = get(result, from[...]) else { throw APIError.jsonPatchFailed }
                if op == "move" { try remove(&result, from[...]) }
                try add(&result, path[...], value)
            case "test":
                guard let current = get(result, path[...]), current == (operation["value"] ?? .null) else {
                    throw APIError.jsonPatchFailed
                }
            default:
                throw APIError.badRequest("Unexpected kind: \(op)")
            }
        }
        return result
    }

    /// The reference tokens of a JSON pointer (`~1` is `/`, `~0` is `~`).
    static func pointer(_ text: String) throws(APIError) -> [String] {
        if text.isEmpty { return [] }
        guard text.hasPrefix("/") else { throw APIError.jsonPatchFailed }
        return text.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    static func get(_ value: JSONValue, _ path: ArraySlice<String>) -> JSONValue? {
        guard let token = path.first else { return value }
        switch value {
        case .object(let members):
            guard let child = members[token] else { return nil }
            return get(child, path.dropFirst())
        case .array(let elements):
            guard let index = Int(token), elements.indices.contains(index) else { return nil }
            return get(elements[index], path.dropFirst())
        default:
            return nil
        }
    }

    static func add(_ value: inout JSONValue, _ path: ArraySlice<String>, _ newValue: JSONValue) throws(APIError) {
        guard let token = path.first else {
            value = newValue
            return
        }
        let rest = path.dropFirst()
        switch value {
        case .object(var members):
            value = .null
            defer { value = .object(members) }
            if rest.isEmpty {
                members[token] = newValue
                return
            }
            guard var child = members.removeValue(forKey: token) else { throw APIError.jsonPatchFailed }
            defer { members[token] = child }
            try add(&child, rest, newValue)
        case .array(var elements):
            value = .null
            defer { value = .array(elements) }
            if rest.isEmpty {
                if token == "-" {
                    elements.append(newValue)
                    return
                }
                guard let index = Int(token), index >= 0, index <= elements.count else { throw APIError.jsonPatchFailed }
                elements.insert(newValue, at: index)
                return
            }
            guard let index = Int(token), elements.indices.contains(index) else { throw APIError.jsonPatchFailed }
            try add(&elements[index], rest, newValue)
        default:
            throw APIError.jsonPatchFailed
        }
    }

    static func remove(_ value: inout JSONValue, _ path: ArraySlice<String>) throws(APIError) {
        guard let token = path.first else { throw APIError.jsonPatchFailed }
        let rest = path.dropFirst()
        switch value {
        case .object(var members):
            value = .null
            defer { value = .object(members) }
            if rest.isEmpty {
                guard members.removeValue(forKey: token) != nil else { throw APIError.jsonPatchFailed }
                return
            }
            guard var child = members.removeValue(forKey: token) else { throw APIError.jsonPatchFailed }
            defer { members[token] = child }
            try remove(&child, rest)
        case .array(var elements):
            value = .null
            defer { value = .array(elements) }
            guard let index = Int(token), elements.indices.contains(index) else { throw APIError.jsonPatchFailed }
            if rest.isEmpty {
                elements.remove(at: index)
                return
            }
            try remove(&elements[index], rest)
        default:
            throw APIError.jsonPatchFailed
        }
    }
}
