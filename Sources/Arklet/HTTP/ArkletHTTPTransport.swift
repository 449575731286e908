/// The HTTP client the arklet HTTP calls need: one `POST` with a JSON body, bounded in time.
///
/// The seam for the libcurl client: the controller implements it over libcurl, tests over a
/// ``SimulatedArklet`` in memory. Implementations throw on transport failures and must honour
/// `timeout` and task cancellation: a request that runs out of time throws
/// ``ArkletHTTPTransportTimeout``, which ``ArkletHTTPClient`` reports as
/// ``TunnelError/timeout(command:identity:)``.
public protocol ArkletHTTPTransport: Sendable {
    /// POSTs `body` to `url` and returns the reply, whatever its status.
    func post(url: String, body: [UInt8], timeout: Duration) async throws -> HTTPReply
}

/// Thrown by an ``ArkletHTTPTransport`` when the connection or the answer did not come within the
/// request's time budget.
public struct ArkletHTTPTransportTimeout: Error, Sendable, Hashable, CustomStringConvertible {
    /// The URL that did not answer in time.
    public var url: String
    /// What ran out of time (e.g. the transport's own message).
    public var detail: String

    public init(url: String, detail: String) {
        self.url = url
        self.detail = detail
    }

    public var description: String { "POST \(url) timed out: \(detail)" }
}

/// An HTTP reply: status code and body bytes.
public struct HTTPReply: Sendable, Hashable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// Where a base's arklet command server listens (from its last HTTP heartbeat: `localIP`, `port`).
public struct ArkletAddress: Sendable, Hashable, CustomStringConvertible {
    /// The arklet's default port when a base does not say (reference §2.3).
    public static let defaultPort = 1238

    public var host: String
    public var port: Int

    public init(host: String, port: Int = ArkletAddress.defaultPort) {
        self.host = host
        self.port = port
    }

    /// `http://<host>:<port>/<command>` (IPv6 literals bracketed).
    public func url(for command: ArkletCommand) -> String {
        let literal = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "http://\(literal):\(port)/\(command.rawValue)"
    }

    public var description: String { "\(host):\(port)" }
}
