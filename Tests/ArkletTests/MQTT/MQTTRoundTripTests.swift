import MosquittoTestSupport
import Arklet
import BaseSimulation
import Foundation
import Testing

@Suite("MQTT tunnel round trips against a real broker and a simulated base", .timeLimit(.minutes(1)))
struct MQTTRoundTripTests {
    static let biz1 = BizModel(bizName: "biz1", bizVersion: "0.0.1", bizUrl: "https://example.org/biz1-0.0.1-ark-biz.jar")
    static let biz1v2 = BizModel(bizName: "biz1", bizVersion: "0.0.2", bizUrl: "https://example.org/biz1-0.0.2-ark-biz.jar")
    static let biz2 = BizModel(bizName: "biz2", bizVersion: "1.0.0", bizUrl: "https://example.org/biz2-1.0.0-ark-biz.jar")

    @Test func everyCommandRoundTrips() async throws {
        try await withMQTTHarness { harness in
            let identity = BaseIdentity("10.1.0.45")!
            let mark = harness.recorder.mark
            let base = try await harness.startAndAwaitHeartbeat(harness.makeBase("10.1.0.45") { $0.metadata.clusterName = "cluster-a" })

            // Discovery: heartbeat identity from the payload, and the first-connect baseline query.
            let heartbeat = try await harness.recorder.waitFor(from: mark) { if case .heartbeat = $0 { true } else { false } }
            guard case .heartbeat(identity, let status, via: .mqtt) = heartbeat else { Issue.record("\(heartbeat)"); return }
            #expect(status.isActivated)
            #expect(status.port == 0)
            let query = try await harness.recorder.waitFor(from: mark) { if case .baselineQuery = $0 { true } else { false } }
            #expect(query == .baselineQuery(identity, BaseMetadata(identity: "10.1.0.45", name: "base", version: "1.0.0", clusterName: "cluster-a")))

            // Baseline reply → batch install → T12.
            try await harness.tunnel.replyBaseline([Self.biz2], to: identity)
            let batch = try await harness.recorder.waitFor(from: mark) { if case .batchInstallResult = $0 { true } else { false } }
            guard case .batchInstallResult(identity, let outcome) = batch else { Issue.record("\(batch)"); return }
            #expect(outcome.code == .success)
            #expect(outcome.entries.map(\.key) == [Self.biz2.key])
            #expect(outcome.entries.first?.state == .activated)

            // Health.
            let health = try await harness.tunnel.health(of: identity)
            #expect(health.code == .success)
            #expect(health.healthData?.maxMetaspace == 268_435_456)
            #expect(health.healthData?.masterBizInfo?.bizState == .activated)

            // Install, then a new version of the same name: the old one is deactivated.
            let installed = try await harness.tunnel.install(Self.biz1, on: identity)
            #expect(installed.isSuccess)
            #expect(installed.command == .installBiz)
            #expect(installed.key == Self.biz1.key)
            let upgraded = try await harness.tunnel.install(Self.biz1v2, on: identity)
            #expect(upgraded.isSuccess)
            let list = try await harness.tunnel.queryAllBiz(of: identity)
            let states = Dictionary(uniqueKeysWithValues: list.bizzes.map { ($0.key, $0.state) })
            #expect(states == [Self.biz1.key: .deactivated, Self.biz1v2.key: .activated, Self.biz2.key: .activated])

            // Install twice: SOFAArk refuses the repeat.
            let repeated = try await harness.tunnel.install(Self.biz1v2, on: identity)
            #expect(!repeated.isSuccess)
            #expect(repeated.clientCode == "REPEAT_BIZ")

            // Uninstall, and uninstall of something absent.
            let removed = try await harness.tunnel.uninstall(Self.biz1, on: identity)
            #expect(removed.isSuccess)
            #expect(removed.command == .uninstallBiz)
            let absent = try await harness.tunnel.uninstall(BizModel(bizName: "nope", bizVersion: "9"), on: identity)
            #expect(absent.code == .failed)
            #expect(absent.clientCode == "NOT_FOUND_BIZ")
            #expect(await base.base.arklet.bizStates == [Self.biz1v2.key: .activated, Self.biz2.key: .activated])

            // Results are also events, for a level-triggered core.
            #expect(harness.recorder.count { if case .operationResult(identity, _) = $0 { true } else { false } } == 5)
            #expect(harness.recorder.count { if case .health(identity, _) = $0 { true } else { false } } == 1)

            // Over MQTT there is no batch command.
            await #expect(throws: TunnelError.unsupported(command: .batchInstallBiz)) {
                try await harness.tunnel.batchInstall([Self.biz1], on: identity)
            }
            await base.stop()
        }
    }

    @Test func resultsAreCorrelatedByBizKeyNotArrivalOrder() async throws {
        try await withMQTTHarness { harness in
            let identity = BaseIdentity("base-a")!
            let base = try await harness.startAndAwaitHeartbeat(harness.makeBase("base-a") {
                // Long enough that the fast install finishes first even on a loaded machine.
                $0.installDurations = ["slow": .seconds(3), "fast": .milliseconds(10)]
            })
            let slow = BizModel(bizName: "slow", bizVersion: "1", bizUrl: "file:///slow.jar")
            let fast = BizModel(bizName: "fast", bizVersion: "1", bizUrl: "file:///fast.jar")
            async let slowOutcome = harness.tunnel.install(slow, on: identity)
            // Make sure the slow install is on its way first.
            try await poll { await base.base.arklet.count(of: .installBiz, key: slow.key) == 1 ? true : nil }
            let fastOutcome = try await harness.tunnel.install(fast, on: identity)
            #expect(fastOutcome.key == fast.key)
            #expect(try await slowOutcome.key == slow.key)

            // Conflict answers to our own re-sends of the slow command are not results.
            let results = harness.recorder.all.compactMap { event -> BizKey? in
                if case .operationResult(_, let outcome) = event, !outcome.isConflict { return outcome.key }
                return nil
            }
            #expect(results == [fast.key, slow.key], "the fast result arrived first")
            await base.stop()
        }
    }

    @Test func resentCommandsConflictAnswerIsIgnoredAndTheRealResultWins() async throws {
        try await withMQTTHarness(options: .forTests(resendInterval: .milliseconds(300))) { harness in
            let identity = BaseIdentity("base-b")!
            let base = try await harness.startAndAwaitHeartbeat(harness.makeBase("base-b") { $0.installDuration = .milliseconds(1500) })
            let outcome = try await harness.tunnel.install(Self.biz1, on: identity)
            #expect(outcome.isSuccess, "the conflict answers to our own re-sends did not end the wait")
            #expect(await base.base.arklet.count(of: .installBiz, key: Self.biz1.key) >= 2, "the command was re-sent")
            #expect(harness.recorder.count { if case .operationResult(_, let o) = $0 { o.isConflict } else { false } } >= 1)
            await base.stop()
        }
    }

    @Test func commandsToASilentBaseAreResentThenTimeOut() async throws {
        try await withMQTTHarness(options: .forTests(timeout: .milliseconds(1200), resendInterval: .milliseconds(300))) { harness in
            // A raw subscriber standing in for a base that never answers.
            let listener = RawClient(configuration: harness.configuration(clientID: "ghost"),
                                     subscriptions: ["koupleless_\(harness.env)/ghost/+"])
            try await listener.connect()
            let identity = BaseIdentity("ghost")!
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: TunnelError.timeout(command: .installBiz, identity: identity)) {
                try await harness.tunnel.install(Self.biz1, on: identity)
            }
            #expect(clock.now - start < .seconds(5))
            await #expect(throws: TunnelError.timeout(command: .health, identity: identity)) {
                try await harness.tunnel.health(of: identity, timeout: .milliseconds(200))
            }
            let installs = try await poll { () -> [MQTTMessageSnapshot]? in
                let seen = listener.received.filter { $0.topic.hasSuffix("/installBiz") }
                return seen.count >= 2 ? seen : nil
            }
            #expect(installs.allSatisfy { $0.payload == Array(#"{"bizName":"biz1","bizVersion":"0.0.1","bizUrl":"https://example.org/biz1-0.0.1-ark-biz.jar"}"#.utf8) })
            #expect(listener.received.contains { $0.topic.hasSuffix("/health") && $0.payload == Array("{}".utf8) })
            await listener.disconnect()

            // Nothing was retained: a late subscriber gets only the retained marker we set ourselves.
            let root = "koupleless_\(harness.env)/ghost"
            let marker = RawClient(configuration: harness.configuration(clientID: "marker"))
            try await marker.connect()
            try marker.publish("\(root)/retainedMarker", Array("m".utf8), retain: true)
            let late = RawClient(configuration: harness.configuration(clientID: "late"), subscriptions: ["\(root)/+"])
            try await late.connect()
            try await poll { late.received.contains { $0.topic.hasSuffix("/retainedMarker") } ? true : nil }
            try marker.publish("\(root)/afterRetained", Array("x".utf8))
            try await poll { late.received.contains { $0.topic.hasSuffix("/afterRetained") } ? true : nil }
            #expect(late.received.map(\.topic).sorted() == ["\(root)/afterRetained", "\(root)/retainedMarker"],
                    "commands are never retained")
            try marker.publish("\(root)/retainedMarker", [], retain: true)
            await marker.disconnect()
            await late.disconnect()
        }
    }

    @Test func clientIdentifierHasThePrefixForm() async throws {
        try await withMQTTHarness { harness in
            let log = harness.broker.directory.appendingPathComponent("mosquitto.log")
            try await poll(what: "broker log line") {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                return text.contains("as koupleless@@@controller") ? true : nil
            }
        }
    }

    @Test func manyBasesShareOneTunnel() async throws {
        try await withMQTTHarness { harness in
            let identities = (1...20).map { "many-\($0)" }
            let bases = identities.map { harness.start(harness.makeBase($0)) }
            for identity in identities {
                try await harness.recorder.waitFor { if case .heartbeat(BaseIdentity(identity)!, _, _) = $0 { true } else { false } }
            }
            try await withThrowingTaskGroup(of: HealthReport.self) { group in
                for identity in identities {
                    group.addTask { try await harness.tunnel.health(of: BaseIdentity(identity)!) }
                }
                var answers = 0
                for try await report in group where report.code == .success { answers += 1 }
                #expect(answers == identities.count)
            }
            for base in bases { await base.stop() }
        }
    }

    @Test func invalidRequestsAreRefusedBeforeSending() async throws {
        try await withMQTTHarness { harness in
            let identity = BaseIdentity("base-c")!
            await #expect(throws: TunnelError.self) {
                try await harness.tunnel.install(BizModel(bizName: "a", bizVersion: "1"), on: identity)
            }
            await #expect(throws: TunnelError.self) {
                try await harness.tunnel.uninstall(BizModel(bizName: "", bizVersion: "", bizUrl: "file:///a.jar"), on: identity)
            }
        }
    }
}
