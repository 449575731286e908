import Arklet
import Foundation
import Synchronization

/// An ``ArkletHTTPTransport`` that delivers requests to ``SimulatedArklet``s in memory, so HTTP
/// tunnel logic can be tested without sockets. A base can be made unreachable (answers `502`, like
/// the upstream mock) or slow. Unknown addresses fail like a refused connection.
public final class InMemoryArkletTransport: ArkletHTTPTransport {
    /// A refused connection.
    public struct ConnectionRefused: Error, CustomStringConvertible {
        public let url: String
        public var description: String { "connection refused: \(url)" }
    }

    private struct Route {
        var arklet: SimulatedArklet
        var reachable = true
        var delay: Duration = .zero
    }

    private let routes = Mutex<[ArkletAddress: Route]>([:])

    public init() {}

    /// Serves `arklet` at `address`.
    public func register(_ arklet: SimulatedArklet, at address: ArkletAddress) {
        routes.withLock { $0[address] = Route(arklet: arklet) }
    }

    /// Makes the base at `address` answer `502` (or answer again).
    public func setReachable(_ reachable: Bool, at address: ArkletAddress) {
        routes.withLock { $0[address]?.reachable = reachable }
    }

    /// Delays every answer of the base at `address`.
    public func setDelay(_ delay: Duration, at address: ArkletAddress) {
        routes.withLock { $0[address]?.delay = delay }
    }

    public func post(url: String, body: [UInt8], timeout: Duration) async throws -> HTTPReply {
        guard let parsed = URL(string: url), let host = parsed.host, let port = parsed.port,
              let route = routes.withLock({ $0[ArkletAddress(host: host, port: port)] }) else {
            throw ConnectionRefused(url: url)
        }
        if route.delay > .zero { try await Task.sleep(for: route.delay) }
        guard route.reachable else { return HTTPReply(status: 502, body: []) }
        let command = ArkletCommand(rawValue: String(parsed.path.drop { $0 == "/" }))
        guard let response = await route.arklet.handle(command, body: body) else {
            throw ConnectionRefused(url: url) // the base crashed mid-request
        }
        var answer = response
        answer.baseIdentity = route.arklet.configuration.identity.rawValue
        return HTTPReply(status: 200, body: try WireCoding.encode(answer))
    }
}
