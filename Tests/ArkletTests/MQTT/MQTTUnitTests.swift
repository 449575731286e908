@testable import Arklet
import Foundation
import Synchronization
import Testing

@Suite("MQTT building blocks without a broker")
struct MQTTUnitTests {
    let topics = ArkletTopics(env: "dev")
    let base = BaseIdentity("10.1.0.45")!
    let now = Date(epochMilliseconds: 1_730_000_005_000)

    func decode(_ topic: String, _ fixture: String) throws -> MQTTInboundDecoder.Outcome {
        MQTTInboundDecoder(topics: topics).decode(topic: topic, payload: try Fixture.bytes(fixture), now: now)
    }

    @Test func decoderTurnsEveryReportIntoAnEvent() throws {
        guard case .event(.heartbeat(base, _, via: .mqtt)) = try decode("koupleless_dev/other-topic-id/base/heart", "mqtt-heartbeat") else {
            Issue.record("heartbeat identity must come from the payload"); return
        }
        guard case .event(.baselineQuery(base, let metadata)) = try decode("koupleless_dev/10.1.0.45/base/queryBaseline", "mqtt-query-baseline") else {
            Issue.record("queryBaseline"); return
        }
        #expect(metadata.clusterName == "default")
        guard case .event(.health(base, let health)) = try decode("koupleless_dev/10.1.0.45/base/health", "mqtt-health") else {
            Issue.record("health"); return
        }
        #expect(health.reportedAt == Date(epochMilliseconds: 1_730_000_000_000))
        guard case .event(.bizList(base, let simple)) = try decode("koupleless_dev/10.1.0.45/base/simpleBiz", "mqtt-simple-biz") else {
            Issue.record("simpleBiz"); return
        }
        #expect(simple.bizzes.count == 2)
        guard case .event(.bizList(base, let legacy)) = try decode("koupleless_dev/10.1.0.45/base/biz", "mqtt-legacy-biz") else {
            Issue.record("biz"); return
        }
        #expect(legacy.bizzes.count == 1)
        guard case .event(.operationResult(base, let operation)) = try decode("koupleless_dev/10.1.0.45/base/bizOperation", "mqtt-biz-operation-failure") else {
            Issue.record("bizOperation"); return
        }
        #expect(operation.code == .failed)
        guard case .event(.batchInstallResult(base, let batch)) = try decode("koupleless_dev/10.1.0.45/base/batchInstallBizResponse", "mqtt-batch-install-response") else {
            Issue.record("batchInstallBizResponse"); return
        }
        #expect(batch.entries.count == 3)
    }

    @Test func resultsAreNotExpiryChecked() throws {
        let late = Date(epochMilliseconds: 1_730_000_000_000 + 3_600_000)
        let decoder = MQTTInboundDecoder(topics: topics)
        let operation = decoder.decode(topic: "koupleless_dev/10.1.0.45/base/bizOperation",
                                       payload: try Fixture.bytes("mqtt-biz-operation-success"), now: late)
        guard case .event = operation else { Issue.record("T11 must not expire"); return }
        let heartbeat = decoder.decode(topic: "koupleless_dev/10.1.0.45/base/heart", payload: try Fixture.bytes("mqtt-heartbeat"), now: late)
        guard case .dropped(.expired, _) = heartbeat else { Issue.record("T1 must expire"); return }
    }

    @Test func commandTopicsAndOwnBaselineAreNotReports() throws {
        let decoder = MQTTInboundDecoder(topics: topics)
        for topic in ["koupleless_dev/10.1.0.45/installBiz", "koupleless_dev/10.1.0.45/base/baseline", "koupleless_prod/x/base/heart"] {
            guard case .dropped(.unknownTopic, _) = decoder.decode(topic: topic, payload: Array("{}".utf8), now: now) else {
                Issue.record("\(topic) should be an unknown topic"); continue
            }
        }
    }

    @Test func pendingCommandsMatchByIdentityCommandAndKeyNotOrder() async throws {
        let table = PendingTable()
        let a = BizKey(name: "a", version: "1")
        let b = BizKey(name: "b", version: "1")
        func result(_ command: ArkletCommand, _ key: BizKey, on identity: BaseIdentity? = nil, code: ArkletResponseCode = .success,
                    message: String? = nil) -> BaseEvent {
            .operationResult(identity ?? base, BizOperationOutcome(command: command, key: key, code: code, message: message, reportedAt: now))
        }
        async let waitA = table.wait(id: 0, for: .operation(base, .installBiz, a))
        async let waitB = table.wait(id: 1, for: .operation(base, .installBiz, b))
        async let waitHealth = table.wait(id: 2, for: .health(base))
        try await poll { table.count == 3 ? true : nil }

        #expect(table.resolve(result(.installBiz, b)) == 1, "b answered first although a was sent first")
        #expect(table.resolve(result(.uninstallBiz, a)) == 0, "uninstall does not answer install")
        #expect(table.resolve(result(.installBiz, a, on: BaseIdentity("other")!)) == 0, "another base's result")
        #expect(table.resolve(.heartbeat(base, BaseStatus(baseMetadata: BaseMetadata(identity: "10.1.0.45", name: "", version: "", clusterName: ""),
                                                          localIP: "", localHostName: "", port: 0, state: "activated"), via: .mqtt)) == 0)

        // After a re-send, a conflict answer is ours being refused: keep waiting for the real result.
        table.markSent(0, times: 2)
        #expect(table.resolve(result(.installBiz, a, code: .failed, message: "conflict: a:1 is running")) == 0)
        #expect(table.resolve(result(.installBiz, a)) == 1)
        #expect(table.resolve(.health(base, HealthReport(code: .success, healthData: nil, reportedAt: now))) == 1)

        #expect(try await waitB == result(.installBiz, b))
        #expect(try await waitA == result(.installBiz, a))
        guard case .health = try await waitHealth else { Issue.record("health"); return }
        #expect(table.count == 0)
    }

    @Test func aConflictAnswersAWaiterThatSentOnce() async throws {
        let table = PendingTable()
        let a = BizKey(name: "a", version: "1")
        async let wait = table.wait(id: 0, for: .operation(base, .installBiz, a))
        try await poll { table.count == 1 ? true : nil }
        table.markSent(0, times: 1)
        let conflict = BaseEvent.operationResult(base, BizOperationOutcome(command: .installBiz, key: a, code: .failed,
                                                                           message: "install conflict", reportedAt: now))
        #expect(table.resolve(conflict) == 1, "someone else's operation is running: the caller retries")
        #expect(try await wait == conflict)
    }

    @Test func backoffIsExponentialJitteredAndCapped() {
        let backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(2))
        #expect(backoff.delay(afterFailures: 1, random: 0) == .milliseconds(50))
        #expect(backoff.delay(afterFailures: 1, random: 1) == .milliseconds(100))
        #expect(backoff.delay(afterFailures: 3, random: 1) == .milliseconds(400))
        #expect(backoff.delay(afterFailures: 3, random: 0.5) == .milliseconds(300))
        #expect(backoff.delay(afterFailures: 50, random: 1) == .seconds(2))
        #expect(backoff.delay(afterFailures: 50, random: 0) == .seconds(1))
    }

    @Test func configurationDefaultsMirrorUpstream() throws {
        let defaults = try MQTTConfiguration.fromEnvironment([:])
        #expect(defaults.broker == "test-broker")
        #expect(defaults.port == 1883)
        #expect(defaults.username == "test-username")
        #expect(defaults.password == "")
        #expect(defaults.clientPrefix == "koupleless")
        #expect(defaults.env == "dev")
        #expect(!defaults.usesTLS)
        #expect(!defaults.clientID.isEmpty)
        #expect(defaults.clientIdentifier == "koupleless@@@\(defaults.clientID)")
    }

    @Test func configurationFromEnvironment() throws {
        let configuration = try MQTTConfiguration.fromEnvironment([
            "MQTT_BROKER": "broker.local", "MQTT_PORT": "8883", "MQTT_USERNAME": "u", "MQTT_PASSWORD": "p",
            "MQTT_CLIENT_PREFIX": "kl", "MQTT_CA_PATH": "/ca.pem", "MQTT_CLIENT_CRT_PATH": "/c.crt", "MQTT_CLIENT_KEY_PATH": "/c.key",
            "ENV": "prod", "CLIENT_ID": "replica-0",
        ])
        #expect(configuration.broker == "broker.local")
        #expect(configuration.port == 8883)
        #expect(configuration.username == "u")
        #expect(configuration.password == "p")
        #expect(configuration.clientIdentifier == "kl@@@replica-0")
        #expect(configuration.usesTLS)
        #expect(configuration.clientCertificatePath == "/c.crt")
        #expect(configuration.clientKeyPath == "/c.key")
        #expect(configuration.topics.root == "koupleless_prod")
        #expect(throws: ConfigurationError.self) { try MQTTConfiguration.fromEnvironment(["MQTT_PORT": "abc"]) }
        #expect(throws: ConfigurationError.self) { try MQTTConfiguration.fromEnvironment(["ENV": "a/b"]) }
    }

    @Test func droppedMessageCounterCountsByReason() {
        let counter = DroppedMessageCounter(tunnel: .mqtt)
        counter.record(.expired)
        counter.record(.expired)
        counter.record(.oversized)
        #expect(counter.count(.expired) == 2)
        #expect(counter.count(.malformed) == 0)
        #expect(counter.counts == [.expired: 2, .oversized: 1])
        #expect(DroppedMessageReason.invalidIdentity.rawValue == "invalid_identity")
    }
}

/// ``PendingCommands`` behind a lock, with real continuations, for tests.
final class PendingTable: Sendable {
    private let state = Mutex(PendingCommands())

    var count: Int { state.withLock { $0.ids.count } }

    func wait(id: Int, for correlation: PendingCommands.Correlation) async throws -> BaseEvent {
        try await withCheckedThrowingContinuation { continuation in
            state.withLock { $0.insert(.init(correlation: correlation, topic: "t", payload: [], continuation: continuation), id: id) }
        }
    }

    func markSent(_ id: Int, times: Int) {
        state.withLock { for _ in 0..<times { _ = $0.beginSend(id) } }
    }

    /// Resolves and resumes; returns how many waiters the event answered.
    func resolve(_ event: BaseEvent) -> Int {
        let waiters = state.withLock { $0.resolve(with: event) }
        for waiter in waiters { waiter.resume(returning: event) }
        return waiters.count
    }
}
