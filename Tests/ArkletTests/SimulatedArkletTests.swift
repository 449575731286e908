import Arklet
import BaseSimulation
import Foundation
import Testing

@Suite("Simulated arklet follows SOFAArk's rules")
struct SimulatedArkletTests {
    static let v1 = BizModel(bizName: "biz1", bizVersion: "0.0.1", bizUrl: "file:///biz1-1.jar")
    static let v2 = BizModel(bizName: "biz1", bizVersion: "0.0.2", bizUrl: "file:///biz1-2.jar")
    static let other = BizModel(bizName: "biz2", bizVersion: "1", bizUrl: "file:///biz2.jar")

    func arklet(_ configure: (inout SimulatedBaseConfiguration) -> Void = { _ in }) -> SimulatedArklet {
        var configuration = SimulatedBaseConfiguration(identity: BaseIdentity("sim")!, installDuration: .milliseconds(1),
                                                       uninstallDuration: .milliseconds(1))
        configure(&configuration)
        return SimulatedArklet(configuration: configuration)
    }

    @Test func newVersionActivatesAndDeactivatesTheOlderOne() async {
        let arklet = arklet()
        #expect(await arklet.install(Self.v1)?.code == .success)
        #expect(await arklet.install(Self.other)?.code == .success)
        let second = await arklet.install(Self.v2)
        #expect(second?.code == .success)
        #expect(second?.data?.bizInfos.first?.bizState == .activated)
        #expect(await arklet.bizStates == [Self.v1.key: .deactivated, Self.v2.key: .activated, Self.other.key: .activated])
        let list = await arklet.simpleBizList()
        #expect(list.first { $0.key == Self.v1.key }?.latestStateRecord?.state == .deactivated)
    }

    @Test func concurrentOperationOnOneKeyIsAConflict() async {
        let arklet = arklet { $0.installDuration = .milliseconds(300) }
        async let first = arklet.install(Self.v1)
        while await arklet.count(of: .installBiz) == 0 { await Task.yield() }
        let second = await arklet.install(Self.v1)
        #expect(second?.code == .failed)
        #expect(second?.message?.contains("conflict") == true)
        #expect(await first?.code == .success)
        #expect(await arklet.uninstall(Self.other)?.data?.code == "NOT_FOUND_BIZ")
    }

    @Test func repeatInstallAndValidation() async {
        let arklet = arklet()
        _ = await arklet.install(Self.v1)
        #expect(await arklet.install(Self.v1)?.data?.code == "REPEAT_BIZ")
        #expect(await arklet.install(BizModel(bizName: "a", bizVersion: "1"))?.code == .failed, "bizUrl required")
        #expect(await arklet.install(BizModel(bizName: "a", bizVersion: "", bizUrl: "file:///a.jar"))?.code == .failed)
        #expect(await arklet.uninstall(Self.v1)?.code == .success)
        #expect(await arklet.bizStates.isEmpty)
    }

    @Test func failureRateUsesTheInjectedRandomSource() async {
        let arklet = arklet {
            $0.installFailureRate = 0.5
            $0.random = { 0.1 }
        }
        let outcome = await arklet.install(Self.v1)
        #expect(outcome?.code == .failed)
        #expect(await arklet.bizStates.isEmpty)
    }

    @Test func batchInstallReportsEveryURL() async throws {
        let arklet = arklet()
        _ = await arklet.install(Self.other)
        let response = try #require(await arklet.batchInstall([Self.v1, Self.other]))
        #expect(response.code == .failed, "one entry failed (already installed)")
        #expect(response.data?.bizUrlToResponse[Self.v1.bizUrl]?.code == "SUCCESS")
        #expect(response.data?.bizUrlToResponse[Self.other.bizUrl]?.code == "REPEAT_BIZ")
    }

    @Test func crashForgetsEverythingAndSilencesRunningOperations() async {
        let arklet = arklet { $0.installDuration = .milliseconds(200) }
        _ = await arklet.install(Self.other)
        async let running = arklet.install(Self.v1)
        while await arklet.count(of: .installBiz, key: Self.v1.key) == 0 { await Task.yield() }
        await arklet.crash()
        #expect(await running == nil, "no answer from a crashed JVM")
        #expect(await arklet.bizStates.isEmpty)
    }

    @Test func httpDispatchAnswersUnknownCommandsWithCmdNotFound() async throws {
        let arklet = arklet()
        let notFound = try #require(await arklet.handle(ArkletCommand(rawValue: "fooBiz"), body: Array("{}".utf8)))
        #expect(notFound.code == .commandNotFound)
        let health = try #require(await arklet.handle(.health, body: Array("{}".utf8)))
        #expect(health.code == .success)
        let installed = try #require(await arklet.handle(.installBiz, body: try WireCoding.encode(Self.v1)))
        #expect(installed.code == .success)
        let all = try #require(await arklet.handle(.queryAllBiz, body: Array("{}".utf8)))
        let decoded = try WireCoding.decode(ArkletResponse<[ArkBizInfo]>.self, from: WireCoding.encode(all))
        #expect(BizStatusEntry.entries(from: decoded.data ?? []).map(\.key) == [Self.v1.key], "master biz listed but not an entry")
        let broken = try #require(await arklet.handle(.installBiz, body: Array("[1]".utf8)))
        #expect(broken.code == .internalError)
    }
}
