/// The identity of a biz inside one base: `name:version`.
///
/// There is no request id on the arklet wire; results and statuses are correlated by this key.
public struct BizKey: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public var name: String
    public var version: String

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }

    /// Parses `name:version`, splitting at the last `:` (versions never contain one, names might
    /// in theory). Returns `nil` when there is no `:`.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        self.init(name: String(text[..<colon]), version: String(text[text.index(after: colon)...]))
    }

    public var description: String { "\(name):\(version)" }

    public static func < (lhs: BizKey, rhs: BizKey) -> Bool {
        (lhs.name, lhs.version) < (rhs.name, rhs.version)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let key = BizKey(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "biz key without ':'"))
        }
        self = key
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
