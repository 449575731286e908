import Foundation
import KubeClient
import Logging
import Synchronization
import Testing

@testable import KubeTestServer

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors of the tests' tiny HTTP client.
struct TestHTTPError: Error, CustomStringConvertible {
    var description: String
}

/// One HTTP answer.
struct HTTPAnswer: Sendable {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var json: JSONValue {
        get throws { try JSONCodec.parse(body) }
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A blocking TCP connection to the test server, used only from dedicated threads so that the
/// Swift concurrency pool (which also runs the server's handlers) is never blocked.
final class BlockingConnection: Sendable {
    let descriptor: Int32

    init(port: Int) throws {
        #if canImport(Glibc)
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw TestHTTPError(description: "socket() failed") }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(descriptor)
            throw TestHTTPError(description: "connect() failed: \(errno)")
        }
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress, buffer.count)
            }
            guard written > 0 else { throw TestHTTPError(description: "write() failed") }
            offset += written
        }
    }

    /// Reads what is available; an empty array means the peer closed the connection.
    func receive() throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw TestHTTPError(description: "read() failed: \(errno)") }
        return Array(buffer[0..<count])
    }

    func shutdownBoth() { shutdown(descriptor, Int32(SHUT_RDWR)) }

    deinit { close(descriptor) }
}

/// Incremental parser of an HTTP/1.1 response (status line, headers, chunked or sized body).
struct ResponseParser {
    var buffer: [UInt8] = []
    var status: Int?
    var headers: [String: String] = [:]
    var chunked = false
    var contentLength: Int?
    var body: [UInt8] = []
    var finished = false

    /// Feeds bytes; returns the body bytes that became available.
    mutating func feed(_ bytes: [UInt8]) throws -> [UInt8] {
        buffer += bytes
        if status == nil {
            guard let end = Self.find([13, 10, 13, 10], in: buffer) else { return [] }
            let head = String(decoding: buffer[0..<end], as: UTF8.self)
            buffer.removeFirst(end + 4)
            let lines = head.components(separatedBy: "\r\n")
            let statusParts = lines[0].split(separator: " ")
            guard statusParts.count >= 2, let code = Int(statusParts[1]) else {
                throw TestHTTPError(description: "bad status line \(lines[0])")
            }
            status = code
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            chunked = headers["transfer-encoding"]?.lowercased() == "chunked"
            contentLength = headers["content-length"].flatMap { Int($0) }
        }
        var produced: [UInt8] = []
        if chunked {
            while true {
                guard let lineEnd = Self.find([13, 10], in: buffer) else { break }
                let sizeText = String(decoding: buffer[0..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                    throw TestHTTPError(description: "bad chunk size")
                }
                if size == 0 {
                    finished = true
                    buffer.removeAll()
                    break
                }
                guard buffer.count >= lineEnd + 2 + size + 2 else { break }
                produced += buffer[(lineEnd + 2)..<(lineEnd + 2 + size)]
                buffer.removeFirst(lineEnd + 2 + size + 2)
            }
        } else {
            produced = buffer
            buffer.removeAll()
            if let contentLength, body.count + produced.count >= contentLength { finished = true }
        }
        body += produced
        return produced
    }

    static func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        for index in 0...(bytes.count - pattern.count) where bytes[index] == pattern[0] {
            if Array(bytes[index..<index + pattern.count]) == pattern { return index }
        }
        return nil
    }
}

/// A minimal HTTP client for the tests: each request runs on its own thread over a fresh connection.
struct TestClient: Sendable {
    let port: Int
    let token: String?

    func request(_ method: String, _ path: String, body: JSONValue? = nil, rawBody: [UInt8]? = nil,
        contentType: String? = "application/json", token overrideToken: String?? = .none) async throws -> HTTPAnswer
    {
        var payload: [UInt8] = rawBody ?? []
        if let body { payload = JSONCodec.serialize(body) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nAccept: application/json\r\n"
        let bearer: String? = overrideToken ?? token
        if let bearer { head += "Authorization: Bearer \(bearer)\r\n" }
        if !payload.isEmpty {
            if let contentType { head += "Content-Type: \(contentType)\r\n" }
            head += "Content-Length: \(payload.count)\r\n"
        }
        head += "\r\n"
        let bytes = Array(head.utf8) + payload
        let port = self.port
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    let connection = try BlockingConnection(port: port)
                    try connection.send(bytes)
                    var parser = ResponseParser()
                    while !parser.finished {
                        let chunk = try connection.receive()
                        if chunk.isEmpty { break }
                        _ = try parser.feed(chunk)
                    }
                    guard let status = parser.status else { throw TestHTTPError(description: "no response") }
                    continuation.resume(returning: HTTPAnswer(status: status, headers: parser.headers, body: parser.body))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }

    func get(_ path: String) async throws -> HTTPAnswer { try await request("GET", path) }

    func post(_ path: String, _ body: JSONValue) async throws -> HTTPAnswer { try await request("POST", path, body: body) }

    func put(_ path: String, _ body: JSONValue) async throws -> HTTPAnswer { try await request("PUT", path, body: body) }

    func patch(_ path: String, _ body: JSONValue, type: String = "application/merge-patch+json") async throws -> HTTPAnswer {
        try await request("PATCH", path, body: body, contentType: type)
    }

    func delete(_ path: String, _ body: JSONValue? = nil) async throws -> HTTPAnswer {
        try await request("DELETE", path, body: body)
    }

    /// Creates an object and returns it, failing the test unless the answer is 201.
    @discardableResult
    func create(_ path: String, _ body: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        let answer = try await post(path, body)
        #expect(answer.status == 201, "create \(path): \(answer.text)", sourceLocation: sourceLocation)
        return try answer.json
    }

    /// Opens a watch stream.
    func watch(_ path: String) async throws -> WatchClient {
        try await WatchClient.open(port: port, token: token ?? "", path: path)
    }
}

/// A streaming watch connection: a reader thread parses newline-delimited events as they arrive.
final class WatchClient: Sendable {
    private struct State {
        var status: Int?
        var events: [JSONValue] = []
        var closed = false
        var failure: String?
    }

    private let state = Mutex(State())
    private let connection: Mutex<BlockingConnection?> = Mutex(nil)

    static func open(port: Int, token: String, path: String) async throws -> WatchClient {
        let client = WatchClient()
        try await client.start(port: port, token: token, path: path)
        return client
    }

    private func start(port: Int, token: String, path: String) async throws {
        let head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\nAccept: application/json\r\n\r\n"
        let connection = try BlockingConnection(port: port)
        try connection.send(Array(head.utf8))
        let thread = Thread { [self] in
            var parser = ResponseParser()
            var pending: [UInt8] = []
            do {
                while !parser.finished {
                    let chunk = try connection.receive()
                    if chunk.isEmpty { break }
                    pending += try parser.feed(chunk)
                    if let status = parser.status { state.withLock { $0.status = status } }
                    while let newline = pending.firstIndex(of: 0x0A) {
                        let line = Array(pending[..<newline])
                        pending.removeFirst(newline + 1)
                        if line.isEmpty { continue }
                        let event = try JSONCodec.parse(line)
                        state.withLock { $0.events.append(event) }
                    }
                }
            } catch {
                state.withLock { $0.failure = "\(error)" }
            }
            state.withLock { $0.closed = true }
        }
        self.connection.withLock { $0 = connection }
        thread.start()
        // Wait for the response head.
        try await waitUntil("watch answered \(path)") { state.withLock { $0.status != nil || $0.closed } }
    }

    var status: Int? { state.withLock { $0.status } }
    var events: [JSONValue] { state.withLock { $0.events } }
    var isClosed: Bool { state.withLock { $0.closed } }

    /// The event types received so far.
    var types: [String] { events.compactMap { $0["type"]?.stringValue } }

    /// Waits until at least `count` events have arrived and returns them all.
    @discardableResult
    func waitForEvents(_ count: Int, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation)
        async throws -> [JSONValue]
    {
        try await waitUntil("\(count) watch events (have \(events.count): \(types))", timeout: timeout,
            sourceLocation: sourceLocation) { self.state.withLock { $0.events.count >= count } }
        return events
    }

    /// Waits until the server ends the stream.
    func waitUntilClosed(timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await waitUntil("watch stream closed", timeout: timeout, sourceLocation: sourceLocation) { self.isClosed }
    }

    func close() {
        connection.withLock { $0?.shutdownBoth() }
    }

    deinit { connection.withLock { $0?.shutdownBoth() } }
}

/// Polls `condition` until it holds or the deadline passes (then the test fails with `what`).
func waitUntil(_ what: String, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () -> Bool) async throws
{
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while !condition() {
        if clock.now >= deadline {
            Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
            throw TestHTTPError(description: "timed out waiting for \(what)")
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Starts a server for one test and stops it afterwards.
func withServer<Result>(
    _ configure: (inout KubeTestServerConfiguration) -> Void = { _ in },
    _ body: (KubeTestServer, TestClient) async throws -> Result
) async throws -> Result {
    let token = "test-token-\(UUID().uuidString.prefix(8))"
    var configuration = KubeTestServerConfiguration(token: token)
    configure(&configuration)
    var logger = Logger(label: "kube-test-server")
    logger.logLevel = .warning
    let server = try await KubeTestServer.start(configuration, logger: logger)
    do {
        let result = try await body(server, TestClient(port: server.port, token: token))
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

/// Test fixtures.
enum Fixtures {
    static func namespace(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]]
    }

    static func pod(_ name: String, node: String? = nil, labels: [String: String] = ["app": "demo"]) -> JSONValue {
        var spec: JSONValue = ["containers": [["name": "main", "image": "example.org/app:1.0"]]]
        if let node { spec["nodeName"] = .string(node) }
        return [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "labels": .object(labels.mapValues { .string($0) })], "spec": spec,
        ]
    }

    static func node(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name), "labels": ["type": "virtual-kubelet"]]]
    }
}

extension JSONValue {
    var resourceVersionNumber: UInt64 { UInt64(metadataString("resourceVersion") ?? "") ?? 0 }
}

/// The repository's shared golden exchanges.
enum Golden {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/k8s-golden")

    static func load(_ name: String) throws -> JSONValue {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONCodec.parse(Array(data))
    }
}

extension JSONValue {
    /// The element at `index` of an array; `nil` otherwise.
    subscript(_ index: Int) -> JSONValue? {
        guard let elements = arrayValue, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}
