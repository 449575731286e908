import CurlHTTP
import Foundation

/// Everything needed to talk to one API server: its URL, TLS trust, credentials, the default
/// namespace, and client-side limits. Built by `KubeConfigLoader` from a kubeconfig file or the
/// in-cluster service account, or directly (tests).
public struct KubeConfiguration: Sendable {
    /// How requests authenticate.
    public enum Credentials: Sendable, Hashable {
        case none
        case token(String)
        /// A token file re-read when it changes (service-account tokens rotate).
        case tokenFile(String)
        case basic(username: String, password: String)
    }

    /// `https://host:port` (or `http://` for the test server), without a trailing slash.
    public var server: String
    public var tls: TLSOptions
    public var credentials: Credentials
    /// The namespace of the current context (or of the service account).
    public var namespace: String
    /// Where this configuration came from, for messages (a file path or "in-cluster").
    public var source: String
    /// Client-side rate limit: sustained requests per second (≤ 0 disables) and burst.
    public var queriesPerSecond: Double
    public var burst: Int
    /// Deadline of one non-watch request.
    public var requestTimeout: Duration
    /// Largest response body read into memory.
    public var maxResponseBytes: Int

    public init(
        server: String, tls: TLSOptions = TLSOptions(), credentials: Credentials = .none, namespace: String = "default",
        source: String = "explicit", queriesPerSecond: Double = 100, burst: Int = 200,
        requestTimeout: Duration = .seconds(30), maxResponseBytes: Int = 256 << 20
    ) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.tls = tls
        self.credentials = credentials
        self.namespace = namespace
        self.source = source
        self.queriesPerSecond = queriesPerSecond
        self.burst = burst
        self.requestTimeout = requestTimeout
        self.maxResponseBytes = maxResponseBytes
    }
}

/// A configuration that could not be loaded; the message names the file and the field to fix.
public struct KubeConfigError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
