import Arklet
import Foundation
import Testing
import MosquittoTestSupport

@Suite("MQTT over TLS verifies the broker", .timeLimit(.minutes(1)))
struct MQTTTLSTests {
    static let directory = Fixture.directory.deletingLastPathComponent().appendingPathComponent("tls")
    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static func launchTLSBroker() async throws -> TestBroker {
        try await TestBroker.launch(extraConfiguration: """
            cafile \(path("ca.pem"))
            certfile \(path("server.pem"))
            keyfile \(path("server.key"))
            require_certificate true
            """)
    }

    static func configuration(port: Int, ca: String) -> MQTTConfiguration {
        var configuration = MQTTHarness.configuration(port: port, env: "tls", clientID: "controller")
        configuration.caPath = path(ca)
        configuration.clientCertificatePath = path("client.pem")
        configuration.clientKeyPath = path("client.key")
        return configuration
    }

    @Test func connectsWhenTheBrokerCertificateChainsToTheCA() async throws {
        let broker = try await Self.launchTLSBroker()
        let tunnel = MQTTTunnel(configuration: Self.configuration(port: broker.port, ca: "ca.pem"), options: .forTests(),
                                logger: TestLogging.logger("tls"))
        let run = Task { try await tunnel.run() }
        try await tunnel.waitUntilConnected(timeout: .seconds(10))
        run.cancel()
        try await run.value
        await broker.shutdown()
    }

    @Test func refusesABrokerSignedByAnotherCA() async throws {
        let broker = try await Self.launchTLSBroker()
        let tunnel = MQTTTunnel(configuration: Self.configuration(port: broker.port, ca: "other-ca.pem"), options: .forTests(),
                                logger: TestLogging.logger("tls"))
        let run = Task { try await tunnel.run() }
        await #expect(throws: TunnelError.notConnected) { try await tunnel.waitUntilConnected(timeout: .milliseconds(1500)) }
        run.cancel()
        try await run.value
        await broker.shutdown()
    }

    @Test func unusableTLSSettingsStopTheTunnelWithAReason() async throws {
        var configuration = Self.configuration(port: 1, ca: "missing-ca.pem")
        configuration.clientKeyPath = ""
        let tunnel = MQTTTunnel(configuration: configuration, options: .forTests(), logger: TestLogging.logger("tls"))
        await #expect(throws: TunnelError.self) { try await tunnel.run() }
    }
}
