import Arklet
import BaseSimulation
import Foundation
import Testing

@Suite("Arklet HTTP calls, against simulated arklets in memory")
struct ArkletHTTPClientTests {
    let identity = BaseIdentity("10.1.0.45")!
    let address = ArkletAddress(host: "10.1.0.45", port: 1238)
    let biz = BizModel(bizName: "biz1", bizVersion: "0.0.1", bizUrl: "https://example.org/biz1.jar")
    let biz2 = BizModel(bizName: "biz1", bizVersion: "0.0.2", bizUrl: "https://example.org/biz1-2.jar")

    func setUp() -> (ArkletHTTPClient, InMemoryArkletTransport, SimulatedArklet) {
        let transport = InMemoryArkletTransport()
        let arklet = SimulatedArklet(configuration: SimulatedBaseConfiguration(identity: identity, installDuration: .milliseconds(1),
                                                                               uninstallDuration: .milliseconds(1)))
        transport.register(arklet, at: address)
        return (ArkletHTTPClient(transport: transport), transport, arklet)
    }

    @Test func addresses() {
        #expect(address.url(for: .installBiz) == "http://10.1.0.45:1238/installBiz")
        #expect(ArkletAddress(host: "::1", port: 1238).url(for: .health) == "http://[::1]:1238/health")
        #expect(ArkletAddress(host: "a").port == 1238)
    }

    @Test func everyCommandRoundTrips() async throws {
        let (client, _, arklet) = setUp()
        let health = try await client.health(of: identity, at: address, timeout: .seconds(5))
        #expect(health.code == .success)
        #expect(health.healthData?.maxMetaspace == 268_435_456)

        #expect(try await client.install(biz, on: identity, at: address, timeout: .seconds(5)).isSuccess)
        #expect(try await client.install(biz2, on: identity, at: address, timeout: .seconds(5)).isSuccess)
        let list = try await client.queryAllBiz(of: identity, at: address, timeout: .seconds(5))
        #expect(Dictionary(uniqueKeysWithValues: list.bizzes.map { ($0.key, $0.state) }) == [biz.key: .deactivated, biz2.key: .activated])

        let repeated = try await client.install(biz2, on: identity, at: address, timeout: .seconds(5))
        #expect(repeated.code == .failed)
        #expect(repeated.clientCode == "REPEAT_BIZ")

        #expect(try await client.uninstall(biz, on: identity, at: address, timeout: .seconds(5)).isSuccess)
        let batch = try await client.batchInstall([biz, biz2], on: identity, at: address, timeout: .seconds(5))
        #expect(batch.entries.map(\.key) == [biz2.key, biz.key], "ordered by URL; keys from bizInfos or our request")
        #expect(batch.entries.map(\.isSuccess) == [false, true])
        #expect(await arklet.count(of: .installBiz) == 3)
        #expect(await arklet.count(of: .batchInstallBiz) == 1)
    }

    @Test func transportProblemsBecomeTunnelErrors() async throws {
        let (client, transport, _) = setUp()
        transport.setReachable(false, at: address)
        await #expect(throws: TunnelError.self) { try await client.health(of: identity, at: address, timeout: .seconds(5)) }
        await #expect(throws: TunnelError.self) {
            try await client.health(of: identity, at: ArkletAddress(host: "10.9.9.9"), timeout: .seconds(5))
        }
        transport.setReachable(true, at: address)
        transport.setDelay(.seconds(5), at: address)
        await #expect(throws: TunnelError.timeout(command: .installBiz, identity: identity)) {
            try await client.install(biz, on: identity, at: address, timeout: .milliseconds(100))
        }
    }

    @Test func undecodableAnswersAreMalformed() async throws {
        struct Garbage: ArkletHTTPTransport {
            func post(url: String, body: [UInt8], timeout: Duration) async throws -> HTTPReply {
                HTTPReply(status: 200, body: Array(#"{"code":"SUCCESS","data":"not a list"}"#.utf8))
            }
        }
        let client = ArkletHTTPClient(transport: Garbage())
        await #expect(throws: TunnelError.self) { try await client.queryAllBiz(of: identity, at: address, timeout: .seconds(1)) }
    }
}
