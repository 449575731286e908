import Arklet
import Foundation
import Testing
import MosquittoTestSupport

@Suite("MQTT username and password", .timeLimit(.minutes(1)))
struct MQTTCredentialsTests {
    static func launchBrokerRequiringPassword() async throws -> TestBroker {
        try await TestBroker.launch(allowAnonymous: false) { directory in
            let passwordFile = directory.appendingPathComponent("passwd").path
            let tool = Process()
            tool.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_passwd")
            tool.arguments = ["-c", "-b", passwordFile, "controller-user", "s3cret"]
            try tool.run()
            tool.waitUntilExit()
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: passwordFile)
            return "password_file \(passwordFile)"
        }
    }

    static func tunnel(port: Int, password: String) -> MQTTTunnel {
        var configuration = MQTTHarness.configuration(port: port, env: "auth", clientID: "controller")
        configuration.username = "controller-user"
        configuration.password = password
        return MQTTTunnel(configuration: configuration, options: .forTests(), logger: TestLogging.logger("auth"))
    }

    @Test func rightPasswordConnectsWrongOneDoesNot() async throws {
        let broker = try await Self.launchBrokerRequiringPassword()
        let good = Self.tunnel(port: broker.port, password: "s3cret")
        let bad = Self.tunnel(port: broker.port, password: "wrong")
        let runs = [Task { try await good.run() }, Task { try await bad.run() }]
        try await good.waitUntilConnected(timeout: .seconds(10))
        await #expect(throws: TunnelError.notConnected) { try await bad.waitUntilConnected(timeout: .milliseconds(800)) }
        for run in runs {
            run.cancel()
            try await run.value
        }
        await broker.shutdown()
    }
}
