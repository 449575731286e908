import Foundation

/// The JSON coding every arklet payload goes through. Encoding writes keys in declaration order
/// with slashes unescaped and no whitespace, so outgoing bytes are deterministic and match what
/// upstream sends; decoding is Foundation's.
public enum WireCoding {
    /// A fresh decoder configured for arklet payloads.
    public static func decoder() -> JSONDecoder {
        JSONDecoder()
    }

    /// Encodes `value` to bytes.
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        try OrderedJSONEncoder().encode(value)
    }

    /// Decodes `T` from bytes.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        try decoder().decode(type, from: Data(bytes))
    }

    /// The literal body of the `health` and `queryAllBiz` commands.
    public static let emptyObject: [UInt8] = Array("{}".utf8)
}
