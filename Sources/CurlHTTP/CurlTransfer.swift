import CCurl
import Foundation

/// One request in flight on the curl loop thread: its easy handle, what it has received so far, and
/// how to hand the result back to the waiting Swift task.
///
/// `@unchecked Sendable`: a transfer is created by the caller, handed to the loop thread through the
/// engine's `Mutex`-protected inbox, and from then on every mutable field is read and written only on
/// that one loop thread (in `configure`, the curl callbacks, `complete` and `fail`), which libcurl
/// calls synchronously from `curl_multi_perform`. The continuations it resumes are themselves Sendable.
final class CurlTransfer: @unchecked Sendable {
    enum Delivery {
        case buffered(CheckedContinuation<HTTPResponse, any Error>)
        case streaming(
            head: CheckedContinuation<HTTPStreamingResponse, any Error>,
            body: AsyncThrowingStream<Data, any Error>.Continuation,
            stream: AsyncThrowingStream<Data, any Error>)
    }

    let request: HTTPRequest
    private var delivery: Delivery?
    var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var status = 0
    private var headers: [String: String] = [:]
    private var body = Data()
    private var headDelivered = false
    private(set) var tooLarge = false

    init(request: HTTPRequest, delivery: Delivery) {
        self.request = request
        self.delivery = delivery
    }

    /// Creates and configures the easy handle; on failure returns the reason.
    func configure(userdata: UnsafeMutableRawPointer) -> HTTPClientError? {
        guard let easy = curl_easy_init() else { return .invalidRequest("curl_easy_init failed") }
        self.easy = easy
        var failures: [String] = []
        func check(_ code: CURLcode, _ what: String) {
            if code != CURLE_OK { failures.append("\(what): \(String(cString: curl_easy_strerror(code)))") }
        }
        check(mc_curl_easy_setopt_string(easy, CURLOPT_URL, request.url), "url")
        check(mc_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1), "nosignal")
        check(mc_curl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1), "keepalive")
        check(mc_curl_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1), "nodelay")
        check(mc_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout)),
            "connect timeout")
        if let timeout = request.timeout {
            check(mc_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Self.milliseconds(timeout)), "timeout")
        }
        switch request.method {
        case "GET": check(mc_curl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1), "method")
        case "POST": check(mc_curl_easy_setopt_long(easy, CURLOPT_POST, 1), "method")
        default: check(mc_curl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method), "method")
        }
        if let body = request.body {
            check(mc_curl_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, body.count), "body size")
            body.withUnsafeBytes { raw in
                let pointer = raw.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) }
                    ?? UnsafeMutableRawPointer(mutating: ("" as StaticString).utf8Start)
                check(mc_curl_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, pointer), "body")
            }
        } else if request.method == "POST" {
            check(mc_curl_easy_setopt_long(easy, CURLOPT_POSTFIELDSIZE, 0), "body size")
            check(mc_curl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, ""), "body")
        }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        // Without this, curl adds "Expect: 100-continue" to larger bodies and waits for an answer.
        list = curl_slist_append(list, "Expect:")
        for header in request.headers {
            list = curl_slist_append(list, "\(header.name): \(header.value)")
        }
        headerList = list
        check(mc_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list), "headers")
        configureTLS(easy, check: check)
        check(mc_curl_easy_setopt_write_function(easy, curlWriteCallback), "write callback")
        check(mc_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, userdata), "write data")
        check(mc_curl_easy_setopt_header_function(easy, curlHeaderCallback), "header callback")
        check(mc_curl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, userdata), "header data")
        check(mc_curl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, userdata), "private")
        if !failures.isEmpty {
            return .invalidRequest(failures.joined(separator: "; ") + " (\(request.url))")
        }
        return nil
    }

    private func configureTLS(_ easy: UnsafeMutableRawPointer, check: (CURLcode, String) -> Void) {
        let tls = request.tls
        if tls.insecureSkipVerify {
            check(mc_curl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0), "verify peer")
            check(mc_curl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0), "verify host")
        }
        if let file = tls.caFile { check(mc_curl_easy_setopt_string(easy, CURLOPT_CAINFO, file), "CA file") }
        if let data = tls.caData {
            check(data.withUnsafeBytes { mc_curl_easy_setopt_blob(easy, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count) },
                "CA data")
        }
        if let file = tls.clientCertificateFile {
            check(mc_curl_easy_setopt_string(easy, CURLOPT_SSLCERT, file), "client certificate file")
        }
        if let data = tls.clientCertificateData {
            check(mc_curl_easy_setopt_string(easy, CURLOPT_SSLCERTTYPE, "PEM"), "client certificate type")
            check(data.withUnsafeBytes { mc_curl_easy_setopt_blob(easy, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count) },
                "client certificate data")
        }
        if let file = tls.clientKeyFile { check(mc_curl_easy_setopt_string(easy, CURLOPT_SSLKEY, file), "client key file") }
        if let data = tls.clientKeyData {
            check(mc_curl_easy_setopt_string(easy, CURLOPT_SSLKEYTYPE, "PEM"), "client key type")
            check(data.withUnsafeBytes { mc_curl_easy_setopt_blob(easy, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count) },
                "client key data")
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }

    // MARK: callbacks (loop thread)

    func receiveHeader(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("HTTP/") {
            // A new status line (after 1xx or a redirect) starts a new header block.
            let parts = trimmed.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = [:]
        } else if trimmed.isEmpty {
            if status >= 200 { deliverHeadIfStreaming() }
        } else if let colon = trimmed.firstIndex(of: ":") {
            let name = trimmed[..<colon].lowercased()
            let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = value
        }
    }

    /// Returns false to make libcurl abort the transfer.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        switch delivery {
        case .buffered:
            if body.count + bytes.count > request.maxResponseBytes {
                tooLarge = true
                return false
            }
            body.append(contentsOf: bytes)
        case .streaming(_, let continuation, _):
            deliverHeadIfStreaming()
            if status >= 200 && status < 300 {
                continuation.yield(Data(bytes))
            } else {
                // Error answers are small Status bodies: keep them whole for the caller.
                if body.count + bytes.count > request.maxResponseBytes {
                    tooLarge = true
                    return false
                }
                body.append(contentsOf: bytes)
            }
        case nil:
            return false
        }
        return true
    }

    /// Hands a 2xx head to the waiting caller as soon as it is known; non-2xx answers are delivered
    /// once complete, with their whole body as one chunk.
    private func deliverHeadIfStreaming() {
        guard !headDelivered, status >= 200, status < 300, case .streaming(let head, _, let stream) = delivery
        else { return }
        headDelivered = true
        head.resume(returning: HTTPStreamingResponse(status: status, headers: headers, body: stream))
    }

    // MARK: completion (loop thread)

    func complete(code: CURLcode) {
        defer { release() }
        guard let delivery else { return }
        self.delivery = nil
        var error: HTTPClientError?
        if tooLarge {
            error = .responseTooLarge(limit: request.maxResponseBytes, url: request.url)
        } else if code != CURLE_OK {
            error = .transport(code: Int(code.rawValue), message: String(cString: curl_easy_strerror(code)), url: request.url)
        }
        if status == 0, error == nil, let easy {
            var value = 0
            _ = mc_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &value)
            status = value
        }
        switch delivery {
        case .buffered(let continuation):
            if let error {
                continuation.resume(throwing: error)
            } else {
                continuation.resume(returning: HTTPResponse(status: status, headers: headers, body: body))
            }
        case .streaming(let head, let bodyContinuation, let stream):
            if headDelivered {
                if let error { bodyContinuation.finish(throwing: error) } else { bodyContinuation.finish() }
            } else if let error {
                bodyContinuation.finish(throwing: error)
                head.resume(throwing: error)
            } else {
                // A non-2xx answer: its buffered body is the whole stream.
                let captured = body
                bodyContinuation.yield(captured)
                bodyContinuation.finish()
                head.resume(returning: HTTPStreamingResponse(status: status, headers: headers, body: stream))
            }
        }
    }

    func fail(_ error: any Error) {
        defer { release() }
        guard let delivery else { return }
        self.delivery = nil
        switch delivery {
        case .buffered(let continuation):
            continuation.resume(throwing: error)
        case .streaming(let head, let bodyContinuation, _):
            bodyContinuation.finish(throwing: error)
            if !headDelivered { head.resume(throwing: error) }
        }
    }

    private func release() {
        if let easy {
            curl_easy_cleanup(easy)
            self.easy = nil
        }
        if let headerList {
            curl_slist_free_all(headerList)
            self.headerList = nil
        }
    }
}

/// libcurl's write callback: hands body bytes to the transfer named by `userdata`.
private func curlWriteCallback(
    _ pointer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userdata: UnsafeMutableRawPointer?
) -> Int {
    guard let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    guard let pointer, length > 0 else { return length }
    return transfer.receiveBody(UnsafeRawBufferPointer(start: pointer, count: length)) ? length : 0
}

/// libcurl's header callback: hands each header line to the transfer named by `userdata`.
private func curlHeaderCallback(
    _ pointer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userdata: UnsafeMutableRawPointer?
) -> Int {
    guard let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    guard let pointer, length > 0 else { return length }
    let line = String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    transfer.receiveHeader(line)
    return length
}
