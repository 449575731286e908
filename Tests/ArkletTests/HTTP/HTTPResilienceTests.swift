import Arklet
import BaseSimulation
import CurlHTTP
import Foundation
import Testing

@Suite("HTTP tunnel with bases that hang, vanish and restart", .timeLimit(.minutes(1)))
struct HTTPResilienceTests {
    static let biz1 = BizModel(bizName: "biz1", bizVersion: "0.0.1", bizUrl: "https://example.org/biz1-0.0.1-ark-biz.jar")

    @Test func aBaseThatStopsAnsweringTimesOut() async throws {
        try await withHTTPHarness(options: .forTests(timeout: .milliseconds(400))) { harness in
            let identity = BaseIdentity("hung")!
            let running = try await harness.startAndAwaitHeartbeat(harness.makeBase("hung"))
            running.base.setAnswering(false)
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: TunnelError.timeout(command: .health, identity: identity)) {
                try await harness.tunnel.health(of: identity)
            }
            await #expect(throws: TunnelError.timeout(command: .installBiz, identity: identity)) {
                try await harness.tunnel.install(Self.biz1, on: identity)
            }
            #expect(clock.now - start < .seconds(3), "two 400 ms budgets took \(clock.now - start)")
            #expect(harness.recorder.count { if case .health = $0 { true } else { false } } == 0, "no answer, no event")

            running.base.setAnswering(true)
            #expect(try await harness.tunnel.health(of: identity).code == .success)
            await running.stop()
        }
    }

    @Test func theLibcurlTransportMapsTimeoutsAndFailures() async throws {
        try await withHTTPHarness { harness in
            let running = try await harness.startAndAwaitHeartbeat(harness.makeBase("transported"))
            let port = try await running.base.waitUntilListening()
            let transport = CurlArkletTransport(client: harness.curl, connectTimeout: .seconds(1))
            let url = "http://127.0.0.1:\(port)/health"
            let reply = try await transport.post(url: url, body: Array("{}".utf8), timeout: .seconds(5))
            #expect(reply.status == 200)
            #expect(try WireCoding.decode(ArkletResponse<HealthResponseData>.self, from: reply.body).code == .success)

            running.base.setAnswering(false)
            await #expect(throws: ArkletHTTPTransportTimeout.self) {
                try await transport.post(url: url, body: Array("{}".utf8), timeout: .milliseconds(300))
            }
            running.base.setAnswering(true)
            await running.stop()
            do {
                _ = try await transport.post(url: url, body: Array("{}".utf8), timeout: .seconds(5))
                Issue.record("a stopped base answered")
            } catch {
                guard case .transport? = error as? TunnelError else { Issue.record("\(error)"); return }
            }
        }
    }

    @Test func aVanishedBaseIsATransportError() async throws {
        try await withHTTPHarness { harness in
            let identity = BaseIdentity("gone")!
            let running = try await harness.startAndAwaitHeartbeat(harness.makeBase("gone"))
            await running.stop()
            let clock = ContinuousClock()
            let start = clock.now
            do {
                _ = try await harness.tunnel.health(of: identity)
                Issue.record("a stopped base answered")
            } catch {
                guard case .transport(let detail)? = error as? TunnelError else { Issue.record("\(error)"); return }
                #expect(detail.contains("127.0.0.1"), "\(detail)")
            }
            #expect(clock.now - start < .seconds(3))
        }
    }

    @Test func aBaseRestartedOnTheSameIdentityComesBackEmpty() async throws {
        try await withHTTPHarness { harness in
            let identity = BaseIdentity("phoenix")!
            let base = harness.makeBase("phoenix")
            let first = try await harness.startAndAwaitHeartbeat(base)
            let port = try await base.waitUntilListening()
            #expect(try await harness.tunnel.install(Self.biz1, on: identity).isSuccess)
            #expect(try await harness.tunnel.queryAllBiz(of: identity).bizzes.map(\.key) == [Self.biz1.key])

            // The JVM dies: run() returns without a farewell heartbeat.
            let mark = harness.recorder.mark
            await base.crash()
            try await first.task.value
            #expect(!base.isListening)
            await #expect(throws: TunnelError.self) { try await harness.tunnel.health(of: identity) }

            // Restart: same identity, same port, first heartbeat at once, no bizzes.
            let second = harness.start(base)
            let event = try await harness.recorder.waitFor(from: mark) { if case .heartbeat(identity, _, _) = $0 { true } else { false } }
            guard case .heartbeat(_, let status, _) = event else { return }
            #expect(status.isActivated)
            #expect(status.port == port)
            #expect(try await harness.tunnel.queryAllBiz(of: identity).bizzes.isEmpty)
            #expect(try await harness.tunnel.install(Self.biz1, on: identity).isSuccess, "the biz can be installed again")
            #expect(harness.recorder.count { if case .heartbeat(identity, let status, _) = $0 { !status.isActivated } else { false } } == 0)
            await second.stop()
        }
    }

    @Test func aStoppingBaseCanSayGoodbye() async throws {
        try await withHTTPHarness { harness in
            let identity = BaseIdentity("polite")!
            let base = harness.makeBase("polite")
            let task = Task { try await base.run(deactivatedHeartbeatOnExit: true) }
            try await harness.recorder.waitFor { if case .heartbeat(identity, _, _) = $0 { true } else { false } }
            task.cancel()
            try await task.value
            let farewell = try await harness.recorder.waitFor { event in
                if case .heartbeat(identity, let status, _) = event { return !status.isActivated }
                return false
            }
            guard case .heartbeat(_, let status, via: .http) = farewell else { return }
            #expect(status.state == "DEACTIVATED")
        }
    }

    @Test func heartbeatsRepeatAtTheInterval() async throws {
        try await withHTTPHarness { harness in
            let identity = BaseIdentity("ticker")!
            let running = harness.start(harness.makeBase("ticker") { $0.heartbeatInterval = .milliseconds(100) })
            try await poll(what: "three heartbeats") {
                harness.recorder.count { if case .heartbeat(identity, _, _) = $0 { true } else { false } } >= 3 ? true : nil
            }
            await running.stop()
        }
    }
}
