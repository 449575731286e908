/// A JSON encoder that writes object keys in the order `encode(to:)` encodes them and never
/// escapes `/`.
///
/// Foundation's `JSONEncoder` on Linux orders keys by hash (it changes from run to run), and
/// upstream writes fields in declaration order (`{"bizName","bizVersion","bizUrl"}`), so every
/// payload we produce goes through this encoder to be deterministic and byte-for-byte
/// comparable with upstream.
struct OrderedJSONEncoder {
    func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let root = Node()
        try value.encode(to: NodeEncoder(node: root, codingPath: []))
        var output = ""
        try root.write(to: &output)
        return Array(output.utf8)
    }
}

/// One value of the tree being built; a class so nested containers can fill it later.
private final class Node {
    enum Value {
        case unset
        case literal(String)
        case array([Node])
        case object([(String, Node)])
    }

    var value: Value = .unset

    func write(to output: inout String) throws {
        switch value {
        case .unset:
            output += "null"
        case .literal(let text):
            output += text
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                try element.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, (key, member)) in members.enumerated() {
                if index > 0 { output += "," }
                output += Node.quoted(key)
                output += ":"
                try member.write(to: &output)
            }
            output += "}"
        }
    }

    /// The member named `key`, created (or replaced in place) when encoded twice.
    func member(_ key: String) -> Node {
        guard case .object(var members) = value else {
            let node = Node()
            value = .object([(key, node)])
            return node
        }
        if let existing = members.first(where: { $0.0 == key }) { return existing.1 }
        let node = Node()
        members.append((key, node))
        value = .object(members)
        return node
    }

    func appendElement() -> Node {
        let node = Node()
        if case .array(var elements) = value {
            elements.append(node)
            value = .array(elements)
        } else {
            value = .array([node])
        }
        return node
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    static func number(_ value: Double, codingPath: [any CodingKey]) throws -> String {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "JSON has no \(value)"))
        }
        if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

private struct NodeEncoder: Encoder {
    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.value {} else { node.value = .object([]) }
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.value {} else { node.value = .array([]) }
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath)
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

/// Writes scalars into a node; shared by the three container kinds.
private protocol ScalarWriting {
    var codingPath: [any CodingKey] { get }
}

extension ScalarWriting {
    func literal(_ value: some Encodable, into node: Node, path: [any CodingKey]) throws {
        switch value {
        case let value as String: node.value = .literal(Node.quoted(value))
        case let value as Bool: node.value = .literal(value ? "true" : "false")
        case let value as Double: node.value = .literal(try Node.number(value, codingPath: path))
        case let value as Float: node.value = .literal(try Node.number(Double(value), codingPath: path))
        case let value as any BinaryInteger: node.value = .literal(String(describing: value))
        default: try value.encode(to: NodeEncoder(node: node, codingPath: path))
        }
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol, ScalarWriting {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.member(key.stringValue).value = .literal("null") }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try literal(value, into: node.member(key.stringValue), path: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        NodeEncoder(node: node.member("super"), codingPath: codingPath + [AnyKey(stringValue: "super")])
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer, ScalarWriting {
    let node: Node
    let codingPath: [any CodingKey]

    var count: Int {
        if case .array(let elements) = node.value { return elements.count }
        return 0
    }

    private var nextPath: [any CodingKey] { codingPath + [AnyKey(intValue: count)] }

    mutating func encodeNil() throws { node.appendElement().value = .literal("null") }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        try literal(value, into: node.appendElement(), path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = nextPath
        return NodeEncoder(node: node.appendElement(), codingPath: path).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        return NodeEncoder(node: node.appendElement(), codingPath: path).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        return NodeEncoder(node: node.appendElement(), codingPath: path)
    }
}

private struct SingleNodeContainer: SingleValueEncodingContainer, ScalarWriting {
    let node: Node
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.value = .literal("null") }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try literal(value, into: node, path: codingPath)
    }
}
