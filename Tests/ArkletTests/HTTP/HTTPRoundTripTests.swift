import Arklet
import BaseSimulation
import CurlHTTP
import Foundation
import Testing

@Suite("HTTP tunnel round trips against simulated bases over loopback sockets", .timeLimit(.minutes(1)))
struct HTTPRoundTripTests {
    static let biz1 = BizModel(bizName: "biz1", bizVersion: "0.0.1", bizUrl: "https://example.org/biz1-0.0.1-ark-biz.jar")
    static let biz1v2 = BizModel(bizName: "biz1", bizVersion: "0.0.2", bizUrl: "https://example.org/biz1-0.0.2-ark-biz.jar")
    static let biz2 = BizModel(bizName: "biz2", bizVersion: "1.0.0", bizUrl: "https://example.org/biz2-1.0.0-ark-biz.jar")
    static let biz3 = BizModel(bizName: "biz3", bizVersion: "1.0.0", bizUrl: "https://example.org/biz3-1.0.0-ark-biz.jar")

    @Test func everyCommandRoundTrips() async throws {
        try await withHTTPHarness { harness in
            let identity = BaseIdentity("http-base-a")!
            let mark = harness.recorder.mark
            let running = try await harness.startAndAwaitHeartbeat(harness.makeBase("http-base-a") { $0.metadata.clusterName = "c1" })
            let arkletPort = try await running.base.waitUntilListening()

            // Discovery: the unwrapped BaseStatus, its arklet port, and the address table.
            let heartbeat = try await harness.recorder.waitFor(from: mark) { if case .heartbeat = $0 { true } else { false } }
            guard case .heartbeat(identity, let status, via: .http) = heartbeat else { Issue.record("\(heartbeat)"); return }
            #expect(status.isActivated)
            #expect(status.state == "activated")
            #expect(status.port == arkletPort)
            #expect(status.localIP == "127.0.0.1")
            #expect(status.baseMetadata == BaseMetadata(identity: "http-base-a", name: "base", version: "1.0.0", clusterName: "c1"))
            #expect(harness.tunnel.address(of: identity) == ArkletAddress(host: "127.0.0.1", port: arkletPort))

            // Health.
            let health = try await harness.tunnel.health(of: identity)
            #expect(health.code == .success)
            #expect(health.healthData?.maxMetaspace == 268_435_456)
            #expect(health.healthData?.masterBizInfo?.bizState == .activated)

            // Install, then a new version of the same name: SOFAArk deactivates the old one.
            let installed = try await harness.tunnel.install(Self.biz1, on: identity)
            #expect(installed.isSuccess)
            #expect(installed.command == .installBiz)
            #expect(installed.key == Self.biz1.key)
            #expect(installed.bizInfos.first?.bizState == .activated)
            #expect(try await harness.tunnel.install(Self.biz1v2, on: identity).isSuccess)
            let list = try await harness.tunnel.queryAllBiz(of: identity)
            #expect(Dictionary(uniqueKeysWithValues: list.bizzes.map { ($0.key, $0.state) })
                == [Self.biz1.key: .deactivated, Self.biz1v2.key: .activated], "the master biz is left out")

            // Install twice: refused by SOFAArk, a normal (failed) result.
            let repeated = try await harness.tunnel.install(Self.biz1v2, on: identity)
            #expect(repeated.code == .failed)
            #expect(repeated.clientCode == "REPEAT_BIZ")

            // Uninstall, and uninstall of something absent.
            let removed = try await harness.tunnel.uninstall(Self.biz1, on: identity)
            #expect(removed.isSuccess)
            #expect(removed.command == .uninstallBiz)
            let absent = try await harness.tunnel.uninstall(BizModel(bizName: "nope", bizVersion: "9"), on: identity)
            #expect(absent.code == .failed)
            #expect(absent.clientCode == "NOT_FOUND_BIZ")

            // Batch install: one entry per URL, keyed.
            #expect(harness.tunnel.supportsBatchInstall)
            let batch = try await harness.tunnel.batchInstall([Self.biz2, Self.biz3], on: identity)
            #expect(batch.code == .success)
            #expect(batch.entries.map(\.key) == [Self.biz2.key, Self.biz3.key])
            #expect(batch.entries.allSatisfy { $0.isSuccess && $0.state == .activated })
            #expect(await running.base.arklet.bizStates
                == [Self.biz1v2.key: .activated, Self.biz2.key: .activated, Self.biz3.key: .activated])

            // Every result is also an event, in order: once the last one is recorded, all are.
            let recorder = harness.recorder
            try await recorder.waitFor { if case .batchInstallResult = $0 { true } else { false } }
            #expect(recorder.count { if case .health(identity, _) = $0 { true } else { false } } == 1)
            #expect(recorder.count { if case .bizList(identity, _) = $0 { true } else { false } } == 1)
            #expect(recorder.count { if case .operationResult(identity, _) = $0 { true } else { false } } == 5)
            #expect(recorder.count { if case .batchInstallResult(identity, batch) = $0 { true } else { false } } == 1)
            await running.stop()
        }
    }

    @Test func commandsAnArkletDoesNotKnowAreFailures() async throws {
        try await withHTTPHarness { harness in
            let identity = BaseIdentity("old-arklet")!
            let running = try await harness.startAndAwaitHeartbeat(
                harness.makeBase("old-arklet", missingCommands: [.batchInstallBiz, .installBiz]))

            let batch = try await harness.tunnel.batchInstall([Self.biz1], on: identity)
            #expect(batch.code == .commandNotFound)
            #expect(batch.entries.isEmpty)
            let install = try await harness.tunnel.install(Self.biz1, on: identity)
            #expect(install.code == .commandNotFound)
            #expect(!install.isSuccess)
            #expect(install.summary.contains("command not found"))

            // The raw arklet answer: HTTP 200 with the envelope, for any unknown path.
            let port = try await running.base.waitUntilListening()
            let raw = try await harness.curl.execute(.init(method: "POST", url: "http://127.0.0.1:\(port)/noSuchCommand",
                                                           body: Data("{}".utf8)))
            #expect(raw.status == 200)
            let envelope = try WireCoding.decode(ArkletResponse<WireJSON>.self, from: Array(raw.body))
            #expect(envelope.code == .commandNotFound)
            #expect(envelope.baseIdentity == "old-arklet")
            // Non-POST: HTTP 500 with a plain-text message, as the arklet's Netty handler answers.
            let get = try await harness.curl.execute(.init(method: "GET", url: "http://127.0.0.1:\(port)/health"))
            #expect(get.status == 500)
            #expect(get.headers["content-type"]?.hasPrefix("text/plain") == true)
            #expect(!get.body.isEmpty)
            await running.stop()
        }
    }

    @Test func anAddressRegisteredWithoutHeartbeatIsUsed() async throws {
        try await withHTTPHarness { harness in
            let identity = BaseIdentity("taken-over")!
            let base = harness.makeBase("taken-over", heartbeats: false)
            let running = harness.start(base)
            let port = try await base.waitUntilListening()

            await #expect(throws: TunnelError.invalidRequest("no heartbeat seen from taken-over and no arklet address registered for it")) {
                try await harness.tunnel.health(of: identity)
            }
            harness.tunnel.setAddress(ArkletAddress(host: "127.0.0.1", port: port), for: identity)
            #expect(try await harness.tunnel.health(of: identity).code == .success)
            #expect(harness.recorder.count { if case .heartbeat = $0 { true } else { false } } == 0)
            await running.stop()
        }
    }

    @Test func manyBasesShareOneTunnel() async throws {
        try await withHTTPHarness { harness in
            let identities = (1...10).map { BaseIdentity("many-\($0)")! }
            var running: [RunningHTTPBase] = []
            for identity in identities { running.append(harness.start(harness.makeBase(identity.rawValue))) }
            for identity in identities {
                try await harness.recorder.waitFor { if case .heartbeat(identity, _, _) = $0 { true } else { false } }
            }
            let ports = Set(identities.compactMap { harness.tunnel.address(of: $0)?.port })
            #expect(ports.count == identities.count, "each base has its own arklet port")
            try await withThrowingTaskGroup(of: BizOperationOutcome.self) { group in
                for identity in identities {
                    group.addTask { try await harness.tunnel.install(Self.biz1, on: identity) }
                }
                var succeeded = 0
                for try await outcome in group where outcome.isSuccess { succeeded += 1 }
                #expect(succeeded == identities.count)
            }
            for base in running { await base.stop() }
        }
    }

    @Test func invalidRequestsAreRefusedBeforeSending() async throws {
        try await withHTTPHarness { harness in
            let identity = BaseIdentity("nobody")!
            harness.tunnel.setAddress(ArkletAddress(host: "127.0.0.1", port: 1), for: identity)
            await #expect(throws: TunnelError.invalidRequest("install of a:1 needs a bizUrl")) {
                try await harness.tunnel.install(BizModel(bizName: "a", bizVersion: "1"), on: identity)
            }
            await #expect(throws: TunnelError.self) {
                try await harness.tunnel.uninstall(BizModel(bizName: "", bizVersion: "", bizUrl: "file:///a.jar"), on: identity)
            }
        }
    }
}
