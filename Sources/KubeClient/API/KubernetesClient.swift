import CurlHTTP
import Foundation
import Logging
import Metrics

/// A Kubernetes REST client: typed get/list/create/update/patch/delete, the status subresource, and
/// watch streams. All requests share one libcurl connection pool on a dedicated thread, pass a
/// client-side rate limit, and are retried with back-off on 429 and (for reads) on 5xx and transport
/// failures. Error answers are thrown as `KubeAPIError` carrying the server's `Status`.
public final class KubernetesClient: Sendable {
    public let configuration: KubeConfiguration
    private let http: CurlHTTPClient
    private let limiter: RateLimiter
    private let tokens: TokenSource
    private let logger: Logger
    /// How often a request refused with 429/5xx (or failed in transport, for reads) is tried again.
    private let maxRetries = 4

    public init(configuration: KubeConfiguration, logger: Logger = Logger(label: "kube-client")) {
        self.configuration = configuration
        self.logger = logger
        http = CurlHTTPClient(logger: logger)
        limiter = RateLimiter(queriesPerSecond: configuration.queriesPerSecond, burst: configuration.burst)
        tokens = TokenSource(configuration.credentials)
    }

    private init(configuration: KubeConfiguration, http: CurlHTTPClient, tokens: TokenSource, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.http = http
        limiter = RateLimiter(queriesPerSecond: configuration.queriesPerSecond, burst: configuration.burst)
        self.tokens = tokens
    }

    /// A client for one kind of work with a rate limit of its own (e.g. Lease renewals, which must
    /// never wait behind a burst of status writes), sharing this client's connections and
    /// credentials. Shutting either down shuts down both.
    public func withRateLimit(queriesPerSecond: Double, burst: Int) -> KubernetesClient {
        var configuration = configuration
        configuration.queriesPerSecond = queriesPerSecond
        configuration.burst = burst
        return KubernetesClient(configuration: configuration, http: http, tokens: tokens, logger: logger)
    }

    /// Stops the transport; requests in flight fail.
    public func shutdown() {
        http.shutdown()
    }

    // MARK: typed operations

    public func get<R: KubeResource>(_ type: R.Type, namespace: String? = nil, name: String) async throws -> R {
        let path = R.descriptor.objectPath(namespace: try scope(R.self, namespace), name: name)
        return try await decode(R.self, try await send(method: "GET", path: path))
    }

    public func list<R: KubeResource>(
        _ type: R.Type, namespace: String? = nil, options: ListOptions = ListOptions()
    ) async throws -> KubeList<R> {
        let path = R.descriptor.collectionPath(namespace: R.descriptor.isNamespaced ? namespace : nil)
        return try await decode(KubeList<R>.self, try await send(method: "GET", path: path, query: options.queryItems))
    }

    /// Lists every page (following `continue`) and returns all items with the first page's version.
    public func listAll<R: KubeResource>(
        _ type: R.Type, namespace: String? = nil, options: ListOptions = ListOptions(), pageSize: Int = 500
    ) async throws -> KubeList<R> {
        var options = options
        options.limit = pageSize
        var page = try await list(R.self, namespace: namespace, options: options)
        var items = page.items
        let version = page.metadata.resourceVersion
        while let token = page.metadata.continue, !token.isEmpty {
            options.continueToken = token
            options.resourceVersion = nil
            options.resourceVersionMatch = nil
            page = try await list(R.self, namespace: namespace, options: options)
            items += page.items
        }
        return KubeList(metadata: ListMeta(resourceVersion: version), items: items)
    }

    public func create<R: KubeResource>(_ object: R, namespace: String? = nil) async throws -> R {
        let path = R.descriptor.collectionPath(namespace: try scope(R.self, namespace ?? object.metadata.namespace))
        return try await decode(R.self, try await send(method: "POST", path: path, body: try KubeJSON.encode(object)))
    }

    /// PUT: replaces the object; with `metadata.resourceVersion` set, fails with 409 Conflict if it changed.
    /// Fields the typed model does not know are lost, so prefer `patch` for objects others also write.
    public func update<R: KubeResource>(_ object: R) async throws -> R {
        let path = R.descriptor.objectPath(
            namespace: try scope(R.self, object.metadata.namespace), name: try name(of: object))
        return try await decode(R.self, try await send(method: "PUT", path: path, body: try KubeJSON.encode(object)))
    }

    /// Reads an object, lets `mutate` change its typed form, and writes back only what changed, as a
    /// merge patch that carries the resourceVersion read (so a concurrent change makes it fail and
    /// it is tried again, up to five times). Unlike `update`, fields the typed model does not know
    /// are kept. Returns the object as stored.
    public func modify<R: KubeResource>(
        _ type: R.Type, namespace: String? = nil, name: String, subresource: String? = nil,
        mutate: (inout R) throws -> Void
    ) async throws -> R {
        var attempt = 0
        while true {
            attempt += 1
            let current = try await get(R.self, namespace: namespace, name: name)
            var changed = current
            try mutate(&changed)
            guard var patch = JSONValue.mergePatch(from: try JSONValue(encoding: current), to: try JSONValue(encoding: changed))
            else { return current }
            patch.set(.string(current.metadata.resourceVersion ?? ""), at: ["metadata", "resourceVersion"])
            do {
                return try await self.patch(R.self, namespace: namespace, name: name, patch: .merge(patch), subresource: subresource)
            } catch let error as KubeAPIError where error.isConflict && attempt < 5 {
                continue
            }
        }
    }

    /// GET of any object as raw JSON (all fields, known or not).
    public func getJSON(
        _ descriptor: ResourceDescriptor, namespace: String? = nil, name: String, subresource: String? = nil
    ) async throws -> JSONValue {
        let path = descriptor.objectPath(namespace: descriptor.isNamespaced ? namespace : nil, name: name, subresource: subresource)
        return try await decode(JSONValue.self, try await send(method: "GET", path: path))
    }

    /// PUT of any object as raw JSON: a lossless update (with `metadata.resourceVersion` set it
    /// fails with 409 Conflict if the object changed meanwhile).
    public func replaceJSON(
        _ descriptor: ResourceDescriptor, namespace: String? = nil, name: String, object: JSONValue,
        subresource: String? = nil
    ) async throws -> JSONValue {
        let path = descriptor.objectPath(namespace: descriptor.isNamespaced ? namespace : nil, name: name, subresource: subresource)
        return try await decode(JSONValue.self, try await send(method: "PUT", path: path, body: try KubeJSON.encode(object)))
    }

    /// PUT on the `status` subresource: only the status is written.
    public func updateStatus<R: KubeResource>(_ object: R) async throws -> R {
        let path = R.descriptor.objectPath(
            namespace: try scope(R.self, object.metadata.namespace), name: try name(of: object), subresource: "status")
        return try await decode(R.self, try await send(method: "PUT", path: path, body: try KubeJSON.encode(object)))
    }

    public func patch<R: KubeResource>(
        _ type: R.Type, namespace: String? = nil, name: String, patch: KubePatch, subresource: String? = nil
    ) async throws -> R {
        let path = R.descriptor.objectPath(namespace: try scope(R.self, namespace), name: name, subresource: subresource)
        let response = try await send(
            method: "PATCH", path: path, body: try KubeJSON.encode(patch.body), contentType: patch.contentType)
        return try await decode(R.self, response)
    }

    /// Deletes an object. Returns the object when the server answers with it (a graceful deletion
    /// that leaves it in place with a `deletionTimestamp`, or the final state), `nil` when it answers
    /// with a `Status`.
    @discardableResult
    public func delete<R: KubeResource>(
        _ type: R.Type, namespace: String? = nil, name: String, options: DeleteOptions = DeleteOptions()
    ) async throws -> R? {
        let path = R.descriptor.objectPath(namespace: try scope(R.self, namespace), name: name)
        let response = try await send(method: "DELETE", path: path, body: try KubeJSON.encode(options))
        if let kind = try? KubeJSON.decode(KindProbe.self, from: response.body).kind, kind == "Status" { return nil }
        return try await decode(R.self, response)
    }

    /// Opens a watch. The returned stream yields events until the server closes it or sends an
    /// `ERROR` event (thrown as `KubeAPIError`); an error answer to the request itself is thrown here.
    public func watch<R: KubeResource>(
        _ type: R.Type, namespace: String? = nil, options: WatchOptions = WatchOptions()
    ) async throws -> WatchEventStream<R> {
        let path = R.descriptor.collectionPath(namespace: R.descriptor.isNamespaced ? namespace : nil)
        let url = self.url(path: path, query: options.queryItems)
        let label = "GET \(path) (watch)"
        try await limiter.acquire()
        var request = try httpRequest(method: "GET", url: url, body: nil, contentType: nil)
        // The server ends the watch after timeoutSeconds; allow it time to do so.
        request.timeout = options.timeoutSeconds.map { .seconds($0 + 30) }
        let response: HTTPStreamingResponse
        do {
            response = try await http.stream(request)
        } catch let error as HTTPClientError {
            throw KubeClientError.transport(request: label, underlying: error.description)
        }
        Self.countRequest(verb: "WATCH", status: response.status)
        guard (200..<300).contains(response.status) else {
            var body = Data()
            for try await chunk in response.body { body.append(chunk) }
            throw apiError(status: response.status, body: body, request: label)
        }
        return WatchEventStream(chunks: response.body, request: label)
    }

    // MARK: raw requests

    /// A raw answer: status code, lower-cased headers and body.
    public struct RawResponse: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: Data
    }

    /// Sends any request and returns the raw answer without interpreting the status (no retries).
    /// For contract tests and objects without a typed model.
    public func raw(
        method: String, path: String, query: [(String, String)] = [], body: Data? = nil, contentType: String? = nil
    ) async throws -> RawResponse {
        try await limiter.acquire()
        let request = try httpRequest(method: method, url: url(path: path, query: query), body: body, contentType: contentType)
        do {
            let response = try await http.execute(request)
            Self.countRequest(verb: method, status: response.status)
            return RawResponse(status: response.status, headers: response.headers, body: response.body)
        } catch let error as HTTPClientError {
            throw KubeClientError.transport(request: "\(method) \(path)", underlying: error.description)
        }
    }

    /// Sends a request and returns the body of a 2xx answer; throws `KubeAPIError` otherwise.
    /// Retries 429 and 503 (honouring `Retry-After`) for every verb, and other 5xx and transport
    /// failures for GET.
    public func send(
        method: String, path: String, query: [(String, String)] = [], body: Data? = nil,
        contentType: String = "application/json"
    ) async throws -> RawResponse {
        let label = "\(method) \(path)"
        var attempt = 0
        while true {
            attempt += 1
            let response: RawResponse
            do {
                response = try await raw(
                    method: method, path: path, query: query, body: body, contentType: body == nil ? nil : contentType)
            } catch let error as KubeClientError {
                if method == "GET", attempt <= maxRetries {
                    logger.debug("retrying after transport failure", metadata: ["request": "\(label)", "error": "\(error)"])
                    try await Task.sleep(for: Self.backoff(attempt: attempt))
                    continue
                }
                throw error
            }
            if (200..<300).contains(response.status) { return response }
            let retryable = response.status == 429 || response.status == 503 || (method == "GET" && response.status >= 500)
            if retryable, attempt <= maxRetries {
                let delay = response.headers["retry-after"].flatMap(Int.init).map { Duration.seconds(min($0, 30)) }
                    ?? Self.backoff(attempt: attempt)
                logger.debug(
                    "retrying refused request",
                    metadata: ["request": "\(label)", "status": "\(response.status)", "attempt": "\(attempt)"])
                try await Task.sleep(for: delay)
                continue
            }
            throw apiError(status: response.status, body: response.body, request: label)
        }
    }

    // MARK: helpers

    private func scope<R: KubeResource>(_ type: R.Type, _ namespace: String?) throws -> String? {
        guard R.descriptor.isNamespaced else { return nil }
        guard let namespace, !namespace.isEmpty else {
            throw KubeClientError.invalidArgument("\(R.descriptor.kind) is namespaced: give a namespace")
        }
        return namespace
    }

    private func name<R: KubeResource>(of object: R) throws -> String {
        guard let name = object.metadata.name, !name.isEmpty else {
            throw KubeClientError.invalidArgument("\(R.descriptor.kind) has no metadata.name")
        }
        return name
    }

    private func decode<T: Decodable>(_ type: T.Type, _ response: RawResponse) async throws -> T {
        do {
            return try KubeJSON.decode(T.self, from: response.body)
        } catch {
            throw KubeClientError.decoding(request: "\(T.self)", underlying: "\(error)")
        }
    }

    private func apiError(status code: Int, body: Data, request: String) -> KubeAPIError {
        if let status = try? KubeJSON.decode(Status.self, from: body), status.kind == "Status" || status.reason != nil {
            return KubeAPIError(statusCode: code, status: status, request: request)
        }
        let text = String(decoding: body.prefix(512), as: UTF8.self)
        return KubeAPIError(
            statusCode: code,
            status: Status(message: text.isEmpty ? "HTTP \(code)" : text, reason: Self.reason(for: code), code: code),
            request: request)
    }

    private static func reason(for code: Int) -> String {
        switch code {
        case 400: return "BadRequest"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 405: return "MethodNotAllowed"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 422: return "Invalid"
        case 429: return "TooManyRequests"
        case 503: return "ServiceUnavailable"
        default: return code >= 500 ? "InternalError" : "Unknown"
        }
    }

    private func url(path: String, query: [(String, String)]) -> String {
        var url = configuration.server + path
        if !query.isEmpty {
            url += "?" + query.map { "\($0.0)=\(PathEscaping.segment($0.1))" }.joined(separator: "&")
        }
        return url
    }

    private func httpRequest(method: String, url: String, body: Data?, contentType: String?) throws -> HTTPRequest {
        var headers: [(name: String, value: String)] = [
            ("Accept", "application/json"), ("User-Agent", "module-controller"),
        ]
        if let contentType { headers.append(("Content-Type", contentType)) }
        do {
            if let authorization = try tokens.authorization() { headers.append(("Authorization", authorization)) }
        } catch {
            throw KubeClientError.invalidArgument("\(error)")
        }
        return HTTPRequest(
            method: method, url: url, headers: headers, body: body, timeout: configuration.requestTimeout,
            tls: configuration.tls, maxResponseBytes: configuration.maxResponseBytes)
    }

    private static func backoff(attempt: Int) -> Duration {
        let base = 0.2 * pow(2.0, Double(attempt - 1))
        let jittered = base * Double.random(in: 0.5...1.5)
        return .milliseconds(Int(min(jittered, 10) * 1000))
    }

    private static func countRequest(verb: String, status: Int) {
        Counter(label: "module_controller_api_requests_total", dimensions: [("verb", verb), ("code", String(status))])
            .increment()
    }
}

/// Reads only `kind` from an answer.
private struct KindProbe: Decodable {
    var kind: String?
}
