import Arklet
import BaseSimulation
import Foundation
import Testing
import MosquittoTestSupport

@Suite("MQTT tunnel survives broker restarts, base crashes and bad input", .timeLimit(.minutes(1)))
struct MQTTResilienceTests {
    static let biz = BizModel(bizName: "biz1", bizVersion: "0.0.1", bizUrl: "https://example.org/biz1-0.0.1-ark-biz.jar")

    @Test func brokerRestartMidRunLosesNoCommand() async throws {
        try await withMQTTHarness(options: .forTests(timeout: .seconds(20), resendInterval: .seconds(1))) { harness in
            let identity = BaseIdentity("base-r")!
            let base = try await harness.startAndAwaitHeartbeat(harness.makeBase("base-r") { $0.heartbeatInterval = .milliseconds(200) })

            await harness.broker.stop()
            try await poll(what: "tunnel notices the broker is gone") { harness.tunnel.isConnected ? nil : true }

            // Sent while the broker is down: must be delivered once the tunnel is back.
            async let installed = harness.tunnel.install(Self.biz, on: identity)
            try await harness.broker.start()
            try await harness.tunnel.waitUntilConnected(timeout: .seconds(10))

            let outcome = try await installed
            #expect(outcome.isSuccess)
            #expect(outcome.key == Self.biz.key)
            #expect(await base.base.arklet.bizStates == [Self.biz.key: .activated])

            // Re-subscribed after the reconnect: heartbeats and per-base reports flow again.
            let mark = harness.recorder.mark
            try await harness.recorder.waitFor(from: mark) { if case .heartbeat(identity, _, _) = $0 { true } else { false } }
            let health = try await harness.tunnel.health(of: identity)
            #expect(health.code == .success)
            let list = try await harness.tunnel.queryAllBiz(of: identity)
            #expect(list.bizzes.map(\.key) == [Self.biz.key])
            await base.stop()
        }
    }

    @Test func tunnelStartsBeforeTheBrokerAndConnectsLater() async throws {
        let port = try TestBroker.freeLoopbackPort()
        let tunnel = MQTTTunnel(configuration: MQTTHarness.configuration(port: port, env: "late", clientID: "controller"),
                                options: .forTests(), logger: TestLogging.logger("tunnel"))
        let run = Task { try await tunnel.run() }
        await #expect(throws: TunnelError.notConnected) { try await tunnel.waitUntilConnected(timeout: .milliseconds(300)) }
        let broker = try await TestBroker.launch(port: port)
        try await tunnel.waitUntilConnected(timeout: .seconds(10))
        #expect(tunnel.isConnected)
        run.cancel()
        try await run.value
        #expect(!tunnel.isConnected)
        await broker.shutdown()
    }

    @Test func shutdownIsBoundedAndFailsPendingCommands() async throws {
        let port = try TestBroker.freeLoopbackPort() // nothing listens here
        let tunnel = MQTTTunnel(configuration: MQTTHarness.configuration(port: port, env: "down", clientID: "controller"),
                                options: .forTests(timeout: .seconds(30)), logger: TestLogging.logger("tunnel"))
        let clock = ContinuousClock()
        let run = Task { try await tunnel.run() }
        let pending = Task { try await tunnel.install(Self.biz, on: BaseIdentity("nobody")!) }
        try await poll { tunnel.pendingCommandCount > 0 ? true : nil }
        let start = clock.now
        run.cancel()
        try await run.value
        #expect(clock.now - start < .seconds(5))
        await #expect(throws: TunnelError.shutdown) { try await pending.value }
        var iterator = tunnel.events.makeAsyncIterator()
        #expect(await iterator.next() == nil, "events finish on shutdown")
    }

    @Test func baseCrashAndRestartWithSameIdentityComesBackEmpty() async throws {
        try await withMQTTHarness { harness in
            let identity = BaseIdentity("base-x")!
            let simulated = harness.makeBase("base-x")
            var running = try await harness.startAndAwaitHeartbeat(simulated)
            #expect(try await harness.tunnel.install(Self.biz, on: identity).isSuccess)

            await running.stop()
            await simulated.arklet.crash()
            let mark = harness.recorder.mark
            running = harness.start(simulated)
            // A restarted arklet asks for its baseline again and heart-beats at once.
            try await harness.recorder.waitFor(from: mark) { if case .baselineQuery(identity, _) = $0 { true } else { false } }
            try await harness.recorder.waitFor(from: mark) { if case .heartbeat(identity, _, _) = $0 { true } else { false } }
            #expect(try await harness.tunnel.queryAllBiz(of: identity).bizzes.isEmpty)
            await running.stop()
        }
    }

    @Test func aLeavingMockBaseSaysDeactivated() async throws {
        try await withMQTTHarness { harness in
            let identity = BaseIdentity("base-d")!
            let base = harness.makeBase("base-d")
            _ = try await harness.startAndAwaitHeartbeat(base).stop()
            let mark = harness.recorder.mark
            let leaving = Task { await base.run(deactivatedHeartbeatOnExit: true) }
            try await harness.recorder.waitFor(from: mark) { if case .heartbeat(identity, let s, _) = $0 { s.isActivated } else { false } }
            leaving.cancel()
            await leaving.value
            let last = try await harness.recorder.waitFor(from: mark) {
                if case .heartbeat(identity, let status, _) = $0 { !status.isActivated } else { false }
            }
            guard case .heartbeat(_, let status, _) = last else { return }
            #expect(status.state == "DEACTIVATED")
        }
    }

    @Test func badMessagesAreDroppedWithACountedReason() async throws {
        try await withMQTTHarness { harness in
            let raw = RawClient(configuration: harness.configuration(clientID: "vandal"))
            try await raw.connect()
            let root = "koupleless_\(harness.env)"
            let fresh = Date().epochMilliseconds
            // Empty payloads (upstream mock SendInvalidMessage).
            for kind in ["health", "biz", "heart", "queryBaseline"] { try raw.publish("\(root)/b1/base/\(kind)", "") }
            // Expired (upstream mock SendTimeoutMessage).
            for kind in ["health", "biz", "heart", "queryBaseline", "simpleBiz"] {
                try raw.publish("\(root)/b1/base/\(kind)", #"{"publishTimestamp":0}"#)
            }
            // Failed legacy list (SendFailedMessage): dropped; a failed health is an event the core ignores.
            try raw.publish("\(root)/b1/base/biz", #"{"publishTimestamp":\#(fresh),"data":{"code":"","data":[]}}"#)
            try raw.publish("\(root)/b1/base/health", #"{"publishTimestamp":\#(fresh),"data":{"code":""}}"#)
            // Malformed shapes, invalid identities, unsupported operation, oversized.
            try raw.publish("\(root)/b1/base/simpleBiz", #"{"publishTimestamp":\#(fresh),"data":"nope"}"#)
            try raw.publish("\(root)/b1/base/heart", "not json at all")
            try raw.publish("\(root)/b1/base/bizOperation", #"{"publishTimestamp":\#(fresh),"data":{"command":"installBiz"}}"#)
            try raw.publish("\(root)//base/heart", #"{"publishTimestamp":\#(fresh),"data":{}}"#)
            try raw.publish("\(root)/b1/base/heart",
                            #"{"publishTimestamp":\#(fresh),"data":{"baseMetadata":{"identity":""},"state":"ACTIVATED"}}"#)
            try raw.publish("\(root)/b1/base/bizOperation",
                            #"{"publishTimestamp":\#(fresh),"data":{"command":"switchBiz","bizName":"a","bizVersion":"1","response":{"code":"SUCCESS"}}}"#)
            try raw.publish("\(root)/b1/base/health", [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024 + 1))
            // Sentinel: one good heartbeat; the broker keeps one publisher's order.
            try raw.publish("\(root)/b1/base/heart",
                            #"{"publishTimestamp":\#(Date().epochMilliseconds),"data":{"baseMetadata":{"identity":"b1"},"state":"ACTIVATED"}}"#)
            try await harness.recorder.waitFor { if case .heartbeat(BaseIdentity("b1")!, _, _) = $0 { true } else { false } }

            let dropped = harness.tunnel.droppedMessages
            #expect(dropped.count(.malformed) == 7, "4 empty, bad data shape, not JSON, operation without response")
            #expect(dropped.count(.expired) == 5)
            #expect(dropped.count(.unsuccessfulResponse) == 1)
            #expect(dropped.count(.invalidIdentity) == 2)
            #expect(dropped.count(.unsupportedCommand) == 1)
            #expect(dropped.count(.oversized) == 1)
            #expect(harness.recorder.count { if case .health(_, let report) = $0 { !report.code.isSuccess } else { false } } == 1)
            #expect(harness.recorder.all.count == 2, "only the failed health and the sentinel heartbeat became events")
            #expect(harness.tunnel.isConnected, "no crash, still connected")
            await raw.disconnect()
        }
    }

    @Test func expiryUsesTheInjectedClock() async throws {
        // The controller clock runs 20 s ahead of the base: every expiry-checked report is stale.
        try await withMQTTHarness(now: { Date().addingTimeInterval(20) }) { harness in
            let raw = RawClient(configuration: harness.configuration(clientID: "skewed"))
            try await raw.connect()
            let root = "koupleless_\(harness.env)"
            let now = Date().epochMilliseconds
            try raw.publish("\(root)/b2/base/heart", #"{"publishTimestamp":\#(now),"data":{"baseMetadata":{"identity":"b2"},"state":"ACTIVATED"}}"#)
            // Results are not expiry-checked, so this one still arrives and serves as the sentinel.
            try raw.publish("\(root)/b2/base/bizOperation",
                            #"{"publishTimestamp":\#(now),"data":{"command":"installBiz","bizName":"a","bizVersion":"1","response":{"code":"SUCCESS"}}}"#)
            try await harness.recorder.waitFor { if case .operationResult = $0 { true } else { false } }
            #expect(harness.tunnel.droppedMessages.count(.expired) == 1)
            #expect(harness.recorder.all.count == 1)
            await raw.disconnect()
        }
    }
}
