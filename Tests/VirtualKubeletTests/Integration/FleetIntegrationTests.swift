import Arklet
import BaseSimulation
import Foundation
import KubeClient
import Testing
@testable import VirtualKubelet

/// A controller against many bases simulated over one MQTT connection (``MQTTSimulatedFleet``).
@Suite(.serialized) struct FleetIntegrationTests {
    @Test func everyBaseOfAFleetBecomesAReadyVNodeAndGetsItsOwnPodsBizzes() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            let identities = (1...25).map { "fleet-\($0)" }
            let fleet = harness.makeFleet(identities)
            let task = Task { await fleet.run() }
            for identity in identities { try await harness.waitForNode(identity, ready: true) }
            #expect(controller.controller.ownedVNodes.count == identities.count)

            try await harness.createPod("app-5", on: "fleet-5", bizzes: [("biz5", "1.0.0")])
            try await harness.createPod("app-17", on: "fleet-17", bizzes: [("biz17", "2.0.0")])
            try await harness.waitForPod("app-5", ready: true)
            try await harness.waitForPod("app-17", ready: true)
            for arklet in fleet.arklets {
                let expected: [BizKey: ArkState] = switch arklet.configuration.identity.rawValue {
                case "fleet-5": [BizKey(name: "biz5", version: "1.0.0"): .activated]
                case "fleet-17": [BizKey(name: "biz17", version: "2.0.0"): .activated]
                default: [:]
                }
                #expect(await arklet.bizStates == expected, "\(arklet.configuration.identity)")
            }
            task.cancel()
            await task.value
            await controller.stop()
        }
    }
}
