import CurlHTTP
import Foundation

/// The ``ArkletHTTPTransport`` the controller uses: `POST` with a JSON body over libcurl
/// (``CurlHTTPClient`` drives libcurl on its own thread, so nothing blocks the cooperative pool).
///
/// Each request has a connect timeout (``connectTimeout``, capped by the request's budget) and a
/// whole-transfer timeout (the request's budget). A timeout throws
/// ``ArkletHTTPTransportTimeout``; any other transport failure throws
/// ``TunnelError/transport(_:)``; task cancellation aborts the transfer and throws
/// `CancellationError`. Connections are pooled by the client across requests.
public struct CurlArkletTransport: ArkletHTTPTransport {
    /// The arklet command server's request limit is 1 MiB; answers are small, but a biz list of a
    /// big base may not be. Anything larger than this is refused.
    public static let defaultMaxResponseBytes = 16 << 20

    private let client: CurlHTTPClient
    /// How long establishing the TCP connection may take.
    public let connectTimeout: Duration
    /// Largest answer accepted.
    public let maxResponseBytes: Int

    /// - Parameters:
    ///   - client: the libcurl client to send through (shared, so connections are reused).
    ///   - connectTimeout: connect budget (the arklet's own HTTP client uses 30 s; a base on the
    ///     cluster network either accepts quickly or is gone).
    public init(client: CurlHTTPClient, connectTimeout: Duration = .seconds(5),
                maxResponseBytes: Int = CurlArkletTransport.defaultMaxResponseBytes) {
        self.client = client
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
    }

    public func post(url: String, body: [UInt8], timeout: Duration) async throws -> HTTPReply {
        let request = HTTPRequest(
            method: "POST", url: url, headers: [(name: "Content-Type", value: "application/json")],
            body: Data(body), timeout: timeout, connectTimeout: min(connectTimeout, timeout),
            maxResponseBytes: maxResponseBytes)
        let response: HTTPResponse
        do {
            response = try await client.execute(request)
        } catch let error as HTTPClientError {
            if error.isTimeout { throw ArkletHTTPTransportTimeout(url: url, detail: error.description) }
            throw TunnelError.transport(error.description)
        }
        return HTTPReply(status: response.status, body: Array(response.body))
    }
}
