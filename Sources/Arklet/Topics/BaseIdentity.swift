/// The identity of one base (arklet default: its first non-loopback IPv4 address), validated to
/// be usable as one MQTT topic level: non-empty and free of `/`, `+`, `#` and NUL.
///
/// Whether it also makes a valid Kubernetes node name is the controller's concern, not the wire's.
public struct BaseIdentity: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: String

    /// Characters that would change the meaning of a topic.
    static let forbiddenCharacters: Set<Character> = ["/", "+", "#", "\u{0}"]

    /// Validates `rawValue`; `nil` when it cannot be one topic level.
    public init?(_ rawValue: String) {
        guard Self.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// Validates `rawValue`, throwing ``InvalidBaseIdentity`` when it cannot be one topic level.
    public init(validating rawValue: String) throws(InvalidBaseIdentity) {
        guard Self.isValid(rawValue) else { throw InvalidBaseIdentity(rawValue: rawValue) }
        self.rawValue = rawValue
    }

    /// Whether `text` is a usable identity.
    public static func isValid(_ text: String) -> Bool {
        !text.isEmpty && !text.contains(where: forbiddenCharacters.contains)
    }

    public var description: String { rawValue }

    public static func < (lhs: BaseIdentity, rhs: BaseIdentity) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard Self.isValid(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid base identity \(text.debugDescription)"))
        }
        rawValue = text
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A base identity that is empty or contains `/`, `+`, `#` or NUL.
public struct InvalidBaseIdentity: Error, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public var description: String { "invalid base identity \(rawValue.debugDescription)" }
}
