import Arklet
import BaseSimulation
import Foundation
import Synchronization
import Testing

@Suite("Many simulated bases over one MQTT connection", .timeLimit(.minutes(1)))
struct MQTTFleetTests {
    static let biz = BizModel(bizName: "biz1", bizVersion: "0.0.1", bizUrl: "https://example.org/biz1-0.0.1-ark-biz.jar")

    /// A fleet of `count` bases `fleet-1` … `fleet-<count>` on the harness's broker.
    static func makeFleet(_ harness: MQTTHarness, count: Int,
                          observer: (@Sendable (SimulatedOperationEvent) -> Void)? = nil) -> MQTTSimulatedFleet {
        let arklets = (1...count).map { index in
            var configuration = SimulatedBaseConfiguration(identity: BaseIdentity("fleet-\(index)")!, heartbeatInterval: .seconds(60),
                                                           installDuration: .milliseconds(20), uninstallDuration: .milliseconds(10))
            configuration.operationObserver = observer
            return SimulatedArklet(configuration: configuration)
        }
        return MQTTSimulatedFleet(arklets: arklets, mqtt: harness.configuration(clientID: "fleet"),
                                  startupSpread: .milliseconds(200), logger: TestLogging.logger("fleet"))
    }

    @Test func everyBaseHeartbeatsAndAsksForItsBaseline() async throws {
        try await withMQTTHarness { harness in
            let fleet = Self.makeFleet(harness, count: 30)
            let task = Task { await fleet.run() }
            let expected = Set((1...30).map { BaseIdentity("fleet-\($0)")! })
            try await poll(what: "a heartbeat and a baseline query from every base") {
                let events = harness.recorder.all
                let beating = Set(events.compactMap { if case .heartbeat(let id, let status, .mqtt) = $0, status.isActivated { id } else { nil } })
                let asking = Set(events.compactMap { if case .baselineQuery(let id, _) = $0 { id } else { nil } })
                return beating == expected && asking == expected ? true : nil
            }
            task.cancel()
            await task.value
        }
    }

    @Test func commandsReachTheBaseTheyAreFor() async throws {
        try await withMQTTHarness { harness in
            let seen = Mutex<[SimulatedOperationEvent]>([])
            let fleet = Self.makeFleet(harness, count: 10) { event in seen.withLock { $0.append(event) } }
            let task = Task { await fleet.run() }
            let target = BaseIdentity("fleet-7")!
            try await poll(what: "fleet connected") { fleet.isConnected ? true : nil }

            let installed = try await harness.tunnel.install(Self.biz, on: target)
            #expect(installed.isSuccess)
            #expect(installed.key == Self.biz.key)
            let list = try await harness.tunnel.queryAllBiz(of: target)
            #expect(list.bizzes.map(\.key) == [Self.biz.key])
            for arklet in fleet.arklets {
                let expected: [BizKey: ArkState] = arklet.configuration.identity == target ? [Self.biz.key: .activated] : [:]
                #expect(await arklet.bizStates == expected)
            }
            let health = try await harness.tunnel.health(of: BaseIdentity("fleet-3")!)
            #expect(health.code == .success)

            let removed = try await harness.tunnel.uninstall(Self.biz, on: target)
            #expect(removed.isSuccess)
            #expect(await fleet.arklet(target)?.bizStates == [:])

            // The observer saw each operation arrive, then answered, on the right base.
            let events = seen.withLock { $0 }
            #expect(events.map(\.identity) == Array(repeating: target, count: 4))
            #expect(events.map(\.command) == [.installBiz, .installBiz, .uninstallBiz, .uninstallBiz])
            #expect(events.map(\.phase) == [.received, .answered(succeeded: true), .received, .answered(succeeded: true)])
            #expect(events[0].instant <= events[1].instant)
            task.cancel()
            await task.value
        }
    }

    @Test func identitiesOutsideTheFleetAreNotAnswered() async throws {
        try await withMQTTHarness(options: .forTests(timeout: .milliseconds(500))) { harness in
            let fleet = Self.makeFleet(harness, count: 3)
            let task = Task { await fleet.run() }
            try await poll(what: "fleet connected") { fleet.isConnected ? true : nil }
            await #expect(throws: TunnelError.self) {
                try await harness.tunnel.health(of: BaseIdentity("fleet-4")!)
            }
            task.cancel()
            await task.value
        }
    }
}
