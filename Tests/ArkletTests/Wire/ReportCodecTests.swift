import Arklet
import Foundation
import Testing

@Suite("Base reports decode from golden fixtures and round-trip")
struct ReportCodecTests {
    @Test func mqttHeartbeat() throws {
        let envelope = try Fixture.decode(MQTTEnvelope<BaseStatus>.self, "mqtt-heartbeat")
        #expect(envelope.publishTimestamp == 1_730_000_000_000)
        let status = envelope.data
        #expect(status.baseMetadata == BaseMetadata(identity: "10.1.0.45", name: "base", version: "1.0.0", clusterName: "default"))
        #expect(status.localIP == "10.1.0.45")
        #expect(status.localHostName == "base-7f9c4d6b8-qx2lz")
        #expect(status.port == 0)
        #expect(status.isActivated)
        try expectRoundTrip(envelope)
    }

    @Test func httpHeartbeatIsNotWrapped() throws {
        let status = try Fixture.decode(BaseStatus.self, "http-heartbeat")
        #expect(status.port == 1238)
        #expect(status.state == "activated")
        try expectRoundTrip(status)
    }

    @Test func heartbeatStateIsCaseInsensitive() {
        let metadata = BaseMetadata(identity: "a", name: "b", version: "c", clusterName: "d")
        #expect(BaseStatus(baseMetadata: metadata, localIP: "", localHostName: "", port: 0, state: "ACTIVATED").isActivated)
        #expect(!BaseStatus(baseMetadata: metadata, localIP: "", localHostName: "", port: 0, state: "DEACTIVATED").isActivated)
        #expect(!BaseStatus(baseMetadata: metadata, localIP: "", localHostName: "", port: 0, state: "").isActivated)
    }

    @Test func queryBaseline() throws {
        let envelope = try Fixture.decode(MQTTEnvelope<BaseMetadata>.self, "mqtt-query-baseline")
        #expect(envelope.data.clusterName == "default")
        #expect(envelope.data.identity == "10.1.0.45")
        try expectRoundTrip(envelope)
    }

    @Test func mqttHealth() throws {
        let envelope = try Fixture.decode(MQTTEnvelope<ArkletResponse<HealthResponseData>>.self, "mqtt-health")
        #expect(envelope.data.code == .success)
        let health = try #require(envelope.data.data?.healthData)
        #expect(health.maxMetaspace == 268_435_456)
        #expect(health.committedMetaspace == 83_886_080)
        #expect(health.usedMetaspace == 81_000_000)
        #expect(health.jvm["java version"] == .string("1.8.0_331"))
        #expect(health.jvm["max heap memory(M)"] == .double(885.5))
        #expect(health.cpu["count"] == .integer(4))
        #expect(health.masterBizInfo?.bizState == .activated)
        let encoded = try expectRoundTrip(envelope)
        #expect(text(encoded).contains("\"java max metaspace\":268435456"))
    }

    @Test func httpHealthIgnoresExtraSections() throws {
        let response = try Fixture.decode(ArkletResponse<HealthResponseData>.self, "http-health")
        #expect(response.baseIdentity == "10.1.0.45")
        let health = try #require(response.data?.healthData)
        #expect(health.maxMetaspace == -1)
        #expect(health.masterBizInfo?.bizState == .activated)
        #expect(health.masterBizInfo?.bizName == "bookstore-manager")
        try expectRoundTrip(response)
    }

    @Test func simpleBiz() throws {
        let envelope = try Fixture.decode(MQTTEnvelope<[SimpleBizInfo]>.self, "mqtt-simple-biz")
        #expect(envelope.data.count == 2)
        #expect(envelope.data[0].key == BizKey(name: "biz1", version: "0.0.1"))
        #expect(envelope.data[0].state == .activated)
        #expect(envelope.data[0].latestStateRecord == BizStateRecord(changeTime: 1_730_000_000_000, state: .activated, reason: "STARTED", message: "biz1:0.0.1 started"))
        #expect(envelope.data[1].state == .resolved)
        #expect(envelope.data[1].latestStateRecord == nil)
        let encoded = try expectRoundTrip(envelope)
        #expect(text(encoded).contains("\"latestStateRecord\":null"), "the arklet keeps nulls in T9")
        #expect(text(encoded).contains("\"state\":\"activated\""), "T9 state is the display string")

        let entries = envelope.data.map(BizStatusEntry.init)
        #expect(entries[0].changeTime == Date(epochMilliseconds: 1_730_000_000_000))
        #expect(entries[0].reason == "STARTED")
        #expect(entries[1].changeTime == nil)
    }

    @Test func oldMockNumericStatesDecodeAsUnknown() throws {
        let envelope = try Fixture.decode(MQTTEnvelope<[SimpleBizInfo]>.self, "mock-simple-biz-numeric-state")
        #expect(envelope.data[0].state == .unknown("3"))
        #expect(envelope.data[0].latestStateRecord?.state == .unknown("3"))
    }

    @Test func legacyBizList() throws {
        let envelope = try Fixture.decode(MQTTEnvelope<ArkletResponse<[ArkBizInfo]>>.self, "mqtt-legacy-biz")
        #expect(envelope.data.code == .success)
        #expect(envelope.data.message == "")
        let infos = try #require(envelope.data.data)
        #expect(infos.count == 2)
        try expectRoundTrip(envelope)

        let entries = BizStatusEntry.entries(from: infos)
        #expect(entries.map(\.key) == [BizKey(name: "biz1", version: "0.0.1")], "master biz left out")
        #expect(entries[0].changeTime == Date(epochMilliseconds: 1_730_000_000_000), "latest record wins")
        #expect(entries[0].reason == "STARTED")
    }

    @Test func bizOperationSuccess() throws {
        let envelope = try Fixture.decode(MQTTEnvelope<BizOperationResult>.self, "mqtt-biz-operation-success")
        let result = envelope.data
        #expect(result.command == .installBiz)
        #expect(result.key == BizKey(name: "biz1", version: "0.0.1"))
        #expect(result.response.data?.bizInfos.first?.bizState == .activated)
        #expect(result.response.data?.elapsedSpace == 123_456)
        try expectRoundTrip(envelope)

        let outcome = BizOperationOutcome(result, reportedAt: envelope.publishedAt)
        #expect(outcome.isSuccess)
        #expect(!outcome.isConflict)
        #expect(outcome.clientMessage?.hasPrefix("Install Biz: biz1:0.0.1 success") == true)
    }

    @Test func bizOperationFailureCarriesExceptionMessage() throws {
        let envelope = try Fixture.decode(MQTTEnvelope<BizOperationResult>.self, "mqtt-biz-operation-failure")
        let outcome = BizOperationOutcome(envelope.data, reportedAt: envelope.publishedAt)
        #expect(outcome.code == .failed)
        #expect(!outcome.isSuccess)
        #expect(outcome.message == "java.lang.IllegalStateException: download biz jar failed")
        #expect(outcome.clientMessage?.contains("InstallBizHandler.java:78") == true, "stack trace in data.message")
        #expect(outcome.summary == "java.lang.IllegalStateException: download biz jar failed")
        #expect(outcome.bizInfos.isEmpty)
        try expectRoundTrip(envelope)
    }

    @Test func conflictAnswersAreRecognised() {
        let outcome = BizOperationOutcome(command: .installBiz, key: BizKey(name: "a", version: "1"), code: .failed,
                                          message: "install biz a:1 conflict, other operation is running", reportedAt: Date())
        #expect(outcome.isConflict)
    }

    @Test func batchInstallResponseToleratesEmptyAndNullBizInfos() throws {
        let envelope = try Fixture.decode(MQTTEnvelope<BatchInstallResult>.self, "mqtt-batch-install-response")
        #expect(envelope.data.command == .batchInstallBiz)
        let perURL = try #require(envelope.data.response.data?.bizUrlToResponse)
        #expect(perURL.count == 3)
        #expect(perURL["https://example.org/biz2-0.0.2-ark-biz.jar"]?.bizInfos == [])
        #expect(perURL["https://example.org/biz3-0.0.3-ark-biz.jar"]?.bizInfos == [])
        try expectRoundTrip(envelope)

        let requested = ["https://example.org/biz2-0.0.2-ark-biz.jar":
            BizModel(bizName: "biz2", bizVersion: "0.0.2", bizUrl: "https://example.org/biz2-0.0.2-ark-biz.jar")]
        let outcome = BatchInstallOutcome(envelope.data.response, requested: requested, reportedAt: envelope.publishedAt)
        #expect(outcome.entries.count == 3)
        #expect(outcome.entries[0].key == BizKey(name: "biz1", version: "0.0.1"))
        #expect(outcome.entries[0].state == .activated)
        #expect(outcome.entries[0].isSuccess)
        #expect(outcome.entries[1].key == BizKey(name: "biz2", version: "0.0.2"), "key from our request when bizInfos is empty")
        #expect(!outcome.entries[1].isSuccess)
        #expect(outcome.entries[2].key == nil, "unknown URL, no bizInfos: no key, no crash")
    }
}
