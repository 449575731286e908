import Arklet
import Foundation
import Testing

@Suite("Arklet HTTP command answers decode from golden fixtures and round-trip")
struct HTTPResponseCodecTests {
    @Test func queryAllBiz() throws {
        let response = try Fixture.decode(ArkletResponse<[ArkBizInfo]>.self, "http-query-all-biz")
        #expect(response.code == .success)
        let infos = try #require(response.data)
        #expect(infos.count == 2)
        #expect(infos[0].bizState == .activated, "lower-case state over HTTP")
        try expectRoundTrip(response)
        let entries = BizStatusEntry.entries(from: infos)
        #expect(entries.map(\.key.description) == ["dynamic-provider:1.0.0"])
        #expect(entries[0].reason == "Started")
    }

    @Test func installSuccess() throws {
        let response = try Fixture.decode(ArkletResponse<ClientResponse>.self, "http-install-biz-success")
        let outcome = BizOperationOutcome(command: .installBiz, key: BizKey(name: "dynamic-provider", version: "1.0.0"),
                                          response: response, reportedAt: Date())
        #expect(outcome.isSuccess)
        #expect(outcome.clientCode == "SUCCESS")
        #expect(outcome.bizInfos.first?.key == BizKey(name: "dynamic-provider", version: "1.0.0"))
        try expectRoundTrip(response)
    }

    @Test func installFailure() throws {
        let response = try Fixture.decode(ArkletResponse<ClientResponse>.self, "http-install-biz-failed")
        #expect(response.code == .failed)
        #expect(response.message == "install biz not success!")
        #expect(response.data?.code == "REPEAT_BIZ")
        try expectRoundTrip(response)
    }

    @Test func uninstallAnswers() throws {
        let success = try Fixture.decode(ArkletResponse<ClientResponse>.self, "http-uninstall-biz-success")
        #expect(success.code == .success)
        #expect(success.data == nil)
        #expect(text(try WireCoding.encode(success)) == #"{"code":"SUCCESS","baseIdentity":"10.1.0.45"}"#)
        let failure = try Fixture.decode(ArkletResponse<ClientResponse>.self, "http-uninstall-biz-failed")
        #expect(failure.data?.code == "NOT_FOUND_BIZ")
        try expectRoundTrip(failure)
    }

    @Test func batchInstall() throws {
        let response = try Fixture.decode(ArkletResponse<BatchInstallResponse>.self, "http-batch-install-biz")
        #expect(response.data?.bizUrlToResponse.count == 2)
        #expect(response.data?.elapsedSpace == 2345)
        try expectRoundTrip(response)
        let outcome = BatchInstallOutcome(response, requested: [:], reportedAt: Date())
        #expect(outcome.entries.map(\.isSuccess) == [true, false])
    }

    @Test func commandNotFound() throws {
        let response = try Fixture.decode(ArkletResponse<WireJSON>.self, "http-cmd-not-found")
        #expect(response.code == .commandNotFound)
        #expect(response.data == nil)
        #expect(response.message == "command not found: fooBiz")
        #expect(try WireCoding.encode(response) == Fixture.bytes("http-cmd-not-found").filter { $0 != UInt8(ascii: "\n") })
    }

    @Test func emptyCodeIsNotSuccess() throws {
        let response = try WireCoding.decode(ArkletResponse<HealthResponseData>.self, from: Array(#"{"code":""}"#.utf8))
        #expect(!response.code.isSuccess)
    }
}
