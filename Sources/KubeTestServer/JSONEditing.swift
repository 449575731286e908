import KubeClient

/// In-place editing helpers for `JSONValue` documents that keep nested storage uniquely referenced
/// (a member is taken out of its parent before it is changed, so no copy-on-write copies are made).
extension JSONValue {
    /// Changes the member `key` of this object in place; a missing member starts as `initial`.
    /// Does nothing when this value is not an object. The member is removed when `body` leaves it `nil`.
    mutating func edit<Result>(_ key: String, initial: JSONValue? = .object([:]),
        _ body: (inout JSONValue?) throws -> Result) rethrows -> Result?
    {
        guard case .object(var members) = self else { return nil }
        self = .null
        var child = members.removeValue(forKey: key) ?? initial
        defer {
            members[key] = child
            self = .object(members)
        }
        return try body(&child)
    }

    /// Changes the member `key` of this object in place when it is present and an object.
    mutating func editObject(_ key: String, _ body: (inout JSONValue) throws -> Void) rethrows {
        guard self[key]?.objectValue != nil else { return }
        try edit(key, initial: nil) { child in
            guard var value = child else { return }
            child = nil
            try body(&value)
            child = value
        }
    }

    /// Changes every element of the array member `key` in place (when present and an array).
    mutating func editElements(_ key: String, _ body: (inout JSONValue, Int) throws -> Void) rethrows {
        guard self[key]?.arrayValue != nil else { return }
        try edit(key, initial: nil) { child in
            guard case .array(var elements)? = child else { return }
            child = nil
            for index in elements.indices {
                try body(&elements[index], index)
            }
            child = .array(elements)
        }
    }

    /// Sets `key` to `value` when the member is missing (or `null`).
    mutating func setDefault(_ key: String, _ value: JSONValue) {
        guard case .object(var members) = self else { return }
        if let existing = members[key], !existing.isNull { return }
        self = .null
        members[key] = value
        self = .object(members)
    }

    /// Sets `key` to `value` when the member is missing (a present `null` is kept).
    mutating func setIfAbsent(_ key: String, _ value: JSONValue) {
        guard case .object(var members) = self else { return }
        if members[key] != nil { return }
        self = .null
        members[key] = value
        self = .object(members)
    }

    /// The string map at `key` (labels, annotations); non-string values are skipped.
    func stringMap(_ key: String) -> [String: String]? {
        guard let members = self[key]?.objectValue else { return nil }
        var result: [String: String] = [:]
        for (name, value) in members {
            if let text = value.stringValue { result[name] = text }
        }
        return result
    }

    /// `metadata.<key>` as a string.
    func metadataString(_ key: String) -> String? { self["metadata"]?[key]?.stringValue }

    /// Whether this value is an array or object with no members (or `null`).
    var isEmptyContainer: Bool {
        switch self {
        case .null: return true
        case .array(let elements): return elements.isEmpty
        case .object(let members): return members.isEmpty
        default: return false
        }
    }

    /// A JSON text for messages (compact, sorted keys).
    var compactText: String { String(decoding: JSONCodec.serialize(self), as: UTF8.self) }
}
