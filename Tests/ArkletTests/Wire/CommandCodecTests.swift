import Arklet
import Foundation
import Testing

@Suite("Payloads the controller produces are byte-exact")
struct CommandCodecTests {
    @Test func emptyCommandBody() {
        #expect(text(WireCoding.emptyObject) == "{}")
    }

    @Test func installCommand() throws {
        let biz = BizModel(bizName: "biz1", bizVersion: "0.0.1", bizUrl: "https://example.org/biz1-0.0.1-ark-biz.jar")
        #expect(try WireCoding.encode(biz) == Fixture.bytes("install-biz-command"))
        #expect(try Fixture.decode(BizModel.self, "install-biz-command") == biz)
    }

    @Test func bizModelOmitsEmptyFields() throws {
        #expect(try WireCoding.encode(BizModel(bizName: "biz1", bizVersion: "0.0.1")) == Fixture.bytes("uninstall-biz-command"))
        #expect(text(try WireCoding.encode(BizModel(bizName: "", bizVersion: "", bizUrl: "file:///a.jar"))) == #"{"bizUrl":"file:///a.jar"}"#)
        #expect(text(try WireCoding.encode(BizModel(bizName: "", bizVersion: ""))) == "{}")
    }

    @Test func baselineReplyArray() throws {
        let baseline = [BizModel(bizName: "biz1", bizVersion: "0.0.1", bizUrl: "https://example.org/biz1-0.0.1-ark-biz.jar")]
        #expect(try WireCoding.encode(baseline) == Fixture.bytes("baseline-reply"))
        #expect(try Fixture.decode([BizModel].self, "baseline-reply") == baseline)
        #expect(text(try WireCoding.encode([BizModel]())) == "[]")
    }

    @Test func batchInstallCommand() throws {
        let request = BatchInstallRequest(bizList: [BizModel(bizName: "biz1", bizVersion: "0.0.1", bizUrl: "https://example.org/biz1-0.0.1-ark-biz.jar")])
        #expect(try WireCoding.encode(request) == Fixture.bytes("batch-install-biz-command"))
        try expectRoundTrip(request)
    }
}

@Suite("Tolerant decoding")
struct TolerantDecodingTests {
    @Test(arguments: [
        ("ACTIVATED", ArkState.activated), ("activated", .activated), ("Activated", .activated),
        ("RESOLVED", .resolved), ("deactivated", .deactivated), ("BROKEN", .broken), ("stopped", .stopped),
        ("UNRESOLVED", .unresolved), ("3", .unknown("3")), ("", .unknown("")),
    ])
    func arkStateParsing(text: String, state: ArkState) {
        #expect(ArkState(parsing: text) == state)
    }

    @Test func arkStateSpellings() {
        #expect(ArkState.activated.javaName == "ACTIVATED")
        #expect(ArkState.activated.displayName == "activated")
        #expect(ArkState.unknown("3").displayName == "3")
    }

    @Test func unknownFieldsNullsAndMissingFields() throws {
        let json = #"{"bizName":"a","bizVersion":null,"extra":{"x":[1,2]},"bizUrl":7}"#
        let biz = try WireCoding.decode(BizModel.self, from: Array(json.utf8))
        #expect(biz == BizModel(bizName: "a", bizVersion: "", bizUrl: "7"))

        let record = try WireCoding.decode(BizStateRecord.self, from: Array(#"{"state":4}"#.utf8))
        #expect(record == BizStateRecord(changeTime: 0, state: .unknown("4")))

        let status = try WireCoding.decode(BaseStatus.self, from: Array(#"{"baseMetadata":{"identity":"x"},"port":"1238"}"#.utf8))
        #expect(status.baseMetadata.identity == "x")
        #expect(status.port == 1238)
        #expect(status.state == "")

        let health = try WireCoding.decode(HealthData.self, from: Array(#"{"jvm":null,"masterBizInfo":{"bizState":null}}"#.utf8))
        #expect(health.jvm.isEmpty)
        #expect(health.maxMetaspace == nil)
        #expect(health.masterBizInfo?.bizState == .unknown(""))
    }

    @Test func heartbeatWithoutMetadataIsMalformed() {
        #expect(throws: DecodingError.self) {
            try WireCoding.decode(BaseStatus.self, from: Array(#"{"localIP":"1.2.3.4"}"#.utf8))
        }
    }

    @Test func latestStateRecordIgnoresNonPositiveTimes() {
        let records = [BizStateRecord(changeTime: 0, state: .broken), BizStateRecord(changeTime: 5, state: .resolved),
                       BizStateRecord(changeTime: 9, state: .activated), BizStateRecord(changeTime: -3, state: .stopped)]
        #expect(BizStateRecord.latest(of: records)?.state == .activated)
        #expect(BizStateRecord.latest(of: [BizStateRecord(changeTime: 0, state: .broken)]) == nil)
    }

    @Test func bizKey() {
        #expect(BizKey(name: "biz1", version: "0.0.1").description == "biz1:0.0.1")
        #expect(BizKey(parsing: "biz1:0.0.1") == BizKey(name: "biz1", version: "0.0.1"))
        #expect(BizKey(parsing: "biz1") == nil)
        #expect(BizModel(bizName: "n", bizVersion: "v", bizUrl: "u").key == BizKey(name: "n", version: "v"))
    }
}

@Suite("Envelope expiry")
struct EnvelopeExpiryTests {
    let published: Int64 = 1_730_000_000_000

    @Test func exactlyTenSecondsOldIsExpired() {
        let envelope = MQTTEnvelope(publishTimestamp: published, data: "x")
        #expect(envelope.isExpired(now: Date(epochMilliseconds: published + 10_000)))
        #expect(envelope.isExpired(now: Date(epochMilliseconds: published + 60_000)))
    }

    @Test func youngerIsFresh() {
        let envelope = MQTTEnvelope(publishTimestamp: published, data: "x")
        #expect(!envelope.isExpired(now: Date(epochMilliseconds: published + 9_999)))
        #expect(!envelope.isExpired(now: Date(epochMilliseconds: published)))
        #expect(!envelope.isExpired(now: Date(epochMilliseconds: published - 5_000)), "base clock ahead")
    }

    @Test func zeroTimestampIsExpiredAndHugeOneDoesNotOverflow() {
        #expect(MQTTEnvelopeHeader(publishTimestamp: 0).isExpired(now: Date()))
        #expect(!MQTTEnvelopeHeader(publishTimestamp: .max).isExpired(now: Date()))
    }

    @Test func envelopeStampsMilliseconds() throws {
        let now = Date(epochMilliseconds: published)
        let envelope = MQTTEnvelope(data: BaseMetadata(identity: "a", name: "b", version: "c", clusterName: "d"), publishedAt: now)
        #expect(envelope.publishTimestamp == published)
        #expect(text(try WireCoding.encode(envelope)).hasPrefix(#"{"publishTimestamp":1730000000000,"data":{"#))
    }
}
