import Arklet
import CurlHTTP
import Foundation
import Synchronization
import Testing

@Suite("HTTP tunnel listener answers exactly like upstream", .timeLimit(.minutes(1)))
struct HTTPListenerTests {
    static let heartbeatBody = #"""
        {"baseMetadata":{"identity":"10.1.0.45","name":"base","version":"1.0.0","clusterName":"default"},
         "localIP":"10.1.0.45","localHostName":"base-7f9c4d6b8-qx2lz","port":1238,"state":"activated"}
        """#
    static let metadataBody = #"{"identity":"10.1.0.45","name":"base","version":"1.0.0","clusterName":"cluster-a"}"#
    static let biz = BizModel(bizName: "biz1", bizVersion: "0.0.1", bizUrl: "https://example.org/biz1.jar")

    @Test func heartbeatAnswers() async throws {
        try await withHTTPHarness { harness in
            let ok = try await harness.request("POST", "/heartbeat", body: Self.heartbeatBody)
            #expect(ok.status == 200)
            #expect(String(decoding: ok.body, as: UTF8.self) == "SUCCESS")
            #expect(ok.headers["content-type"] == "text/plain; charset=utf-8")
            let identity = BaseIdentity("10.1.0.45")!
            let event = try await harness.recorder.waitFor { if case .heartbeat = $0 { true } else { false } }
            guard case .heartbeat(identity, let status, via: .http) = event else { Issue.record("\(event)"); return }
            #expect(status.localHostName == "base-7f9c4d6b8-qx2lz")
            #expect(harness.tunnel.address(of: identity) == ArkletAddress(host: "10.1.0.45", port: 1238))

            // Port 0 or missing: the arklet default 1238.
            let portless = Self.heartbeatBody.replacingOccurrences(of: "\"port\":1238,", with: "")
                .replacingOccurrences(of: "10.1.0.45", with: "10.1.0.46")
            #expect(try await harness.request("POST", "/heartbeat", body: portless).status == 200)
            #expect(harness.tunnel.address(of: BaseIdentity("10.1.0.46")!) == ArkletAddress(host: "10.1.0.46", port: 1238))
            try await harness.recorder.waitFor { if case .heartbeat(BaseIdentity("10.1.0.46")!, _, _) = $0 { true } else { false } }

            for method in ["GET", "PUT", "DELETE"] {
                let refused = try await harness.request(method, "/heartbeat")
                #expect(refused.status == 405, "\(method)")
                #expect(refused.body.isEmpty, "\(method)")
            }

            let bad = try await harness.request("POST", "/heartbeat", body: "{not json")
            #expect(bad.status == 400)
            let text = String(decoding: bad.body, as: UTF8.self)
            #expect(text.hasSuffix("\n") && text.count > 1, "the decode error's text: \(text)")
            let missing = try await harness.request("POST", "/heartbeat", body: #"{"localIP":"1.2.3.4"}"#)
            #expect(missing.status == 400)
            #expect(String(decoding: missing.body, as: UTF8.self).contains("baseMetadata"))
            #expect(harness.tunnel.droppedMessages.count(.malformed) == 2)

            let invalid = try await harness.request("POST", "/heartbeat", body: Self.heartbeatBody
                .replacingOccurrences(of: #""identity":"10.1.0.45""#, with: #""identity":"a/b""#))
            #expect(invalid.status == 400)
            #expect(harness.tunnel.droppedMessages.count(.invalidIdentity) == 1)

            let unknown = try await harness.request("POST", "/nope", body: "{}")
            #expect(unknown.status == 404)
            #expect(String(decoding: unknown.body, as: UTF8.self) == "404 page not found\n")
            #expect(try await harness.request("GET", "/").status == 404)

            #expect(harness.recorder.count { if case .heartbeat = $0 { true } else { false } } == 2, "only valid heartbeats are events")
        }
    }

    @Test func oversizedBodiesAreRefused() async throws {
        try await withHTTPHarness { harness in
            let huge = String(repeating: " ", count: (1 << 20) + 1) + Self.heartbeatBody
            let answer = try await harness.request("POST", "/heartbeat", body: huge)
            #expect(answer.status == 413)
            #expect(harness.tunnel.droppedMessages.count(.oversized) == 1)
        }
    }

    @Test func queryBaselineWithoutAnAnswerIsAnEmptyJSONArray() async throws {
        try await withHTTPHarness(options: .forTests(baselineAnswerTimeout: .milliseconds(200))) { harness in
            let answer = try await harness.request("POST", "/queryBaseline", body: Self.metadataBody)
            #expect(answer.status == 200)
            #expect(answer.headers["content-type"] == "application/json")
            #expect(String(decoding: answer.body, as: UTF8.self) == "[]")
            let query = try await harness.recorder.waitFor { if case .baselineQuery = $0 { true } else { false } }
            #expect(query == .baselineQuery(BaseIdentity("10.1.0.45")!,
                                            BaseMetadata(identity: "10.1.0.45", name: "base", version: "1.0.0", clusterName: "cluster-a")))

            let refused = try await harness.request("GET", "/queryBaseline")
            #expect(refused.status == 405)
            #expect(refused.body.isEmpty)
            #expect(try await harness.request("POST", "/queryBaseline", body: "[").status == 400)
        }
    }

    @Test func queryBaselineIsAnsweredByTheProvider() async throws {
        try await withHTTPHarness { harness in
            let asked = Mutex<[BaseMetadata]>([])
            harness.tunnel.setBaselineProvider { metadata in
                asked.withLock { $0.append(metadata) }
                return metadata.clusterName == "cluster-a" ? [Self.biz] : []
            }
            let answer = try await harness.request("POST", "/queryBaseline", body: Self.metadataBody)
            #expect(answer.status == 200)
            #expect(answer.headers["content-type"] == "application/json")
            #expect(String(decoding: answer.body, as: UTF8.self)
                == #"[{"bizName":"biz1","bizVersion":"0.0.1","bizUrl":"https://example.org/biz1.jar"}]"#)
            #expect(asked.withLock { $0.map(\.clusterName) } == ["cluster-a"])
            try await harness.recorder.waitFor { if case .baselineQuery = $0 { true } else { false } }
            // With a provider, a reply to the event changes nothing.
            try await harness.tunnel.replyBaseline([], to: BaseIdentity("10.1.0.45")!)
        }
    }

    @Test func queryBaselineIsAnsweredByReplyBaseline() async throws {
        try await withHTTPHarness { harness in
            // The controller core reacts to the event exactly as for MQTT.
            let controller = Task {
                let event = try await harness.recorder.waitFor { if case .baselineQuery = $0 { true } else { false } }
                try await harness.tunnel.replyBaseline([Self.biz], to: event.identity)
            }
            let answer = try await harness.request("POST", "/queryBaseline", body: Self.metadataBody)
            try await controller.value
            #expect(answer.status == 200)
            let bizzes = try WireCoding.decode([BizModel].self, from: Array(answer.body))
            #expect(bizzes == [Self.biz])
        }
    }

    @Test func shutdownIsBoundedAndFinal() async throws {
        let tunnel = HTTPTunnel(options: .forTests(baselineAnswerTimeout: .seconds(30)), logger: TestLogging.logger("http-tunnel"))
        let recorder = EventRecorder()
        let consumer = Task { await recorder.consume(tunnel.events) }
        let server = Task { try await tunnel.run() }
        let port = try await tunnel.waitUntilListening(timeout: .seconds(10))
        #expect(tunnel.isReady)
        #expect(tunnel.port == port)
        await #expect(throws: TunnelError.self) { try await tunnel.run() }

        // A baseline query waiting for the controller is answered `[]` when the tunnel stops.
        let curl = CurlHTTPClient(logger: TestLogging.logger("curl"))
        defer { curl.shutdown() }
        let pending = Task {
            try await curl.execute(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/queryBaseline",
                                               body: Data(Self.metadataBody.utf8), timeout: .seconds(20)))
        }
        try await recorder.waitFor { if case .baselineQuery = $0 { true } else { false } }
        let clock = ContinuousClock()
        let start = clock.now
        server.cancel()
        try await server.value
        #expect(clock.now - start < .seconds(5), "run() returned \(clock.now - start) after cancellation")
        await consumer.value // the event stream finished
        #expect(!tunnel.isReady)
        let answer = try await pending.value
        #expect(answer.status == 200)
        #expect(String(decoding: answer.body, as: UTF8.self) == "[]")
        await #expect(throws: TunnelError.shutdown) { try await tunnel.health(of: BaseIdentity("x")!) }
    }

    @Test func shutdownAnswersRequestsInProgress() async throws {
        let tunnel = HTTPTunnel(options: .forTests(), logger: TestLogging.logger("http-tunnel"))
        tunnel.setBaselineProvider { _ in
            try? await Task.sleep(for: .milliseconds(300))
            return [Self.biz]
        }
        let (server, port, curl) = try await Self.start(tunnel)
        defer { curl.shutdown() }
        let pending = Task {
            try await curl.execute(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/queryBaseline",
                                               body: Data(Self.metadataBody.utf8), timeout: .seconds(20)))
        }
        for await event in tunnel.events { if case .baselineQuery = event { break } }
        server.cancel()
        try await server.value
        let answer = try await pending.value
        #expect(answer.status == 200)
        #expect(try WireCoding.decode([BizModel].self, from: Array(answer.body)) == [Self.biz], "answered while draining")
        // New connections are refused once stopped.
        await #expect(throws: (any Error).self) {
            try await curl.execute(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/heartbeat",
                                               body: Data(Self.heartbeatBody.utf8), timeout: .seconds(2)))
        }
    }

    @Test func shutdownCutsOffRequestsAfterTheGracePeriod() async throws {
        var options = HTTPTunnelOptions.forTests(baselineAnswerTimeout: .seconds(60))
        options.shutdownGracePeriod = .milliseconds(300)
        let tunnel = HTTPTunnel(options: options, logger: TestLogging.logger("http-tunnel"))
        tunnel.setBaselineProvider { _ in
            try? await Task.sleep(for: .seconds(60))
            return []
        }
        let (server, port, curl) = try await Self.start(tunnel)
        defer { curl.shutdown() }
        let pending = Task {
            try await curl.execute(HTTPRequest(method: "POST", url: "http://127.0.0.1:\(port)/queryBaseline",
                                               body: Data(Self.metadataBody.utf8), timeout: .seconds(20)))
        }
        for await event in tunnel.events { if case .baselineQuery = event { break } }
        let clock = ContinuousClock()
        let start = clock.now
        server.cancel()
        try await server.value
        #expect(clock.now - start < .seconds(3), "run() returned \(clock.now - start) after cancellation")
        _ = await pending.result
    }

    /// Runs `tunnel` in a task; returns the task, the bound port and a client for raw requests.
    private static func start(_ tunnel: HTTPTunnel) async throws -> (Task<Void, any Error>, Int, CurlHTTPClient) {
        let server = Task { try await tunnel.run() }
        let port = try await tunnel.waitUntilListening(timeout: .seconds(10))
        return (server, port, CurlHTTPClient(logger: TestLogging.logger("curl")))
    }

    @Test func aPortInUseFailsRun() async throws {
        try await withHTTPHarness { harness in
            let second = HTTPTunnel(options: HTTPTunnelOptions(host: "127.0.0.1", port: harness.port), logger: TestLogging.logger("second"))
            // SO_REUSEADDR does not allow two listeners on one port.
            await #expect(throws: TunnelError.self) { try await second.run() }
            await #expect(throws: TunnelError.notConnected) { _ = try await second.waitUntilListening(timeout: .seconds(1)) }
        }
    }
}
