import Foundation

/// One HTTP request for `CurlHTTPClient`: method, absolute URL, headers, body and limits.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: Data?
    /// Whole-transfer deadline; `nil` for none (watches end by their own `timeoutSeconds`).
    public var timeout: Duration?
    public var connectTimeout: Duration
    public var tls: TLSOptions
    /// Largest buffered response body accepted; a larger one fails with `responseTooLarge`.
    public var maxResponseBytes: Int

    public init(
        method: String, url: String, headers: [(name: String, value: String)] = [], body: Data? = nil,
        timeout: Duration? = .seconds(30), connectTimeout: Duration = .seconds(10), tls: TLSOptions = TLSOptions(),
        maxResponseBytes: Int = 64 << 20
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.tls = tls
        self.maxResponseBytes = maxResponseBytes
    }
}

/// TLS settings of a request: which CA to trust, an optional client certificate, and whether the
/// server's certificate is verified at all.
public struct TLSOptions: Sendable, Hashable {
    public var caFile: String?
    public var caData: Data?
    public var clientCertificateFile: String?
    public var clientCertificateData: Data?
    public var clientKeyFile: String?
    public var clientKeyData: Data?
    public var insecureSkipVerify: Bool

    public init(
        caFile: String? = nil, caData: Data? = nil, clientCertificateFile: String? = nil,
        clientCertificateData: Data? = nil, clientKeyFile: String? = nil, clientKeyData: Data? = nil,
        insecureSkipVerify: Bool = false
    ) {
        self.caFile = caFile
        self.caData = caData
        self.clientCertificateFile = clientCertificateFile
        self.clientCertificateData = clientCertificateData
        self.clientKeyFile = clientKeyFile
        self.clientKeyData = clientKeyData
        self.insecureSkipVerify = insecureSkipVerify
    }
}

/// A complete (buffered) HTTP response. Header names are lower-cased.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A response whose body arrives as it is received (watch streams). Header names are lower-cased.
/// Dropping the body sequence (or cancelling the task iterating it) cancels the transfer.
public struct HTTPStreamingResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: AsyncThrowingStream<Data, any Error>
}

/// Why a transfer failed before a complete HTTP response was received.
public enum HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// libcurl reported an error (connection refused, TLS failure, timeout, …).
    case transport(code: Int, message: String, url: String)
    /// The response body was larger than the request's `maxResponseBytes`.
    case responseTooLarge(limit: Int, url: String)
    /// The request could not be set up (bad URL, bad TLS material).
    case invalidRequest(String)
    /// The client was shut down.
    case shutdown

    public var description: String {
        switch self {
        case .transport(let code, let message, let url): return "HTTP transfer to \(url) failed: \(message) (curl code \(code))"
        case .responseTooLarge(let limit, let url): return "response from \(url) exceeds the limit of \(limit) bytes"
        case .invalidRequest(let message): return "invalid HTTP request: \(message)"
        case .shutdown: return "HTTP client is shut down"
        }
    }

    /// Whether the failure was a timeout (connect or whole transfer).
    public var isTimeout: Bool {
        if case .transport(let code, _, _) = self { return code == 28 }
        return false
    }
}
