import Foundation
import Synchronization

/// Supplies the bearer token of each request. A token file (bound service-account tokens rotate)
/// is re-read at most once a minute, like client-go does.
final class TokenSource: Sendable {
    private struct Cached {
        var token: String?
        var readAt: ContinuousClock.Instant?
    }

    private let credentials: KubeConfiguration.Credentials
    private let cache = Mutex(Cached())

    init(_ credentials: KubeConfiguration.Credentials) {
        self.credentials = credentials
    }

    /// The `Authorization` header value, if any.
    func authorization() throws -> String? {
        switch credentials {
        case .none: return nil
        case .token(let token): return "Bearer \(token)"
        case .basic(let username, let password):
            return "Basic \(Data("\(username):\(password)".utf8).base64EncodedString())"
        case .tokenFile(let path):
            return try cache.withLock { cached in
                let now = ContinuousClock.now
                if let token = cached.token, let readAt = cached.readAt, now - readAt < .seconds(60) {
                    return "Bearer \(token)"
                }
                do {
                    let token = try String(contentsOfFile: path, encoding: .utf8)
                        .trimmingCharacters(in: .whitespacesAndNewlines)
                    cached = Cached(token: token, readAt: now)
                    return "Bearer \(token)"
                } catch {
                    if let token = cached.token { return "Bearer \(token)" }
                    throw KubeConfigError("token file \(path) cannot be read: \(error.localizedDescription)")
                }
            }
        }
    }
}
