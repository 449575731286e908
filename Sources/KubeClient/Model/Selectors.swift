import Foundation

/// A parsed label selector (`app=biz1,tier!=web,env in (dev,test),!legacy`), as the API server
/// accepts in `labelSelector`, with matching against a label map.
public struct LabelSelector: Sendable, Hashable, CustomStringConvertible {
    /// One requirement of a selector.
    public enum Requirement: Sendable, Hashable {
        case equals(String, String)
        case notEquals(String, String)
        case `in`(String, [String])
        case notIn(String, [String])
        case exists(String)
        case doesNotExist(String)
    }

    public var requirements: [Requirement]

    public init(_ requirements: [Requirement] = []) { self.requirements = requirements }

    /// A selector requiring every pair of `labels`.
    public init(matching labels: [String: String]) {
        requirements = labels.sorted(by: { $0.key < $1.key }).map { .equals($0.key, $0.value) }
    }

    /// Parses the API's string form; throws `SelectorError` that names the bad part.
    public init(parsing text: String) throws {
        var parser = SelectorParser(text)
        requirements = try parser.parseLabelRequirements()
    }

    /// Whether a label map satisfies every requirement (an empty selector matches everything).
    public func matches(_ labels: [String: String]?) -> Bool {
        let labels = labels ?? [:]
        for requirement in requirements {
            switch requirement {
            case .equals(let key, let value): if labels[key] != value { return false }
            case .notEquals(let key, let value): if labels[key] == value { return false }
            case .in(let key, let values):
                guard let value = labels[key], values.contains(value) else { return false }
            case .notIn(let key, let values):
                if let value = labels[key], values.contains(value) { return false }
            case .exists(let key): if labels[key] == nil { return false }
            case .doesNotExist(let key): if labels[key] != nil { return false }
            }
        }
        return true
    }

    public var isEmpty: Bool { requirements.isEmpty }

    public var description: String {
        requirements.map { requirement in
            switch requirement {
            case .equals(let key, let value): return "\(key)=\(value)"
            case .notEquals(let key, let value): return "\(key)!=\(value)"
            case .in(let key, let values): return "\(key) in (\(values.joined(separator: ",")))"
            case .notIn(let key, let values): return "\(key) notin (\(values.joined(separator: ",")))"
            case .exists(let key): return key
            case .doesNotExist(let key): return "!\(key)"
            }
        }.joined(separator: ",")
    }
}

/// A parsed field selector (`spec.nodeName=vnode.a.dev,metadata.name!=x`).
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    /// One requirement: a field path, whether it must equal or differ, and the value.
    public struct Requirement: Sendable, Hashable {
        public var field: String
        public var equals: Bool
        public var value: String

        public init(field: String, equals: Bool, value: String) {
            self.field = field
            self.equals = equals
            self.value = value
        }
    }

    public var requirements: [Requirement]

    public init(_ requirements: [Requirement] = []) { self.requirements = requirements }

    /// `field=value`.
    public static func equals(_ field: String, _ value: String) -> FieldSelector {
        FieldSelector([Requirement(field: field, equals: true, value: value)])
    }

    /// Parses the API's string form; throws `SelectorError` that names the bad part.
    public init(parsing text: String) throws {
        var result: [Requirement] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let term = String(part)
            if let range = term.range(of: "!=") {
                result.append(Requirement(field: String(term[..<range.lowerBound]), equals: false,
                    value: String(term[range.upperBound...])))
            } else if let range = term.range(of: "==") {
                result.append(Requirement(field: String(term[..<range.lowerBound]), equals: true,
                    value: String(term[range.upperBound...])))
            } else if let range = term.range(of: "=") {
                result.append(Requirement(field: String(term[..<range.lowerBound]), equals: true,
                    value: String(term[range.upperBound...])))
            } else {
                throw SelectorError(message: "invalid field selector term \"\(term)\": expected field=value or field!=value")
            }
        }
        requirements = result
    }

    /// Whether the values a field resolver gives satisfy every requirement (a missing field is "").
    public func matches(_ fieldValue: (String) -> String?) -> Bool {
        requirements.allSatisfy { requirement in
            (fieldValue(requirement.field) ?? "" == requirement.value) == requirement.equals
        }
    }

    public var isEmpty: Bool { requirements.isEmpty }

    public var description: String {
        requirements.map { "\($0.field)\($0.equals ? "=" : "!=")\($0.value)" }.joined(separator: ",")
    }
}

/// A selector that could not be parsed; the message says which part is wrong.
public struct SelectorError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// A small hand parser for the label selector grammar of `k8s.io/apimachinery/pkg/labels`.
struct SelectorParser {
    private let characters: [Character]
    private var index = 0
    private let text: String

    init(_ text: String) {
        self.text = text
        characters = Array(text)
    }

    mutating func parseLabelRequirements() throws -> [LabelSelector.Requirement] {
        var result: [LabelSelector.Requirement] = []
        skipSpaces()
        if index >= characters.count { return [] }
        while true {
            result.append(try parseRequirement())
            skipSpaces()
            if index >= characters.count { return result }
            guard characters[index] == "," else { throw error("expected ',' at offset \(index)") }
            index += 1
        }
    }

    private mutating func parseRequirement() throws -> LabelSelector.Requirement {
        skipSpaces()
        if peek() == "!" {
            index += 1
            skipSpaces()
            return .doesNotExist(try key())
        }
        let name = try key()
        skipSpaces()
        if index >= characters.count || peek() == "," { return .exists(name) }
        if match("==") || match("=") { return .equals(name, try value()) }
        if match("!=") { return .notEquals(name, try value()) }
        if matchWord("notin") { return .notIn(name, try valueSet()) }
        if matchWord("in") { return .in(name, try valueSet()) }
        throw error("unexpected text after key \"\(name)\"")
    }

    private mutating func key() throws -> String {
        let start = index
        while index < characters.count, isNameCharacter(characters[index]) { index += 1 }
        guard index > start else { throw error("expected a label key at offset \(start)") }
        return String(characters[start..<index])
    }

    private mutating func value() throws -> String {
        skipSpaces()
        let start = index
        while index < characters.count, isNameCharacter(characters[index]) { index += 1 }
        return String(characters[start..<index])
    }

    private mutating func valueSet() throws -> [String] {
        skipSpaces()
        guard match("(") else { throw error("expected '(' at offset \(index)") }
        var values: [String] = []
        while true {
            skipSpaces()
            values.append(try value())
            skipSpaces()
            if match(")") { return values }
            guard match(",") else { throw error("expected ',' or ')' at offset \(index)") }
        }
    }

    private func isNameCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || "-_./".contains(character)
    }

    private func peek() -> Character? { index < characters.count ? characters[index] : nil }

    private mutating func skipSpaces() {
        while index < characters.count, characters[index] == " " { index += 1 }
    }

    private mutating func match(_ token: String) -> Bool {
        let tokenCharacters = Array(token)
        guard index + tokenCharacters.count <= characters.count,
            Array(characters[index..<index + tokenCharacters.count]) == tokenCharacters
        else { return false }
        index += tokenCharacters.count
        return true
    }

    private mutating func matchWord(_ word: String) -> Bool {
        let saved = index
        guard match(word) else { return false }
        if let next = peek(), isNameCharacter(next) {
            index = saved
            return false
        }
        return true
    }

    private func error(_ detail: String) -> SelectorError {
        SelectorError(message: "invalid label selector \"\(text)\": \(detail)")
    }
}
