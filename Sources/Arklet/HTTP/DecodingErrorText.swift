import Foundation

/// A one-line, human-readable text for a JSON decoding failure, for `400` answers and logs
/// (Foundation's own descriptions dump whole context structures).
enum DecodingErrorText {
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .dataCorrupted(let context):
            return text(context.debugDescription, context, underlying: context.underlyingError)
        case .keyNotFound(let key, let context):
            return text("missing field \"\(key.stringValue)\"", context, underlying: nil)
        case .typeMismatch(let type, let context):
            return text("expected \(type): \(context.debugDescription)", context, underlying: nil)
        case .valueNotFound(let type, let context):
            return text("expected \(type), found null", context, underlying: nil)
        @unknown default:
            return "\(error)"
        }
    }

    private static func text(_ summary: String, _ context: DecodingError.Context, underlying: (any Error)?) -> String {
        var parts = [summary]
        if !context.codingPath.isEmpty {
            parts.append("at " + context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: "."))
        }
        if let underlying { parts.append("(\(underlying.localizedDescription))") }
        return parts.joined(separator: " ")
    }
}
