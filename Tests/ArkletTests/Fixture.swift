import Arklet
import Foundation
import Testing

/// Reads the golden arklet payloads in `Tests/Fixtures/arklet/` (located relative to this file,
/// so no bundle resources are needed).
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/arklet")

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent("\(name).json")))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try WireCoding.decode(type, from: bytes(name))
    }
}

/// Encodes `value`, decodes it again and expects equality; returns the encoded bytes.
@discardableResult
func expectRoundTrip<T: Codable & Equatable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
    let encoded = try WireCoding.encode(value)
    let decoded = try WireCoding.decode(T.self, from: encoded)
    #expect(decoded == value, sourceLocation: sourceLocation)
    return encoded
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
