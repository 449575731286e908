/// The state of an Ark biz as SOFAArk reports it.
///
/// Bases spell states either as Java enum names (`ACTIVATED`) or as display strings
/// (`activated`); decoding ignores case. Anything unrecognised (old mocks send `"3"`) decodes to
/// ``unknown(_:)`` carrying the original text, and never fails.
public enum ArkState: Sendable, Hashable, Codable, CustomStringConvertible {
    case activated
    case resolved
    case deactivated
    case broken
    case stopped
    case unresolved
    case unknown(String)

    /// Parses a state name, ignoring case.
    public init(parsing text: String) {
        switch text.uppercased() {
        case "ACTIVATED": self = .activated
        case "RESOLVED": self = .resolved
        case "DEACTIVATED": self = .deactivated
        case "BROKEN": self = .broken
        case "STOPPED": self = .stopped
        case "UNRESOLVED": self = .unresolved
        default: self = .unknown(text)
        }
    }

    /// The Java enum name (`ACTIVATED`), as T11/T12 and state records carry it.
    public var javaName: String {
        switch self {
        case .activated: "ACTIVATED"
        case .resolved: "RESOLVED"
        case .deactivated: "DEACTIVATED"
        case .broken: "BROKEN"
        case .stopped: "STOPPED"
        case .unresolved: "UNRESOLVED"
        case .unknown(let text): text
        }
    }

    /// The display string (`activated`), as T9 `state` and the HTTP tunnel carry it.
    public var displayName: String {
        if case .unknown(let text) = self { return text }
        return javaName.lowercased()
    }

    public var description: String { javaName }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .unknown("")
        } else if let text = try? container.decode(String.self) {
            self.init(parsing: text)
        } else if let number = try? container.decode(Int64.self) {
            self = .unknown(String(number))
        } else {
            self = .unknown("")
        }
    }

    /// Encodes the Java enum name; types that carry the display form encode it themselves.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(javaName)
    }
}
